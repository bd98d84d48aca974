import Foundation
import GRDB
import Logging

/// How the report folder is written (the report options of `momaudit-report`
/// and `momaudit run`).
package struct ReportOptions {
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
    "report.html", "findings.csv", "patients.csv", "submission.csv", "rejects.csv", "warnings.csv", "aggregates.csv",
    "summary.json", "datapackage.json",
  ]

  /// The CSVs people open in a spreadsheet: written with a byte order mark
  /// under `--excel`. submission.csv is for a machine and never has one.
  package static let humanFacingCSVs: Set<String> = [
    "findings.csv", "patients.csv", "rejects.csv", "warnings.csv", "aggregates.csv",
  ]

  package static let byteOrderMark = "\u{FEFF}"

  /// Returns the run reported.
  @discardableResult
  package func write(
    to folder: String, runId: Int64?, databaseName: String, pseudonymiser: Pseudonymiser? = nil
  ) throws -> Int64 {
    try write(to: folder, runId: runId, databaseName: databaseName, options: ReportOptions(pseudonymiser: pseudonymiser))
  }

  /// Returns the run reported.
  @discardableResult
  package func write(to folder: String, runId: Int64?, databaseName: String, options: ReportOptions) throws -> Int64 {
    let model = try db.read { db -> ReportModel? in
      if let other = options.compareRunId {
        guard try ReportModel.runExists(db, id: other) else {
          throw AuditError.usage("no check run \(other) in \(databaseName) to compare with")
        }
      }
      return try ReportModel.load(db, runId: runId, compareWith: options.compareRunId)
    }
    guard let model else {
      if let runId { throw AuditError.usage("no check run \(runId) in \(databaseName)") }
      throw AuditError.noCheckRun(db: databaseName)
    }
    if let other = options.compareRunId, other == model.run.id {
      throw AuditError.usage("--compare names the run being reported (\(other)); name another run")
    }
    let out = try ReportWriter(folder: folder)
    for (name, text) in Self.files(model, options: options) {
      let bom = options.excel && Self.humanFacingCSVs.contains(name)
      try out.write(name, bom ? Self.byteOrderMark + text : text)
    }
    logger.info(
      "reports written",
      metadata: ["run": "\(model.run.id)", "folder": "\(folder)", "findings": "\(model.findings.count)"])
    return model.run.id
  }

  /// Every file of the report folder, by name, without byte order marks.
  package static func files(_ model: ReportModel, options: ReportOptions = ReportOptions()) -> [(String, String)] {
    let figures = ReportFigures(model)
    return [
      ("findings.csv", CSVReports.findings(model)),
      ("patients.csv", CSVReports.patients(model)),
      ("submission.csv", CSVReports.submission(model, pseudonym: options.pseudonymiser.map { p in { p.pseudonym($0) } })),
      ("rejects.csv", CSVReports.rejects(model)),
      ("warnings.csv", CSVReports.warnings(model)),
      ("aggregates.csv", Aggregates.csv(figures, suppress: options.suppressSmallNumbers)),
      ("summary.json", summaryJSON(model)),
      (
        "datapackage.json",
        DataPackage.json(
          asOf: model.run.asOf, bom: options.excel, pseudonymised: options.pseudonymiser != nil,
          suppressed: options.suppressSmallNumbers)
      ),
      ("report.html", HTMLReport.render(model)),
    ]
  }

  package static func summaryJSON(_ m: ReportModel) -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = (try? enc.encode(ReportFigures(m))) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
