import Foundation

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// The reading thread's view of what is loaded, for the unchanged shortcut
/// (IngestPipeline): a re-sent row whose bytes hash (RowHash, with its
/// reading context) to the row hash its record was stored with is the same
/// record, so it needs no validation, normalisation or fingerprint. Most of
/// a quarterly delivery is such rows, and reading them was the whole cost of
/// a re-delivery (issue 11: the reading thread was the bottleneck at 1.1×
/// the fresh load).
///
/// A read-only connection of its own on the reading thread, in WAL mode: it
/// sees the database as committed before the file's transaction, so the
/// writer handles what the file (or its delivery) has written since
/// (FileLoad). Like MergeCursor, it walks the table in rowid order beside
/// the file and probes the id only when the file leaves that order.
final class UnchangedLookup {
  struct Config: Sendable {
    /// The database file.
    var path: String
    /// Kinds whose table the current transaction has not written yet.
    var kinds: Set<RecordKind>
  }

  private var db: OpaquePointer?
  private var walk: OpaquePointer?
  private var find: OpaquePointer?
  private var valid = false
  private var rowid: Int64 = 0
  private var id: [UInt8] = []
  private var rowHash: Int64? = nil
  private var withdrawn = false
  private var strayHits = 0

  /// nil when the database cannot be read beside the writer (the shortcut is then off).
  init?(path: String, kind: RecordKind) {
    guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
      sqlite3_close(db)
      return nil
    }
    let table = kind.table
    guard sqlite3_exec(db, "BEGIN", nil, nil, nil) == SQLITE_OK,
      sqlite3_prepare_v2(
        db, "SELECT rowid, row_hash, withdrawn_by, \(kind.idColumn) FROM \(table) WHERE rowid > ? ORDER BY rowid", -1,
        &walk, nil) == SQLITE_OK,
      sqlite3_prepare_v2(
        db, "SELECT rowid, row_hash, withdrawn_by FROM \(table) WHERE \(kind.idColumn) = ?", -1, &find, nil)
        == SQLITE_OK
    else {
      close()
      return nil
    }
    seek(after: 0)
  }

  deinit { close() }

  private func close() {
    sqlite3_finalize(walk)
    sqlite3_finalize(find)
    walk = nil
    find = nil
    if db != nil { sqlite3_exec(db, "ROLLBACK", nil, nil, nil) }
    sqlite3_close(db)
    db = nil
  }

  private func seek(after r: Int64) {
    sqlite3_reset(walk)
    sqlite3_bind_int64(walk, 1, r)
    step()
  }

  private func step() {
    guard sqlite3_step(walk) == SQLITE_ROW else {
      valid = false
      sqlite3_reset(walk)
      return
    }
    valid = true
    rowid = sqlite3_column_int64(walk, 0)
    rowHash = sqlite3_column_type(walk, 1) == SQLITE_NULL ? nil : sqlite3_column_int64(walk, 1)
    withdrawn = sqlite3_column_type(walk, 2) != SQLITE_NULL
    id.removeAll(keepingCapacity: true)
    if let p = sqlite3_column_text(walk, 3) {
      id.append(contentsOf: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(walk, 3))))
    }
  }

  /// The rowid of the current record with id `incoming` when it was stored
  /// from a row with row hash `hash`; nil otherwise (the row then takes the
  /// full path, and the writer decides).
  func claim(id incoming: UnsafeBufferPointer<UInt8>, hash: Int64) -> Int64? {
    guard !incoming.isEmpty else { return nil }
    if valid, id.count == incoming.count,
      id.withUnsafeBufferPointer({ memcmp($0.baseAddress!, incoming.baseAddress!, incoming.count) == 0 })
    {
      let hit = (rowid, rowHash, withdrawn)
      strayHits = 0
      step()
      return !hit.2 && hit.1 == hash ? hit.0 : nil
    }
    sqlite3_reset(find)
    incoming.baseAddress!.withMemoryRebound(to: CChar.self, capacity: incoming.count) {
      _ = sqlite3_bind_text(find, 1, $0, Int32(incoming.count), nil)
    }
    guard sqlite3_step(find) == SQLITE_ROW else {
      sqlite3_reset(find)
      return nil
    }
    let found = sqlite3_column_int64(find, 0)
    let storedHash: Int64? = sqlite3_column_type(find, 1) == SQLITE_NULL ? nil : sqlite3_column_int64(find, 1)
    let isWithdrawn = sqlite3_column_type(find, 2) != SQLITE_NULL
    sqlite3_reset(find)
    follow(found)
    return !isWithdrawn && storedHash == hash ? found : nil
  }

  /// As MergeCursor.follow: step to just after a record found a little
  /// ahead; jump there after a few found elsewhere.
  private func follow(_ hit: Int64) {
    if valid, hit >= rowid, hit - rowid < MergeCursor.stepLimit {
      while valid && rowid <= hit { step() }
      strayHits = 0
      return
    }
    strayHits += 1
    if strayHits >= MergeCursor.jumpAfter {
      strayHits = 0
      seek(after: hit)
    }
  }
}
