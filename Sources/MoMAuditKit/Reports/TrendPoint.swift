import GRDB

/// One point of the report's trend (outputs.md section 9): a check run's
/// patients in surveillance and those with a missed follow-up, overall and
/// per requirement.
package struct TrendPoint: Sendable, Codable, Equatable {
  package var runId: Int64
  package var asOf: String
  package var inSurveillance: Int
  /// Patients with at least one finding.
  package var patientsWithFindings: Int
  /// Per finding code (every code, in the rules' order): patients with a finding of it.
  package var byRequirement: [ReportFigures.Count]

  /// Percentage of patients in surveillance, or nil when there are none.
  package static func percent(_ part: Int, of whole: Int) -> Double? {
    whole == 0 ? nil : Double(part) * 100 / Double(whole)
  }

  /// For every as-of date of the database's check runs up to `run`'s, the
  /// latest run of that date (`run` itself for its own date), oldest first.
  /// Aggregates over the run index: bounded memory whatever the run's size.
  /// `current`: `run`'s own point when the caller has its figures already.
  static func load(_ db: Database, upTo run: ReportModel.Run, current: TrendPoint? = nil) throws -> [TrendPoint] {
    let runs = try Row.fetchAll(
      db,
      sql: """
        SELECT id, as_of, patients_in_surveillance FROM check_run c
        WHERE as_of < ? AND id = (SELECT max(id) FROM check_run d WHERE d.as_of = c.as_of)
        UNION ALL SELECT id, as_of, patients_in_surveillance FROM check_run WHERE id = ?
        ORDER BY as_of
        """, arguments: [run.asOf, run.id])
    let codes = RunHistory.codes
    return try runs.map { r in
      let id: Int64 = r["id"]
      if let current, id == current.runId { return current }
      var per: [String: Int] = [:]
      for row in try Row.fetchAll(
        db, sql: "SELECT finding, count(DISTINCT nhs_number) FROM finding WHERE check_run_id = ? GROUP BY finding",
        arguments: [id])
      {
        per[row[0]] = row[1]
      }
      let with =
        try Int.fetchOne(db, sql: "SELECT count(DISTINCT nhs_number) FROM finding WHERE check_run_id = ?", arguments: [id])
        ?? 0
      return TrendPoint(
        runId: id, asOf: r["as_of"], inSurveillance: r["patients_in_surveillance"], patientsWithFindings: with,
        byRequirement: codes.map { ReportFigures.Count(key: $0, count: per[$0] ?? 0) })
    }
  }
}
