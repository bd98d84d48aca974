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

  @Test("findings.csv rows are sorted by days overdue, then NHS number, finding, procedure")
  func sorting() throws {
    let m = try Self.model()
    let keys = m.findings.map { (-$0.daysOverdue, $0.nhsNumber, $0.finding, $0.procedureId) }
    #expect(keys.count >= 4)
    #expect(keys.map { "\($0)" } == keys.sorted { $0 < $1 }.map { "\($0)" })
  }

  @Test("HTML escapes every input text: no injected element, no raw formula")
  func htmlEscaping() throws {
    let html = HTMLReport.render(try Self.model())
    #expect(!html.contains("<script"))
    #expect(!html.contains("<b>RXH01</b>"))
    #expect(html.contains("&lt;b&gt;RXH01&lt;/b&gt;"))
    for fetch in ["src=", "<link", "<img", "@import", "url("] {
      #expect(!html.contains(fetch), "self-contained: no \(fetch)")
    }
    #expect(html.contains("999 030 000"))  // NHS numbers shown NNN NNN NNNN
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
