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
      words.contains { w in entry.tokens.allSatisfy { w.contains($0.lowercased()) } }
    }
  }

  /// The words of a text, lowercased (ASCII): maximal runs of word
  /// characters, which are letters, digits and `_` (as for the ASR token).
  static func words(_ text: String) -> Set<String> {
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
