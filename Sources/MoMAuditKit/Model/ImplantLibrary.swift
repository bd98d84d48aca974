import Foundation

/// Metal-on-metal hip components by brand (sources.md §4), shipped as data:
/// `Resources/implant-library.json`, each entry with its source, compiled
/// into the binary. Consulted only for a procedure whose bearing is unknown.
package struct ImplantLibrary: Sendable, Decodable {
  package struct Entry: Sendable, Decodable, Equatable {
    package var id: String
    package var name: String
    /// Every token must appear as a whole word in one component text.
    package var tokens: [String]
    package var source: String
    /// `tokens`, lowercased once (`match` compares them with every procedure's words).
    let loweredTokens: [String]

    private enum CodingKeys: String, CodingKey { case id, name, tokens, source }

    package init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      id = try c.decode(String.self, forKey: .id)
      name = try c.decode(String.self, forKey: .name)
      tokens = try c.decode([String].self, forKey: .tokens)
      source = try c.decode(String.self, forKey: .source)
      loweredTokens = tokens.map { $0.lowercased() }
    }

    package static func == (a: Entry, b: Entry) -> Bool {
      a.id == b.id && a.name == b.name && a.tokens == b.tokens && a.source == b.source
    }
  }

  package var name: String
  package var entries: [Entry]

  /// The library shipped with momaudit.
  package static let shipped: ImplantLibrary = {
    do {
      return try JSONDecoder().decode(ImplantLibrary.self, from: Data(PackageResources.implant_library_json))
    } catch {
      fatalError("the shipped implant library does not decode: \(error)")  // a build defect; tests decode it
    }
  }()

  /// The first entry (in library order) all of whose tokens are whole words
  /// of one of `texts`, or nil.
  package func match(_ texts: [String?]) -> Entry? {
    let words = texts.compactMap { $0 }.map(Self.words)
    return entries.first { entry in
      words.contains { w in entry.loweredTokens.allSatisfy { w.contains($0) } }
    }
  }

  /// The words of a text, lowercased (ASCII): maximal runs of word
  /// characters, which are letters, digits and `_` (as for the ASR token).
  static func words(_ text: String) -> Set<String> {
    var utf8 = text
    if let ascii = utf8.withUTF8({ asciiWords($0) }) { return ascii }
    return wordsByScalars(text)
  }

  /// `words` of an ASCII text on its bytes (nil when it is not ASCII): the
  /// word characters are then `A`–`Z`, `a`–`z`, `0`–`9` and `_`. Component
  /// texts are nearly always ASCII; the scalar path below spent most of its
  /// time asking Unicode for each letter's properties, and an export with
  /// no bearing column asks for every procedure (issue 14).
  static func asciiWords(_ bytes: UnsafeBufferPointer<UInt8>) -> Set<String>? {
    guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
    var out = Set<String>()
    var current: [UInt8] = []
    for b in bytes {
      if isASCIIWordByte(b) {
        current.append(b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 32 : b)
      } else if !current.isEmpty {
        out.insert(String(decoding: current, as: UTF8.self))
        current.removeAll(keepingCapacity: true)
      }
    }
    if !current.isEmpty { out.insert(String(decoding: current, as: UTF8.self)) }
    return out
  }

  /// `words` of any text, scalar by scalar.
  static func wordsByScalars(_ text: String) -> Set<String> {
    var out = Set<String>()
    var current = ""
    for c in text.unicodeScalars {
      if c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil {
        current.unicodeScalars.append(c)
      } else if !current.isEmpty {
        out.insert(asciiLowercased(current))
        current = ""
      }
    }
    if !current.isEmpty { out.insert(asciiLowercased(current)) }
    return out
  }

  /// ASCII case folding only (a Kelvin sign is not a `k`).
  private static func asciiLowercased(_ s: String) -> String {
    String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value >= 65 && $0.value <= 90 ? Unicode.Scalar($0.value + 32)! : $0 }))
  }
}
