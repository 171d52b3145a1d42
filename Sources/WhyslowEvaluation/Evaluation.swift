import Dispatch
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowReports
import WhyslowStatistics

/// One generated case of the evaluation suite.
public struct SuiteCase: Codable, Sendable {
  public var scenario: Scenario
  public var topology: String
  public var seed: UInt64
  public var fast: Int
  public var slow: Int
  public var format: String
  public var effect_ms: Double
  public var noise: Double
  /// The share of spans dropped at random from both batches (absent: none).
  public var missing_spans: Double?

  public init(
    scenario: Scenario, topology: String, seed: UInt64, fast: Int, slow: Int, format: String,
    effect_ms: Double, noise: Double, missing_spans: Double? = nil
  ) {
    self.missing_spans = missing_spans
    self.scenario = scenario
    self.topology = topology
    self.seed = seed
    self.fast = fast
    self.slow = slow
    self.format = format
    self.effect_ms = effect_ms
    self.noise = noise
  }
}

/// The checked-in manifest of the suite (`Datasets/suite.json`).
public struct SuiteManifest: Codable, Sendable {
  public var version: Int
  public var cases: [SuiteCase]

  public init(version: Int, cases: [SuiteCase]) {
    self.version = version
    self.cases = cases
  }
}

/// A real case: fault-free traces as fast, fault traces as slow, and the faulty service.
public struct RealCase: Codable, Sendable {
  public var id: String
  public var fast: [String]
  public var slow: [String]
  public var root_cause_service: String
  public var fault: String
}

/// The real cases' manifest (`Datasets/nezha.json`); paths are relative to its `root`.
public struct RealManifest: Codable, Sendable {
  public var version: Int
  public var root: String
  public var cases: [RealCase]
}

/// How one method ranked one case: the rank of the (last found) cause, nil when not ranked.
public struct MethodOutcome: Sendable {
  public var rank: Int?
}

/// The outcome of one case for whyslow and the two baselines.
public struct CaseOutcome: Sendable {
  public var group: String
  /// What the case was, for the list of misses.
  public var label: String
  /// Causes that must all be named (two for two independent causes).
  public var causeCount: Int
  public var hasCause: Bool
  public var whyslow: MethodOutcome
  public var byDuration: MethodOutcome
  public var bySelfTime: MethodOutcome
  /// Whether whyslow reported a significant suspect.
  public var significant: Bool
  /// Whether the suspect that names the (first) cause is starred; nil when none names it.
  public var culpritStarred: Bool?
  public var seconds: Double
  /// Why the case could not be analysed, if it could not.
  public var failure: String?
}

