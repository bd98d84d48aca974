import ArgumentParser
import GRDB
import Logging
import MoMAuditKit

/// `momaudit history`: the database's check runs, for a glance at the trend.
struct HistoryCommand: StageCommand {
  static let stageName = "momaudit history"
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "List the database's check runs: as-of date, rule pack, cohort, findings and findings per code.",
    discussion: """
      One line per stored check run, oldest as-of date first (then run id), each value named \
      (run=, as_of=, rule_pack=, local_protocol=, mom_patients=, in_surveillance=, findings=, excepted=, then \
      one per finding code); \
      --json prints the same as an array of objects. Exit codes: 0 listed; 64 usage; 73 cannot open the \
      database; 75 another run holds the lock.
      """)

  @OptionGroup var common: CommonOptions

  @Flag(help: "Print a JSON array of objects instead of text columns.")
  var json = false

  func execute(db: DatabaseQueue, logger: Logger) throws -> Int32 {
    let entries = try db.read { try RunHistory.load($0) }
    print(json ? RunHistory.json(entries) : RunHistory.text(entries), terminator: "")
    return 0
  }
}
