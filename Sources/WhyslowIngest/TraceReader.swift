import CWhyslowCore
import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A problem with the input files; the message names the file and the place.
public enum IngestError: Error, Equatable, CustomStringConvertible {
  /// The path does not exist or cannot be read.
  case cannotRead(path: String, reason: String)
  /// A directory holds no trace files.
  case noTraceFiles(directory: String)
  /// A file (or standard input, or a file's decompressed data) is larger than the limit.
  case tooLarge(path: String, limit: Int)
  /// A file is not valid or not a supported trace shape; `place` says where
  /// ("12:5" for line 12, column 5, or "byte 300 of the decompressed data"), nil when unknown.
  case malformed(path: String, place: String?, message: String)

  public var description: String { terminalSafe(text) }

  private var text: String {
    switch self {
    case .cannotRead(let path, let reason):
      return "\(path): cannot read: \(reason)"
    case .noTraceFiles(let directory):
      return
        "\(directory): no trace files in this directory (looked for *.json, *.jsonl, *.ndjson, "
        + "*.csv, *.binpb, *.pb, optionally .gz or .zst)"
    case .tooLarge(let path, let limit):
      return "\(path): more than \(limit) bytes (--max-input-bytes raises the limit)"
    case .malformed(let path, let place?, let message):
      return "\(path):\(place): \(message)"
    case .malformed(let path, nil, let message):
      return "\(path): \(message)"
    }
  }
}

/// How to read trace files.
public struct ReadOptions: Sendable {
  /// The format of every file, or nil to detect each file's format from its content.
  public var format: TraceFormat?
  /// Hand mapping of CSV columns, e.g. `trace=TraceID,span=SpanID,service=PodName`.
  public var csvColumns: String?
  /// Files parsed at the same time (each in a table of its own, appended in path order).
  public var parallelFiles: Int
  /// The most bytes one input may hold: a file, standard input, or a gzip file's inflated
  /// data. A larger input is an error before its memory is taken, never a crash.
  public var maxInputBytes: Int

  /// 4 GiB: above the largest trace exports seen, below what a laptop can hold twice.
  public static let defaultMaxInputBytes = 4 << 30
  /// Traces with more spans than this are left out (and counted): one runaway trace (a loop
  /// that logs a span per iteration) must not dominate memory or the analysis.
  public var maxSpansPerTrace = 1_000_000
  /// Whether a file that cannot be read is skipped (counted and named in the notes) instead of
  /// failing the whole read; a path given as a file is never skipped, only files found in a
  /// directory.
  public var skipUnreadable = false
  /// Distinct values of one attribute key recorded per file; further values are counted as
  /// unrecorded (by then the attribute is an id), so each costs one hash probe, no copy.
  public var maxDistinctValues = 1_024

  public init(
    format: TraceFormat? = nil, csvColumns: String? = nil, parallelFiles: Int = 2,
    maxInputBytes: Int = defaultMaxInputBytes
  ) {
    self.format = format
    self.csvColumns = csvColumns
    self.parallelFiles = max(1, parallelFiles)
    self.maxInputBytes = maxInputBytes
  }
}

/// Reads trace files into one linked `SpanTable`.
///
/// Each path is a file, `-` for standard input, or a directory searched recursively for
/// trace files, read in sorted path order so that the same inputs always give the same table.
/// Formats are detected per file (Jaeger, OTLP, Zipkin, CSV; any of them gzip- or
/// zstd-compressed).
/// Spans of one trace may spread over many files: they are joined by trace id. Files are
/// parsed `parallelFiles` at a time; only the span table grows with the input.
public enum TraceReader {
  /// Reads every file under `paths` into one batch.
  public static func read(paths: [String], options: ReadOptions = ReadOptions()) throws
    -> SpanTable
  {
    let batch = try CoreSpanTable()
    let found = try paths.map { (named: $0, files: try traceFiles(under: $0)) }
    let files = found.flatMap(\.files)
    let givenFiles = Set(found.filter { $0.files == [$0.named] }.map(\.named))
    var formats: [(path: String, format: TraceFormat)] = []
    var skipped: [String] = []
    for window in stride(from: 0, to: files.count, by: options.parallelFiles) {
      let group = Array(files[window..<min(window + options.parallelFiles, files.count)])
      let parsed = parseConcurrently(group, options)
      for (file, result) in zip(group, parsed) {
        switch result {
        case .success(let (table, format)):
          try batch.append(table)
          formats.append((file, format))
        case .failure(let error as IngestError) where options.skipUnreadable && !givenFiles.contains(file):
          skipped.append(error.description)
        case .failure(let error):
          throw error
        }
      }
    }
    if formats.isEmpty, let first = skipped.first {
      throw IngestError.cannotRead(path: paths.joined(separator: " "), reason: "no file could be read; the first: \(first)")
    }
    batch.link(threads: options.parallelFiles)
    var table = batch.columns()
    table.quality.files = formats
    if !skipped.isEmpty {
      table.quality.notes.append(
        "\(skipped.count) of \(files.count) files unreadable, skipped (--skip-unreadable): "
          + skipped.joined(separator: "; "))
    }
    var spans = [Int](repeating: 0, count: table.traceCount)
    for trace in table.traceIndex { spans[Int(trace)] += 1 }
    let oversized = spans.filter { $0 > options.maxSpansPerTrace }.count
    if oversized > 0 {
      table = table.traces(where: spans.map { $0 <= options.maxSpansPerTrace })
      table.quality.notes.append(
        "\(oversized) traces with more than \(options.maxSpansPerTrace) spans left out (--max-spans-per-trace raises the limit)")
    }
    return table
  }

