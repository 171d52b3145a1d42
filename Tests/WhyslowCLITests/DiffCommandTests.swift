import Foundation
import Testing

struct DiffCommandTests {
  @Test func diffSplitsTheLatencyDifferenceExactly() throws {
    let run = try whyslow([
      "diff", "Datasets/demo/fast/traces-1.json", "Datasets/demo/slow/traces-1.json",
      "--trace-a", "00000000000000000000000000001000", "--trace-b", "00000000000000000000000000002000",
    ])
    #expect(run.status == 0)
    let lines = run.standardOutput.split(separator: "\n").map(String.init)
    #expect(lines[2] == "B − A: 76.219 ms, split over span keys by critical-path time:")
    #expect(lines[4].hasSuffix("+67.907 ms   +67.907 ms  1 → 1  payment-db SELECT payments"))
    // The critical-path column adds up to B − A.
    let critical = lines.dropFirst(4).compactMap { line -> Double? in
      Double(line.split(separator: " ").first?.replacingOccurrences(of: "+", with: "") ?? "")
    }
    #expect(abs(critical.reduce(0, +) - 76.219) < 0.0015)
  }

  @Test func aFileWithSeveralTracesNeedsATraceID() throws {
    let run = try whyslow(["diff", "Datasets/demo/fast/traces-1.json", "Datasets/demo/slow/traces-1.json"])
    #expect(run.status == 64)
    #expect(run.standardError.contains("Datasets/demo/fast/traces-1.json holds 30 traces; pick one with --trace-a/--trace-b"))
  }
}

/// The seed scenario (Datasets/seed-inference, README and expected.json): each slow trace is
/// slow in one known place, and `diff` must say where to the millisecond.
struct SeedInferenceDiffTests {
  private let folder = "Datasets/seed-inference"

  @Test func slowPreprocessingIsItsSelfTimeAndItsEventMoves() throws {
    let run = try whyslow(["diff", "\(folder)/fast.json", "\(folder)/slow-preprocess.json"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("B − A: 400.000 ms"))
    #expect(run.standardOutput.contains("  +400.000 ms  +400.000 ms  1 → 1  preprocess preprocess-request\n"))
    #expect(run.standardOutput.contains(#"preprocess preprocess-request: "File saved" 80.000 ms → 480.000 ms (+400.000 ms)"#))
  }

  @Test func idleTimeIsWaitingBeforeTheCallNotTheParentsWork() throws {
    let run = try whyslow(["diff", "\(folder)/fast.json", "\(folder)/slow-wait.json"])
    #expect(run.status == 0)
    #expect(
      run.standardOutput.contains(
        "  +800.000 ms  +800.000 ms  1 → 1  gateway inference-span (waiting +800.000 ms before inference inference-service-post)"))
  }

  @Test func aFailingCallShowsItsStatusAndTagChanges() throws {
    let run = try whyslow(["diff", "\(folder)/fast.json", "\(folder)/slow-error.json"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("  +500.000 ms  +500.000 ms  1 → 1  inference inference-service-post\n"))
    #expect(run.standardOutput.contains("  gateway inference-span: otel.status_code OK → ERROR\n"))
    #expect(run.standardOutput.contains("  gateway inference-span: downstream.status_code 200 → 503\n"))
    #expect(run.standardOutput.contains("  inference inference-service-post: otel.status_code OK → ERROR\n"))
  }

  @Test func diffWritesCSVAndJSON() throws {
    let json = try whyslow(["diff", "\(folder)/fast.json", "\(folder)/slow-wait.json", "--json", "-"])
    #expect(json.status == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
    #expect(object["type"] as? String == "whyslow.diff")
    let records = try #require(object["records"] as? [[String: Any]])
    #expect(records.first?["difference_ms"] as? Double == 800)
    let top = try #require(records.first { $0["type"] as? String == "key" })
    #expect(top["operation"] as? String == "inference-span" && top["critical_ms"] as? Double == 800)
    #expect(top["waiting"] as? [String] == ["inference inference-service-post=800.000000"])
    let csv = try whyslow(["diff", "\(folder)/fast.json", "\(folder)/slow-error.json", "--csv", "-"])
    let rows = csv.standardOutput.split(separator: "\n")
    #expect(rows.first == "kind,service,operation,critical_ms,self_ms,count_a,count_b,detail,value_a,value_b")
    #expect(rows.contains("key,inference,inference-service-post,500.000000,500.000000,1,1,,,"))
    #expect(rows.contains("attribute,gateway,inference-span,,,,,downstream.status_code,200,503"))
    #expect(rows.contains("event,inference,inference-service-post,,,,,Inference completed,120.000000,620.000000"))
  }

  @Test func differentRootsAreWarnedAbout() throws {
    let run = try whyslow(["diff", "\(folder)/fast.json", "Datasets/demo/slow/traces-1.json", "--trace-b", "00000000000000000000000000002000"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("warning: the traces have different roots (A: gateway inference-span, B: frontend GET /checkout)"))
  }

  @Test func analyzeWithOneTracePerSidePointsToDiff() throws {
    let run = try whyslow(["analyze", "--fast", "\(folder)/fast.json", "--slow", "\(folder)/slow-wait.json"])
    #expect(run.status == 1)
    #expect(run.standardError.contains("for one trace against another, `whyslow diff FAST SLOW` answers exactly"))
  }

  @Test func theBatchNamesTheWaitInsideTheGateway() throws {
    let run = try whyslow(["analyze", "--fast", "\(folder)/batch/fast", "--slow", "\(folder)/batch/slow"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("*  [gateway] gateway inference-span (wait before inference inference-service-post +"))
  }
}
