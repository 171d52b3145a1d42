import ArgumentParser
import Foundation
import WhyslowIngest

/// How every command reads trace files.
struct InputOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Read every file as this format instead of detecting it (jaeger, otlp, zipkin, csv).",
      valueName: "format"))
  var format: TraceFormat?

  @Option(
    help: ArgumentHelp(
      "Map CSV columns by hand: role=Header pairs, roles trace, span, parent, service, "
        + "operation, start, end, duration, status, kind; a time column may name its unit "
        + "(duration=Duration:ns; ns, us, ms, s).",
      valueName: "mapping"))
  var columns: String?

  @Option(
    help: ArgumentHelp(
      "Refuse an input (a file, standard input, or a compressed file's document or line once "
        + "inflated) larger than this many bytes.",
      valueName: "bytes"))
  var maxInputBytes = ReadOptions.defaultMaxInputBytes

  @Option(help: ArgumentHelp("Leave out (and count) traces with more spans than this.", valueName: "spans"))
  var maxSpansPerTrace = ReadOptions().maxSpansPerTrace

  @Option(
    help: ArgumentHelp(
      "Record at most this many distinct values of one attribute per file; more are counted as ids.",
      valueName: "count"))
  var maxDistinctValues = ReadOptions().maxDistinctValues

  @Flag(
    help: ArgumentHelp(
      "In a directory, skip files that cannot be read (each named in a note) instead of stopping "
        + "at the first; files named on the command line are always read or refused."))
  var skipUnreadable = false

  func validate() throws {
    guard maxInputBytes > 0 else { throw ValidationError("--max-input-bytes must be positive") }
    guard maxDistinctValues > 0 else { throw ValidationError("--max-distinct-values must be positive") }
    guard maxSpansPerTrace > 0 else { throw ValidationError("--max-spans-per-trace must be positive") }
  }

  var readOptions: ReadOptions {
    var options = ReadOptions(format: format, csvColumns: columns, maxInputBytes: maxInputBytes)
    options.maxSpansPerTrace = maxSpansPerTrace
    options.maxDistinctValues = maxDistinctValues
    options.skipUnreadable = skipUnreadable
    return options
  }

  /// `readOptions` with the files of a path read one at a time: for a reader that shares the
  /// cores with another.
  var readOptionsFileByFile: ReadOptions {
    var options = readOptions
    options.parallelFiles = 1
    return options
  }

  /// Reads the fast and the slow batch at once, a core each, each its files one at a time, and
  /// hands each table to `use` on its own core (the fast batch's error first when both fail).
  func readBothBatches<Batch>(
    fast: [String], slow: [String], _ use: @Sendable (SpanTable, _ isSlow: Bool) -> Batch
  ) throws -> (fast: Batch, slow: Batch) {
    let options = readOptionsFileByFile
    return try concurrently(
      { use(try TraceReader.read(paths: fast, options: options), false) },
      { use(try TraceReader.read(paths: slow, options: options), true) })
  }
}

extension TraceFormat: ExpressibleByArgument {}

/// Writes a diagnostic line to standard error.
func printError(_ line: String) {
  var standardError = StandardError()
  print(line, to: &standardError)
}

private struct StandardError: TextOutputStream {
  mutating func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}
