import GRDB

/// Secondary indexes during a large load (issue 5; PLATFORM.md: "indexes
/// built before a bulk load triple its time").
///
/// When a file is large next to what its table already holds, the table's
/// own indexes (not the primary key) are dropped before its first row and
/// created again, from their stored SQL, once the file is loaded: a sort
/// instead of one random B-tree insert per row. The schema has no such index
/// since migration v3 (nothing in the pipeline reads records by patient); an
/// operator's own lookup index (docs/operators.md) is handled this way.
/// Everything happens inside the file's transaction, so a refused or
/// failed file leaves the indexes as they were. A small file into a large
/// table keeps the indexes and inserts row by row, which is cheaper than
/// rebuilding them.
final class BulkLoad {
  /// Bytes per row assumed when estimating a file's rows from its size
  /// (CSV rows of the canonical formats are 60–200 bytes, XML more).
  static let bytesPerRowEstimate = 100

  let db: Database
  let estimatedRows: Int
  @exclusivity(unchecked) private var decided: Set<RecordKind> = []
  private var recreate: [String] = []

  init(db: Database, estimatedRows: Int) {
    self.db = db
    self.estimatedRows = estimatedRows
  }

  @inline(__always) func isDecided(_ kind: RecordKind) -> Bool { decided.contains(kind) }

  /// Decides, before the first row of a kind, whether its table loads in bulk.
  @inline(__always) func prepare(_ kind: RecordKind) throws {
    if decided.contains(kind) { return }
    try decide(kind)
  }

  private func decide(_ kind: RecordKind) throws {
    decided.insert(kind)
    let table = kind.table
    // max(rowid) reads one page: a cheap upper bound of the row count.
    let existing = try Int.fetchOne(db, sql: "SELECT max(rowid) FROM \(table)") ?? 0
    guard estimatedRows * 4 >= existing else { return }
    let indexes = try Row.fetchAll(
      db,
      sql: """
        SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL
          AND name NOT IN (\(Self.kept.map { "'\($0)'" }.joined(separator: ",")))
        ORDER BY name
        """,
      arguments: [table])
    for index in indexes {
      let name: String = index["name"]
      try db.execute(sql: "DROP INDEX \(name.quotedDatabaseIdentifier)")
      recreate.append(index["sql"])
    }
  }

  /// Partial indexes of withdrawn records: a load of current records adds
  /// nothing to them, so they stay.
  static let kept = RecordKind.allCases.map { "\($0.table)_withdrawn" }

  /// Creates the dropped indexes again.
  func finish() throws {
    for sql in recreate { try db.execute(sql: sql) }
    recreate = []
  }
}
