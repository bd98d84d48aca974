import Foundation

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// The records a cumulative source had before its delivery, found on a
/// thread of its own while the delivery loads: a read-only connection in WAL
/// mode sees the database as committed before the delivery's transaction,
/// so its scan (every current record of the source, as rowid bits) can run
/// beside the load instead of after it. The load is bound by its reading
/// thread and leaves the writing core half idle; the scan of a national
/// export's tables was 0.9 s of a 5 s re-delivery (issue 11).
final class SourceSnapshot: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var rowids: [RecordKind: RowidSet] = [:]
  private var count = 0
  private var failed = false
  private var connection: OpaquePointer?
  private var files: [Int64] = []
  private var fileKinds: [String?] = []

  /// Starts the scan; nil when the database file cannot be read beside the
  /// writer (the delivery then scans inside its transaction).
  init?(path: String, source: String) {
    var db: OpaquePointer?
    guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
      sqlite3_exec(db, "BEGIN", nil, nil, nil) == SQLITE_OK
    else {
      sqlite3_close(db)
      return nil
    }
    // The snapshot is taken by the first read, here, before the delivery writes.
    var s: OpaquePointer?
    if sqlite3_prepare_v2(db, "SELECT id, kind FROM source_file WHERE source = ? AND status = 'loaded'", -1, &s, nil)
      == SQLITE_OK
    {
      _ = source.withCString { sqlite3_bind_text(s, 1, $0, -1, SQLITE_TRANSIENT_VALUE) }
      while sqlite3_step(s) == SQLITE_ROW {
        files.append(sqlite3_column_int64(s, 0))
        fileKinds.append(sqlite3_column_text(s, 1).map { String(cString: $0) })
      }
    } else {
      failed = true
    }
    sqlite3_finalize(s)
    connection = db
    let thread = Thread { [self] in
      defer {
        sqlite3_exec(connection, "ROLLBACK", nil, nil, nil)
        sqlite3_close(connection)
        done.signal()
      }
      guard !failed, !files.isEmpty else { return }
      let list = files.map(String.init).joined(separator: ",")
      for kind in RecordKind.held(byFileKinds: fileKinds) {
        var set = RowidSet()
        var q: OpaquePointer?
        guard
          sqlite3_prepare_v2(
            connection, "SELECT rowid FROM \(kind.table) WHERE withdrawn_by IS NULL AND source_file_id IN (\(list))", -1,
            &q, nil) == SQLITE_OK
        else {
          failed = true
          return
        }
        var rc = sqlite3_step(q)
        while rc == SQLITE_ROW {
          set.insert(sqlite3_column_int64(q, 0))
          count += 1
          rc = sqlite3_step(q)
        }
        sqlite3_finalize(q)
        if rc != SQLITE_DONE {
          failed = true
          return
        }
        rowids[kind] = set
      }
    }
    thread.name = "momaudit-snapshot"
    thread.start()
  }

  /// Waits for the scan: the source's current records by kind and their
  /// number, or nil when the scan failed.
  func result() -> (rowids: [RecordKind: RowidSet], count: Int)? {
    done.wait()
    done.signal()
    return failed ? nil : (rowids, count)
  }
}

/// SQLITE_TRANSIENT (a C macro Swift does not import).
let SQLITE_TRANSIENT_VALUE = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
