import Foundation
import Testing

/// Habits of the command line: one batch labelled for the user, filters, and untrusted names
/// that stay harmless in every output.
struct CLIHabitsTests {
  private let both = ["Datasets/demo/fast", "Datasets/demo/slow"]

  @Test func oneBatchIsLabelledByLatencyQuantileOrTime() throws {
    let above = try whyslow(["analyze", "--traces"] + both + ["--slow-above", "90"])
    #expect(above.status == 0)
    #expect(above.standardError.contains("labelled 60 traces fast and 60 slow by latency above 90.0 ms"))
    #expect(above.standardOutput.contains("answer: payment-db SELECT payments explains"))
    let quantile = try whyslow(["analyze", "--traces"] + both + ["--slow-quantile", "0.5"])
    #expect(quantile.standardError.contains("labelled 60 traces fast and 60 slow by latency above each endpoint's 0.5 quantile"))
    // The demo's slow minute follows its fast one: split between them.
    let time = try whyslow(["analyze", "--traces"] + both + ["--split-at", "2023-11-14T22:14:20Z"])
    #expect(time.standardError.contains("labelled 60 traces fast and 60 slow by start at or after 2023-11-14T22:14:20Z"))
    let epoch = try whyslow(["analyze", "--traces"] + both + ["--split-at", "1700000060"])
    #expect(epoch.standardOutput == time.standardOutput)
  }

  @Test func oneBatchNeedsExactlyOneRule() throws {
    let none = try whyslow(["analyze", "--traces"] + both)
    #expect(none.status == 64 && none.standardError.contains("--traces needs exactly one of --slow-above, --slow-quantile, --split-at"))
    let mixed = try whyslow(["analyze", "--traces"] + both + ["--fast", "Datasets/demo/fast", "--slow-above", "90"])
    #expect(mixed.status == 64 && mixed.standardError.contains("--traces replaces --fast and --slow"))
    let badTime = try whyslow(["analyze", "--traces"] + both + ["--split-at", "yesterday"])
    #expect(badTime.status == 64 && badTime.standardError.contains("not an RFC 3339 time"))
  }

  @Test func filtersKeepTheTracesOfAnEndpointOrAService() throws {
    let run = try whyslow([
      "analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow", "--endpoint", "frontend GET /checkout",
      "--service", "payment-db",
    ])
    #expect(run.status == 0)
    let none = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow", "--endpoint", "nope"])
    #expect(none.status == 1)
    #expect(none.standardError.contains("--endpoint nope: no trace enters at it; the endpoints (traces in both batches):\n  120  frontend GET /checkout"))
  }

  @Test func untrustedNamesStayHarmlessInTheTableCSVAndJSON() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-names-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let evil = #"=HYPERLINK(\"http://x\")"#
    let escape = #"svc\u001b]0;pwned\u0007\nrow"#
    for (batch, extra) in [("fast", 0), ("slow", 5000)] {
      let traces = (0..<30).map { trace -> String in
        let id = "\(batch)\(trace)"
        return #"{"traceID":"\#(id)","processes":{"p":{"serviceName":"\#(escape)"}},"spans":[{"traceID":"\#(id)","spanID":"r","operationName":"root","references":[],"startTime":0,"duration":\#(10000 + extra + trace * 37),"processID":"p"},{"traceID":"\#(id)","spanID":"c","operationName":"\#(evil)","references":[{"refType":"CHILD_OF","traceID":"\#(id)","spanID":"r"}],"startTime":100,"duration":\#(5000 + extra + trace * 11),"processID":"p"}]}"#
      }
      try #"{"data":[\#(traces.joined(separator: ","))]}"#.write(
        to: folder.appendingPathComponent("\(batch).json"), atomically: true, encoding: .utf8)
    }
    let csv = folder.appendingPathComponent("out.csv")
    let run = try whyslow([
      "analyze", "--fast", folder.appendingPathComponent("fast.json").path, "--slow",
      folder.appendingPathComponent("slow.json").path, "--csv", csv.path, "--all",
    ])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(!run.standardOutput.contains("\u{1B}") && !run.standardError.contains("\u{1B}"))
    #expect(run.standardOutput.contains(#"svc\u{1B}]0;pwned\u{7}\u{A}row"#))
    let cells = try String(contentsOf: csv, encoding: .utf8)
    #expect(cells.contains(#",'=HYPERLINK(""http://x""),"#) || cells.contains(#","'=HYPERLINK(""http://x"")","#))
    #expect(!cells.contains(",=HYPERLINK") && !cells.contains("\u{1B}"))
  }

  @Test func noColourWithoutATerminal() throws {
    let run = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow"])
    #expect(!run.standardOutput.contains("\u{1B}[") && !run.standardError.contains("\u{1B}["))
  }
}
