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

  @Test("an identical record in a later file is still a recorded replacement, marked identical")
  func identicalReplacement() throws {
    let first = IX.lines(IX.evHeader, [IX.review("E1"), IX.review("E2")])
    let second = IX.lines(IX.evHeader, [IX.review("E2"), IX.review("E3")])
    let (db, outcomes) = try IX.load([("1.csv", Array(first.utf8)), ("2.csv", Array(second.utf8))])
    #expect(outcomes.map(\.recordsReplaced) == [0, 1])
    #expect(
      try IX.strings(
        db,
        "SELECT record_kind || ' ' || record_id || ' ' || old_source_file_id || '>' || new_source_file_id || ' ' || identical FROM replacement"
      )
        == ["event E2 1>2 1"])
    #expect(
      try IX.strings(db, "SELECT event_id || ' ' || source_file_id FROM event ORDER BY 1") == ["E1 1", "E2 2", "E3 2"])
  }

  @Test("a later file's repeated id replaces once; its different second row is rejected")
  func replacementThenDuplicate() throws {
    let first = IX.lines(IX.procHeader, [IX.proc("P1")])
    let second = IX.lines(
      IX.procHeader, [IX.proc("P1", bearing: "CoC"), IX.proc("P1", bearing: "CoC"), IX.proc("P1", bearing: "MoP")])
    let (db, outcomes) = try IX.load([("1.csv", Array(first.utf8)), ("2.csv", Array(second.utf8))])
    #expect(Self.counts(outcomes[1]) == [3, 2, 1])
    #expect(outcomes[1].recordsReplaced == 1)
    #expect(try IX.strings(db, "SELECT bearing FROM procedure") == ["CoC"])
    #expect(try IX.count(db, "replacement") == 1)
  }

  @Test("XML and CSV files replace each other's records")
  func replacementAcrossFormats() throws {
    let csv = IX.lines(IX.procHeader, [IX.proc("NJR-000123", nhs: "9434765919", bearing: "MoP")])
    let (db, outcomes) = try IX.load([("a.csv", Array(csv.utf8)), ("b.xml", Array(XMLReaderTests.specExample.utf8))])
    #expect(outcomes.map(\.recordsReplaced) == [0, 1])
    #expect(
      try IX.strings(db, "SELECT bearing || ' ' || source_location FROM procedure") == [
        "MoM /registryExport/patient[1]/procedure[1]"
      ])
    #expect(
      try IX.strings(db, "SELECT CAST(old_line AS TEXT) || ' ' || record_id FROM replacement") == ["2 NJR-000123"])
    // new_line (the XML element's line) is checked in KnownSpecGaps.swift
  }

  @Test("command-line order decides which file is later")
  func commandLineOrder() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let a = dir.write("a.csv", IX.lines(IX.procHeader, [IX.proc("P1", bearing: "MoP")]))
    let z = dir.write("z.csv", IX.lines(IX.procHeader, [IX.proc("P1", bearing: "CoC")]))
    let (db, _) = try ingest([z, a])
    #expect(try IX.strings(db, "SELECT bearing FROM procedure") == ["MoP"])
    let (db2, _) = try ingest([a, z])
    #expect(try IX.strings(db2, "SELECT bearing FROM procedure") == ["CoC"])
  }

  // MARK: folders

  @Test("a folder contributes its own *.csv and *.xml files, extension in any case, not recursing, in code-point order")
  func folderOrder() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    for name in [
      "b.csv", "A.CSV", "a.xml", "C.Xml", "Z.csv", "_x.csv", "é.csv", "notes.txt", "data.csv.bak", "10.csv", "9.csv",
    ] {
      _ = dir.write(name, "x")
    }
    try FileManager.default.createDirectory(
      at: dir.url.appendingPathComponent("sub"), withIntermediateDirectories: true)
    _ = dir.write("sub/inner.csv", "x")
    try FileManager.default.createDirectory(
      at: dir.url.appendingPathComponent("folder.csv"), withIntermediateDirectories: true)
    let names = try Ingester.resolveInputs([dir.path]).map { ($0 as NSString).lastPathComponent }
    #expect(names == ["10.csv", "9.csv", "A.CSV", "C.Xml", "Z.csv", "_x.csv", "a.xml", "b.csv", "é.csv"])
  }

  @Test("within a folder the later name replaces the earlier one's record")
  func folderReplacement() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    _ = dir.write("b.csv", IX.lines(IX.procHeader, [IX.proc("P1", bearing: "CoC")]))
    _ = dir.write("B.csv", IX.lines(IX.procHeader, [IX.proc("P1", bearing: "MoP")]))
    let (db, outcomes) = try ingest([dir.path])
    #expect(outcomes.map { ($0.path as NSString).lastPathComponent } == ["B.csv", "b.csv"])
    #expect(try IX.strings(db, "SELECT bearing FROM procedure") == ["CoC"])
  }

  @Test("a missing input is an error before anything is loaded")
  func missingInput() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let good = dir.write("a.csv", IX.lines(IX.procHeader, [IX.proc("P1")]))
    let db = try AuditDatabase.inMemory()
    #expect(throws: AuditError.inputMissing(path: dir.file("missing.csv"))) {
      try Ingester(db: db, logger: quietLogger).ingest(inputs: [good, dir.file("missing.csv")])
    }
    #expect(try IX.count(db, "procedure") == 0)
  }

  @Test("a refused file leaves the other files loaded")
  func refusedAmongOthers() throws {
    let good = IX.lines(IX.procHeader, [IX.proc("P1")])
    let bad = IX.lines("procedure_id,event_id", ["a,b"])
    let good2 = IX.lines(IX.evHeader, [IX.review("E1")])
    let (db, outcomes) = try IX.load([
      ("1.csv", Array(good.utf8)), ("2.csv", Array(bad.utf8)), ("3.csv", Array(good2.utf8)),
    ])
    #expect(outcomes.map(\.status) == [.loaded, .refused, .loaded])
    #expect(try IX.count(db, "procedure") == 1 && IX.count(db, "event") == 1)
  }

  // MARK: rows read = accepted + rejected

  enum Kind: CaseIterable {
    case good, goodMultiline, badDate, badNHS, badSide, quoteInUnquoted, textAfterQuote, nul, wrongCount, spaces,
      commas, empty, dupIdentical, dupDifferent, tooLong, exactLimit, badOHSField
  }

  /// Builds a procedures file from a random mix of good and bad rows and
  /// works out, independently of the code, what must be read, accepted,
  /// rejected and stored, and the line of every reject.
  static func generate(seed: UInt64) -> (
    text: String, read: Int, accepted: Int, rejected: Int, stored: Int, rejectLines: [Int]
  ) {
    var rng = IngestRNG(seed: seed)
    let ends = ["\n", "\r\n", "\r"]
    var text = IX.procHeader + ",manufacturer,comments"
    var previousEnd = ends.randomElement(using: &rng)!
    text += previousEnd
    var line = 2
    var read = 0
    var accepted = 0
    var rejected = 0
    var goods: [(id: String, row: String)] = []
    var rejectLines: [Int] = []
    var n = 0
    let count = Int.random(in: 0...60, using: &rng)
    for _ in 0..<count {
      n += 1
      let id = "P\(n)"
      let nhs = IX.nhs.randomElement(using: &rng)!
      let date = ["2006-05-02", "2/5/2006", "20060502", "02/05/2006"].randomElement(using: &rng)!
      let side = ["L", "R", "left", "Right"].randomElement(using: &rng)!
      let bearing = ["MoM", "MoP", "metal-on-metal", "CoC"].randomElement(using: &rng)!
      func row(
        _ id: String = id, nhs: String = nhs, date: String = date, side: String = side, bearing: String = bearing,
        manufacturer: String = "Maker", comments: String = ""
      ) -> String {
        "\(id),\(nhs),\(date),\(side),resurfacing,\(bearing),\(manufacturer),\(comments)"
      }
      var kind = Kind.allCases.randomElement(using: &rng)!
      if (kind == .dupIdentical || kind == .dupDifferent) && goods.isEmpty { kind = .good }
      var content: String
      var physicalLines = 1
      var outcome: Bool? = nil  // true accepted, false rejected, nil skipped
      switch kind {
      case .good:
        content = row()
        outcome = true
        goods.append((id, content))
      case .goodMultiline:
        let end = ends.randomElement(using: &rng)!
        content = row(manufacturer: "\"Maker\(end)Ltd, \"\"UK\"\"\"")
        outcome = true
        physicalLines = 2
        goods.append((id, content))
      case .badDate:
        content = row(date: ["31/02/2020", "2019-02-29", "1/1/20", "2020-01-01x"].randomElement(using: &rng)!)
        outcome = false
      case .badNHS:
        content = row(nhs: ["9434765918", "943476591", "1111111111", "9990100080"].randomElement(using: &rng)!)
        outcome = false
      case .badSide:
        content = row(side: ["B", "both", ""].randomElement(using: &rng)!)
        outcome = false
      case .quoteInUnquoted:
        content = row(bearing: "Mo\"M")
        outcome = false
      case .textAfterQuote:
        content = "\"\(id)\"x" + String(row().dropFirst(id.count))
        outcome = false
      case .nul:
        content = row(comments: "a\u{0}b")
        outcome = false
      case .wrongCount:
        content = "\(id),\(nhs),\(date)"
        outcome = false
      case .spaces:
        content = String(repeating: " ", count: Int.random(in: 1...5, using: &rng))
        outcome = false
      case .commas:
        content = String(repeating: ",", count: Int.random(in: 1...9, using: &rng))
        outcome = false
      case .empty:
        content = ""
        outcome = nil
      case .dupIdentical:
        let g = goods.randomElement(using: &rng)!
        content = g.row
        outcome = true
        physicalLines = g.row.contains("\"Maker") ? 2 : 1
      case .dupDifferent:
        let g = goods.randomElement(using: &rng)!
        content = row(g.id, bearing: "unknown")
        outcome = false
      case .tooLong:
        content = row(comments: String(repeating: "c", count: 65_537))
        outcome = false
      case .exactLimit:
        content = row(comments: String(repeating: "c", count: 65_536))
        outcome = true
        goods.append((id, content))
      case .badOHSField:
        // an event column in a procedures file is an unknown column: ignored
        content = row(comments: "oxford_hip_score=99")
        outcome = true
        goods.append((id, content))
      }
      // an empty line after a lone CR must not end in LF (CR LF is one line end)
      var end = ends.randomElement(using: &rng)!
      if content.isEmpty && previousEnd == "\r" && end == "\n" { end = "\r" }
      text += content + end
      previousEnd = end
      switch outcome {
      case true?:
        read += 1
        accepted += 1
      case false?:
        read += 1
        rejected += 1
        rejectLines.append(line)
      case nil: break
      }
      line += physicalLines
    }
    return (text, read, accepted, rejected, goods.count, rejectLines)
  }

  @Test("rows read = rows accepted + rows rejected for any mix of good and bad rows", arguments: 1...40)
  func rowsBalance(_ seed: Int) throws {
    let g = Self.generate(seed: UInt64(seed))
    let (db, o) = try IX.load("mix.csv", g.text)
    #expect(o.status == .loaded)
    #expect(o.rowsRead == o.rowsAccepted + o.rowsRejected)
    #expect(Self.counts(o) == [g.read, g.accepted, g.rejected])
    let stored = try #require(try IX.row(db, "SELECT rows_read, rows_accepted, rows_rejected FROM source_file"))
    #expect([stored[0], stored[1], stored[2]] as [Int] == [g.read, g.accepted, g.rejected])
    #expect(try IX.count(db, "reject") == g.rejected)
    #expect(try IX.rejects(db).map(\.line) == g.rejectLines.map { Optional($0) })
    #expect(try IX.count(db, "procedure") == g.stored)
  }

  @Test("rows read = accepted + rejected holds in every source_file row after a multi-file ingest")
  func balanceAcrossFiles() throws {
    let files = (1...6).map { i in ("f\(i).csv", Array(Self.generate(seed: UInt64(100 + i)).text.utf8)) }
    let (db, outcomes) = try IX.load(files)
    #expect(outcomes.allSatisfy { $0.rowsRead == $0.rowsAccepted + $0.rowsRejected })
    let bad = try db.read {
      try Int.fetchOne(
        $0,
        sql: """
          SELECT COUNT(*) FROM source_file f WHERE rows_read != rows_accepted + rows_rejected
            OR rows_rejected != (SELECT COUNT(*) FROM reject r WHERE r.source_file_id = f.id)
          """)
    }
    #expect(bad == 0)
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
    #expect(outcomes[1].recordsReplaced == 2)
    #expect(try IX.count(db, "event") == 40 + 48)
    // The first row stands for a repeated id; a later file's record replaces.
    #expect(try IX.strings(db, "SELECT event_id || ' ' || oxford_hip_score FROM event WHERE event_id IN ('E5', 'E202') ORDER BY 1") == ["E202 44", "E5 30"])
    #expect(
      try IX.strings(db, "SELECT record_id || ' ' || identical FROM replacement ORDER BY record_id") == ["E3 1", "E5 0"])
    #expect(try IX.strings(db, "SELECT record_id || ' ' || reason_code || ' ' || line FROM reject") == ["E202 DUPLICATE_ID 36"])
    // Every row's line is its own.
    #expect(try IX.strings(db, "SELECT CAST(source_line AS TEXT) FROM event WHERE event_id IN ('E0', 'E39', 'E231', 'E247') ORDER BY source_line") == ["2", "33", "41", "53"])
  }
}
