import Foundation
import GRDB

// The report's queries, one per row type, each with its ORDER BY. Cursors
// let the report stage stream a file row by row (bounded memory at national
// scale); `ReportModel.load` collects the same cursors into arrays.

extension ReportModel.Run {
  /// The run `id`, or the latest run when `id` is nil.
  static func fetch(_ db: Database, id: Int64?) throws -> Self? {
    let row: Row?
    if let id {
      row = try Row.fetchOne(db, sql: "SELECT * FROM check_run WHERE id = ?", arguments: [id])
    } else {
      row = try Row.fetchOne(db, sql: "SELECT * FROM check_run ORDER BY id DESC LIMIT 1")
    }
    guard let r = row else { return nil }
    let packJSON: String = r["pack_json"]
    let pack = try JSONDecoder().decode(RulePack.self, from: Data(packJSON.utf8))
    return Self(
      id: r["id"], asOf: r["as_of"], packName: r["pack_name"], pack: pack, localProtocol: r["local_protocol"],
      softwareVersion: r["software_version"], startedAt: r["started_at"], durationSeconds: r["duration_seconds"],
      lastSourceFileId: r["last_source_file_id"])
  }
}

extension ReportModel.SourceFile {
  static func fetchAll(_ db: Database) throws -> [Self] {
    var skips: [Int64: [ReportFigures.Count]] = [:]
    for r in try Row.fetchAll(db, sql: "SELECT source_file_id, rule, rows FROM file_skip ORDER BY source_file_id, rule") {
      skips[r[0], default: []].append(ReportFigures.Count(key: r[1], count: r[2]))
    }
    return try Row.fetchAll(db, sql: "SELECT * FROM source_file WHERE superseded_by IS NULL ORDER BY id").map {
      Self(
        id: $0["id"], path: $0["path"], source: $0["source"], format: $0["format"], kind: $0["kind"], status: $0["status"], error: $0["error"],
        rowsRead: $0["rows_read"], rowsAccepted: $0["rows_accepted"], rowsRejected: $0["rows_rejected"],
        rowsSkipped: $0["rows_skipped"], skips: skips[$0["id"]] ?? [], recordsReplaced: $0["records_replaced"],
        cumulative: $0["cumulative"], recordsAdded: $0["records_added"], recordsUnchanged: $0["records_unchanged"],
        recordsWithdrawn: $0["records_withdrawn"])
    }
  }

  /// Files of cumulative sources superseded by a later delivery (sources.md §3).
  static func supersededCount(_ db: Database) throws -> Int {
    try Int.fetchOne(db, sql: "SELECT count(*) FROM source_file WHERE superseded_by IS NOT NULL") ?? 0
  }
}

extension ReportModel.WithdrawnRow {
  /// The records still withdrawn, by deliveries after file `since` (every
  /// one when nil), by kind and id. The partial indexes on `withdrawn_by`
  /// hold only withdrawn records, so this reads no more than them.
  static func fetchCursor(_ db: Database, since: Int64?) throws -> some Cursor<Self> {
    let parts = RecordKind.allCases.map { k in
      """
      SELECT '\(k.rawValue)' AS record_kind, t.\(k.idColumn) AS record_id, t.nhs_number AS nhs_number,
        s.source AS source, w.path AS withdrawn_by_file, w.ingested_at AS withdrawn_at
      FROM \(k.table) t JOIN source_file s ON s.id = t.source_file_id JOIN source_file w ON w.id = t.withdrawn_by
      WHERE t.withdrawn_by > ?
      """
    }
    let since = since ?? 0
    return try Row.fetchCursor(
      db, sql: parts.joined(separator: "\nUNION ALL\n") + "\nORDER BY record_kind, record_id",
      arguments: StatementArguments(Array(repeating: since, count: parts.count))
    ).map {
      Self(
        recordKind: $0["record_kind"], recordId: $0["record_id"], nhsNumber: $0["nhs_number"], source: $0["source"],
        withdrawnByFile: $0["withdrawn_by_file"], withdrawnAt: $0["withdrawn_at"])
    }
  }
}

extension ReportModel.FindingRow {
  /// outputs.md's order: days_overdue descending, then nhs_number, finding
  /// and procedure_id in text order.
  static let order = "days_overdue DESC, nhs_number, finding, procedure_id, id"

  /// `evidence: false` leaves the "why" list empty (findings.csv has no
  /// column for it; decoding its JSON was a third of the report stage).
  init(row: Row, evidence decode: Bool = true) {
    // Nothing decoded when nothing is wanted: findings.csv used to decode
    // "[]" with a new JSONDecoder for every row (issue 14).
    let evidence: [String] =
      decode ? (try? JSONDecoder().decode([String].self, from: Data((row["evidence"] as String).utf8))) ?? [] : []
    self.init(
      nhsNumber: row["nhs_number"], finding: row["finding"], procedureId: row["procedure_id"], side: row["side"],
      group: row["surveillance_group"], dueDate: row["due_date"], daysOverdue: row["days_overdue"],
      lastDone: row["last_done"], trustCode: row["trust_code"], siteCode: row["site_code"],
      consultantCode: row["consultant_code"], detail: row["detail"],
      evidence: evidence,
      expiredExceptionId: row["expired_exception_id"])
  }

