import Foundation
import Testing

/// The package's root folder, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What one run of the built `whyslow` printed and returned.
struct Run {
  let status: Int32
  let standardOutput: String
  let standardError: String
  /// Standard output as bytes (for binary output).
  let outputBytes: Data
}

/// The `whyslow` executable built beside this test bundle.
private let executable = (Bundle.main.executableURL?.deletingLastPathComponent()
  ?? packageRoot.appendingPathComponent(".build/debug")).appendingPathComponent("whyslow")

/// Runs the `whyslow` executable built beside this test bundle, with `input` on its standard input.
func whyslow(_ arguments: [String], input: Data = Data()) throws -> Run {
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  process.currentDirectoryURL = packageRoot
  let output = Pipe()
  let errors = Pipe()
  let standardInput = Pipe()
  process.standardOutput = output
  process.standardError = errors
  process.standardInput = standardInput
  try process.run()
  // The throwing write: the non-throwing one traps on EINTR, which parallel tests can cause.
  if !input.isEmpty { try standardInput.fileHandleForWriting.write(contentsOf: input) }
  try standardInput.fileHandleForWriting.close()
  // Both pipes drained at once (a full one would stall the child), with the throwing reads:
  // the non-throwing ones trap on EINTR, which the signals of parallel tests cause.
  nonisolated(unsafe) var errorData = Data()
  let drained = DispatchGroup()
  DispatchQueue.global().async(group: drained) { errorData = readAll(errors.fileHandleForReading) }
  let outputData = readAll(output.fileHandleForReading)
  drained.wait()
  process.waitUntilExit()
  return Run(
    status: process.terminationStatus,
    standardOutput: String(decoding: outputData, as: UTF8.self),
    standardError: String(decoding: errorData, as: UTF8.self), outputBytes: outputData)
}

/// Runs `whyslow` with `arguments` (output to files, read after) and returns its run and its
/// peak resident memory in MiB, as the kernel counted it for the child (wait4's rusage).
func whyslowMeasured(_ arguments: [String]) throws -> (Run, peakMiB: Double) {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-rss-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let output = folder.appendingPathComponent("out").path
  let errors = folder.appendingPathComponent("err").path
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
  defer { for argument in argv { free(argument) } }
  var child: pid_t = 0
  guard posix_spawn(&child, executable.path, &actions, nil, argv, environ) == 0 else { throw CocoaError(.executableLoad) }
  var status: Int32 = 0
  var usage = rusage()
  while wait4(child, &status, 0, &usage) < 0 && errno == EINTR {}
  let outputData = try Data(contentsOf: URL(fileURLWithPath: output))
  let run = Run(
    status: (status >> 8) & 0xff, standardOutput: String(decoding: outputData, as: UTF8.self),
    standardError: try String(contentsOfFile: errors, encoding: .utf8), outputBytes: outputData)
  return (run, Double(usage.ru_maxrss) / 1024)  // ru_maxrss counts KiB on Linux
}

/// Runs a shell command line (test data made with gzip, zstd, head, tr); fails the test when it fails.
func shell(_ command: String) throws {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/sh")
  process.arguments = ["-c", "set -e; " + command]
  try process.run()
  process.waitUntilExit()
  #expect(process.terminationStatus == 0, "\(command) failed")
}

/// Everything a pipe gives until its end, retrying reads an interrupting signal cut short.
private func readAll(_ handle: FileHandle) -> Data {
  var data = Data()
  var buffer = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let count = read(handle.fileDescriptor, &buffer, buffer.count)
    if count < 0 && errno == EINTR { continue }
    guard count > 0 else { return data }
    data.append(contentsOf: buffer[0..<count])
  }
}

