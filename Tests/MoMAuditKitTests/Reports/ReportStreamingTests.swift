import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// The report stage streams its files from the database (bounded memory at
/// national scale, issue 5). What it writes must be byte for byte what the
/// in-memory renderers (the goldens' path) make of the same run.
@Suite("Report streaming")
struct ReportStreamingTests {
  /// A valid NHS number from a 9-digit stem (modulus 11), or nil.
  static func nhsNumber(_ stem: Int) -> String? {
    let digits = String(format: "%09d", stem).compactMap(\.wholeNumberValue)
    let sum = zip(digits, stride(from: 10, through: 2, by: -1)).reduce(0) { $0 + $1.0 * $1.1 }
    let check = (11 - sum % 11) % 11
    return check == 10 ? nil : digits.map(String.init).joined() + String(check)
  }

  /// A trust large enough to pass every cap of report.html: over 2,500
  /// findings, over 1,000 flags, over 1,000 new findings between two runs,
  /// and more than three rejects of a reason. Returns the database and the
  /// two runs (as of 2012-06-30, then 2025-03-31).
  static func bigTrust(_ dir: TempDir) throws -> (DatabaseQueue, Int64, Int64) {
    var procedures: [String] = []
    var events: [String] = []
    var stem = 999_100_000
    var n = 0
    while n < 1_100 {
      stem += 1
      guard let nhs = nhsNumber(stem) else { continue }
      n += 1
      let site = "S\(n % 7)"
      procedures.append("P\(n),\(nhs),F,2010-01-15,L,resurfacing,MoM,46,BHR head,BHR cup,RXH,\(site),C\(n % 13)")
      events.append("E\(n)a,\(nhs),2011-01-20,blood_metal_ions,,,,8.0,2.0,ug/L,whole_blood,,")
      events.append("E\(n)b,\(nhs),2012-01-20,blood_metal_ions,,,,9.5,2.1,ug/L,whole_blood,,")
    }
    for k in 0..<5 { procedures.append("BAD\(k),9991000001,F,2010-13-45,L,resurfacing,MoM,46,a,b,RXH,S1,C1") }
    for k in 0..<4 { events.append("BADE\(k),9991000001,2011-01-20,review,L,maybe,,,,,,,") }
    let db = try AuditDatabase.inMemory()
    _ = try Ingester(db: db, logger: quietLogger, options: .init()).ingest(inputs: [
      dir.write("procedures.csv", csv(procedureHeader, procedures)), dir.write("events.csv", csv(eventHeader, events)),
    ])
    let first = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2012-06-30")!).run()
    let second = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2025-03-31")!).run()
    return (db, first.runId, second.runId)
  }

