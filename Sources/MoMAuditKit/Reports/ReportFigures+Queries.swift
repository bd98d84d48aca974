import GRDB

extension ReportFigures {
  /// The figures of a run by aggregate queries: nothing per patient or per
  /// finding is held in memory, so the report stage's memory does not grow
  /// with the size of the run (issue 5). Agrees with `init(_: ReportModel)`
  /// (ReportStreamingTests).
  /// `compared`: the run the withdrawals are counted since (section 7);
  /// `withdrawn: false` leaves them out (a compared run's own figures).
  static func load(
    _ db: Database, run: ReportModel.Run, files: [ReportModel.SourceFile], compared: ReportModel.Run?,
    withdrawn: Bool = true
  ) throws -> ReportFigures {
    let id = run.id
    var t = Tallies()
    t.supersededFiles = try ReportModel.SourceFile.supersededCount(db)
    if withdrawn {
      t.comparedRun = compared?.id
      let rows = try ReportModel.WithdrawnRow.fetchCursor(db, since: compared?.lastSourceFileId)
      while let w = try rows.next() { t.count(w) }
    }
    func counts(_ sql: String, _ arguments: StatementArguments = []) throws -> [String: Int] {
      var d: [String: Int] = [:]
      for row in try Row.fetchAll(db, sql: sql, arguments: arguments) { d[row[0], default: 0] += row[1] as Int }
      return d
    }
    t.patientsByStatus = try counts(
      "SELECT status, count(*) FROM run_patient WHERE check_run_id = ? GROUP BY status", [id])
    let inSurveillance = PatientStatus.inSurveillance.rawValue
    for g in SurveillanceGroup.allCases {
      t.inSurveillanceByGroup[g.rawValue] =
        try Int.fetchOne(
          db,
          sql: """
            SELECT count(*) FROM run_patient WHERE check_run_id = ? AND status = ?
              AND instr(';' || groups || ';', ';' || ? || ';') > 0
            """, arguments: [id, inSurveillance, g.rawValue]) ?? 0
    }
    if let row = try Row.fetchOne(
      db, sql: "SELECT count(*), coalesce(sum(active), 0) FROM run_implant WHERE check_run_id = ?", arguments: [id])
    {
      t.momImplants = row[0]
      t.activeImplants = row[1]
    }
    for row in try Row.fetchAll(
      db, sql: "SELECT mom_basis, count(*) FROM run_implant WHERE check_run_id = ? GROUP BY mom_basis ORDER BY mom_basis",
      arguments: [id])
    {
      t.momImplantsByBasis[row[0]] = row[1]
    }
    // Active implants of patients in surveillance.
    let surveilledImplants = """
      FROM run_implant i JOIN run_patient p ON p.check_run_id = i.check_run_id AND p.nhs_number = i.nhs_number
      WHERE i.check_run_id = ? AND i.active AND p.status = ?
      """
    let imagingGroups = SurveillanceGroup.allCases.filter(\.imagingForAll).map(\.rawValue)
    // Active implants of patients in surveillance, and those in an "imaging for all" group: one pass.
    if let row = try Row.fetchOne(
      db,
      sql: """
        SELECT count(*), coalesce(sum(i.surveillance_group IN (\(databaseQuestionMarks(count: imagingGroups.count)))), 0)
        \(surveilledImplants)
        """,
      arguments: StatementArguments(imagingGroups) + StatementArguments([id, inSurveillance] as [any DatabaseValueConvertible]))
    {
      t.surveilledImplants = row[0]
      t.imagingForAllImplants = row[1]
    }
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT finding, count(*), count(DISTINCT nhs_number), count(DISTINCT procedure_id)
        FROM finding WHERE check_run_id = ? GROUP BY finding
        """, arguments: [id])
    {
      t.byFinding[row[0]] = (row[1], row[2], row[3])
    }
    if let row = try Row.fetchOne(
      db, sql: "SELECT count(*), count(DISTINCT nhs_number) FROM finding WHERE check_run_id = ?", arguments: [id])
    {
      t.findings = row[0]
      t.patientsWithFindings = row[1]
    }
    for row in try Row.fetchAll(
      db, sql: "SELECT days_overdue, count(*) FROM finding WHERE check_run_id = ? GROUP BY days_overdue", arguments: [id])
    {
      t.findingsByDaysOverdue[row[0]] = row[1]
    }
    for (column, patients, findings) in [
      ("site_code", \Tallies.sitePatients, \Tallies.siteFindings),
      ("consultant_code", \Tallies.consultantPatients, \Tallies.consultantFindings),
    ] {
      t[keyPath: patients] = try counts(
        "SELECT coalesce(i.\(column), '(none)'), count(DISTINCT i.nhs_number) \(surveilledImplants) GROUP BY 1",
        [id, inSurveillance])
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT coalesce(\(column), '(none)'), count(DISTINCT nhs_number), count(*)
          FROM finding WHERE check_run_id = ? GROUP BY 1
          """, arguments: [id])
      {
        t[keyPath: findings][row[0]] = (row[1], row[2])
      }
    }
    // §8: excepted findings, and the patients (implants) with one excepted and no finding of the code.
    t.exceptedFindings = try counts("SELECT finding, count(*) FROM excepted_finding WHERE check_run_id = ? GROUP BY finding", [id])
    t.exceptedByReason = try counts("SELECT reason, count(*) FROM excepted_finding WHERE check_run_id = ? GROUP BY reason", [id])
    let implantLevel = allRules.map(\.description).filter { $0.level == .implant }.map(\.code)
    for (unit, sameUnit) in [("nhs_number", ""), ("procedure_id", "AND f.procedure_id = x.procedure_id")] {
      let codes = unit == "procedure_id" ? implantLevel : allRules.map(\.description.code).filter { !implantLevel.contains($0) }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT x.finding, count(DISTINCT x.\(unit)) FROM excepted_finding x
          WHERE x.check_run_id = ? AND x.finding IN (\(databaseQuestionMarks(count: codes.count))) AND NOT EXISTS (
            SELECT 1 FROM finding f WHERE f.check_run_id = x.check_run_id AND f.nhs_number = x.nhs_number
              AND f.finding = x.finding \(sameUnit))
          GROUP BY x.finding
          """, arguments: StatementArguments([id]) + StatementArguments(codes))
      {
        t.exceptedUnits[row[0]] = row[1]
      }
    }
    t.dueForReview =
      try Int.fetchOne(
        db, sql: "SELECT count(*) FROM (\(ReportModel.ExceptionRow.dueForReviewSQL))",
        arguments: ReportModel.ExceptionRow.dueForReviewArguments(runId: id, asOf: run.asOf, limit: nil)) ?? 0
    t.expiredNoted =
      try Int.fetchOne(
        db, sql: "SELECT count(*) FROM finding WHERE check_run_id = ? AND expired_exception_id IS NOT NULL",
        arguments: [id]) ?? 0
    // Sections 9 and 10 are the reported run's: a compared run's figures leave them out.
    if withdrawn {
      // This run's point from the counts above.
      let current = TrendPoint(
        runId: id, asOf: run.asOf, inSurveillance: t.patientsByStatus[inSurveillance] ?? 0,
        patientsWithFindings: t.patientsWithFindings,
        byRequirement: RunHistory.codes.map { Count(key: $0, count: t.byFinding[$0]?.patients ?? 0) })
      t.trend = try TrendPoint.load(db, upTo: run, current: current)
      // Section 10: each patient in surveillance at the units of the governing implant of their
      // review, r from the patient's open findings (stored with the patient): one pass for the three kinds.
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT coalesce(nullif(i.trust_code, ''), ?1), coalesce(nullif(i.site_code, ''), ?1),
            coalesce(nullif(i.consultant_code, ''), ?1), count(*), sum(p.open_findings <> '')
          FROM run_patient p JOIN run_implant i ON i.check_run_id = p.check_run_id AND i.procedure_id = p.review_procedure_id
          WHERE p.check_run_id = ?2 AND p.status = ?3
          GROUP BY 1, 2, 3
          """, arguments: [UnitComparison.notRecorded, id, inSurveillance])
      {
        let n: Int = row[3]
        let r: Int = row[4]
        for (k, kind) in UnitComparison.kinds.enumerated() {
          let key: String = row[k]
          var c = t.units[kind, default: [:]][key] ?? (0, 0)
          c.n += n
          c.r += r
          t.units[kind, default: [:]][key] = c
        }
      }
    }
    t.flags = try counts("SELECT flag, count(*) FROM clinical_flag WHERE check_run_id = ? GROUP BY flag", [id])
    t.rejects = try counts(
      "SELECT r.reason_code, count(*) FROM reject r JOIN source_file s ON s.id = r.source_file_id WHERE s.superseded_by IS NULL GROUP BY 1")
    // As WarningRow.fetchCursor: the ingest warnings, then the run's.
    t.warnings = try counts(
      "SELECT code, count(*) FROM warning WHERE check_run_id IS NULL OR check_run_id = ? GROUP BY code", [id])
    return ReportFigures(run: run, files: files, t)
  }
}
