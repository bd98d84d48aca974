import Foundation

/// The CSV files of the report folder (outputs.md): a header and one
/// function per file turning a row into its cells. `Reporter` streams them
/// from the database row by row; the functions taking a model build the
/// same text in memory.
package enum CSVReports {
  package static let findingsHeader = [
    "nhs_number", "finding", "procedure_id", "side", "group", "due_date", "days_overdue", "last_done", "trust_code",
    "site_code", "consultant_code", "detail",
  ]
  /// findings.csv's columns, then the exception's (outputs.md).
  package static let exceptedHeader = findingsHeader + ["exception_id", "reason", "recorded_by", "review_by"]
  package static let patientsHeader = [
    "nhs_number", "status", "groups", "next_review_due", "next_ions_due", "last_review", "last_ion_test",
    "last_cobalt_ug_l", "last_chromium_ug_l", "open_findings", "clinical_flags",
  ]
  package static let submissionHeader = [
    "procedure_id", "nhs_number", "side", "procedure_date", "group", "active", "status", "last_review",
    "last_ion_test", "last_cobalt_ug_l", "last_chromium_ug_l", "last_imaging", "last_imaging_finding", "compliant",
  ]
  package static let rejectsHeader = [
    "file", "line", "location", "record_kind", "record_id", "field", "reason_code", "reason", "raw",
  ]
  package static let withdrawnHeader = [
    "record_kind", "record_id", "nhs_number", "source", "withdrawn_by_file", "withdrawn_at",
  ]
  package static let warningsHeader = ["code", "nhs_number", "record_kind", "record_id", "file", "line", "detail"]

  static func cells(_ f: ReportModel.FindingRow) -> [String?] {
    [
      f.nhsNumber, f.finding, f.procedureId, f.side, f.group, f.dueDate, String(f.daysOverdue), f.lastDone,
      f.trustCode, f.siteCode, f.consultantCode, f.detail,
    ]
  }

  static func cells(_ x: ReportModel.ExceptedRow) -> [String?] {
    cells(x.finding) + [x.exceptionId, x.reason, x.recordedBy, x.reviewBy]
  }

  static func cells(_ p: ReportModel.PatientRow) -> [String?] {
    [
      p.nhsNumber, p.status, p.groups, p.nextReviewDue, p.nextIonsDue, p.lastReview, p.lastIonTest,
      p.lastCobalt, p.lastChromium, p.openFindings, p.clinicalFlags,
    ]
  }

  /// `pseudonym` replaces the NHS number (HMAC-SHA256) when given.
  static func cells(_ i: ReportModel.ImplantRow, pseudonym: ((String) -> String)?) -> [String?] {
    [
      i.procedureId, pseudonym?(i.nhsNumber) ?? i.nhsNumber, i.side, i.procedureDate, i.group,
      i.active ? "true" : "false", i.status, i.lastReview, i.lastIonTest, i.lastCobalt,
      i.lastChromium, i.lastImaging, i.lastImagingFinding, i.compliant ? "true" : "false",
    ]
  }

  static func cells(_ r: ReportModel.RejectRow) -> [String?] {
    [r.file, r.line.map(String.init), r.location, r.recordKind, r.recordId, r.field, r.reasonCode, r.reason, r.raw]
  }

  static func cells(_ w: ReportModel.WithdrawnRow) -> [String?] {
    [w.recordKind, w.recordId, w.nhsNumber, w.source, w.withdrawnByFile, w.withdrawnAt]
  }

  static func cells(_ x: ReportModel.WarningRow) -> [String?] {
    [x.code, x.nhsNumber, x.recordKind, x.recordId, x.file, x.line.map(String.init), x.detail]
  }

  static func text<T>(_ header: [String], _ rows: [T], _ cells: (T) -> [String?]) -> String {
    var w = CSVWriter(header: header)
    for r in rows { w.appendRow(cells(r)) }
    return w.text
  }

  package static func findings(_ m: ReportModel) -> String { text(findingsHeader, m.findings, cells) }

  package static func patients(_ m: ReportModel) -> String { text(patientsHeader, m.patients, cells) }

  package static func excepted(_ m: ReportModel) -> String { text(exceptedHeader, m.excepted, cells) }

  /// `pseudonym` replaces the NHS number (HMAC-SHA256) when given.
  package static func submission(_ m: ReportModel, pseudonym: ((String) -> String)? = nil) -> String {
    text(submissionHeader, m.implants) { cells($0, pseudonym: pseudonym) }
  }

  package static func rejects(_ m: ReportModel) -> String { text(rejectsHeader, m.rejects, cells) }

  package static func warnings(_ m: ReportModel) -> String { text(warningsHeader, m.warnings, cells) }

  package static func withdrawn(_ m: ReportModel) -> String { text(withdrawnHeader, m.withdrawn, cells) }

  /// Full precision, shortest form (the value the rule compared).
  static func number(_ v: Double) -> String { formatNumber(v) }
}
