import Foundation
import GRDB
import Logging
import Testing
@testable import MoMAuditKit

/// The schema's migrations, and what a large load does to indexes.
@Suite("Schema")
struct SchemaTests {
  static func names(_ db: DatabaseQueue, _ type: String) throws -> Set<String> {
    try db.read {
      Set(try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = ? AND sql IS NOT NULL", arguments: [type]))
    }
  }

  @Test("a database made before v3 migrates with its records, and loses only the unused per-patient structures")
  func migratesFromV2() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let path = dir.file("old.sqlite")
    let old = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(old, upTo: "v2: finding key index")
    #expect(try Self.names(old, "table").contains("patient"))
    try old.write { db in
      try db.execute(sql: "INSERT INTO source_file (path, sha256, format, status, ingested_at) VALUES ('a.csv', 'x', 'csv', 'loaded', 'now')")
      try db.execute(
        sql: """
          INSERT INTO procedure (procedure_id, nhs_number, sex, procedure_date, side, procedure_type, bearing, is_mom, is_asr,
            content_hash, source_file_id) VALUES ('P1', '9434765919', 'female', '2006-05-02', 'L', 'resurfacing', 'MoM', 1, 0, 'h', 1)
          """)
      try db.execute(sql: "INSERT INTO patient (nhs_number) VALUES ('9434765919')")
    }
    try old.close()
    let db = try AuditDatabase.open(path: path)
    #expect(try !Self.names(db, "table").contains("patient"))
    #expect(try Self.names(db, "index").isDisjoint(with: ["procedure_patient", "event_patient"]))
    #expect(try db.read { try String.fetchAll($0, sql: "SELECT procedure_id FROM procedure") } == ["P1"])
    #expect(try db.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
  }

  @Test("an operator's own index on a record table is dropped for a large load, built again, and used")
  func operatorIndexSurvivesBulkLoad() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let db = try AuditDatabase.open(path: dir.file("a.sqlite"))
    let sql = "CREATE INDEX lookup_event_patient ON event(nhs_number)"
    try db.write { try $0.execute(sql: sql) }
    let events = (0..<200).map { IX.review("E\($0)", nhs: IX.nhs[$0 % IX.nhs.count]) }
    // Large next to the empty table: loaded in bulk, the index rebuilt at the end.
    let big = try Ingester(db: db, logger: quietLogger).ingestFile(path: dir.write("big.csv", IX.lines(IX.evHeader, events)))
    #expect(big.rowsAccepted == 200)
    // Small next to the loaded table: the index is kept and written row by row.
    let small = try Ingester(db: db, logger: quietLogger).ingestFile(
      path: dir.write("small.csv", IX.lines(IX.evHeader, [IX.review("E999", nhs: IX.nhs[1])])))
    #expect(small.rowsAccepted == 1)
    try db.read { db in
      #expect(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'lookup_event_patient'") == sql)
      #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
      let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT event_id FROM event WHERE nhs_number = ?", arguments: [IX.nhs[1]])
      #expect(plan.contains { ($0["detail"] as String).contains("lookup_event_patient") })
      let found = try String.fetchAll(db, sql: "SELECT event_id FROM event INDEXED BY lookup_event_patient WHERE nhs_number = ?", arguments: [IX.nhs[1]])
      #expect(found.count == events.indices.filter { $0 % IX.nhs.count == 1 }.count + 1)
    }
  }

  @Test("another connection reading during an ingest: the ingest still loads (staying in WAL), and the check still runs")
  func readerDuringIngest() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let path = dir.file("a.sqlite")
    let db = try AuditDatabase.open(path: path)
    _ = try Ingester(db: db, logger: quietLogger).ingestFile(
      path: dir.write("p.csv", IX.lines(IX.procHeader, [IX.proc("P1"), IX.proc("P2", nhs: IX.nhs[1])])))
    // An auditor's session holding a read transaction open (WAL lets it).
    let other = try DatabaseQueue(path: path)
    let reading = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      try? other.read { db in
        _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM procedure")
        reading.signal()
        done.wait()
      }
    }
    thread.start()
    reading.wait()
    let outcomes = try Ingester(db: db, logger: quietLogger).ingest(inputs: [
      dir.write("e.csv", IX.lines(IX.evHeader, (0..<40).map { IX.review("E\($0)") }))
    ])
    #expect(outcomes.map(\.status) == [.loaded])
    #expect(outcomes.first?.rowsAccepted == 40)
    let summary = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2025-06-30")!).run()
    #expect(summary.patientsMoM == 2)
    done.signal()
  }

  /// A logger that keeps the messages it is given.
  final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    var all: [String] { lock.withLock { list } }
    func add(_ m: String) { lock.withLock { list.append(m) } }
    var logger: Logger {
      var l = Logger(label: "test") { _ in Handler(messages: self) }
      l.logLevel = .debug
      return l
    }
    struct Handler: LogHandler {
      let messages: Messages
      var metadata: Logger.Metadata = [:]
      var logLevel: Logger.Level = .debug
      subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
      }
      func log(event: LogEvent) { messages.add("\(event.message)") }
    }
  }

  @Test(
    "the check reads on a connection of its own in WAL mode only; otherwise on its writing connection, whose writes its own reads would block"
  )
  func checkOutsideWAL() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let db = try AuditDatabase.open(path: dir.file("a.sqlite"))
    _ = try Ingester(db: db, logger: quietLogger).ingest(groups: try sampleGroups())
    var findings: [Int] = []
    for mode in ["WAL", "DELETE"] {
      try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = \(mode)") }
      let messages = Messages()
      let summary = try CheckRunner(db: db, logger: messages.logger, pack: .mhra2017, asOf: LocalDate(iso: "2026-09-30")!).run()
      findings.append(summary.findings)
      // "check timing" is the second connection's report of its waits.
      #expect(messages.all.contains("check timing") == (mode == "WAL"), "\(mode)")
    }
    // SampleData/expected.json: the generator's count of every finding.
    let total = (try SampleDataTests.expected()["findings"] as! [String: Int]).values.reduce(0, +)
    #expect(findings == [total, total])
  }
}
