import Foundation
import GRDB
import Logging

/// The report stage: reads a check run and writes the report folder.
package struct Reporter {
  let db: DatabaseQueue
  let logger: Logger

  package init(db: DatabaseQueue, logger: Logger) {
    self.db = db
    self.logger = logger
  }

  package static let fileNames = [
    "report.html", "findings.csv", "patients.csv", "submission.csv", "rejects.csv", "warnings.csv", "summary.json",
  ]

  /// Returns the run reported.
  @discardableResult
  package func write(to folder: String, runId: Int64?, databaseName: String, pseudonymiser: Pseudonymiser? = nil) throws -> Int64 {
    guard let model = try db.read({ try ReportModel.load($0, runId: runId) }) else {
      if let runId { throw AuditError.usage("no check run \(runId) in \(databaseName)") }
      throw AuditError.noCheckRun(db: databaseName)
    }
    let out = try ReportWriter(folder: folder)
    let files: [(String, String)] = [
      ("findings.csv", CSVReports.findings(model)),
      ("patients.csv", CSVReports.patients(model)),
      ("submission.csv", CSVReports.submission(model, pseudonym: pseudonymiser.map { p in { p.pseudonym($0) } })),
      ("rejects.csv", CSVReports.rejects(model)),
      ("warnings.csv", CSVReports.warnings(model)),
      ("summary.json", Self.summaryJSON(model)),
      ("report.html", HTMLReport.render(model)),
    ]
    for (name, text) in files { try out.write(name, text) }
    logger.info(
      "reports written",
      metadata: ["run": "\(model.run.id)", "folder": "\(folder)", "findings": "\(model.findings.count)"])
    return model.run.id
  }

  package static func summaryJSON(_ m: ReportModel) -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = (try? enc.encode(ReportFigures(m))) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
