import ArgumentParser
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowReports
import WhyslowStatistics

#if canImport(Glibc)
  import Glibc
#endif

/// `whyslow spans`: the first step of a distributed analysis (scripts/whyslow_spark.py).
struct Spans: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the spans of trace files as span records, to regroup them by trace id.",
    discussion: """
      A distributed analysis runs in three steps: `whyslow spans` turns each input file into \
      span records (any format whyslow reads; one binary frame per span, led by its trace id, \
      parents not yet linked, so a trace may spread over many files); a shuffle regroups the \
      frames into whole traces (scripts/whyslow_spark.py does it on Apache Spark); `whyslow \
      partial` summarizes each group of whole traces, and `whyslow merge` assembles the \
      partials into the same analysis `analyze` gives on all the files.

      The records go to standard output (never a terminal). A records file is the header line \
      "whyslow span records 1" and then frames: a little-endian u32 length, then the body, \
      which starts with the trace id (u16 length, then its bytes).

      Example:
        whyslow spans traces/fast/ > fast.spans
      """)

  @Argument(help: ArgumentHelp("Trace files or directories.", valueName: "path"))
  var paths: [String]

  @OptionGroup var input: InputOptions

  func run() throws {
    guard isatty(STDOUT_FILENO) == 0 else {
      throw ValidationError("standard output is a terminal: redirect the span records (whyslow spans PATH > spans.bin)")
    }
    let files = try TraceReader.writeSpanRecords(paths: paths, options: input.readOptions, to: STDOUT_FILENO)
    printError("wrote the span records of \(files.count) file\(files.count == 1 ? "" : "s") to standard output")
  }
}

/// `whyslow partial`: one shard's trace summaries.
struct PartialCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "partial",
    abstract: "Summarize a shard of whole traces into a partial file for `whyslow merge`.",
    discussion: """
      Reads a shard's fast and/or slow traces (any format, span records too), each trace whole \
      in this shard, and writes what the analysis needs of each trace: per span key the summed \
      self-time, critical-path time, waits, errors and count, the network gaps, the attribute \
      values, and the entry-point candidates (`TraceSummaries`), with the feature options and \
      the reading counts. Partials of any shards, merged in any order, give the analysis of all \
      their traces at once.

      Example:
        whyslow partial --fast shard1/fast.spans --slow shard1/slow.spans --output shard1.partial
      """)

  @Option(parsing: .upToNextOption, help: ArgumentHelp("The shard's fast traces: files or directories.", valueName: "path"))
  var fast: [String] = []

  @Option(parsing: .upToNextOption, help: ArgumentHelp("The shard's slow traces: files or directories.", valueName: "path"))
  var slow: [String] = []

  @Option(name: [.short, .long], help: ArgumentHelp("The partial file to write (replaced atomically).", valueName: "file"))
  var output: String

  @OptionGroup var input: InputOptions

  @OptionGroup var features: FeatureArguments

  func validate() throws {
    guard !fast.isEmpty || !slow.isEmpty else { throw ValidationError("give the shard's --fast or --slow traces, or both") }
    guard output != "-" else { throw ValidationError("--output: a partial is binary; name a file") }
  }

  func run() throws {
    let outputs = try OutputFiles([OutputFiles.Output(option: "--output", path: output)], inputs: fast + slow)
    let options = features.options
    @Sendable func batch(_ table: SpanTable, isSlow: Bool) -> Partial.Batch {
      Partial.Batch(
        summaries: TraceSummaries(table: table, isSlow: isSlow, options: options), spans: table.spanCount,
        quality: table.quality)
    }
    let batches: [Partial.Batch]
    if fast.isEmpty || slow.isEmpty {
      batches = try [(fast, false), (slow, true)].filter { !$0.0.isEmpty }.map { paths, isSlow in
        batch(try TraceReader.read(paths: paths, options: input.readOptions), isSlow: isSlow)
      }
    } else {
      let both = try input.readBothBatches(fast: fast, slow: slow, batch)
      batches = [both.fast, both.slow]
    }
    try outputs.write(data: [Data(Partial(options: options, batches: batches).encoded())])
    let traces = batches.map { "\($0.summaries.traceCount) \($0.summaries.isSlow ? "slow" : "fast")" }
    printError("wrote the summaries of \(traces.joined(separator: " and ")) traces to \(output)")
  }
}