  /// Writes the spans of every file under `paths` to `descriptor` as span records, file after
  /// file, before parent linking (a trace's spans may lie in several files): a shuffle by trace
  /// id can then regroup them into whole traces for `whyslow partial`. Returns the files read.
  public static func writeSpanRecords(paths: [String], options: ReadOptions = ReadOptions(), to descriptor: Int32)
    throws -> [(path: String, format: TraceFormat)]
  {
    var formats: [(path: String, format: TraceFormat)] = []
    let files = try paths.flatMap(traceFiles(under:))
    let header = Array(WSL_SPAN_RECORDS_MAGIC.utf8)
    guard header.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == header.count else {
      throw IngestError.cannotRead(path: "-", reason: "cannot write span records: \(String(cString: strerror(errno)))")
    }
    for file in files {
      let (table, format) = try parse(file: file, options)
      guard wsl_span_table_write_records(table.handle, descriptor) == WSL_OK else {
        throw IngestError.cannotRead(path: file, reason: "cannot write its span records: \(String(cString: strerror(errno)))")
      }
      formats.append((file, format))
    }
    return formats
  }

  /// Parses each file into a table of its own, concurrently; results in input order.
  private static func parseConcurrently(_ files: [String], _ options: ReadOptions)
    -> [Result<(CoreSpanTable, TraceFormat), any Error>]
  {
    let results = ConcurrentSlots<Result<(CoreSpanTable, TraceFormat), any Error>>(count: files.count)
    DispatchQueue.concurrentPerform(iterations: files.count) { index in
      results.set(index, Result { try parse(file: files[index], options) })
    }
    return results.values.map { $0 ?? .failure(IngestError.cannotRead(path: "-", reason: "not parsed")) }
  }

  private static func parse(file: String, _ options: ReadOptions) throws -> (
    CoreSpanTable, TraceFormat
  ) {
    let bytes = try FileBytes(file, limit: options.maxInputBytes)
    let table = try CoreSpanTable()
    wsl_span_table_set_value_limit(table.handle, Int32(clamping: options.maxDistinctValues))
    let format = try table.parse(bytes, named: file, options)
    return (table, format)
  }

  /// The trace files a path stands for, sorted.
  public static func traceFiles(under path: String) throws -> [String] {
    if path == "-" { return [path] }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw IngestError.cannotRead(path: path, reason: "no such file or directory")
    }
    guard isDirectory.boolValue else { return [path] }
    guard let walker = FileManager.default.enumerator(atPath: path) else {
      throw IngestError.cannotRead(path: path, reason: "cannot list the directory")
    }
    let suffixes = [".json", ".jsonl", ".ndjson", ".csv", ".binpb", ".pb"].flatMap { [$0, $0 + ".gz", $0 + ".zst"] }
    let files = walker.compactMap { $0 as? String }
      .filter { name in suffixes.contains { name.lowercased().hasSuffix($0) } }
      .map { (path as NSString).appendingPathComponent($0) }
      .sorted()
    guard !files.isEmpty else { throw IngestError.noTraceFiles(directory: path) }
    return files
  }
}

/// A file's bytes (standard input for `-`), refused beyond `limit` bytes before they are read,
/// with at least 64 readable bytes after them so the JSON readers parse in place (simdjson's
/// padding). A regular file is mapped from the page cache, without a copy; standard input, a
/// pipe, or a file that cannot be mapped is read.
private final class FileBytes {
  private var mapped = wsl_mapped_file()
  private var read: [UInt8] = []

