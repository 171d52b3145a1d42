import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The files a command writes, checked before any work is done and replaced all together.
///
/// - `-` is standard output (at most one output may take it);
/// - a path that is an input, or lies inside an input directory, is refused: an output must
///   never overwrite a trace file nor be read as one on the next run;
/// - every output's directory must exist and be writable before the analysis starts;
/// - regular files are written to a temporary file beside them, with the mode of the file they
///   replace, and renamed over it only once every output has been written: either all outputs
///   are replaced or none is; a symbolic link's target is replaced, the link kept;
/// - special files (`/dev/stdout`, FIFOs, devices) are written in place, never replaced.
public struct OutputFiles: Sendable {
  /// One requested output: the option that named it and its path.
  public struct Output: Sendable {
    public let option: String
    public let path: String

    public init(option: String, path: String) {
      self.option = option
      self.path = path
    }
  }

  private let outputs: [Output]

  /// Whether an output goes to standard output (the terminal table then goes to stderr).
  public var usesStandardOutput: Bool { outputs.contains { $0.path == "-" } }

  /// Checks `outputs` against the `inputs` (files, directories or `-`); throws
  /// `OutputError.refused` naming the option and the reason.
  public init(_ outputs: [Output], inputs: [String]) throws {
    guard outputs.filter({ $0.path == "-" }).count <= 1 else {
      throw OutputError.refused(option: outputs.filter { $0.path == "-" }[1].option, path: "-", reason: "only one output can go to standard output")
    }
    let inputPaths = inputs.filter { $0 != "-" }.map(Self.resolved)
    var seen: [String: String] = [:]
    for output in outputs where output.path != "-" {
      let target = Self.resolved(output.path)
      if let earlier = seen[target] {
        throw OutputError.refused(option: output.option, path: output.path, reason: "\(earlier) writes there too")
      }
      seen[target] = output.option
      for input in inputPaths where target == input || target.hasPrefix(input.hasSuffix("/") ? input : input + "/") {
        throw OutputError.refused(
          option: output.option, path: output.path,
          reason: target == input ? "it is an input; whyslow never writes over its inputs" : "it is inside the input directory \(input), where it would be read as traces")
      }
      var status = stat()
      if stat(target, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
        throw OutputError.refused(option: output.option, path: output.path, reason: "it is a directory")
      }
      let directory = (target as NSString).deletingLastPathComponent
      guard access(directory.isEmpty ? "." : directory, W_OK) == 0 || Self.isSpecial(target) else {
        throw OutputError.refused(option: output.option, path: output.path, reason: "its directory \(directory) does not exist or is not writable")
      }
    }
    self.outputs = outputs
  }

  /// Writes each output's document (in the order the outputs were given): every temporary
  /// file first; only when all are written, the renames and the writes to standard output and
  /// special files. On a failure before that point nothing is replaced.
  public func write(_ documents: [String]) throws { try write(data: documents.map { Data($0.utf8) }) }

  /// `write(_:)` for documents of bytes.
  public func write(data documents: [Data]) throws {
    precondition(documents.count == outputs.count)
    var pending: [(temporary: String, target: String)] = []
    var direct: [(data: Data, path: String?)] = []  // nil: standard output
    do {
      for (output, data) in zip(outputs, documents) {
        let target = output.path == "-" ? nil : Self.resolved(output.path)
        guard let target, !Self.isSpecial(target) else {
          direct.append((data, target))
          continue
        }
        let temporary = target + ".whyslow-\(getpid())-\(pending.count).tmp"
        var existing = stat()
        let mode = stat(target, &existing) == 0 ? existing.st_mode & 0o7777 : 0o644
        try Self.create(data, at: temporary, mode: mode, named: output.path)
        pending.append((temporary, target))
      }
      for (temporary, target) in pending where rename(temporary, target) != 0 {
        throw OutputError.cannotWrite(path: target, reason: String(cString: strerror(errno)))
      }
    } catch {
      for (temporary, _) in pending { unlink(temporary) }
      throw error
    }
    for (data, path) in direct {
      guard let path else {
        FileHandle.standardOutput.write(data)
        continue
      }
      try Self.writeInPlace(data, to: path)
    }
  }

  /// The absolute path with symbolic links resolved (of its directory when it does not exist).
  private static func resolved(_ path: String) -> String {
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    if let real = realpath(absolute, nil) {
      defer { free(real) }
      return String(cString: real)
    }
    let directory = (absolute as NSString).deletingLastPathComponent
    guard let real = realpath(directory, nil) else { return (absolute as NSString).standardizingPath }
    defer { free(real) }
    return (String(cString: real) as NSString).appendingPathComponent((absolute as NSString).lastPathComponent)
  }

  /// Whether the path exists and is neither a regular file nor a directory (a FIFO, a device).
  private static func isSpecial(_ path: String) -> Bool {
    var status = stat()
    guard stat(path, &status) == 0 else { return false }
    let type = status.st_mode & S_IFMT
    return type != S_IFREG && type != S_IFDIR
  }

  private static func create(_ data: Data, at path: String, mode: mode_t, named: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
    guard descriptor >= 0 else { throw OutputError.cannotWrite(path: named, reason: String(cString: strerror(errno))) }
    defer { close(descriptor) }
    fchmod(descriptor, mode)  // the umask must not narrow the mode of the file replaced
    try writeAll(data, to: descriptor, named: named)
    guard fsync(descriptor) == 0 else { throw OutputError.cannotWrite(path: named, reason: String(cString: strerror(errno))) }
  }

  private static func writeInPlace(_ data: Data, to path: String) throws {
    let descriptor = open(path, O_WRONLY)
    guard descriptor >= 0 else { throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    defer { close(descriptor) }
    try writeAll(data, to: descriptor, named: path)
  }

  private static func writeAll(_ data: Data, to descriptor: Int32, named: String) throws {
    try data.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return }
      var offset = 0
      while offset < raw.count {
        let written = Glibc.write(descriptor, base + offset, raw.count - offset)
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { throw OutputError.cannotWrite(path: named, reason: String(cString: strerror(errno))) }
        offset += written
      }
    }
  }
}
