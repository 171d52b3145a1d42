import Foundation
import Testing

/// The real TrainTicket minutes beside the package (../shared/datasets/real/nezha).
private let trainTicket = packageRoot.deletingLastPathComponent()
  .appendingPathComponent("shared/datasets/real/nezha")

/// TT-2023-01-30-1151: a fault-free minute against three minutes of a network delay on
/// ts-contacts-service.
private let realCase = [
  "--fast", trainTicket.appendingPathComponent("construct_data/2023-01-30/trace/11_39_trace.csv").path, "--slow",
] + ["11_51", "11_52", "11_53"].map { trainTicket.appendingPathComponent("rca_data/2023-01-30/trace/\($0)_trace.csv").path }

private let demo = ["--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow"]

/// The table's rows: lines that start with a rank.
private func tableRows(_ output: String) -> [Substring] {
  output.split(separator: "\n").filter { line in
    line.split(separator: " ").first.flatMap { Int($0) } != nil && line.contains(" ms ")
  }
}

/// The `by service:` line's milliseconds, in order.
private func serviceMillis(_ output: String) -> [Double] {
  let line = output.split(separator: "\n").first { $0.hasPrefix("by service: ") } ?? ""
  return line.dropFirst(12).split(separator: ", ").compactMap { Double($0.split(separator: " ")[1]) }
}

/// What an SRE reads first and acts on: the answer on the first line, suspects largest first,
/// exactly as many rows as asked for, the services to page in order, the endpoints as printed,
/// the work that grew where it does not slow requests, the input's time range, a typo caught.
struct ReadingTheAnswerTests {
  @Test func theAnswerIsTheFirstLineAndTheTableNeverGrowsDownThePage() throws {
    for arguments in [demo, realCase, realCase + ["--key", "path"]] {
      let run = try whyslow(["analyze"] + arguments + ["--top", "20"])
      #expect(run.status == 0, "\(run.standardError)")
      #expect(run.standardOutput.hasPrefix("answer: "))
      let growth = tableRows(run.standardOutput).compactMap { Double($0.split(separator: " ")[1]) }
      #expect(!growth.isEmpty && zip(growth, growth.dropFirst()).allSatisfy { $0 >= $1 }, "\(growth)")
      let services = serviceMillis(run.standardOutput)
      #expect(!services.isEmpty && zip(services, services.dropFirst()).allSatisfy { $0 >= $1 }, "\(services)")
    }
  }

  @Test func topPrintsExactlyThatManyRows() throws {
    for top in [1, 2, 7, 20] {
      let run = try whyslow(["analyze"] + realCase + ["--top", "\(top)"])
      #expect(tableRows(run.standardOutput).count == top)
    }
    let negative = try whyslow(["analyze"] + demo + ["--top", "-1"])
    #expect(negative.status == 64 && negative.standardError.contains("--top must be at least 1"))
  }

  @Test func endpointAcceptsTheNamesAnalyzePrints() throws {
    let run = try whyslow(["analyze"] + realCase)
    let printed = try #require(
      run.standardOutput.split(separator: "\n").first { $0.contains("ts-food-service /api/v1/foodservice/foods/") })
    let endpoint = String(printed.trimmingCharacters(in: .whitespaces).prefix { $0 != ":" })
    let kept = try whyslow(["analyze"] + realCase + ["--endpoint", endpoint])
    #expect(kept.standardError.contains("kept "), "\(kept.standardError)")
    #expect(kept.standardError.contains(" traces entering at \(endpoint)"))
    let unknown = try whyslow(["analyze"] + realCase + ["--endpoint", "ts-food-service /nope"])
    #expect(unknown.status == 1)
    #expect(unknown.standardError.contains("--endpoint ts-food-service /nope: no trace enters at it; the endpoints"))
    #expect(unknown.standardError.contains(endpoint))
  }

  @Test func growthOffTheCriticalPathIsNamed() throws {
    let run = try whyslow(["analyze"] + demo)
    #expect(run.standardOutput.contains("grew off the critical path (does not slow requests): email-service SendConfirmation +120.7 ms"))
    #expect(run.standardOutput.contains("a typical slow trace to open:\n  #1: "))
    #expect(run.standardOutput.contains("legend: growth = added time on the critical path per request"))
  }

  @Test func inspectShowsTheEndpointsAnalyzeComparesAndTheTimeRange() throws {
    let run = try whyslow(["inspect", trainTicket.appendingPathComponent("rca_data/2023-01-30/trace/11_51_trace.csv").path])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("  time:     2023-01-30T11:50:53.319Z to 2023-01-30T11:51:52.662Z (first and last trace start)"))
    #expect(run.standardOutput.contains("    14  243.3 / 435.0 / 625.6  ts-travel2-service /api/v1/travel2service/trips/left"))
    #expect(run.standardOutput.contains("endpoints: first server span below the root, because the root operation ts-gateway-service /* is a wildcard"))
    // The gateway's wildcard is not an endpoint.
    #expect(!run.standardOutput.contains("ts-gateway-service /*\n"))
  }

  @Test func aMisspelledCommandGetsASuggestion() throws {
    let run = try whyslow(["analyse"] + demo)
    #expect(run.status == 64)
    #expect(run.standardError.contains("unknown command 'analyse'; did you mean 'analyze'?"))
  }

  @Test func oneBatchModeReadsItsBatchOnce() throws {
    let run = try whyslow(["analyze", "--traces", "Datasets/demo/fast", "Datasets/demo/slow", "--slow-above", "90"])
    #expect(run.status == 0)
    #expect(run.standardError.components(separatedBy: "async edges").count == 2)  // its repairs said once
    #expect(run.standardError.contains("read traces: 4 files (4 jaeger), 120 traces, 960 spans; 120 async edges"))
  }
}
