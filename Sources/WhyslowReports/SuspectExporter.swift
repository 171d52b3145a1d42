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

  public var description: String {
    switch self {
    case .cannotWrite(let path, let reason): return "\(path): cannot write: \(reason)"
    }
  }
}

/// Writes `text` to `path` atomically: into a temporary file beside it, then renamed over it,
/// so a reader never sees half a file and a failed write leaves the old file intact.
public func writeAtomically(_ text: String, to path: String) throws {
  do {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
  } catch {
    throw OutputError.cannotWrite(path: path, reason: error.localizedDescription)
  }
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
