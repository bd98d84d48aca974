import Foundation
import GRDB
import Logging

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

package struct CheckSummary: Sendable, Equatable {
  package var runId: Int64
  package var patientsMoM = 0
  package var implantsMoM = 0
  package var inSurveillance = 0
  package var findings = 0
  /// Findings an exception in force took off the worklist.
  package var excepted = 0
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
    // A reading connection of its own needs WAL: with a rollback journal
    // its reads would lock out this transaction's writes to the file.
    let wal = try db.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal"
    let fileDatabasePath: String? = {
      let p = db.path
      return !wal || p.isEmpty || p == ":memory:" || p.hasPrefix("file:") ? nil : p
    }()
    return try db.inTransaction { db in
      try db.execute(
        sql: """
          INSERT INTO check_run (as_of, pack_name, pack_json, local_protocol, software_version, started_at, finished_at,
            duration_seconds, patients_mom, implants_mom, patients_in_surveillance, last_source_file_id)
          VALUES (?, ?, ?, ?, ?, ?, '', 0, 0, 0, 0, coalesce((SELECT max(id) FROM source_file), 0))
          """,
        arguments: [asOf.iso, pack.name, pack.json, pack.isLocalProtocol, MoMAudit.version, iso.string(from: started)])
      let runId = db.lastInsertedRowID
      var summary = CheckSummary(runId: runId)
      let out = try RunWriter(db: db, runId: runId)

      // The merge of the two ordered cursors runs on a thread of its own,
      // on a read-only connection of its own (WAL: it reads the last
      // committed state, which this transaction has not touched), while
      // this thread evaluates and writes: SQLite's reads on one core, the
      // rules and the run's inserts on the other. An in-memory database has
      // one connection only, and one not in WAL mode must read on the
      // writing connection: the merge then runs here.
      let process = { (group: PatientGroup) throws in
        let result = PatientResult(group: group, asOf: asOf, pack: pack)
        let context = result.context
        try out.write(result)
        summary.warnings += result.warnings.count
        if !context.implants.isEmpty {
          summary.patientsMoM += 1
          summary.implantsMoM += context.implants.count
          if context.status == .inSurveillance { summary.inSurveillance += 1 }
          summary.findings += result.findings.count
          summary.excepted += result.excepted.count
          summary.flags += result.flags.count
        }
      }
      if let path = fileDatabasePath {
        let asOf = asOf
        let mergeStarted = Date()
        let (_, channel) = try BoundedChannel<[PatientGroup], Void>.run(
          name: "momaudit-reader", depth: 4,
          produce: { channel in
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(5)
            // One helper thread for the sorts: SQLite sorts a filled run
            // while the scan goes on, on the time the two threads here wait
            // for each other (national: 12.1 s -> 11.4 s, 4 MB more memory).
            config.prepareDatabase { try $0.execute(sql: "PRAGMA threads = 1") }
            let reader = try DatabaseQueue(path: path, configuration: config)
            // The events on a connection of their own, so that their sort
            // runs beside the procedures' (the run lock keeps both on one state).
            let eventReader = try DatabaseQueue(path: path, configuration: config)
            try reader.read { db in
              try eventReader.read { eventsDB in
                var batch: [PatientGroup] = []
                batch.reserveCapacity(256)
                try PatientGroup.forEach(db, events: eventsDB, asOf: asOf) { group in
                  batch.append(group)
                  if batch.count == 256 {
                    guard channel.put(batch) else { throw ChannelCancelled() }
                    batch = []
                    batch.reserveCapacity(256)
                  }
                }
                if !batch.isEmpty, !channel.put(batch) { throw ChannelCancelled() }
              }
            }
          },
          consume: { batch in
            for group in batch { try process(group) }
          })
        logger.debug(
          "check timing",
          metadata: [
            "merge": "\(String(format: "%.3f", Date().timeIntervalSince(mergeStarted)))",
            "reader_waited": "\(String(format: "%.3f", channel.producerWaited))",
            "writer_waited": "\(String(format: "%.3f", channel.consumerWaited))",
          ])
      } else {
        try PatientGroup.forEach(db, asOf: asOf, process)
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
          "excepted": "\(summary.excepted)",
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
  /// Missed follow-ups: the rules' findings less the excepted ones (§8).
  package let findings: [Finding]
  package let excepted: [ExceptedFinding]
  /// The patient's exceptions recorded on or before D, with their state.
  package let exceptionStates: [(exception: ExceptionRecord, state: ExceptionPolicy.State)]
  package let flags: [ClinicalFlag]
  package let warnings: [CheckWarning]

  /// `exceptions`: the patient's, recorded on or before D.
  package init(context: PatientContext, assemblyWarnings: [CheckWarning] = [], exceptions: [ExceptionRecord] = []) {
    self.context = context
    var found: [Finding] = []
    if context.status == .inSurveillance && !context.implants.isEmpty {
      found = allRules.flatMap { $0.evaluate(context) }
      flags = ClinicalFlags.evaluate(context)
    } else {
      flags = []
    }
    // Nearly every patient has no exception: no policy (a pack lookup) on the hot path.
    guard !exceptions.isEmpty else {
      findings = found
      excepted = []
      exceptionStates = []
      warnings = assemblyWarnings + DataQuality.warnings(context)
      return
    }
    let outcome = ExceptionPolicy(pack: context.pack, asOf: context.asOf).apply(found, exceptions: exceptions)
    findings = outcome.findings
    excepted = outcome.excepted
    exceptionStates = outcome.states
    warnings = assemblyWarnings + DataQuality.warnings(context) + outcome.warnings
  }
}

extension PatientResult {
  /// One patient's records evaluated: results assembled into ion tests, then
  /// the rules, the data-quality checks and the exceptions.
  init(group: PatientGroup, asOf: LocalDate, pack: RulePack) {
    // Most patients have no results: no assembly, no copy of their events.
    let (tests, assembly) =
      group.results.isEmpty
      ? ([], []) : IonTestAssembly.assemble(group.results, nhsNumber: group.nhsNumber, asOf: asOf)
    let context = PatientContext(
      nhsNumber: group.nhsNumber, procedures: group.procedures, events: tests.isEmpty ? group.events : group.events + tests,
      asOf: asOf, pack: pack, assembledTests: tests.isEmpty ? [] : Set(tests.map(\.eventId)))
    self.init(context: context, assemblyWarnings: assembly, exceptions: group.exceptions)
  }
}

/// One patient's records as of the audit date, in no particular order
/// (PatientContext sorts them).
struct PatientGroup: Sendable {
  var nhsNumber: String
  var procedures: [ProcedureRecord]
  var events: [EventRecord]
  /// Laboratory results, assembled into ion tests by IonTestAssembly.
  var results: [ResultRecord] = []
  /// Clinicians' exceptions recorded on or before D (surveillance-rules.md §8).
  var exceptions: [ExceptionRecord] = []

  /// Every patient with a record dated on or before `asOf` that may give
  /// the check an output, in NHS-number order: four cursors (procedures,
  /// events, results, exceptions) merged, never a query per patient. Read
  /// through the C API on GRDB's statements. A patient without a MoM implant
  /// comes with only the events that may raise a warning (`needsEveryEvent`),
  /// or not at all: what the check writes is the same as with every record.
  ///
  /// `eventsDB`, another connection to the same database in the same state:
  /// the events are read there, and their first step (which sorts them all)
  /// runs on a thread of its own while the procedures are sorted here. Until
  /// both sorts are done the rules have nothing to do, so the two sorts take
  /// the two cores (full scale: the rules' thread waited 3.0 s for the first
  /// patient, issue 14).
  static func forEach(
    _ db: Database, events eventsDB: Database? = nil, asOf: LocalDate, _ body: (PatientGroup) throws -> Void
  ) throws {
    // Withdrawn records (sources.md §3) are kept but never checked.
    // NOT INDEXED: a scan in table order and one sort, rather than the
    // nhs_number index's order with a random page read per row; at national
    // scale (4.5 M rows, tables far larger than the page cache) the sort
    // measures ~10 % faster and scales better (bench/RESULTS.md).
    let procs = try db.makeStatement(
      sql: "SELECT \(ProcedureRecord.checkColumns) FROM procedure NOT INDEXED WHERE procedure_date <= ? AND withdrawn_by IS NULL ORDER BY nhs_number")
    let events = try (eventsDB ?? db).makeStatement(
      sql: "SELECT \(EventRecord.columns) FROM event NOT INDEXED WHERE event_date <= ? AND withdrawn_by IS NULL ORDER BY nhs_number")
    let results = try db.makeStatement(
      sql: "SELECT \(ResultRecord.columns) FROM result NOT INDEXED WHERE sample_date <= ? AND withdrawn_by IS NULL ORDER BY nhs_number")
    let exceptions = try db.makeStatement(
      sql: "SELECT \(ExceptionRecord.columns) FROM exception WHERE recorded_on <= ? AND withdrawn_by IS NULL ORDER BY nhs_number")
    try procs.setArguments([asOf.iso])
    try events.setArguments([asOf.iso])
    try results.setArguments([asOf.iso])
    try exceptions.setArguments([asOf.iso])
    let ps = procs.sqliteStatement
    let es = events.sqliteStatement
    let rs = results.sqliteStatement
    let xs = exceptions.sqliteStatement
    defer {
      sqlite3_reset(ps)
      sqlite3_reset(es)
      sqlite3_reset(rs)
      sqlite3_reset(xs)
    }
    func next(_ s: SQLiteStatement, _ statement: Statement) throws -> Bool {
      let rc = sqlite3_step(s)
      if rc == SQLITE_ROW { return true }
      if rc == SQLITE_DONE { return false }
      throw DatabaseError(
        resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(s))),
        sql: statement.sql)
    }
    let firstEventStep = eventsDB.map { _ in EventSort(es) }
    // Whatever happens here, the sort's thread is done with the statement before it is reset.
    defer { _ = try? firstEventStep?.result() }
    var nextProc = try next(ps, procs) ? ProcedureRecord(statement: ps) : nil
    func firstEvent() throws -> Bool {
      guard let sort = firstEventStep else { return try next(es, events) }
      let rc = try sort.result()
      if rc == SQLITE_ROW { return true }
      if rc == SQLITE_DONE { return false }
      throw DatabaseError(
        resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(es))),
        sql: events.sql)
    }
    // An event is read into Swift only when its patient needs it (below):
    // until then only its NHS number is.
    var eventNHS = try firstEvent() ? columnText(es, 1) ?? "" : nil
    var nextResult = try next(rs, results) ? ResultRecord(statement: rs) : nil
    // An exception row that does not read back is left out (ExceptionRecord(statement:)).
    func readException() throws -> ExceptionRecord? {
      while try next(xs, exceptions) {
        if let x = ExceptionRecord(statement: xs) { return x }
      }
      return nil
    }
    var nextException = try readException()
    let killAfterPatients = FaultInjection.limit(.checkPatient)
    while nextProc != nil || eventNHS != nil || nextResult != nil || nextException != nil {
      let nhs = [nextProc?.nhsNumber, eventNHS, nextResult?.nhsNumber, nextException?.nhsNumber]
        .compactMap { $0 }.min(by: codePointLess)!
      if killAfterPatients != nil { FaultInjection.tick(.checkPatient) }
      var group = PatientGroup(nhsNumber: nhs, procedures: [], events: [])
      while let p = nextProc, p.nhsNumber == nhs {
        group.procedures.append(p)
        nextProc = try next(ps, procs) ? ProcedureRecord(statement: ps) : nil
      }
      let whole = group.needsEveryEvent || nextResult?.nhsNumber == nhs || nextException?.nhsNumber == nhs
      let first = group.procedures.lazy.map(\.procedureDate).min()
      while eventNHS == nhs {
        if whole || EventRecord.mayWarn(es, firstProcedure: first) { group.events.append(EventRecord(statement: es)) }
        eventNHS = try next(es, events) ? columnText(es, 1) ?? "" : nil
      }
      while let r = nextResult, r.nhsNumber == nhs {
        group.results.append(r)
        nextResult = try next(rs, results) ? ResultRecord(statement: rs) : nil
      }
      while let x = nextException, x.nhsNumber == nhs {
        group.exceptions.append(x)
        nextException = try readException()
      }
      if whole || !group.events.isEmpty { try body(group) }
    }
  }

  /// Whether the check must see all of this patient's events: a procedure
  /// that is metal-on-metal as PatientContext decides it (`momFinding`: a
  /// MoM bearing; an unknown one with a component in the implant library,
  /// or on a resurfacing), or procedures that give different sexes
  /// (SEX_INCONSISTENT). An export without a bearing column has every
  /// bearing unknown: deciding here keeps its non-MoM patients off the
  /// rules' thread too. Any other patient has no
  /// implant to check: their only output is the data-quality warnings each
  /// event raises on its own (DataQuality), so only the events that may raise
  /// one are read (`EventRecord.mayWarn`), and a patient with none is not
  /// read at all: 95 % of a national export's patients (issue 14).
  var needsEveryEvent: Bool {
    var sex: Sex? = nil
    for p in procedures {
      if p.momFinding != nil { return true }
      if p.sex != .unknown {
        if let s = sex, s != p.sex { return true }
        sex = p.sex
      }
    }
    return false
  }
}

