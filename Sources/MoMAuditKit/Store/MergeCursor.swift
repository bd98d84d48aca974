import Foundation
import GRDB

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// A walk through one record table in rowid order, beside a file that
/// re-sends what the table holds. A cumulative export is sent again every
/// quarter in the order it was loaded, so the next record of the file is
/// almost always the cursor's next row: recognised with a comparison of ids
/// instead of a B-tree descent (a probe costs ~3 µs; at national scale 5 M
/// probes were 15 s, twice the fresh load: bench/RESULTS.md "quarterly").
///
/// The cursor is only a shortcut: on any mismatch the writer probes the
/// primary key, which decides; `follow` then moves the cursor to where the
/// file is. Rows are updated in place (rowids never change), so a row the
/// cursor meets has its current values.
final class MergeCursor {
  /// The columns `IngestWriter.Existing` is read from, in this order.
  static let selected = "rowid, source_file_id, source_line, withdrawn_by, content_hash, row_hash"

  private let statement: Statement
  private var s: SQLiteStatement { statement.sqliteStatement }
  /// The current row: its rowid, id and fingerprint copied out (the
  /// statement's pointers do not outlive writes to the table).
  private var rowid: Int64 = 0
  private var valid = false
  private var id: [UInt8] = []
  private var hash: [UInt8] = []
  private var fileId: Int64 = 0
  private var line: Int? = nil
  private var withdrawn = false
  private var rowHash: Int64? = nil
  /// Probes that found a record away from the cursor, in a row.
  private var strayHits = 0

  /// How far ahead of the cursor a probed record may be for the cursor to
  /// step to it (records withdrawn at the source, or rejected, in between).
  static let stepLimit: Int64 = 64
  /// Probes away from the cursor before it jumps to where the file is (a
  /// second file of the same kind, a reordered export).
  static let jumpAfter = 4

  init(db: Database, kind: RecordKind) throws {
    statement = try db.makeStatement(
      sql: "SELECT \(Self.selected), \(kind.idColumn) FROM \(kind.table) WHERE rowid > ? ORDER BY rowid")
    try seek(after: 0)
  }

  func close() {
    sqlite3_reset(s)
    valid = false
  }

  /// Reads an `Existing` from a row of `selected` columns.
  static func existing(_ s: SQLiteStatement, hash incoming: UnsafeBufferPointer<UInt8>) -> IngestWriter.Existing {
    let stored = sqlite3_column_text(s, 4)
    let n = Int(sqlite3_column_bytes(s, 4))
    let same = stored != nil && n == incoming.count && memcmp(stored!, incoming.baseAddress!, n) == 0
    return IngestWriter.Existing(
      rowid: sqlite3_column_int64(s, 0), fileId: sqlite3_column_int64(s, 1),
      line: sqlite3_column_type(s, 2) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(s, 2)),
      withdrawn: sqlite3_column_type(s, 3) != SQLITE_NULL, sameContent: same,
      rowHash: sqlite3_column_type(s, 5) == SQLITE_NULL ? nil : sqlite3_column_int64(s, 5))
  }

  private func seek(after r: Int64) throws {
    sqlite3_reset(s)
    sqlite3_bind_int64(s, 1, r)
    try step()
  }

  private func step() throws {
    let rc = sqlite3_step(s)
    if rc == SQLITE_ROW {
      valid = true
      rowid = sqlite3_column_int64(s, 0)
      copy(column: 6, into: &id)
      copy(column: 4, into: &hash)
      fileId = sqlite3_column_int64(s, 1)
      line = sqlite3_column_type(s, 2) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(s, 2))
      withdrawn = sqlite3_column_type(s, 3) != SQLITE_NULL
      rowHash = sqlite3_column_type(s, 5) == SQLITE_NULL ? nil : sqlite3_column_int64(s, 5)
      return
    }
    valid = false
    sqlite3_reset(s)
    if rc != SQLITE_DONE {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(s))),
        sql: statement.sql)
    }
  }

  private func copy(column: Int32, into buffer: inout [UInt8]) {
    buffer.removeAll(keepingCapacity: true)
    guard let p = sqlite3_column_text(s, column) else { return }
    buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, column))))
  }

  /// The cursor's row when its id is `id` (then the cursor moves on), else nil.
  func take(id incoming: UnsafeBufferPointer<UInt8>, hash: UnsafeBufferPointer<UInt8>) throws -> IngestWriter.Existing? {
    guard valid, id.count == incoming.count,
      id.withUnsafeBufferPointer({ memcmp($0.baseAddress!, incoming.baseAddress!, incoming.count) == 0 })
    else { return nil }
    let hit = IngestWriter.Existing(
      rowid: rowid, fileId: fileId, line: line, withdrawn: withdrawn,
      sameContent: self.hash.count == hash.count
        && self.hash.withUnsafeBufferPointer { memcmp($0.baseAddress!, hash.baseAddress!, hash.count) == 0 },
      rowHash: rowHash)
    strayHits = 0
    try step()
    return hit
  }

  /// A probe found the file's record at `hit`: step to just after it when it
  /// is a little ahead; jump there after a few records found elsewhere.
  func follow(_ hit: Int64) throws {
    if valid, hit >= rowid, hit - rowid < Self.stepLimit {
      while valid && rowid <= hit { try step() }
      strayHits = 0
      return
    }
    strayHits += 1
    if strayHits >= Self.jumpAfter {
      strayHits = 0
      try seek(after: hit)
    }
  }
}
