import Foundation
import Testing

private func scratch() throws -> URL {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-bad-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

/// A Jaeger document of traces, each a root "svc root" and its children (id, operation,
/// service, start µs, duration µs), all children of the root unless `chain`.
private func jaeger(_ traces: [(id: String, rootMicros: Int, children: [(String, String, Int, Int)])], chain: Bool = false) -> String {
  let documents = traces.map { trace -> String in
    var services = Set(["svc"])
    var spans = [
      #"{"traceID":"\#(trace.id)","spanID":"r","operationName":"root","references":[],"startTime":1000,"duration":\#(trace.rootMicros),"processID":"svc"}"#
    ]
    for (index, child) in trace.children.enumerated() {
      services.insert(child.1)
      let parent = chain && index > 0 ? "c\(index - 1)" : "r"
      spans.append(
        #"{"traceID":"\#(trace.id)","spanID":"c\#(index)","operationName":"\#(child.0)","references":[{"refType":"CHILD_OF","traceID":"\#(trace.id)","spanID":"\#(parent)"}],"startTime":\#(child.2),"duration":\#(child.3),"processID":"\#(child.1)"}"#
      )
    }
    let processes = services.sorted().map { #""\#($0)":{"serviceName":"\#($0)"}"# }.joined(separator: ",")
    return #"{"traceID":"\#(trace.id)","spans":[\#(spans.joined(separator: ","))],"processes":{\#(processes)}}"#
  }
  return #"{"data":[\#(documents.joined(separator: ","))]}"#
}

/// The bad-input matrix: every case gives a clear error naming the file and the place, or a
/// counted skip whose count is true; never a crash, a hang or a silently wrong answer.
struct BadInputTests {
  /// A gzip of zeros is refused from its first inflated bytes; a compressed document that
  /// must be held whole is refused past --max-input-bytes, before that memory is taken.
  @Test func aGzipBombIsRefusedBeforeItsMemoryIsTaken() throws {
    let folder = try scratch()
    let zeros = folder.appendingPathComponent("zeros.json.gz")
    let document = folder.appendingPathComponent("document.json.gz")
    try shell("head -c 50000000 /dev/zero | gzip -1 > '\(zeros.path)'")
    try shell("{ printf '{\"data\":['; head -c 50000000 /dev/zero | tr '\\0' ' '; } | gzip -1 > '\(document.path)'")
    let binary = try whyslow(["inspect", zeros.path])
    #expect(binary.status == 1)
    #expect(binary.standardError.contains("zeros.json.gz: binary data, not a trace file"))
    let run = try whyslow(["inspect", document.path, "--max-input-bytes", "1000000"])
    #expect(run.status == 1)
    #expect(run.standardError.contains("document.json.gz: more than 1000000 bytes (--max-input-bytes raises the limit)"))
  }

  /// JSON Lines and span-table CSV are read as they inflate: a real minute followed by 320 MB
  /// of blank lines, gzip- or zstd-compressed, is read whole in far less memory than that.
  @Test func compressedLinesAreReadInMemoryThatFollowsTheSpansNotTheFile() throws {
    let folder = try scratch()
    let minute = packageRoot.deletingLastPathComponent()
      .appendingPathComponent("shared/datasets/real/nezha/construct_data/2023-01-30/trace/11_39_trace.csv").path
    let csv = folder.appendingPathComponent("minute.csv.zst")
    let lines = folder.appendingPathComponent("traces.jsonl.gz")
    try shell("{ cat '\(minute)'; head -c 320000000 /dev/zero | tr '\\0' '\\n'; } | zstd -q -1 > '\(csv.path)'")
    let trace = try String(contentsOf: packageRoot.appendingPathComponent("Datasets/demo/slow/traces-1.json"), encoding: .utf8)
    let line = folder.appendingPathComponent("reply.jsonl")
    try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(trace.utf8))).write(to: line)
    try shell("{ cat '\(line.path)'; head -c 320000000 /dev/zero | tr '\\0' '\\n'; cat '\(line.path)'; } | gzip -1 > '\(lines.path)'")
    for (file, traces) in [(csv, "traces:   62"), (lines, "traces:   30")] {
      let (run, peakMiB) = try whyslowMeasured(["inspect", file.path])
      #expect(run.status == 0, "\(run.standardError)")
      #expect(run.standardOutput.contains(traces))
      #expect(peakMiB < 300, "\(file.lastPathComponent): \(peakMiB) MiB at its peak")
    }
  }

  @Test func standardInputHasALimitToo() throws {
    let run = try whyslow(["inspect", "-", "--max-input-bytes", "1000"], input: Data(repeating: 0x20, count: 5000))
    #expect(run.status == 1)
    #expect(run.standardError.contains("standard input: more than 1000 bytes"))
  }

  @Test func aCorruptGzipNamesTheCompressedByte() throws {
    let file = try scratch().appendingPathComponent("bad.json.gz")
    try Data([0x1F, 0x8B, 0x08, 0x00] + Array("not deflate".utf8)).write(to: file)
    let run = try whyslow(["inspect", file.path])
    #expect(run.status == 1)
    #expect(run.standardError.contains("bad.json.gz: corrupt or truncated gzip data at byte"))
    #expect(run.standardError.contains("of the compressed file"))
  }

  @Test func twentyThousandServiceOperationPairsInOneTraceAreFine() throws {
    let children = (0..<20_000).map { ("operation-\($0)", "service-\($0)", 1000 + $0, 2) }
    let file = try scratch().appendingPathComponent("pairs.json")
    try jaeger([("t1", 30_000, children)]).write(to: file, atomically: true, encoding: .utf8)
    let run = try whyslow(["diff", file.path, file.path, "--top", "1"])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput.contains("B − A: 0.000 ms"))
  }

  @Test func operationNamesFullOfIdsFoldIntoABoundedMatrix() throws {
    let folder = try scratch()
    for (batch, extra) in [("fast", 0), ("slow", 400)] {
      let traces = (0..<40).map { trace in
        (id: "\(batch)\(trace)", rootMicros: 2000 + extra,
         children: (0..<100).map { ("op_\(batch)_\(trace)_\($0)", "svc", 1000 + $0 * 10, 5) })
      }
      try jaeger(traces).write(to: folder.appendingPathComponent("\(batch).json"), atomically: true, encoding: .utf8)
    }
    let run = try whyslow([
      "analyze", "--fast", folder.appendingPathComponent("fast.json").path, "--slow",
      folder.appendingPathComponent("slow.json").path, "--keep-operation-names", "--max-span-keys", "50", "--verbose",
    ])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardError.contains("over 51 span keys"))  // 50 kept, one "(other operations)"
    #expect(run.standardError.contains("note: 7951 span keys with the fewest spans, beyond --max-span-keys, fold into one \"(other operations)\" key per service"))
  }

  @Test func aDeepChainKeyedByPathHasShortKeys() throws {
    let folder = try scratch()
    for batch in ["fast", "slow"] {
      let traces = (0..<8).map { trace in
        (id: "\(batch)\(trace)", rootMicros: 20_000,
         children: (0..<3000).map { ("step", "svc", 1001 + $0, 18_000 - 2 * $0 + (batch == "slow" ? 1 : 0)) })
      }
      try jaeger(traces, chain: true).write(to: folder.appendingPathComponent("\(batch).json"), atomically: true, encoding: .utf8)
    }
    let csv = folder.appendingPathComponent("out.csv")
    let run = try whyslow([
      "analyze", "--fast", folder.appendingPathComponent("fast.json").path, "--slow",
      folder.appendingPathComponent("slow.json").path, "--key", "path", "--csv", csv.path,
    ])
    #expect(run.status == 0, "\(run.standardError)")
    let longest = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map(\.count).max() ?? 0
    #expect(longest < 1000)  // 16 callers at most name a key, "… > " before them
  }

  @Test func anUnclosedQuoteCostsOnlyItsOwnRecord() throws {
    let file = try scratch().appendingPathComponent("spans.csv")
    var lines = ["TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano"]
    for span in 0..<50 {
      lines.append("t1,s\(span),\(span == 0 ? "root" : "s0"),svc-7d9f8c6b5-x2x9z,op,\(1_700_000_000_000_000_000 + span * 1000),\(1_700_000_000_000_100_000 + span * 1000)")
    }
    lines[10] = lines[10].replacingOccurrences(of: ",op,", with: ",\"op,")
    try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let run = try whyslow(["inspect", file.path])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("spans:    49"))
    #expect(run.standardOutput.contains("1 unreadable records skipped"))
  }

  @Test func anEmptyJaegerReplyIsReadAsNoTraces() throws {
    let file = try scratch().appendingPathComponent("empty.json")
    try #"{"data":[]}"#.write(to: file, atomically: true, encoding: .utf8)
    let run = try whyslow(["inspect", file.path])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("format:   jaeger (1 file)") && run.standardOutput.contains("traces:   0"))
  }

  @Test func aByteOrderMarkDoesNotHideTheFirstMappedColumn() throws {
    let file = try scratch().appendingPathComponent("bom.csv")
    try Data([0xEF, 0xBB, 0xBF] + Array("T,S,P,Svc,Op,B,E\nt1,s1,,svc,op,1000,2000\n".utf8)).write(to: file)
    let run = try whyslow(["inspect", file.path, "--columns", "trace=T,span=S,parent=P,service=Svc,operation=Op,start=B,end=E"])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput.contains("spans:    1"))
  }

  @Test func invalidUTF8IsReportedWithItsPlace() throws {
    let file = try scratch().appendingPathComponent("utf.json")
    try Data(Array(#"{"data":[{"traceID":"a"#.utf8) + [0xFF] + Array(#"","spans":[]}]}"#.utf8)).write(to: file)
    let run = try whyslow(["inspect", file.path])
    #expect(run.status == 1)
    #expect(run.standardError.contains("utf.json:1:23: JSON error: The input is not valid UTF-8"))
  }

  @Test func controlBytesInAHeaderAreEscaped() throws {
    let file = try scratch().appendingPathComponent("bin.csv")
    try Data(Array("ab".utf8) + [0x1B] + Array("]0;pwned".utf8) + [0x07] + Array(",e\n1,2\n".utf8)).write(to: file)
    let run = try whyslow(["inspect", file.path])
    #expect(run.status == 1)
    #expect(run.standardError.contains(#"ab\u{1B}]0;pwned\u{7}"#) && !run.standardError.contains("\u{1B}"))
  }

  @Test func theSameFilesInAnotherOrderGiveByteIdenticalOutput() throws {
    let folder = try scratch()
    let (a, b) = (folder.appendingPathComponent("a.json"), folder.appendingPathComponent("b.json"))
    let demo = "Datasets/demo"
    _ = try whyslow([
      "analyze", "--fast", "\(demo)/fast/traces-1.json", "\(demo)/fast/traces-2.json", "--slow",
      "\(demo)/slow/traces-1.json", "\(demo)/slow/traces-2.json", "--json", a.path,
    ])
    _ = try whyslow([
      "analyze", "--fast", "\(demo)/fast/traces-2.json", "\(demo)/fast/traces-1.json", "--slow",
      "\(demo)/slow/traces-2.json", "\(demo)/slow/traces-1.json", "--json", b.path,
    ])
    #expect(try Data(contentsOf: a) == Data(contentsOf: b))
  }
}

/// Outputs never destroy data.
struct OutputSafetyTests {
  private let demo = ["analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow"]

  @Test func anOutputOntoOrInsideAnInputIsRefusedBeforeAnyWork() throws {
    let folder = try scratch()
    let input = folder.appendingPathComponent("traces.json")
    try FileManager.default.copyItem(atPath: "Datasets/demo/slow/traces-1.json", toPath: input.path)
    let before = try Data(contentsOf: input)
    let onto = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", input.path, "--csv", input.path])
    #expect(onto.status == 1)
    #expect(onto.standardError.contains("refused: it is an input; whyslow never writes over its inputs"))
    #expect(try Data(contentsOf: input) == before)
    #expect(!onto.standardError.contains("read fast"))  // checked before reading
    let inside = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", folder.path, "--csv", folder.appendingPathComponent("s.csv").path])
    #expect(inside.status == 1 && inside.standardError.contains("where it would be read as traces"))
  }

  @Test func aReplacedFileKeepsItsModeAndALaterFailureReplacesNothing() throws {
    let folder = try scratch()
    let csv = folder.appendingPathComponent("s.csv")
    try "old".write(to: csv, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: csv.path)
    #expect(try whyslow(demo + ["--csv", csv.path]).status == 0)
    let mode = try FileManager.default.attributesOfItem(atPath: csv.path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    let json = folder.appendingPathComponent("s.json")
    try "keep".write(to: json, atomically: true, encoding: .utf8)
    let failed = try whyslow(demo + ["--json", json.path, "--html", folder.appendingPathComponent("missing/r.html").path])
    #expect(failed.status == 1 && failed.standardError.contains("does not exist or is not writable"))
    #expect(try String(contentsOf: json, encoding: .utf8) == "keep")
  }

  @Test func dashWritesToStandardOutputAndTheTableMovesToStandardError() throws {
    let run = try whyslow(demo + ["--csv", "-"])
    #expect(run.status == 0)
    #expect(run.standardOutput.hasPrefix("rank,service,operation,feature,"))
    #expect(run.standardError.contains("suspects, largest first"))
    #expect(!FileManager.default.fileExists(atPath: "-"))
    let twice = try whyslow(demo + ["--csv", "-", "--json", "-"])
    #expect(twice.status == 1 && twice.standardError.contains("only one output can go to standard output"))
  }

  @Test func aFIFOIsWrittenIntoNotReplaced() throws {
    let fifo = try scratch().appendingPathComponent("out.csv")
    #expect(mkfifo(fifo.path, 0o644) == 0)
    let reader = Process()
    reader.executableURL = URL(fileURLWithPath: "/bin/cat")
    reader.arguments = [fifo.path]
    let pipe = Pipe()
    reader.standardOutput = pipe
    try reader.run()
    let run = try whyslow(demo + ["--csv", fifo.path])
    let read = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    reader.waitUntilExit()
    #expect(run.status == 0)
    #expect(read.hasPrefix("rank,service,operation,feature,"))
    var status = stat()
    #expect(stat(fifo.path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO)
  }
}

struct TraceSizeLimitTests {
  @Test func aTraceWithTooManySpansIsLeftOutAndCounted() throws {
    let run = try whyslow(["inspect", "Datasets/demo/fast", "--max-spans-per-trace", "7"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("traces:   0"))
    #expect(run.standardOutput.contains("note: 60 traces with more than 7 spans left out (--max-spans-per-trace raises the limit)"))
  }
}

struct AttributeValueLimitTests {
  @Test func valuesBeyondTheLimitAreCountedNotRecorded() throws {
    let run = try whyslow(["inspect", "Datasets/demo/fast", "--max-distinct-values", "1"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("note: attribute values: beyond 1 distinct values of one attribute in a file"))
    let defaults = try whyslow(["inspect", "Datasets/demo/fast"])
    #expect(!defaults.standardOutput.contains("attribute values: beyond"))
  }
}
