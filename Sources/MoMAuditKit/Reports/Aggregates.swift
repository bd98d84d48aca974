/// aggregates.csv: every aggregate figure of the run in one long table, the
/// file meant to leave the trust. With small-number suppression (the NHS
/// Digital rule for published statistics) a count of 1 to 7 is shown as `*`
/// and any other count is rounded to the nearest 5; 0 stays 0.
package enum Aggregates {
  package static let header = ["as_of", "table", "key", "measure", "value"]

  /// One aggregate figure.
  package struct Figure: Sendable, Equatable {
    package var table: String
    package var key: String
    package var measure: String
    package var value: Int
  }

  /// The NHS Digital rule: 0 stays 0, 1–7 become `*`, the rest round to the nearest 5.
  package static func suppressed(_ count: Int) -> String {
    if count == 0 { return "0" }
    if (1...7).contains(count) { return "*" }
    let down = count / 5 * 5
    return String(count - down >= 3 ? down + 5 : down)
  }

  package static func figures(_ f: ReportFigures) -> [Figure] {
    var out: [Figure] = []
    func add(_ table: String, _ key: String, _ measure: String, _ value: Int) {
      out.append(Figure(table: table, key: key, measure: measure, value: value))
    }
    add("cohort", "mom_patients", "patients", f.momPatients)
    add("cohort", "mom_implants", "implants", f.momImplants)
    add("cohort", "active_implants", "implants", f.activeImplants)
    add("cohort", "in_surveillance", "patients", f.inSurveillance)
    add("cohort", "with_findings", "patients", f.patientsWithFindings)
    add("cohort", "findings", "findings", f.findings)
    for c in f.exclusions { add("exclusion", c.key, "patients", c.count) }
    for c in f.inSurveillanceByGroup { add("surveillance_group", c.key, "patients", c.count) }
    for r in f.requirements {
      add("requirement", r.finding, "in_scope_\(r.unit)", r.inScope)
      add("requirement", r.finding, "overdue_\(r.unit)", r.overdue)
      add("requirement", r.finding, "findings", r.findings)
    }
    for c in f.overdueBands { add("overdue_band", c.key, "findings", c.count) }
    for (table, rows) in [("site", f.sites), ("consultant", f.consultants)] {
      for b in rows {
        add(table, b.key, "patients_in_surveillance", b.patientsInSurveillance)
        add(table, b.key, "patients_overdue", b.patientsOverdue)
        add(table, b.key, "findings", b.findings)
      }
    }
    for c in f.clinicalFlags { add("clinical_flag", c.key, "flags", c.count) }
    for c in f.rejectsByReason { add("reject_reason", c.key, "rows", c.count) }
    for c in f.warningsByCode { add("warning_code", c.key, "warnings", c.count) }
    return out
  }

  package static func csv(_ f: ReportFigures, suppress: Bool) -> String {
    var w = CSVWriter(header: header)
    for x in figures(f) {
      w.appendRow([f.asOf, x.table, x.key, x.measure, suppress ? suppressed(x.value) : String(x.value)])
    }
    return w.text
  }
}
