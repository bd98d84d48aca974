import Foundation
import GRDB
import Logging

package struct CheckSummary: Sendable, Equatable {
  package var runId: Int64
  package var patientsMoM = 0
  package var implantsMoM = 0
  package var inSurveillance = 0
  package var findings = 0
  package var flags = 0
  package var warnings = 0
}

/// The check stage: one ordered pass over every patient's records (two
/// cursors merged by NHS number, never a query per patient), rules evaluated
/// per patient, everything stored in one transaction as one check run.
package struct CheckRunner {
  let db: DatabaseQueue
  let logger: Logger
  let pack: RulePack
  let asOf: LocalDate
  let clock: @Sendable () -> Date
  /// Crash-safety tests only (FaultInjection).
  let killAfterPatients = FaultInjection.limit(.checkPatient)

  package init(db: DatabaseQueue, logger: Logger, pack: RulePack, asOf: LocalDate, clock: @escaping @Sendable () -> Date = Date.init) {
    self.db = db
    self.logger = logger
    self.pack = pack
    self.asOf = asOf
    self.clock = clock
  }

  package func run() throws -> CheckSummary {
    let started = clock()
    let iso = ISO8601DateFormatter()
    return try db.inTransaction { db in
      try db.execute(
        sql: """
          INSERT INTO check_run (as_of, pack_name, pack_json, local_protocol, software_version, started_at, finished_at,
            duration_seconds, patients_mom, implants_mom, patients_in_surveillance)
          VALUES (?, ?, ?, ?, ?, ?, '', 0, 0, 0, 0)
          """,
        arguments: [asOf.iso, pack.name, pack.json, pack.isLocalProtocol, MoMAudit.version, iso.string(from: started)])
      let runId = db.lastInsertedRowID
      var summary = CheckSummary(runId: runId)
      let out = try RunWriter(db: db, runId: runId)

      let procs = try Row.fetchCursor(
        db, sql: "SELECT \(ProcedureRecord.columns) FROM procedure WHERE procedure_date <= ? ORDER BY nhs_number",
        arguments: [asOf.iso])
      let events = try Row.fetchCursor(
        db, sql: "SELECT \(EventRecord.columns) FROM event WHERE event_date <= ? ORDER BY nhs_number",
        arguments: [asOf.iso])
      var nextProc = try procs.next().map(ProcedureRecord.init(row:))
      var nextEvent = try events.next().map(EventRecord.init(row:))
      while nextProc != nil || nextEvent != nil {
        let nhs = [nextProc?.nhsNumber, nextEvent?.nhsNumber].compactMap { $0 }.min { codePointLess($0, $1) }!
        var patientProcs: [ProcedureRecord] = []
        var patientEvents: [EventRecord] = []
        while let p = nextProc, p.nhsNumber == nhs {
          patientProcs.append(p)
          nextProc = try procs.next().map(ProcedureRecord.init(row:))
        }
        while let e = nextEvent, e.nhsNumber == nhs {
          patientEvents.append(e)
          nextEvent = try events.next().map(EventRecord.init(row:))
        }
        if killAfterPatients != nil { FaultInjection.tick(.checkPatient) }
        let context = PatientContext(nhsNumber: nhs, procedures: patientProcs, events: patientEvents, asOf: asOf, pack: pack)
        let result = PatientResult(context: context)
        try out.write(result)
        summary.warnings += result.warnings.count
        if !context.implants.isEmpty {
          summary.patientsMoM += 1
          summary.implantsMoM += context.implants.count
          if context.status == .inSurveillance { summary.inSurveillance += 1 }
          summary.findings += result.findings.count
          summary.flags += result.flags.count
        }
      }
      let finished = clock()
      try db.execute(
        sql: """
          UPDATE check_run SET finished_at = ?, duration_seconds = ?, patients_mom = ?, implants_mom = ?,
            patients_in_surveillance = ? WHERE id = ?
          """,
        arguments: [iso.string(from: finished), finished.timeIntervalSince(started), summary.patientsMoM,
          summary.implantsMoM, summary.inSurveillance, runId])
      logger.info(
        "check run stored",
        metadata: [
          "run": "\(runId)", "as_of": "\(asOf.iso)", "pack": "\(pack.name)", "mom_patients": "\(summary.patientsMoM)",
          "in_surveillance": "\(summary.inSurveillance)", "findings": "\(summary.findings)",
          "flags": "\(summary.flags)", "warnings": "\(summary.warnings)",
        ])
      return (.commit, summary)
    }
  }
}

extension DatabaseQueue {
  /// `inTransaction` that returns a value.
  func inTransaction<T>(_ body: (Database) throws -> (Database.TransactionCompletion, T)) throws -> T {
    var result: T? = nil
    try inTransaction { db in
      let (completion, value) = try body(db)
      result = value
      return completion
    }
    return result!
  }
}

