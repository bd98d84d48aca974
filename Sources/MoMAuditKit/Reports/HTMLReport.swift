import Foundation

/// Escapes text for HTML element content and attribute values.
package func htmlEscape(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.utf8.count)
  for ch in s.unicodeScalars {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.unicodeScalars.append(ch)
    }
  }
  return out
}

/// report.html: one self-contained, escaped HTML5 file (outputs.md sections 1–7).
package enum HTMLReport {
  /// The inline worklist is capped so a national-scale report stays usable;
  /// findings.csv always has every row.
  package static let worklistLimit = 5_000

  package static func render(_ m: ReportModel, generatedBy: String = "momaudit") -> String {
    let f = ReportFigures(m)
    var h = ""
    h += """
      <!DOCTYPE html>
      <html lang="en-GB">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>MoM hip surveillance audit as of \(e(human(m.run.asOf)))</title>
      <style>\(css)</style>
      </head>
      <body>
      <header><h1>Metal-on-metal hip surveillance audit</h1>
      <p>As of <strong>\(e(human(m.run.asOf)))</strong> · rule pack <strong>\(e(m.run.packName))</strong>\(m.run.localProtocol ? " · <strong class=\"warn\">local protocol, deviates from MDA/2017/018</strong>" : "")</p></header>
      <main>

      """
    // 1. What was audited
    h += "<section id=\"audited\"><h2>1. What was audited</h2>\n<dl>"
    h += "<dt>As-of date</dt><dd>\(e(human(m.run.asOf)))</dd>"
    h += "<dt>Rule pack</dt><dd>\(e(m.run.pack.name)): \(e(m.run.pack.title))</dd>"
    h += "<dt>Check run</dt><dd>run \(m.run.id), started \(e(m.run.startedAt)), \(String(format: "%.2f", m.run.durationSeconds)) s</dd>"
    h += "<dt>Software</dt><dd>\(e(generatedBy)) \(e(m.run.softwareVersion))</dd></dl>\n"
    let unverified = m.run.pack.unverified
    if !unverified.isEmpty {
      h += "<p>These parameters are <strong>not verified</strong> against the alert's Table 1; check them against your copy of MDA/2017/018 and override them in a local profile if needed:</p>\n"
      h += table(
        caption: "Unverified rule-pack parameters", headers: ["Parameter", "Value", "Meaning", "Source"],
        rows: unverified.map { [$0.key, "\(formatNumber($0.value)) \($0.unit)", $0.meaning, $0.source] })
    }
    h += table(
      caption: "Input files", headers: ["File", "Format", "Status", "Rows read", "Accepted", "Rejected", "Replaced"],
      rows: m.files.map {
        [$0.path, $0.format, $0.status == "refused" ? "refused: \($0.error ?? "")" : $0.status, String($0.rowsRead),
          String($0.rowsAccepted), String($0.rowsRejected), String($0.recordsReplaced)]
      }, numeric: [3, 4, 5, 6])
    h += "</section>\n"

    // 2. Cohort
    h += "<section id=\"cohort\"><h2>2. The cohort</h2>\n"
    h += "<p>\(f.momPatients) patients with \(f.momImplants) metal-on-metal implants (\(f.activeImplants) active); \(f.inSurveillance) patients in surveillance.</p>\n"
    h += table(caption: "Patients excluded from surveillance, by reason", headers: ["Reason", "Patients"],
      rows: f.exclusions.map { [$0.key.replacingOccurrences(of: "_", with: " "), String($0.count)] }, numeric: [1])
    h += table(caption: "Patients in surveillance, by group (a bilateral patient may count in two groups)", headers: ["Group", "Patients"],
      rows: f.inSurveillanceByGroup.map { [$0.key, String($0.count)] }, numeric: [1])
    h += "</section>\n"

    // 3. Compliance
    h += "<section id=\"compliance\"><h2>3. Compliance</h2>\n"
    h += table(caption: "Per requirement", headers: ["Requirement", "Finding code", "In scope", "Patients overdue", "Findings"],
      rows: f.requirements.map { [$0.title, $0.finding, String($0.inScope), String($0.patientsOverdue), String($0.findings)] },
      numeric: [2, 3, 4])
    h += barChart(title: "Findings by requirement", data: f.requirements.map { ($0.finding, $0.findings) })
    h += table(caption: "Findings by time overdue", headers: ["Overdue by", "Findings"],
      rows: f.overdueBands.map { [$0.key, String($0.count)] }, numeric: [1])
    h += table(caption: "Findings by site", headers: ["Site", "Findings"], rows: f.findingsBySite.map { [$0.key, String($0.count)] }, numeric: [1])
    h += table(caption: "Findings by consultant", headers: ["Consultant", "Findings"],
      rows: f.findingsByConsultant.map { [$0.key, String($0.count)] }, numeric: [1])
    h += "</section>\n"

    // 4. Worklist
    h += "<section id=\"worklist\"><h2>4. Recall worklist</h2>\n"
    let shown = m.findings.prefix(worklistLimit)
    if m.findings.count > worklistLimit {
      h += "<p><strong>Showing the first \(worklistLimit) of \(m.findings.count) findings</strong> (most overdue first); findings.csv has them all.</p>\n"
    }
    h += "<p>\(m.findings.count) missed follow-ups for \(f.patientsWithFindings) patients, most overdue first. Each row's “why” shows the events considered and the due-date arithmetic.</p>\n"
    h += "<table class=\"worklist\"><caption>Missed follow-ups</caption><thead><tr>"
    for c in ["NHS number", "Finding", "Implant", "Side", "Group", "Due", "Days overdue", "Last done", "Site", "Consultant", "Detail"] {
      h += "<th scope=\"col\">\(e(c))</th>"
    }
    h += "</tr></thead><tbody>\n"
    for r in shown {
      h += "<tr><td class=\"nhs\">\(e(NHSNumber.spaced(r.nhsNumber)))</td><td>\(e(r.finding))</td><td>\(e(r.procedureId))</td><td>\(e(r.side))</td><td>\(e(r.group))</td>"
      h += "<td>\(e(human(r.dueDate)))</td><td class=\"num\">\(r.daysOverdue)</td><td>\(e(r.lastDone.map(human) ?? "—"))</td><td>\(e(r.siteCode ?? ""))</td><td>\(e(r.consultantCode ?? ""))</td>"
      h += "<td>\(e(r.detail))<details><summary>why</summary><ul>\(r.evidence.map { "<li>\(e($0))</li>" }.joined())</ul></details></td></tr>\n"
    }
    h += "</tbody></table></section>\n"

    // 5. Clinical flags
    h += "<section id=\"flags\"><h2>5. Clinical flags for clinician review</h2>\n<p>Flags are not missed follow-ups and are not counted as such.</p>\n"
    h += table(caption: "Clinical flags", headers: ["NHS number", "Flag", "Implant", "Detail"],
      rows: m.flags.map { [NHSNumber.spaced($0.nhsNumber), $0.flag, $0.procedureId ?? "", $0.detail] })
    h += "</section>\n"

    // 6. Data quality
    h += "<section id=\"quality\"><h2>6. Data quality</h2>\n"
    h += "<p>\(f.rowsRead) rows read: \(f.rowsAccepted) accepted, \(f.rowsRejected) rejected (rejects.csv lists every one with file, line and reason); \(f.filesRefused) files refused.</p>\n"
    h += table(caption: "Rejected rows by reason", headers: ["Reason", "Rows", "First example"],
      rows: f.rejectsByReason.map { c in
        let ex = m.rejects.first { $0.reasonCode == c.key }
        return [c.key, String(c.count), ex.map { "\(($0.file as NSString).lastPathComponent) line \($0.line.map(String.init) ?? ($0.location ?? "?")): \($0.reason)" } ?? ""]
      }, numeric: [1])
    h += table(caption: "Warnings by code", headers: ["Warning", "Count", "First example"],
      rows: f.warningsByCode.map { c in
        [c.key, String(c.count), m.warnings.first { $0.code == c.key }?.detail ?? ""]
      }, numeric: [1])
    h += "</section>\n"

    // 7. Change since previous run
    h += "<section id=\"change\"><h2>7. Change since the previous check run</h2>\n"
    if let prev = m.previousFindings, let prevId = m.previousRunId {
      let key = { (r: ReportModel.FindingRow) in "\(r.nhsNumber)|\(r.finding)|\(r.procedureId)" }
      let now = Set(m.findings.map(key))
      let before = Set(prev.map(key))
      h += table(caption: "Findings compared with run \(prevId)", headers: ["New", "Resolved", "Still open"],
        rows: [[String(now.subtracting(before).count), String(before.subtracting(now).count), String(now.intersection(before).count)]],
        numeric: [0, 1, 2])
    } else {
      h += "<p>This is the first check run of this database.</p>\n"
    }
    h += "</section>\n"

    // How findings are decided
    h += "<section id=\"rules\"><h2>How each finding is decided</h2>\n"
    for rule in allRules {
      let d = rule.description
      h += "<h3>\(e(d.code)) — \(e(d.title)) (§\(e(d.section)), \(d.level.rawValue) level)</h3><p>\(e(d.summary))</p><p>Source: \(e(d.source)).</p>"
      let params = d.parameters.compactMap { m.run.pack.parameter($0) }
      h += "<ul>\(params.map { "<li>\(e($0.key)) = \(e(formatNumber($0.value))) \(e($0.unit)) (\($0.verified ? "verified" : "<strong>unverified</strong>"))</li>" }.joined())</ul>\n"
    }
    h += "</section>\n</main>\n<footer><p>Generated by \(e(generatedBy)) \(e(m.run.softwareVersion)). Contains patient data: keep within the trust.</p></footer>\n</body>\n</html>\n"
    return h
  }

  static func e(_ s: String) -> String { htmlEscape(s) }

  static func human(_ iso: String) -> String { LocalDate(iso: iso)?.human ?? iso }

  static func table(caption: String, headers: [String], rows: [[String]], numeric: Set<Int> = []) -> String {
    var t = "<table><caption>\(e(caption))</caption><thead><tr>"
    for hd in headers { t += "<th scope=\"col\">\(e(hd))</th>" }
    t += "</tr></thead><tbody>"
    if rows.isEmpty {
      t += "<tr><td colspan=\"\(headers.count)\">None.</td></tr>"
    }
    for r in rows {
      t += "<tr>"
      for (i, c) in r.enumerated() {
        t += numeric.contains(i) ? "<td class=\"num\">\(e(c))</td>" : "<td>\(e(c))</td>"
      }
      t += "</tr>"
    }
    return t + "</tbody></table>\n"
  }

  /// A horizontal bar chart as inline SVG, with its data in text beside it.
  static func barChart(title: String, data: [(String, Int)]) -> String {
    let maxValue = max(data.map(\.1).max() ?? 1, 1)
    let rowHeight = 22
    let height = data.count * rowHeight + 8
    var s = "<figure><svg role=\"img\" aria-label=\"\(e(title))\" viewBox=\"0 0 640 \(height)\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">"
    for (i, (label, value)) in data.enumerated() {
      let y = i * rowHeight + 4
      let w = Int(Double(value) / Double(maxValue) * 300)
      s += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(e(label))</text>"
      s += "<rect x=\"260\" y=\"\(y)\" width=\"\(w)\" height=\"16\" fill=\"#1d4f91\"></rect>"
      s += "<text x=\"\(266 + w)\" y=\"\(y + 13)\" font-size=\"12\">\(value)</text>"
    }
    s += "</svg><figcaption>\(e(title)): \(e(data.map { "\($0.0) \($0.1)" }.joined(separator: ", "))).</figcaption></figure>\n"
    return s
  }

  static let css = """
    body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;color:#1a1a1a;background:#fff;margin:0 auto;max-width:75rem;padding:1rem;line-height:1.45}
    h1{font-size:1.6rem}h2{border-bottom:2px solid #1d4f91;padding-bottom:.2rem;margin-top:2rem}
    table{border-collapse:collapse;margin:.8rem 0;width:100%;font-size:.9rem}
    caption{text-align:left;font-weight:600;padding:.3rem 0}
    th,td{border:1px solid #8a8a8a;padding:.25rem .4rem;vertical-align:top;text-align:left}
    th{background:#e8eef7}td.num{text-align:right;font-variant-numeric:tabular-nums}
    td.nhs{white-space:nowrap}.warn{color:#8a1c1c}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
    details summary{cursor:pointer;color:#1d4f91}
    @media (max-width:700px){table.worklist{display:block;overflow-x:auto}}
    @media print{@page{size:A4;margin:12mm}body{max-width:none;font-size:9pt}thead{display:table-header-group}tr{break-inside:avoid}details{display:block}}
    """
}
