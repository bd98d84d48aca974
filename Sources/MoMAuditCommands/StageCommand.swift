import ArgumentParser
import Foundation
import GRDB
import Logging
import MoMAuditKit

/// Options every stage shares.
struct CommonOptions: ParsableArguments {
  @Option(name: .long, help: ArgumentHelp("The audit database (SQLite); created when missing.", valueName: "file"))
  var db: String

  @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
  var logLevel: String = "info"

  @Flag(name: .shortAndLong, help: "Log warnings and errors only (for cron).")
  var quiet = false

  func validate() throws {
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
    }
  }
}

/// The shape of every stage (cf. SwiftPM's CoreCommands): resolve options,
/// make the logger, take the lock, open the database, run one library entry
/// point, map the outcome to an exit code. Every tool fails the same way.
protocol StageCommand: ParsableCommand {
  var common: CommonOptions { get }
  static var stageName: String { get }
  /// Runs the stage; returns the exit code for a run that completed.
  func execute(db: DatabaseQueue, logger: Logger) throws -> Int32
}

extension StageCommand {
  func run() throws {
    let logger = makeLogger(Self.stageName, common)
    let code: Int32
    do {
      let lock = try RunLock(databasePath: common.db, command: Self.stageName)
      let db = try AuditDatabase.open(path: common.db, logger: logger)
      code = try withExtendedLifetime(lock) { try execute(db: db, logger: logger) }
    } catch let e as AuditError {
      report(e)
      throw ExitCode(e.exitCode)
    } catch let e as DatabaseError {
      report(AuditError.database(path: common.db, reason: e.message ?? "\(e.resultCode)"))
      throw ExitCode(73)
    }
    if code != 0 { throw ExitCode(code) }
  }
}

/// `error: <what>` then `hint: <how to fix>` on stderr.
func report(_ e: AuditError) {
  FileHandle.standardError.write(Data("error: \(e.message)\nhint: \(e.hint)\n".utf8))
}

private let bootstrap: Void = {
  LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = .info
    return h
  }
}()

func makeLogger(_ label: String, _ options: CommonOptions) -> Logger {
  _ = bootstrap
  var logger = Logger(label: label)
  logger.logLevel = options.quiet ? .warning : (Logger.Level(rawValue: options.logLevel) ?? .info)
  return logger
}

/// Parses `--as-of` in the input date formats.
func parseAsOf(_ text: String) throws -> LocalDate {
  guard let d = DateValue.parse(text) else {
    throw ValidationError("--as-of \"\(text)\" is not a date (use YYYY-MM-DD)")
  }
  return d
}

/// Loads the rule pack with a profile's overrides applied.
func loadPack(_ name: String, profilePath: String?) throws -> RulePack {
  let pack = try RulePack.load(name)
  guard let profilePath else { return pack }
  return try pack.overriding(Profile.load(path: profilePath).parameters)
}

func loadProfile(_ path: String?) throws -> Profile {
  guard let path else { return Profile() }
  return try Profile.load(path: path)
}

/// Exit status of an ingest: 65 when any file (or a cumulative source's delivery) was refused.
func ingestExitCode(_ outcomes: [FileOutcome]) -> Int32 {
  let refused = outcomes.filter { $0.status == .refused }
  var deliveries: [String] = []
  for r in refused {
    if let d = r.deliveryRefusal {
      if !deliveries.contains(d) { deliveries.append(d) }
    } else {
      FileHandle.standardError.write(Data("error: \(r.path): file refused: \(r.reason ?? "")\n".utf8))
    }
  }
  for d in deliveries { FileHandle.standardError.write(Data("error: \(d)\n".utf8)) }
  if !refused.isEmpty {
    let e = AuditError.dataUnusable("\(refused.count) file\(refused.count == 1 ? "" : "s") refused")
    report(e)
    return e.exitCode
  }
  return 0
}

/// `momaudit-ingest` when run as that executable, `ingest` under `momaudit`.
func toolName(standalone: String, subcommand: String) -> String {
  let invoked = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? ""
  return invoked == standalone ? standalone : subcommand
}
