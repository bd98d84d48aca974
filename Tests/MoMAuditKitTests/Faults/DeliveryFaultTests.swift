import Crypto
import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// A cumulative source's delivery through the command line: the guard
/// refusing leaves the database file byte for byte as it was; SIGKILL at any
/// point of a delivery (its rows, its withdrawals) leaves the database as
/// before it, and a re-run gives the uninterrupted result (sources.md §3).
@Suite("Deliveries: guard and crash safety", .serialized)
struct DeliveryFaultTests {
  static func events(_ ids: some Sequence<Int>, changed: Set<Int> = []) -> String {
    IX.lines(IX.evHeader, ids.map { IX.review("E\($0)", ohs: changed.contains($0) ? "12" : "44") })
  }

  /// A delivery folder: a manifest naming one cumulative source and its files.
  static func delivery(_ t: TempDir, _ name: String, percent: Int? = nil, events: String, procedures: Bool = true) -> String {
    let manifest = """
      [[source]]
      name = "registry"
      path = "exports"
      cumulative = true
      \(percent.map { "max_withdraw_percent = \($0)" } ?? "")

      """
    _ = t.write("\(name)/exports/events.csv", events)
    if procedures { _ = t.write("\(name)/exports/procedures.csv", IX.lines(IX.procHeader, [IX.proc("P1")])) }
    return t.write("\(name)/sources.toml", manifest)
  }

  static func sha256(_ path: String) throws -> String {
    SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
  }

  /// What a delivery changes: every record with its content and whether it is withdrawn, and the files.
  static func state(_ path: String) throws -> [String] {
    try DatabaseQueue(path: path).read { db in
      #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
      return try String.fetchAll(
        db,
        sql: """
          SELECT 'event ' || event_id || ' ' || oxford_hip_score || ' ' || (withdrawn_by IS NOT NULL) FROM event
          UNION ALL SELECT 'procedure ' || procedure_id || ' ' || (withdrawn_by IS NOT NULL) FROM procedure
          UNION ALL SELECT 'files ' || count(*) || ' superseded ' || count(superseded_by) FROM source_file
          UNION ALL SELECT 'rejects ' || count(*) FROM reject
          UNION ALL SELECT 'replacements ' || count(*) FROM replacement
          ORDER BY 1
          """)
    }
  }

  @Test("a partial delivery: exit 65 naming the source, the counts and --allow-withdraw; the database file unchanged; with the flag it loads")
  func guardRefusesByteIdentical() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("audit.db")
    let q1 = Self.delivery(t, "q1", events: Self.events(1...20))
    #expect(try Executables.run("momaudit-ingest", ["--db", db, "--quiet", "--sources", q1]).status == 0)
    let before = try Self.sha256(db)
    let q2 = Self.delivery(t, "q2", events: Self.events(1...17))
    let refused = try Executables.run("momaudit-ingest", ["--db", db, "--sources", q2])
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("source \"registry\": the delivery would withdraw 3 of its 21 current records (14.3 %)"))
    #expect(refused.stderr.contains("max_withdraw_percent = 5"))
    #expect(refused.stderr.contains("--allow-withdraw"))
    #expect(!refused.stderr.contains("9434765919"))
    let wal = FileManager.default.fileExists(atPath: db + "-wal") ? try Data(contentsOf: URL(fileURLWithPath: db + "-wal")) : Data()
    #expect(wal.isEmpty)
    #expect(try Self.sha256(db) == before)
    let allowed = try Executables.run("momaudit-ingest", ["--db", db, "--quiet", "--sources", q2, "--allow-withdraw"])
    #expect(allowed.status == 0)
    #expect(try Self.state(db).filter { $0.hasSuffix(" 1") && $0.hasPrefix("event") } == ["event E18 44 1", "event E19 44 1", "event E20 44 1"])
  }

  @Test("a delivery killed at 12 points (rows and withdrawals): the database as before it; a re-run gives the uninterrupted result")
  func deliveryKilled() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let q1 = Self.delivery(t, "q1", percent: 10, events: Self.events(1...200))
    // Q2: 10 withdrawn (191…200), 5 changed, 10 added: 10 of 201 current records, under 10 %.
    let q2 = Self.delivery(t, "q2", percent: 10, events: Self.events(Array(1...190) + Array(301...310), changed: [3, 50, 99, 150, 190]))
    let base = t.file("base.db")
    #expect(try Executables.run("momaudit-ingest", ["--db", base, "--quiet", "--sources", q1]).status == 0)
    let before = try Self.state(base)
    let reference = t.file("reference.db")
    try FileManager.default.copyItem(atPath: base, toPath: reference)
    #expect(try Executables.run("momaudit-ingest", ["--db", reference, "--quiet", "--sources", q2]).status == 0)
    let after = try Self.state(reference)
    #expect(after.filter { $0.hasPrefix("event") && $0.hasSuffix(" 1") }.count == 10)
    #expect(after != before)
    let points = [1, 20, 60, 100, 150, 190, 200, 201].map { "ingest-row=\($0)" } + [1, 2, 5, 10].map { "withdraw-record=\($0)" }
    var kills = 0
    for (i, point) in points.enumerated() {
      let db = t.file("crash-\(i).db")
      try FileManager.default.copyItem(atPath: base, toPath: db)
      if try CrashSafetyTests.killed("momaudit-ingest", ["--db", db, "--quiet", "--sources", q2], at: point) { kills += 1 }
      #expect(try Self.state(db) == before, "killed at \(point)")
      #expect(try Executables.run("momaudit-ingest", ["--db", db, "--quiet", "--sources", q2]).status == 0)
      #expect(try Self.state(db) == after, "re-run after \(point)")
    }
    #expect(kills == points.count)
  }
}
