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
        + "operation, start, end, duration, status, kind.",
      valueName: "mapping"))
  var columns: String?

  @Option(
    help: ArgumentHelp(
      "Refuse an input (a file, standard input, or a gzip file's inflated data) larger than "
        + "this many bytes.",
      valueName: "bytes"))
  var maxInputBytes = ReadOptions.defaultMaxInputBytes

  func validate() throws {
    guard maxInputBytes > 0 else { throw ValidationError("--max-input-bytes must be positive") }
  }

  var readOptions: ReadOptions {
    ReadOptions(format: format, csvColumns: columns, maxInputBytes: maxInputBytes)
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
