import Foundation
import Testing

/// The README's example outputs are what its commands print: each block
///
///     <!-- example: whyslow ARGUMENTS -->
///     ```text
///     standard output
///     ```
///     <!-- /example -->
///
/// is checked against a run of the built binary (arguments split at spaces, run from the package
/// root). With WHYSLOW_UPDATE_README=1 the blocks are rewritten instead, so they never go stale.
struct ReadmeExampleTests {
  private static let readme = packageRoot.appendingPathComponent("README.md")
  private static let opening = "<!-- example: "
  private static let closing = "<!-- /example -->"

  @Test func readmeExamplesAreWhatTheCommandsPrint() throws {
    let text = try String(contentsOf: Self.readme, encoding: .utf8)
    var updated = ""
    var rest = Substring(text)
    var examples = 0
    while let start = rest.range(of: Self.opening) {
      let headerEnd = try #require(rest[start.upperBound...].range(of: " -->\n"))
      let command = String(rest[start.upperBound..<headerEnd.lowerBound])
      let end = try #require(rest[headerEnd.upperBound...].range(of: Self.closing), "\(command): no \(Self.closing)")
      let arguments = command.split(separator: " ").map(String.init)
      #expect(arguments.first == "whyslow", "\(command)")
      let run = try whyslow(Array(arguments.dropFirst()))
      #expect(run.status == 0, "\(command): \(run.standardError)")
      let block = "```text\n" + run.standardOutput + "```\n"
      let written = String(rest[headerEnd.upperBound..<end.lowerBound])
      if ProcessInfo.processInfo.environment["WHYSLOW_UPDATE_README"] == nil {
        #expect(written == block, "README example `\(command)` is stale: WHYSLOW_UPDATE_README=1 rewrites it")
      }
      updated += rest[..<headerEnd.upperBound] + block
      rest = rest[end.lowerBound...]
      examples += 1
    }
    #expect(examples >= 3)
    if ProcessInfo.processInfo.environment["WHYSLOW_UPDATE_README"] != nil {
      try (updated + rest).write(to: Self.readme, atomically: true, encoding: .utf8)
    }
  }
}
