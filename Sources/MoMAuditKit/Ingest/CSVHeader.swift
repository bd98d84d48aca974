import Foundation

/// A CSV file's header: which kind of file it is and where each field is.
struct CSVHeader {
  let kind: RecordKind
  let columns: [Field?]
  let names: [String]

  /// Fields the file has no column for, with the profile's constant value.
  let constants: [(Field, String)]
  /// The profile's keep/skip rules that apply to this kind of file.
  let filters: RowFilters
  /// A results file without a `result_id` column: rows are `sample_id/analyte`.
  let implicitResultId: Bool

  /// Recognises the file from its header, after the profile's renames. A
  /// profile's `constants` count as columns for the required ones; its
  /// `keep` / `skip` rules on a field of this kind need a column or a
  /// constant (otherwise the profile does not fit the file).
  init(record: CSVRecord, path: String, profile: Profile = Profile()) throws {
    if record.problem != nil {
      throw IngestError.fileRefused(path: path, reason: "line \(record.line): the header row is not valid CSV")
    }
    let renames = profile.columns
    names = record.fields.map { raw in
      let folded = foldCase(String(trimUnicodeWhitespace(Substring(raw))))
      return renames[folded]?.name ?? folded
    }
    var seen = Set<String>()
    for n in names where !n.isEmpty {
      guard seen.insert(n).inserted else {
        throw IngestError.fileRefused(path: path, reason: "the header names column \"\(n)\" twice")
      }
    }
    var kinds: [RecordKind] = []
    // exception_id decides first: an exceptions file may have a procedure_id
    // column of its own (registry-export.md, CSV dialect).
    if seen.contains("exception_id") {
      kinds = [.exception]
    } else {
      if seen.contains("procedure_id") { kinds.append(.procedure) }
      if seen.contains("event_id") { kinds.append(.event) }
      if seen.contains("result_id") || seen.contains("analyte") { kinds.append(.result) }
    }
    guard kinds.count == 1 else {
      if kinds.isEmpty {
        let delimiterNames: [UInt8: String] = [0x2C: "a comma", 0x7C: "\"|\"", 0x3B: "\";\"", 0x09: "a tab"]
        let delimiterHint =
          self.names.count != 1 ? ""
          : profile.delimiter == UInt8(ascii: ",")
            ? " (one column: is the file delimited by something other than a comma? a profile's delimiter says so)"
            : " (one column: is the file delimited by something other than the profile's delimiter, \(delimiterNames[profile.delimiter] ?? "?")?)"
        throw IngestError.fileRefused(
          path: path,
          reason: "the header has none of procedure_id, event_id, result_id, analyte or exception_id, so the file is "
            + "neither procedures, events, results nor exceptions" + delimiterHint)
      }
      throw IngestError.fileRefused(
        path: path,
        reason: "the header has columns of more than one kind (\(kinds.map(\.rawValue).joined(separator: ", "))); "
          + "a file holds one kind of record")
    }
    let kind = kinds[0]
    self.kind = kind
    let allowed = Set(kind.fields)
    let columns = names.map { Field.named($0).flatMap { allowed.contains($0) ? $0 : nil } }
    self.columns = columns
    let constants = profile.constants.filter { allowed.contains($0.key) && !columns.contains($0.key) }
      .sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key, $0.value) }
    self.constants = constants
    filters = profile.filters(for: kind)
    implicitResultId = kind == .result && !columns.contains(.resultId)
    let present = Set(columns.compactMap { $0 }).union(constants.map(\.0))
    var required: [Field]
    switch kind {
    case .procedure: required = Field.requiredProcedureFields
    case .event: required = Field.requiredEventFields
    // result_id, unless the file has sample_id (its rows are then sample_id/analyte).
    case .result: required = (present.contains(.sampleId) ? [] : [.resultId]) + Field.requiredResultFields
    case .exception: required = Field.requiredExceptionFields
    }
    let missing = required.filter { !present.contains($0) }.map(\.name)
    if !missing.isEmpty {
      throw IngestError.fileRefused(
        path: path, reason: "missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
    }
    for (rule, fields) in [("keep", Array(profile.keep.keys)), ("skip", Array(profile.skip.keys))] {
      for f in fields.sorted(by: { $0.rawValue < $1.rawValue }) where allowed.contains(f) && !present.contains(f) {
        throw IngestError.fileRefused(
          path: path,
          reason: "the profile's \(rule) rule on \(f.name) does not fit this file: it has no \(f.name) column")
      }
    }
  }

  /// The row of a record: each known column's value, trimmed.
  func row(from record: borrowing CSVRecordView) -> RawRow {
    var row = RawRow(kind: kind, line: record.line, raw: record.raw)
    if let p = record.problem {
      let name = p.column < names.count ? names[p.column] : "column \(p.column + 1)"
      switch p.kind {
      case .quoteInUnquotedField:
        row.readProblem = RowProblem(
          field: name, code: "MALFORMED_ROW", message: "\(name): malformed CSV, a quote inside an unquoted field")
      case .textAfterClosingQuote:
        row.readProblem = RowProblem(
          field: name, code: "MALFORMED_ROW", message: "\(name): malformed CSV, text after a closing quote")
      case .fieldTooLong:
        row.readProblem = RowProblem(
          field: name, code: "FIELD_TOO_LONG", message: "\(name): longer than \(FieldLimits.maxFieldBytes) bytes")
      case .nulCharacter:
        row.readProblem = RowProblem(field: name, code: "NUL_CHARACTER", message: "\(name): contains a NUL character")
      }
      if p.kind == .quoteInUnquotedField || p.kind == .textAfterClosingQuote { return row }
    }
    if record.count != columns.count {
      if row.readProblem == nil {
        row.readProblem = RowProblem(
          field: nil, code: "FIELD_COUNT",
          message: "row has \(record.count) field\(record.count == 1 ? "" : "s"), the header has \(columns.count)")
      }
      return row
    }
    for i in 0..<columns.count {
      if let f = columns[i] { row[f] = record.trimmedField(i) }
    }
    return row
  }

  /// The profile's work on a row read from this file, in its order: null
  /// values blanked, constants filled in, then the skip rules. Returns the
  /// rule that skips the row, or nil (the row then gets its recodes and is
  /// validated).
  func prepare(_ row: inout RawRow, profile: Profile) -> String? {
    guard row.readProblem == nil else { return nil }
    profile.blankNulls(&row)
    for (f, v) in constants { row[f] = v }
    return filters.rule(for: row)
  }
}