extension EventRecord {
  /// Whether the event on the statement's current row (EventRecord.columns)
  /// may raise a warning for a patient without a MoM implant (DataQuality):
  /// an event of a patient with no procedure (ORPHAN_EVENT) or before their
  /// first (EVENT_BEFORE_PROCEDURE), or an ion test (SAMPLE_NOT_WHOLE_BLOOD,
  /// CENSORED_RESULT_UNCERTAIN, THRESHOLD_ROUNDING_BAND). A superset: the
  /// check then decides.
  static func mayWarn(_ s: SQLiteStatement, firstProcedure: LocalDate?) -> Bool {
    guard let first = firstProcedure else { return true }
    guard let date = columnDate(s, 2), date >= first else { return true }
    guard let type = sqlite3_column_text(s, 3) else { return true }
    let ion = EventType.bloodMetalIons.rawValue.utf8
    return Int(sqlite3_column_bytes(s, 3)) == ion.count
      && UnsafeBufferPointer(start: type, count: ion.count).elementsEqual(ion)
  }
}

/// The first step of the events' statement (SQLite sorts every row on it)
/// on a thread of its own. Nothing else uses the statement's connection
/// until `result()` has returned.
private final class EventSort: @unchecked Sendable {
  private let statement: SQLiteStatement
  private var rc: Int32 = SQLITE_OK
  private var thread: BackgroundThread? = nil

