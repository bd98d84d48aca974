import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// `momaudit run` over SampleData, as `make audit` does. The expected counts
/// come from the generator's independent reading of the spec
/// (SampleData/README.md), not from this code.
@Suite("SampleData end to end", .serialized)
struct SampleDataTests {
  @Test("the report folder holds every file, and every finding, exclusion, flag and warning occurs")
  func sampleAudit() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let out = t.file("Reports")
    let r = try Executables.run("momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2026-09-30", "--out", out, "--quiet", Paths.sampleData.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)
    for name in Reporter.fileNames {
      #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
    }
    let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
    #expect(summary["momPatients"] as? Int == 417)
    #expect(summary["inSurveillance"] as? Int == 238)
    #expect(summary["rowsRejected"] as? Int == 10)
    #expect((summary["rowsRead"] as! Int) == (summary["rowsAccepted"] as! Int) + (summary["rowsRejected"] as! Int))
    func counts(_ key: String) -> [String: Int] {
      Dictionary(uniqueKeysWithValues: (summary[key] as! [[String: Any]]).map { ($0["key"] as! String, $0["count"] as! Int) })
    }
    #expect(counts("exclusions") == ["deceased": 100, "revised": 63, "transferred_out": 10, "declined": 6])
    let requirements = (summary["requirements"] as! [[String: Any]]).reduce(into: [String: Int]()) {
      $0[$1["finding"] as! String] = $1["findings"] as? Int
    }
    #expect(requirements == [
      "REVIEW_OVERDUE": 71, "IONS_OVERDUE": 77, "ION_REPEAT_OVERDUE": 19, "IMAGING_RISING_IONS_OVERDUE": 7,
      "IMAGING_SYMPTOMS_OVERDUE": 8, "IMAGING_BASELINE_MISSING": 18,
    ])
    #expect(Set(counts("clinicalFlags").keys) == ["CONSIDER_REVISION_IMAGING", "RISING_IONS", "OHS_DETERIORATING", "DID_NOT_ATTEND"])
    #expect(counts("clinicalFlags")["RISING_IONS"] == 19)
    #expect(counts("clinicalFlags")["OHS_DETERIORATING"] == 21)
    #expect(counts("clinicalFlags")["DID_NOT_ATTEND"] == 32)
    let warnings = counts("warningsByCode")
    #expect(warnings["SAMPLE_NOT_WHOLE_BLOOD"] == 31)
    #expect(warnings["THRESHOLD_ROUNDING_BAND"] == 6)
    #expect(warnings["ORPHAN_EVENT"] == 5)
    #expect(warnings["SEX_INCONSISTENT"] == 3)
    #expect(warnings["HEAD_SIZE_UNKNOWN"] == 7)
    #expect(warnings["EVENT_BEFORE_PROCEDURE"] == 1)
    // Every input row is loaded or rejected, file by file.
    let files = try DatabaseQueue(path: t.file("a.db")).read {
      try Row.fetchAll($0, sql: "SELECT rows_read, rows_accepted, rows_rejected FROM source_file")
    }
    #expect(files.count == 3)
    for f in files { #expect((f[0] as Int) == (f[1] as Int) + (f[2] as Int)) }
    // A second run changes nothing but adds a check run: same findings, section 7 compares.
    let again = try Executables.run("momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2026-09-30", "--out", t.file("R2"), "--quiet", Paths.sampleData.path])
    #expect(again.status == 0)
    let first = try String(contentsOfFile: out + "/findings.csv", encoding: .utf8)
    let second = try String(contentsOfFile: t.file("R2/findings.csv"), encoding: .utf8)
    #expect(first == second)
    let html = try String(contentsOfFile: t.file("R2/report.html"), encoding: .utf8)
    #expect(html.contains("Findings compared with run 1"))
  }
}
