import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// SIGKILL at many points of a stage: the database stays intact, shows each
/// file wholly or not at all, and a re-run ends with exactly the counts of an
/// uninterrupted run.
@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
  /// Runs an executable that SIGKILLs itself at a fault-injection point
  /// (`MOMAUDIT_FAULT_KILL_AFTER`). Returns true when it died of SIGKILL.
  static func killed(_ name: String, _ args: [String], at point: String) throws -> Bool {
    let p = Process()
    p.executableURL = Executables.folder.appendingPathComponent(name)
    p.arguments = args
    p.environment = ProcessInfo.processInfo.environment.merging(["MOMAUDIT_FAULT_KILL_AFTER": point]) { $1 }
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL
  }

  struct Counts: Equatable {
    var procedures: Int, events: Int, rejects: Int, files: Int
  }

  static func counts(_ db: String) throws -> Counts {
    try DatabaseQueue(path: db).read { db in
      Counts(
        procedures: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM procedure")!,
        events: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event")!,
        rejects: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reject")!,
        files: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM source_file WHERE status = 'loaded'")!)
    }
  }

  /// integrity_check passes, and every loaded file is all there: its rejects
  /// and records match its counts; nothing belongs to a file not recorded.
  static func assertConsistent(_ path: String) throws {
    try DatabaseQueue(path: path).read { db in
      #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
      for f in try Row.fetchAll(db, sql: "SELECT id, rows_read, rows_accepted, rows_rejected FROM source_file WHERE status = 'loaded'") {
        let id: Int64 = f["id"]
        #expect((f["rows_read"] as Int) == (f["rows_accepted"] as Int) + (f["rows_rejected"] as Int))
        let rejects = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reject WHERE source_file_id = ?", arguments: [id])!
        #expect(rejects == f["rows_rejected"])
        let records = try Int.fetchOne(db, sql: """
          SELECT (SELECT COUNT(*) FROM procedure WHERE source_file_id = ?) + (SELECT COUNT(*) FROM event WHERE source_file_id = ?)
          """, arguments: [id, id])!
        #expect(records > 0 && records <= (f["rows_accepted"] as Int))
      }
      let stray = try Int.fetchOne(db, sql: """
        SELECT (SELECT COUNT(*) FROM procedure WHERE source_file_id NOT IN (SELECT id FROM source_file))
             + (SELECT COUNT(*) FROM event WHERE source_file_id NOT IN (SELECT id FROM source_file))
        """)!
      #expect(stray == 0)
    }
  }

  /// Three files, two formats, a few hundred rows: every kill point lands
  /// inside a file's transaction or between files.
  static let inputs = [
    Paths.scenarios.appendingPathComponent("11-exclusions/procedures.csv").path,
    Paths.scenarios.appendingPathComponent("11-exclusions/events.csv").path,
    Paths.scenarios.appendingPathComponent("08-bilateral-governing/export.xml").path,
    Paths.scenarios.appendingPathComponent("13-unknown-head-and-sex/procedures.csv").path,
    Paths.scenarios.appendingPathComponent("14-resurfacing-head-cutoff/procedures.csv").path,
  ]

  /// `n` kill points spread from the first to the last of `total` steps.
  static func point(_ i: Int, of n: Int, total: Int) -> Int { 1 + (total - 1) * i / (n - 1) }

  @Test("ingest killed at 22 points: intact, whole files only, re-run gives the uninterrupted counts")
  func ingestKilled() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let inputs = Self.inputs
    let reference = t.file("reference.db")
    #expect(try Executables.run("momaudit-ingest", ["--db", reference, "--quiet"] + inputs).status == 0)
    let expected = try Self.counts(reference)
    let rows = try DatabaseQueue(path: reference).read { try Int.fetchOne($0, sql: "SELECT SUM(rows_read) FROM source_file")! }
    var kills = 0
    for i in 0..<22 {
      let db = t.file("crash-\(i).db")
      let at = "ingest-row=\(Self.point(i, of: 22, total: rows))"
      if try Self.killed("momaudit-ingest", ["--db", db, "--quiet"] + inputs, at: at) { kills += 1 }
      if FileManager.default.fileExists(atPath: db) { try Self.assertConsistent(db) }
      if i % 3 == 0 {
        #expect(try Executables.run("momaudit-ingest", ["--db", db, "--quiet"] + inputs).status == 0)
        try Self.assertConsistent(db)
        #expect(try Self.counts(db) == expected)
      }
    }
    #expect(kills == 22)
  }

  @Test("check killed at 20 points: no partial run is stored; a re-run gives the uninterrupted findings")
  func checkKilled() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("a.db")
    #expect(try Executables.run("momaudit-ingest", ["--db", db, "--quiet"] + Self.inputs).status == 0)
    #expect(try Executables.run("momaudit-check", ["--db", db, "--quiet", "--as-of", "2026-09-30"]).status == 0)
    let patients = try DatabaseQueue(path: db).read {
      try Int.fetchOne($0, sql: """
        SELECT COUNT(*) FROM (SELECT nhs_number FROM procedure WHERE procedure_date <= '2026-09-30'
          UNION SELECT nhs_number FROM event WHERE event_date <= '2026-09-30')
        """)!
    }
    #expect(patients >= 20)
    let findings = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM finding WHERE check_run_id = 1")! }
    var kills = 0
    for i in 0..<20 {
      let at = "check-patient=\(Self.point(i, of: 20, total: patients))"
      if try Self.killed("momaudit-check", ["--db", db, "--quiet", "--as-of", "2026-09-30"], at: at) { kills += 1 }
      try DatabaseQueue(path: db).read { d in
        #expect(try String.fetchOne(d, sql: "PRAGMA integrity_check") == "ok")
        // Every stored run is complete: its findings are all there.
        for run in try Int64.fetchAll(d, sql: "SELECT id FROM check_run") {
          let n = try Int.fetchOne(d, sql: "SELECT COUNT(*) FROM finding WHERE check_run_id = ?", arguments: [run])!
          #expect(n == findings)
        }
      }
    }
    #expect(kills == 20)
    #expect(try Executables.run("momaudit-check", ["--db", db, "--quiet", "--as-of", "2026-09-30"]).status == 0)
    let last = try DatabaseQueue(path: db).read {
      try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM finding WHERE check_run_id = (SELECT MAX(id) FROM check_run)")!
    }
    #expect(last == findings)
  }
}
