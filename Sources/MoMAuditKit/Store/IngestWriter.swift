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
/// A new record is inserted with a plain `INSERT`: the primary key detects an
/// id already loaded, so the common case of a fresh load (a new id) costs no
/// lookup. Only on a conflict is the existing row read to decide between
/// "unchanged", "replaced" and "duplicate in this file" (FileLoad). A
/// delivery that re-sends what is loaded looks each id up first, through a
/// cursor walking the table in rowid order beside the file (MergeCursor): a
/// re-sent export comes in the order it was loaded, so most lookups are the
/// cursor's next row, not a B-tree descent. A replacement is an `UPDATE` in
/// place: the record keeps its rowid, so the table keeps the export's order
/// and the cursor stays valid (SQLite guarantees an open scan of a table
/// meets an updated row with its new values, not a deleted and re-inserted one).
package final class IngestWriter {
  let db: Database
  let fileId: Int64
  /// The file being loaded (for progress).
  let path: String
  /// Per kind: the lookup of a loaded id, the INSERT of one record, of
  /// `rowsPerInsert` records in one statement (issue 5: SQLite's cost of a
  /// statement once per 16 rows), and the UPDATE in place of a replacement.
  private let find: [RecordKind: Statement]
  private let insertOne: [RecordKind: Statement]
  private let insertMany: [RecordKind: Statement]
  private let update: [RecordKind: Statement]
  private var cursors: [RecordKind: MergeCursor] = [:]
  static let rowsPerInsert = 16
  private let insertReject: Statement
  private let insertWarning: Statement
  private let deleteWarnings: Statement
  private let insertReplacement: Statement
  private let setRowHash: [RecordKind: Statement]
  private let lineOf: [RecordKind: Statement]

  /// A loaded record met again.
  package struct Existing {
    var rowid: Int64
    var fileId: Int64
    var line: Int?
    /// Withdrawn by a cumulative delivery (sources.md §3).
    var withdrawn: Bool
    /// Its fingerprint equals the incoming record's.
    var sameContent: Bool
    /// The row hash it was stored with (nil: none).
    var rowHash: Int64?
  }

  /// The columns of each record table that a packed record fills, in order.
  static let columns: [RecordKind: String] = [
    .procedure: """
      procedure_id, nhs_number, local_patient_id, sex, date_of_birth,
      procedure_date, side, procedure_type, bearing, head_diameter_mm, femoral_component,
      acetabular_component, stem_component, manufacturer, opcs_code, trust_code, site_code,
      consultant_code, is_mom, is_asr, content_hash, source_file_id, source_line, source_location, row_hash
      """,
    .event: """
      event_id, nhs_number, event_date, event_type, side, symptomatic,
      oxford_hip_score, cobalt, chromium, ion_unit, cobalt_ug_l, chromium_ug_l, sample_type,
      imaging_finding, note, cobalt_comparator, chromium_comparator, content_hash, source_file_id, source_line,
      source_location, row_hash
      """,
    .result: """
      result_id, nhs_number, sample_id, sample_date, analyte, value, comparator, unit, value_ug_l,
      specimen, note, content_hash, source_file_id, source_line, source_location, row_hash
      """,
    .exception: """
      exception_id, nhs_number, finding, procedure_id, reason, recorded_by, recorded_on, review_by, note,
      content_hash, source_file_id, source_line, source_location, row_hash
      """,
  ]

  init(db: Database, fileId: Int64, path: String) throws {
    self.db = db
    self.fileId = fileId
    self.path = path
    var find: [RecordKind: Statement] = [:]
    var insertOne: [RecordKind: Statement] = [:]
    var insertMany: [RecordKind: Statement] = [:]
    var update: [RecordKind: Statement] = [:]
    for kind in RecordKind.allCases {
      find[kind] = try db.makeStatement(
        sql: "SELECT \(MergeCursor.selected) FROM \(kind.table) WHERE \(kind.idColumn) = ?")
      let placeholders = "(" + Array(repeating: "?", count: Self.values(kind) + 4).joined(separator: ",") + ")"
      let oneRow = "\(kind.table) (\(Self.columns[kind]!)) VALUES " + placeholders
      insertOne[kind] = try db.makeStatement(sql: "INSERT INTO " + oneRow)
      insertMany[kind] = try db.makeStatement(sql: "INSERT INTO " + Self.manyRows(oneRow))
      update[kind] = try db.makeStatement(
        sql: "UPDATE \(kind.table) SET (\(Self.columns[kind]!)) = \(placeholders), withdrawn_by = NULL WHERE rowid = ?")
    }
    self.find = find
    self.insertOne = insertOne
    self.insertMany = insertMany
    self.update = update
    setRowHash = try Dictionary(uniqueKeysWithValues: RecordKind.allCases.map {
      ($0, try db.makeStatement(sql: "UPDATE \($0.table) SET row_hash = ? WHERE rowid = ?"))
    })
    lineOf = try Dictionary(uniqueKeysWithValues: RecordKind.allCases.map {
      ($0, try db.makeStatement(sql: "SELECT source_line FROM \($0.table) WHERE rowid = ?"))
    })
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
        VALUES (?,?,?,?,?,?,0)
        """)
  }

  /// The loaded record with this id (a B-tree descent), compared with `hash`.
  func probe(_ kind: RecordKind, id: UnsafeBufferPointer<UInt8>, hash: UnsafeBufferPointer<UInt8>) throws -> Existing? {
    let s = find[kind]!.sqliteStatement
    defer { sqlite3_reset(s) }
    bindText(s, 1, id)
    let rc = sqlite3_step(s)
    if rc == SQLITE_DONE { return nil }
    guard rc == SQLITE_ROW else { throw error(find[kind]!) }
    return MergeCursor.existing(s, hash: hash)
  }

  /// The loaded record with this id: the cursor's next row when the file
  /// follows the table's order, else a probe (which moves the cursor on
  /// when the file has skipped ahead of it).
  func lookup(_ kind: RecordKind, id: UnsafeBufferPointer<UInt8>, hash: UnsafeBufferPointer<UInt8>) throws -> Existing? {
    let cursor: MergeCursor
    if let c = cursors[kind] {
      cursor = c
    } else {
      cursor = try MergeCursor(db: db, kind: kind)
      cursors[kind] = cursor
    }
    if let hit = try cursor.take(id: id, hash: hash) { return hit }
    guard let hit = try probe(kind, id: id, hash: hash) else { return nil }
    try cursor.follow(hit.rowid)
    return hit
  }

  /// Ends every cursor (before the schema changes: BulkLoad's DROP INDEX
  /// and CREATE INDEX need no statement running).
  func closeCursors() {
    for c in cursors.values { c.close() }
    cursors = [:]
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
    case .exception: return 10
    }
  }

  /// Binds one packed record from parameter `base + 1` on: its values, the
  /// file, the line, then its location and row hash (the cells after its values).
  @inline(__always) private func bindRecord(
    _ s: SQLiteStatement, base: Int32, _ cells: UnsafeBufferPointer<Cell>, _ bytes: UnsafePointer<UInt8>, first: Int,
    values: Int, line: Int
  ) {
    for k in 0..<values { bind(s, base + Int32(k + 1), cells[first + k], bytes) }
    sqlite3_bind_int64(s, base + Int32(values + 1), fileId)
    sqlite3_bind_int64(s, base + Int32(values + 2), Int64(line))
    bind(s, base + Int32(values + 3), cells[first + values], bytes)
    bind(s, base + Int32(values + 4), cells[first + values + 1], bytes)
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
        statement.sqliteStatement, base: Int32(r * (values + 4)), cells, bytes, first: row.first, values: values,
        line: row.line)
    }
    return try step(statement)
  }

  /// Inserts a packed record of `kind` (PackedBatch). Returns false,
  /// writing nothing, when its id is already loaded.
  func write(
    _ kind: RecordKind, _ cells: UnsafeBufferPointer<Cell>, _ bytes: UnsafePointer<UInt8>, first: Int, line: Int
  ) throws -> Bool {
    let statement = insertOne[kind]!
    bindRecord(statement.sqliteStatement, base: 0, cells, bytes, first: first, values: Self.values(kind), line: line)
    return try step(statement)
  }

  /// Writes a packed record over the loaded one at `rowid` (a replacement,
  /// or a withdrawn record come back): current again, from this file.
  func overwrite(
    _ kind: RecordKind, rowid: Int64, _ cells: UnsafeBufferPointer<Cell>, _ bytes: UnsafePointer<UInt8>, first: Int,
    line: Int
  ) throws {
    let statement = update[kind]!
    let s = statement.sqliteStatement
    let values = Self.values(kind)
    bindRecord(s, base: 0, cells, bytes, first: first, values: values, line: line)
    sqlite3_bind_int64(s, Int32(values + 5), rowid)
    guard try step(statement) else { throw DatabaseError(message: "a \(kind.rawValue) could not be updated in place") }
  }

  func writeReject(_ row: RawRow, _ problem: RowProblem) throws {
    try insertReject.execute(arguments: [
      fileId, row.line, row.location, row.kind.rawValue, RowValidator.recordId(row), problem.field, problem.code,
      problem.message, row.raw,
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

  /// A changed record replaces the loaded one: the replacement is recorded
  /// and the old version's ingest warnings go.
  func recordReplacement(_ kind: RecordKind, id: String, old: Existing, newLine: Int) throws {
    try deleteWarnings(kind, id: id)
    try insertReplacement.execute(arguments: [kind.rawValue, id, old.fileId, old.line, fileId, newLine])
  }

  /// A record found unchanged keeps its content; its row hash is brought up
  /// to date so that its next re-send is recognised without validation.
  func refreshRowHash(_ kind: RecordKind, rowid: Int64, _ cells: UnsafeBufferPointer<Cell>, _ bytes: UnsafePointer<UInt8>, first: Int) throws {
    let statement = setRowHash[kind]!
    let s = statement.sqliteStatement
    bind(s, 1, cells[first + Self.values(kind) + 1], bytes)
    sqlite3_bind_int64(s, 2, rowid)
    guard try step(statement) else { throw DatabaseError(message: "a row hash could not be stored") }
  }

  /// The line a loaded record came from.
  func line(_ kind: RecordKind, rowid: Int64) throws -> Int? {
    try Int.fetchOne(lineOf[kind]!, arguments: [rowid])
  }

  func deleteWarnings(_ kind: RecordKind, id: String) throws {
    try deleteWarnings.execute(arguments: [kind.rawValue, id])
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

  private func error(_ statement: Statement) -> DatabaseError {
    DatabaseError(
      resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
      message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
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

/// Binds text that outlives the statement's step.
@inline(__always) func bindText(_ s: SQLiteStatement, _ i: Int32, _ text: UnsafeBufferPointer<UInt8>) {
  (text.baseAddress ?? PackedBatchEmpty.byte).withMemoryRebound(to: CChar.self, capacity: max(text.count, 1)) {
    _ = sqlite3_bind_text(s, i, $0, Int32(text.count), nil)
  }
}

enum PackedBatchEmpty {
  nonisolated(unsafe) static let byte: UnsafePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
  }()
}

/// SQLITE_CONSTRAINT_PRIMARYKEY (a C macro Swift does not import).
private let sqliteConstraintPrimaryKey: Int32 = 19 | (6 << 8)
