import ArgumentParser
import Foundation
import WhyslowIngest
import WhyslowLinalg

@main
struct Whyslow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "whyslow",
    abstract: "Statistical root-cause analysis of request latency from traces.",
    discussion: """
      Give whyslow a batch of fast traces and a batch of slow traces of the same service (or one \
      batch and a rule that labels it). It turns every trace into span features, accounts for \
      the latency gap on the critical path exactly, explains each suspect's growth by its own \
      features (least squares, LAPACK), and ranks the suspects by their contribution in milliseconds, \
      with intervals and q-values. `whyslow diff` compares two single traces exactly. `whyslow \
      spans`, `partial` and `merge` give the same analysis in shards of whole traces, for a \
      cluster (scripts/whyslow_spark.py runs them on Apache Spark).
      """,
    version: "0.1.0",
    subcommands: [Analyze.self, Diff.self, Inspect.self, Generate.self, Eval.self, Spans.self, PartialCommand.self, Merge.self]
  )

  /// Before any command runs: freed memory is kept for reuse (`ProcessMemory`), and
  /// OpenBLAS's idle workers are stopped, whatever OPENBLAS_NUM_THREADS says (they start with
  /// the library and would spin on the other core while files are parsed; a threaded call
  /// starts them again, and commands that solve large systems choose their threads,
  /// `AnalysisArguments.chooseBLASThreads`).
  static func main() {
    refuseUnknownCommand(Array(CommandLine.arguments.dropFirst()))
    ProcessMemory.keepFreedMemory()
    BLASThreads.stopIdleWorkers()
    AnalysisArguments.chooseBLASThreads(traces: 0)
    main(nil)
  }

  /// Exits with a usage error when the first argument names no command: "unknown command
  /// 'analyse'; did you mean 'analyze'?" (the nearest command by edit distance, when near).
  private static func refuseUnknownCommand(_ arguments: [String]) {
    guard let first = arguments.first, !first.hasPrefix("-") else { return }
    let commands = configuration.subcommands.map { $0._commandName } + ["help"]
    guard !commands.contains(first) else { return }
    let nearest = commands.map { (name: $0, distance: editDistance(first.lowercased(), $0)) }.min { $0.distance < $1.distance }
    let suggestion = nearest.map { $0.distance <= 2 ? "; did you mean '\($0.name)'?" : "" } ?? ""
    printError(
      "Error: unknown command '\(first)'\(suggestion)\nCommands: \(commands.dropLast().joined(separator: ", "))"
        + "\nSee 'whyslow --help'.")
    Foundation.exit(ExitCode.validationFailure.rawValue)
  }

  /// Levenshtein distance between two words.
  private static func editDistance(_ a: String, _ b: String) -> Int {
    let (a, b) = (Array(a), Array(b))
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var current = [i] + [Int](repeating: 0, count: b.count)
      for j in 1...max(b.count, 1) where !b.isEmpty {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
