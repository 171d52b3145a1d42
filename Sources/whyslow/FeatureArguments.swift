import ArgumentParser
import WhyslowFeatures

/// How traces become feature vectors.
struct FeatureArguments: ParsableArguments {
  /// What identifies a span across traces.
  enum KeyKind: String, ExpressibleByArgument, CaseIterable {
    case operation
    case path
  }

  @Option(
    help: ArgumentHelp(
      "Group spans by service and operation (operation), or also by their chain of callers "
        + "(path), to tell the same operation called from different places apart.",
      valueName: "operation|path"))
  var key: KeyKind = .operation

  @Flag(
    help: ArgumentHelp(
      "Keep operation names as recorded; by default ids inside them (numbers, UUIDs, hex, "
        + "e-mail addresses, quoted SQL literals) become placeholders so /users/123 and "
        + "/users/456 are one key."))
  var keepOperationNames = false

  @Option(
    help: ArgumentHelp(
      "Entry points to compare like with like: root span keys (root), the root's http.route, "
        + "http.target or url.path (route), or the first server span below the root (child). "
        + "auto uses root unless one root operation covers 95% of traces or is a wildcard (/*).",
      valueName: "auto|root|route|child"))
  var endpointBy: EndpointRule = .automatic

  @Option(help: "At most this many 0/1 columns per attribute: its most frequent values.")
  var maxAttributeValues = 8

  @Option(
    help: ArgumentHelp(
      "At most this many span keys get columns of their own (those with the most spans); the "
        + "others fold into one \"(other operations)\" key per service.",
      valueName: "count"))
  var maxSpanKeys = FeatureOptions().maxSpanKeys

  @Option(help: ArgumentHelp("With --key path, at most this many callers name a key (the nearest).", valueName: "count"))
  var maxPathDepth = FeatureOptions().maxPathDepth

  @Option(help: ArgumentHelp("Cut service and operation names longer than this.", valueName: "characters"))
  var maxNameLength = FeatureOptions().maxNameLength

  func validate() throws {
    guard maxAttributeValues >= 1 else {
      throw ValidationError("--max-attribute-values must be at least 1")
    }
    guard maxSpanKeys >= 1, maxPathDepth >= 1, maxNameLength >= 8 else {
      throw ValidationError("--max-span-keys and --max-path-depth must be at least 1, --max-name-length 8")
    }
  }

  var options: FeatureOptions {
    FeatureOptions(
      keepOperationNames: keepOperationNames, keyByPath: key == .path,
      maxAttributeValues: maxAttributeValues, endpointRule: endpointBy, maxSpanKeys: maxSpanKeys,
      maxPathDepth: maxPathDepth, maxNameLength: maxNameLength)
  }
}

extension EndpointRule: ExpressibleByArgument {}