  init(_ file: String, limit: Int) throws {
    let descriptor = file == "-" ? STDIN_FILENO : open(file, O_RDONLY)
    guard descriptor >= 0 else { throw IngestError.cannotRead(path: file, reason: String(cString: strerror(errno))) }
    defer { if descriptor != STDIN_FILENO { close(descriptor) } }
    var status = stat()
    let isRegular = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    let size = isRegular ? Int(status.st_size) : 0
    guard size <= limit else { throw IngestError.tooLarge(path: file, limit: limit) }
    if isRegular && size > 0 && wsl_map_file(descriptor, file, size, &mapped) == 0 { return }
    read = try Self.readAll(descriptor, named: file == "-" ? "standard input" : file, sizeHint: size, limit: limit)
  }

  deinit { wsl_unmap_file(&mapped) }

  /// The bytes and how many bytes from their start may be read (at least 64 more).
  func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>, _ readable: Int) throws -> Result) rethrows -> Result {
    if let base = mapped.bytes {
      return try body(
        UnsafeBufferPointer(start: UnsafeRawPointer(base).assumingMemoryBound(to: UInt8.self), count: mapped.length),
        mapped.readable)
    }
    let readable = read.capacity
    return try read.withUnsafeBufferPointer { try body($0, readable) }
  }

  /// Reads to the end straight into the returned array (64 bytes of its capacity left spare),
  /// doubling it as needed but never past `limit` + 1 bytes: one byte more than the limit is
  /// enough to refuse the input, before its memory is taken.
  private static func readAll(_ descriptor: Int32, named name: String, sizeHint: Int, limit: Int) throws -> [UInt8] {
    var bytes = [UInt8]()
    let ceiling = limit < Int.max / 4 ? limit + 1 + 64 : Int.max / 4
    var capacity = min(max(sizeHint, 1 << 16) + 64, ceiling)
    while true {
      var failure: Int32 = 0
      var ended = false
      let previous = bytes
      bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
        previous.withUnsafeBufferPointer { source in
          if let from = source.baseAddress { buffer.baseAddress!.update(from: from, count: source.count) }
        }
        initialized = previous.count
        while initialized + 64 < capacity {
          let got = Glibc.read(descriptor, buffer.baseAddress! + initialized, capacity - 64 - initialized)
          if got < 0 && errno == EINTR { continue }
          if got < 0 { failure = errno; return }
          if got == 0 { ended = true; return }
          initialized += got
        }
      }
      if failure != 0 { throw IngestError.cannotRead(path: name, reason: String(cString: strerror(failure))) }
      guard bytes.count <= limit else { throw IngestError.tooLarge(path: name, limit: limit) }
      if ended { return bytes }
      capacity = min(2 * capacity, ceiling)
    }
  }
}

/// Owns one native span table handle and frees it when released.
private final class CoreSpanTable: @unchecked Sendable {
  let handle: OpaquePointer

  init() throws {
    var created: OpaquePointer?
    guard wsl_span_table_create(&created) == WSL_OK, let created else {
      throw IngestError.cannotRead(path: "-", reason: "out of memory")
    }
    handle = created
  }

  deinit { wsl_span_table_free(handle) }

