import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// The check reads only the patients and events that may give it an output
/// (`PatientGroup.forEach`): a patient without a MoM implant comes with only
/// the events that may raise a warning, or not at all. As a property: on
/// random patients, what the check stores equals evaluating every patient
/// with every one of their records.
@Suite("Check reader: only what may give an output")
struct PatientGroupTests {
  static let asOf = LocalDate(iso: "2025-06-30")!

  /// A valid NHS number (modulus 11) from random digits.
  static func nhsNumber(_ rng: inout SplitMix) -> String {
    while true {
      let digits = (0..<9).map { _ in Int(rng.next() % 10) }
      var check = 11 - digits.enumerated().map { $1 * (10 - $0) }.reduce(0, +) % 11
      if check == 11 { check = 0 }
      guard check != 10, Set(digits + [check]).count > 1 else { continue }
      return (digits + [check]).map(String.init).joined()
    }
  }

  static func pick<T>(_ items: [T], _ rng: inout SplitMix) -> T { items[Int(rng.next() % UInt64(items.count))] }

  @Test(
    "what the check stores = every patient evaluated with every record (in memory; in a WAL file, read on two connections and threads)",
    arguments: [false, true], 1...6)
  func sameAsEveryRecord(_ onFile: Bool, _ seed: UInt64) throws {
    var rng = SplitMix(seed: seed)
    let t = TempDir()
    defer { t.cleanup() }
    var procedures = ["procedure_id,nhs_number,sex,procedure_date,side,procedure_type,bearing,head_diameter_mm,femoral_component"]
    var events = ["event_id,nhs_number,event_date,event_type,side,symptomatic,oxford_hip_score,cobalt,chromium,ion_unit,sample_type,imaging_finding,note"]
    var results = ["result_id,nhs_number,sample_id,sample_date,analyte,value,unit,specimen"]
    let base = LocalDate(iso: "2008-01-01")!
    func date(_ rng: inout SplitMix) -> String { base.addingDays(Int(rng.next() % 6500)).iso }
    for p in 0..<80 {
      let nhs = Self.nhsNumber(&rng)
      // Mostly patients without a MoM implant, as in a national export.
      for i in 0..<Int(rng.next() % 3) {
        let bearing = rng.next() % 5 == 0 ? Self.pick(["MoM", "unknown"], &rng) : Self.pick(["MoP", "CoC", "CoP"], &rng)
        procedures.append(
          "P\(p)-\(i),\(nhs),\(Self.pick(["M", "F", "U", "M", "F"], &rng)),\(date(&rng)),\(Self.pick(["L", "R"], &rng)),"
            + "\(Self.pick(["total_hip", "resurfacing", "revision"], &rng)),\(bearing),\(Self.pick(["", "36", "50"], &rng)),"
            // An unknown bearing is MoM by a library brand, or for a resurfacing.
            + Self.pick(["", "", "BHR head", "Exeter stem", "ASR-XL cup"], &rng))
      }
      for i in 0..<Int(rng.next() % 5) {
        let type = Self.pick(["review", "xray", "blood_metal_ions", "mars_mri", "death"], &rng)
        let ions =
          type == "blood_metal_ions"
          ? "\(Self.pick(["1.2", "<0.5", "7.1", ">50"], &rng)),\(Self.pick(["3", "140"], &rng)),"
            + "\(Self.pick(["ug/L", "nmol/L"], &rng)),\(Self.pick(["whole_blood", "serum"], &rng))"
          : ",,,"
        events.append("E\(p)-\(i),\(nhs),\(date(&rng)),\(type),L,,,\(ions),,")
      }
      if rng.next() % 10 == 0 {
        results.append("R\(p),\(nhs),S\(p),\(date(&rng)),cobalt,\(Self.pick(["2", "<0.5", "9"], &rng)),ug/L,whole_blood")
      }
    }
    let files = [
      t.write("1-procedures.csv", procedures.joined(separator: "\n") + "\n"),
      t.write("2-events.csv", events.joined(separator: "\n") + "\n"),
      t.write("3-results.csv", results.joined(separator: "\n") + "\n"),
    ]
    let (memory, _) = try ingest(files)
    var db = memory
    if onFile {
      db = try AuditDatabase.open(path: t.file("audit.sqlite"))
      try memory.backup(to: db)
      #expect(try db.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }
    let summary = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: Self.asOf).run()

    // The oracle: every record read, grouped by patient, every patient evaluated.
    let everyPatient = try db.read { db in try Self.everyGroup(db) }
    var expectedWarnings: [String] = []
    var expectedPatients: [String] = []
    var expectedFindings = 0
    for group in everyPatient {
      let r = PatientResult(group: group, asOf: Self.asOf, pack: .mhra2017)
      expectedWarnings += r.warnings.map { "\($0.recordKind?.rawValue ?? "") \($0.recordId ?? "") \($0.nhsNumber) \($0.code) \($0.detail)" }
      if !r.context.implants.isEmpty { expectedPatients.append(group.nhsNumber) }
      expectedFindings += r.findings.count
    }
    let (warnings, patients, findings) = try db.read { db in
      (
        try String.fetchAll(
          db,
          sql: "SELECT coalesce(record_kind, '') || ' ' || coalesce(record_id, '') || ' ' || nhs_number || ' ' || code || ' ' || detail FROM warning WHERE check_run_id = ? ORDER BY id",
          arguments: [summary.runId]),
        try String.fetchAll(db, sql: "SELECT nhs_number FROM run_patient WHERE check_run_id = ? ORDER BY nhs_number", arguments: [summary.runId]),
        try Int.fetchOne(db, sql: "SELECT count(*) FROM finding WHERE check_run_id = ?", arguments: [summary.runId])!
      )
    }
    #expect(warnings == expectedWarnings)
    #expect(patients == expectedPatients)
    #expect(findings == expectedFindings)
    // The data exercises what the reader leaves out: warnings of patients without
    // a MoM implant, and patients read not at all.
    let momPatients = Set(expectedPatients)
    #expect(warnings.contains { !momPatients.contains(String($0.split(separator: " ")[2])) })
    #expect(everyPatient.count > momPatients.count)
  }

