import ArgumentParser
import Foundation
import MoMAuditKit

/// `momaudit rules`: prints how each finding is decided (docs/rules.md).
struct RulesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rules", abstract: "Print how each finding is decided, with sources and parameters (Markdown).")

  @Option(help: ArgumentHelp("Rule pack: a built-in name or a JSON file.", valueName: "pack"))
  var rules: String = "mhra-2017"

  @Flag(help: "Markdown output (the default and only format).")
  var markdown = false

  @Option(help: ArgumentHelp("Format of an error on standard error: text, or json.", valueName: "format"))
  var logFormat: LogFormat = .text

  func run() throws {
    chooseErrorFormat(logFormat, command: "momaudit rules")
    do {
      print(RulesDocument.markdown(pack: try RulePack.load(rules)), terminator: "")
    } catch let e as AuditError {
      report(e)
      throw ExitCode(e.exitCode)
    }
  }
}
