/// A versioned JSON document of typed records, the shape every JSON export has:
/// `{"type": ..., "version": ..., "records": [{"type": ..., ...}, ...]}`.
struct JSONDocument: Encodable {
  let type: String
  let version: Int
  let records: [JSONRecord]
}

/// One record: its `type` and its fields, encoded with sorted keys (see `encodeJSON`).
struct JSONRecord: Encodable {
  let type: String
  let fields: [String: JSONValue]

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(type, forKey: Key("type"))
    for (name, value) in fields { try container.encode(value, forKey: Key(name)) }
  }

  private struct Key: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
  }
}

/// A field's value; a number that is not finite encodes as null.
enum JSONValue: Encodable {
  case number(Double)
  case string(String)
  case bool(Bool)
  case strings([String])

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .number(let value): if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
    case .string(let value): try container.encode(value)
    case .bool(let value): try container.encode(value)
    case .strings(let value): try container.encode(value)
    }
  }
}
