import Foundation

/// The CSV and JSON files of the report folder (outputs.md).
package enum CSVReports {
  package static let findingsHeader = [
    "nhs_number", "finding", "procedure_id", "side", "group", "due_date", "days_overdue", "last_done", "trust_code",
    "site_code", "consultant_code", "detail",
  ]

  package static func findings(_ m: ReportModel) -> String {
    var w = CSVWriter(header: findingsHeader)
    for f in m.findings {
      w.appendRow([
        f.nhsNumber, f.finding, f.procedureId, f.side, f.group, f.dueDate, String(f.daysOverdue), f.lastDone,
        f.trustCode, f.siteCode, f.consultantCode, f.detail,
      ])
    }
    return w.text
  }

  package static func patients(_ m: ReportModel) -> String {
    var w = CSVWriter(header: [
      "nhs_number", "status", "groups", "next_review_due", "next_ions_due", "last_review", "last_ion_test",
      "last_cobalt_ug_l", "last_chromium_ug_l", "open_findings", "clinical_flags",
    ])
    for p in m.patients {
      w.appendRow([
        p.nhsNumber, p.status, p.groups, p.nextReviewDue, p.nextIonsDue, p.lastReview, p.lastIonTest,
        p.lastCobalt.map(number), p.lastChromium.map(number), p.openFindings, p.clinicalFlags,
      ])
    }
    return w.text
  }

  /// `pseudonym` replaces the NHS number (HMAC-SHA256) when given.
  package static func submission(_ m: ReportModel, pseudonym: ((String) -> String)? = nil) -> String {
    var w = CSVWriter(header: [
      "procedure_id", "nhs_number", "side", "procedure_date", "group", "active", "status", "last_review",
      "last_ion_test", "last_cobalt_ug_l", "last_chromium_ug_l", "last_imaging", "last_imaging_finding", "compliant",
    ])
    for i in m.implants {
      w.appendRow([
        i.procedureId, pseudonym?(i.nhsNumber) ?? i.nhsNumber, i.side, i.procedureDate, i.group,
        i.active ? "true" : "false", i.status, i.lastReview, i.lastIonTest, i.lastCobalt.map(number),
        i.lastChromium.map(number), i.lastImaging, i.lastImagingFinding, i.compliant ? "true" : "false",
      ])
    }
    return w.text
  }

  package static func rejects(_ m: ReportModel) -> String {
    var w = CSVWriter(header: ["file", "line", "location", "record_kind", "record_id", "field", "reason_code", "reason", "raw"])
    for r in m.rejects {
      w.appendRow([r.file, r.line.map(String.init), r.location, r.recordKind, r.recordId, r.field, r.reasonCode, r.reason, r.raw])
    }
    return w.text
  }

  package static func warnings(_ m: ReportModel) -> String {
    var w = CSVWriter(header: ["code", "nhs_number", "record_kind", "record_id", "file", "line", "detail"])
    for x in m.warnings {
      w.appendRow([x.code, x.nhsNumber, x.recordKind, x.recordId, x.file, x.line.map(String.init), x.detail])
    }
    return w.text
  }

  /// Full precision, shortest form (the value the rule compared).
  static func number(_ v: Double) -> String { formatNumber(v) }
}
