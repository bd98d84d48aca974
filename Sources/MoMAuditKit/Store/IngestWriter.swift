import Crypto
import Foundation
import GRDB

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// Writes one file's records inside the file's transaction. Statements are
/// prepared once per file and reused for every row; records arrive packed
/// (PackedBatch) and are bound and stepped through SQLite's C API on GRDB's
/// `sqliteStatement` handle (GRDB's `StatementArguments` box every value:
/// PLATFORM.md measures typed arguments at ~265 k rows/s against ~370 k for
/// C-API binds).
///
/// A record is inserted with a plain `INSERT`: the primary key detects an id
/// already loaded, so the common case (a new id) costs no lookup. Only on a
/// conflict is the existing row read to decide between "the same record
/// again", "duplicate id with different content" and "a later file replaces
/// it" (Ingester.resolveConflict).
package final class IngestWriter {
  let db: Database
  let fileId: Int64
  /// The file being loaded (for progress).
  let path: String
  /// Per kind: the lookup of a loaded id, the INSERT of one record, of
  /// `rowsPerInsert` records in one statement (issue 5: SQLite's cost of a
  /// statement once per 16 rows), and the INSERT OR REPLACE of a replacement.
  private let find: [RecordKind: Statement]
  private let insertOne: [RecordKind: Statement]
  private let insertMany: [RecordKind: Statement]
  private let replace: [RecordKind: Statement]
  static let rowsPerInsert = 16
  private let insertReject: Statement
  private let insertWarning: Statement
  private let deleteWarnings: Statement
  private let insertReplacement: Statement

  package struct Existing {
    var fileId: Int64
    var hash: String
    var line: Int?
  }

  init(db: Database, fileId: Int64, path: String) throws {
    self.db = db
    self.fileId = fileId
    self.path = path
    let columns: [RecordKind: String] = [
      .procedure: """
        procedure (procedure_id, nhs_number, local_patient_id, sex, date_of_birth,
          procedure_date, side, procedure_type, bearing, head_diameter_mm, femoral_component,
          acetabular_component, stem_component, manufacturer, opcs_code, trust_code, site_code,
          consultant_code, is_mom, is_asr, content_hash, source_file_id, source_line, source_location)
        """,
      .event: """
        event (event_id, nhs_number, event_date, event_type, side, symptomatic,
          oxford_hip_score, cobalt, chromium, ion_unit, cobalt_ug_l, chromium_ug_l, sample_type,
          imaging_finding, note, cobalt_comparator, chromium_comparator, content_hash, source_file_id, source_line,
          source_location)
        """,
      .result: """
        result (result_id, nhs_number, sample_id, sample_date, analyte, value, comparator, unit, value_ug_l,
          specimen, note, content_hash, source_file_id, source_line, source_location)
        """,
    ]
    var find: [RecordKind: Statement] = [:]
    var insertOne: [RecordKind: Statement] = [:]
    var insertMany: [RecordKind: Statement] = [:]
    var replace: [RecordKind: Statement] = [:]
    for kind in RecordKind.allCases {
      find[kind] = try db.makeStatement(
        sql: "SELECT source_file_id, content_hash, source_line FROM \(kind.table) WHERE \(kind.idColumn) = ?")
      let oneRow = columns[kind]! + " VALUES (" + Array(repeating: "?", count: Self.values(kind) + 3).joined(separator: ",") + ")"
      insertOne[kind] = try db.makeStatement(sql: "INSERT INTO " + oneRow)
      insertMany[kind] = try db.makeStatement(sql: "INSERT INTO " + Self.manyRows(oneRow))
      replace[kind] = try db.makeStatement(sql: "INSERT OR REPLACE INTO " + oneRow)
    }
    self.find = find
    self.insertOne = insertOne
    self.insertMany = insertMany
    self.replace = replace
    insertReject = try db.makeStatement(
      sql: """
        INSERT INTO reject (source_file_id, line, location, record_kind, record_id, field, reason_code, reason, raw)
        VALUES (?,?,?,?,?,?,?,?,?)
        """)
    insertWarning = try db.makeStatement(
      sql: """
        INSERT INTO warning (check_run_id, source_file_id, line, record_kind, record_id, nhs_number, code, detail)
        VALUES (NULL,?,?,?,?,?,?,?)
        """)
    deleteWarnings = try db.makeStatement(
      sql: "DELETE FROM warning WHERE check_run_id IS NULL AND record_kind = ? AND record_id = ?")
    insertReplacement = try db.makeStatement(
      sql: """
        INSERT INTO replacement (record_kind, record_id, old_source_file_id, old_line, new_source_file_id, new_line, identical)
        VALUES (?,?,?,?,?,?,?)
        """)
  }

  func existing(_ kind: RecordKind, id: String) throws -> Existing? {
    guard let row = try Row.fetchOne(find[kind]!, arguments: [id]) else { return nil }
    return Existing(fileId: row[0], hash: row[1], line: row[2])
  }

  typealias Cell = PackedBatch.Cell

  /// `… VALUES (?,…)` repeated for `rowsPerInsert` rows.
  private static func manyRows(_ oneRow: String) -> String {
    let parts = oneRow.components(separatedBy: "VALUES")
    let values = parts[1].trimmingCharacters(in: .whitespacesAndNewlines)
    return parts[0] + "VALUES " + Array(repeating: values, count: rowsPerInsert).joined(separator: ",")
  }

  /// Cells of a packed record bound before the file, the line and its
  /// location: the table's columns up to `content_hash` (PackedBatch).
  static func values(_ kind: RecordKind) -> Int {
    switch kind {
    case .procedure: return 21
    case .event: return 18
    case .result: return 12
    }
  }

  /// Binds one packed record from parameter `base + 1` on: its values, the
  /// file, the line, then its location (the cell after its values).
  @inline(__always) private func bindRecord(
    _ s: SQLiteStatement, base: Int32, _ cells: UnsafeBufferPointer<Cell>, _ bytes: UnsafePointer<UInt8>, first: Int,
    values: Int, line: Int
  ) {
    for k in 0..<values { bind(s, base + Int32(k + 1), cells[first + k], bytes) }
    sqlite3_bind_int64(s, base + Int32(values + 1), fileId)
    sqlite3_bind_int64(s, base + Int32(values + 2), Int64(line))
    bind(s, base + Int32(values + 3), cells[first + values], bytes)
  }

  /// Inserts `rowsPerInsert` packed records of one kind, each `(first cell,
  /// line)`, in one statement. Returns false, writing none of them, when any
  /// id is already loaded (or repeats among them): the caller then writes
  /// them one by one, which decides each conflict.
  func writeMany(
    _ kind: RecordKind, _ cells: UnsafeBufferPointer<Cell>, _ bytes: UnsafePointer<UInt8>,
    _ rows: UnsafeBufferPointer<(first: Int, line: Int)>
  ) throws -> Bool {
    precondition(rows.count == Self.rowsPerInsert)
    let statement = insertMany[kind]!
    let values = Self.values(kind)
    for (r, row) in rows.enumerated() {
      bindRecord(
        statement.sqliteStatement, base: Int32(r * (values + 3)), cells, bytes, first: row.first, values: values,
        line: row.line)
    }
    return try step(statement)
  }

  /// Inserts a packed record of `kind` (PackedBatch). Returns false,
  /// writing nothing, when its id is already loaded and `replacing` is false.
  func write(
    _ kind: RecordKind, _ cells: UnsafeBufferPointer<Cell>, _ bytes: UnsafePointer<UInt8>, first: Int, line: Int,
    replacing: Bool = false
  ) throws -> Bool {
    let statement = replacing ? replace[kind]! : insertOne[kind]!
    bindRecord(statement.sqliteStatement, base: 0, cells, bytes, first: first, values: Self.values(kind), line: line)
    return try step(statement)
  }

  func writeReject(_ row: RawRow, _ problem: RowProblem) throws {
    try insertReject.execute(arguments: [
      fileId, row.line, row.location, row.kind.rawValue, row[row.kind.idField].flatMap { $0.isEmpty ? nil : $0 },
      problem.field, problem.code, problem.message, row.raw,
    ])
  }

  /// Rejects a valid row (a duplicate id): the record's kind and id, where it came from.
  func writeReject(kind: RecordKind, id: String, line: Int, location: String?, raw: String, _ problem: RowProblem) throws {
    try insertReject.execute(arguments: [
      fileId, line, location, kind.rawValue, id.isEmpty ? nil : id, problem.field, problem.code, problem.message, raw,
    ])
  }

  func writeWarning(_ w: RecordWarning, kind: RecordKind, id: String, nhs: String, line: Int) throws {
    try insertWarning.execute(arguments: [fileId, line, kind.rawValue, id, nhs, w.code, w.detail])
  }

  func recordReplacement(_ kind: RecordKind, id: String, old: Existing, newLine: Int, identical: Bool) throws {
    try deleteWarnings.execute(arguments: [kind.rawValue, id])
    try insertReplacement.execute(arguments: [kind.rawValue, id, old.fileId, old.line, fileId, newLine, identical])
  }

  /// Steps an INSERT. Returns false for a primary-key conflict (the
  /// statement's changes are undone, the transaction goes on).
  private func step(_ statement: Statement) throws -> Bool {
    let s = statement.sqliteStatement
    let rc = sqlite3_step(s)
    if rc == SQLITE_DONE {
      sqlite3_reset(s)
      return true
    }
    let extended = sqlite3_extended_errcode(db.sqliteConnection)
    let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
    sqlite3_reset(s)
    if rc & 0xFF == SQLITE_CONSTRAINT, extended == sqliteConstraintPrimaryKey { return false }
    throw DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: statement.sql)
  }

  /// Content fingerprint of a normalised record: equal for identical content.
  /// The first 16 bytes of SHA-256 of the record's text, in hex.
  static func fingerprint(_ text: String) -> String {
    var t = text
    return t.withUTF8 { fingerprint(bytes: UnsafeRawBufferPointer($0)) }
  }

  static func fingerprint(bytes: UnsafeRawBufferPointer) -> String {
    let digest = SHA256.hash(data: bytes)
    return digest.withUnsafeBytes { d in
      String(unsafeUninitializedCapacity: 32) { out in
        let hex: StaticString = "0123456789abcdef"
        let h = hex.utf8Start
        for i in 0..<16 {
          out[2 * i] = h[Int(d[i] >> 4)]
          out[2 * i + 1] = h[Int(d[i] & 0x0F)]
        }
        return 32
      }
    }
  }
}

// MARK: binding through the C API

/// Binds a packed cell. Text is bound in place (SQLITE_STATIC): the batch
/// outlives the statement's step.
@inline(__always) private func bind(
  _ s: SQLiteStatement, _ i: Int32, _ c: PackedBatch.Cell, _ bytes: UnsafePointer<UInt8>
) {
  switch c.tag {
  case .null: sqlite3_bind_null(s, i)
  case .int: sqlite3_bind_int64(s, i, c.value)
  case .double: sqlite3_bind_double(s, i, Double(bitPattern: UInt64(bitPattern: c.value)))
  case .text:
    (bytes + Int(c.value)).withMemoryRebound(to: CChar.self, capacity: Int(c.length)) {
      _ = sqlite3_bind_text(s, i, $0, c.length, nil)
    }
  }
}

/// SQLITE_CONSTRAINT_PRIMARYKEY (a C macro Swift does not import).
private let sqliteConstraintPrimaryKey: Int32 = 19 | (6 << 8)
