import Foundation
import TOMLKit

/// A small configuration file (a profile or a sources manifest) read as a
/// tree of plain values, whatever its syntax: TOML (`.toml`) or JSON (any
/// other extension). The readers of profiles and manifests validate that tree
/// with key paths, so a mistake is named the same way in either syntax.
///
/// Values: `[String: Any]` for a table, `[Any]` for an array, `String`,
/// `Bool`, `NSNumber` for integers and floats, and `StructuredFile.Other`
/// for TOML dates and times (never valid where momaudit reads a value).
package enum StructuredFile {
  package struct Other: CustomStringConvertible {
    package var description: String
  }

  package enum Syntax: String { case toml = "TOML", json = "JSON" }

  package static func syntax(of path: String) -> Syntax {
    (path as NSString).pathExtension.lowercased() == "toml" ? .toml : .json
  }

  /// Reads and parses `path`. `what` names the file in errors ("profile", "sources manifest").
  package static func load(path: String, what: String) throws -> Any {
    guard let data = FileManager.default.contents(atPath: path) else { throw AuditError.inputMissing(path: path) }
    switch syntax(of: path) {
    case .json:
      do {
        return try JSONSerialization.jsonObject(with: data)
      } catch {
        throw AuditError.usage("\(what) \(path) is not valid JSON")
      }
    case .toml:
      guard let text = String(data: data, encoding: .utf8) else {
        throw AuditError.usage("\(what) \(path) is not valid TOML: not UTF-8 text")
      }
      do {
        return tree(try TOMLTable(string: text))
      } catch let e as TOMLParseError {
        throw AuditError.usage(
          "\(what) \(path) is not valid TOML: \(e.description) (line \(e.source.begin.line), column \(e.source.begin.column))")
      } catch {
        throw AuditError.usage("\(what) \(path) is not valid TOML")
      }
    }
  }

  /// Parses TOML text (tests).
  package static func parseTOML(_ text: String) throws -> Any { tree(try TOMLTable(string: text)) }

  private static func tree(_ value: TOMLValueConvertible) -> Any {
    switch value.type {
    case .table:
      let table = value.table!
      var out: [String: Any] = [:]
      for key in table.keys { out[key] = table[key].map(tree) }
      return out
    case .array: return value.array!.map { tree($0) }
    case .string: return value.string!
    case .bool: return value.bool!
    case .int: return NSNumber(value: value.int!)
    case .double: return NSNumber(value: value.double!)
    default: return Other(description: "a TOML \(value.type.rawValue)")
    }
  }

  /// A boolean of the tree. (On Linux a JSON number 1 also casts to Bool,
  /// so the number's type code decides.)
  package static func isBoolean(_ v: Any) -> Bool {
    if let n = v as? NSNumber { return String(cString: n.objCType) == "c" }
    return v is Bool
  }

  /// A number of the tree (not a boolean).
  package static func number(_ v: Any) -> Double? {
    guard !isBoolean(v), let n = v as? NSNumber else { return nil }
    return n.doubleValue
  }

  /// How a value of the tree is named in an error: "a string", "an array", ….
  package static func kindName(_ v: Any) -> String {
    if v is String { return "a string" }
    if isBoolean(v) { return "a boolean" }
    switch v {
    case is NSNumber: return "a number"
    case is [Any]: return "an array"
    case is [String: Any]: return "a table"
    case let o as Other: return o.description
    default: return "null"
    }
  }

  /// A key path segment: bare when it is a plain name, quoted otherwise (`columns."NHS Number"`).
  package static func key(_ k: String) -> String {
    let plain = !k.isEmpty && k.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }
    return plain ? k : "\"" + k.replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
