import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// registry-export.md, "Re-ingest and corrections", and the invariant
/// rows read = rows accepted + rows rejected.
@Suite("Ingest: re-ingest, duplicates, replacements")
struct IngesterTests {
  static func counts(_ o: FileOutcome) -> [Int] { [o.rowsRead, o.rowsAccepted, o.rowsRejected] }

  // MARK: same file twice

  @Test("ingesting the same file twice changes nothing, whatever its path")
  func sameFileTwice() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let text = IX.lines(IX.procHeader, [IX.proc("P1"), IX.proc("P2", date: "bad"), IX.proc("P3")])
    let a = dir.write("a.csv", text)
    let b = dir.write("copy-of-a.csv", text)
    let db = try AuditDatabase.inMemory()
    let ingester = Ingester(db: db, logger: quietLogger)
    let first = try ingester.ingestFile(path: a)
    #expect(first.status == .loaded && Self.counts(first) == [3, 2, 1])
    let before = try IX.snapshot(db)
    let again = try ingester.ingestFile(path: a)
    #expect(again.status == .alreadyIngested)
    #expect(again.recordsReplaced == 0)
    #expect(try ingester.ingestFile(path: b).status == .alreadyIngested)
    #expect(
      try ingester.ingest(inputs: [a, b, a]).map(\.status) == [.alreadyIngested, .alreadyIngested, .alreadyIngested])
    #expect(try IX.snapshot(db) == before)
  }

  @Test("the same XML document twice changes nothing")
  func sameXMLTwice() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let path = dir.write("x.xml", XMLReaderTests.specExample)
    let (db, outcomes) = try ingest([path, path])
    #expect(outcomes.map(\.status) == [.loaded, .alreadyIngested])
    #expect(try IX.count(db, "source_file") == 1)
    #expect(try IX.count(db, "replacement") == 0)
    #expect(try IX.count(db, "procedure") == 1 && IX.count(db, "event") == 2)
  }

  // MARK: duplicates within one file

  /// "accepted once": the repeated row counts as accepted (it is not a reject,
  /// and rows read = accepted + rejected) but only one record is stored.
  @Test("a repeated id with identical content in one file is accepted once")
  func duplicateIdentical() throws {
    let (db, o) = try IX.load("p.csv", IX.lines(IX.procHeader, [IX.proc("P1"), IX.proc("P1"), IX.proc("P2")]))
    #expect(Self.counts(o) == [3, 3, 0])
    #expect(try IX.count(db, "procedure") == 2)
    #expect(try IX.count(db, "reject") == 0)
    #expect(try IX.count(db, "replacement") == 0)
    #expect(
      try IX.strings(db, "SELECT procedure_id || '@' || source_line FROM procedure ORDER BY 1") == ["P1@2", "P2@4"])
  }

  @Test("a repeated id with different content in one file is rejected, and the first row stands")
  func duplicateDifferent() throws {
    let rows = [IX.proc("P1"), IX.proc("P2"), IX.proc("P1", bearing: "MoP"), IX.proc("P1", side: "R")]
    let (db, o) = try IX.load("p.csv", IX.lines(IX.procHeader, rows))
    #expect(Self.counts(o) == [4, 2, 2])
    let rejects = try IX.rejects(db)
    #expect(
      rejects
        == [4, 5].map { line in
          IX.Reject(
            line: line, location: nil, kind: "procedure", recordId: "P1", field: "procedure_id", code: "DUPLICATE_ID",
            reason: "procedure_id: duplicate id with different content (first at line 2); the first row stands",
            raw: rows[line - 2])
        })
    #expect(try IX.strings(db, "SELECT bearing || side FROM procedure WHERE procedure_id = 'P1'") == ["MoML"])
    #expect(try IX.count(db, "replacement") == 0)
  }

  @Test("duplicate event ids follow the same rule")
  func duplicateEvents() throws {
    let rows = [IX.review("E1"), IX.review("E1"), IX.review("E1", ohs: "45")]
    let (db, o) = try IX.load("e.csv", IX.lines(IX.evHeader, rows))
    #expect(Self.counts(o) == [3, 2, 1])
    #expect(
      try IX.rejects(db).map(\.reason) == [
        "event_id: duplicate id with different content (first at line 2); the first row stands"
      ])
    #expect(try IX.rejects(db).map(\.field) == ["event_id"])
    #expect(try db.read { try Int.fetchOne($0, sql: "SELECT oxford_hip_score FROM event") } == 44)
  }

  @Test("a rejected row does not block a later valid row with the same id")
  func rejectedThenValid() throws {
    let (db, o) = try IX.load("p.csv", IX.lines(IX.procHeader, [IX.proc("P1", date: "31/02/2020"), IX.proc("P1")]))
    #expect(Self.counts(o) == [2, 1, 1])
    #expect(try IX.strings(db, "SELECT procedure_id || '@' || source_line FROM procedure") == ["P1@3"])
  }

  // MARK: later files replace earlier records

  @Test("a later file replaces an earlier file's record, and the replacement is recorded")
  func replacement() throws {
    let first = IX.lines(IX.procHeader, [IX.proc("P1"), IX.proc("P2")])
    let second = IX.lines(IX.procHeader, [IX.proc("P3"), IX.proc("P1", bearing: "MoP")])
    let (db, outcomes) = try IX.load([("1.csv", Array(first.utf8)), ("2.csv", Array(second.utf8))])
    #expect(outcomes.map(\.status) == [.loaded, .loaded])
    #expect(outcomes.map(\.recordsReplaced) == [0, 1])
    #expect(Self.counts(outcomes[1]) == [2, 2, 0])
    // registry exports are cumulative snapshots: P2, absent from the later file, stays
    #expect(
      try IX.strings(
        db,
        "SELECT procedure_id || ' ' || bearing || ' ' || source_file_id || '@' || source_line FROM procedure ORDER BY 1"
      )
        == ["P1 MoP 2@3", "P2 MoM 1@3", "P3 MoM 2@2"])
    let r = try db.read { try Row.fetchAll($0, sql: "SELECT * FROM replacement") }
    #expect(r.count == 1)
    #expect(r[0]["record_kind"] as String == "procedure")
    #expect(r[0]["record_id"] as String == "P1")
    #expect(r[0]["old_source_file_id"] as Int == 1)
    #expect(r[0]["old_line"] as Int == 2)
    #expect(r[0]["new_source_file_id"] as Int == 2)
    #expect(r[0]["new_line"] as Int == 3)
    #expect(r[0]["identical"] as Int == 0)
    #expect(try IX.strings(db, "SELECT CAST(records_replaced AS TEXT) FROM source_file ORDER BY id") == ["0", "1"])
  }

  @Test(
    "an XML correction is a replacement when a record of the other kind with its rowid came unchanged before it",
    arguments: [false, true])
  func xmlCorrectionAfterOtherKindUnchanged(_ procedureChanges: Bool) throws {
    // Procedure P1 and event E1 are both rowid 1 of their tables. The second
    // export sends one of them unchanged, then the other corrected: the
    // correction replaces its record. (The files' sets of rowids were once
    // shared by every kind, so the corrected record read as a repeat of
    // itself: "duplicate id with different content (first at line 5)".)
    func doc(_ date: String, event: String, bearing: String) -> [UInt8] {
      Array(
        XMLReaderTests.doc(
          exportDate: date,
          """
          <patient nhsNumber="9434765919" sex="F" dateOfBirth="1951-03-14">
          <event eventId="E1" eventDate="2025-06-11" eventType="\(event)" side="L"/>
          <procedure procedureId="P1" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="\(bearing)"/>
          </patient>

          """
        ).utf8)
    }
    let first = doc("2026-10-01", event: "review", bearing: "MoM")
    let second = procedureChanges
      ? doc("2026-10-02", event: "review", bearing: "MoP") : doc("2026-10-02", event: "xray", bearing: "MoM")
    let (db, outcomes) = try IX.load([("1.xml", first), ("2.xml", second)])
    #expect(outcomes.map(\.status) == [.loaded, .loaded])
    #expect(Self.counts(outcomes[1]) == [2, 2, 0])
    #expect(outcomes[1].recordsReplaced == 1)
    #expect(outcomes[1].recordsUnchanged == 1)
    #expect(try IX.count(db, "reject") == 0)
    #expect(
      try IX.strings(db, "SELECT record_kind || ' ' || record_id FROM replacement")
        == [procedureChanges ? "procedure P1" : "event E1"])
    #expect(try IX.strings(db, "SELECT event_type FROM event") == [procedureChanges ? "review" : "xray"])
    #expect(try IX.strings(db, "SELECT bearing FROM procedure") == [procedureChanges ? "MoP" : "MoM"])
  }

  @Test("an XML export's procedures and events each keep file order, written 16 at a time past the other kind")
  func xmlInterleavedOrder() throws {
    // 60 patients of one procedure and two events, so runs of 16 records of
    // one kind pass over the other kind. A repeat with different content
    // (rejected, the first stands), an identical repeat and a bad procedure
    // fall inside runs and send them one by one; the order must not change.
    var body = ""
    var procedures: [String] = []
    var events: [String] = []
    for i in 0..<60 {
      body += "<patient nhsNumber=\"9434765919\">\n"
      if i == 40 {
        body += XMLReaderTests.proc("P-bad", side: "X") + "\n"
      } else {
        body += XMLReaderTests.proc("P\(i)", side: i % 2 == 0 ? "L" : "R") + "\n"
        procedures.append("P\(i)")
      }
      body += XMLReaderTests.review("E\(i)a") + "\n"
      events.append("E\(i)a")
      if i == 20 {
        body += XMLReaderTests.review("E5a", date: "2025-07-01") + "\n"  // different content
      } else if i == 30 {
        body += XMLReaderTests.review("E7a") + "\n"  // identical repeat
      } else {
        body += XMLReaderTests.review("E\(i)b", date: "2027-01-01") + "\n"  // after the export date: a warning
        events.append("E\(i)b")
      }
      body += "</patient>\n"
    }
    let (db, o) = try IX.load("x.xml", XMLReaderTests.doc(body))
    #expect(Self.counts(o) == [180, 178, 2])
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure ORDER BY rowid") == procedures)
    #expect(try IX.strings(db, "SELECT event_id FROM event ORDER BY rowid") == events)
    #expect(
      try IX.strings(db, "SELECT record_id || ' ' || reason_code FROM reject ORDER BY rowid")
        == ["E5a DUPLICATE_ID", "P-bad UNKNOWN_CODE"])
    #expect(
      try IX.strings(db, "SELECT record_id FROM warning ORDER BY rowid")
        == events.filter { $0.hasSuffix("b") })
  }

  @Test("an identical record in a later file is unchanged: counted, nothing written, it keeps its first file")
  func identicalIsUnchanged() throws {
    let first = IX.lines(IX.evHeader, [IX.review("E1"), IX.review("E2")])
    let second = IX.lines(IX.evHeader, [IX.review("E2"), IX.review("E3")])
    let (db, outcomes) = try IX.load([("1.csv", Array(first.utf8)), ("2.csv", Array(second.utf8))])
    #expect(outcomes.map(\.recordsReplaced) == [0, 0])
    #expect(outcomes.map(\.recordsUnchanged) == [0, 1])
    #expect(outcomes.map(\.recordsAdded) == [2, 1])
    #expect(try IX.count(db, "replacement") == 0)
    #expect(
      try IX.strings(db, "SELECT event_id || ' ' || source_file_id || '@' || source_line FROM event ORDER BY 1")
        == ["E1 1@2", "E2 1@3", "E3 2@3"])
    #expect(
      try IX.strings(db, "SELECT records_added || ' ' || records_unchanged || ' ' || records_replaced FROM source_file ORDER BY id")
        == ["2 0 0", "1 1 0"])
  }

  @Test("a repeat, later in the same file, of a record that file re-sent unchanged is a repeat of that file")
  func repeatOfUnchanged() throws {
    let first = IX.lines(IX.evHeader, [IX.review("E1"), IX.review("E2")])
    // E1 unchanged, then E1 again identical (accepted once), then E1 changed (rejected: the first stands).
    let second = IX.lines(IX.evHeader, [IX.review("E1"), IX.review("E1"), IX.review("E1", ohs: "12")])
    let (db, outcomes) = try IX.load([("1.csv", Array(first.utf8)), ("2.csv", Array(second.utf8))])
    #expect(Self.counts(outcomes[1]) == [3, 2, 1])
    #expect(outcomes[1].recordsUnchanged == 1)
    #expect(outcomes[1].recordsReplaced == 0)
    #expect(try IX.strings(db, "SELECT record_id || ' ' || reason_code || ' ' || line FROM reject") == ["E1 DUPLICATE_ID 4"])
    #expect(try IX.strings(db, "SELECT event_id || ' ' || oxford_hip_score || ' ' || source_file_id FROM event WHERE event_id = 'E1'") == ["E1 44 1"])
  }

  @Test("a changed record is written over the loaded one in place: same rowid, new file and line")
  func replacedInPlace() throws {
    let first = IX.lines(IX.evHeader, [IX.review("E1"), IX.review("E2")])
    let second = IX.lines(IX.evHeader, [IX.review("E2", ohs: "30")])
    let (db, _) = try IX.load([("1.csv", Array(first.utf8)), ("2.csv", Array(second.utf8))])
    #expect(
      try IX.strings(db, "SELECT rowid || ' ' || event_id || ' ' || oxford_hip_score || ' ' || source_file_id || '@' || source_line FROM event ORDER BY rowid")
        == ["1 E1 44 1@2", "2 E2 30 2@2"])
  }

  // MARK: many rows per INSERT

  @Test("runs of 16 records go in one INSERT; a run with a loaded, repeated or conflicting id is decided row by row")
  func manyRowsPerInsert() throws {
    let n = IngestWriter.rowsPerInsert
    #expect(n == 16, "the file below is laid out for runs of 16")
    let clean = (0..<40).map { IX.review("E\($0)") }
    // Second file: two clean runs, then a run holding an identical re-send of
    // E3, a repeat of E201 (identical) and of E202 (different), a changed E5,
    // then a clean run.
    var second = (200..<232).map { IX.review("E\($0)") }
    second += [
      IX.review("E3"), IX.review("E201"), IX.review("E202", ohs: "12"), IX.review("E5", ohs: "30"),
    ]
    second += (232..<248).map { IX.review("E\($0)") }
    let (db, outcomes) = try IX.load([
      ("1.csv", Array(IX.lines(IX.evHeader, clean).utf8)), ("2.csv", Array(IX.lines(IX.evHeader, second).utf8)),
    ])
    #expect(Self.counts(outcomes[0]) == [40, 40, 0])
    #expect(Self.counts(outcomes[1]) == [52, 51, 1])
    #expect(outcomes[1].recordsReplaced == 1)
    #expect(outcomes[1].recordsUnchanged == 1)
    #expect(outcomes[1].recordsAdded == 48)
    #expect(try IX.count(db, "event") == 40 + 48)
    // The first row stands for a repeated id; a later file's record replaces.
    #expect(try IX.strings(db, "SELECT event_id || ' ' || oxford_hip_score FROM event WHERE event_id IN ('E5', 'E202') ORDER BY 1") == ["E202 44", "E5 30"])
    #expect(
      try IX.strings(db, "SELECT record_id || ' ' || identical FROM replacement ORDER BY record_id") == ["E5 0"])
    #expect(try IX.strings(db, "SELECT record_id || ' ' || reason_code || ' ' || line FROM reject") == ["E202 DUPLICATE_ID 36"])
    // Every row's line is its own.
    #expect(try IX.strings(db, "SELECT CAST(source_line AS TEXT) FROM event WHERE event_id IN ('E0', 'E39', 'E231', 'E247') ORDER BY source_line") == ["2", "33", "41", "53"])
  }
}
