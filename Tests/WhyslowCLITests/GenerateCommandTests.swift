import Foundation
import Testing

struct GenerateCommandTests {
  @Test func generatedTracesWithATruthAreAnalysedToTheirCulprit() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-generate-\(UUID().uuidString)")
    let run = try whyslow([
      "generate", "--scenario", "network", "--fast", "80", "--slow", "80", "--format", "otlp",
      "--seed", "3", "--out", folder.path,
    ])
    #expect(run.status == 0)
    let truth = try String(contentsOf: folder.appendingPathComponent("truth.json"), encoding: .utf8)
    #expect(truth.contains("\"scenario\" : \"network\""))
    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("slow/traces-001.jsonl").path))
    let analysis = try whyslow([
      "analyze", "--fast", folder.appendingPathComponent("fast").path, "--slow",
      folder.appendingPathComponent("slow").path,
    ])
    #expect(analysis.status == 0)
    let first = analysis.standardOutput.split(separator: "\n").first { $0.hasPrefix("   1 ") }
    #expect(first?.contains("*  [pricing] network to pricing from frontend POST pricing (network_gap to pricing") == true)

    // A folder with files in it is never written into.
    let again = try whyslow(["generate", "--scenario", "control", "--out", folder.path])
    #expect(again.status == 64)
    #expect(again.standardError.contains("is not empty"))
  }
}
