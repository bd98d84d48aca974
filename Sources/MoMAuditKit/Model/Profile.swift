import Foundation

/// A trust's local profile (registry-export.md "Profiles"; surveillance-rules.md §7):
/// column renames, value recodes and encoding for ingest; parameter
/// overrides for check. JSON:
///
///     {"name": "RXH theatre system",
///      "encoding": "cp1252",
///      "columns": {"Hospital No": "local_patient_id", "Bearing Surface": "bearing"},
///      "values": {"bearing": {"Metal/Metal": "MoM"}},
///      "date_order": "mdy",
///      "parameters": {"low_risk_late_interval_months": 36}}
package struct Profile: Sendable, Equatable {
  package var name: String?
  package var encoding: TextEncoding?
  /// Folded source column name → canonical field.
  package var columns: [String: Field] = [:]
  /// Field → folded source value → canonical value.
  package var values: [Field: [String: String]] = [:]
  package var parameters: [String: Double] = [:]
  /// Order of slash dates: `dmy` (UK, the default) or `mdy` (a US-ordered export).
  package var monthFirst = false

  package init() {}

  package static func load(path: String) throws -> Profile {
    guard let data = FileManager.default.contents(atPath: path) else { throw AuditError.inputMissing(path: path) }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw AuditError.usage("profile \(path) is not valid JSON")
    }
    return try parse(object, path: path)
  }

  package static func parse(_ object: Any, path: String) throws -> Profile {
    func fail(_ keyPath: String, _ what: String) -> AuditError {
      AuditError.usage("profile \(path): \(keyPath): \(what)")
    }
    guard let top = object as? [String: Any] else { throw fail("(top level)", "must be an object") }
    var p = Profile()
    for key in top.keys.sorted() {
      let value = top[key]!
      switch key {
      case "name":
        guard let s = value as? String else { throw fail("name", "must be a string") }
        p.name = s
      case "encoding":
        guard let s = value as? String, let e = TextEncoding(rawValue: foldCase(s)) else {
          throw fail("encoding", "must be \"utf-8\" or \"cp1252\"")
        }
        p.encoding = e
      case "columns":
        guard let d = value as? [String: Any] else { throw fail("columns", "must be an object") }
        for (from, to) in d {
          guard let t = to as? String, let f = Field.named(foldCase(t)) else {
            throw fail("columns.\(from)", "\(to) is not a canonical field name")
          }
          p.columns[foldCase(from.trimmingCharacters(in: .whitespaces))] = f
        }
      case "values":
        guard let d = value as? [String: Any] else { throw fail("values", "must be an object") }
        for (fieldName, mapping) in d {
          guard let f = Field.named(foldCase(fieldName)) else { throw fail("values.\(fieldName)", "not a canonical field name") }
          guard let m = mapping as? [String: Any] else { throw fail("values.\(fieldName)", "must be an object") }
          var out: [String: String] = [:]
          for (from, to) in m {
            guard let t = to as? String else { throw fail("values.\(fieldName).\(from)", "must be a string") }
            out[foldCase(from)] = t
          }
          p.values[f] = out
        }
      case "date_order":
        guard let v = value as? String, ["dmy", "mdy"].contains(foldCase(v)) else {
          throw fail("date_order", "must be \"dmy\" or \"mdy\"")
        }
        p.monthFirst = foldCase(v) == "mdy"
      case "parameters":
        guard let d = value as? [String: Any] else { throw fail("parameters", "must be an object") }
        for (k, v) in d {
          guard !(v is Bool), let n = v as? NSNumber else {
            throw fail("parameters.\(k)", "must be a number")
          }
          p.parameters[k] = n.doubleValue
        }
      default:
        throw fail(key, "unknown key (known: name, encoding, columns, values, date_order, parameters)")
      }
    }
    return p
  }

  static let dateFields: [Field] = [.dateOfBirth, .procedureDate, .eventDate]

  /// Applies the value recodes (and, for `mdy`, swaps slash dates to UK order).
  package func recode(_ row: inout RawRow) {
    for (field, mapping) in values {
      if let v = row[field], let to = mapping[foldCase(v)] { row[field] = to }
    }
    guard monthFirst else { return }
    for f in Profile.dateFields {
      guard let v = row[f] else { continue }
      let parts = v.split(separator: "/", omittingEmptySubsequences: false)
      if parts.count == 3 { row[f] = "\(parts[1])/\(parts[0])/\(parts[2])" }
    }
  }
}