/// `whyslow merge`: the analysis of partials.
struct Merge: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Merge partial files into the analysis `analyze` gives on all their traces.",
    discussion: """
      Assembles the trace summaries of the partials (any number, in any order; each trace \
      whole in one of them) into the feature matrix of all their traces, then analyzes and \
      reports exactly as `analyze` does: the same table, --csv, --json and --html. The HTML \
      report has no trace timelines (partials hold no spans). All partials must have been \
      written with the same feature options. With --partial, writes the partials combined \
      into one partial instead (merging is associative: merge partials in a tree).

      Examples:
        whyslow merge parts/*.partial --csv suspects.csv --json analysis.json
        whyslow merge a.partial b.partial --partial ab.partial
      """)

  @Argument(help: ArgumentHelp("Partial files written by `whyslow partial` (or `merge --partial`).", valueName: "partial"))
  var partials: [String]

  @Option(help: ArgumentHelp("Write the partials combined into this partial file instead of analyzing.", valueName: "file"))
  var partial: String?

  @OptionGroup var analysis: AnalysisArguments

  func run() throws {
    if let partial {
      let output = try OutputFiles([OutputFiles.Output(option: "--partial", path: partial)], inputs: partials)
      let read = try Self.read(partials)
      let batches = read.flatMap(\.1.batches)
      try FeatureMatrix.checkWholeTraces(batches.map(\.summaries))
      try output.write(data: [Data(Partial(options: read[0].1.options, batches: batches).encoded())])
      printError("wrote \(batches.count) trace summaries of \(partials.count) partials to \(partial)")
      return
    }
    let outputs = try analysis.outputs(inputs: partials)
    let read = try Self.read(partials)
    let first = read[0].1
    let batches = read.flatMap(\.1.batches)
    var reading: [String] = []
    for (name, slow) in [("fast", false), ("slow", true)] {
      let parts = batches.filter { $0.summaries.isSlow == slow }
      guard !parts.isEmpty else { throw ValidationError("the partials hold no \(name) traces") }
      var quality = DataQuality()
      for part in parts { quality.add(part.quality) }
      reading.append(
        readingSummary(
          traces: parts.reduce(0) { $0 + $1.summaries.traceCount }, spans: parts.reduce(0) { $0 + $1.spans },
          quality: quality, name: name))
    }
    let matrix = try FeatureMatrix(summaries: batches.map(\.summaries), options: first.options)
    AnalysisArguments.chooseBLASThreads(traces: matrix.traceCount)
    let result = try ContributionAnalysis.analyze(matrix, options: analysis.options)
    let context = ReportContext(
      timelines: [], dataQuality: zip(["fast", "slow"], reading).map { ($0, $1) }, traceURL: analysis.traceURL)
    try analysis.report(
      result, matrix: matrix, reading: reading, question: Analyze.meanQuestion, context: context, to: outputs)
  }

  /// The partial files, which must share their feature options.
  private static func read(_ paths: [String]) throws -> [(String, Partial)] {
    let read = try paths.map { path in
      guard let data = FileManager.default.contents(atPath: path) else {
        throw IngestError.cannotRead(path: path, reason: "no such file, or not readable")
      }
      return (path, try Partial(decoding: [UInt8](data), path: path))
    }
    guard let first = read.first?.1 else { throw ValidationError("give at least one partial file") }
    for (path, partial) in read where partial.optionsFingerprint != first.optionsFingerprint {
      throw ValidationError(
        "\(path) was written with other feature options than \(read[0].0): write every partial with the same options")
    }
    return read
  }
}
