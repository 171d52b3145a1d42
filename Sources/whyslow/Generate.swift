import ArgumentParser
import Foundation
import WhyslowEvaluation
import WhyslowIngest
import WhyslowReports

struct Generate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a fast and a slow batch of synthetic traces with a known cause.",
    discussion: """
      Imitates a system (a shop checkout with a parallel fan-out, an asynchronous e-mail and \
      a database; an ML inference pipeline; a random service tree; or a random mesh of many \
      endpoints over shared services), draws lognormal span \
      times with attributes and several entry points, and injects one cause into the slow \
      batch. DIR receives fast/, slow/ and truth.json (the acceptable culprits, the injected \
      size and the realised gap). The same seed writes the same files.

      Scenarios: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")).

      Example:
        whyslow generate --scenario red-herring --fast 200 --slow 200 --out /tmp/herring
        whyslow analyze --fast /tmp/herring/fast --slow /tmp/herring/slow
      """
  )

  @Option(help: "The injected cause.")
  var scenario: Scenario

  @Option(help: "Traces in the fast batch.")
  var fast = 200

  @Option(help: "Traces in the slow batch.")
  var slow = 200

  @Option(help: ArgumentHelp("A new or empty folder for fast/, slow/ and truth.json.", valueName: "dir"))
  var out: String

  @Option(help: "Random seed.")
  var seed: UInt64 = 1

  @Option(help: "Output format: jaeger, otlp, otlp-proto, zipkin or csv.")
  var format: TraceFormat = .jaeger

  @Option(help: "The system imitated: shop, ml or random.")
  var topology: TopologyKind = .shop

  @Option(help: "Size of the injected effect per cause, milliseconds.")
  var effect = 30.0

  @Option(help: "Log-scale spread of span times: 0.25 realistic, 0.5 heavy noise.")
  var noise = 0.25

  @Option(help: "Share of spans (never a root) dropped at random from both batches: incomplete traces.")
  var missingSpans = 0.0

  func validate() throws {
    guard fast >= 1, slow >= 1 else { throw ValidationError("--fast and --slow need at least 1 trace") }
    guard effect >= 0, noise >= 0 else { throw ValidationError("--effect and --noise cannot be negative") }
    guard missingSpans >= 0, missingSpans < 1 else { throw ValidationError("--missing-spans must be at least 0 and below 1") }
    guard format != .spanRecords else { throw ValidationError("--format: generate writes jaeger, otlp, otlp-proto, zipkin or csv") }
  }

  func run() throws {
    let folder = URL(fileURLWithPath: out)
    if let existing = try? FileManager.default.contentsOfDirectory(atPath: out), !existing.isEmpty {
      throw ValidationError("\(out) is not empty; whyslow generate writes only into a new or empty folder")
    }
    let generated = try Generator.generate(
      GeneratorOptions(
        scenario: scenario, topology: topology, fastTraces: fast, slowTraces: slow, seed: seed,
        effectMillis: effect, noise: noise, missingSpans: missingSpans))
    let writer = TraceWriter(format: format)
    try writer.write(generated.fast, to: folder.appendingPathComponent("fast"))
    try writer.write(generated.slow, to: folder.appendingPathComponent("slow"))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writeAtomically(
      String(decoding: try encoder.encode(generated.truth), as: UTF8.self) + "\n",
      to: folder.appendingPathComponent("truth.json").path)
    printError(
      "wrote \(fast) fast and \(slow) slow traces (\(format.rawValue)) to \(out); realised gap "
        + String(format: "%.1f ms", generated.truth.realisedGapMillis))
  }
}

extension Scenario: ExpressibleByArgument {}
extension TopologyKind: ExpressibleByArgument {}
