import CWhyslowCore
import Foundation

/// A problem with the input files; the message names the file and the place.
public enum IngestError: Error, Equatable, CustomStringConvertible {
  /// The path does not exist or cannot be read.
  case cannotRead(path: String, reason: String)
  /// A directory holds no trace files.
  case noTraceFiles(directory: String)
  /// A file is not valid JSON or not a supported trace shape; `line` and `column` are 1-based,
  /// or nil when the parser could not say where.
  case malformed(path: String, line: Int?, column: Int?, message: String)
  /// The inputs hold no spans at all.
  case noSpans(paths: [String])

  public var description: String {
    switch self {
    case .cannotRead(let path, let reason):
      return "\(path): cannot read: \(reason)"
    case .noTraceFiles(let directory):
      return "\(directory): no trace files (*.json) in this directory"
    case .malformed(let path, let line?, let column?, let message):
      return "\(path):\(line):\(column): \(message)"
    case .malformed(let path, _, _, let message):
      return "\(path): \(message)"
    case .noSpans(let paths):
      return "\(paths.joined(separator: ", ")): no spans found"
    }
  }
}

/// Reads trace files into one linked `SpanTable`.
///
/// Each path is a Jaeger JSON file or a directory searched recursively for `*.json` files,
/// read in sorted path order so that the same inputs always give the same table. Files are
/// read one at a time; only the span table grows with the input.
public enum TraceReader {
  /// Reads every file under `paths` into one batch.
  public static func read(paths: [String]) throws -> SpanTable {
    let core = try CoreSpanTable()
    let files = try paths.flatMap(traceFiles(under:))
    for file in files {
      try core.parseJaeger(file: file)
    }
    core.link()
    guard core.spanCount > 0 else { throw IngestError.noSpans(paths: paths) }
    var table = core.columns()
    table.quality.files = files.count
    return table
  }

  /// The trace files a path stands for, sorted.
  static func traceFiles(under path: String) throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw IngestError.cannotRead(path: path, reason: "no such file or directory")
    }
    guard isDirectory.boolValue else { return [path] }
    guard let walker = FileManager.default.enumerator(atPath: path) else {
      throw IngestError.cannotRead(path: path, reason: "cannot list the directory")
    }
    let files = walker.compactMap { $0 as? String }
      .filter { $0.hasSuffix(".json") }
      .map { (path as NSString).appendingPathComponent($0) }
      .sorted()
    guard !files.isEmpty else { throw IngestError.noTraceFiles(directory: path) }
    return files
  }
}

/// Owns one native span table handle and frees it when released.
private final class CoreSpanTable {
  let handle: OpaquePointer

  init() throws {
    var created: OpaquePointer?
    guard wsl_span_table_create(&created) == WSL_OK, let created else {
      throw IngestError.cannotRead(path: "-", reason: "out of memory")
    }
    handle = created
  }

  deinit { wsl_span_table_free(handle) }

  var spanCount: Int { Int(wsl_span_table_span_count(handle)) }

  func parseJaeger(file: String) throws {
    let bytes: Data
    do {
      bytes = try Data(contentsOf: URL(fileURLWithPath: file))
    } catch {
      throw IngestError.cannotRead(path: file, reason: error.localizedDescription)
    }
    let status = bytes.withUnsafeBytes { raw in
      wsl_jaeger_parse(handle, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
    }
    guard status == WSL_OK else {
      let message = String(cString: wsl_span_table_error(handle))
      let offset = Int(wsl_span_table_error_offset(handle))
      let place = offset >= 0 ? Self.lineAndColumn(of: offset, in: bytes) : nil
      throw IngestError.malformed(
        path: file, line: place?.line, column: place?.column, message: message)
    }
  }

  func link() { wsl_span_table_link(handle) }

  /// Copies every column out of the native table.
  func columns() -> SpanTable {
    let spans = Int(wsl_span_table_span_count(handle))
    let traces = Int(wsl_span_table_trace_count(handle))
    let edgeCodes = copy(spans, Int8.self) { wsl_span_table_copy_edge_kind(handle, $0) }
    let strings = (0..<Int32(wsl_span_table_string_count(handle))).map { index in
      var length = 0
      let pointer = wsl_span_table_string(handle, index, &length)
      let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
      return String(decoding: bytes, as: UTF8.self)
    }
    return SpanTable(
      traceIndex: copy(spans, Int32.self) { wsl_span_table_copy_trace_index(handle, $0) },
      parentIndex: copy(spans, Int32.self) { wsl_span_table_copy_parent_index(handle, $0) },
      edgeKind: edgeCodes.map { EdgeKind(rawValue: $0) ?? .none },
      service: copy(spans, Int32.self) { wsl_span_table_copy_service(handle, $0) },
      operation: copy(spans, Int32.self) { wsl_span_table_copy_operation(handle, $0) },
      startNanos: copy(spans, Int64.self) { wsl_span_table_copy_start_nanos(handle, $0) },
      durationNanos: copy(spans, Int64.self) { wsl_span_table_copy_duration_nanos(handle, $0) },
      isError: copy(spans, Int8.self) { wsl_span_table_copy_error(handle, $0) }.map { $0 != 0 },
      traceIDs: copy(traces, Int32.self) { wsl_span_table_copy_trace_id(handle, $0) },
      strings: strings,
      quality: DataQuality(
        duplicateSpans: Int(wsl_span_table_duplicate_count(handle)),
        orphanSpans: Int(wsl_span_table_orphan_count(handle))))
  }

  private func copy<T: Numeric>(
    _ count: Int, _ type: T.Type, _ fill: (UnsafeMutablePointer<T>) -> Void
  ) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      if let base = buffer.baseAddress, count > 0 { fill(base) }
      initialized = count
    }
  }

  /// 1-based line and column of a byte offset.
  static func lineAndColumn(of offset: Int, in bytes: Data) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    for (index, byte) in bytes.prefix(offset).enumerated() where byte == UInt8(ascii: "\n") {
      line += 1
      lineStart = index + 1
    }
    return (line, offset - lineStart + 1)
  }
}
