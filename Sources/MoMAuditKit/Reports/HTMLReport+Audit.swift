/// report.html sections 8–10 (outputs.md): clinicians' exceptions, the
/// trend across check runs, and the comparison of units by funnel plots.
extension HTMLReport {
  /// Units listed in full on the page; longer lists stay in aggregates.csv.
  static let unitTableLimit = 100

  static func exceptions(_ m: Page, _ f: ReportFigures) -> String {
    var h = "<section id=\"exceptions\" aria-labelledby=\"exceptions-h\"><h2 id=\"exceptions-h\">8. Exceptions</h2>\n"
    h += "<p>A clinician may record that a requirement does not apply to a patient (or to one implant) until a review date: the test or scan is unsuitable, the patient chose not to have it after discussion, or an individual plan is documented. A finding such an exception covers on the as-of date is <strong>excepted</strong>: it is not a missed follow-up, is not in the recall worklist or findings.csv, and is listed in excepted.csv with its exception. An exception may run at most \(formatNumber(m.run.pack.parameter(.exceptionMaxMonths)?.value ?? 12)) months (<span class=\"code\">exception_<wbr>max_<wbr>months</span>); a longer one never applies (warning EXCEPTION_TOO_LONG).</p>\n"
    h += "<p>\(f.excepted) finding\(f.excepted == 1 ? "" : "s") excepted; \(f.exceptionsDueForReview) exception\(f.exceptionsDueForReview == 1 ? "" : "s") due for review within \(ReportModel.ExceptionRow.reviewWindowDays) days; \(f.findingsWithExpiredException) finding\(f.findingsWithExpiredException == 1 ? "" : "s") back after their exceptions expired.</p>\n"
    h += "<div class=\"pair\">"
    h += table(
      caption: "Excepted findings by reason", headers: ["Reason", "Findings"],
      rows: f.exceptedByReason.map { [Cell(words($0.key)), .num($0.count)] }, rowHeaders: true)
    h += table(
      caption: "Excepted findings by requirement", headers: ["Requirement", "Finding code", "Findings", "Excepted"],
      rows: f.requirements.map {
        [Cell($0.title), Cell($0.finding, code: true), .num($0.exceptedFindings), Cell("\($0.excepted) \($0.unit)", sortKey: String($0.excepted), numeric: true)]
      }, rowHeaders: true)
    h += "</div>\n"
    let reviewEnd = LocalDate(iso: m.run.asOf)?.addingDays(ReportModel.ExceptionRow.reviewWindowDays).iso ?? m.run.asOf
    if f.exceptionsDueForReview > m.dueForReview.count {
      h += "<p class=\"notice\"><strong>Only the first \(m.dueForReview.count) of \(f.exceptionsDueForReview) exceptions due for review are listed</strong> (earliest review first).</p>\n"
    }
    h += table(
      caption: "Exceptions due for review by \(human(reviewEnd)) (\(f.exceptionsDueForReview))",
      headers: ["NHS number", "Exception", "Applies to", "Implant", "Reason", "Recorded by", "Recorded", "Review by"],
      rows: m.dueForReview.map {
        [
          Cell(NHSNumber.spaced($0.nhsNumber), nowrap: true), Cell($0.exceptionId), Cell($0.finding, code: true),
          Cell($0.procedureId ?? "all implants"), Cell(words($0.reason)), Cell($0.recordedBy),
          Cell(human($0.recordedOn), nowrap: true), Cell(human($0.reviewBy), nowrap: true),
        ]
      }, rowHeaders: true)
    if f.findingsWithExpiredException > m.expired.count {
      h += "<p class=\"notice\"><strong>Only the first \(m.expired.count) of \(f.findingsWithExpiredException) findings back after an expired exception are listed</strong> (most overdue first).</p>\n"
    }
    h += table(
      caption: "Findings back after their exceptions expired (\(f.findingsWithExpiredException))",
      headers: ["NHS number", "Finding", "Implant", "Days overdue", "Exception", "Reason", "Expired on"],
      rows: m.expired.map { r in
        let x = r.expiredExceptionId.flatMap { m.expiredExceptions[$0] }
        return [
          Cell(NHSNumber.spaced(r.nhsNumber), nowrap: true), Cell(r.finding, code: true), Cell(r.procedureId),
          .num(r.daysOverdue), Cell(r.expiredExceptionId ?? ""), Cell(x.map { words($0.reason) } ?? ""),
          Cell(x.map { human($0.reviewBy) } ?? "", nowrap: true),
        ]
      }, rowHeaders: true)
    return h + "</section>\n"
  }

