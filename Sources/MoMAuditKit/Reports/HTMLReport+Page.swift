import Foundation
import GRDB

extension HTMLReport {
  /// What report.html shows of a run: the figures, and the first rows of
  /// each list (the worklist, flags, examples of rejects and warnings, the
  /// change lists). Its size is bounded whatever the size of the run, so
  /// the report stage reads it from the database (`load`) without holding
  /// the run in memory; `init(_:)` takes it from a model in memory, and a
  /// test checks the two agree.
  package struct Page: Sendable {
    package var run: ReportModel.Run
    package var files: [ReportModel.SourceFile]
    package var figures: ReportFigures
    /// The most overdue findings, at most `worklistLimit`.
    package var worklist: [ReportModel.FindingRow]
    /// The first flags by NHS number, at most `listLimit`, of `flagCount`.
    package var flags: [ReportModel.FlagRow]
    package var flagCount: Int
    /// The first `examples` rejects of each reason, in rejects.csv's order.
    package var rejectExamples: [ReportModel.RejectRow]
    /// The first `examples` warnings of each code, in warnings.csv's order.
    package var warningExamples: [ReportModel.WarningRow]
    package var comparison: Comparison?
    /// Section 8: the first `listLimit` exceptions due for review, by review date.
    package var dueForReview: [ReportModel.ExceptionRow] = []
    /// Section 8: the first `listLimit` findings back after their exceptions expired, in findings.csv's order.
    package var expired: [ReportModel.FindingRow] = []
    /// The exceptions those findings name, by id.
    package var expiredExceptions: [String: ReportModel.ExceptionRow] = [:]

    package struct Comparison: Sendable {
      package var run: ReportModel.Run
      package var figures: ReportFigures
      /// The first `listLimit` new and resolved findings, most overdue first.
      package var new: [ReportModel.FindingRow]
      package var resolved: [ReportModel.FindingRow]
      package var newCount: Int
      package var resolvedCount: Int
      package var stillOpenCount: Int
    }

    /// The page of run `run`, compared with `compareWith` if given, by
    /// queries whose results are bounded (LIMIT, aggregates).
    static func load(_ db: Database, run: ReportModel.Run, compareWith other: ReportModel.Run?) throws -> Page {
      let files = try ReportModel.SourceFile.fetchAll(db)
      let expired = try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM finding WHERE check_run_id = ? AND expired_exception_id IS NOT NULL
          ORDER BY \(ReportModel.FindingRow.order) LIMIT ?
          """, arguments: [run.id, listLimit]
      ).map { ReportModel.FindingRow(row: $0) }
      let ids = Set(expired.compactMap(\.expiredExceptionId))
      let expiredExceptions = try Row.fetchAll(
        db, sql: "SELECT * FROM run_exception WHERE check_run_id = ? AND exception_id IN (SELECT value FROM json_each(?))",
        arguments: [run.id, String(decoding: try JSONEncoder().encode(ids.sorted()), as: UTF8.self)]
      ).map(ReportModel.ExceptionRow.init(row:))
      var page = Page(
        run: run, files: files, figures: try ReportFigures.load(db, run: run, files: files, compared: other),
        worklist: try Array(ReportModel.FindingRow.fetchCursor(db, runId: run.id, limit: worklistLimit)),
        flags: try Array(ReportModel.FlagRow.fetchCursor(db, runId: run.id, limit: listLimit)),
        flagCount: try Int.fetchOne(db, sql: "SELECT count(*) FROM clinical_flag WHERE check_run_id = ?", arguments: [run.id]) ?? 0,
        rejectExamples: try Array(ReportModel.RejectRow.fetchCursor(db, examples: examples)),
        warningExamples: try Array(ReportModel.WarningRow.fetchCursor(db, runId: run.id, examples: examples)),
        comparison: try other.map { o in
          // Findings of run `a` with no finding of run `b` for the same patient, code and implant.
          func unmatched(_ a: Int64, _ b: Int64, _ select: String, limit: Int = -1) -> (String, StatementArguments) {
            (
              """
              SELECT \(select) FROM finding a WHERE a.check_run_id = ? AND NOT EXISTS (
                SELECT 1 FROM finding b WHERE b.check_run_id = ? AND b.nhs_number = a.nhs_number
                  AND b.finding = a.finding AND b.procedure_id = a.procedure_id)
              ORDER BY \(ReportModel.FindingRow.order) LIMIT ?
              """, [a, b, limit]
            )
          }
          func rows(_ a: Int64, _ b: Int64) throws -> [ReportModel.FindingRow] {
            let (sql, arguments) = unmatched(a, b, "*", limit: listLimit)
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { ReportModel.FindingRow(row: $0) }
          }
          func count(_ a: Int64, _ b: Int64) throws -> Int {
            let (sql, arguments) = unmatched(a, b, "1")
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(sql))", arguments: arguments) ?? 0
          }
          let newCount = try count(run.id, o.id)
          let findings = try Int.fetchOne(db, sql: "SELECT count(*) FROM finding WHERE check_run_id = ?", arguments: [run.id]) ?? 0
          return Comparison(
            run: o, figures: try ReportFigures.load(db, run: o, files: files, compared: nil, withdrawn: false),
            new: try rows(run.id, o.id),
            resolved: try rows(o.id, run.id), newCount: newCount, resolvedCount: try count(o.id, run.id),
            stillOpenCount: findings - newCount)
        })
      page.dueForReview = try ReportModel.ExceptionRow.fetchDueForReview(db, runId: run.id, asOf: run.asOf, limit: listLimit)
      page.expired = expired
      page.expiredExceptions = Dictionary(expiredExceptions.map { ($0.exceptionId, $0) }, uniquingKeysWith: { a, _ in a })
      return page
    }
  }
}

extension HTMLReport.Page {
  // In an extension, so that Swift keeps the memberwise initialiser `load` uses.
  /// The page of a model in memory.
  package init(_ m: ReportModel) {
    run = m.run
    files = m.files
    figures = ReportFigures(m)
    worklist = Array(m.findings.prefix(HTMLReport.worklistLimit))
    flags = Array(m.flags.prefix(HTMLReport.listLimit))
    flagCount = m.flags.count
    func firstOfEach<T>(_ rows: [T], _ key: (T) -> String) -> [T] {
      var seen: [String: Int] = [:]
      return rows.filter {
        seen[key($0), default: 0] += 1
        return seen[key($0)]! <= HTMLReport.examples
      }
    }
    rejectExamples = firstOfEach(m.rejects, \.reasonCode)
    warningExamples = firstOfEach(m.warnings, \.code)
    dueForReview = Array(
      m.exceptions.filter { $0.dueForReview(asOf: m.run.asOf) }
        .sorted { $0.reviewBy != $1.reviewBy ? $0.reviewBy < $1.reviewBy : codePointLess($0.exceptionId, $1.exceptionId) }
        .prefix(HTMLReport.listLimit))
    expired = Array(m.findings.filter { $0.expiredExceptionId != nil }.prefix(HTMLReport.listLimit))
    let ids = Set(expired.compactMap(\.expiredExceptionId))
    expiredExceptions = Dictionary(
      m.exceptions.filter { ids.contains($0.exceptionId) }.map { ($0.exceptionId, $0) }, uniquingKeysWith: { a, _ in a })
    comparison = m.comparison.map { c in
      let d = HTMLReport.FindingDiff(m.findings, c.findings)
      return Comparison(
        run: c.run, figures: c.figures, new: Array(d.new.prefix(HTMLReport.listLimit)), resolved: Array(d.resolved.prefix(HTMLReport.listLimit)),
        newCount: d.new.count, resolvedCount: d.resolved.count, stillOpenCount: d.stillOpen.count)
    }
  }
}