/// Runs whyslow on cases with known answers and measures how often it names the culprit,
/// beside two naive rankings people use by hand: keys by mean span-duration difference, and
/// keys by mean self-time difference.
public enum Evaluation {
  /// Runs every generated case; traces go to a temporary folder that is removed afterwards.
  public static func run(_ manifest: SuiteManifest, options: AnalysisOptions) throws -> [CaseOutcome] {
    // A folder of this run's own: two runs in one process (tests in parallel) never share it.
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("whyslow-eval-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: scratch) }
    return try manifest.cases.enumerated().map { index, item in
      guard let topology = TopologyKind(rawValue: item.topology),
        let format = TraceFormat(rawValue: item.format)
      else { throw EvaluationError.badCase(index: index, reason: "unknown topology or format") }
      let generated: GeneratedScenario
      do {
        generated = try Generator.generate(
        GeneratorOptions(
          scenario: item.scenario, topology: topology, fastTraces: item.fast, slowTraces: item.slow,
          seed: item.seed, effectMillis: item.effect_ms, noise: item.noise, missingSpans: item.missing_spans ?? 0))
      } catch {
        throw EvaluationError.badCase(index: index, reason: String(describing: error))
      }
      let folder = scratch.appendingPathComponent("case-\(index)")
      try TraceWriter(format: format).write(generated.fast, to: folder.appendingPathComponent("fast"))
      try TraceWriter(format: format).write(generated.slow, to: folder.appendingPathComponent("slow"))
      defer { try? FileManager.default.removeItem(at: folder) }
      let missing = item.missing_spans.map { $0 > 0 ? " \(Int(($0 * 100).rounded()))% spans missing" : "" } ?? ""
      return evaluate(
        group: item.scenario.rawValue + (topology == .mesh ? ", many endpoints" : "")
          + (missing.isEmpty ? "" : ", spans missing"),
        label: "\(item.scenario.rawValue) \(item.topology) \(item.fast)+\(item.slow) \(item.format) effect \(item.effect_ms) ms noise \(item.noise) seed \(item.seed)\(missing)",
        causeCount: max(1, generated.truth.causes.count), hasCause: item.scenario.hasCause,
        fast: [folder.appendingPathComponent("fast").path],
        slow: [folder.appendingPathComponent("slow").path], options: options
      ) { rows, keys, _ in
        rankOfCauses(generated.truth.causes, suspects: rows, keys: keys)
      } isCulprit: { row in
        generated.truth.causes.first?.contains { row.matches($0) } ?? false
      }
    }
  }

  /// Runs the real cases, service-level: the team an SRE pages is read from the `by service:`
  /// line (services by their suspects' summed growth; a network gap counts for its callee),
  /// then the services of the CSV's other suspect rows in order; the faulty service's place in
  /// that order is the rank. A baseline's services are those of its keys in order.
  public static func run(_ manifest: RealManifest, options: AnalysisOptions) -> [CaseOutcome] {
    manifest.cases.map { item in
      let path = { (relative: String) in (manifest.root as NSString).appendingPathComponent(relative) }
      return evaluate(
        group: "real: \(item.fault)", label: "\(item.id) (\(item.root_cause_service))", causeCount: 1,
        hasCause: true, fast: item.fast.map(path), slow: item.slow.map(path),
        options: options
      ) { rows, keys, services in
        var seen: [String] = []
        for service in services + rows.map(\.service) + keys.map(\.service) where !seen.contains(service) {
          seen.append(service)
        }
        return seen.firstIndex(of: item.root_cause_service).map { $0 + 1 }
      } isCulprit: { row in
        row.service == item.root_cause_service
      }
    }
  }

  /// Analyses one case; `rank` maps whyslow's ranking as its CSV export reads and its services
  /// line (with no keys), or a baseline's ranked keys (with no rows or services), to the rank of
  /// the truth.
  private static func evaluate(
    group: String, label: String, causeCount: Int, hasCause: Bool, fast: [String], slow: [String], options: AnalysisOptions,
    rank: (_ rows: [RankedSuspect], _ keys: [SpanKey], _ services: [String]) -> Int?, isCulprit: (RankedSuspect) -> Bool
  ) -> CaseOutcome {
    let start = DispatchTime.now().uptimeNanoseconds
    do {
      let fastTable = try TraceReader.read(paths: fast)
      let slowTable = try TraceReader.read(paths: slow)
      let matrix = FeatureMatrix(fast: fastTable, slow: slowTable)
      let analysis = try ContributionAnalysis.analyze(matrix, options: options)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      let rows = RankedSuspect.rows(ofCSV: CSVExporter().render(analysis))
      // The CSV's suspect rows are the analysis's suspects, in order.
      let culprit = rows.firstIndex(where: isCulprit).map { analysis.suspects[$0].isSignificant }
      return CaseOutcome(
        group: group, label: label, causeCount: causeCount, hasCause: hasCause,
        whyslow: MethodOutcome(rank: rank(rows, [], analysis.services.map(\.service))),
        byDuration: MethodOutcome(rank: rank([], Baselines.byMeanSpanDuration(fastTable, slowTable), [])),
        bySelfTime: MethodOutcome(rank: rank([], Baselines.byMeanSelfTime(matrix), [])),
        significant: analysis.hasSignificantSuspect, culpritStarred: culprit, seconds: seconds, failure: nil)
    } catch {
      return CaseOutcome(
        group: group, label: label, causeCount: causeCount, hasCause: hasCause,
        whyslow: MethodOutcome(rank: nil),
        byDuration: MethodOutcome(rank: nil), bySelfTime: MethodOutcome(rank: nil),
        significant: false, culpritStarred: nil, seconds: 0, failure: String(describing: error))
    }
  }

  /// The rank by which every cause has been named (nil if one never is): a cause is named by
  /// the first suspect matching any of its culprits.
  static func rankOfCauses(_ causes: [[Culprit]], suspects: [RankedSuspect], keys: [SpanKey]) -> Int? {
    guard !causes.isEmpty else { return nil }
    let ranks = causes.map { culprits -> Int? in
      if !suspects.isEmpty {
        return suspects.firstIndex { suspect in culprits.contains { suspect.matches($0) } }.map { $0 + 1 }
      }
      return keys.firstIndex { key in
        culprits.contains { $0.service == key.service && ($0.operation.isEmpty || $0.operation == key.operation) }
      }.map { $0 + 1 }
    }
    guard ranks.allSatisfy({ $0 != nil }) else { return nil }
    return ranks.compactMap { $0 }.max()
  }
}

/// A suspect row of the exported CSV, as the evaluation matches it: what a user acting on the
/// export reads.
struct RankedSuspect {
  /// `suspect_service`: the service the suspect is charged to (the callee for a network gap).
  let service: String
  let key: SpanKey
  let callee: String?