  /// Parses one file's bytes into this table; returns the format read.
  func parse(_ file: FileBytes, named path: String, _ options: ReadOptions) throws -> TraceFormat {
    var detected = WSL_FORMAT_AUTO
    let requested = options.format.map(\.coreFormat) ?? WSL_FORMAT_AUTO
    return try file.withBytes { bytes, readable in
      let status = wsl_parse(
        handle, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), bytes.count, readable,
        requested, options.csvColumns, options.maxInputBytes, &detected)
      if status == WSL_ERROR_LIMIT { throw IngestError.tooLarge(path: path, limit: options.maxInputBytes) }
      guard status == WSL_OK else {
        let place = String(cString: wsl_span_table_error_place(handle))
        throw IngestError.malformed(
          path: path, place: place.isEmpty ? nil : place, message: String(cString: wsl_span_table_error(handle)))
      }
      for index in 0..<wsl_span_table_warning_count(handle) {
        let place = String(cString: wsl_span_table_warning_place(handle, index))
        let note = "\(path):\(place): \(String(cString: wsl_span_table_warning(handle, index)))"
        wsl_span_table_add_note(handle, note)
      }
      return TraceFormat(coreFormat: detected) ?? .jaeger
    }
  }

  /// Moves `other`'s spans to the end of this table (`other` is left empty).
  func append(_ other: CoreSpanTable) throws {
    guard wsl_span_table_append(handle, other.handle) == WSL_OK else {
      throw IngestError.cannotRead(path: "-", reason: "out of memory")
    }
  }

  /// Links parents on up to `threads` threads.
  func link(threads: Int) { wsl_span_table_link(handle, Int32(clamping: threads)) }

  /// Copies every column out of the native table.
  func columns() -> SpanTable {
    let spans = Int(wsl_span_table_span_count(handle))
    let traces = Int(wsl_span_table_trace_count(handle))
    let attributeCount = Int(wsl_span_table_attribute_count(handle))
    let strings = (0..<Int32(wsl_span_table_string_count(handle))).map { index in
      var length = 0
      let pointer = wsl_span_table_string(handle, index, &length)
      return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
    let attributes = AttributeTable(
      span: copy(attributeCount) { wsl_span_table_copy_attribute_span(handle, $0) },
      key: copy(attributeCount) { wsl_span_table_copy_attribute_key(handle, $0) },
      text: copy(attributeCount) { wsl_span_table_copy_attribute_text(handle, $0) },
      number: copy(attributeCount) { wsl_span_table_copy_attribute_number(handle, $0) },
      type: copy(attributeCount) { (out: UnsafeMutablePointer<Int8>) in
        wsl_span_table_copy_attribute_type(handle, out)
      }.map { AttributeType(rawValue: $0) ?? .string },
      timeNanos: copy(attributeCount) { wsl_span_table_copy_attribute_time(handle, $0) })
    return SpanTable(
      traceIndex: copy(spans) { wsl_span_table_copy_trace_index(handle, $0) },
      parentIndex: copy(spans) { wsl_span_table_copy_parent_index(handle, $0) },
      edgeKind: copy(spans) { (out: UnsafeMutablePointer<Int8>) in
        wsl_span_table_copy_edge_kind(handle, out)
      }.map { EdgeKind(rawValue: $0) ?? .none },
      spanKind: copy(spans) { (out: UnsafeMutablePointer<Int8>) in
        wsl_span_table_copy_span_kind(handle, out)
      }.map { SpanKind(rawValue: $0) ?? .unspecified },
      service: copy(spans) { wsl_span_table_copy_service(handle, $0) },
      operation: copy(spans) { wsl_span_table_copy_operation(handle, $0) },
      startNanos: copy(spans) { wsl_span_table_copy_start_nanos(handle, $0) },
      durationNanos: copy(spans) { wsl_span_table_copy_duration_nanos(handle, $0) },
      isError: copy(spans) { (out: UnsafeMutablePointer<Int8>) in
        wsl_span_table_copy_error(handle, out)
      }.map { $0 != 0 },
      attributes: attributes,
      traceIDs: copy(traces) { wsl_span_table_copy_trace_id(handle, $0) },
      strings: strings,
      quality: quality())
  }

  private func quality() -> DataQuality {
    let core = wsl_span_table_quality(handle)
    var quality = DataQuality()
    quality.duplicateSpans = Int(core.duplicate_spans)
    quality.sharedSpansSplit = Int(core.shared_spans_split)
    quality.orphanSpans = Int(core.orphan_spans)
    quality.multiRootTraces = Int(core.multi_root_traces)
    quality.spansWithoutTiming = Int(core.spans_without_timing)
    quality.skippedRecords = Int(core.skipped_records)
    quality.skewedSpans = Int(core.skewed_spans)
    quality.worstSkewNanos = core.worst_skew_nanos
    quality.asyncEdges = Int(core.async_edges)
    quality.spansWithoutService = Int(core.spans_without_service)
    quality.incompleteTraces = Int(core.incomplete_traces)
    quality.reattachedOrphans = Int(core.reattached_orphans)
    quality.notes = (0..<wsl_span_table_note_count(handle)).map {
      String(cString: wsl_span_table_note(handle, $0))
    }
    return quality
  }

  private func copy<T: Numeric>(_ count: Int, _ fill: (UnsafeMutablePointer<T>) -> Void) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      if let base = buffer.baseAddress, count > 0 { fill(base) }
      initialized = count
    }
  }
}

extension TraceFormat {
  fileprivate var coreFormat: wsl_format {
    switch self {
    case .jaeger: return WSL_FORMAT_JAEGER
    case .otlp: return WSL_FORMAT_OTLP
    case .otlpProto: return WSL_FORMAT_OTLP_PROTO
    case .zipkin: return WSL_FORMAT_ZIPKIN
    case .csv: return WSL_FORMAT_CSV
    case .spanRecords: return WSL_FORMAT_SPAN_RECORDS
    }
  }

  fileprivate init?(coreFormat: wsl_format) {
    switch coreFormat {
    case WSL_FORMAT_JAEGER: self = .jaeger
    case WSL_FORMAT_OTLP: self = .otlp
    case WSL_FORMAT_OTLP_PROTO: self = .otlpProto
    case WSL_FORMAT_ZIPKIN: self = .zipkin
    case WSL_FORMAT_CSV: self = .csv
    case WSL_FORMAT_SPAN_RECORDS: self = .spanRecords
    default: return nil
    }
  }
}
