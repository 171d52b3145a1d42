import Foundation
import Testing

private func scratch() throws -> URL {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-distributed-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

private let recordsMagic = Data("whyslow span records 1\n".utf8)

/// Splits a span records stream into `count` records files by a hash of each frame's trace id,
/// as a shuffle would: every trace whole in one file.
private func shard(_ records: Data, into count: Int, at folder: URL, named name: String) throws -> [String] {
  #expect(records.starts(with: recordsMagic))
  var shards = [Data](repeating: recordsMagic, count: count)
  let bytes = [UInt8](records)
  var at = recordsMagic.count
  while at < bytes.count {
    let length = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
    let idLength = Int(bytes[at + 4]) | Int(bytes[at + 5]) << 8
    let hash = bytes[(at + 6)..<(at + 6 + idLength)].reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
    shards[Int(hash % UInt32(count))].append(contentsOf: bytes[at..<(at + 4 + length)])
    at += 4 + length
  }
  return try shards.enumerated().map { index, data in
    let path = folder.appendingPathComponent("\(name)-\(index).spans").path
    try data.write(to: URL(fileURLWithPath: path))
    return path
  }
}

/// `spans` of both batches, shuffled into `count` shards, a `partial` per shard: the partials.
private func partials(fast: String, slow: String, shards count: Int, in folder: URL, options: [String] = []) throws -> [String] {
  let fastRecords = try whyslow(["spans", fast])
  let slowRecords = try whyslow(["spans", slow])
  #expect(fastRecords.status == 0 && slowRecords.status == 0, "\(fastRecords.standardError)")
  let fastShards = try shard(fastRecords.outputBytes, into: count, at: folder, named: "fast")
  let slowShards = try shard(slowRecords.outputBytes, into: count, at: folder, named: "slow")
  return try (0..<count).map { index in
    let path = folder.appendingPathComponent("shard-\(index).partial").path
    let run = try whyslow(["partial", "--fast", fastShards[index], "--slow", slowShards[index], "-o", path] + options)
    #expect(run.status == 0, "\(run.standardError)")
    return path
  }
}

struct DistributedCommandTests {
  /// Shards merged in any order give analyze's JSON and CSV byte for byte.
  @Test(arguments: [
    ("Datasets/demo/fast", "Datasets/demo/slow", [String]()),
    ("generated/fast", "generated/slow", ["--key", "path"]),
  ])
  func mergedShardsEqualAnalyze(fast: String, slow: String, options: [String]) throws {
    let folder = try scratch()
    var (fast, slow) = (fast, slow)
    if fast.hasPrefix("generated") {  // OTLP JSON Lines with attributes, network gaps and fan-out
      let generated = folder.appendingPathComponent("generated").path
      let run = try whyslow(["generate", "--scenario", "network", "--out", generated, "--format", "otlp", "--fast", "300", "--slow", "300", "--seed", "7"])
      #expect(run.status == 0, "\(run.standardError)")
      (fast, slow) = (generated + "/fast", generated + "/slow")
    }
    let expected = folder.appendingPathComponent("analyze")
    let analyze = try whyslow(
      ["analyze", "--fast", fast, "--slow", slow, "--json", expected.path + ".json", "--csv", expected.path + ".csv"] + options)
    #expect(analyze.status == 0, "\(analyze.standardError)")
    let parts = try partials(fast: fast, slow: slow, shards: 3, in: folder, options: options)
    // A tree of merges: (shard 2 + shard 0) first, then with shard 1.
    let pair = folder.appendingPathComponent("pair.partial").path
    #expect(try whyslow(["merge", parts[2], parts[0], "--partial", pair]).status == 0)
    for (order, name) in [(parts, "merged"), (parts.reversed(), "reversed"), ([parts[1], pair], "tree")] {
      let merged = folder.appendingPathComponent(name)
      let run = try whyslow(["merge"] + order + ["--json", merged.path + ".json", "--csv", merged.path + ".csv"])
      #expect(run.status == 0, "\(run.standardError)")
      #expect(run.standardOutput == analyze.standardOutput)
      for suffix in [".json", ".csv"] {
        let got = try Data(contentsOf: URL(fileURLWithPath: merged.path + suffix))
        #expect(got == (try Data(contentsOf: URL(fileURLWithPath: expected.path + suffix))), "\(name)\(suffix)")
      }
    }
  }

  @Test func aTraceInTwoPartialsIsAnError() throws {
    let folder = try scratch()
    let part = try partials(fast: "Datasets/demo/fast", slow: "Datasets/demo/slow", shards: 1, in: folder)[0]
    let run = try whyslow(["merge", part, part])
    #expect(run.status == 1)
    #expect(run.standardError.contains("appears twice") && run.standardError.contains("whole in one shard"))
  }

  @Test func partialsOfOtherFeatureOptionsDoNotMerge() throws {
    let folder = try scratch()
    let plain = try partials(fast: "Datasets/demo/fast", slow: "Datasets/demo/slow", shards: 1, in: folder)[0]
    let other = folder.appendingPathComponent("other.partial").path
    #expect(try whyslow(["partial", "--fast", "Datasets/demo/fast", "-o", other, "--key", "path"]).status == 0)
    let run = try whyslow(["merge", plain, other])
    #expect(run.status != 0)
    #expect(run.standardError.contains("other feature options"))
  }

  /// A damaged partial is named with the byte where it fails, at every length it is cut to.
  @Test func aCutPartialIsAnErrorNamingTheFile() throws {
    let folder = try scratch()
    let part = try partials(fast: "Datasets/demo/fast", slow: "Datasets/demo/slow", shards: 1, in: folder)[0]
    let bytes = try Data(contentsOf: URL(fileURLWithPath: part))
    let cut = folder.appendingPathComponent("cut.partial")
    for length in [0, 10, bytes.count / 3, bytes.count / 2, bytes.count - 1] {
      try bytes.prefix(length).write(to: cut)
      let run = try whyslow(["merge", cut.path])
      #expect(run.status == 1, "cut at \(length)")
      #expect(run.standardError.contains(cut.path), "cut at \(length): \(run.standardError)")
    }
  }

  @Test func spanRecordsAreReadLikeTheFilesTheyCameFrom() throws {
    let folder = try scratch()
    let records = try whyslow(["spans", "Datasets/demo/fast"])
    let path = folder.appendingPathComponent("fast.spans")
    try records.outputBytes.write(to: path)
    let fromRecords = try whyslow(["inspect", path.path])
    let fromFiles = try whyslow(["inspect", "Datasets/demo/fast"])
    #expect(fromRecords.status == 0 && fromFiles.status == 0)
    // All but the path and the format line: traces, spans, services, entry points, data quality.
    let body = { (run: Run) in run.standardOutput.split(separator: "\n").dropFirst().filter { !$0.contains("format:") } }
    #expect(body(fromRecords) == body(fromFiles))
  }
}
