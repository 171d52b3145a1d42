import Foundation
import WhyslowEvaluation
import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// The package's root folder, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shared real-format trace fixtures, beside the package (see each PROVENANCE.md).
let realDatasets = packageRoot.deletingLastPathComponent()
  .appendingPathComponent("shared/datasets/real")

/// A fixture stored with these tests.
func fixture(_ name: String) -> URL {
  packageRoot.appendingPathComponent("Tests/WhyslowTests/Fixtures").appendingPathComponent(name)
}

/// Writes `text` to a new temporary file named `name` and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("whyslow-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let file = folder.appendingPathComponent(name)
  try Data(text.utf8).write(to: file)
  return file.path
}

/// Runs a shell command line (test data made with gzip, zstd); fails the test when it fails.
func shell(_ command: String) throws {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/sh")
  process.arguments = ["-c", "set -e; " + command]
  try process.run()
  process.waitUntilExit()
  if process.terminationStatus != 0 { throw CocoaError(.fileWriteUnknown, userInfo: ["command": command]) }
}

/// Whether `actual` is within `relative` of `expected` (absolutely, near zero).
func close(_ actual: Double, _ expected: Double, relative: Double) -> Bool {
  abs(actual - expected) <= relative * max(abs(expected), 1)
}

/// The analysis of a generated case: its batches written as Jaeger JSON to a new temporary
/// folder and read back, as a user reads them.
func analyzeGenerated(_ options: GeneratorOptions) throws -> LatencyAnalysis {
  let generated = try Generator.generate(options)
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-generated-\(UUID().uuidString)")
  try TraceWriter(format: .jaeger).write(generated.fast, to: folder.appendingPathComponent("fast"))
  try TraceWriter(format: .jaeger).write(generated.slow, to: folder.appendingPathComponent("slow"))
  return try ContributionAnalysis.analyze(
    FeatureMatrix(
      fast: try TraceReader.read(paths: [folder.appendingPathComponent("fast").path]),
      slow: try TraceReader.read(paths: [folder.appendingPathComponent("slow").path])))
}
