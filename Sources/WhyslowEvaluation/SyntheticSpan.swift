import Foundation

/// One generated span, in whole nanoseconds.
public struct SyntheticSpan: Sendable {
  public var traceID: String
  public var spanID: String
  /// The parent's span id, or empty for the root.
  public var parentID: String
  /// Whether the span follows its parent asynchronously (the parent does not wait for it).
  public var isAsync: Bool
  public var service: String
  public var operation: String
  public var kind: SyntheticKind
  public var startNanos: Int64
  public var durationNanos: Int64
  public var isError: Bool
  /// String attributes, sorted by key when written.
  public var attributes: [String: String]

  public init(
    traceID: String, spanID: String, parentID: String, isAsync: Bool = false, service: String, operation: String,
    kind: SyntheticKind, startNanos: Int64, durationNanos: Int64, isError: Bool = false,
    attributes: [String: String] = [:]
  ) {
    self.traceID = traceID
    self.spanID = spanID
    self.parentID = parentID
    self.isAsync = isAsync
    self.service = service
    self.operation = operation
    self.kind = kind
    self.startNanos = startNanos
    self.durationNanos = durationNanos
    self.isError = isError
    self.attributes = attributes
  }
}

/// Span kinds as the generator uses them.
public enum SyntheticKind: String, Sendable {
  case server, client, `internal`, producer, consumer
}
