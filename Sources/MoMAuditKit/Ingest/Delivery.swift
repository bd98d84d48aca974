import Foundation
import GRDB

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// One delivery of a cumulative source: all its files in one ingest, in one
/// transaction (sources.md §3). While the files load it is told which
/// records they re-sent unchanged (or sent in a rejected row), as rowid bits;
/// at the end, every record current from the source that the delivery
/// neither wrote nor touched is **withdrawn**, unless there are more of them
/// than the guard allows.
final class Delivery {
  let source: String
  let maxWithdrawPercent: Double
  let allowWithdraw: Bool
  /// The source's files loaded before this delivery.
  let earlierFiles: [Int64]
  /// The kinds of record those files can hold (`RecordKind.held`).
  private let earlierKinds: [RecordKind]
  private let earlierFileSet: Set<Int64>
  /// This delivery's files, in order, with their kind (`procedures`, `events`, `results`, `mixed`).
  private(set) var files: [(id: Int64, kind: String)] = []
  private var touched = RowidSets()
  /// Records of this source the delivery replaced (they were current before it).
  private var replacedFromSource = 0
  /// Records the delivery wrote over (replaced, or withdrawn and back), by rowid.
  private var overwritten = RowidSets()
  /// The source's records before the delivery, scanned beside the load (WAL only).
  private let snapshot: SourceSnapshot?
  /// Crash-safety tests only.
  let killAfterWithdrawals = FaultInjection.limit(.withdrawRecord)

  /// `snapshotOf`: the database file, when it can be read beside this
  /// transaction (WAL): the source's records are then scanned on another
  /// thread while the files load.
  init(_ db: Database, source: String, maxWithdrawPercent: Double, allowWithdraw: Bool, snapshotOf path: String?) throws {
    self.source = source
    self.maxWithdrawPercent = maxWithdrawPercent
    self.allowWithdraw = allowWithdraw
    let earlier = try Row.fetchAll(
      db, sql: "SELECT id, kind FROM source_file WHERE source = ? AND status = 'loaded' ORDER BY id", arguments: [source])
    earlierFiles = earlier.map { $0["id"] }
    earlierKinds = RecordKind.held(byFileKinds: earlier.map { $0["kind"] })
    earlierFileSet = Set(earlierFiles)
    snapshot = earlierFiles.isEmpty ? nil : path.flatMap { SourceSnapshot(path: $0, source: source) }
  }

  @inline(__always) func overwrote(_ kind: RecordKind, _ rowid: Int64) {
    overwritten.insert(kind, rowid)
  }

  func added(file: Int64, kind: String) { files.append((file, kind)) }

  /// Kinds the delivery's files so far have written (an XML export: every kind).
  var loadedKinds: Set<RecordKind> {
    Set(files.flatMap { f in RecordKind.allCases.filter { f.kind == $0.rawValue + "s" || f.kind == "mixed" } })
  }

  @inline(__always) func touch(_ kind: RecordKind, _ rowid: Int64) { touched.insert(kind, rowid) }

  @inline(__always) func replaced(from fileId: Int64) {
    if earlierFileSet.contains(fileId) { replacedFromSource += 1 }
  }

  struct Withdrawal {
    /// Records withdrawn, by kind.
    var withdrawn: [RecordKind: Int] = [:]
    /// Records current from the source before the delivery.
    var current = 0
    /// Records withdrawn, by the file they are attributed to.
    var byFile: [Int64: Int] = [:]
    var total: Int { withdrawn.values.reduce(0, +) }
  }

  /// The file a withdrawn record of `kind` is attributed to: the delivery's
  /// last file of that kind (an XML export holds every kind), else its last file.
  func attribution(_ kind: RecordKind) -> Int64 {
    let name = kind.rawValue + "s"
    return files.last(where: { $0.kind == name || $0.kind == "mixed" })?.id ?? files.last!.id
  }

