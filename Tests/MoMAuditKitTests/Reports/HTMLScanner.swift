/// A small HTML tokenizer for tests: enough of the HTML5 tokenization rules
/// to find every element, its attributes and the text between them in the
/// report, so a test can check that no input text became markup.
struct HTMLScanner {
  struct Element: Equatable {
    var name: String
    var attributes: [String: String]
  }

  private(set) var elements: [Element] = []
  /// Decoded text outside tags (script and style content excluded).
  private(set) var text = ""
  /// Problems found: unbalanced tags, unterminated constructs.
  private(set) var problems: [String] = []

  static let void: Set<String> = ["meta", "br", "wbr", "input", "img", "hr", "link", "source", "col"]
  /// Elements whose end tag may be left out; the report closes them anyway.
  static let rawText: Set<String> = ["script", "style"]

  init(_ html: String) {
    let s = Array(html.unicodeScalars)
    var i = 0
    var stack: [String] = []
    func at(_ j: Int) -> Unicode.Scalar? { j < s.count ? s[j] : nil }
    func isNameChar(_ c: Unicode.Scalar) -> Bool {
      (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == ":"
    }
    func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\n" || c == "\t" || c == "\r" || c == "\u{0C}" }
    while i < s.count {
      if s[i] != "<" {
        var j = i
        while j < s.count && s[j] != "<" { j += 1 }
        text += HTMLScanner.decode(String(String.UnicodeScalarView(s[i..<j])))
        i = j
        continue
      }
      // "<!--", "<!DOCTYPE", end tag, start tag, or a literal "<" (which the report never writes).
      if at(i + 1) == "!" {
        guard let close = (i..<s.count).first(where: { s[$0] == ">" }) else {
          problems.append("unterminated declaration")
          break
        }
        i = close + 1
        continue
      }
      let end = at(i + 1) == "/"
      var j = i + (end ? 2 : 1)
      var name = ""
      while let c = at(j), isNameChar(c) {
        name.unicodeScalars.append(c)
        j += 1
      }
      name = name.lowercased()
      if name.isEmpty {
        problems.append("a bare < in the text")
        text += "<"
        i += 1
        continue
      }
      var attributes: [String: String] = [:]
      while let c = at(j), c != ">" {
        if isSpace(c) || c == "/" {
          j += 1
          continue
        }
        var attr = ""
        while let c = at(j), !isSpace(c), c != "=", c != ">", c != "/" {
          attr.unicodeScalars.append(c)
          j += 1
        }
        var value = ""
        if at(j) == "=" {
          j += 1
          if let q = at(j), q == "\"" || q == "'" {
            j += 1
            while let c = at(j), c != q {
              value.unicodeScalars.append(c)
              j += 1
            }
            j += 1
          } else {
            while let c = at(j), !isSpace(c), c != ">" {
              value.unicodeScalars.append(c)
              j += 1
            }
          }
        }
        attributes[attr.lowercased()] = HTMLScanner.decode(value)
      }
      guard at(j) == ">" else {
        problems.append("unterminated tag \(name)")
        break
      }
      i = j + 1
      if end {
        if let k = stack.lastIndex(of: name) {
          if k != stack.count - 1 { problems.append("</\(name)> closes over \(stack[(k + 1)...].joined(separator: ","))") }
          stack.removeSubrange(k...)
        } else {
          problems.append("</\(name)> without a start tag")
        }
        continue
      }
      elements.append(Element(name: name, attributes: attributes))
      if HTMLScanner.rawText.contains(name) {
        let closeTag = Array("</\(name)".unicodeScalars)
        var k = i
        while k + closeTag.count <= s.count && Array(s[k..<k + closeTag.count]).map({ Character($0).lowercased() }).joined() != String(String.UnicodeScalarView(closeTag)) {
          k += 1
        }
        guard k + closeTag.count <= s.count, let gt = (k..<s.count).first(where: { s[$0] == ">" }) else {
          problems.append("unterminated \(name)")
          break
        }
        i = gt + 1
        continue
      }
      if !HTMLScanner.void.contains(name) { stack.append(name) }
    }
    if !stack.isEmpty { problems.append("unclosed: \(stack.joined(separator: ","))") }
  }

  func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }

  static func decode(_ s: String) -> String {
    guard s.contains("&") else { return s }
    return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
      .replacingOccurrences(of: "&amp;", with: "&")
  }
}