  @Test(
    "patients without a MoM implant, hand-computed: an event on the first procedure's day raises nothing, the day before EVENT_BEFORE_PROCEDURE; a serum test, an orphan, different sexes warn; an event after D and a review raise nothing",
    arguments: [false, true])
  func edgesWithoutMoM(_ onFile: Bool) throws {
    let t = TempDir()
    defer { t.cleanup() }
    // D = 2025-06-30. A: MoP hip 2015-03-01, events on 2015-03-01 (a review) and 2015-02-28 (an x-ray).
    // B: CoC hip, a serum ion test (within the rules' reach only as a warning) and an event after D.
    // C: no procedure, one review (orphan); its second review after D is not read.
    // D: two non-MoM procedures, male then female. E: a CoP hip and reviews only: nothing at all.
    let procedures = [
      "PA,9991400001,M,2015-03-01,L,total_hip,MoP,32", "PB,9991400028,F,2016-05-01,R,total_hip,CoC,36",
      "PD1,9991400044,M,2012-01-01,L,total_hip,MoP,32", "PD2,9991400044,F,2013-01-01,R,total_hip,MoP,32",
      "PE,9991400052,F,2018-01-01,L,total_hip,CoP,32",
    ]
    let events = [
      "EA1,9991400001,2015-03-01,review,L,,,,,,,,", "EA2,9991400001,2015-02-28,xray,L,,,,,,,,",
      "EB1,9991400028,2020-01-10,blood_metal_ions,,,,1.2,0.8,ug/L,serum,,", "EB2,9991400028,2025-07-01,xray,R,,,,,,,,",
      "EC1,9991400036,2024-05-05,review,L,,,,,,,,", "EC2,9991400036,2025-07-01,review,L,,,,,,,,",
      "EE1,9991400052,2019-01-01,review,L,,,,,,,,", "EE2,9991400052,2020-01-01,xray,L,,,,,,,,",
    ]
    let (memory, _) = try ingest([
      t.write("1-procedures.csv", IX.lines("procedure_id,nhs_number,sex,procedure_date,side,procedure_type,bearing,head_diameter_mm", procedures)),
      t.write("2-events.csv", IX.lines(IX.evHeader, events)),
    ])
    var db = memory
    if onFile {
      db = try AuditDatabase.open(path: t.file("audit.sqlite"))
      try memory.backup(to: db)
    }
    let summary = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: Self.asOf).run()
    let warnings = try db.read { db in
      try String.fetchAll(
        db,
        sql: "SELECT coalesce(record_id, '-') || ' ' || nhs_number || ' ' || code FROM warning WHERE check_run_id = ? ORDER BY id",
        arguments: [summary.runId])
    }
    #expect(
      warnings == [
        "EA2 9991400001 EVENT_BEFORE_PROCEDURE", "EB1 9991400028 SAMPLE_NOT_WHOLE_BLOOD", "EC1 9991400036 ORPHAN_EVENT",
        "- 9991400044 SEX_INCONSISTENT",
      ])
    #expect(summary.patientsMoM == 0)
    #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM run_patient")! } == 0)
  }

  /// Every patient's records as of D, without the reader's selection.
  static func everyGroup(_ db: Database) throws -> [PatientGroup] {
    func rows<T>(_ sql: String, _ make: (SQLiteStatement) -> T?) throws -> [T] {
      let statement = try db.makeStatement(sql: sql)
      try statement.setArguments([asOf.iso])
      var out: [T] = []
      while sqlite3_step(statement.sqliteStatement) == SQLITE_ROW {
        if let x = make(statement.sqliteStatement) { out.append(x) }
      }
      sqlite3_reset(statement.sqliteStatement)
      return out
    }
    let procedures = try rows(
      "SELECT \(ProcedureRecord.checkColumns) FROM procedure WHERE procedure_date <= ? AND withdrawn_by IS NULL",
      ProcedureRecord.init(statement:))
    let events = try rows(
      "SELECT \(EventRecord.columns) FROM event WHERE event_date <= ? AND withdrawn_by IS NULL", EventRecord.init(statement:))
    let results = try rows(
      "SELECT \(ResultRecord.columns) FROM result WHERE sample_date <= ? AND withdrawn_by IS NULL",
      ResultRecord.init(statement:))
    let nhs = Set(procedures.map(\.nhsNumber) + events.map(\.nhsNumber) + results.map(\.nhsNumber)).sorted(by: codePointLess)
    return nhs.map { n in
      PatientGroup(
        nhsNumber: n, procedures: procedures.filter { $0.nhsNumber == n }, events: events.filter { $0.nhsNumber == n },
        results: results.filter { $0.nhsNumber == n })
    }
  }
}
