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
}

/// Span kinds as the generator uses them.
public enum SyntheticKind: String, Sendable {
  case server, client, `internal`, producer, consumer
}
