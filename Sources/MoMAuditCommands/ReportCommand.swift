import ArgumentParser
import Foundation
import GRDB
import Logging
import MoMAuditKit

struct ReportCommand: StageCommand {
  static let stageName = "momaudit-report"
  static var configuration: CommandConfiguration { CommandConfiguration(
    commandName: toolName(standalone: "momaudit-report", subcommand: "report"),
    abstract: "Write the reports of a check run (default: the latest) into a folder.",
    discussion: """
      Files are written to temporary names and renamed, mode 0640 in a folder of mode 0750. Check runs are \
      kept, so any two can be compared: --run A --compare B. \
      Exit codes: 0 written; 64 usage; 66 no check run; 73 cannot write; 75 locked.
      """) }

  @OptionGroup var common: CommonOptions

  @Option(help: ArgumentHelp("The report folder; created when missing.", valueName: "dir"))
  var out: String

  @Option(help: ArgumentHelp("The check run to report (default: the latest).", valueName: "id"))
  var run: Int64?

  @OptionGroup var report: ReportOptionsGroup

  func execute(db: DatabaseQueue, logger: Logger) throws -> Int32 {
    try Reporter(db: db, logger: logger).write(to: out, runId: run, databaseName: common.db, options: try report.options())
    return 0
  }
}

struct ReportOptionsGroup: ParsableArguments {
  @Option(help: ArgumentHelp("Replace NHS numbers in submission.csv by HMAC-SHA256 pseudonyms with this key (mode 0600).", valueName: "keyfile"))
  var pseudonymise: String?

  @Option(help: ArgumentHelp(
    "Compare with this check run in the report's change section (default: the previous run).", valueName: "run"))
  var compare: Int64?

  @Flag(help: "Write aggregates.csv with small-number suppression, for figures that leave the trust: counts 1-7 shown as *, others rounded to the nearest 5.")
  var suppressSmallNumbers = false

  @Flag(help: "Start the human-facing CSVs with a UTF-8 byte order mark, so Excel reads them as UTF-8 (submission.csv never has one).")
  var excel = false

  func options() throws -> ReportOptions {
    ReportOptions(
      pseudonymiser: try pseudonymise.map { try Pseudonymiser(keyFile: $0) }, compareRunId: compare,
      suppressSmallNumbers: suppressSmallNumbers, excel: excel)
  }
}
