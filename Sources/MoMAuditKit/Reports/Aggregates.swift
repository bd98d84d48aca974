/// aggregates.csv: every aggregate figure of the run in one long table, the
/// file meant to leave the trust. With small-number suppression (the NHS
/// Digital rule for published statistics) a count of 1 to 7 is shown as `*`
/// and any other count is rounded to the nearest 5; 0 stays 0. A decimal
/// derived from counts (a proportion, a rate) is `*`, since it would give the
/// exact counts back; a funnel-plot limit (a function of n and the target)
/// is `*` when its n is 1 to 7; statuses are kept.
package enum Aggregates {
  package static let header = ["as_of", "table", "key", "measure", "value"]

  /// One aggregate figure.
  package struct Figure: Sendable, Equatable {
    package var table: String
    package var key: String
    package var measure: String
    package var value: Value
  }

  package enum Value: Sendable, Equatable {
    /// A count (suppressed by the rule).
    case count(Int)
    /// A decimal derived from counts (`*` when suppressed).
    case derived(Double)
    /// A control limit at n (`*` when suppressed and n is 1 to 7: the limits give n away).
    case limit(Double, n: Int)
    /// A word (a funnel-plot status).
    case text(String)

    func text(suppress: Bool) -> String {
      switch self {
      case .count(let n): return suppress ? suppressed(n) : String(n)
      case .derived(let v): return suppress ? "*" : Aggregates.decimal(v)
      case .limit(let v, let n): return suppress && (1...7).contains(n) ? "*" : Aggregates.decimal(v)
      case .text(let s): return s
      }
    }
  }

  /// Six decimal places (outputs.md, aggregates.csv).
  package static func decimal(_ v: Double) -> String {
    let s = String(format: "%.6f", v)
    return s == "-0.000000" ? "0.000000" : s
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
      out.append(Figure(table: table, key: key, measure: measure, value: .count(value)))
    }
    func add(_ table: String, _ key: String, _ measure: String, _ value: Value) {
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
      add("requirement", r.finding, "excepted_\(r.unit)", r.excepted)
      add("requirement", r.finding, "excepted_findings", r.exceptedFindings)
      if let rate = r.exceptionRate { add("requirement", r.finding, "exception_rate", .derived(rate)) }
      if let c = r.compliance { add("requirement", r.finding, "compliance", .derived(c)) }
    }
    add("cohort", "excepted", "findings", f.excepted)
    for c in f.exceptedByReason { add("exception_reason", c.key, "excepted_findings", c.count) }
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
    for p in f.trend {
      add("trend", p.asOf, "patients_in_surveillance", p.inSurveillance)
      add("trend", p.asOf, "patients_with_findings", p.patientsWithFindings)
      for c in p.byRequirement { add("trend", p.asOf, "patients_with_\(c.key)", c.count) }
    }
    for c in f.unitComparisons {
      let table = "funnel_\(c.kind)"
      for u in c.units {
        add(table, u.key, "n", u.n)
        add(table, u.key, "r", u.r)
        add(table, u.key, "proportion", .derived(u.proportion))
        add(table, u.key, "lower_998", .limit(u.lower998, n: u.n))
        add(table, u.key, "lower_95", .limit(u.lower95, n: u.n))
        add(table, u.key, "upper_95", .limit(u.upper95, n: u.n))
        add(table, u.key, "upper_998", .limit(u.upper998, n: u.n))
        add(table, u.key, "status", .text(u.status))
      }
    }
    return out
  }

  package static func csv(_ f: ReportFigures, suppress: Bool) -> String {
    var w = CSVWriter(header: header)
    for x in figures(f) {
      w.appendRow([f.asOf, x.table, x.key, x.measure, x.value.text(suppress: suppress)])
    }
    return w.text
  }
}
