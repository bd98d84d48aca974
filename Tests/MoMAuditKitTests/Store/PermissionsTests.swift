import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// outputs.md: the database and the files beside it (journal, WAL, shared
/// memory, lock) are created 0600 whatever the umask; an existing database
/// that others can read is opened with one warning and left as it is.
@Suite("Private database files", .serialized)
struct PermissionsTests {
  static func mode(_ path: String) -> Int? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
    return (attributes[.posixPermissions] as? NSNumber)?.intValue
  }

  /// Runs an executable of this package under `umask` through /bin/sh.
  static func run(umask: String, _ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let command = Executables.folder.appendingPathComponent(name).path
    return try Executables.runShell(
      "umask \(umask) && exec \"$0\" \"$@\"", [command] + arguments, environment: environment)
  }

  static let inputs = [
    Paths.scenarios.appendingPathComponent("11-exclusions/procedures.csv").path,
    Paths.scenarios.appendingPathComponent("11-exclusions/events.csv").path,
  ]

  @Test("the database, its journal, WAL, shared memory and lock are 0600 under umask 000 and 022", arguments: ["000", "022"])
  func privateWhateverTheUmask(umask: String) throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("audit.sqlite")
    // A fresh load runs with a rollback journal: killed inside it, the journal stays behind.
    let killed = try Self.run(umask: umask, "momaudit-ingest", ["--db", db, "--quiet"] + Self.inputs, environment: ["MOMAUDIT_FAULT_KILL_AFTER": "ingest-row=5"])
    #expect(killed.status != 0)
    #expect(Self.mode(db) == 0o600)
    #expect(Self.mode(db + ".lock") == 0o600)
    #expect(Self.mode(db + "-journal") == 0o600)
    // The database in WAL mode, killed inside a check: its WAL and shared memory stay behind.
    #expect(try Self.run(umask: umask, "momaudit-ingest", ["--db", db, "--quiet"] + Self.inputs).status == 0)
    _ = try Self.run(umask: umask, "momaudit-check", ["--db", db, "--quiet", "--as-of", "2025-06-30"], environment: ["MOMAUDIT_FAULT_KILL_AFTER": "check-patient=3"])
    for suffix in ["", "-wal", "-shm", ".lock"] {
      #expect(Self.mode(db + suffix) == 0o600, "\(suffix)")
    }
    // Reports: 0640 in a 0750 folder.
    let out = t.file("reports")
    #expect(try Self.run(umask: umask, "momaudit-report", ["--db", db, "--quiet", "--out", out]).status == 66)  // no finished run yet
    #expect(try Self.run(umask: umask, "momaudit", ["run", "--db", db, "--quiet", "--as-of", "2025-06-30", "--out", out] + Self.inputs).status == 0)
    #expect(Self.mode(out) == 0o750)
    #expect(Self.mode(out + "/findings.csv") == 0o640)
  }

  @Test("an existing database that others can read: one warning naming the file and its mode, and its mode unchanged")
  func existingReadableByOthers() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("audit.sqlite")
    #expect(try Executables.run("momaudit-ingest", ["--db", db, "--quiet"] + Self.inputs).status == 0)
    #expect(chmod(db, 0o644) == 0)
    let r = try Executables.run("momaudit-check", ["--db", db, "--as-of", "2025-06-30"])
    #expect(r.status == 0)
    let warnings = r.stderr.split(separator: "\n").filter { $0.contains("can be read or written by others") }
    #expect(warnings.count == 1)
    #expect(warnings.first?.contains(db) == true)
    #expect(warnings.first?.contains("0644") == true)
    #expect(Self.mode(db) == 0o644)
    // A private database opens without it.
    #expect(chmod(db, 0o600) == 0)
    #expect(!(try Executables.run("momaudit-check", ["--db", db, "--as-of", "2025-06-30"]).stderr.contains("others")))
  }

  @Test("a database migrated by a newer momaudit is refused (exit 73), not read as if its new columns were not there")
  func newerSchemaRefused() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("audit.sqlite")
    #expect(try Executables.run("momaudit-ingest", ["--db", db, "--quiet"] + Self.inputs).status == 0)
    try DatabaseQueue(path: db).write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
    let r = try Executables.run("momaudit-check", ["--db", db, "--as-of", "2025-06-30"])
    #expect(r.status == 73)
    #expect(r.stderr.contains("a newer version of momaudit migrated this database (migration \"v99: from the future\")"))
  }
}
