import Foundation
import WhyslowFeatures

/// Attribute values beside the suspects: which values are more common, or slower, in the slow
/// batch.
enum AttributeEffects {
  /// For each `attr:KEY=VALUE` column of a span key in `keys` (the explained suspects'):
  /// prevalence in fast and slow traces with a two-proportion
  /// z-test (pooled variance), the self-time the value carries on its span key, and how much
  /// slower the key is with the value in slow than in fast traces (Welch z-test).
  static func attributeEffects(_ matrix: FeatureMatrix, keys: Set<SpanKey>) -> [AttributeEffect] {
    let selfTime = Dictionary(
      matrix.columns.indices.filter { matrix.columns[$0].kind == .selfTime }.map { (matrix.columns[$0].key, $0) },
      uniquingKeysWith: { first, _ in first })
    let slowCount = Double(matrix.isSlow.filter { $0 }.count)
    let fastCount = Double(matrix.traceCount) - slowCount
    struct Moments {
      var count = 0.0, sum = 0.0, squares = 0.0
      mutating func add(_ x: Double) { count += 1; sum += x; squares += x * x }
      var mean: Double { count > 0 ? sum / count : .nan }
      var varianceOfMean: Double { count > 1 ? (squares - sum * sum / count) / (count - 1) / count : .nan }
    }
    var rows: [(FeatureColumn, Double, Double, Double, Double, Double, Double)] = []
    for entry in matrix.attributes.entries where keys.contains(entry.column.key) {
      let column = entry.column
      guard case .attribute = column.kind else { continue }
      let time = selfTime[column.key].map { matrix.column($0) }
      var slowHits = 0.0
      var fastHits = 0.0
      var with = Moments()
      var without = Moments()
      var slowWith = Moments()
      var fastWith = Moments()
      var next = 0  // the entry of the next row that has one (rows ascending)
      for row in 0..<matrix.traceCount {
        var value = 0.0
        if next < entry.rows.count && Int(entry.rows[next]) == row {
          value = entry.values[next]
          next += 1
        }
        let present = value > 0
        if present { if matrix.isSlow[row] { slowHits += 1 } else { fastHits += 1 } }
        guard let time else { continue }
        let t = time[time.startIndex + row]
        if present {
          with.add(t)
          if matrix.isSlow[row] { slowWith.add(t) } else { fastWith.add(t) }
        } else {
          without.add(t)
        }
      }
      let pooled = (slowHits + fastHits) / (slowCount + fastCount)
      let error = (pooled * (1 - pooled) * (1 / slowCount + 1 / fastCount)).squareRoot()
      let prevalenceP = twoSidedPValue(slowHits / slowCount - fastHits / fastCount, standardError: error)
      let slowdown = slowWith.mean - fastWith.mean
      let slowdownError = (slowWith.varianceOfMean + fastWith.varianceOfMean).squareRoot()
      let slowdownP = twoSidedPValue(slowdown, standardError: slowdownError)
      rows.append((column, fastHits / fastCount, slowHits / slowCount, with.mean - without.mean, slowdown, prevalenceP, slowdownP))
    }
    let prevalenceQ = benjaminiHochberg(rows.map(\.5))
    let slowdownQ = benjaminiHochberg(rows.map(\.6))
    return rows.indices.map { index in
      let row = rows[index]
      return AttributeEffect(
        column: row.0, fastPrevalence: row.1, slowPrevalence: row.2, carriedMillis: row.3,
        slowdownWithValueMillis: row.4, prevalenceQValue: prevalenceQ[index], slowdownQValue: slowdownQ[index])
    }
    .sorted {
      (min($0.prevalenceQValue, $0.slowdownQValue), $1.column.key) < (min($1.prevalenceQValue, $1.slowdownQValue), $0.column.key)
    }
  }
}