  init(_ statement: SQLiteStatement) {
    self.statement = statement
    thread = BackgroundThread(name: "momaudit-sort") { [self] in rc = sqlite3_step(self.statement) }
  }

  func result() throws -> Int32 {
    try thread?.wait()
    thread = nil
    return rc
  }
}

/// Writes a patient's results into the run's tables.
struct RunWriter {
  let runId: Int64
  let insertPatient: InsertStatement
  let insertImplant: InsertStatement
  let insertFinding: InsertStatement
  let insertFlag: InsertStatement
  let insertWarning: InsertStatement
  let insertExcepted: InsertStatement
  let insertRunException: InsertStatement

  init(db: Database, runId: Int64) throws {
    self.runId = runId
    insertPatient = try InsertStatement(db, sql: """
      INSERT INTO run_patient (check_run_id, nhs_number, status, status_date, groups, next_review_due, next_ions_due,
        last_review, last_ion_test, last_cobalt_ug_l, last_chromium_ug_l, open_findings, clinical_flags,
        last_cobalt_comparator, last_chromium_comparator, review_procedure_id)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertImplant = try InsertStatement(db, sql: """
      INSERT INTO run_implant (check_run_id, procedure_id, nhs_number, side, procedure_date, procedure_type,
        head_diameter_mm, sex, surveillance_group, active, ended_by, status, last_review, last_ion_test,
        last_cobalt_ug_l, last_chromium_ug_l, last_imaging, last_imaging_finding, compliant, trust_code, site_code,
        consultant_code, last_cobalt_comparator, last_chromium_comparator, mom_basis)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertFinding = try InsertStatement(db, sql: """
      INSERT INTO finding (check_run_id, nhs_number, finding, procedure_id, side, surveillance_group, due_date,
        days_overdue, last_done, trust_code, site_code, consultant_code, detail, evidence, expired_exception_id)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertExcepted = try InsertStatement(db, sql: """
      INSERT INTO excepted_finding (check_run_id, nhs_number, finding, procedure_id, side, surveillance_group, due_date,
        days_overdue, last_done, trust_code, site_code, consultant_code, detail, evidence, exception_id, reason,
        recorded_by, review_by)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertRunException = try InsertStatement(db, sql: """
      INSERT INTO run_exception (check_run_id, exception_id, nhs_number, finding, procedure_id, reason, recorded_by,
        recorded_on, review_by, state, patient_status)
      VALUES (?,?,?,?,?,?,?,?,?,?,?)
      """)
    insertFlag = try InsertStatement(db, sql: """
      INSERT INTO clinical_flag (check_run_id, nhs_number, flag, procedure_id, detail) VALUES (?,?,?,?,?)
      """)
    insertWarning = try InsertStatement(db, sql: """
      INSERT INTO warning (check_run_id, record_kind, record_id, nhs_number, code, detail) VALUES (?,?,?,?,?,?)
      """)
  }

  private let encoder: JSONEncoder = {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    return enc
  }()

  /// The evidence as JSONEncoder writes it (sorted keys): an array of
  /// strings. Printable ASCII is written here (JSONEncoder escapes `"`, `\`
  /// and `/` in it); anything else goes through JSONEncoder. Debug builds
  /// check every array against JSONEncoder.
  func evidenceJSON(_ items: [String]) throws -> String {
    var bytes: [UInt8] = [0x5B]
    bytes.reserveCapacity(512)
    for (i, item) in items.enumerated() {
      if i > 0 { bytes.append(0x2C) }
      bytes.append(0x22)
      for c in item.utf8 {
        guard c >= 0x20, c != 0x7F else { return String(decoding: try encoder.encode(items), as: UTF8.self) }
        switch c {
        case 0x22: bytes += [0x5C, 0x22]
        case 0x5C: bytes += [0x5C, 0x5C]
        case 0x2F: bytes += [0x5C, 0x2F]
        default: bytes.append(c)
        }
      }
      bytes.append(0x22)
    }
    bytes.append(0x5D)
    let out = String(decoding: bytes, as: UTF8.self)
    assert(
      out == (try? encoder.encode(items)).map { String(decoding: $0, as: UTF8.self) },
      "evidence JSON differs from JSONEncoder")
    return out
  }

  /// The codes of the patient-level rules: a finding of one leaves none of
  /// the patient's implants compliant.
  static let patientLevelCodes = Set(allRules.filter { $0.description.level == .patient }.map(\.description.code))

  func write(_ r: PatientResult) throws {
    for w in r.warnings {
      try insertWarning.execute(runId, w.recordKind?.rawValue, w.recordId, w.nhsNumber, w.code, w.detail)
    }
    let c = r.context
    guard !c.implants.isEmpty else { return }
    let inSurveillance = c.status == .inSurveillance
    let groups = Set(c.activeImplants.compactMap(\.group)).sorted().map(\.rawValue).joined(separator: ";")
    let lastTest = c.latestIonTest
    let review = inSurveillance ? c.reviewSchedule : nil
    try insertPatient.execute(
      runId, c.nhsNumber, c.status.rawValue, c.statusDate?.iso, groups,
      review?.due.iso, inSurveillance ? c.ionSchedule?.due.iso : nil,
      c.reviews.last?.eventDate.iso, lastTest?.eventDate.iso, lastTest?.cobaltMicrograms, lastTest?.chromiumMicrograms,
      orderedUnique(r.findings.map(\.code)).joined(separator: ";"),
      orderedUnique(r.flags.map(\.code)).joined(separator: ";"),
      lastTest?.cobaltComparator?.rawValue, lastTest?.chromiumComparator?.rawValue, review?.governing.id
      )
    let patientLevel = r.findings.contains { RunWriter.patientLevelCodes.contains($0.code) }
    for i in c.implants {
      let p = i.procedure
      let review = c.reviews.last { $0.eventDate >= i.date }
      let test = c.ionTests.last { $0.eventDate >= i.date }
      let imaging = c.imaging(covering: i.side).last { $0.eventDate >= i.date }
      let compliant = !patientLevel && !r.findings.contains { $0.procedureId == i.id }
      try insertImplant.execute(
        runId, i.id, c.nhsNumber, i.side.rawValue, i.date.iso, p.procedureType.rawValue, p.headDiameterMm,
        p.sex.rawValue, i.group?.rawValue, i.active, i.endedBy?.procedureId, c.status.rawValue,
        review?.eventDate.iso, test?.eventDate.iso, test?.cobaltMicrograms, test?.chromiumMicrograms,
        imaging?.eventDate.iso, imaging?.imagingFinding?.rawValue, compliant, p.trustCode, p.siteCode, p.consultantCode,
        test?.cobaltComparator?.rawValue, test?.chromiumComparator?.rawValue, i.basis.rawValue
      )
    }
    for f in r.findings {
      let evidence = try evidenceJSON(f.evidence)
      try insertFinding.execute(
        runId, f.nhsNumber, f.code, f.procedureId, f.side.rawValue, f.group.rawValue, f.due.iso, f.daysOverdue,
        f.lastDone?.iso, f.trustCode, f.siteCode, f.consultantCode, f.detail, evidence, f.expiredExceptionId
      )
    }
    for e in r.excepted {
      let f = e.finding
      let x = e.exception
      try insertExcepted.execute(
        runId, f.nhsNumber, f.code, f.procedureId, f.side.rawValue, f.group.rawValue, f.due.iso, f.daysOverdue,
        f.lastDone?.iso, f.trustCode, f.siteCode, f.consultantCode, f.detail, try evidenceJSON(f.evidence),
        x.exceptionId, x.reason.rawValue, x.recordedBy, x.reviewBy.iso
      )
    }
    for (x, state) in r.exceptionStates {
      try insertRunException.execute(
        runId, x.exceptionId, x.nhsNumber, x.finding.rawValue, x.procedureId, x.reason.rawValue, x.recordedBy,
        x.recordedOn.iso, x.reviewBy.iso, state.rawValue, c.status.rawValue
      )
    }
    for fl in r.flags {
      try insertFlag.execute(runId, c.nhsNumber, fl.code, fl.procedureId, fl.detail)
    }
  }
}

func orderedUnique(_ items: [String]) -> [String] {
  var seen = Set<String>()
  return items.filter { seen.insert($0).inserted }
}
