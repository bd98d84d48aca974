import Foundation

/// A source profile: how one system's export maps to the canonical records
/// (column renames, value recodes, date order, encoding, delimiter,
/// missing-value tokens, constant fields and row filters), and, in a check
/// profile, local overrides of rule-pack parameters (surveillance-rules.md §7).
///
/// TOML (`.toml`) or JSON (any other extension), the same structure:
///
///     name = "Pathology LIMS, metal ions"
///     encoding = "cp1252"
///     delimiter = "|"
///     date_order = "dmy"
///     null_values = ["NULL", "N/A"]
///     [columns]            # source header -> canonical field
///     "Accession No" = "sample_id"
///     [constants]          # canonical field -> value, when the file has no such column
///     unit = "ug/L"
///     [keep]               # rows whose value is not listed are skipped
///     analyte = ["COB", "CHR"]
///     [skip]               # rows whose value is listed are skipped
///     value = ["REJECTED"]
///     [values.analyte]     # recodes, after filtering
///     COB = "cobalt"
///     [parameters]         # check profiles only
///     low_risk_late_interval_months = 36
///
/// Every key is optional; an unknown key, an unknown canonical field, a
/// wrong type or a malformed file is refused (exit 64) naming its key path.
package struct Profile: Sendable, Equatable {
  package var name: String?
  package var encoding: TextEncoding?
  /// The field separator of delimited text: `,` `|` `;` or tab.
  package var delimiter: UInt8 = UInt8(ascii: ",")
  /// Folded source column name → canonical field.
  package var columns: [String: Field] = [:]
  /// Field → folded source value → canonical value.
  package var values: [Field: [String: String]] = [:]
  package var parameters: [String: Double] = [:]
  /// Order of slash dates: `dmy` (UK, the default) or `mdy` (a US-ordered export).
  package var monthFirst = false
  /// Cells equal to one of these (trimmed, case-folded) are blank.
  package var nullValues: Set<String> = []
  /// Values of fields that the file has no column for.
  package var constants: [Field: String] = [:]
  /// Rows whose (trimmed, folded) value of the field is not listed are skipped.
  package var keep: [Field: Set<String>] = [:]
  /// Rows whose (trimmed, folded) value of the field is listed are skipped;
  /// each listed value as the profile writes it, for naming the rule.
  package var skip: [Field: [String: String]] = [:]

  package init() {}

  /// Everything of the profile that decides what a row becomes, in a fixed
  /// order: part of a row hash's context (RowHash), so a changed profile
  /// never takes a re-sent row for unchanged.
  var readingKey: String {
    func sorted<V>(_ d: [String: V], _ f: (V) -> String) -> String {
      d.keys.sorted().map { "\($0)=\(f(d[$0]!))" }.joined(separator: ",")
    }
    func byField<V>(_ d: [Field: V], _ f: (V) -> String) -> String {
      d.keys.sorted { $0.name < $1.name }.map { "\($0.name)=\(f(d[$0]!))" }.joined(separator: ",")
    }
    return [
      "enc=\(encoding?.rawValue ?? "")", "delim=\(delimiter)", "mdy=\(monthFirst)",
      "columns:" + sorted(columns) { $0.name },
      "values:" + byField(values) { sorted($0) { $0 } },
      "null:" + nullValues.sorted().joined(separator: ","),
      "constants:" + byField(constants) { $0 },
      "keep:" + byField(keep) { $0.sorted().joined(separator: "|") },
      "skip:" + byField(skip) { sorted($0) { $0 } },
    ].joined(separator: "\u{1}")
  }

  /// Anything that changes a row's values before validation (the rows of
  /// such a file take the general path).
  package var transformsRows: Bool {
    !values.isEmpty || !nullValues.isEmpty || !constants.isEmpty || !keep.isEmpty || !skip.isEmpty || monthFirst
  }

  package static func load(path: String) throws -> Profile {
    try parse(StructuredFile.load(path: path, what: "profile"), path: path)
  }

  static let knownKeys = [
    "name", "encoding", "delimiter", "date_order", "null_values", "columns", "constants", "keep", "skip", "values",
    "parameters",
  ]

  package static func parse(_ object: Any, path: String) throws -> Profile {
    func fail(_ keyPath: String, _ what: String) -> AuditError {
      AuditError.usage("profile \(path): \(keyPath): \(what)")
    }
    let k = StructuredFile.key
    func table(_ v: Any, _ keyPath: String) throws -> [String: Any] {
      guard let d = v as? [String: Any] else {
        throw fail(keyPath, "must be a table, not \(StructuredFile.kindName(v))")
      }
      return d
    }
    func string(_ v: Any, _ keyPath: String) throws -> String {
      guard let s = v as? String else { throw fail(keyPath, "must be a string, not \(StructuredFile.kindName(v))") }
      return s
    }
    func strings(_ v: Any, _ keyPath: String) throws -> [String] {
      guard let a = v as? [Any] else { throw fail(keyPath, "must be an array of strings, not \(StructuredFile.kindName(v))") }
      return try a.enumerated().map { try string($0.element, "\(keyPath)[\($0.offset)]") }
    }
    func field(_ name: String, _ keyPath: String) throws -> Field {
      guard let f = Field.named(foldCase(name.trimmingCharacters(in: .whitespaces))) else {
        throw fail(keyPath, "\"\(name)\" is not a canonical field name")
      }
      return f
    }
    let top = try table(object, "(top level)")
    var p = Profile()
    for key in top.keys.sorted() {
      let value = top[key]!
      switch key {
      case "name":
        p.name = try string(value, "name")
      case "encoding":
        guard let s = value as? String, let e = TextEncoding(rawValue: foldCase(s)) else {
          throw fail("encoding", "must be \"utf-8\" or \"cp1252\"")
        }
        p.encoding = e
      case "delimiter":
        let allowed: [String: UInt8] = [",": 0x2C, "|": 0x7C, ";": 0x3B, "\t": 0x09]
        guard let s = value as? String, let d = allowed[s] else {
          throw fail("delimiter", "must be one of \",\" \"|\" \";\" \"\\t\"")
        }
        p.delimiter = d
      case "date_order":
        guard let v = value as? String, ["dmy", "mdy"].contains(foldCase(v)) else {
          throw fail("date_order", "must be \"dmy\" or \"mdy\"")
        }
        p.monthFirst = foldCase(v) == "mdy"
      case "null_values":
        p.nullValues = Set(try strings(value, "null_values").map(Self.fold))
      case "columns":
        for (from, to) in try table(value, "columns") {
          let keyPath = "columns.\(k(from))"
          p.columns[foldCase(from.trimmingCharacters(in: .whitespaces))] = try field(try string(to, keyPath), keyPath)
        }
      case "constants":
        for (name, v) in try table(value, "constants") {
          let keyPath = "constants.\(k(name))"
          p.constants[try field(name, keyPath)] = try string(v, keyPath)
        }
      case "keep":
        for (name, v) in try table(value, "keep") {
          let keyPath = "keep.\(k(name))"
          p.keep[try field(name, keyPath)] = Set(try strings(v, keyPath).map(Self.fold))
        }
      case "skip":
        for (name, v) in try table(value, "skip") {
          let keyPath = "skip.\(k(name))"
          var listed: [String: String] = [:]
          for s in try strings(v, keyPath) { listed[Self.fold(s)] = listed[Self.fold(s)] ?? s }
          p.skip[try field(name, keyPath)] = listed
        }
      case "values":
        for (fieldName, mapping) in try table(value, "values") {
          let keyPath = "values.\(k(fieldName))"
          let f = try field(fieldName, keyPath)
          var out: [String: String] = [:]
          for (from, to) in try table(mapping, keyPath) {
            out[Self.fold(from)] = try string(to, "\(keyPath).\(k(from))")
          }
          p.values[f] = out
        }
      case "parameters":
        for (name, v) in try table(value, "parameters") {
          guard let n = StructuredFile.number(v) else { throw fail("parameters.\(k(name))", "must be a number") }
          p.parameters[name] = n
        }
      default:
        throw fail(k(key), "unknown key (known: \(knownKeys.joined(separator: ", ")))")
      }
    }
    return p
  }

  /// How `keep`, `skip`, `values` and `null_values` match: trimmed, case-folded.
  package static func fold(_ s: String) -> String { foldCase(String(trimUnicodeWhitespace(Substring(s)))) }

  static let dateFields: [Field] = [.dateOfBirth, .procedureDate, .eventDate, .sampleDate]

  /// The keep and skip rules that apply to files of `kind` (a rule on
  /// another kind's field is ignored), in a fixed order, decided once per file.
  package func filters(for kind: RecordKind) -> RowFilters {
    let fields = Set(kind.fields)
    return RowFilters(
      keep: keep.filter { fields.contains($0.key) }.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key, $0.value) },
      skip: skip.filter { fields.contains($0.key) }.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key, $0.value) })
  }

  /// Blanks every cell equal to a null value (before anything else).
  package func blankNulls(_ row: inout RawRow) {
    guard !nullValues.isEmpty else { return }
    for i in row.values.indices {
      if let v = row.values[i], nullValues.contains(Self.fold(v)) { row.values[i] = "" }
    }
  }

  /// Applies the value recodes (and, for `mdy`, swaps slash dates to UK order).
  package func recode(_ row: inout RawRow) {
    for (field, mapping) in values {
      if let v = row[field], let to = mapping[Self.fold(v)] { row[field] = to }
    }
    guard monthFirst else { return }
    for f in Profile.dateFields {
      guard let v = row[f] else { continue }
      let parts = v.split(separator: "/", omittingEmptySubsequences: false)
      if parts.count == 3 { row[f] = "\(parts[1])/\(parts[0])/\(parts[2])" }
    }
  }
}

/// A profile's keep and skip rules for one kind of file (`Profile.filters(for:)`).
package struct RowFilters: Sendable {
  package var keep: [(Field, Set<String>)]
  /// Field → folded value → the value as the profile lists it (names the rule).
  package var skip: [(Field, [String: String])]

  package var isEmpty: Bool { keep.isEmpty && skip.isEmpty }

  /// The rule that skips `row`, or nil. `keep` is tested first; a blank value
  /// fails every `keep`; values match trimmed and case-folded.
  package func rule(for row: RawRow) -> String? {
    for (field, listed) in keep {
      let v = row[field].map(Profile.fold) ?? ""
      if v.isEmpty || !listed.contains(v) { return "keep \(field.name)" }
    }
    for (field, listed) in skip {
      if let v = row[field].map(Profile.fold), !v.isEmpty, let name = listed[v] { return "skip \(field.name) = \(name)" }
    }
    return nil
  }
}
