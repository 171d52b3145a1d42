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

  /// The real case TT-2023-01-30-1151: the timelines are a typical fast and a typical slow trace
  /// that contain the top suspect, drawn whole (no span cut off; folded subtrees counted), with
  /// the suspect outlined; the waterfall's two network suspects keep distinct labels; the page
  /// renders at 1400 and at 800 pixels wide.
  @Test func aRealReportDrawsTracesThatHoldTheTopSuspect() throws {
    let nezha = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/real/nezha")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-html-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let page = folder.appendingPathComponent("report.html")
    let run = try whyslow(
      ["analyze", "--fast", nezha.appendingPathComponent("construct_data/2023-01-30/trace/11_39_trace.csv").path, "--slow"]
        + ["11_51", "11_52", "11_53"].map { nezha.appendingPathComponent("rca_data/2023-01-30/trace/\($0)_trace.csv").path }
        + ["--html", page.path])
    #expect(run.status == 0, "\(run.standardError)")
    let rendered = try chromium(["--dump-dom"], page: page)
    #expect(!rendered.log.contains("CONSOLE"), "\(rendered.log)")
    let top = "ts-preserve-other-service HTTP GET"
    let timelines = try #require(rendered.output.components(separatedBy: "A typical fast and slow trace with the top suspect").last)
    let figures = timelines.components(separatedBy: "<figure>").dropFirst()
    #expect(figures.count == 2)
    for figure in figures {
      #expect(figure.contains("a typical \(figure.contains("typical fast") ? "fast" : "slow") trace with \(top)"))
      #expect(figure.contains(#"<rect class="critical hot""#) || figure.contains(#"<rect class="offpath hot""#))
      #expect(figure.contains("<title>\(top): "), "the top suspect's span is drawn")
      #expect(!figure.contains("(first "), "nothing cut off")
    }
    let waterfall = try #require(rendered.output.components(separatedBy: "Waterfall of the latency gap").dropFirst().first)
    #expect(waterfall.contains("ts-preserve-other-service HTTP GET") && waterfall.contains("ts-preserve-service HTTP GET"))
    for width in [1400, 800] {
      let image = folder.appendingPathComponent("report-\(width).png")
      _ = try chromium(["--screenshot=\(image.path)", "--window-size=\(width),2400", "--hide-scrollbars"], page: page)
      let bytes = try Data(contentsOf: image)
      #expect(bytes.count > 10_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }
  }
}
