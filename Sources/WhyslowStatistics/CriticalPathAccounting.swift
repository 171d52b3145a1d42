import WhyslowFeatures
import WhyslowLinalg

/// Stage 2, the exact accounting: critical-path times partition each trace's latency, so the
/// stratified differences of their means over candidates sum to the within-endpoint gap
/// exactly. A candidate is a span key, or, for a client key that calls more than one callee,
/// the key's calls to one callee, split off the key's time so
/// that every network suspect is one caller-to-callee edge whose milliseconds go to one team.
/// What is left of a split key (its spans with no callee, calls to callees past the caps) stays
/// a candidate of its own. A candidate whose growth is mostly the growth of its network gap to
/// one callee is "network to CALLEE from KEY", charged to the callee.
struct CriticalPathAccounting {
  /// At most this many callees of one key get a candidate of their own (those whose calls
  /// changed most); the rest stay with the key.
  static let calleesPerKey = 32
  /// At most this many call candidates in all: each is a dense column, and a generic client
  /// operation in a large mesh calls dozens of services. Keys are split in the order of their
  /// largest call growth.
  static let callCandidates = 128

  /// One suspect before inference.
  struct Candidate {
    let key: SpanKey
    /// The callee whose calls this candidate holds, when the key is split by callee; nil for a
    /// whole key, or what is left of a split one.
    let calls: String?
    /// The callee when the growth is mostly the network gap to it.
    let callee: String?

    /// "service operation", "network to CALLEE from service operation", or
    /// "service operation → CALLEE" (the calls to one callee whose growth is not network).
    var name: String {
      if let callee { return "network to \(callee) from \(key)" }
      if let calls { return "\(key) → \(calls)" }
      return key.description
    }
    var service: String { callee ?? key.service }
  }

  let candidates: [Candidate]
  /// Rows × candidates: critical-path time, ms.
  let values: Matrix
  /// Each candidate's within-endpoint difference of means, ms.
  let growth: [Double]

  init(_ matrix: FeatureMatrix, _ strata: Strata) {
    let critical = matrix.columns.indices.filter { matrix.columns[$0].kind == .criticalTime }
    let keyGrowth = strata.differences(Matrix(rows: matrix.traceCount, columns: critical.count, values: matrix.columnMajor(critical)))
    var gapGrowth: [FeatureColumn: Double] = [:]
    for (column, growth) in zip(matrix.networkGaps.columns, strata.differences(matrix.networkGaps)) {
      gapGrowth[FeatureColumn(key: column.key, kind: .criticalTime, peerService: column.peerService)] = growth
    }
    let callGrowth = strata.differences(matrix.calls)
    let split = Self.splitCalls(matrix, callGrowth, keys: Set(critical.map { matrix.columns[$0].key }))

    // A candidate is named for the network when its growth is mostly the gap to one callee.
    func network(_ growth: Double, _ gaps: [(callee: String, growth: Double)]) -> String? {
      guard growth > 0, let best = gaps.max(by: { ($0.growth, $1.callee) < ($1.growth, $0.callee) }),
        best.growth >= 0.5 * growth
      else { return nil }
      return best.callee
    }
    var keyGaps: [SpanKey: [(callee: String, growth: Double)]] = [:]
    for (column, growth) in gapGrowth { keyGaps[column.key, default: []].append((column.peerService, growth)) }

    var candidates: [Candidate] = []
    var columns: [[Double]] = []
    var growth: [Double] = []
    let n = matrix.traceCount
    for (position, column) in critical.enumerated() {
      let key = matrix.columns[column].key
      guard let calls = split[key] else {
        candidates.append(Candidate(key: key, calls: nil, callee: network(keyGrowth[position], keyGaps[key] ?? [])))
        columns.append(Array(matrix.column(column)))
        growth.append(keyGrowth[position])
        continue
      }
      var rest = Array(matrix.column(column))
      var restGrowth = keyGrowth[position]
      for call in calls {
        let entry = matrix.calls.entries[call]
        let callee = entry.column.peerService
        for (row, value) in zip(entry.rows, entry.values) { rest[Int(row)] -= value }
        restGrowth -= callGrowth[call]
        let gap = gapGrowth[entry.column].map { [(callee, $0)] } ?? []
        candidates.append(Candidate(key: key, calls: callee, callee: network(callGrowth[call], gap)))
        columns.append(entry.dense(rows: n))
        growth.append(callGrowth[call])
      }
      // What is left: spans with no callee and calls to callees past the cap; never named for
      // the network, which would mix callees again.
      if rest.contains(where: { abs($0) > 1e-9 }) {
        candidates.append(Candidate(key: key, calls: nil, callee: nil))
        columns.append(rest)
        growth.append(restGrowth)
      }
    }
    self.candidates = candidates
    values = Matrix(rows: n, columns: columns.count, values: columns.flatMap { $0 })
    self.growth = growth
  }

  /// The call columns (indices into `matrix.calls`) each split key (of `keys`) gets a candidate for: a key
  /// is split when it calls more than one callee (one callee is one team already, and a split
  /// would only add a test); up to `calleesPerKey` callees each, largest change first, and
  /// `callCandidates` in all.
  private static func splitCalls(_ matrix: FeatureMatrix, _ growth: [Double], keys: Set<SpanKey>) -> [SpanKey: [Int]] {
    let byKey = Dictionary(grouping: matrix.calls.entries.indices, by: { matrix.calls.entries[$0].column.key })
    var wanted: [(key: SpanKey, calls: [Int], largest: Double)] = []
    for (key, calls) in byKey where calls.count > 1 && keys.contains(key) {
      let ordered = calls.sorted {
        (abs(growth[$0]), matrix.calls.entries[$1].column.peerService)
          > (abs(growth[$1]), matrix.calls.entries[$0].column.peerService)
      }.prefix(calleesPerKey)
      wanted.append((key, Array(ordered), abs(growth[ordered[ordered.startIndex]])))
    }
    var result: [SpanKey: [Int]] = [:]
    var budget = callCandidates
    for entry in wanted.sorted(by: { ($0.largest, $1.key) > ($1.largest, $0.key) }) where entry.calls.count <= budget {
      budget -= entry.calls.count
      // In callee order, so that candidates come out the same whatever the growth.
      result[entry.key] = entry.calls.sorted {
        matrix.calls.entries[$0].column.peerService < matrix.calls.entries[$1].column.peerService
      }
    }
    return result
  }

  /// The callees split off each split key: their network gaps belong to their own candidates.
  var splitCallees: [SpanKey: Set<String>] {
    candidates.reduce(into: [:]) { split, candidate in
      if let callee = candidate.calls { split[candidate.key, default: []].insert(callee) }
    }
  }

  /// The critical-path times of a suspect's candidate, row by row; nil for a name no candidate has.
  func criticalTimes(of suspect: Suspect) -> ArraySlice<Double>? {
    candidates.firstIndex { $0.name == suspect.name }.map { values.column($0) }
  }

  /// Each key's growth: the summed growth of its candidates.
  var keyGrowth: [SpanKey: Double] {
    var total: [SpanKey: Double] = [:]
    for (candidate, growth) in zip(candidates, growth) { total[candidate.key, default: 0] += growth }
    return total
  }
}
