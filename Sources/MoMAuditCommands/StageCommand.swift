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

  @Option(help: ArgumentHelp("Log line format on standard error: text, or json (one object per line: time, level, command, message, then the line's fields).", valueName: "format"))
  var logFormat: LogFormat = .text

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
    let code = runStage()
    if code != 0 { throw ExitCode(code) }
  }

  /// Runs the stage; every outcome is an exit code (errors are printed).
  func runStage() -> Int32 {
    let logger = makeLogger(Self.stageName, common)
    do {
      let lock = try RunLock(databasePath: common.db, command: Self.stageName)
      let db = try AuditDatabase.open(path: common.db, logger: logger)
      return try withExtendedLifetime(lock) { try execute(db: db, logger: logger) }
    } catch let e as AuditError {
      report(e)
      return e.exitCode
    } catch let e as DatabaseError {
      report(AuditError.database(path: common.db, reason: e.message ?? "\(e.resultCode)"))
      return 73
    } catch {
      report(AuditError.database(path: common.db, reason: "\(error)"))
      return 73
    }
  }
}

/// `error: <what>` then `hint: <how to fix>` on stderr.
func report(_ e: AuditError) {
  printError(e.message, hint: e.hint)
}

/// An error for the operator on stderr: `error: …` (and `hint: …`) lines,
/// or under `--log-format json` one object like a log line's, so that every
/// line of standard error parses.
func printError(_ message: String, hint: String? = nil) {
  switch chosenFormat {
  case .text:
    FileHandle.standardError.write(Data(("error: \(message)\n" + (hint.map { "hint: \($0)\n" } ?? "")).utf8))
  case .json:
    var fields = [
      ("time", JSONLogHandler.timestamp()), ("level", "error"), ("command", chosenCommand), ("message", message),
    ]
    if let hint { fields.append(("hint", hint)) }
    let text = "{" + fields.map { JSONLogHandler.quoted($0.0) + ":" + JSONLogHandler.quoted($0.1) }.joined(separator: ",") + "}\n"
    FileHandle.standardError.write(Data(text.utf8))
  }
}

/// `--log-format`.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}

/// The log format of this process, chosen by the first logger made (swift-log
/// bootstraps once per process).
nonisolated(unsafe) private var chosenFormat = LogFormat.text
nonisolated(unsafe) private var chosenCommand = "momaudit"

private let bootstrap: Void = {
  LoggingSystem.bootstrap { label in
    switch chosenFormat {
    case .text:
      var h = StreamLogHandler.standardError(label: label)
      h.logLevel = .info
      return h
    case .json:
      return JSONLogHandler(command: label)
    }
  }
}()

/// Progress on a terminal, in the text log format only: under
/// `--log-format json` every line of standard error is a JSON object.
func progress(_ options: CommonOptions) -> MoMAuditKit.Progress {
  options.logFormat == .json ? MoMAuditKit.Progress(enabled: false) : .forStandardError()
}

/// For a command without a logger: how its errors are printed.
func chooseErrorFormat(_ format: LogFormat, command: String) {
  chosenFormat = format
  chosenCommand = command
}

func makeLogger(_ label: String, _ options: CommonOptions) -> Logger {
  chosenFormat = options.logFormat
  chosenCommand = label
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
      printError("\(r.path): file refused: \(r.reason ?? "")")
    }
  }
  for d in deliveries { printError(d) }
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
