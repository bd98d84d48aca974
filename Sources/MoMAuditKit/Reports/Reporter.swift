import Foundation
import GRDB
import Logging

/// How the report folder is written (the report options of `momaudit-report`
/// and `momaudit run`).
package struct ReportOptions: Sendable {
  /// Replaces NHS numbers in submission.csv (`--pseudonymise KEYFILE`).
  package var pseudonymiser: Pseudonymiser?
  /// The run section 7 compares with (`--compare RUN`); default: the previous run.
  package var compareRunId: Int64?
  /// aggregates.csv with small-number suppression (`--suppress-small-numbers`).
  package var suppressSmallNumbers: Bool
  /// The human-facing CSVs start with a UTF-8 byte order mark (`--excel`).
  package var excel: Bool

  package init(
    pseudonymiser: Pseudonymiser? = nil, compareRunId: Int64? = nil, suppressSmallNumbers: Bool = false,
    excel: Bool = false
  ) {
    self.pseudonymiser = pseudonymiser
    self.compareRunId = compareRunId
    self.suppressSmallNumbers = suppressSmallNumbers
    self.excel = excel
  }
}

/// The report stage: reads a check run and writes the report folder.
package struct Reporter {
  let db: DatabaseQueue
  let logger: Logger

  package init(db: DatabaseQueue, logger: Logger) {
    self.db = db
    self.logger = logger
  }

  package static let fileNames = [
    "report.html", "findings.csv", "excepted.csv", "patients.csv", "submission.csv", "rejects.csv", "withdrawn.csv",
    "warnings.csv", "aggregates.csv", "summary.json", "datapackage.json",
  ]

  /// The CSVs people open in a spreadsheet: written with a byte order mark
  /// under `--excel`. submission.csv is for a machine and never has one.
  package static let humanFacingCSVs: Set<String> = [
    "findings.csv", "excepted.csv", "patients.csv", "rejects.csv", "withdrawn.csv", "warnings.csv", "aggregates.csv",
  ]

  package static let byteOrderMark = "\u{FEFF}"

  /// Returns the run reported.
  @discardableResult
  package func write(
    to folder: String, runId: Int64?, databaseName: String, pseudonymiser: Pseudonymiser? = nil
  ) throws -> Int64 {
    try write(to: folder, runId: runId, databaseName: databaseName, options: ReportOptions(pseudonymiser: pseudonymiser))
  }

  /// Returns the run reported. Reads one snapshot of the database: the
  /// figures by aggregate queries, report.html from a page of bounded size,
  /// and each CSV streamed from a cursor to its file, so memory does not grow
  /// with the size of the run (issue 5). The files are byte for byte those of
  /// `files(_:options:)` on the same run in memory (ReportStreamingTests).
  ///
  /// With a database file in WAL mode the CSVs stream on a thread of their
  /// own, from a reading connection of its own, while this thread loads the
  /// page and writes report.html: the two halves of the report on two cores
  /// (issue 14). The two connections read the same state: every momaudit
  /// stage holds the database's run lock while it runs, so nothing commits
  /// between their reads.
  @discardableResult
  package func write(to folder: String, runId: Int64?, databaseName: String, options: ReportOptions) throws -> Int64 {
    let wal = try db.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal"
    let path = db.path
    let secondReader = wal && !path.isEmpty && path != ":memory:" && !path.hasPrefix("file:") ? path : nil
    return try db.read { db in
      if let other = options.compareRunId {
        guard try ReportModel.runExists(db, id: other) else {
          throw AuditError.usage("no check run \(other) in \(databaseName) to compare with")
        }
      }
      guard let run = try ReportModel.Run.fetch(db, id: runId) else {
        if let runId { throw AuditError.usage("no check run \(runId) in \(databaseName)") }
        throw AuditError.noCheckRun(db: databaseName)
      }
      if let other = options.compareRunId, other == run.id {
        throw AuditError.usage("--compare names the run being reported (\(other)); name another run")
      }
      let otherId = try options.compareRunId ?? ReportModel.runId(db, before: run.id)
      let other = try otherId.flatMap { try ReportModel.Run.fetch(db, id: $0) }
      let out = try ReportWriter(folder: folder)
      let page: HTMLReport.Page
      if let secondReader {
        let runId = run.id
        let since = other?.lastSourceFileId
        let csvs = BackgroundThread(name: "momaudit-csv") {
          var config = Configuration()
          config.readonly = true
          config.busyMode = .timeout(5)
          try DatabaseQueue(path: secondReader, configuration: config).read { db in
            try Self.streamCSVs(db, runId: runId, withdrawnSince: since, options: options, to: out)
          }
        }
        let loaded = Result { try HTMLReport.Page.load(db, run: run, compareWith: other) }
        let pageFiles = loaded.flatMap { page in Result { try Self.writePageFiles(page, options: options, to: out) } }
        try csvs.wait()
        try pageFiles.get()
        page = try loaded.get()
      } else {
        page = try HTMLReport.Page.load(db, run: run, compareWith: other)
        try Self.stream(db, page, options: options, to: out)
      }
      logger.info(
        "reports written", metadata: ["run": "\(run.id)", "folder": "\(folder)", "findings": "\(page.figures.findings)"])
      return run.id
    }
  }

  /// Writes every file of the report folder of `page`'s run.
  static func stream(_ db: Database, _ page: HTMLReport.Page, options: ReportOptions, to out: ReportWriter) throws {
    try streamCSVs(
      db, runId: page.run.id, withdrawnSince: page.comparison?.run.lastSourceFileId, options: options, to: out)
    try writePageFiles(page, options: options, to: out)
  }

  /// The report's CSVs of run `id`, each streamed from a cursor (withdrawn.csv:
  /// the records withdrawn after source file `withdrawnSince`, the compared run's last).
  static func streamCSVs(
    _ db: Database, runId id: Int64, withdrawnSince: Int64?, options: ReportOptions, to out: ReportWriter
  ) throws {
    func csv<C: Cursor>(_ name: String, _ header: [String], _ rows: C, _ cells: (C.Element) -> [String?]) throws {
      try out.stream(name) { sink in
        if options.excel && humanFacingCSVs.contains(name) { try sink.append(byteOrderMark) }
        try sink.appendCSVLine(header)
        while let row = try rows.next() { try sink.appendCSVLine(cells(row)) }
      }
    }
    try csv("findings.csv", CSVReports.findingsHeader, try ReportModel.FindingRow.fetchCursor(db, runId: id, evidence: false), CSVReports.cells)
    try csv(
      "excepted.csv", CSVReports.exceptedHeader, try ReportModel.ExceptedRow.fetchCursor(db, runId: id, evidence: false),
      CSVReports.cells)
    try csv("patients.csv", CSVReports.patientsHeader, try ReportModel.PatientRow.fetchCursor(db, runId: id), CSVReports.cells)
    let pseudonym = options.pseudonymiser.map { p in { p.pseudonym($0) } }
    try csv("submission.csv", CSVReports.submissionHeader, try ReportModel.ImplantRow.fetchCursor(db, runId: id)) {
      CSVReports.cells($0, pseudonym: pseudonym)
    }
    try csv("rejects.csv", CSVReports.rejectsHeader, try ReportModel.RejectRow.fetchCursor(db), CSVReports.cells)
    try csv(
      "withdrawn.csv", CSVReports.withdrawnHeader,
      try ReportModel.WithdrawnRow.fetchCursor(db, since: withdrawnSince), CSVReports.cells)
    try csv("warnings.csv", CSVReports.warningsHeader, try ReportModel.WarningRow.fetchCursor(db, runId: id), CSVReports.cells)
  }

  /// The files made from the page: aggregates.csv, summary.json, datapackage.json, report.html.
  static func writePageFiles(_ page: HTMLReport.Page, options: ReportOptions, to out: ReportWriter) throws {
    func text(_ name: String, _ text: String) throws {
      try out.write(name, options.excel && humanFacingCSVs.contains(name) ? byteOrderMark + text : text)
    }
    try text("aggregates.csv", Aggregates.csv(page.figures, suppress: options.suppressSmallNumbers))
    try text("summary.json", summaryJSON(page.figures))
    try text("datapackage.json", dataPackage(page.run, options))
    try text("report.html", HTMLReport.render(page))
  }

  /// Every file of the report folder of a run in memory, by name, without
  /// byte order marks (what the tests and goldens compare).
  package static func files(_ model: ReportModel, options: ReportOptions = ReportOptions()) -> [(String, String)] {
    let figures = ReportFigures(model)
    let pseudonym = options.pseudonymiser.map { p in { p.pseudonym($0) } }
    return [
      ("findings.csv", CSVReports.findings(model)),
      ("excepted.csv", CSVReports.excepted(model)),
      ("patients.csv", CSVReports.patients(model)),
      ("submission.csv", CSVReports.submission(model, pseudonym: pseudonym)),
      ("rejects.csv", CSVReports.rejects(model)),
      ("withdrawn.csv", CSVReports.withdrawn(model)),
      ("warnings.csv", CSVReports.warnings(model)),
      ("aggregates.csv", Aggregates.csv(figures, suppress: options.suppressSmallNumbers)),
      ("summary.json", summaryJSON(figures)),
      ("datapackage.json", dataPackage(model.run, options)),
      ("report.html", HTMLReport.render(model)),
    ]
  }

  static func dataPackage(_ run: ReportModel.Run, _ options: ReportOptions) -> String {
    DataPackage.json(
      asOf: run.asOf, bom: options.excel, pseudonymised: options.pseudonymiser != nil,
      suppressed: options.suppressSmallNumbers)
  }

  package static func summaryJSON(_ m: ReportModel) -> String { summaryJSON(ReportFigures(m)) }

  package static func summaryJSON(_ f: ReportFigures) -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = (try? enc.encode(f)) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}

