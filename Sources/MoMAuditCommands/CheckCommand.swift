import Foundation
import ArgumentParser
import GRDB
import Logging
import MoMAuditKit

struct CheckCommand: StageCommand {
  static let stageName = "momaudit-check"
  static var configuration: CommandConfiguration { CommandConfiguration(
    commandName: toolName(standalone: "momaudit-check", subcommand: "check"),
    abstract: "Classify every MoM implant, evaluate the rule pack as of a date and store one check run.",
    discussion: """
      Records dated after --as-of are ignored, so an old quarter re-run later gives the same answer. \
      Exit codes: 0 stored (findings are not a failure); 64 usage; 73 cannot write; 75 locked.
      """) }

  @OptionGroup var common: CommonOptions
  @OptionGroup var check: CheckOptionsGroup

  @Option(help: ArgumentHelp("A local profile whose \"parameters\" override the pack's.", valueName: "file"))
  var profile: String?

  func execute(db: DatabaseQueue, logger: Logger) throws -> Int32 {
    _ = try check.runner(db: db, logger: logger, profilePath: profile).run()
    return 0
  }
}

struct CheckOptionsGroup: ParsableArguments {
  @Option(
    name: .customLong("as-of"),
    help: ArgumentHelp("The audit date (YYYY-MM-DD), e.g. the quarter's last day (default: today).", valueName: "date"))
  var asOf: String?

  @Option(help: ArgumentHelp("Rule pack: a built-in name or a JSON file.", valueName: "pack"))
  var rules: String = "mhra-2017"

  func validate() throws { _ = try auditDate() }

  /// The as-of date; today's local date when not given (surveillance-rules.md §1).
  /// The clock is read here, never inside the library.
  func auditDate() throws -> LocalDate {
    if let asOf { return try parseAsOf(asOf) }
    let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
    guard let today = LocalDate(year: c.year ?? 0, month: c.month ?? 0, day: c.day ?? 0) else {
      throw ValidationError("cannot read today's date; give --as-of")
    }
    return today
  }

  func runner(db: DatabaseQueue, logger: Logger, profilePath: String?) throws -> CheckRunner {
    CheckRunner(db: db, logger: logger, pack: try loadPack(rules, profilePath: profilePath), asOf: try auditDate())
  }
}