/// Everything the check decides about one patient.
package struct PatientResult: Sendable {
  package let context: PatientContext
  package let findings: [Finding]
  package let flags: [ClinicalFlag]
  package let warnings: [CheckWarning]

  package init(context: PatientContext) {
    self.context = context
    warnings = DataQuality.warnings(context)
    if context.status == .inSurveillance && !context.implants.isEmpty {
      findings = allRules.flatMap { $0.evaluate(context) }
      flags = ClinicalFlags.evaluate(context)
    } else {
      findings = []
      flags = []
    }
  }
}

/// Writes a patient's results into the run's tables.
struct RunWriter {
  let runId: Int64
  let insertPatient: Statement
  let insertImplant: Statement
  let insertFinding: Statement
  let insertFlag: Statement
  let insertWarning: Statement

  init(db: Database, runId: Int64) throws {
    self.runId = runId
    insertPatient = try db.makeStatement(sql: """
      INSERT INTO run_patient (check_run_id, nhs_number, status, status_date, groups, next_review_due, next_ions_due,
        last_review, last_ion_test, last_cobalt_ug_l, last_chromium_ug_l, open_findings, clinical_flags)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertImplant = try db.makeStatement(sql: """
      INSERT INTO run_implant (check_run_id, procedure_id, nhs_number, side, procedure_date, procedure_type,
        head_diameter_mm, sex, surveillance_group, active, ended_by, status, last_review, last_ion_test,
        last_cobalt_ug_l, last_chromium_ug_l, last_imaging, last_imaging_finding, compliant, trust_code, site_code,
        consultant_code)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertFinding = try db.makeStatement(sql: """
      INSERT INTO finding (check_run_id, nhs_number, finding, procedure_id, side, surveillance_group, due_date,
        days_overdue, last_done, trust_code, site_code, consultant_code, detail, evidence)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertFlag = try db.makeStatement(sql: """
      INSERT INTO clinical_flag (check_run_id, nhs_number, flag, procedure_id, detail) VALUES (?,?,?,?,?)
      """)
    insertWarning = try db.makeStatement(sql: """
      INSERT INTO warning (check_run_id, record_kind, record_id, nhs_number, code, detail) VALUES (?,?,?,?,?,?)
      """)
  }

  func write(_ r: PatientResult) throws {
    for w in r.warnings {
      try insertWarning.execute(arguments: [runId, w.recordKind?.rawValue, w.recordId, w.nhsNumber, w.code, w.detail])
    }
    let c = r.context
    guard !c.implants.isEmpty else { return }
    let inSurveillance = c.status == .inSurveillance
    let groups = Set(c.activeImplants.compactMap(\.group)).sorted().map(\.rawValue).joined(separator: ";")
    let lastTest = c.latestIonTest
    try insertPatient.execute(arguments: [
      runId, c.nhsNumber, c.status.rawValue, c.statusDate?.iso, groups,
      inSurveillance ? c.reviewSchedule?.due.iso : nil, inSurveillance ? c.ionSchedule?.due.iso : nil,
      c.reviews.last?.eventDate.iso, lastTest?.eventDate.iso, lastTest?.cobaltMicrograms, lastTest?.chromiumMicrograms,
      orderedUnique(r.findings.map(\.code)).joined(separator: ";"),
      orderedUnique(r.flags.map(\.code)).joined(separator: ";"),
    ])
    let patientLevel = r.findings.contains { f in allRules.contains { $0.description.code == f.code && $0.description.level == .patient } }
    for i in c.implants {
      let p = i.procedure
      let review = c.reviews.last { $0.eventDate >= i.date }
      let test = c.ionTests.last { $0.eventDate >= i.date }
      let imaging = c.imaging(covering: i.side).last { $0.eventDate >= i.date }
      let compliant = !patientLevel && !r.findings.contains { $0.procedureId == i.id }
      try insertImplant.execute(arguments: [
        runId, i.id, c.nhsNumber, i.side.rawValue, i.date.iso, p.procedureType.rawValue, p.headDiameterMm,
        p.sex.rawValue, i.group?.rawValue, i.active, i.endedBy?.procedureId, c.status.rawValue,
        review?.eventDate.iso, test?.eventDate.iso, test?.cobaltMicrograms, test?.chromiumMicrograms,
        imaging?.eventDate.iso, imaging?.imagingFinding?.rawValue, compliant, p.trustCode, p.siteCode, p.consultantCode,
      ])
    }
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    for f in r.findings {
      let evidence = String(decoding: try enc.encode(f.evidence), as: UTF8.self)
      try insertFinding.execute(arguments: [
        runId, f.nhsNumber, f.code, f.procedureId, f.side.rawValue, f.group.rawValue, f.due.iso, f.daysOverdue,
        f.lastDone?.iso, f.trustCode, f.siteCode, f.consultantCode, f.detail, evidence,
      ])
    }
    for fl in r.flags {
      try insertFlag.execute(arguments: [runId, c.nhsNumber, fl.code, fl.procedureId, fl.detail])
    }
  }
}

func orderedUnique(_ items: [String]) -> [String] {
  var seen = Set<String>()
  return items.filter { seen.insert($0).inserted }
}
