/// `text` safe to print on a terminal: control characters (ESC of colour and OSC sequences,
/// line breaks, NUL, DEL, C1 controls) become visible escapes such as `\u{1B}`, so names chosen
/// by whoever runs a service, or bytes of a binary file, can never rewrite the screen.
package func terminalSafe(_ text: String) -> String {
  // Printable ASCII throughout (trace ids, most names): nothing to escape, no scalar decoding.
  if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
  guard text.unicodeScalars.contains(where: isControl) else { return text }
  var out = ""
  for scalar in text.unicodeScalars {
    if isControl(scalar) {
      out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
    } else {
      out.unicodeScalars.append(scalar)
    }
  }
  return out
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
  scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}
