import Foundation
import Testing
@testable import MoMAuditKit

/// The report options of the built `momaudit-report` and `momaudit run`:
/// --compare, --excel and --suppress-small-numbers, with exact messages.
@Suite("Report command options", .serialized)
struct ReportCommandTests {
  var inputs: [String] {
    [ReportTests.fixture.appendingPathComponent("procedures.csv").path, ReportTests.fixture.appendingPathComponent("events.csv").path]
  }

  @Test("--compare reports any two runs side by side; a missing run exits 64 with an exact message")
  func compare() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("a.db")
    for asOf in ["2024-03-31", "2025-03-31"] {
      let r = try Executables.run("momaudit", ["run", "--quiet", "--db", db, "--as-of", asOf, "--out", t.file("run-\(asOf)")] + inputs)
      #expect(r.status == 0, "\(r.stderr)")
    }
    let latest = try String(contentsOfFile: t.file("run-2025-03-31/report.html"), encoding: .utf8)
    #expect(latest.contains("Compared with check run 1 (as of 31-Mar-2024"))
    let r = try Executables.run("momaudit-report", ["--quiet", "--db", db, "--run", "1", "--compare", "2", "--out", t.file("back")])
    #expect(r.status == 0, "\(r.stderr)")
    let back = try String(contentsOfFile: t.file("back/report.html"), encoding: .utf8)
    #expect(back.contains("Compared with check run 2 (as of 31-Mar-2025, rule pack mhra-2017, a later run)"))
    let missing = try Executables.run("momaudit-report", ["--quiet", "--db", db, "--compare", "7", "--out", t.file("x")])
    #expect(missing.status == 64)
    #expect(missing.stderr == "error: no check run 7 in \(db) to compare with\nhint: run with --help to see the options\n")
    #expect(!FileManager.default.fileExists(atPath: t.file("x/report.html")))
    let help = try Executables.run("momaudit-report", ["--help"])
    for option in ["--compare", "--excel", "--suppress-small-numbers", "--pseudonymise"] {
      #expect(help.stdout.contains(option), "\(option) in --help")
    }
  }

  @Test("run --excel --suppress-small-numbers: BOM on the human-facing CSVs, suppressed aggregates, plain submission")
  func excelAndSuppression() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let out = t.file("out")
    let r = try Executables.run(
      "momaudit", ["run", "--quiet", "--db", t.file("a.db"), "--as-of", "2025-03-31", "--out", out, "--excel", "--suppress-small-numbers"] + inputs)
    #expect(r.status == 0, "\(r.stderr)")
    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))) }
    for name in Reporter.humanFacingCSVs.sorted() { #expect(try bytes(name).prefix(3) == [0xEF, 0xBB, 0xBF], "\(name)") }
    #expect(try bytes("submission.csv").prefix(3) != [0xEF, 0xBB, 0xBF])
    let aggregates = parseCSV(String(decoding: try bytes("aggregates.csv").dropFirst(3), as: UTF8.self))
    #expect(aggregates.first == Aggregates.header)
    let values = aggregates.dropFirst().map { $0[4] }
    #expect(values.contains("*"))
    // Counts suppressed; decimals (limits, rates of large counts) with six places; statuses as words.
    #expect(values.allSatisfy {
      $0 == "*" || (Int($0).map { $0 % 5 == 0 } ?? false) || $0.range(of: #"^[01]\.[0-9]{6}$"#, options: .regularExpression) != nil
        || ["alarm", "alert", "none"].contains($0)
    })
    let package = String(decoding: try bytes("datapackage.json"), as: UTF8.self)
    #expect(package.contains("\"encoding\" : \"utf-8-sig\""))
  }
}
