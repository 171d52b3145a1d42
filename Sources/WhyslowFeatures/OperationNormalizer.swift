/// Replaces the ids inside operation names with placeholders, so that `GET /users/123` and
/// `GET /users/456` are one span key.
///
/// In this order: quoted SQL literals (`'abc'` → `?`), UUIDs (`{uuid}`), e-mail-like words
/// (`{email}`), hex ids of 8 or more digits with at least one digit 0–9 (`{hex}`), and whole
/// numbers standing alone (`{n}`); `v1` in `/api/v1/` is a word, not a number, and stays.
public struct OperationNormalizer: Sendable {
  public init() {}

  /// The normalized name.
  public func normalize(_ name: String) -> String {
    var text = Array(name.unicodeScalars)
    text = replaceQuoted(text)
    text = replaceWords(text)
    return String(String.UnicodeScalarView(text))
  }

  /// `'...'` (with `''` escapes) → `?`.
  private func replaceQuoted(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    var index = 0
    while index < text.count {
      guard text[index] == "'" else {
        out.append(text[index])
        index += 1
        continue
      }
      var end = index + 1
      while end < text.count {
        if text[end] == "'" {
          if end + 1 < text.count && text[end + 1] == "'" {
            end += 2
            continue
          }
          break
        }
        end += 1
      }
      guard end < text.count else {  // unterminated: keep as written
        out.append(contentsOf: text[index...])
        break
      }
      out.append("?")
      index = end + 1
    }
    return out
  }

  /// Splits at separators and replaces each token that is an id.
  private func replaceWords(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    var index = 0
    while index < text.count {
      guard isTokenCharacter(text[index]) else {
        out.append(text[index])
        index += 1
        continue
      }
      var end = index
      while end < text.count && isTokenCharacter(text[end]) { end += 1 }
      out.append(contentsOf: placeholder(for: Array(text[index..<end])))
      index = end
    }
    return out
  }

  /// Letters, digits and the characters ids and e-mail addresses are made of.
  private func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.@+".unicodeScalars.contains(scalar)
  }

  private func placeholder(for token: [Unicode.Scalar]) -> [Unicode.Scalar] {
    if isUUID(token) { return Array("{uuid}".unicodeScalars) }
    if isEmail(token) { return Array("{email}".unicodeScalars) }
    // Tokens like "order-123" keep their words; only the id parts are replaced.
    var out: [Unicode.Scalar] = []
    var part: [Unicode.Scalar] = []
    func flush() {
      let isNumber = !part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) }
      let isHex =
        part.count >= 8 && part.allSatisfy(\.properties.isASCIIHexDigit)
        && part.contains { ("0"..."9").contains($0) }
      out.append(contentsOf: isNumber ? Array("{n}".unicodeScalars) : isHex ? Array("{hex}".unicodeScalars) : part)
      part.removeAll()
    }
    for scalar in token {
      if "-_.+".unicodeScalars.contains(scalar) {
        flush()
        out.append(scalar)
      } else {
        part.append(scalar)
      }
    }
    flush()
    return out
  }

  private func isUUID(_ token: [Unicode.Scalar]) -> Bool {
    let groups = String(String.UnicodeScalarView(token)).split(separator: "-", omittingEmptySubsequences: false)
    return groups.map(\.count) == [8, 4, 4, 4, 12]
      && groups.allSatisfy { $0.unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit) }
  }

  private func isEmail(_ token: [Unicode.Scalar]) -> Bool {
    guard let at = token.firstIndex(of: "@"), at > 0 else { return false }
    let domain = token[(at + 1)...]
    return domain.contains(".") && domain.last != "." && !domain.contains("@")
  }
}