  static func trend(_ m: Page, _ f: ReportFigures) -> String {
    var h = "<section id=\"trend\" aria-labelledby=\"trend-h\"><h2 id=\"trend-h\">9. Trend</h2>\n"
    let points = f.trend
    func pct(_ part: Int, _ whole: Int) -> Double? { TrendPoint.percent(part, of: whole) }
    guard points.count > 1 else {
      h += "<p>This database holds check runs of one as-of date only (\(e(human(m.run.asOf)))), so there is no trend yet: each quarter's run adds a point. \(ReportCharts.percent(f.patientsWithFindings, of: f.inSurveillance)) of patients in surveillance have a missed follow-up.</p>\n"
      return h + "</section>\n"
    }
    let first = points[0]
    let last = points[points.count - 1]
    let before = points[points.count - 2]
    func describe(_ a: Double?, _ b: Double?) -> String {
      guard let a, let b else { return "not comparable" }
      let d = b - a
      if abs(d) < 0.05 { return "unchanged" }
      return (d < 0 ? "down " : "up ") + String(format: "%.1f", abs(d)) + " points"
    }
    let overall = points.map { pct($0.patientsWithFindings, $0.inSurveillance) }
    h += "<p>The percentage of patients in surveillance with at least one missed follow-up, at the latest check run of each of \(points.count) as-of dates from \(e(human(first.asOf))) to \(e(human(last.asOf))): \(overall.last!.map(ReportCharts.percentText) ?? "–") now, \(describe(overall[overall.count - 2], overall.last!)) since \(e(human(before.asOf))) and \(describe(overall.first!, overall.last!)) since \(e(human(first.asOf))). Lower is better. Excepted findings do not count.</p>\n"
    h += ReportCharts.runChart(
      id: "trend-all", title: "Patients with a missed follow-up",
      points: points.map { ($0.asOf, pct($0.patientsWithFindings, $0.inSurveillance)) })
    h += "<h3>Per requirement</h3>\n<div class=\"grid\">"
    for rule in allRules {
      let code = rule.description.code
      let series = points.map { p in pct(p.byRequirement.first { $0.key == code }?.count ?? 0, p.inSurveillance) }
      h += ReportCharts.runChart(
        id: "trend-\(code.lowercased())", title: rule.description.title,
        points: zip(points, series).map { ($0.asOf, $1) }, legend: false)
    }
    h += "</div>\n"
    h += table(
      caption: "Patients with a missed follow-up, % of patients in surveillance, per as-of date",
      headers: ["As of", "Run", "In surveillance", "Any requirement"] + allRules.map(\.description.title),
      rows: points.map { p in
        [Cell(human(p.asOf), sortKey: p.asOf, nowrap: true), .num(Int(p.runId)), .num(p.inSurveillance),
         Cell(pct(p.patientsWithFindings, p.inSurveillance).map(ReportCharts.percentText) ?? "–", numeric: true)]
          + p.byRequirement.map { Cell(pct($0.count, p.inSurveillance).map(ReportCharts.percentText) ?? "–", numeric: true) }
      }, rowHeaders: true)
    return h + "</section>\n"
  }

  static func units(_ m: Page, _ f: ReportFigures) -> String {
    var h = "<section id=\"units\" aria-labelledby=\"units-h\"><h2 id=\"units-h\">10. Comparison of units</h2>\n"
    h += "<p>Each patient in surveillance counts for the trust, site and consultant of the implant that governs their periodic review; a blank code is a unit of its own (“not recorded”). For each unit, r (overdue) of its n patients have at least one missed follow-up (excepted findings do not count). The target is the proportion over all units of the kind; the control limits are exact binomial limits at each n (with interpolation, Spiegelhalter 2005). A unit above its 99.8% limit is an <strong>alarm</strong>, above its 95% limit an <strong>alert</strong>; a unit on a limit is not beyond it. Small units vary by chance: the limits widen as n falls. A lower limit below 0 is shown as 0.</p>\n"
    for u in f.unitComparisons {
      let noun = u.kind
      h += "<h3>\(e(noun.prefix(1).uppercased() + noun.dropFirst()))s</h3>\n"
      guard !u.units.isEmpty else {
        h += f.inSurveillance == 0
          ? "<p>No patients in surveillance, so no \(e(noun)) to compare.</p>\n"
          : "<p>This check run was stored by an earlier version of momaudit, which did not keep the implant that governs each patient's review: check again to compare units.</p>\n"
        continue
      }
      h += ReportCharts.funnelPlot(id: "funnel-\(noun)", title: "Funnel plot of \(noun)s", comparison: u)
      let outliers = u.outliers
      h += table(
        caption: "\(noun.prefix(1).uppercased() + noun.dropFirst())s above the limits (\(outliers.count); alarms first)",
        headers: [noun.prefix(1).uppercased() + noun.dropFirst(), "Status", "Patients (n)", "Overdue (r)", "Proportion", "95% upper", "99.8% upper"],
        rows: outliers.map(unitRow), rowHeaders: true)
      if u.units.count > unitTableLimit {
        h += "<p>All \(u.units.count) \(e(noun))s, with their limits, are in <a href=\"aggregates.csv\">aggregates.csv</a> (table <span class=\"code\">funnel_\(e(noun))</span>): too many for this page.</p>\n"
      } else {
        h += table(
          caption: "Every \(noun) (\(u.units.count); target \(ReportCharts.percentText(u.target * 100)))",
          headers: [noun.prefix(1).uppercased() + noun.dropFirst(), "Status", "Patients (n)", "Overdue (r)", "Proportion", "95% lower", "95% upper", "99.8% lower", "99.8% upper"],
          rows: u.units.map { x in
            [Cell(x.key, code: x.key != UnitComparison.notRecorded), Cell(x.status, strong: x.status != "none"), .num(x.n), .num(x.r),
             percentCell(x.proportion), percentCell(x.lower95), percentCell(x.upper95), percentCell(x.lower998), percentCell(x.upper998)]
          }, rowHeaders: true)
      }
    }
    return h + "</section>\n"
  }

  static func percentCell(_ v: Double) -> Cell { rate(v) }

  static func unitRow(_ x: UnitComparison.Unit) -> [Cell] {
    [
      Cell(x.key, code: x.key != UnitComparison.notRecorded), Cell(x.status, strong: true), .num(x.n), .num(x.r),
      percentCell(x.proportion), percentCell(x.upper95), percentCell(x.upper998),
    ]
  }
}
