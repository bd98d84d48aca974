import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// sources.md §3: deliveries of a cumulative source, one transaction each;
/// the records a snapshot leaves out are withdrawn, behind a guard.
@Suite("Ingest: cumulative deliveries and withdrawals")
struct CumulativeDeliveryTests {
  /// One delivery of source `source`: `files` written into a folder of their own.
  static func deliver(
    _ db: DatabaseQueue, _ t: TempDir, _ folder: String, _ files: [String: String], source: String = "reg",
    cumulative: Bool = true, percent: Double = 5, allow: Bool = false, profile: Profile = Profile()
  ) throws -> [FileOutcome] {
    for (name, text) in files { _ = t.write("\(folder)/\(name)", text) }
    var g = InputGroup(source: source, inputs: [t.file(folder)], options: IngestOptions(profile: profile))
    g.cumulative = cumulative
    g.maxWithdrawPercent = percent
    return try Ingester(db: db, logger: quietLogger, allowWithdraw: allow).ingest(groups: [g])
  }

  static func events(_ ids: [String], ohs: String = "44") -> String {
    IX.lines(IX.evHeader, ids.map { IX.review($0, ohs: ohs) })
  }

  /// Current (not withdrawn) event ids, in order.
  static func current(_ db: DatabaseQueue) throws -> [String] {
    try IX.strings(db, "SELECT event_id FROM event WHERE withdrawn_by IS NULL ORDER BY event_id").compactMap { $0 }
  }

  static func withdrawn(_ db: DatabaseQueue) throws -> [String] {
    try IX.strings(db, "SELECT event_id FROM event WHERE withdrawn_by IS NOT NULL ORDER BY event_id").compactMap { $0 }
  }

  static func ids(_ n: Int) -> [String] { (10..<(10 + n)).map { "E\($0)" } }