private func temporaryFolder() throws -> URL {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("whyslow-cli-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

private let demoArguments = [
  "analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow",
]

struct AnalyzeCommandTests {
  @Test func demoRanksTheKnownCauseFirst() throws {
    let run = try whyslow(demoArguments)
    #expect(run.status == 0)
    let lines = run.standardOutput.split(separator: "\n")
    let header = try #require(lines.firstIndex { $0.hasPrefix("rank") })
    #expect(lines[header + 1].contains("*  [payment-db] payment-db SELECT payments (self_time +63.5 ms*)"))
    #expect(run.standardOutput.contains("answer: payment-db SELECT payments explains 63.5 ms (100%) of the 63.7 ms gap"))
    #expect(run.standardError.contains("read fast: 2 files (2 jaeger), 60 traces, 480 spans; 60 async edges"))
  }

  @Test func csvHasTheFixedHeaderAndSuspectRowsFollowedByTheirExplanation() throws {
    let csv = try temporaryFolder().appendingPathComponent("suspects.csv")
    let run = try whyslow(demoArguments + ["--csv", csv.path])
    #expect(run.status == 0)
    let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
    #expect(
      rows.first
        == "rank,service,operation,feature,peer_service,contribution_ms,share,ci_low_ms,ci_high_ms,p_value,q_value,fast_mean,slow_mean,fast_traces,slow_traces,example_slow_trace,suspect_rank,level,suspect_service,variance_share"
    )
    let suspects = rows.filter { $0.contains(",suspect,") }.count
    let written = try #require(run.standardError.split(separator: "\n").first { $0.hasPrefix("wrote ") })
    #expect(written == "wrote \(suspects) suspects and their findings to \(csv.path)")
    #expect(rows[1].hasPrefix("1,payment-db,SELECT payments,critical_time,,63.489,0.9965,"))
    #expect(rows[1].contains(",60,60,0000000000000000000000000000200d,1,suspect,payment-db,0.8"))
    #expect(rows[2].hasPrefix("2,payment-db,SELECT payments,self_time,,63.489,0.9965,"))
    #expect(rows[2].hasSuffix(",1,explanation,payment-db,"))
    #expect(rows[3].hasPrefix("3,payment-db,SELECT payments,remainder,,"))
  }

  @Test func theSameInputGivesByteIdenticalOutput() throws {
    let folder = try temporaryFolder()
    let first = try whyslow(
      demoArguments + ["--csv", folder.appendingPathComponent("a.csv").path, "--json", folder.appendingPathComponent("a.json").path])
    let second = try whyslow(
      demoArguments + ["--csv", folder.appendingPathComponent("b.csv").path, "--json", folder.appendingPathComponent("b.json").path])
    #expect(first.standardOutput == second.standardOutput)
    #expect(
      try Data(contentsOf: folder.appendingPathComponent("a.csv"))
        == Data(contentsOf: folder.appendingPathComponent("b.csv")))
    let json = try Data(contentsOf: folder.appendingPathComponent("a.json"))
    #expect(json == (try Data(contentsOf: folder.appendingPathComponent("b.json"))))
    let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    #expect(object["type"] as? String == "whyslow.analysis" && object["version"] as? Int == 2)
    let records = try #require(object["records"] as? [[String: Any]])
    #expect(records.first?["type"] as? String == "summary")
    #expect(records.first { $0["type"] as? String == "suspect" }?["name"] as? String == "payment-db SELECT payments")
  }

  @Test func aMissingInputFailsWithTheFileNamed() throws {
    let run = try whyslow(["analyze", "--fast", "nope/fast", "--slow", "Datasets/demo/slow"])
    #expect(run.status == 1)
    #expect(run.standardError.contains("nope/fast: cannot read: no such file or directory"))
    #expect(run.standardOutput.isEmpty)
  }

  @Test func anUnwritableCSVLeavesNoPartialFileAndFails() throws {
    let run = try whyslow(demoArguments + ["--csv", "/nonexistent-folder/suspects.csv"])
    #expect(run.status == 1)
    #expect(run.standardError.contains("--csv /nonexistent-folder/suspects.csv: refused: its directory /nonexistent-folder does not exist or is not writable"))
    #expect(!run.standardError.contains("read fast"))  // refused before any work
  }

  @Test func usageErrorsExitWith64() throws {
    let run = try whyslow(demoArguments + ["--top", "0"])
    #expect(run.status == 64)
    #expect(run.standardError.contains("--top must be at least 1"))
  }

  @Test func helpExplainsTheCommand() throws {
    let run = try whyslow(["analyze", "--help"])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("--fast <path>"))
    #expect(run.standardOutput.contains("Examples:"))
    #expect(run.standardOutput.contains("Exit codes: 0 success; 1 bad input or runtime error"))
    #expect(run.standardOutput.contains("CSV columns: rank, service, operation, feature,"))
    // Help that pastes: nothing before the usage line is wider than 80 columns.
    let prose = run.standardOutput.components(separatedBy: "USAGE:")[0]
    #expect(prose.split(separator: "\n").allSatisfy { $0.count <= 80 })
    #expect(prose.contains("  whyslow analyze --fast Datasets/demo/fast \\\n    --slow Datasets/demo/slow --csv suspects.csv"))
  }
}

struct AnalyzeOptionsTests {
  @Test func failOnSuspectExitsWith3AndAllShowsEverySuspect() throws {
    let gated = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow", "--fail-on-suspect"])
    #expect(gated.status == 3)
    let everything = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow", "--all"])
    #expect(everything.status == 0)
    #expect(everything.standardOutput.contains("[redis] redis GET"))
    let grown = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow"])
    #expect(!grown.standardOutput.contains("[redis] redis GET"))
    #expect(grown.standardOutput.contains("(2 more suspects; --top N shows more, --all every one, --csv writes all)"))
  }

  @Test func batchesWithoutASharedEntryPointAreSaidToBeIncomparable() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-ml-\(UUID().uuidString)")
    _ = try whyslow(["generate", "--scenario", "control", "--topology", "ml", "--fast", "30", "--slow", "30", "--out", folder.path])
    let run = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", folder.appendingPathComponent("slow").path])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("gap:  "))
    #expect(run.standardOutput.contains("= 0.0 ms within endpoints"))
    #expect(run.standardOutput.contains("caution: the batches share no entry point"))
  }

  @Test func htmlReportIsOneSelfContainedPage() throws {
    let page = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-\(UUID().uuidString).html")
    let run = try whyslow(["analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow", "--html", page.path])
    #expect(run.status == 0)
    let html = try String(contentsOf: page, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</body></html>\n"))
    #expect(html.contains("<tr><td>1</td><td>payment-db</td><td>payment-db SELECT payments</td><td>63.5 ms</td>"))
    #expect(!html.contains("<script") && !html.contains("http"))
  }

  @Test func aControlPrintsBestGuessesAndSaysNothingIsSignificant() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-control-cli-\(UUID().uuidString)")
    _ = try whyslow(["generate", "--scenario", "control", "--fast", "150", "--slow", "150", "--seed", "4", "--out", folder.path])
    let run = try whyslow([
      "analyze", "--fast", folder.appendingPathComponent("fast").path, "--slow",
      folder.appendingPathComponent("slow").path, "--fail-on-suspect",
    ])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("best guesses, largest first (none grew significantly by more than"))
    #expect(run.standardOutput.contains("caution: nothing is significant"))
  }
}