  /// The `level` = `suspect` rows of a CSV document in order.
  static func rows(ofCSV document: String) -> [RankedSuspect] {
    let records = parseCSV(document)
    guard let header = records.first else { return [] }
    let column = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    guard let level = column["level"], let service = column["service"], let operation = column["operation"],
      let feature = column["feature"], let peer = column["peer_service"], let charged = column["suspect_service"]
    else { return [] }
    return records.dropFirst().filter { $0.count == header.count && $0[level] == "suspect" }.map { row in
      RankedSuspect(
        service: row[charged], key: SpanKey(service: row[service], operation: row[operation]),
        callee: row[feature] == "network_gap" ? row[peer] : nil)
    }
  }

  func matches(_ culprit: Culprit) -> Bool {
    culprit.operation.isEmpty
      ? callee == culprit.service
      : key.service == culprit.service && key.operation == culprit.operation
  }
}

/// RFC 4180 records: fields split at commas outside quotes, doubled quotes unescaped.
func parseCSV(_ document: String) -> [[String]] {
  var records: [[String]] = []
  var record: [String] = []
  var field = ""
  var quoted = false
  var characters = document.makeIterator()
  var pending: Character? = nil
  while let character = pending ?? characters.next() {
    pending = nil
    if quoted {
      if character == "\"" {
        let next = characters.next()
        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
      } else {
        field.append(character)
      }
    } else if character == "\"" {
      quoted = true
    } else if character == "," {
      record.append(field)
      field = ""
    } else if character == "\n" {
      record.append(field)
      records.append(record)
      (record, field) = ([], "")
    } else {
      field.append(character)
    }
  }
  if !field.isEmpty || !record.isEmpty { records.append(record + [field]) }
  return records
}

/// The rankings people make by hand.
enum Baselines {
  /// Keys by (mean span duration in slow) − (mean span duration in fast), largest first.
  static func byMeanSpanDuration(_ fast: SpanTable, _ slow: SpanTable) -> [SpanKey] {
    let normalizer = OperationNormalizer()
    func means(_ table: SpanTable) -> [SpanKey: Double] {
      var sums: [SpanKey: (Double, Double)] = [:]
      var names: [Int32: String] = [:]
      for span in 0..<table.spanCount {
        let operation = names[table.operation[span]] ?? normalizer.normalize(table.strings[Int(table.operation[span])])
        names[table.operation[span]] = operation
        let key = SpanKey(service: table.strings[Int(table.service[span])], operation: operation)
        let sum = sums[key] ?? (0, 0)
        sums[key] = (sum.0 + Double(table.durationNanos[span]), sum.1 + 1)
      }
      return sums.mapValues { $0.0 / $0.1 }
    }
    let fastMeans = means(fast)
    let slowMeans = means(slow)
    return slowMeans.map { ($0.key, $0.value - (fastMeans[$0.key] ?? 0)) }
      .sorted { ($0.1, $1.0) > ($1.1, $0.0) }.map(\.0)
  }

  /// Keys by the difference of mean per-trace self-time, largest first.
  static func byMeanSelfTime(_ matrix: FeatureMatrix) -> [SpanKey] {
    let slow = matrix.isSlow
    let slowCount = Double(slow.filter { $0 }.count)
    let fastCount = Double(slow.count) - slowCount
    return matrix.columns.indices.filter { matrix.columns[$0].kind == .selfTime }
      .map { column -> (SpanKey, Double) in
        var difference = 0.0
        for (row, value) in matrix.column(column).enumerated() {
          difference += slow[row] ? value / slowCount : -value / fastCount
        }
        return (matrix.columns[column].key, difference)
      }
      .sorted { ($0.1, $1.0) > ($1.1, $0.0) }.map(\.0)
  }
}

/// Problems with an evaluation manifest.
public enum EvaluationError: Error, CustomStringConvertible {
  case badCase(index: Int, reason: String)

  public var description: String {
    switch self {
    case .badCase(let index, let reason): return "suite case \(index): \(reason)"
    }
  }
}
