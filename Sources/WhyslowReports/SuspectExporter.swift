import Foundation
import WhyslowStatistics

/// Turns an analysis into one output document (a terminal table, CSV, ...).
public protocol SuspectExporter: Sendable {
  /// The whole document.
  func render(_ analysis: LatencyAnalysis) -> String
}

/// A problem writing an output file.
public enum OutputError: Error, Equatable, CustomStringConvertible {
  /// The file could not be written; an existing file at the path is left as it was.
  case cannotWrite(path: String, reason: String)
  /// The path may not be written, checked before any work is done.
  case refused(option: String, path: String, reason: String)

  public var description: String {
    switch self {
    case .cannotWrite(let path, let reason): return "\(path): cannot write: \(reason)"
    case .refused(let option, let path, let reason): return "\(option) \(path): refused: \(reason)"
    }
  }
}

/// Writes `text` to `path` with every guarantee of `OutputFiles` (checked against `inputs`).
public func writeAtomically(_ text: String, to path: String, inputs: [String] = []) throws {
  try OutputFiles([OutputFiles.Output(option: "output", path: path)], inputs: inputs).write([text])
}

/// Fixed-precision decimal formatting, independent of the locale; empty for NaN and infinity,
/// and never "-0.0" for a value that rounds to zero.
func decimal(_ value: Double, _ digits: Int) -> String {
  guard value.isFinite else { return "" }
  let text = String(format: "%.\(digits)f", value)
  return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." })
    ? String(text.dropFirst()) : text
}

/// A p- or q-value in 4 significant digits, exponent form when small; empty for NaN.
func scientific(_ value: Double) -> String {
  guard value.isFinite else { return "" }
  return value >= 0.001 || value == 0 ? String(format: "%.4f", value) : String(format: "%.3e", value)
}

/// Milliseconds with their unit ("63.5 ms"); empty for NaN.
func millis(_ value: Double, _ digits: Int = 1) -> String {
  value.isNaN ? "" : decimal(value, digits) + " ms"
}

/// A fraction as a percentage ("99.6%"); empty for NaN.
func percent(_ fraction: Double, _ digits: Int = 1) -> String {
  fraction.isNaN ? "" : decimal(fraction * 100, digits) + "%"
}

/// A signed decimal ("+1.5", "-0.2"); empty for NaN.
func signedDecimal(_ value: Double, _ digits: Int) -> String {
  value.isNaN ? "" : (value >= 0 ? "+" : "") + decimal(value, digits)
}

/// Rows as text columns joined by two spaces. Columns in `leftAligned` are padded on the right
/// (except the last column, which is never padded), the others on the left, as numbers are.
package func alignedColumns(_ rows: [[String]], leftAligned: Set<Int>) -> String {
  guard let width = rows.first?.count else { return "" }
  let widths = (0..<width).map { column in rows.map { $0[column].count }.max() ?? 0 }
  return rows.map { row in
    row.enumerated().map { column, cell in
      let padding = String(repeating: " ", count: widths[column] - cell.count)
      guard leftAligned.contains(column) else { return padding + cell }
      return column == row.count - 1 ? cell : cell + padding
    }.joined(separator: "  ")
  }.joined(separator: "\n") + "\n"
}

/// The answer in one sentence: when the slow batch is not significantly slower, that there is
/// nothing to explain; else the first suspect of the ranking, its milliseconds, its share of the
/// gap and its interval ("best guess" first when nothing is significant). A share above 100%
/// says why (other span keys shrank).
package func verdictSentence(_ analysis: LatencyAnalysis) -> String {
  let gap = analysis.gap
  let gapInterval = gap.low.isNaN ? "" : ", 95% interval [\(decimal(gap.low, 1)), \(decimal(gap.high, 1))] ms"
  guard analysis.isSignificantlySlower else {
    let which = gap.high < 0 ? "faster" : "not significantly slower"
    return "the slow batch is \(which) (gap \(decimal(analysis.gapMillis, 1)) ms\(gapInterval)): nothing to explain"
  }
  guard let top = analysis.suspects.first, top.contribution.value > 0 else {
    return "no span's critical-path time grew: nothing explains the \(decimal(analysis.gapMillis, 1)) ms gap"
  }
  let interval =
    top.contribution.low.isNaN
    ? "" : "; 95% interval [\(decimal(top.contribution.low, 1)), \(decimal(top.contribution.high, 1))] ms"
  let share: String
  let whole = "\(decimal(analysis.sharedGapMillis, 1)) ms \(analysis.isSlowerOnlyWithinEndpoints ? "within-endpoint " : "")gap"
  if top.share <= 1 {
    share = "(\(decimal(top.share * 100, 0))%) of the \(whole)"
  } else {
    let shrunk = -analysis.suspects.reduce(0) { $0 + min($1.contribution.value, 0) }
    share = "of the \(whole), more than all of it (other span keys shrank by "
      + "\(decimal(shrunk, 1)) ms, the endpoint mix moved \(decimal(analysis.endpointMixMillis, 1)) ms)"
  }
  let guess =
    analysis.hasSignificantSuspect
    ? "" : "best guess (nothing significant at q < \(decimal(analysis.falseDiscoveryRate, 2))): "
  return guess + "\(top.name) explains \(decimal(top.contribution.value, 1)) ms \(share)\(interval)"
}

/// The first span keys that grew off the critical path, as every output names them:
/// "email-service SendConfirmation +120.7 ms, ..."; nil when none did.
package func offPathGrowthPhrase(_ analysis: LatencyAnalysis) -> String? {
  let keys = analysis.offPathGrowth.prefix(3).map { "\($0.key) +\(decimal($0.selfTimeGrowth.value, 1)) ms" }
  return keys.isEmpty ? nil : keys.joined(separator: ", ")
}
