import Foundation

/// `momaudit run --metrics-file FILE`: the run's gauges in Prometheus's text
/// exposition format, for node_exporter's textfile collector (outputs.md).
/// Written atomically (a temporary file in the same folder, then renamed),
/// so the collector never reads half a file. No label carries patient data.
package struct MetricsFile {
  package var lastRun: Date
  /// The last run that exited 0 or 1; nil when none is known.
  package var lastSuccess: Date?
  package var exitCode: Int32
  package var durationSeconds: Double
  package var rowsRead = 0
  package var rowsRejected = 0
  package var rowsSkipped = 0
  package var filesRefused = 0
  package var patientsInSurveillance = 0
  package var findings = 0
  package var excepted = 0

  package init(lastRun: Date, exitCode: Int32, durationSeconds: Double) {
    self.lastRun = lastRun
    self.exitCode = exitCode
    self.durationSeconds = durationSeconds
  }

  static let gauges: [(name: String, help: String)] = [
    ("momaudit_last_run_timestamp_seconds", "Unix time the last momaudit run ended, whatever its outcome."),
    ("momaudit_last_success_timestamp_seconds", "Unix time the last run that exited 0 or 1 ended (0: none known)."),
    ("momaudit_exit_code", "Exit code of the last run (0 success, 1 findings with --fail-on-findings, 64 usage, 65 input refused, 66 input missing, 73 cannot write, 75 locked)."),
    ("momaudit_run_duration_seconds", "Wall time of the last run."),
    ("momaudit_rows_read", "Input rows read by the last run's ingest."),
    ("momaudit_rows_rejected", "Input rows rejected by the last run's ingest."),
    ("momaudit_rows_skipped", "Input rows skipped by profile rules in the last run's ingest."),
    ("momaudit_files_refused", "Input files refused by the last run's ingest (a refused delivery counts its files)."),
    ("momaudit_patients_in_surveillance", "Patients in surveillance in the last run's check."),
    ("momaudit_findings", "Missed follow-ups found by the last run's check."),
    ("momaudit_excepted", "Findings excepted by clinicians' decisions in the last run's check."),
  ]

  /// The file's text.
  package var text: String {
    let values: [String: String] = [
      "momaudit_last_run_timestamp_seconds": Self.seconds(lastRun),
      "momaudit_last_success_timestamp_seconds": lastSuccess.map(Self.seconds) ?? "0",
      "momaudit_exit_code": String(exitCode),
      "momaudit_run_duration_seconds": String(format: "%.3f", durationSeconds),
      "momaudit_rows_read": String(rowsRead), "momaudit_rows_rejected": String(rowsRejected),
      "momaudit_rows_skipped": String(rowsSkipped), "momaudit_files_refused": String(filesRefused),
      "momaudit_patients_in_surveillance": String(patientsInSurveillance), "momaudit_findings": String(findings),
      "momaudit_excepted": String(excepted),
    ]
    return Self.gauges.map { g in
      "# HELP \(g.name) \(g.help)\n# TYPE \(g.name) gauge\n\(g.name) \(values[g.name]!)\n"
    }.joined()
  }

  static func seconds(_ d: Date) -> String { String(format: "%.3f", d.timeIntervalSince1970) }

  /// The last success recorded in an earlier file at `path`, if any.
  package static func lastSuccess(in path: String) -> Date? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("momaudit_last_success_timestamp_seconds ") {
      guard let v = Double(line.split(separator: " ").last ?? ""), v > 0 else { return nil }
      return Date(timeIntervalSince1970: v)
    }
    return nil
  }

  /// Writes the file atomically, readable by owner and group (0640).
  package func write(to path: String) throws {
    let temp = path + ".tmp-\(getpid())"
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw AuditError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    _ = fchmod(fd, 0o640)
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    let synced = fsync(fd) == 0
    close(fd)
    guard written == bytes.count, synced, rename(temp, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temp)
      throw AuditError.cannotWrite(path: path, reason: reason)
    }
  }
}
