import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// Report renderers against golden files. Re-record with
/// `MOMAUDIT_RECORD_GOLDENS=1 swift test --filter ReportTests` (a recording
/// run fails on purpose, so it is never mistaken for a pass); review the diff.
@Suite("Reports")
struct ReportTests {
  static let fixture = Paths.fixtures.appendingPathComponent("report")
  static let goldens = Paths.fixtures.appendingPathComponent("golden")

  /// The fixture audited as of 2025-03-31, with run times and file paths fixed.
  static func model() throws -> ReportModel {
    var m = try audit(
      [fixture.appendingPathComponent("procedures.csv").path, fixture.appendingPathComponent("events.csv").path],
      asOf: "2025-03-31")
    m.run.startedAt = "2025-04-01T09:00:00Z"
    m.run.durationSeconds = 0.5
    for i in m.files.indices { m.files[i].path = (m.files[i].path as NSString).lastPathComponent }
    for i in m.rejects.indices { m.rejects[i].file = (m.rejects[i].file as NSString).lastPathComponent }
    for i in m.warnings.indices { m.warnings[i].file = m.warnings[i].file.map { ($0 as NSString).lastPathComponent } }
    return m
  }

  static func assertGolden(_ name: String, _ actual: String) {
    let url = goldens.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["MOMAUDIT_RECORD_GOLDENS"] == "1" {
      try? FileManager.default.createDirectory(at: goldens, withIntermediateDirectories: true)
      try? Data(actual.utf8).write(to: url)
      Issue.record("recorded golden \(name); unset MOMAUDIT_RECORD_GOLDENS and run again")
      return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
      Issue.record("missing golden \(name)")
      return
    }
    #expect(actual == expected, "\(name) differs from its golden file")
  }

  @Test("findings.csv matches its golden file") func findings() throws {
    Self.assertGolden("findings.csv", CSVReports.findings(try Self.model()))
  }
  @Test("patients.csv matches its golden file") func patients() throws {
    Self.assertGolden("patients.csv", CSVReports.patients(try Self.model()))
  }
  @Test("submission.csv matches its golden file") func submission() throws {
    Self.assertGolden("submission.csv", CSVReports.submission(try Self.model()))
  }
  @Test("rejects.csv matches its golden file") func rejects() throws {
    Self.assertGolden("rejects.csv", CSVReports.rejects(try Self.model()))
  }
  @Test("warnings.csv matches its golden file") func warnings() throws {
    Self.assertGolden("warnings.csv", CSVReports.warnings(try Self.model()))
  }
  @Test("summary.json matches its golden file") func summary() throws {
    Self.assertGolden("summary.json", Reporter.summaryJSON(try Self.model()))
  }
  @Test("report.html matches its golden file") func html() throws {
    Self.assertGolden("report.html", HTMLReport.render(try Self.model()))
  }