  @Test("exactly max_withdraw_percent withdraws; one record more refuses the whole delivery, which changes nothing")
  func guardBoundary() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    let all = Self.ids(20)
    _ = try Self.deliver(db, t, "q1", ["events.csv": Self.events(all)])
    // 1 of 20 = 5 %: passes (exactly the limit).
    let q2 = try Self.deliver(db, t, "q2", ["events.csv": Self.events(Array(all.dropFirst()))])
    #expect(q2.map(\.status) == [.loaded])
    #expect(q2[0].recordsWithdrawn == 1)
    #expect(try Self.withdrawn(db) == ["E10"])
    // 1 of 19 = 5.3 % (E12): refused, and the changed record in it (E11) is not loaded either.
    let before = try IX.strings(db, "SELECT event_id || oxford_hip_score || coalesce(withdrawn_by, '-') FROM event ORDER BY 1")
    let files = try IX.count(db, "source_file")
    let q3 = try Self.deliver(
      db, t, "q3", ["events.csv": Self.events(Array(all.dropFirst(3))) + "E11,\(IX.nhs[0]),2025-06-11,review,L,N,12,,,,,,\n"])
    #expect(q3.map(\.status) == [.refused])
    let refusal = try #require(q3[0].deliveryRefusal)
    #expect(refusal.contains("source \"reg\""))
    #expect(refusal.contains("withdraw 1 of its 19 current records (5.3 %)"))
    #expect(refusal.contains("max_withdraw_percent = 5"))
    #expect(refusal.contains("--allow-withdraw"))
    #expect(try IX.strings(db, "SELECT event_id || oxford_hip_score || coalesce(withdrawn_by, '-') FROM event ORDER BY 1") == before)
    #expect(try IX.count(db, "source_file") == files)
    // The same delivery with --allow-withdraw loads.
    let q4 = try Self.deliver(db, t, "q4", ["events.csv": Self.events(Array(all.dropFirst(3)))], allow: true)
    #expect(q4.map(\.status) == [.loaded])
    #expect(try Self.withdrawn(db) == ["E10", "E11", "E12"])
  }

  @Test("max_withdraw_percent comes from the source: a higher one lets a larger withdrawal through")
  func percentFromSource() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    _ = try Self.deliver(db, t, "q1", ["events.csv": Self.events(Self.ids(10))])
    #expect(try Self.deliver(db, t, "q2", ["events.csv": Self.events(Array(Self.ids(10).prefix(7)))], percent: 25)[0].status == .refused)
    #expect(try Self.deliver(db, t, "q3", ["events.csv": Self.events(Array(Self.ids(10).prefix(7)))], percent: 30)[0].status == .loaded)
    #expect(try Self.current(db) == Array(Self.ids(10).prefix(7)))
  }

  @Test("a row a profile skips is not in the delivery: its record is withdrawn")
  func skippedIsWithdrawn() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    let profile = try Profile.load(path: t.write("pas.toml", "[skip]\nside = [\"R\"]\n"))
    _ = try Self.deliver(db, t, "q1", ["events.csv": Self.events(["E1", "E2"])], profile: profile)
    let q2 = try Self.deliver(
      db, t, "q2", ["events.csv": IX.lines(IX.evHeader, [IX.review("E1"), "E2,\(IX.nhs[0]),2025-06-11,review,R,N,44,,,,,,"])],
      percent: 50, profile: profile)
    #expect(q2[0].rowsSkipped == 1)
    #expect(q2[0].rowsRead == q2[0].rowsAccepted + q2[0].rowsRejected + q2[0].rowsSkipped)
    #expect(try Self.withdrawn(db) == ["E2"])
  }

  @Test("a refused file refuses its delivery whole; the source's records stay; other sources still load")
  func refusedFileRefusesDelivery() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    _ = try Self.deliver(db, t, "q1", ["events.csv": Self.events(["E1", "E2"])])
    _ = t.write("q2/a-events.csv", Self.events(["E1"], ohs: "12"))
    _ = t.write("q2/b-broken.csv", "not,a,known,header\n1,2,3,4\n")
    _ = t.write("other/pas.csv", Self.events(["X1"]))
    var reg = InputGroup(source: "reg", inputs: [t.file("q2")], options: IngestOptions())
    reg.cumulative = true
    let other = InputGroup(source: "pas", inputs: [t.file("other")], options: IngestOptions())
    let outcomes = try Ingester(db: db, logger: quietLogger).ingest(groups: [reg, other])
    #expect(outcomes.map(\.status) == [.refused, .refused, .loaded])
    #expect(outcomes[0].deliveryRefusal?.contains("was refused") == true)
    #expect(outcomes[1].deliveryRefusal == nil)
    #expect(try Self.current(db) == ["E1", "E2", "X1"])
    #expect(try IX.strings(db, "SELECT CAST(oxford_hip_score AS TEXT) FROM event WHERE event_id = 'E1'") == ["44"])
    // The refused file is recorded (for the report), the other file of its delivery is not.
    #expect(try IX.strings(db, "SELECT status || ' ' || cumulative FROM source_file WHERE path LIKE '%b-broken.csv'") == ["refused 1"])
    #expect(try IX.count(db, "source_file WHERE path LIKE '%a-events.csv'") == 0)
  }

  @Test("every file of a delivery takes part, a byte-identical one too: re-sending it beside a new file withdraws nothing of it")
  func identicalFileTakesPart() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    let procedures = IX.lines(IX.procHeader, [IX.proc("P1"), IX.proc("P2")])
    _ = try Self.deliver(db, t, "q1", ["procedures.csv": procedures, "events.csv": Self.events(["E1"])])
    let q2 = try Self.deliver(db, t, "q2", ["procedures.csv": procedures, "events.csv": Self.events(["E1", "E2"])])
    #expect(q2.map(\.status) == [.loaded, .loaded])
    #expect(q2.map(\.recordsUnchanged) == [1, 2])
    #expect(q2.map(\.recordsWithdrawn) == [0, 0])
    #expect(try IX.count(db, "procedure WHERE withdrawn_by IS NULL") == 2)
    // Outside cumulative sources a byte-identical file is still skipped.
    let plain = try Self.deliver(db, t, "q3", ["procedures.csv": procedures], source: "other", cumulative: false)
    #expect(plain.map(\.status) == [.alreadyIngested])
  }

  @Test("an XML export re-sent as the next delivery: unchanged records stay current, a corrected one replaces, nothing is withdrawn")
  func xmlRedelivery() throws {
    // Procedures and events share rowids (each table counts from 1). The
    // sets of records a file re-sent unchanged were once shared by both
    // kinds, so an event whose rowid matched an unchanged procedure counted
    // as a repeat within the file: never touched, so withdrawn (here the
    // guard refused the delivery), and a corrected one was rejected.
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    func export(_ date: String, ohs: String) -> String {
      XMLReaderTests.doc(
        exportDate: date,
        (0..<20).map { i in
          "<patient nhsNumber=\"9434765919\">" + XMLReaderTests.proc("P\(i)")
            + XMLReaderTests.review("E\(i)", extra: " oxfordHipScore=\"\(i == 7 ? ohs : "44")\"") + "</patient>\n"
        }.joined())
    }
    _ = try Self.deliver(db, t, "q1", ["export.xml": export("2026-10-01", ohs: "44")])
    let q2 = try Self.deliver(db, t, "q2", ["export.xml": export("2026-11-01", ohs: "30")])
    #expect(q2.map(\.status) == [.loaded])
    #expect(q2.map(\.rowsRejected) == [0])
    #expect(q2.map(\.recordsUnchanged) == [39])
    #expect(q2.map(\.recordsReplaced) == [1])
    #expect(q2.map(\.recordsWithdrawn) == [0])
    #expect(try IX.count(db, "procedure WHERE withdrawn_by IS NULL") == 20)
    #expect(try Self.current(db).count == 20)
    #expect(try IX.strings(db, "SELECT CAST(oxford_hip_score AS TEXT) FROM event WHERE event_id = 'E7'") == ["30"])
  }

  @Test("a delivery without its procedures file withdraws the source's procedures (and the guard sees them)")
  func missingKindIsWithdrawn() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    _ = try Self.deliver(db, t, "q1", ["procedures.csv": IX.lines(IX.procHeader, [IX.proc("P1")]), "events.csv": Self.events(Self.ids(30))])
    let q2 = try Self.deliver(db, t, "q2", ["events.csv": Self.events(Self.ids(30))])
    #expect(q2[0].recordsWithdrawn == 1)
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure WHERE withdrawn_by IS NOT NULL") == ["P1"])
    // The withdrawn procedure is attributed to the delivery's last file (it has no procedures file).
    #expect(try IX.strings(db, "SELECT CAST(records_withdrawn AS TEXT) FROM source_file ORDER BY id DESC LIMIT 1") == ["1"])
  }

  @Test("exceptions are records like the others: re-sent unchanged, changed replaced, absent withdrawn; a withdrawn exception excepts nothing")
  func exceptionsDelivery() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    let header = "exception_id,nhs_number,finding,reason,recorded_by,recorded_on,review_by"
    func x(_ id: String, review: String = "2025-12-31") -> String {
      "\(id),\(IX.nhs[0]),ALL,informed_dissent,C1,2025-01-01,\(review)"
    }
    func check() throws -> ReportModel {
      let id = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2025-06-30")!).run().runId
      return try db.read { try ReportModel.load($0, runId: id)! }
    }
    // An unreviewed resurfacing of 2006: findings, all of one patient.
    _ = try Self.deliver(db, t, "pas", ["procedures.csv": IX.lines(IX.procHeader, [IX.proc("P1")])], source: "pas", cumulative: false)
    let open = try check().findings.map(\.finding)
    #expect(!open.isEmpty)

    let q1 = try Self.deliver(db, t, "q1", ["exceptions.csv": IX.lines(header, [x("X1"), x("X2")])])
    #expect(q1.map(\.recordsAdded) == [2])
    let m1 = try check()
    #expect(m1.findings.isEmpty)
    // Both in force with the same review_by: the smaller id applies.
    #expect(m1.excepted.map(\.finding.finding) == open)
    #expect(Set(m1.excepted.map(\.exceptionId)) == ["X1"])

    // X1 absent, X2 changed: X1 withdrawn, X2 replaced; X2 applies.
    let q2 = try Self.deliver(db, t, "q2", ["exceptions.csv": IX.lines(header, [x("X2", review: "2025-11-30")])], percent: 50)
    #expect(q2.map { [$0.recordsAdded, $0.recordsUnchanged, $0.recordsReplaced, $0.recordsWithdrawn] } == [[0, 0, 1, 1]])
    #expect(Set(try check().excepted.map(\.exceptionId)) == ["X2"])
    // The same snapshot again: unchanged.
    let q3 = try Self.deliver(db, t, "q3", ["exceptions.csv": IX.lines(header, [x("X2", review: "2025-11-30")])])
    #expect(q3.map { [$0.recordsAdded, $0.recordsUnchanged, $0.recordsReplaced, $0.recordsWithdrawn] } == [[0, 1, 0, 0]])
    // A snapshot with no exceptions withdraws X2: the findings are back.
    let q4 = try Self.deliver(db, t, "q4", ["exceptions.csv": IX.lines(header, [])], allow: true)
    #expect(q4.map(\.recordsWithdrawn) == [1])
    let m4 = try check()
    #expect(m4.excepted.isEmpty)
    #expect(m4.findings.map(\.finding) == open)
    #expect(m4.withdrawn.map { "\($0.recordKind) \($0.recordId)" } == ["exception X2"])
  }

  @Test("withdrawn.csv lists what was withdrawn since the compared run and is still withdrawn; the check ignores it")
  func withdrawnSinceComparedRun() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    func check() throws -> Int64 {
      try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2025-06-30")!).run().runId
    }
    let procedures = IX.lines(IX.procHeader, [IX.proc("P1")])
    _ = try Self.deliver(db, t, "q1", ["procedures.csv": procedures, "events.csv": Self.events(Self.ids(4))])
    let run1 = try check()
    _ = try Self.deliver(db, t, "q2", ["procedures.csv": procedures, "events.csv": Self.events(Array(Self.ids(4).dropFirst()))], percent: 50)
    _ = try check()
    _ = try Self.deliver(db, t, "q3", ["procedures.csv": procedures, "events.csv": Self.events(Array(Self.ids(4).dropFirst(2)))], percent: 50)
    let run3 = try check()
    let latest = try db.read { try ReportModel.load($0, runId: run3)! }
    #expect(latest.withdrawn.map(\.recordId) == ["E11"])
    #expect(latest.withdrawn.first?.source == "reg")
    #expect(latest.withdrawn.first?.withdrawnByFile.hasSuffix("q3/events.csv") == true)
    #expect(ReportFigures(latest).withdrawnSince == [ReportFigures.WithdrawnCount(recordKind: "event", source: "reg", records: 1)])
    let sinceFirst = try db.read { try ReportModel.load($0, runId: run3, compareWith: run1)! }
    #expect(sinceFirst.withdrawn.map(\.recordId) == ["E10", "E11"])
    // The streamed report writes the same withdrawn.csv as the model.
    let out = t.file("report")
    try Reporter(db: db, logger: quietLogger).write(to: out, runId: run3, databaseName: "mem", options: ReportOptions())
    let streamed = try String(contentsOfFile: out + "/withdrawn.csv", encoding: .utf8)
    #expect(streamed == Reporter.files(latest).first { $0.0 == "withdrawn.csv" }!.1)
    #expect(streamed.hasPrefix("record_kind,record_id,nhs_number,source,withdrawn_by_file,withdrawn_at\r\nevent,E11,\(IX.nhs[0]),reg,"))
    #expect(try Self.current(db) == ["E12", "E13"])
  }

  @Test("a database of version 8 migrates: identical re-sends become unchanged counts, no record is lost")
  func migrationFromV8() throws {
    let queue = try DatabaseQueue()
    try Schema.migrator.migrate(queue, upTo: "v8: how MoM implants were found")
    try queue.write { db in
      try db.execute(sql: """
        INSERT INTO source_file (id, path, sha256, format, status, rows_read, rows_accepted, records_replaced, ingested_at)
          VALUES (1, 'a.csv', 'aa', 'csv', 'loaded', 2, 2, 0, '2025-01-01T00:00:00Z'),
                 (2, 'b.csv', 'bb', 'csv', 'loaded', 2, 2, 2, '2025-04-01T00:00:00Z');
        INSERT INTO event (event_id, nhs_number, event_date, event_type, content_hash, source_file_id, source_line)
          VALUES ('E1', '9434765919', '2025-01-01', 'review', 'h1', 2, 2), ('E2', '9434765919', '2025-01-01', 'review', 'h2b', 2, 3);
        INSERT INTO replacement (record_kind, record_id, old_source_file_id, old_line, new_source_file_id, new_line, identical)
          VALUES ('event', 'E1', 1, 2, 2, 2, 1), ('event', 'E2', 1, 3, 2, 3, 0);
        INSERT INTO check_run (as_of, pack_name, pack_json, local_protocol, software_version, started_at, finished_at,
          duration_seconds, patients_mom, implants_mom, patients_in_surveillance)
          VALUES ('2025-06-30', 'mhra-2017', '{}', 0, '0.1.0', 'x', 'x', 0, 0, 0, 0);
        """)
    }
    try Schema.migrator.migrate(queue)
    #expect(try IX.strings(queue, "SELECT records_unchanged || ' ' || records_replaced || ' ' || coalesce(records_added, '-') FROM source_file ORDER BY id") == ["0 0 -", "1 1 -"])
    #expect(try IX.strings(queue, "SELECT record_id FROM replacement") == ["E2"])
    #expect(try IX.count(queue, "event WHERE withdrawn_by IS NULL") == 2)
    #expect(try IX.strings(queue, "SELECT CAST(last_source_file_id AS TEXT) FROM check_run") == ["2"])
  }

  // MARK: property

  /// A tiny model of sources.md §3: per id, its content version, the source
  /// of its current version, and whether it is withdrawn.
  struct Model {
    var records: [String: (version: Int, source: String, withdrawn: Bool)] = [:]

    mutating func deliver(source: String, cumulative: Bool, rows: [String: Int], rejected: Set<String>) {
      for (id, v) in rows {
        if let r = records[id], !r.withdrawn {
          if r.version != v { records[id] = (v, source, false) }
        } else {
          records[id] = (v, source, false)
        }
      }
      guard cumulative else { return }
      for (id, r) in records where !r.withdrawn && r.source == source && rows[id] == nil && !rejected.contains(id) {
        records[id] = (r.version, r.source, true)
      }
    }
  }

  @Test("the kinds of record a source's files can hold: a CSV file its own kind; XML, no kind or another kind, every kind")
  func heldKinds() {
    #expect(RecordKind.held(byFileKinds: ["results"]) == [.result])
    #expect(RecordKind.held(byFileKinds: ["exceptions", "exceptions"]) == [.exception])
    #expect(RecordKind.held(byFileKinds: ["events", "procedures"]) == [.procedure, .event])
    #expect(RecordKind.held(byFileKinds: []) == [])
    #expect(RecordKind.held(byFileKinds: ["mixed"]) == RecordKind.allCases)
    #expect(RecordKind.held(byFileKinds: ["results", nil]) == RecordKind.allCases)
    #expect(RecordKind.held(byFileKinds: ["result"]) == RecordKind.allCases)
  }

  @Test(
    "three sources in one database: each delivery withdraws only its own source's records, of every kind it sent",
    arguments: [false, true])
  func sourcesOfEachKind(wal: Bool) throws {
    let t = TempDir()
    defer { t.cleanup() }
    // A WAL file: the records before a delivery are read beside it (SourceSnapshot);
    // in memory: inside its transaction (Delivery.finish).
    let db = try wal ? AuditDatabase.open(path: t.file("audit.sqlite")) : AuditDatabase.inMemory()
    let resHeader = "sample_id,nhs_number,sample_date,analyte,value,unit"
    func res(_ id: String) -> String { "\(id),\(IX.nhs[0]),2025-06-11,Co,1.2,ug/L" }
    let xHeader = "exception_id,nhs_number,finding,reason,recorded_by,recorded_on,review_by"
    func x(_ id: String) -> String { "\(id),\(IX.nhs[0]),ALL,informed_dissent,C1,2025-01-01,2025-12-31" }
    func deliverAll(_ q: String, procs: [String], events: [String], results: [String], exceptions: [String]) throws {
      _ = try Self.deliver(
        db, t, "\(q)-reg",
        ["procedures.csv": IX.lines(IX.procHeader, procs.map { IX.proc($0) }), "events.csv": Self.events(events)],
        allow: true)
      _ = try Self.deliver(db, t, "\(q)-lab", ["results.csv": IX.lines(resHeader, results.map(res))], source: "lab", allow: true)
      _ = try Self.deliver(
        db, t, "\(q)-x", ["exceptions.csv": IX.lines(xHeader, exceptions.map(x))], source: "clinic", allow: true)
    }
    func state() throws -> [String] {
      try IX.strings(
        db,
        """
        SELECT kind || ' ' || id || ' ' || (withdrawn_by IS NOT NULL) FROM (
          SELECT 'procedure' AS kind, procedure_id AS id, withdrawn_by FROM procedure
          UNION ALL SELECT 'event', event_id, withdrawn_by FROM event
          UNION ALL SELECT 'result', result_id, withdrawn_by FROM result
          UNION ALL SELECT 'exception', exception_id, withdrawn_by FROM exception)
        ORDER BY kind, id
        """
      ).compactMap { $0 }
    }
    try deliverAll("q1", procs: ["P1", "P2"], events: ["E1", "E2"], results: ["S1", "S2"], exceptions: ["X1", "X2"])
    // Each source leaves out one record of each kind it sends.
    try deliverAll("q2", procs: ["P1"], events: ["E2"], results: ["S2"], exceptions: ["X1"])
    #expect(
      try state() == [
        "event E1 1", "event E2 0", "exception X1 0", "exception X2 1", "procedure P1 0", "procedure P2 1",
        "result S1/cobalt 1", "result S2/cobalt 0",
      ])
    let withdrawn = try IX.strings(
      db, "SELECT source || ' ' || kind || ' ' || records_withdrawn FROM source_file WHERE records_withdrawn > 0 ORDER BY id")
    #expect(withdrawn.compactMap { $0 } == ["reg events 1", "reg procedures 1", "lab results 1", "clinic exceptions 1"])
  }

  @Test("random sequences of deliveries: the current records are the model's; rows read = accepted + rejected + skipped", arguments: 1...12)
  func randomDeliveries(seed: UInt64) throws {
    var rng = SplitMix(seed: seed)
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.inMemory()
    var model = Model()
    let pool = (0..<40).map { "E\($0)" }
    let sources: [(String, Bool)] = [("reg", true), ("lab", true), ("pas", false)]
    for step in 0..<8 {
      let (source, cumulative) = sources[Int(rng.next() % 3)]
      var rows: [String: Int] = [:]
      var rejected: Set<String> = []
      var lines: [String] = []
      for id in pool where rng.next() % 3 != 0 {
        if rng.next() % 10 == 0 {
          rejected.insert(id)
          lines.append("\(id),\(IX.nhs[0]),2025-13-01,review,L,N,40,,,,,,")
        } else {
          let v = 40 + Int(rng.next() % 3)
          rows[id] = v
          lines.append(IX.review(id, ohs: String(v)))
        }
      }
      lines.shuffle(using: &rng)
      let outcomes = try Self.deliver(
        db, t, "d\(step)", ["events.csv": IX.lines(IX.evHeader, lines)], source: source, cumulative: cumulative, allow: true)
      for o in outcomes where o.status == .loaded { #expect(o.rowsRead == o.rowsAccepted + o.rowsRejected + o.rowsSkipped) }
      if outcomes.allSatisfy({ $0.status == .alreadyIngested }) { continue }
      model.deliver(source: source, cumulative: cumulative, rows: rows, rejected: rejected)
      let actual = try IX.strings(
        db,
        """
        SELECT e.event_id || ' ' || e.oxford_hip_score || ' ' || s.source || ' ' || (e.withdrawn_by IS NOT NULL)
        FROM event e JOIN source_file s ON s.id = e.source_file_id ORDER BY e.event_id
        """)
      let expected = model.records.keys.sorted().map { id in
        let r = model.records[id]!
        return "\(id) \(r.version) \(r.source) \(r.withdrawn ? 1 : 0)"
      }
      #expect(actual == expected, "seed \(seed), step \(step)")
    }
  }
}

/// The property tests' seeded generator, for `shuffle(using:)`.
extension SplitMix: RandomNumberGenerator {}
