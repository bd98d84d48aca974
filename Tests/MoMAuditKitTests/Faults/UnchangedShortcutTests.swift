import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// The unchanged shortcut (UnchangedLookup: a re-sent row whose bytes hash
/// to its record's row hash is not validated again) changes nothing: the
/// same deliveries through `momaudit-ingest` with and without it leave the
/// same database, row for row, and it does take the rows it should.
@Suite("Unchanged shortcut: a differential test", .serialized)
struct UnchangedShortcutTests {
  static let procHeader = IX.procHeader
  static let procHeaderReordered = "nhs_number,procedure_id,procedure_date,side,procedure_type,bearing"

  static func ev(_ id: String, ohs: String = "44", date: String = "2025-06-11") -> String {
    IX.review(id, date: date, ohs: ohs)
  }

  /// Writes the deliveries; returns their manifests in order.
  static func deliveries(_ t: TempDir) -> [String] {
    func delivery(_ name: String, _ files: [String: String]) -> String {
      for (f, text) in files { _ = t.write("\(name)/exports/\(f)", text) }
      return t.write("\(name)/sources.toml", "[[source]]\nname = \"registry\"\npath = \"exports\"\ncumulative = true\nmax_withdraw_percent = 50\n")
    }
    let procs = (1...30).map { IX.proc("P\($0)") }
    let base = (1...60).map { ev("E\($0)") }
    let reordered = procs.enumerated().map { i, p in
      var cells = (i == 1 ? IX.proc("P2", bearing: "MoP") : p).split(separator: ",", omittingEmptySubsequences: false)
      cells.swapAt(0, 1)
      return cells.joined(separator: ",")
    }
    let q2Events = base.enumerated().compactMap { i, row in i == 2 ? ev("E3", ohs: "12") : (i == 9 || i == 10 ? nil : row) }
    let q3 = [
      "1-procedures.csv": IX.lines(Self.procHeaderReordered, reordered),
      "2-events.csv": IX.lines(IX.evHeader, q2Events + [ev("E61")]),
      "3-events-more.csv": IX.lines(IX.evHeader, [ev("E3"), ev("E62")]),
    ]
    return [
      // Q1: with a reject and an identical repeat.
      delivery("q1", [
        "1-procedures.csv": IX.lines(Self.procHeader, procs),
        "2-events.csv": IX.lines(IX.evHeader, base + ["E99,123,2025-06-11,review,L,N,44,,,,,,", ev("E5")]),
      ]),
      // Q2: E3 changed then sent again as in Q1 (a repeat with different content: rejected);
      // E7 sent twice unchanged; E10 and E11 left out; E61 new; P2 changed.
      delivery("q2", [
        "1-procedures.csv": IX.lines(Self.procHeader, procs.enumerated().map { $0.offset == 1 ? IX.proc("P2", bearing: "MoP") : $0.element }),
        "2-events.csv": IX.lines(IX.evHeader, q2Events + [ev("E3"), ev("E7"), ev("E61")]),
      ]),
      // Q3: the procedures with their columns in another order (every row hash differs:
      // validated, found unchanged, row hash refreshed); two events files, the second
      // re-sending E3 as in Q1 after the first sent it as in Q2 (no shortcut for it).
      delivery("q3", q3),
      // Q4: the same again: the procedures now recognised by their refreshed row hashes.
      delivery("q4", q3),
    ]
  }

