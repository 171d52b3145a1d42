import ArgumentParser
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
      features (least squares, LAPACK), and ranks the suspects by service, in milliseconds, \
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
    ProcessMemory.keepFreedMemory()
    BLASThreads.stopIdleWorkers()
    AnalysisArguments.chooseBLASThreads(traces: 0)
    main(nil)
  }
}