  @Test(
    "the streamed report folder is byte for byte the in-memory one: every file, every option, with and without a comparison; in memory, and from a database file in WAL mode (the CSVs on a thread and a connection of their own)",
    arguments: [false, true])
  func streamedEqualsInMemory(onFile: Bool) throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    var (db, first, second) = try Self.bigTrust(dir)
    if onFile {
      let file = try AuditDatabase.open(path: dir.file("audit.sqlite"))
      try db.backup(to: file)
      #expect(try file.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
      db = file
    }
    try Self.expectStreamedEqualsInMemory(db, dir, first: first, second: second)
  }

  @Test(
    "streamed and in-memory folders are the same for SampleData (every reject and warning kind, XML) and the hostile report fixture (markup, formulas, blank codes)",
    arguments: ["SampleData", "report fixture"])
  func streamedEqualsInMemoryOnFixtures(_ source: String) throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let (db, _) =
      source == "SampleData"
      ? try ingestSample()
      : try ingest(["procedures.csv", "events.csv"].map { ReportTests.fixture.appendingPathComponent($0).path })
    let first = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2024-03-31")!).run()
    let second = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: "2026-09-30")!).run()
    try Self.expectStreamedEqualsInMemory(db, dir, first: first.runId, second: second.runId)
  }

  /// Every file `Reporter.write` streams equals what the in-memory renderers
  /// make of the same run: the latest run (compared with the one before),
  /// the first alone, the latest with every sharing option, and the first
  /// compared with the latest.
  static func expectStreamedEqualsInMemory(_ db: DatabaseQueue, _ dir: TempDir, first: Int64, second: Int64) throws {
    let key = dir.write("key", String(repeating: "k", count: 32))
    chmod(key, 0o600)
    let options = [
      ReportOptions(),
      ReportOptions(
        pseudonymiser: try Pseudonymiser(keyFile: key), suppressSmallNumbers: true, excel: true),
      ReportOptions(compareRunId: second),
    ]
    for (runId, option) in [(nil, options[0]), (first, options[0]), (second, options[1]), (first, options[2])] {
      let out = dir.file("out-\(UUID().uuidString)")
      let reported = try Reporter(db: db, logger: quietLogger).write(
        to: out, runId: runId, databaseName: "test.sqlite", options: option)
      let model = try #require(try db.read { try ReportModel.load($0, runId: runId, compareWith: option.compareRunId) })
      #expect(reported == model.run.id)
      for (name, text) in Reporter.files(model, options: option) {
        let bom = option.excel && Reporter.humanFacingCSVs.contains(name) ? Reporter.byteOrderMark : ""
        // Bytes, not String(contentsOfFile:), which drops a byte order mark.
        let written = try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent(name)))
        #expect(written == Data((bom + text).utf8), "\(name) of run \(reported) differs when streamed")
      }
    }
  }

  @Test("the page read from the database passes the caps of report.html exactly as the page of the model")
  func pageCaps() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let (db, _, second) = try Self.bigTrust(dir)
    let model = try #require(try db.read { try ReportModel.load($0, runId: second) })
    let page = try db.read { db in
      try HTMLReport.Page.load(db, run: model.run, compareWith: model.comparison?.run)
    }
    let memory = HTMLReport.Page(model)
    // The fixture is big enough for every cap to apply.
    #expect(model.findings.count > HTMLReport.worklistLimit)
    #expect(page.worklist.count == HTMLReport.worklistLimit)
    #expect(page.flagCount > HTMLReport.listLimit)
    #expect(page.flags.count == HTMLReport.listLimit)
    let comparison = try #require(page.comparison)
    #expect(comparison.newCount > HTMLReport.listLimit)
    #expect(comparison.new.count == HTMLReport.listLimit)
    #expect(Dictionary(grouping: page.rejectExamples, by: \.reasonCode).values.allSatisfy { $0.count == HTMLReport.examples })
    // And it is the page of the model.
    #expect(page.figures == memory.figures)
    #expect(page.worklist == memory.worklist)
    #expect(page.flags == memory.flags)
    #expect(page.flagCount == memory.flagCount)
    #expect(page.rejectExamples == memory.rejectExamples)
    #expect(page.warningExamples == memory.warningExamples)
    #expect(comparison.new == memory.comparison?.new)
    #expect(comparison.resolved == memory.comparison?.resolved)
    #expect(comparison.newCount == memory.comparison?.newCount)
    #expect(comparison.resolvedCount == memory.comparison?.resolvedCount)
    #expect(comparison.stillOpenCount == memory.comparison?.stillOpenCount)
  }

  @Test("a streamed file that fails part way leaves no temporary file and the previous file as it was")
  func failedStreamLeavesOldFile() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let out = try ReportWriter(folder: dir.file("out"))
    try out.write("findings.csv", "old\r\n")
    struct Boom: Error {}
    #expect(throws: Boom.self) {
      try out.stream("findings.csv") { sink in
        for _ in 0..<100_000 { try sink.append("a row of a findings file that is long enough\r\n") }
        throw Boom()
      }
    }
    #expect(try String(contentsOfFile: dir.file("out/findings.csv"), encoding: .utf8) == "old\r\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")) == ["findings.csv"])
  }
}