  /// Everything the deliveries wrote that a later stage reads.
  static func dump(_ path: String) throws -> [String] {
    try DatabaseQueue(path: path).read { db in
      var out: [String] = []
      for (table, order) in [
        ("procedure", "procedure_id"), ("event", "event_id"), ("result", "result_id"), ("reject", "source_file_id, line, id"),
        ("replacement", "id"), ("warning", "id"),
      ] {
        for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)") {
          out.append(table + " " + row.columnNames.filter { $0 != "row_hash" }.map { "\($0)=\(row[$0] as DatabaseValue)" }.joined(separator: " "))
        }
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT id, status, rows_read, rows_accepted, rows_rejected, rows_skipped, records_added, records_unchanged,
            records_replaced, records_withdrawn, superseded_by FROM source_file ORDER BY id
          """)
      {
        out.append("file " + row.description)
      }
      return out
    }
  }

  @Test("the same deliveries with and without the shortcut leave the same database; the shortcut takes the unchanged rows")
  func sameDatabase() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let manifests = Self.deliveries(t)
    var unchangedRows: [[Int]] = []
    for (name, environment) in [("with.db", [String: String]()), ("without.db", ["MOMAUDIT_NO_UNCHANGED_SHORTCUT": "1"])] {
      var perDelivery: [Int] = []
      for m in manifests {
        let r = try Executables.run(
          "momaudit-ingest", ["--db", t.file(name), "--log-level", "debug", "--sources", m], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let counts = r.stderr.split(separator: "\n").filter { $0.contains("file load timing") }.map { line in
          Int(line.split(separator: " ").first { $0.hasPrefix("unchanged_rows=") }!.dropFirst("unchanged_rows=".count))!
        }
        perDelivery.append(counts.reduce(0, +))
      }
      unchangedRows.append(perDelivery)
    }
    #expect(try Self.dump(t.file("with.db")) == Self.dump(t.file("without.db")))
    #expect(unchangedRows[1] == [0, 0, 0, 0])
    // Q1 is a first load. Q2: 29 procedures (not P2); 57 events as in Q1, then the E3 of Q1
    // (claimed, and rejected: this file wrote E3) and E7 again. Q3: procedures re-ordered (no
    // claims); its first events file re-sends Q2's 59 current rows (E3 as changed in Q2, E61);
    // its second events file none (its kind is loaded in this delivery: E3 is replaced back).
    // Q4: all 30 procedures (row hashes refreshed in Q3); 58 events (not E3, changed again).
    #expect(unchangedRows[0] == [0, 29 + 59, 59, 30 + 58])
    let rejects = try IX.strings(try DatabaseQueue(path: t.file("with.db")), "SELECT record_id || ' ' || reason_code FROM reject ORDER BY id")
    #expect(rejects.contains("E3 DUPLICATE_ID"))
  }

  @Test(
    "a results file without result_id (ids sample_id/analyte): unchanged rows are taken, another spelling of the analyte is not, and the database is the one without the shortcut"
  )
  func implicitResultIds() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let header = "sample_id,nhs_number,sample_date,analyte,value,unit,specimen"
    let q1 = [
      "S1,9993200018,2025-01-15,cobalt,2,ug/L,whole_blood", "S1,9993200018,2025-01-15,chromium,1,ug/L,whole_blood",
      "S2,9993200018,2025-06-15,cobalt,3,ug/L,whole_blood", "S2,9993200018,2025-06-15,chromium,1.5,ug/L,whole_blood",
      // Stored as S3/cobalt: the raw cells make S3/Cobalt, which is no record's id.
      "S3,9993200018,2025-09-15,Cobalt,4,ug/L,whole_blood",
    ]
    // S2's chromium changed, S4 new.
    let q2 = q1.map { $0.hasPrefix("S2,") && $0.contains("chromium") ? "S2,9993200018,2025-06-15,chromium,1.7,ug/L,whole_blood" : $0 }
      + ["S4,9993200018,2025-12-15,cobalt,5,ug/L,whole_blood"]
    let manifests = [("q1", q1), ("q2", q2)].map { name, rows in
      _ = t.write("\(name)/exports/results.csv", IX.lines(header, rows))
      return t.write("\(name)/sources.toml", "[[source]]\nname = \"lab\"\npath = \"exports\"\ncumulative = true\n")
    }
    var unchangedRows: [[Int]] = []
    for (name, environment) in [("with.db", [String: String]()), ("without.db", ["MOMAUDIT_NO_UNCHANGED_SHORTCUT": "1"])] {
      unchangedRows.append(
        try manifests.map { m in
          let r = try Executables.run(
            "momaudit-ingest", ["--db", t.file(name), "--log-level", "debug", "--sources", m], environment: environment)
          #expect(r.status == 0, "\(r.stderr)")
          return r.stderr.split(separator: "\n").filter { $0.contains("file load timing") }.map { line in
            Int(line.split(separator: " ").first { $0.hasPrefix("unchanged_rows=") }!.dropFirst("unchanged_rows=".count))!
          }.reduce(0, +)
        })
    }
    #expect(try Self.dump(t.file("with.db")) == Self.dump(t.file("without.db")))
    #expect(unchangedRows[1] == [0, 0])
    // Q2: S1's two rows and S2's cobalt; not S2's changed chromium, S3 (spelled Cobalt) or the new S4.
    #expect(unchangedRows[0] == [0, 3])
    let ids = try IX.strings(try DatabaseQueue(path: t.file("with.db")), "SELECT result_id FROM result ORDER BY result_id")
    #expect(ids == ["S1/chromium", "S1/cobalt", "S2/chromium", "S2/cobalt", "S3/cobalt", "S4/cobalt"])
  }
}
