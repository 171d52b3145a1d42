import Foundation
import Testing

private let realDatasets = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("shared/datasets/real")

struct InspectCommandTests {
  @Test func inspectDescribesEachInput() throws {
    let nezha = realDatasets.appendingPathComponent(
      "nezha/construct_data/2023-01-30/trace/11_39_trace.csv"
    ).path
    let run = try whyslow(["inspect", "Datasets/demo/slow", nezha])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("Datasets/demo/slow\n  format:   jaeger (2 files)\n  traces:   60\n  spans:    480\n"))
    #expect(run.standardOutput.contains("    60  "))
    #expect(run.standardOutput.contains("frontend GET /checkout\n"))
    #expect(run.standardOutput.contains("  format:   csv (1 file)\n  traces:   62\n  spans:    4595\n"))
    #expect(run.standardOutput.contains("note: services: pod names without their Kubernetes replica-set and pod suffixes"))
  }

  @Test func inspectJSONIsOneVersionedObject() throws {
    let run = try whyslow(["inspect", "--json", "Datasets/demo/fast"])
    #expect(run.status == 0)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    #expect(object["type"] as? String == "whyslow.inspect")
    #expect(object["version"] as? Int == 1)
    let input = try #require((object["inputs"] as? [[String: Any]])?.first)
    #expect(input["spans"] as? Int == 480)
    #expect(input["formats"] as? [String: Int] == ["jaeger": 2])
    let quality = try #require(input["quality"] as? [String: Int])
    #expect(quality["async_edges"] == 60 && quality["orphan_spans"] == 0)
    let entry = try #require((input["entry_points"] as? [[String: Any]])?.first)
    #expect(entry["service"] as? String == "frontend" && entry["traces"] as? Int == 60)
  }

  @Test func standardInputIsReadForADash() throws {
    let file = realDatasets.appendingPathComponent("zipkin/zipkin-lens/testdata/skew.json")
    let run = try whyslow(["inspect", "-"], input: try Data(contentsOf: file))
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("  format:   zipkin (1 file)\n  traces:   1\n  spans:    4\n"))
    #expect(run.standardOutput.contains("1 shared client/server spans split"))
  }

  @Test func anUnreadableFileIsAnErrorWithItsName() throws {
    let run = try whyslow(["inspect", "--format", "otlp", "Datasets/demo/fast/traces-1.json"])
    #expect(run.status == 1)
    #expect(run.standardError.contains("Datasets/demo/fast/traces-1.json:"))
    #expect(run.standardError.contains("not an OTLP JSON document"))
  }
}
