import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// `momaudit history` (outputs.md): one line per stored check run, oldest
/// as-of first (then run id), with the run's figures and findings per code.
@Suite("momaudit history")
struct RunHistoryTests {
  @Test("runs by as-of date then id, figures from the runs, every finding code counted; text and JSON")
  func history() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("a.db")
    let inputs = [
      Paths.scenarios.appendingPathComponent("23-reingest-corrections/inputs").path,
    ]
    #expect(try Executables.run("momaudit-ingest", ["--db", db, "--quiet"] + inputs).status == 0)
    // Stored in the order 2025, 2024, 2025: listed 2024 (run 2), then 2025 (runs 1 and 3).
    for asOf in ["2025-06-30", "2024-06-30", "2025-06-30"] {
      #expect(try Executables.run("momaudit-check", ["--db", db, "--quiet", "--as-of", asOf]).status == 0)
    }
    let entries = try DatabaseQueue(path: db).read { try RunHistory.load($0) }
    #expect(entries.map(\.runId) == [2, 1, 3])
    #expect(entries.map(\.asOf) == ["2024-06-30", "2025-06-30", "2025-06-30"])
    // Scenario 23's hand-computed findings as of 2025-06-30: three REVIEW_OVERDUE, three IMAGING_BASELINE_MISSING.
    let latest = entries[2]
    #expect(latest.findings == 6)
    #expect(latest.overdue["REVIEW_OVERDUE"] == 3)
    #expect(latest.overdue["IMAGING_BASELINE_MISSING"] == 3)
    #expect(latest.overdue.count == 6)
    #expect(latest.overdue.values.reduce(0, +) == latest.findings)
    #expect(latest.inSurveillance == 7)
    #expect(latest.rulePack == "mhra-2017")
    #expect(!latest.localProtocol)
    #expect(latest.excepted == 0)
    let text = try Executables.run("momaudit", ["history", "--db", db])
    #expect(text.status == 0)
    let lines = text.stdout.split(separator: "\n")
    #expect(lines.count == 3)  // exactly one line per run
    #expect(
      lines[2] == "run=3 as_of=2025-06-30 rule_pack=mhra-2017 local_protocol=no mom_patients=\(latest.momPatients) "
        + "in_surveillance=7 findings=6 excepted=0 REVIEW_OVERDUE=3 IONS_OVERDUE=0 ION_REPEAT_OVERDUE=0 "
        + "IMAGING_RISING_IONS_OVERDUE=0 IMAGING_SYMPTOMS_OVERDUE=0 IMAGING_BASELINE_MISSING=3")
    #expect(lines[0].hasPrefix("run=2 as_of=2024-06-30 rule_pack=mhra-2017 local_protocol=no "))
    let json = try Executables.run("momaudit", ["history", "--db", db, "--json"])
    #expect(json.status == 0)
    let decoded = try JSONDecoder().decode([RunHistory.Entry].self, from: Data(json.stdout.utf8))
    #expect(decoded == entries)
  }
}
