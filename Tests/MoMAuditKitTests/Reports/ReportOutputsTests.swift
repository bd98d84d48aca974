import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// The files beside report.html: aggregates with small-number suppression,
/// the Frictionless data package, the Excel byte order mark, and section 7's
/// comparison of any two check runs.
@Suite("Report outputs")
struct ReportOutputsTests {
  @Test("aggregates.csv matches its golden file") func aggregates() throws {
    ReportTests.assertGolden("aggregates.csv", Aggregates.csv(ReportFigures(try ReportTests.model()), suppress: false))
  }
  @Test("aggregates.csv with suppression matches its golden file") func aggregatesSuppressed() throws {
    ReportTests.assertGolden("aggregates-suppressed.csv", Aggregates.csv(ReportFigures(try ReportTests.model()), suppress: true))
  }
  @Test("datapackage.json matches its golden file") func dataPackage() throws {
    ReportTests.assertGolden("datapackage.json", DataPackage.json(asOf: "2025-03-31", bom: false, pseudonymised: false, suppressed: false))
  }
  @Test("the report model matches its golden file") func model() throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    ReportTests.assertGolden("report-model.json", String(decoding: try enc.encode(try ReportTests.model()), as: UTF8.self) + "\n")
  }

  @Test("small-number suppression: 1–7 shown as *, others rounded to the nearest 5, 0 stays 0", arguments: [
    (0, "0"), (1, "*"), (5, "*"), (7, "*"), (8, "10"), (10, "10"), (12, "10"), (13, "15"), (17, "15"), (18, "20"),
    (100, "100"), (102, "100"), (103, "105"), (417, "415"), (238, "240"),
  ])
  func suppression(_ count: Int, _ shown: String) {
    #expect(Aggregates.suppressed(count) == shown)
  }

  @Test("with suppression no aggregate shows an exact small count, and every figure is there")
  func suppressedFile() throws {
    let f = ReportFigures(try ReportTests.model())
    let exact = parseCSV(Aggregates.csv(f, suppress: false))
    let suppressed = parseCSV(Aggregates.csv(f, suppress: true))
    #expect(exact.count == suppressed.count)
    #expect(exact.count == Aggregates.figures(f).count + 1)
    #expect(exact.map { Array($0.prefix(4)) } == suppressed.map { Array($0.prefix(4)) })
    var stars = 0
    let figures = Aggregates.figures(f)
    for ((a, b), figure) in zip(zip(exact.dropFirst(), suppressed.dropFirst()), figures) {
      switch figure.value {
      case .count(let n):
        #expect(a[4] == String(n))
        #expect(b[4] == Aggregates.suppressed(n))
        if b[4] == "*" { stars += 1 } else { #expect(Int(b[4])! % 5 == 0) }
      case .derived:
        // A proportion or rate would give its exact counts back.
        #expect(b[4] == "*")
      case .limit(_, let n):
        // The limits give n away: hidden for a unit of 1 to 7 patients.
        #expect(b[4] == ((1...7).contains(n) ? "*" : a[4]))
      case .text:
        // Statuses stay.
        #expect(b[4] == a[4])
      }
    }
    #expect(stars > 0, "the fixture has small counts to suppress")
    // Funnel statuses survive suppression; n and r do not show a small count.
    let statuses = suppressed.filter { $0[1].hasPrefix("funnel_") && $0[3] == "status" }
    #expect(!statuses.isEmpty)
    #expect(suppressed.filter { $0[1].hasPrefix("funnel_") && ["n", "r"].contains($0[3]) }.allSatisfy { $0[4] == "*" || Int($0[4])! % 5 == 0 })
  }

  @Test("datapackage.json describes every CSV of the folder, its columns in order")
  func dataPackageMatchesFiles() throws {
    let m = try ReportTests.model()
    let files = Dictionary(uniqueKeysWithValues: Reporter.files(m))
    for options in [ReportOptions(), ReportOptions(suppressSmallNumbers: true, excel: true)] {
      let json = try JSONSerialization.jsonObject(
        with: Data(DataPackage.json(asOf: "2025-03-31", bom: options.excel, pseudonymised: false, suppressed: options.suppressSmallNumbers).utf8))
        as! [String: Any]
      let resources = json["resources"] as! [[String: Any]]
      let csvNames = Reporter.fileNames.filter { $0.hasSuffix(".csv") }
      #expect(resources.map { $0["path"] as! String }.sorted() == csvNames.sorted())
      for r in resources {
        let path = r["path"] as! String
        let header = try #require(parseCSV(files[path]!).first)
        let fields = (r["schema"] as! [String: Any])["fields"] as! [[String: Any]]
        #expect(fields.map { $0["name"] as! String } == header, "\(path)")
        let bom = options.excel && Reporter.humanFacingCSVs.contains(path)
        #expect(r["encoding"] as? String == (bom ? "utf-8-sig" : "utf-8"), "\(path)")
      }
    }
  }

  @Test("--excel puts a byte order mark on the human-facing CSVs only; by default no file has one")
  func excelByteOrderMark() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let (db, _) = try ingest([
      ReportTests.fixture.appendingPathComponent("procedures.csv").path, ReportTests.fixture.appendingPathComponent("events.csv").path,
    ])
    _ = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2025-03-31")!).run()
    let reporter = Reporter(db: db, logger: quietLogger)
    try reporter.write(to: t.file("plain"), runId: nil, databaseName: "a.db", options: ReportOptions())
    try reporter.write(to: t.file("excel"), runId: nil, databaseName: "a.db", options: ReportOptions(excel: true))
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    for name in Reporter.fileNames {
      let plain = Array(try Data(contentsOf: URL(fileURLWithPath: t.file("plain/\(name)"))))
      let excel = Array(try Data(contentsOf: URL(fileURLWithPath: t.file("excel/\(name)"))))
      #expect(Array(plain.prefix(3)) != bom, "\(name) has no BOM by default")
      if Reporter.humanFacingCSVs.contains(name) {
        #expect(Array(excel.prefix(3)) == bom, "\(name) has a BOM with --excel")
        #expect(Array(excel.dropFirst(3)) == plain, "\(name) is otherwise unchanged")
      } else if name != "datapackage.json" {
        #expect(excel == plain, "\(name) is the same with --excel")
      }
    }
    #expect(Reporter.humanFacingCSVs.contains("findings.csv"))
    #expect(!Reporter.humanFacingCSVs.contains("submission.csv"))
  }

  /// The fixture checked as of two dates: run 1 (2024-03-31) and run 2 (2025-03-31).
  static func twoRuns() throws -> (DatabaseQueue, Int64, Int64) {
    let (db, _) = try ingest([
      ReportTests.fixture.appendingPathComponent("procedures.csv").path, ReportTests.fixture.appendingPathComponent("events.csv").path,
    ])
    let first = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2024-03-31")!).run()
    let second = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2025-03-31")!).run()
    return (db, first.runId, second.runId)
  }

  @Test("the diff of two runs: new, resolved and still open add up, matched by patient, finding and implant")
  func diff() throws {
    let (db, first, second) = try Self.twoRuns()
    let a = try db.read { try Array(ReportModel.FindingRow.fetchCursor($0, runId: first)) }
    let b = try db.read { try Array(ReportModel.FindingRow.fetchCursor($0, runId: second)) }
    let d = HTMLReport.FindingDiff(b, a)
    #expect(d.new.count + d.stillOpen.count == b.count)
    #expect(d.resolved.count + d.stillOpen.count == a.count)
    #expect(!d.new.isEmpty)
    let key = { (r: ReportModel.FindingRow) in [r.nhsNumber, r.finding, r.procedureId] }
    #expect(Set(d.new.map(key)).isDisjoint(with: Set(a.map(key))))
    #expect(Set(d.resolved.map(key)).isDisjoint(with: Set(b.map(key))))
    // Reversed, new and resolved swap.
    let back = HTMLReport.FindingDiff(a, b)
    #expect(back.new.map(key) == d.resolved.map(key))
    #expect(Set(back.resolved.map(key)) == Set(d.new.map(key)))
    // A constructed case: one kept, one gone, one new.
    var x = try #require(a.first ?? b.first)
    var y = x
    y.finding = "IONS_OVERDUE_X"
    var z = x
    z.procedureId = "OTHER"
    x.daysOverdue += 100  // still open even though the days moved on
    let small = HTMLReport.FindingDiff([x, z], [y, x])
    #expect(small.new.map(\.procedureId) == ["OTHER"])
    #expect(small.resolved.map(\.finding) == ["IONS_OVERDUE_X"])
    #expect(small.stillOpen.count == 1)
  }

  @Test("section 7 compares with the previous run by default, or any run with --compare, figures side by side")
  func compareAnyRun() throws {
    let (db, first, second) = try Self.twoRuns()
    let latest = try db.read { try ReportModel.load($0, runId: nil)! }
    #expect(latest.run.id == second)
    #expect(latest.comparison?.run.id == first)
    #expect(latest.comparison?.run.asOf == "2024-03-31")
    let html = HTMLReport.render(latest)
    #expect(html.contains("Findings compared with run \(first)"))
    #expect(html.contains("Compliance side by side"))
    #expect(html.contains("Run \(first), 31-Mar-2024"))
    #expect(html.contains("Run \(second), 31-Mar-2025"))
    // The first run has no previous run; compared explicitly with the later one it says so.
    let firstAlone = try db.read { try ReportModel.load($0, runId: first)! }
    #expect(firstAlone.comparison == nil)
    #expect(HTMLReport.render(firstAlone).contains("This is the first check run of this database"))
    let firstVsSecond = try db.read { try ReportModel.load($0, runId: first, compareWith: second)! }
    #expect(firstVsSecond.comparison?.run.id == second)
    #expect(HTMLReport.render(firstVsSecond).contains("a later run"))
    // The same figures, but for the withdrawals, which count since a compared run,
    // and the trend and the comparison of units, which belong to the reported run.
    var own = ReportFigures(latest).compared()
    own.withdrawnSinceRun = nil
    own.withdrawnSince = []
    #expect(own.trend.isEmpty && own.unitComparisons.allSatisfy(\.units.isEmpty))
    #expect(firstVsSecond.comparison?.figures == own)
  }

  @Test("--compare with a missing run or the run itself is a usage error with an exact message")
  func compareErrors() throws {
    let (db, _, second) = try Self.twoRuns()
    let t = TempDir()
    defer { t.cleanup() }
    let reporter = Reporter(db: db, logger: quietLogger)
    #expect(throws: AuditError.usage("no check run 9 in a.db to compare with")) {
      try reporter.write(to: t.file("o"), runId: nil, databaseName: "a.db", options: ReportOptions(compareRunId: 9))
    }
    #expect(throws: AuditError.usage("--compare names the run being reported (\(second)); name another run")) {
      try reporter.write(to: t.file("o"), runId: nil, databaseName: "a.db", options: ReportOptions(compareRunId: second))
    }
  }

  @Test("a pseudonymised submission still matches its data package schema pattern")
  func pseudonymisedPackage() throws {
    let p = Pseudonymiser(keyBytes: Array("0123456789abcdef".utf8))
    let m = try ReportTests.model()
    let rows = parseCSV(CSVReports.submission(m, pseudonym: p.pseudonym)).dropFirst()
    #expect(!rows.isEmpty)
    let pattern = /[0-9a-f]{64}/
    for r in rows { #expect(r[1].wholeMatch(of: pattern) != nil) }
    let json = DataPackage.json(asOf: "2025-03-31", bom: false, pseudonymised: true, suppressed: false)
    #expect(json.contains("[0-9a-f]{64}"))
  }
}
