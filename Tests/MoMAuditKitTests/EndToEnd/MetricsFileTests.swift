import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// `momaudit run --metrics-file`: the gauges of outputs.md in Prometheus's
/// text format, checked with the reference client's parser
/// (`prometheus_client`, PyPI; `make test` installs it), written whatever
/// the outcome, the last success carried over a failure.
@Suite("Metrics file", .serialized)
struct MetricsFileTests {
  /// The file parsed by prometheus_client: metric name → value; nil when the parser refuses it.
  static func parse(_ path: String) throws -> [String: Double]? {
    let script = """
      import json, sys
      from prometheus_client.parser import text_string_to_metric_families
      out = {}
      for family in text_string_to_metric_families(open(sys.argv[1]).read()):
          assert family.type == "gauge", family.name
          for s in family.samples:
              assert not s.labels, s
              out[s.name] = s.value
      print(json.dumps(out))
      """
    let r = try Executables.run(url: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, path])
    if r.stderr.contains("No module named") {
      Issue.record("python3 cannot import prometheus_client: `make test` installs it (pip install prometheus_client)")
      return nil
    }
    guard r.status == 0 else {
      Issue.record("prometheus_client refused the file: \(r.stderr)")
      return nil
    }
    return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Double]
  }

  static let gauges = [
    "momaudit_last_run_timestamp_seconds", "momaudit_last_success_timestamp_seconds", "momaudit_exit_code",
    "momaudit_run_duration_seconds", "momaudit_rows_read", "momaudit_rows_rejected", "momaudit_rows_skipped",
    "momaudit_files_refused", "momaudit_patients_in_surveillance", "momaudit_findings", "momaudit_excepted",
  ]

  @Test("a run writes every gauge, parsed by prometheus_client; a failed run keeps the last success")
  func gauges() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("a.db")
    let metrics = t.file("momaudit.prom")
    let before = Date().timeIntervalSince1970
    let r = try Executables.run(
      "momaudit", ["run", "--db", db, "--as-of", "2026-09-30", "--out", t.file("out"), "--quiet", "--metrics-file", metrics, "--sources", Paths.sampleManifest.path])
    #expect(r.status == 0, "\(r.stderr)")
    let first = try #require(try Self.parse(metrics))
    #expect(Set(first.keys) == Set(Self.gauges))
    #expect(first["momaudit_exit_code"] == 0)
    #expect(first["momaudit_last_run_timestamp_seconds"]! >= before.rounded(.down))
    #expect(first["momaudit_last_success_timestamp_seconds"] == first["momaudit_last_run_timestamp_seconds"])
    #expect(first["momaudit_run_duration_seconds"]! > 0)
    let (read, rejected, skipped, inSurveillance, findings, excepted) = try DatabaseQueue(path: db).read { d in
      (
        try Int.fetchOne(d, sql: "SELECT sum(rows_read) FROM source_file")!,
        try Int.fetchOne(d, sql: "SELECT sum(rows_rejected) FROM source_file")!,
        try Int.fetchOne(d, sql: "SELECT sum(rows_skipped) FROM source_file")!,
        try Int.fetchOne(d, sql: "SELECT patients_in_surveillance FROM check_run")!,
        try Int.fetchOne(d, sql: "SELECT count(*) FROM finding")!,
        try Int.fetchOne(d, sql: "SELECT count(*) FROM excepted_finding")!
      )
    }
    #expect(first["momaudit_rows_read"] == Double(read))
    #expect(first["momaudit_rows_rejected"] == Double(rejected))
    #expect(first["momaudit_rows_skipped"] == Double(skipped))
    #expect(first["momaudit_files_refused"] == 0)
    #expect(first["momaudit_patients_in_surveillance"] == Double(inSurveillance))
    #expect(first["momaudit_findings"] == Double(findings))
    #expect(first["momaudit_excepted"] == Double(excepted))
    #expect(excepted > 0, "SampleData's clinicians' exceptions except findings")
    #expect(try String(contentsOfFile: metrics, encoding: .utf8).contains("# TYPE momaudit_findings gauge"))
    // A failed run (an input missing: 66): its exit code and time, the last success carried over.
    let failed = try Executables.run(
      "momaudit", ["run", "--db", db, "--as-of", "2026-09-30", "--out", t.file("out"), "--quiet", "--metrics-file", metrics, t.file("missing.csv")])
    #expect(failed.status == 66)
    let second = try #require(try Self.parse(metrics))
    #expect(second["momaudit_exit_code"] == 66)
    #expect(second["momaudit_last_success_timestamp_seconds"] == first["momaudit_last_success_timestamp_seconds"])
    #expect(second["momaudit_last_run_timestamp_seconds"]! >= first["momaudit_last_run_timestamp_seconds"]!)
    // No temporary file is left beside it.
    #expect(try FileManager.default.contentsOfDirectory(atPath: t.path).filter { $0.hasPrefix("momaudit.prom.") }.isEmpty)
  }
}
