import Foundation
import WhyslowIngest

/// One shard's share of an analysis, as `whyslow partial` writes it and `whyslow merge` reads
/// it: the feature options, and per batch read (fast, slow or both) the trace summaries of its
/// whole traces with what reading them counted. Partials combine by concatenating their
/// batches (`whyslow merge --partial`), so merging is associative: a tree of merges gives
/// what one merge of all the leaves gives. A small versioned binary file: a magic line,
/// then little-endian integers, doubles and length-prefixed UTF-8 strings.
public struct Partial: Sendable {
  /// One batch of the shard.
  public struct Batch: Sendable {
    public let summaries: TraceSummaries
    /// Spans read.
    public let spans: Int
    /// What reading repaired or skipped, and the files read.
    public let quality: DataQuality

    public init(summaries: TraceSummaries, spans: Int, quality: DataQuality) {
      self.summaries = summaries
      self.spans = spans
      self.quality = quality
    }
  }

  public static let magic = "whyslow partial 4\n"

  public let options: FeatureOptions
  public let batches: [Batch]

  public init(options: FeatureOptions, batches: [Batch]) {
    self.options = options
    self.batches = batches
  }

  /// The file's bytes.
  public func encoded() -> [UInt8] {
    var out = BinaryWriter()
    out.bytes += Array(Self.magic.utf8)
    out.options(options)
    out.int(batches.count)
    for batch in batches {
      out.int(batch.spans)
      out.quality(batch.quality)
      out.summaries(batch.summaries)
    }
    return out.bytes
  }

  /// Reads a partial file's bytes; `path` names it in errors.
  public init(decoding bytes: [UInt8], path: String) throws {
    var input = BinaryReader(bytes: bytes, path: path)
    guard bytes.starts(with: Array(Self.magic.utf8)) else {
      throw IngestError.malformed(path: path, place: nil, message: "not a whyslow partial (written by `whyslow partial`, version 4)")
    }
    input.offset = Self.magic.utf8.count
    options = try input.options()
    batches = try (0..<input.count(itemBytes: 16)).map { _ in
      let spans = try input.tally()
      let quality = try input.quality()
      return Batch(summaries: try input.summaries(), spans: spans, quality: quality)
    }
    guard input.offset == bytes.count else { throw input.failure("bytes after the last batch") }
  }

  /// The options as bytes: partials merge only when these are equal.
  public var optionsFingerprint: [UInt8] {
    var out = BinaryWriter()
    out.options(options)
    return out.bytes
  }
}

/// Appends little-endian values to a byte array.
private struct BinaryWriter {
  var bytes: [UInt8] = []

  mutating func int(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 } }
  mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }
  mutating func string(_ value: String) {
    let utf8 = Array(value.utf8)
    int(utf8.count)
    bytes += utf8
  }
  /// A count, then the raw little-endian values.
  mutating func array<T: FixedWidthInteger>(_ values: [T]) {
    int(values.count)
    for value in values { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
  }
  mutating func array(_ values: [Double]) { array(values.map(\.bitPattern)) }
  mutating func strings(_ values: [String]) {
    int(values.count)
    for value in values { string(value) }
  }
  mutating func key(_ key: SpanKey?) {
    bool(key != nil)
    guard let key else { return }
    string(key.service)
    string(key.operation)
    string(key.callers)
  }

  mutating func options(_ options: FeatureOptions) {
    bool(options.keepOperationNames)
    bool(options.keyByPath)
    int(options.maxAttributeValues)
    bool(options.dropConstantColumns)
    string(options.endpointRule.rawValue)
    int(options.maxSpanKeys)
    int(options.maxPathDepth)
    int(options.maxNameLength)
  }

  mutating func quality(_ quality: DataQuality) {
    int(quality.files.count)
    for file in quality.files {
      string(file.path)
      string(file.format.rawValue)
    }
    for count in quality.counts { int(count.value) }
    strings(quality.notes)
  }

  mutating func summaries(_ summaries: TraceSummaries) {
    bool(summaries.isSlow)
    int(summaries.keys.count)
    for key in summaries.keys { self.key(key) }
    // Only the strings the ids below name (a table's strings hold every trace id and name too).
    var position = [Int32](repeating: -1, count: summaries.strings.count)
    var used: [String] = []
    func kept(_ ids: [Int32]) -> [Int32] {
      ids.map { id in
        guard id >= 0 else { return id }
        if position[Int(id)] < 0 {
          position[Int(id)] = Int32(used.count)
          used.append(summaries.strings[Int(id)])
        }
        return position[Int(id)]
      }
    }
    let callees = kept(summaries.calls.callee)
    let names = kept(summaries.attributes.name)
    let values = kept(summaries.attributes.value)
    strings(used)
    strings(summaries.traceIDs)
    array(summaries.latencyMillis)
    // Entry-point keys once each, then each trace's by position (-1: none).
    var endpointIndex: [SpanKey: Int32] = [:]
    var endpointKeys: [SpanKey] = []
    let endpoints = [summaries.rootKeys.map { Optional($0) }, summaries.routeKeys, summaries.serverKeys].map { keys in
      keys.map { key -> Int32 in
        guard let key else { return -1 }
        return endpointIndex[key] ?? {
          endpointKeys.append(key)
          endpointIndex[key] = Int32(endpointKeys.count - 1)
          return Int32(endpointKeys.count - 1)
        }()
      }
    }
    int(endpointKeys.count)
    for key in endpointKeys { self.key(key) }
    for column in endpoints { array(column) }
    let cells = summaries.cells
    array(cells.row)
    array(cells.key)
    for column in [
      cells.selfMillis, cells.criticalMillis, cells.count, cells.waitMillis, cells.errors, cells.startOffsetMillis,
      cells.depth,
    ] { array(column) }
    array(summaries.calls.row)
    array(summaries.calls.key)
    array(callees)
    array(summaries.calls.gapMillis)
    array(summaries.calls.criticalMillis)
    let attributes = summaries.attributes
    array(attributes.row)
    array(attributes.key)
    array(names)
    array(values)
    array(attributes.number)
    array(attributes.type.map(\.rawValue))
    array(summaries.parentPairs.map(\.key))
    array(summaries.parentPairs.map(\.parent))
    array(summaries.parentPairs.map { Int64($0.count) })
  }
}

