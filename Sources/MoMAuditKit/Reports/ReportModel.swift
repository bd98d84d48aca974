import Foundation
import GRDB

/// Everything the reports show about one check run, read from the database.
/// Renderers are pure functions of this model; every query has an ORDER BY.
package struct ReportModel: Sendable, Codable, Equatable {
  package struct Run: Sendable, Codable, Equatable {
    package var id: Int64
    package var asOf: String
    package var packName: String
    package var pack: RulePack
    package var localProtocol: Bool
    package var softwareVersion: String
    package var startedAt: String
    package var durationSeconds: Double
  }

  package struct SourceFile: Sendable, Codable, Equatable {
    package var id: Int64
    package var path: String
    package var format: String
    package var kind: String?
    package var status: String
    package var error: String?
    package var rowsRead: Int
    package var rowsAccepted: Int
    package var rowsRejected: Int
    package var recordsReplaced: Int
  }

  package struct FindingRow: Sendable, Codable, Equatable {
    package var nhsNumber: String
    package var finding: String
    package var procedureId: String
    package var side: String
    package var group: String
    package var dueDate: String
    package var daysOverdue: Int
    package var lastDone: String?
    package var trustCode: String?
    package var siteCode: String?
    package var consultantCode: String?
    package var detail: String
    package var evidence: [String]
  }

  package struct PatientRow: Sendable, Codable, Equatable {
    package var nhsNumber: String
    package var status: String
    package var groups: String
    package var nextReviewDue: String?
    package var nextIonsDue: String?
    package var lastReview: String?
    package var lastIonTest: String?
    package var lastCobalt: Double?
    package var lastChromium: Double?
    package var openFindings: String
    package var clinicalFlags: String
  }

  package struct ImplantRow: Sendable, Codable, Equatable {
    package var procedureId: String
    package var nhsNumber: String
    package var side: String
    package var procedureDate: String
    package var group: String?
    package var active: Bool
    package var status: String
    package var lastReview: String?
    package var lastIonTest: String?
    package var lastCobalt: Double?
    package var lastChromium: Double?
    package var lastImaging: String?
    package var lastImagingFinding: String?
    package var compliant: Bool
    package var siteCode: String?
    package var consultantCode: String?
  }

  package struct FlagRow: Sendable, Codable, Equatable {
    package var nhsNumber: String
    package var flag: String
    package var procedureId: String?
    package var detail: String
  }

  package struct RejectRow: Sendable, Codable, Equatable {
    package var file: String
    package var line: Int?
    package var location: String?
    package var recordKind: String?
    package var recordId: String?
    package var field: String?
    package var reasonCode: String
    package var reason: String
    package var raw: String
  }

  package struct WarningRow: Sendable, Codable, Equatable {
    package var code: String
    package var nhsNumber: String?
    package var recordKind: String?
    package var recordId: String?
    package var file: String?
    package var line: Int?
    package var detail: String
  }

  package var run: Run
  package var files: [SourceFile]
  package var findings: [FindingRow]
  package var patients: [PatientRow]
  package var implants: [ImplantRow]
  package var flags: [FlagRow]
  package var rejects: [RejectRow]
  package var warnings: [WarningRow]
  /// The run this one is compared with (section 7): by default the previous
  /// check run of the same database, or any run named with `--compare`.
  package var comparison: Comparison?

  package struct Comparison: Sendable, Codable, Equatable {
    package var run: Run
    package var findings: [FindingRow]
    package var figures: ReportFigures
  }

  package var previousRunId: Int64? { comparison?.run.id }
  package var previousFindings: [FindingRow]? { comparison?.findings }

  /// Whether the database holds a check run with this id.
  package static func runExists(_ db: Database, id: Int64) throws -> Bool {
    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM check_run WHERE id = ?)", arguments: [id]) ?? false
  }

  /// Loads a run (default: the latest) and the run it is compared with:
  /// `compareWith`, or else the previous run of the database, if any.
  package static func load(_ db: Database, runId: Int64?, compareWith: Int64? = nil) throws -> ReportModel? {
    guard var model = try loadRun(db, runId: runId) else { return nil }
    let otherId: Int64?
    if let compareWith {
      otherId = compareWith
    } else {
      otherId = try Int64.fetchOne(
        db, sql: "SELECT id FROM check_run WHERE id < ? ORDER BY id DESC LIMIT 1", arguments: [model.run.id])
    }
    if let otherId, otherId != model.run.id, let other = try loadRun(db, runId: otherId) {
      model.comparison = Comparison(run: other.run, findings: other.findings, figures: ReportFigures(other))
    }
    return model
  }

  static func loadRun(_ db: Database, runId: Int64?) throws -> ReportModel? {
    let runRow: Row?
    if let runId {
      runRow = try Row.fetchOne(db, sql: "SELECT * FROM check_run WHERE id = ?", arguments: [runId])
    } else {
      runRow = try Row.fetchOne(db, sql: "SELECT * FROM check_run ORDER BY id DESC LIMIT 1")
    }
    guard let r = runRow else { return nil }
    let packJSON: String = r["pack_json"]
    let pack = try JSONDecoder().decode(RulePack.self, from: Data(packJSON.utf8))
    let run = Run(
      id: r["id"], asOf: r["as_of"], packName: r["pack_name"], pack: pack, localProtocol: r["local_protocol"],
      softwareVersion: r["software_version"], startedAt: r["started_at"], durationSeconds: r["duration_seconds"])
    let files = try Row.fetchAll(db, sql: "SELECT * FROM source_file ORDER BY id").map {
      SourceFile(
        id: $0["id"], path: $0["path"], format: $0["format"], kind: $0["kind"], status: $0["status"], error: $0["error"],
        rowsRead: $0["rows_read"], rowsAccepted: $0["rows_accepted"], rowsRejected: $0["rows_rejected"],
        recordsReplaced: $0["records_replaced"])
    }
    let findings = try findingRows(db, runId: run.id)
    let patients = try Row.fetchAll(
      db, sql: "SELECT * FROM run_patient WHERE check_run_id = ? ORDER BY nhs_number", arguments: [run.id]
    ).map {
      PatientRow(
        nhsNumber: $0["nhs_number"], status: $0["status"], groups: $0["groups"], nextReviewDue: $0["next_review_due"],
        nextIonsDue: $0["next_ions_due"], lastReview: $0["last_review"], lastIonTest: $0["last_ion_test"],
        lastCobalt: $0["last_cobalt_ug_l"], lastChromium: $0["last_chromium_ug_l"], openFindings: $0["open_findings"],
        clinicalFlags: $0["clinical_flags"])
    }
    let implants = try Row.fetchAll(
      db, sql: "SELECT * FROM run_implant WHERE check_run_id = ? ORDER BY procedure_id", arguments: [run.id]
    ).map {
      ImplantRow(
        procedureId: $0["procedure_id"], nhsNumber: $0["nhs_number"], side: $0["side"],
        procedureDate: $0["procedure_date"], group: $0["surveillance_group"], active: $0["active"], status: $0["status"],
        lastReview: $0["last_review"], lastIonTest: $0["last_ion_test"], lastCobalt: $0["last_cobalt_ug_l"],
        lastChromium: $0["last_chromium_ug_l"], lastImaging: $0["last_imaging"],
        lastImagingFinding: $0["last_imaging_finding"], compliant: $0["compliant"], siteCode: $0["site_code"],
        consultantCode: $0["consultant_code"])
    }
    let flags = try Row.fetchAll(
      db, sql: "SELECT * FROM clinical_flag WHERE check_run_id = ? ORDER BY nhs_number, flag, procedure_id, id",
      arguments: [run.id]
    ).map { FlagRow(nhsNumber: $0["nhs_number"], flag: $0["flag"], procedureId: $0["procedure_id"], detail: $0["detail"]) }
    let rejects = try Row.fetchAll(
      db,
      sql: """
        SELECT s.path, r.* FROM reject r JOIN source_file s ON s.id = r.source_file_id
        ORDER BY r.source_file_id, r.line, r.id
        """
    ).map {
      RejectRow(
        file: $0["path"], line: $0["line"], location: $0["location"], recordKind: $0["record_kind"],
        recordId: $0["record_id"], field: $0["field"], reasonCode: $0["reason_code"], reason: $0["reason"], raw: $0["raw"])
    }
    // Ingest warnings of records still loaded, then this run's warnings.
    let warnings = try Row.fetchAll(
      db,
      sql: """
        SELECT w.code, w.nhs_number, w.record_kind, w.record_id, s.path, w.line, w.detail, 0 AS part, w.id
          FROM warning w LEFT JOIN source_file s ON s.id = w.source_file_id WHERE w.check_run_id IS NULL
        UNION ALL
        SELECT w.code, w.nhs_number, w.record_kind, w.record_id,
          COALESCE(sp.path, se.path), COALESCE(p.source_line, e.source_line), w.detail, 1 AS part, w.id
          FROM warning w
          LEFT JOIN procedure p ON w.record_kind = 'procedure' AND p.procedure_id = w.record_id
          LEFT JOIN source_file sp ON sp.id = p.source_file_id
          LEFT JOIN event e ON w.record_kind = 'event' AND e.event_id = w.record_id
          LEFT JOIN source_file se ON se.id = e.source_file_id
          WHERE w.check_run_id = ?
        ORDER BY 8, 1, 2, 4, 9
        """, arguments: [run.id]
    ).map {
      WarningRow(
        code: $0[0], nhsNumber: $0[1], recordKind: $0[2], recordId: $0[3], file: $0[4], line: $0[5], detail: $0[6])
    }
    return ReportModel(
      run: run, files: files, findings: findings, patients: patients, implants: implants, flags: flags,
      rejects: rejects, warnings: warnings, comparison: nil)
  }

  /// Sorted as outputs.md says: days_overdue descending, then nhs_number,
  /// finding and procedure_id in text order.
  static func findingRows(_ db: Database, runId: Int64) throws -> [FindingRow] {
    try Row.fetchAll(
      db,
      sql: """
        SELECT * FROM finding WHERE check_run_id = ?
        ORDER BY days_overdue DESC, nhs_number, finding, procedure_id, id
        """, arguments: [runId]
    ).map {
      let evidence: String = $0["evidence"]
      return FindingRow(
        nhsNumber: $0["nhs_number"], finding: $0["finding"], procedureId: $0["procedure_id"], side: $0["side"],
        group: $0["surveillance_group"], dueDate: $0["due_date"], daysOverdue: $0["days_overdue"],
        lastDone: $0["last_done"], trustCode: $0["trust_code"], siteCode: $0["site_code"],
        consultantCode: $0["consultant_code"], detail: $0["detail"],
        evidence: (try? JSONDecoder().decode([String].self, from: Data(evidence.utf8))) ?? [])
    }
  }
}
