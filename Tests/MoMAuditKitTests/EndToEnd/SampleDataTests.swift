import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// `momaudit run --sources SampleData/sources.toml`, as `make audit` does.
/// The expected figures are SampleData/expected.json, written by the
/// generator's own reading of the rules (SampleData/generate.py), not by
/// this code.
@Suite("SampleData end to end", .serialized)
struct SampleDataTests {
  static func expected() throws -> [String: Any] {
    let url = Paths.sampleData.appendingPathComponent("expected.json")
    return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
  }

  @Test("the trust's delivery runs through its manifest: every figure is the generator's, every file balances")
  func sampleAudit() throws {
    let expected = try Self.expected()
    let t = TempDir()
    defer { t.cleanup() }
    let out = t.file("Reports")
    let args = ["run", "--db", t.file("a.db"), "--as-of", "2026-09-30", "--quiet", "--sources", Paths.sampleManifest.path]
    let r = try Executables.run("momaudit", args + ["--out", out])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)
    for name in Reporter.fileNames {
      #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
    }
    let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
    for key in ["momPatients", "inSurveillance", "rowsRead", "rowsAccepted", "rowsRejected", "rowsSkipped"] {
      #expect(summary[key] as? Int == expected[key] as? Int, "\(key)")
    }
    #expect((summary["rowsRead"] as! Int) == (summary["rowsAccepted"] as! Int) + (summary["rowsRejected"] as! Int) + (summary["rowsSkipped"] as! Int))
    func counts(_ key: String) -> [String: Int] {
      Dictionary(uniqueKeysWithValues: (summary[key] as! [[String: Any]]).map { ($0["key"] as! String, $0["count"] as! Int) })
    }
    #expect(counts("exclusions") == expected["exclusions"] as! [String: Int])
    let requirements = (summary["requirements"] as! [[String: Any]]).reduce(into: [String: Int]()) {
      $0[$1["finding"] as! String] = $1["findings"] as? Int
    }
    #expect(requirements == expected["findings"] as! [String: Int])
    #expect(counts("momImplantsByBasis") == expected["momImplantsByWay"] as! [String: Int])
    // Flags and warnings: this code counts per implant where the generator
    // counts patients (CONSIDER_REVISION_IMAGING, SEX_UNKNOWN); compare
    // distinct patients from the database for those.
    let db = try DatabaseQueue(path: t.file("a.db"))
    let flagPatients = try db.read {
      try Row.fetchAll($0, sql: "SELECT flag, count(DISTINCT nhs_number) FROM clinical_flag GROUP BY flag")
    }.reduce(into: [String: Int]()) { $0[$1[0]] = $1[1] }
    let warningPatients = try db.read {
      try Row.fetchAll($0, sql: "SELECT code, count(DISTINCT nhs_number) FROM warning GROUP BY code")
    }.reduce(into: [String: Int]()) { $0[$1[0]] = $1[1] }
    let expectedFlags = expected["clinicalFlags"] as! [String: Int]
    #expect(Set(counts("clinicalFlags").keys) == Set(expectedFlags.keys))
    for (flag, n) in expectedFlags {
      #expect(counts("clinicalFlags")[flag] == n || flagPatients[flag] == n, "\(flag)")
    }
    let expectedWarnings = expected["warningsByCode"] as! [String: Int]
    for (code, n) in expectedWarnings {
      #expect(counts("warningsByCode")[code] == n || warningPatients[code] == n, "\(code)")
    }
    #expect(Set(counts("warningsByCode").keys) == Set(expectedWarnings.keys))
    // Every new warning of revision 3 occurs.
    for code in [
      "CENSORED_RESULT_UNCERTAIN", "SAMPLE_DATES_DIFFER", "CONFLICTING_RESULTS", "BEARING_FROM_COMPONENTS", "BEARING_ASSUMED_MOM",
      "EXCEPTION_TOO_LONG",
    ] {
      #expect((counts("warningsByCode")[code] ?? 0) > 0, "\(code)")
    }
    // Clinicians' exceptions (§8): `findings` above are after exceptions; here the
    // excepted findings per code and per reason, the exceptions due for review, and
    // the findings back after their exception expired, each naming it.
    let expectedExcepted = expected["excepted"] as! [String: Int]
    #expect(summary["excepted"] as? Int == expectedExcepted.values.reduce(0, +))
    let exceptedPerCode = (summary["requirements"] as! [[String: Any]]).reduce(into: [String: Int]()) {
      $0[$1["finding"] as! String] = $1["exceptedFindings"] as? Int
    }
    #expect(exceptedPerCode == expectedExcepted)
    #expect(counts("exceptedByReason") == expected["exceptedByReason"] as! [String: Int])
    for key in ["exceptionsDueForReview", "findingsWithExpiredException"] {
      #expect(summary[key] as? Int == expected[key] as? Int, "\(key)")
    }
    let run = try #require(try db.read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM check_run") })
    func line(_ row: Row) -> String {
      [0, 1, 2, 3].map { (row[$0] as String?) ?? "" }.joined(separator: " ")
    }
    let expired = try db.read {
      try Row.fetchAll(
        $0, sql: "SELECT nhs_number, finding, procedure_id, expired_exception_id, detail FROM finding WHERE check_run_id = ? AND expired_exception_id IS NOT NULL",
        arguments: [run])
    }
    #expect(expired.map(line).sorted() == (expected["expiryNotes"] as! [String]).sorted())
    for row in expired {
      let detail: String = row["detail"]
      let id: String = row["expired_exception_id"]
      #expect(detail.contains("; exception \(id) expired on "), "\(detail)")
    }
    let excepted = try db.read {
      try Row.fetchAll(
        $0, sql: "SELECT nhs_number, finding, procedure_id, exception_id FROM excepted_finding WHERE check_run_id = ?",
        arguments: [run])
    }
    #expect(excepted.map(line).sorted() == (expected["exceptedRows"] as! [String]).sorted())
    // Every file: its source, kind and counts, and its skips by rule.
    let files = try db.read {
      try Row.fetchAll($0, sql: "SELECT id, path, source, rows_read, rows_accepted, rows_rejected, rows_skipped FROM source_file ORDER BY id")
    }
    let expectedFiles = expected["files"] as! [String: [String: Any]]
    #expect(files.count == expectedFiles.count)
    for f in files {
      let path: String = f["path"]
      let rel = String(path.dropFirst(Paths.sampleData.path.count + 1))
      let e = try #require(expectedFiles[rel], "\(rel)")
      #expect(f["source"] as String == e["source"] as! String, "\(rel)")
      #expect(
        [f["rows_read"], f["rows_accepted"], f["rows_rejected"], f["rows_skipped"]] as [Int]
          == [e["rowsRead"], e["rowsAccepted"], e["rowsRejected"], e["rowsSkipped"]].map { $0 as! Int }, "\(rel)")
      #expect((f["rows_read"] as Int) == (f["rows_accepted"] as Int) + (f["rows_rejected"] as Int) + (f["rows_skipped"] as Int))
      // The generator names a skip rule by its field (`skip event_type`); here each listed value is a rule.
      let skips = try db.read {
        try Row.fetchAll($0, sql: "SELECT rule, rows FROM file_skip WHERE source_file_id = ?", arguments: [f["id"] as Int64])
      }.reduce(into: [String: Int]()) { byField, row in
        let rule: String = row[0]
        let field = rule.components(separatedBy: " = ")[0]
        byField[field, default: 0] += row[1]
      }
      #expect(skips == e["skips"] as! [String: Int], "\(rel)")
    }
    // A second run changes nothing but adds a check run: same findings, section 7 compares.
    let again = try Executables.run("momaudit", args + ["--out", t.file("R2")])
    #expect(again.status == 0)
    let first = try String(contentsOfFile: out + "/findings.csv", encoding: .utf8)
    let second = try String(contentsOfFile: t.file("R2/findings.csv"), encoding: .utf8)
    #expect(first == second)
    let html = try String(contentsOfFile: t.file("R2/report.html"), encoding: .utf8)
    #expect(html.contains("Findings compared with run 1"))
  }
}