  @Test("every CSV cell is safe from spreadsheet formulas and quoted per RFC 4180", arguments: [
    ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""), ("+C1", "'+C1"), ("-C1", "'-C1"), ("@C1", "'@C1"),
    ("\tx", "'\tx"), ("\rx", "\"'\rx\""), ("a,b", "\"a,b\""), ("plain", "plain"), ("", ""), ("line\nbreak", "\"line\nbreak\""),
  ])
  func csvCell(_ raw: String, _ expected: String) {
    #expect(CSVWriter.cell(raw) == expected)
  }

  @Test("property: CSV written then read gives the cells back (after formula neutralising)")
  func csvRoundTrip() throws {
    var rng = SplitMix(seed: 99)
    let alphabet = Array("ab,\"\n\r =+-@\tµ1 ")
    for _ in 0..<300 {
      let rows = (0..<Int(1 + rng.next() % 4)).map { _ in
        (0..<3).map { _ in String((0..<Int(rng.next() % 8)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }) }
      }
      var w = CSVWriter(header: ["a", "b", "c"])
      for r in rows { w.appendRow(r) }
      let back = try CSVReader.records(in: Array(w.text.utf8)).map(\.fields)
      #expect(back == [["a", "b", "c"]] + rows.map { $0.map(CSVWriter.neutralise) })
    }
  }

  /// CSVWriter.line as it was written on strings before issue 14 (the
  /// oracle of the byte writer that replaced it).
  static func lineOnStrings(_ cells: [String?]) -> String {
    func cell(_ raw: String) -> String {
      var v = raw
      if let first = raw.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + raw }
      if v.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
      }
      return v
    }
    return cells.map { cell($0 ?? "") }.joined(separator: ",") + "\r\n"
  }

  @Test("property: the byte writer writes what the string writer wrote, nil cells empty; a file sink the same bytes")
  func csvBytesAsStrings() throws {
    var rng = SplitMix(seed: 14)
    let alphabet = Array("ab,\"\n\r =+-@\t'µé€😀1 ").map(String.init)
    for _ in 0..<500 {
      let cells: [String?] = (0..<Int(rng.next() % 5)).map { _ in
        rng.next() % 6 == 0 ? nil : (0..<Int(rng.next() % 7)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
      }
      #expect(CSVWriter.line(cells) == Self.lineOnStrings(cells), "\(cells)")
      var bytes: [UInt8] = []
      CSVWriter.appendLine(cells, to: &bytes)
      #expect(bytes == Array(Self.lineOnStrings(cells).utf8))
    }
  }

  /// The string writer left such a quote single (its replacement works on
  /// characters, and a quote with a combining mark is one character), which
  /// broke the cell: `"a"́b"`.
  @Test("a quote followed by a combining mark is doubled like any other quote, and reads back")
  func csvQuoteWithCombiningMark() throws {
    let text = "a\"\u{301}b"
    #expect(CSVWriter.cell(text) == "\"a\"\"\u{301}b\"")
    let back = try CSVReader.records(in: Array(CSVWriter.line([text, "c"]).utf8)).map(\.fields)
    #expect(back == [[text, "c"]])
  }

  @Test("findings.csv rows are sorted by days overdue, then NHS number, finding, procedure")
  func sorting() throws {
    let m = try Self.model()
    let keys = m.findings.map { (-$0.daysOverdue, $0.nhsNumber, $0.finding, $0.procedureId) }
    #expect(keys.count >= 4)
    #expect(keys.map { "\($0)" } == keys.sorted { $0 < $1 }.map { "\($0)" })
  }

  @Test("HTML escapes every input text: parsed, no injected element or attribute, the hostile text shown as text")
  func htmlEscaping() throws {
    let html = HTMLReport.render(try Self.model())
    let doc = HTMLScanner(html)
    #expect(doc.problems.isEmpty, "\(doc.problems)")
    // The fixture's site is "<b>RXH01</b>" and a note is "<script>alert(1)</script>".
    #expect(doc.all("b").isEmpty)
    #expect(doc.all("script").count == 1, "only the report's own script")
    #expect(doc.all("script").allSatisfy { $0.attributes.isEmpty })
    #expect(doc.text.contains("<b>RXH01</b>"))
    let allowed: Set<String> = [
      "html", "head", "meta", "title", "style", "body", "a", "header", "p", "strong", "nav", "ol", "li", "main",
      "section", "h1", "h2", "h3", "ul", "span", "dl", "dt", "dd", "div", "table", "caption", "thead", "tbody", "tr",
      "th", "td", "figure", "svg", "title", "defs", "pattern", "rect", "text", "path", "line", "circle", "figcaption", "form", "fieldset",
      "legend", "label", "select", "option", "button", "br", "wbr", "details", "summary", "footer", "script",
    ]
    #expect(Set(doc.elements.map(\.name)).subtracting(allowed).isEmpty)
    for el in doc.elements {
      #expect(!el.attributes.keys.contains { $0.hasPrefix("on") }, "no event handler attribute on \(el.name)")
      #expect(el.attributes["href"].map { $0.hasPrefix("#") || !$0.contains(":") } ?? true, "no external link")
    }
    // The hostile site code reaches the filter and the row attributes as a value, not markup.
    #expect(doc.all("option").contains { $0.attributes["value"] == "<b>RXH01</b>" })
    #expect(doc.all("tr").contains { $0.attributes["data-site"] == "<b>RXH01</b>" })
    for fetch in ["src=", "<link", "<img", "@import", "url(http", "url(//"] {
      #expect(!html.contains(fetch), "self-contained: no \(fetch)")
    }
    #expect(html.contains("999 030 0003"))  // NHS numbers shown NNN NNN NNNN
    #expect(!doc.text.contains("9990300003"))
  }

  @Test("every table has a caption and scoped headers; aria-sort only on the sorted worklist column")
  func htmlTables() throws {
    let html = HTMLReport.render(try Self.model())
    let doc = HTMLScanner(html)
    let tables = doc.all("table")
    #expect(tables.count >= 10)
    #expect(doc.all("caption").count == tables.count)
    let th = doc.all("th")
    #expect(!th.isEmpty)
    #expect(th.allSatisfy { ["col", "row"].contains($0.attributes["scope"]) })
    #expect(th.filter { $0.attributes["aria-sort"] != nil }.map { $0.attributes["aria-sort"] } == ["descending"])
    // Every form control has a label.
    let labelled = Set(doc.all("label").compactMap { $0.attributes["for"] })
    for s in doc.all("select") { #expect(labelled.contains(s.attributes["id"] ?? "")) }
    // Each chart is an image with a title and has a text summary.
    // Five charts of sections 2–3, one funnel plot per kind of unit (section 10); one run, so no trend chart.
    #expect(doc.all("svg").count == 8)
    #expect(doc.all("svg").allSatisfy { $0.attributes["role"] == "img" && $0.attributes["aria-labelledby"] != nil })
    #expect(doc.all("figcaption").count == doc.all("figure").count)
    for id in ["audited", "cohort", "compliance", "worklist", "flags", "quality", "change", "exceptions", "trend", "units", "rules"] {
      #expect(doc.all("section").contains { $0.attributes["id"] == id }, "section \(id)")
    }
    // Dates the human way; the filters appear only when the script runs.
    #expect(html.contains("31-Mar-2025"))
    #expect(doc.all("form").first?.attributes["hidden"] != nil)
  }

  @Test("the worklist row shows why: evidence, arithmetic and group, with dates written the human way")
  func worklistWhy() throws {
    let m = try Self.model()
    let html = HTMLReport.render(m)
    let f = try #require(m.findings.first)
    #expect(!f.evidence.isEmpty)
    for line in f.evidence { #expect(html.contains("<li>" + HTMLReport.humanDatesHTML(line) + "</li>")) }
    #expect(html.contains(f.group))
    #expect(HTMLScanner(html).all("details").count == m.findings.count)
  }

  @Test("ISO dates in sentences become 02-Mar-2025; other digits stay", arguments: [
    ("last review 2024-03-02; annual review due 2025-03-02", "last review 02-Mar-2024; annual review due 02-Mar-2025"),
    ("2024-01-31 + 1 months = 2024-02-29", "31-Jan-2024 + 1 months = 29-Feb-2024"),
    ("id 12024-01-01 and 2024-13-01 and 2024-01-012", "id 12024-01-01 and 2024-13-01 and 2024-01-012"),
    ("", ""), ("µ 2025-12-31.", "µ 31-Dec-2025."),
  ])
  func humanDates(_ input: String, _ expected: String) {
    #expect(HTMLReport.humanDates(input) == expected)
  }

  @Test("dates in HTML sentences stay on one line and the rest is escaped")
  func humanDatesHTML() {
    #expect(
      HTMLReport.humanDatesHTML("<b>2024-01-01</b> & 2024-02-30")
        == "&lt;b&gt;<span class=\"nowrap\">01-Jan-2024</span>&lt;/b&gt; &amp; 2024-02-30")
  }

  @Test("the report's colours reach WCAG 2.2 AA contrast")
  func contrast() {
    #expect(abs(Palette.contrast("#000000", "#ffffff") - 21) < 0.01)
    #expect(abs(Palette.contrast("#767676", "#ffffff") - 4.54) < 0.01)
    for (fg, bg, minimum) in Palette.pairs {
      #expect(Palette.contrast(fg, bg) >= minimum, "\(fg) on \(bg)")
    }
  }

  @Test("at national scale the inline worklist is capped and points to findings.csv")
  func worklistCap() throws {
    var m = try Self.model()
    let row = try #require(m.findings.first)
    m.findings = (0..<50_000).map { i in
      var r = row
      r.nhsNumber = String(9_000_000_000 + i)
      r.daysOverdue = 50_000 - i
      return r
    }
    let html = HTMLReport.render(m)
    let doc = HTMLScanner(html)
    #expect(doc.problems.isEmpty)
    #expect(doc.all("tr").filter { $0.attributes["data-finding"] != nil }.count == HTMLReport.worklistLimit)
    #expect(html.contains("Only the \(HTMLReport.worklistLimit) most overdue of 50000 findings are listed here"))
    #expect(html.contains("<a href=\"findings.csv\">findings.csv</a> has all 50000"))
    #expect(html.utf8.count < 12_000_000)
    #expect(CSVReports.findings(m).components(separatedBy: "\r\n").count == 50_002)
  }

  @Test("the rules section is generated from the rule descriptions and the run's pack")
  func rulesSection() throws {
    let m = try Self.model()
    let html = HTMLReport.render(m)
    for rule in allRules {
      let d = rule.description
      #expect(html.contains(htmlEscape(d.summary)))
      #expect(html.contains("Parameters of \(d.code)"))
      for key in d.parameters {
        let p = try #require(m.run.pack.parameter(key))
        #expect(html.contains(">\(p.key.replacingOccurrences(of: "_", with: "_<wbr>"))<"))
      }
    }
  }

  @Test("docs/rules.md is generated from the rule descriptions and is current")
  func rulesPageCurrent() throws {
    let onDisk = try String(contentsOf: Paths.packageRoot.appendingPathComponent("docs/rules.md"), encoding: .utf8)
    #expect(onDisk == RulesDocument.markdown(), "run `make docs`")
  }

  @Test("section 7 compares with the previous run of the same database: new, resolved, still open")
  func changeSincePrevious() throws {
    let (db, _) = try ingest([Self.fixture.appendingPathComponent("procedures.csv").path, Self.fixture.appendingPathComponent("events.csv").path])
    _ = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2024-03-31")!).run()
    let second = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2025-03-31")!).run()
    let m = try db.read { try ReportModel.load($0, runId: nil)! }
    #expect(m.run.id == second.runId)
    #expect(m.previousRunId == second.runId - 1)
    let html = HTMLReport.render(m)
    #expect(html.contains("Findings compared with run \(second.runId - 1)"))
  }
}

@Suite("Pseudonymisation")
struct PseudonymisationTests {
  @Test("HMAC-SHA256 pseudonym: RFC 4231 test case 2 and stability per key")
  func hmac() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    let p = Pseudonymiser(keyBytes: Array("Jefe".utf8))
    #expect(p.pseudonym("what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    let k = Pseudonymiser(keyBytes: Array("0123456789abcdef".utf8))
    #expect(k.pseudonym("9434765919") == k.pseudonym("9434765919"))
    #expect(k.pseudonym("9434765919") != Pseudonymiser(keyBytes: Array("0123456789abcdeF".utf8)).pseudonym("9434765919"))
  }

  @Test("submission.csv carries pseudonyms, never the NHS number; a loose key file is refused")
  func submission() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let key = t.write("key", "a-long-enough-secret-key")
    chmod(key, 0o644)
    #expect(throws: AuditError.self) { try Pseudonymiser(keyFile: key) }
    chmod(key, 0o600)
    let p = try Pseudonymiser(keyFile: key)
    let m = try ReportTests.model()
    let text = CSVReports.submission(m, pseudonym: p.pseudonym)
    for n in Set(m.implants.map(\.nhsNumber)) {
      #expect(!text.contains(n))
      #expect(text.contains(p.pseudonym(n)))
    }
  }
}
