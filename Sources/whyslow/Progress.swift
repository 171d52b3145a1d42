import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Progress on standard error for runs longer than a second, and only on a terminal: the
/// current step and the time so far, rewritten in place every half second, erased when done.
/// With `WHYSLOW_TIMINGS` set, each step's wall time is printed as it ends ("time: step 0.123 s").
final class Progress: @unchecked Sendable {
  private let lock = NSLock()
  private var step = ""
  private var shown = false
  private var finished = false
  private let start = DispatchTime.now()
  private var stepStart = DispatchTime.now()
  private let timer: (any DispatchSourceTimer)?
  private let printsTimings = ProcessInfo.processInfo.environment["WHYSLOW_TIMINGS"] != nil

  init() {
    guard isatty(STDERR_FILENO) == 1 else {
      timer = nil
      return
    }
    let timer = DispatchSource.makeTimerSource(queue: .global())
    self.timer = timer
    timer.schedule(deadline: .now() + 1, repeating: 0.5)
    timer.setEventHandler { [weak self] in self?.draw() }
    timer.resume()
  }

  /// Names what the command does now.
  func begin(_ step: String) {
    lock.lock()
    endStep()
    self.step = step
    lock.unlock()
  }

  /// Prints the time of the step that ends (with `WHYSLOW_TIMINGS`); the lock is held.
  private func endStep() {
    let now = DispatchTime.now()
    if printsTimings && !step.isEmpty && !finished {
      let seconds = Double(now.uptimeNanoseconds - stepStart.uptimeNanoseconds) / 1e9
      FileHandle.standardError.write(Data("time: \(step) \(String(format: "%.3f", seconds)) s\n".utf8))
    }
    stepStart = now
  }

  /// Stops and erases the line, before the command prints its results.
  func finish() {
    timer?.cancel()
    lock.lock()
    defer { lock.unlock() }
    if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    endStep()
    shown = false
    finished = true  // a tick already on its way draws nothing
  }

  private func draw() {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    FileHandle.standardError.write(Data("\r\u{1B}[Kwhyslow: \(step)… \(String(format: "%.1f", seconds)) s".utf8))
    shown = true
  }
}

/// Whether standard output is a terminal that wants colour (never with NO_COLOR set).
var standardOutputWantsColour: Bool {
  isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
}
