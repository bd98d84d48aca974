import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// Report sections 8–10 (exceptions, trend, comparison of units), excepted.csv,
/// the funnel rows of aggregates.csv and `momaudit history`, on a fixture of
/// two check runs whose unit codes are hostile (markup, a formula, blanks).
///
/// Fixtures/report-units: 32 patients with one MoM total hip (32 mm, 2010:
/// low risk, reviewed and tested every 24 months). Consultant C1 (trust RXH,
/// site RXH01): 20 patients, two never reviewed (one excepted by `X<1>`),
/// one reviewed only on 2025-01-15; trust `<i>T2</i>`, site `=SUM(A1)`, no
/// consultant: 10 patients never reviewed (`=X2` expired on 2024-12-31,
/// `X3` excepts one review); two compliant patients of C1 with no trust or
/// site. Checked as of 2024-12-31, then 2025-03-31.
@Suite("Report sections 8–10")
struct ReportAuditSectionsTests {
  static let fixture = Paths.fixtures.appendingPathComponent("report-units")

  static func database() throws -> (DatabaseQueue, first: Int64, second: Int64) {
    let (db, _) = try ingest(["procedures.csv", "events.csv", "exceptions.csv"].map { fixture.appendingPathComponent($0).path })
    func check(_ asOf: String) throws -> Int64 {
      try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: asOf)!).run().runId
    }
    let first = try check("2024-12-31")
    return (db, first, try check("2025-03-31"))
  }

  static func model() throws -> ReportModel {
    let (db, _, second) = try database()
    var m = try #require(try db.read { try ReportModel.load($0, runId: second) })
    m.run.startedAt = "2025-04-01T09:00:00Z"
    m.run.durationSeconds = 0.5
    m.comparison?.run.startedAt = "2025-01-01T09:00:00Z"
    m.comparison?.run.durationSeconds = 0.5
    for i in m.files.indices { m.files[i].path = (m.files[i].path as NSString).lastPathComponent }
    return m
  }

  @Test("sections 8–10, excepted.csv and aggregates.csv match their golden files")
  func goldens() throws {
    let m = try Self.model()
    let files = Dictionary(uniqueKeysWithValues: Reporter.files(m))
    ReportTests.assertGolden("units-report.html", files["report.html"]!)
    ReportTests.assertGolden("units-excepted.csv", files["excepted.csv"]!)
    ReportTests.assertGolden("units-aggregates.csv", files["aggregates.csv"]!)
    ReportTests.assertGolden("units-aggregates-suppressed.csv", Aggregates.csv(ReportFigures(m), suppress: true))
  }

  @Test("exceptions: excepted, due for review and expired, as surveillance-rules.md §8 decides them")
  func exceptions() throws {
    let m = try Self.model()
    let f = ReportFigures(m)
    // X<1> (ALL) excepts both of patient 0's findings; X3 the review of patient 21 (named implant).
    #expect(m.excepted.map { "\($0.exceptionId) \($0.finding.finding)" }.sorted() == [
      "X3 REVIEW_OVERDUE", "X<1> IONS_OVERDUE", "X<1> REVIEW_OVERDUE",
    ])
    #expect(f.excepted == 3)
    #expect(f.exceptedByReason.map { "\($0.key)=\($0.count)" } == [
      "clinically_unsuitable=0", "informed_dissent=2", "individual_plan=1",
    ])
    // X<1>'s review (2025-04-15) is within 30 days of 2025-03-31; X3's (2025-12-31) is not.
    #expect(m.exceptions.filter { $0.dueForReview(asOf: m.run.asOf) }.map(\.exceptionId) == ["X<1>"])
    #expect(f.exceptionsDueForReview == 1)
    // =X2 expired on 2024-12-31: patient 20's ion test finding is back, with the note.
    #expect(f.findingsWithExpiredException == 1)
    let back = try #require(m.findings.first { $0.expiredExceptionId != nil })
    #expect(back.finding == "IONS_OVERDUE")
    #expect(back.detail.hasSuffix("; exception =X2 expired on 2024-12-31"))
    // Compliance per requirement: reviews apply to 32 patients, 11 overdue, 2 excepted.
    let review = try #require(f.requirements.first { $0.finding == "REVIEW_OVERDUE" })
    #expect([review.inScope, review.overdue, review.excepted] as [Int] == [32, 10, 2])
    #expect(review.exceptionRate == 2.0 / 32)
    #expect(review.compliance == 1 - 10.0 / 30)
  }

  @Test("trend: the latest run of each as-of date, oldest first, per requirement")
  func trend() throws {
    let m = try Self.model()
    let f = ReportFigures(m)
    #expect(f.trend.map(\.asOf) == ["2024-12-31", "2025-03-31"])
    // 2024-12-31: patients 1, 2 and 20–29 (=X2 in force excepts only 20's ions): 12 of 32.
    // 2025-03-31: patient 2 reviewed; patients 1 and 20–29: 11 of 32.
    #expect(f.trend.map(\.patientsWithFindings) == [12, 11])
    #expect(f.trend.map(\.inSurveillance) == [32, 32])
    #expect(f.trend.last?.byRequirement.first { $0.key == "REVIEW_OVERDUE" }?.count == 10)
    let html = HTMLReport.render(m)
    #expect(html.contains("aria-labelledby=\"trend-all-title\""))
    // One run alone: the section says there is no trend yet.
    let (db, first, _) = try Self.database()
    let alone = try #require(try db.read { try ReportModel.load($0, runId: first) })
    #expect(ReportFigures(alone).trend.count == 1)
    #expect(HTMLReport.render(alone).contains("no trend yet"))
  }

  @Test("funnel plots: every patient once per kind, blank codes 'not recorded', the outlier an alarm; hostile codes escaped")
  func units() throws {
    let m = try Self.model()
    let f = ReportFigures(m)
    let consultants = try #require(f.unitComparisons.first { $0.kind == "consultant" })
    #expect(consultants.units.map { "\($0.key) \($0.r)/\($0.n)" } == ["C1 1/22", "not recorded 10/10"])
    #expect(consultants.target == 11.0 / 32)
    #expect(consultants.outliers.map { "\($0.key) \($0.status)" } == ["not recorded alarm"])
    #expect(consultants.units.first?.status == "none")
    let trusts = try #require(f.unitComparisons.first { $0.kind == "trust" })
    #expect(trusts.units.map(\.key) == ["<i>T2</i>", "RXH", "not recorded"])
    #expect(trusts.units.map(\.n).reduce(0, +) == f.inSurveillance)
    for c in f.unitComparisons {
      for u in c.units {
        #expect(u.lower998 <= u.lower95 && u.lower95 <= u.upper95 && u.upper95 <= u.upper998)
        #expect(u.lower998 >= 0 && u.upper998 <= 1)
      }
    }
    let html = HTMLReport.render(m)
    let doc = HTMLScanner(html)
    #expect(doc.problems.isEmpty, "\(doc.problems)")
    #expect(doc.all("i").isEmpty)
    #expect(doc.text.contains("<i>T2</i>"))
    let plots = doc.all("svg").compactMap { $0.attributes["aria-labelledby"] }.filter { $0.hasPrefix("funnel-") && $0 != "funnel-title" }
    #expect(plots == ["funnel-trust-title", "funnel-site-title", "funnel-consultant-title"])
    // aggregates.csv: the formula-like site code is neutralised, every unit has its eight measures.
    let rows = parseCSV(Aggregates.csv(f, suppress: false)).filter { $0[1].hasPrefix("funnel_") }
    #expect(rows.contains { $0[1] == "funnel_site" && $0[2] == "'=SUM(A1)" })
    #expect(rows.count == f.unitComparisons.map(\.units.count).reduce(0, +) * 8)
    #expect(rows.contains { $0 == ["2025-03-31", "funnel_consultant", "not recorded", "status", "alarm"] })
  }

  @Test("momaudit history: text and JSON goldens with excepted counts")
  func history() throws {
    let (db, _, _) = try Self.database()
    let entries = try db.read { try RunHistory.load($0) }
    #expect(entries.map(\.excepted) == [3, 3])
    ReportTests.assertGolden("units-history.txt", RunHistory.text(entries))
    ReportTests.assertGolden("units-history.json", RunHistory.json(entries))
  }

  @Test("the streamed report folder of this fixture is byte for byte the in-memory one")
  func streamed() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let (db, first, second) = try Self.database()
    try ReportStreamingTests.expectStreamedEqualsInMemory(db, dir, first: first, second: second)
    let model = try #require(try db.read { try ReportModel.load($0, runId: second) })
    let page = try db.read { try HTMLReport.Page.load($0, run: model.run, compareWith: model.comparison?.run) }
    let memory = HTMLReport.Page(model)
    #expect(page.dueForReview == memory.dueForReview)
    #expect(page.expired == memory.expired)
    #expect(page.expiredExceptions == memory.expiredExceptions)
  }
}