  /// Every finding of a run, or the first `limit`; without their evidence
  /// when `evidence` is false.
  static func fetchCursor(_ db: Database, runId: Int64, limit: Int? = nil, evidence: Bool = true) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db, sql: "SELECT * FROM finding WHERE check_run_id = ? ORDER BY \(order) LIMIT ?",
      arguments: [runId, limit ?? -1]
    ).map { Self(row: $0, evidence: evidence) }
  }
}

extension ReportModel.ExceptedRow {
  /// Every excepted finding of a run, in findings.csv's order.
  static func fetchCursor(_ db: Database, runId: Int64, evidence: Bool = true) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db, sql: "SELECT * FROM excepted_finding WHERE check_run_id = ? ORDER BY \(ReportModel.FindingRow.order)",
      arguments: [runId]
    ).map {
      Self(
        finding: ReportModel.FindingRow(row: $0, evidence: evidence), exceptionId: $0["exception_id"],
        reason: $0["reason"], recordedBy: $0["recorded_by"], reviewBy: $0["review_by"])
    }
  }
}

extension ReportModel.ExceptionRow {
  /// Days after the as-of date within which an exception in force is due for review (surveillance-rules.md §8).
  package static let reviewWindowDays = 30

  /// The run's exceptions, by id.
  static func fetchCursor(_ db: Database, runId: Int64) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db, sql: "SELECT * FROM run_exception WHERE check_run_id = ? ORDER BY exception_id", arguments: [runId]
    ).map(Self.init(row:))
  }

  /// Those in force for a patient in surveillance whose `review_by` is at
  /// most 30 days after the as-of date, by `review_by` then id; `limit`: the first that many.
  static func fetchDueForReview(_ db: Database, runId: Int64, asOf: String, limit: Int?) throws -> [Self] {
    try Row.fetchAll(db, sql: dueForReviewSQL, arguments: dueForReviewArguments(runId: runId, asOf: asOf, limit: limit))
      .map(Self.init(row:))
  }

  static let dueForReviewSQL = """
    SELECT * FROM run_exception
    WHERE check_run_id = ? AND state = 'in_force' AND patient_status = 'in_surveillance' AND review_by <= ?
    ORDER BY review_by, exception_id LIMIT ?
    """

  static func dueForReviewArguments(runId: Int64, asOf: String, limit: Int?) -> StatementArguments {
    [runId, LocalDate(iso: asOf)?.addingDays(reviewWindowDays).iso ?? asOf, limit ?? -1]
  }

  init(row: Row) {
    self.init(
      exceptionId: row["exception_id"], nhsNumber: row["nhs_number"], finding: row["finding"],
      procedureId: row["procedure_id"], reason: row["reason"], recordedBy: row["recorded_by"],
      recordedOn: row["recorded_on"], reviewBy: row["review_by"], state: row["state"],
      patientStatus: row["patient_status"])
  }

  /// In force for a patient in surveillance, review due within 30 days after `asOf`.
  package func dueForReview(asOf: String) -> Bool {
    guard state == ExceptionPolicy.State.inForce.rawValue, patientStatus == PatientStatus.inSurveillance.rawValue,
      let d = LocalDate(iso: asOf)
    else { return false }
    return reviewBy <= d.addingDays(Self.reviewWindowDays).iso
  }
}

extension ReportModel.PatientRow {
  static func fetchCursor(_ db: Database, runId: Int64) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db, sql: "SELECT * FROM run_patient WHERE check_run_id = ? ORDER BY nhs_number", arguments: [runId]
    ).map {
      Self(
        nhsNumber: $0["nhs_number"], status: $0["status"], groups: $0["groups"], nextReviewDue: $0["next_review_due"],
        nextIonsDue: $0["next_ions_due"], lastReview: $0["last_review"], lastIonTest: $0["last_ion_test"],
        lastCobalt: labText($0, "cobalt"), lastChromium: labText($0, "chromium"), openFindings: $0["open_findings"],
        clinicalFlags: $0["clinical_flags"], reviewProcedureId: $0["review_procedure_id"])
    }
  }
}

/// `last_<metal>_ug_l` with its comparator in front (`<0.5`), as the CSVs show it.
private func labText(_ row: Row, _ metal: String) -> String? {
  guard let v: Double = row["last_\(metal)_ug_l"] else { return nil }
  return LabValue((row["last_\(metal)_comparator"] as String?).flatMap(LabComparator.init(rawValue:)), v).text
}