  /// Finds the records to withdraw (one scan of each table the source's
  /// earlier files can hold records in, restricted to those files), applies
  /// the guard, marks them, and supersedes the source's earlier files.
  /// Throws `DeliveryRefused` when the guard refuses: the caller rolls the
  /// whole delivery back.
  func finish(_ db: Database) throws -> Withdrawal {
    var w = Withdrawal()
    var candidates: [RecordKind: [Int64]] = [:]
    w.current = replacedFromSource
    if let before = snapshot?.result() {
      // Current before the delivery, and neither touched nor written over by it.
      w.current = before.count
      for (kind, rowids) in before.rowids {
        let touched = self.touched[kind]
        let overwritten = self.overwritten[kind]
        var found: [Int64] = []
        rowids.forEach { if !touched.contains($0) && !overwritten.contains($0) { found.append($0) } }
        if !found.isEmpty { candidates[kind] = found }
      }
    } else if !earlierFiles.isEmpty {
      let list = earlierFiles.map(String.init).joined(separator: ",")
      for kind in earlierKinds {
        let statement = try db.makeStatement(
          sql: "SELECT rowid FROM \(kind.table) WHERE withdrawn_by IS NULL AND source_file_id IN (\(list))")
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        let touched = self.touched[kind]
        var found: [Int64] = []
        while true {
          let rc = sqlite3_step(s)
          if rc == SQLITE_DONE { break }
          guard rc == SQLITE_ROW else {
            throw DatabaseError(
              resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
              sql: statement.sql)
          }
          w.current += 1
          let rowid = sqlite3_column_int64(s, 0)
          if !touched.contains(rowid) { found.append(rowid) }
        }
        if !found.isEmpty { candidates[kind] = found }
      }
    }
    let total = candidates.values.reduce(0) { $0 + $1.count }
    if total > 0, !allowWithdraw, Double(total) * 100 > maxWithdrawPercent * Double(w.current) {
      throw DeliveryRefused(source: source, withdraw: total, current: w.current, maxPercent: maxWithdrawPercent)
    }
    for kind in RecordKind.allCases {
      guard let rowids = candidates[kind] else { continue }
      let by = attribution(kind)
      let warnings = try db.makeStatement(
        sql: """
          DELETE FROM warning WHERE check_run_id IS NULL AND record_kind = ?
            AND record_id = (SELECT \(kind.idColumn) FROM \(kind.table) WHERE rowid = ?)
          """)
      let mark = try db.makeStatement(sql: "UPDATE \(kind.table) SET withdrawn_by = ? WHERE rowid = ?")
      for rowid in rowids {
        try warnings.execute(arguments: [kind.rawValue, rowid])
        try mark.execute(arguments: [by, rowid])
        if killAfterWithdrawals != nil { FaultInjection.tick(.withdrawRecord) }
      }
      w.withdrawn[kind] = rowids.count
      w.byFile[by, default: 0] += rowids.count
    }
    for (file, n) in w.byFile {
      try db.execute(sql: "UPDATE source_file SET records_withdrawn = ? WHERE id = ?", arguments: [n, file])
    }
    // This delivery's files are the source's current files from now on.
    let first = files.first!.id
    let ids = files.map { String($0.id) }.joined(separator: ",")
    try db.execute(
      sql: "UPDATE source_file SET cumulative = 1, delivery = ? WHERE id IN (\(ids))", arguments: [first])
    try db.execute(
      sql: """
        UPDATE source_file SET superseded_by = ?
        WHERE source = ? AND cumulative = 1 AND superseded_by IS NULL AND id < ?
        """, arguments: [first, source, first])
    return w
  }
}

/// The guard of a cumulative source refused a delivery (sources.md §3).
package struct DeliveryRefused: Error, Equatable, Sendable {
  package var source: String
  package var withdraw: Int
  package var current: Int
  package var maxPercent: Double

  package var message: String {
    let percent = Double(withdraw) * 100 / Double(max(current, 1))
    return "source \"\(source)\": the delivery would withdraw \(withdraw) of its \(current) current records "
      + "(\(String(format: "%.1f", percent)) %), more than max_withdraw_percent = \(Self.number(maxPercent)); "
      + "nothing of the delivery was loaded. If those records were really removed at the source, run again with "
      + "--allow-withdraw; if the export is partial, ask for a complete one"
  }

  static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}