/// Reads what `BinaryWriter` wrote, failing with the file and byte offset where the data
/// does not fit (truncated, or a count or id out of range) rather than trapping.
private struct BinaryReader {
  let bytes: [UInt8]
  let path: String
  var offset = 0

  init(bytes: [UInt8], path: String) {
    self.bytes = bytes
    self.path = path
  }

  func failure(_ what: String) -> IngestError {
    IngestError.malformed(path: path, place: "byte \(offset)", message: "partial file: \(what)")
  }

  mutating func raw<T: FixedWidthInteger>(_: T.Type) throws -> T {
    let size = MemoryLayout<T>.size
    guard bytes.count - offset >= size else { throw failure("cut short") }
    var value = T.zero
    withUnsafeMutableBytes(of: &value) { target in
      bytes.withUnsafeBytes { source in
        target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + size]))
      }
    }
    offset += size
    return T(littleEndian: value)
  }

  mutating func int() throws -> Int { Int(try raw(Int64.self)) }

  /// A count of things read (spans, repairs): never negative, and small enough that sums of
  /// many cannot overflow.
  mutating func tally() throws -> Int {
    let value = try int()
    guard value >= 0, value < 1 << 48 else { throw failure("a count of \(value)") }
    return value
  }

  /// A count that fits in what is left of the file (each item takes at least `itemBytes`).
  mutating func count(limit: Int = .max, itemBytes: Int = 1) throws -> Int {
    let count = try int()
    guard count >= 0, count <= limit, count <= (bytes.count - offset) / max(itemBytes, 1) else {
      throw failure("a count of \(count) that does not fit")
    }
    return count
  }

  mutating func bool() throws -> Bool {
    guard offset < bytes.count else { throw failure("cut short") }
    offset += 1
    switch bytes[offset - 1] {
    case 0: return false
    case 1: return true
    default: throw failure("a flag that is neither 0 nor 1")
    }
  }

  mutating func string() throws -> String {
    let length = try count()
    defer { offset += length }
    return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
  }

  mutating func array<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
    let count = try self.count(itemBytes: MemoryLayout<T>.size)
    return try (0..<count).map { _ in try raw(T.self) }
  }

  mutating func doubles() throws -> [Double] { try array(UInt64.self).map(Double.init(bitPattern:)) }

  mutating func strings() throws -> [String] { try (0..<count(itemBytes: 8)).map { _ in try string() } }

  mutating func key() throws -> SpanKey? {
    guard try bool() else { return nil }
    return SpanKey(service: try string(), operation: try string(), callers: try string())
  }

  mutating func options() throws -> FeatureOptions {
    var options = FeatureOptions()
    options.keepOperationNames = try bool()
    options.keyByPath = try bool()
    options.maxAttributeValues = try int()
    options.dropConstantColumns = try bool()
    let rule = try string()
    guard let endpointRule = EndpointRule(rawValue: rule) else { throw failure("an unknown endpoint rule \"\(rule)\"") }
    options.endpointRule = endpointRule
    options.maxSpanKeys = try int()
    options.maxPathDepth = try int()
    options.maxNameLength = try int()
    guard [options.maxAttributeValues, options.maxSpanKeys, options.maxPathDepth, options.maxNameLength].allSatisfy({ $0 >= 1 })
    else { throw failure("feature options out of range") }
    return options
  }

  mutating func quality() throws -> DataQuality {
    var quality = DataQuality()
    quality.files = try (0..<count(itemBytes: 16)).map { _ in
      let path = try string()
      let name = try string()
      guard let format = TraceFormat(rawValue: name) else { throw failure("an unknown format \"\(name)\"") }
      return (path, format)
    }
    quality.duplicateSpans = try tally()
    quality.sharedSpansSplit = try tally()
    quality.orphanSpans = try tally()
    quality.multiRootTraces = try tally()
    quality.spansWithoutTiming = try tally()
    quality.skippedRecords = try tally()
    quality.skewedSpans = try tally()
    quality.worstSkewNanos = Int64(try tally())
    quality.asyncEdges = try tally()
    quality.spansWithoutService = try tally()
    quality.incompleteTraces = try tally()
    quality.reattachedOrphans = try tally()
    quality.notes = try strings()
    return quality
  }

  /// Fails unless every id is in 0..<limit (or -1 with `none`).
  func check(_ ids: [Int32], below limit: Int, allowing none: Bool = false, _ what: String) throws {
    guard ids.allSatisfy({ ($0 >= 0 || (none && $0 == -1)) && Int($0) < limit }) else { throw failure("\(what) out of range") }
  }

  /// Fails unless the columns of one table are equally long.
  func same(_ counts: [Int], _ what: String) throws {
    guard Set(counts).count <= 1 else { throw failure("\(what) of different lengths") }
  }

  mutating func summaries() throws -> TraceSummaries {
    let isSlow = try bool()
    let keys = try (0..<count(itemBytes: 1)).map { _ in
      guard let key = try key() else { throw failure("a span key missing") }
      return key
    }
    let strings = try self.strings()
    let traceIDs = try self.strings()
    let latencyMillis = try doubles()
    guard latencyMillis.count == traceIDs.count else { throw failure("latencies for \(latencyMillis.count) of \(traceIDs.count) traces") }
    let endpointTable = try (0..<count(itemBytes: 1)).map { _ in
      guard let key = try key() else { throw failure("an entry-point key missing") }
      return key
    }
    var endpointKeys: [[SpanKey?]] = []
    for _ in 0..<3 {
      let indices = try array(Int32.self)
      guard indices.count == traceIDs.count else { throw failure("entry points for \(indices.count) of \(traceIDs.count) traces") }
      try check(indices, below: endpointTable.count, allowing: true, "an entry-point key id")
      endpointKeys.append(indices.map { $0 < 0 ? nil : endpointTable[Int($0)] })
    }
    let rootKeys = try endpointKeys[0].map { key -> SpanKey in
      guard let key else { throw failure("a trace without a root key") }
      return key
    }
    var cells = TraceSummaries.Cells()
    cells.row = try array(Int32.self)
    cells.key = try array(Int32.self)
    cells.selfMillis = try doubles()
    cells.criticalMillis = try doubles()
    cells.count = try doubles()
    cells.waitMillis = try doubles()
    cells.errors = try doubles()
    cells.startOffsetMillis = try doubles()
    cells.depth = try doubles()
    var calls = TraceSummaries.Calls()
    calls.row = try array(Int32.self)
    calls.key = try array(Int32.self)
    calls.callee = try array(Int32.self)
    calls.gapMillis = try doubles()
    calls.criticalMillis = try doubles()
    var attributes = TraceSummaries.Occurrences()
    attributes.row = try array(Int32.self)
    attributes.key = try array(Int32.self)
    attributes.name = try array(Int32.self)
    attributes.value = try array(Int32.self)
    attributes.number = try doubles()
    attributes.type = try array(Int8.self).map { raw in
      guard let type = AttributeType(rawValue: raw) else { throw failure("an unknown attribute type \(raw)") }
      return type
    }
    let pairKeys = try array(Int32.self)
    let pairParents = try array(Int32.self)
    let pairCounts = try array(Int64.self)

    // Every id in range, every column as long as its table: a hostile file cannot trap.
    try same(
      [cells.row.count, cells.key.count, cells.selfMillis.count, cells.criticalMillis.count, cells.count.count,
       cells.waitMillis.count, cells.errors.count, cells.startOffsetMillis.count, cells.depth.count], "cell columns")
    try same([calls.row.count, calls.key.count, calls.callee.count, calls.gapMillis.count, calls.criticalMillis.count], "call columns")
    try same(
      [attributes.row.count, attributes.key.count, attributes.name.count, attributes.value.count,
       attributes.number.count, attributes.type.count], "attribute columns")
    try same([pairKeys.count, pairParents.count, pairCounts.count], "parent pair columns")
    try check(cells.row + calls.row + attributes.row, below: traceIDs.count, "a trace row")
    try check(cells.key + calls.key + attributes.key + pairKeys + pairParents, below: keys.count, "a span key id")
    try check(calls.callee + attributes.name, below: strings.count, "a string id")
    try check(attributes.value, below: strings.count, allowing: true, "an attribute value id")
    guard pairCounts.allSatisfy({ $0 >= 0 && $0 < 1 << 48 }) else { throw failure("a parent pair count out of range") }
    return TraceSummaries(
      isSlow: isSlow, keys: keys, strings: strings, traceIDs: traceIDs, latencyMillis: latencyMillis,
      rootKeys: rootKeys, routeKeys: endpointKeys[1], serverKeys: endpointKeys[2], cells: cells, calls: calls,
      attributes: attributes,
      parentPairs: zip(zip(pairKeys, pairParents), pairCounts).map { ($0.0, $0.1, Int($1)) })
  }
}