extension ReportModel.ImplantRow {
  static func fetchCursor(_ db: Database, runId: Int64) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db, sql: "SELECT * FROM run_implant WHERE check_run_id = ? ORDER BY procedure_id", arguments: [runId]
    ).map {
      Self(
        procedureId: $0["procedure_id"], nhsNumber: $0["nhs_number"], side: $0["side"],
        procedureDate: $0["procedure_date"], group: $0["surveillance_group"], active: $0["active"], status: $0["status"],
        lastReview: $0["last_review"], lastIonTest: $0["last_ion_test"], lastCobalt: labText($0, "cobalt"),
        lastChromium: labText($0, "chromium"), lastImaging: $0["last_imaging"],
        lastImagingFinding: $0["last_imaging_finding"], compliant: $0["compliant"], momBasis: $0["mom_basis"], siteCode: $0["site_code"],
        consultantCode: $0["consultant_code"], trustCode: $0["trust_code"])
    }
  }
}

extension ReportModel.FlagRow {
  /// Every flag of a run, or the first `limit`, by NHS number.
  static func fetchCursor(_ db: Database, runId: Int64, limit: Int? = nil) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db, sql: "SELECT * FROM clinical_flag WHERE check_run_id = ? ORDER BY nhs_number, flag, procedure_id, id LIMIT ?",
      arguments: [runId, limit ?? -1]
    ).map { Self(nhsNumber: $0["nhs_number"], flag: $0["flag"], procedureId: $0["procedure_id"], detail: $0["detail"]) }
  }
}

extension ReportModel.RejectRow {
  /// Every reject of the current files (sources.md §3: a cumulative
  /// source's superseded files are left out) by file and line; with `examples`, only
  /// the first that many of each reason (in the same order).
  static func fetchCursor(_ db: Database, examples: Int? = nil) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db,
      sql: """
        SELECT * FROM (
          SELECT s.path, r.*,
            ROW_NUMBER() OVER (PARTITION BY r.reason_code ORDER BY r.source_file_id, r.line, r.id) AS example
          FROM reject r JOIN source_file s ON s.id = r.source_file_id WHERE s.superseded_by IS NULL)
        WHERE example <= ?
        ORDER BY source_file_id, line, id
        """, arguments: [examples ?? Int.max]
    ).map {
      Self(
        file: $0["path"], line: $0["line"], location: $0["location"], recordKind: $0["record_kind"],
        recordId: $0["record_id"], field: $0["field"], reasonCode: $0["reason_code"], reason: $0["reason"], raw: $0["raw"])
    }
  }
}

extension ReportModel.WarningRow {
  /// The ingest warnings of records still loaded, then the run's warnings;
  /// with `examples`, only the first that many of each code (in the same order).
  static func fetchCursor(_ db: Database, runId: Int64, examples: Int? = nil) throws -> some Cursor<Self> {
    try Row.fetchCursor(
      db,
      sql: """
        SELECT * FROM (
          SELECT *, ROW_NUMBER() OVER (PARTITION BY code ORDER BY part, nhs_number, record_id, id) AS example FROM (
            SELECT w.code AS code, w.nhs_number AS nhs_number, w.record_kind AS record_kind, w.record_id AS record_id,
              s.path AS path, w.line AS line, w.detail AS detail, 0 AS part, w.id AS id
              FROM warning w LEFT JOIN source_file s ON s.id = w.source_file_id WHERE w.check_run_id IS NULL
            UNION ALL
            SELECT w.code, w.nhs_number, w.record_kind, w.record_id,
              COALESCE(sp.path, se.path, sr.path, sx.path),
              COALESCE(p.source_line, e.source_line, r.source_line, x.source_line), w.detail, 1,
              w.id
              FROM warning w
              LEFT JOIN procedure p ON w.record_kind = 'procedure' AND p.procedure_id = w.record_id
              LEFT JOIN source_file sp ON sp.id = p.source_file_id
              LEFT JOIN event e ON w.record_kind = 'event' AND e.event_id = w.record_id
              LEFT JOIN source_file se ON se.id = e.source_file_id
              LEFT JOIN result r ON w.record_kind = 'result' AND r.result_id = w.record_id
              LEFT JOIN source_file sr ON sr.id = r.source_file_id
              LEFT JOIN exception x ON w.record_kind = 'exception' AND x.exception_id = w.record_id
              LEFT JOIN source_file sx ON sx.id = x.source_file_id
              WHERE w.check_run_id = ?))
        WHERE example <= ?
        ORDER BY part, code, nhs_number, record_id, id
        """, arguments: [runId, examples ?? Int.max]
    ).map {
      Self(
        code: $0["code"], nhsNumber: $0["nhs_number"], recordKind: $0["record_kind"], recordId: $0["record_id"],
        file: $0["path"], line: $0["line"], detail: $0["detail"])
    }
  }
}
