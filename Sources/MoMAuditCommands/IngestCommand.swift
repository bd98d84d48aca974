import ArgumentParser
import GRDB
import Logging
import MoMAuditKit

struct IngestCommand: StageCommand {
  static let stageName = "momaudit-ingest"
  static var configuration: CommandConfiguration { CommandConfiguration(
    commandName: toolName(standalone: "momaudit-ingest", subcommand: "ingest"),
    abstract: "Validate registry exports (CSV/XML files or folders of them) and load them into the audit database.",
    discussion: """
      Each file loads in one transaction, completely or not at all; the files of a cumulative source's delivery \
      load together in one. Rejected rows are kept with file, line, field and reason. A file already ingested \
      (same content) is skipped, except in a cumulative source. A later file's record with an id already \
      loaded replaces it when its content differs, and is counted unchanged when it is the same. A cumulative \
      source's records missing from its new delivery are withdrawn; a delivery that would withdraw more than \
      the source's max_withdraw_percent is refused unless --allow-withdraw is given.
      Exit codes: 0 loaded; 64 usage; 65 a file or a delivery was refused (the others still loaded); \
      66 input missing; 73 cannot write the database; 75 another run holds the lock.
      """) }

  @OptionGroup var common: CommonOptions
  @OptionGroup var ingest: IngestOptionsGroup

  @Argument(help: ArgumentHelp("CSV or XML files, or folders of them (after the manifest's sources).", valueName: "input"))
  var inputs: [String] = []

  func validate() throws { try ingest.validate(inputs: inputs) }

  func execute(db: DatabaseQueue, logger: Logger) throws -> Int32 {
    let outcomes = try Ingester(
      db: db, logger: logger, options: ingest.options(), progress: progress(common), allowWithdraw: ingest.allowWithdraw)
      .ingest(groups: ingest.groups(inputs: inputs))
    return ingestExitCode(outcomes)
  }
}

struct IngestOptionsGroup: ParsableArguments {
  @Option(help: ArgumentHelp("A source profile (TOML or JSON) for the positional inputs: renames, recodes, delimiter, null values, constants, keep/skip rules.", valueName: "file"))
  var profile: String?

  @Option(help: ArgumentHelp("Force the text encoding: utf-8 or cp1252 (default: UTF-8, or Windows-1252 when a file is not valid UTF-8).", valueName: "name"))
  var encoding: String?

  @Option(help: ArgumentHelp("A sources manifest (TOML or JSON): each system's exports, profile and snapshot setting; loaded before any positional inputs.", valueName: "file"))
  var sources: String?

  @Flag(help: "Let a cumulative source's delivery withdraw more than its max_withdraw_percent of the source's records (when they were really removed at the source).")
  var allowWithdraw = false

  /// Inputs or a manifest (or both) are needed.
  func validate(inputs: [String]) throws {
    if inputs.isEmpty && sources == nil {
      throw ValidationError("give the files or folders to load, or --sources with a manifest")
    }
  }

  /// The manifest's sources in its order, then the positional inputs (with --profile).
  func groups(inputs: [String]) throws -> [InputGroup] {
    var groups: [InputGroup] = []
    if let sources {
      let forced = encoding.flatMap { TextEncoding(rawValue: $0.lowercased()) }
      groups += InputGroup.groups(try SourcesManifest.load(path: sources), encoding: forced)
    }
    if !inputs.isEmpty { groups.append(InputGroup(inputs: inputs, options: try options())) }
    return groups
  }

  func validate() throws {
    if let e = encoding, TextEncoding(rawValue: e.lowercased()) == nil {
      throw ValidationError("--encoding must be utf-8 or cp1252")
    }
  }

  func options() throws -> IngestOptions {
    IngestOptions(encoding: encoding.flatMap { TextEncoding(rawValue: $0.lowercased()) }, profile: try loadProfile(profile))
  }
}
