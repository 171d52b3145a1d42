import Foundation
import Testing

/// Runs headless Chromium (Debian's `chromium`, installed by `make test`) on `page` and returns
/// what it printed on standard error and the rendered DOM.
private func chromium(_ arguments: [String], page: URL) throws -> (log: String, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
  process.arguments = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
    "--enable-logging=stderr", "--v=0",
  ] + arguments + [page.absoluteString]
  let (output, errors) = (Pipe(), Pipe())
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  nonisolated(unsafe) var log = Data()
  let drained = DispatchGroup()
  DispatchQueue.global().async(group: drained) { log = errors.fileHandleForReading.readDataToEndOfFile() }
  let dom = output.fileHandleForReading.readDataToEndOfFile()
  drained.wait()
  process.waitUntilExit()
  return (String(decoding: log, as: UTF8.self), String(decoding: dom, as: UTF8.self))
}

/// The HTML report in a real browser: it loads without a console message, holds the verdict
/// and at least three charts, and renders to an image.
struct HTMLReportTests {
  @Test func theReportRendersInChromiumWithTheVerdictAndCharts() throws {
    #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "make test installs Debian's chromium")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-html-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let page = folder.appendingPathComponent("report.html")
    let run = try whyslow([
      "analyze", "--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow", "--html", page.path,
      "--trace-url", "http://jaeger:16686/trace/{id}",
    ])
    #expect(run.status == 0)
    let source = try String(contentsOf: page, encoding: .utf8)
    #expect(!source.contains("<script") && !source.contains("<link") && !source.contains("@import") && !source.contains("url("))
    let rendered = try chromium(["--dump-dom"], page: page)
    #expect(!rendered.log.contains("CONSOLE"), "\(rendered.log)")
    #expect(rendered.output.contains("payment-db SELECT payments explains 63.5 ms (100%) of the 63.7 ms gap"))
    #expect(rendered.output.components(separatedBy: "<svg class=\"chart\"").count - 1 >= 3)
    #expect(rendered.output.contains(#"<a href="http://jaeger:16686/trace/0000000000000000000000000000200d">"#))
    let image = folder.appendingPathComponent("report.png")
    _ = try chromium(["--screenshot=\(image.path)", "--window-size=1100,1600", "--hide-scrollbars"], page: page)
    let bytes = try Data(contentsOf: image)
    #expect(bytes.count > 10_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))  // a PNG
  }
}
