import ArgumentParser
import Foundation
import GRDB
import Logging
import MoMAuditKit

struct RunCommand: StageCommand {
  static let stageName = "momaudit run"
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Ingest, check and report in one process (for cron).",
    discussion: """
      A refused file or delivery does not stop the run: the other files load, the check and report run, and \
      the exit code is 65. Exit codes: 0 success; 1 findings with --fail-on-findings; 64 usage; 65 a file was refused; \
      66 input missing; 73 cannot write; 75 another run holds the lock.
      """)

  @OptionGroup var common: CommonOptions
  @OptionGroup var check: CheckOptionsGroup
  @OptionGroup var ingest: IngestOptionsGroup
  @OptionGroup var report: ReportOptionsGroup

  @Option(help: ArgumentHelp("The report folder; created when missing.", valueName: "dir"))
  var out: String

  @Flag(help: "Exit 1 when any missed follow-up is found (for alerting).")
  var failOnFindings = false

  @Option(help: ArgumentHelp("Write the run's gauges to this file (Prometheus text format, for node_exporter's textfile collector), atomically, whatever the outcome.", valueName: "file"))
  var metricsFile: String?

  @Argument(help: ArgumentHelp("CSV or XML files, or folders of them (after the manifest's sources).", valueName: "input"))
  var inputs: [String] = []

  func validate() throws { try ingest.validate(inputs: inputs) }

  /// What the run found, for the metrics file.
  nonisolated(unsafe) static var figures = MetricsFile(lastRun: Date(), exitCode: 0, durationSeconds: 0)

  func run() throws {
    let started = Date()
    let code = runStage()
    if let metricsFile {
      var m = Self.figures
      m.lastRun = Date()
      m.exitCode = code
      m.durationSeconds = m.lastRun.timeIntervalSince(started)
      // A success moves the last success on; a failure carries it over.
      m.lastSuccess = code == 0 || code == 1 ? m.lastRun : MetricsFile.lastSuccess(in: metricsFile)
      do {
        try m.write(to: metricsFile)
      } catch let e as AuditError {
        MoMAuditCommands.report(e)
        throw ExitCode(code == 0 || code == 1 ? e.exitCode : code)
      }
    }
    if code != 0 { throw ExitCode(code) }
  }

  func execute(db: DatabaseQueue, logger: Logger) throws -> Int32 {
    let reportOptions = try report.options()
    try ReportWriter(folder: out).probe()
    let outcomes = try Ingester(
      db: db, logger: logger, options: ingest.options(), progress: progress(common), allowWithdraw: ingest.allowWithdraw)
      .ingest(groups: ingest.groups(inputs: inputs))
    Self.figures.rowsRead = outcomes.reduce(0) { $0 + $1.rowsRead }
    Self.figures.rowsRejected = outcomes.reduce(0) { $0 + $1.rowsRejected }
    Self.figures.rowsSkipped = outcomes.reduce(0) { $0 + $1.rowsSkipped }
    Self.figures.filesRefused = outcomes.filter { $0.status == .refused }.count
    ProcessMemory.returnFreedMemory()
    let summary = try check.runner(db: db, logger: logger, profilePath: ingest.profile).run()
    Self.figures.patientsInSurveillance = summary.inSurveillance
    Self.figures.findings = summary.findings
    Self.figures.excepted = summary.excepted
    ProcessMemory.returnFreedMemory()
    try Reporter(db: db, logger: logger).write(
      to: out, runId: summary.runId, databaseName: common.db, options: reportOptions)
    let ingestCode = ingestExitCode(outcomes)
    if ingestCode != 0 { return ingestCode }
    return failOnFindings && summary.findings > 0 ? 1 : 0
  }
}

/// `momaudit`: the four stages as subcommands.
package struct MoMAuditCommand: ParsableCommand {
  package static let configuration = CommandConfiguration(
    commandName: "momaudit",
    abstract: "Audit follow-up of metal-on-metal hip replacements against MHRA MDA/2017/018.",
    version: MoMAudit.version,
    subcommands: [
      RunCommand.self, IngestCommand.self, CheckCommand.self, ReportCommand.self, HistoryCommand.self, RulesCommand.self,
    ])

  package init() {}
}

package enum Entry {
  package static func momaudit() { main(MoMAuditCommand.self) }
  /// `momaudit`, or the stage its name says when it is run through a link
  /// named `momaudit-ingest`, `momaudit-check` or `momaudit-report` (the
  /// tarball ships one executable and three links: the Swift runtime inside
  /// each executable is 60 MB).
  package static func byName() {
    let name = CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent } ?? ""
    switch name {
    case "momaudit-ingest": ingest()
    case "momaudit-check": check()
    case "momaudit-report": report()
    default: momaudit()
    }
  }
  package static func ingest() { main(IngestCommand.self) }
  package static func check() { main(CheckCommand.self) }
  package static func report() { main(ReportCommand.self) }

  /// ArgumentParser's `main()`, except that under `--log-format json` a
  /// usage error (found before any command runs) is printed as a JSON
  /// object too, so that every line of standard error parses.
  static func main<C: ParsableCommand>(_ type: C.Type) {
    let arguments = Array(CommandLine.arguments.dropFirst())
    do {
      var command = try type.parseAsRoot(arguments)
      try command.run()
    } catch {
      let code = type.exitCode(for: error)
      let json = zip(arguments, arguments.dropFirst()).contains { $0 == "--log-format" && $1 == "json" }
        || arguments.contains("--log-format=json")
      guard json, code != .success, !(error is ExitCode) else { type.exit(withError: error) }
      chooseErrorFormat(.json, command: type.configuration.commandName ?? "momaudit")
      printError(type.fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "usage error",
        hint: "run with --help to see the options")
      Foundation.exit(code.rawValue)
    }
  }
}
