import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// The built executables: exit codes and messages of outputs.md, the report
/// folder, and the lock.
@Suite("Commands", .serialized)
struct CommandTests {
  let scenario = Paths.scenarios.appendingPathComponent("01-month-end-clamping")
  var inputs: [String] { [scenario.appendingPathComponent("procedures.csv").path, scenario.appendingPathComponent("events.csv").path] }

  @Test("run writes every report file, mode 0640 in a 0750 folder, and exits 0 with findings")
  func runWritesReports() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let out = t.file("out/nested")
    let r = try Executables.run("momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2025-03-01", "--out", out] + inputs)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "")
    for name in Reporter.fileNames {
      let attrs = try FileManager.default.attributesOfItem(atPath: out + "/" + name)
      #expect((attrs[.posixPermissions] as? Int) == 0o640, "\(name)")
      #expect(((attrs[.size] as? Int) ?? 0) > 0, "\(name)")
    }
    let dirAttrs = try FileManager.default.attributesOfItem(atPath: out)
    #expect((dirAttrs[.posixPermissions] as? Int) == 0o750)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
    let findings = try String(contentsOfFile: out + "/findings.csv", encoding: .utf8)
    let expected = try String(contentsOf: scenario.appendingPathComponent("expected-findings.csv"), encoding: .utf8)
    // findings.csv starts with the expected columns, rows in the expected order, CRLF line ends.
    let lines = findings.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    let expectedLines = expected.split(separator: "\n").map(String.init)
    #expect(lines.count == expectedLines.count)
    for (a, b) in zip(lines.dropFirst(), expectedLines.dropFirst()) {
      #expect(a.hasPrefix(b + ","), "\(a) vs \(b)")
    }
    #expect(lines.first == CSVReports.findingsHeader.joined(separator: ","))
  }

  @Test("--fail-on-findings exits 1 when a missed follow-up is found")
  func failOnFindings() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let r = try Executables.run(
      "momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2025-03-01", "--out", t.file("out"), "--fail-on-findings"] + inputs)
    #expect(r.status == 1)
    let quiet = try Executables.run(
      "momaudit", ["run", "--db", t.file("b.db"), "--as-of", "2010-01-01", "--out", t.file("out2"), "--fail-on-findings"] + inputs)
    #expect(quiet.status == 0, "\(quiet.stderr)")
  }

  @Test("the three stages give the same findings as run")
  func stagesMatchRun() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("s.db")
    #expect(try Executables.run("momaudit-ingest", ["--db", db] + inputs).status == 0)
    #expect(try Executables.run("momaudit-check", ["--db", db, "--as-of", "2025-03-01"]).status == 0)
    #expect(try Executables.run("momaudit-report", ["--db", db, "--out", t.file("staged")]).status == 0)
    #expect(try Executables.run("momaudit", ["run", "--db", t.file("r.db"), "--as-of", "2025-03-01", "--out", t.file("run")] + inputs).status == 0)
    let a = try String(contentsOfFile: t.file("staged/findings.csv"), encoding: .utf8)
    let b = try String(contentsOfFile: t.file("run/findings.csv"), encoding: .utf8)
    #expect(a == b)
  }

  @Test("--as-of defaults to today")
  func asOfToday() throws {
    let t = TempDir()
    defer { t.cleanup() }
    #expect(try Executables.run("momaudit-check", ["--db", t.file("a.db")]).status == 0)
    let asOf = try DatabaseQueue(path: t.file("a.db")).read { try String.fetchOne($0, sql: "SELECT as_of FROM check_run") }
    let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
    #expect(asOf == LocalDate(year: c.year!, month: c.month!, day: c.day!)?.iso)
  }

  @Test("usage errors exit 64")
  func usage() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let noDB = try Executables.run("momaudit-check", ["--as-of", "2025-01-01"])
    #expect(noDB.status == 64)
    let badDate = try Executables.run("momaudit-check", ["--db", t.file("a.db"), "--as-of", "31/02/2025"])
    #expect(badDate.status == 64)
    #expect(badDate.stderr.contains("--as-of \"31/02/2025\" is not a date"))
    let unknownPack = try Executables.run("momaudit-check", ["--db", t.file("a.db"), "--as-of", "2025-01-01", "--rules", "nope"])
    #expect(unknownPack.status == 64)
    #expect(unknownPack.stderr.hasPrefix("error: unknown rule pack \"nope\""))
    #expect(unknownPack.stderr.contains("\nhint: run with --help to see the options\n"))
  }

  @Test("a missing input exits 66 and loads nothing")
  func missingInput() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let r = try Executables.run("momaudit-ingest", ["--db", t.file("a.db"), inputs[0], t.file("absent.csv")])
    #expect(r.status == 66)
    #expect(r.stderr.contains("error: input not found: \(t.file("absent.csv"))\nhint: "))
    let n = try DatabaseQueue(path: t.file("a.db")).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM procedure") }
    #expect(n == 0)
  }

  @Test("a refused file exits 65 naming it; the other files still load")
  func refusedFile() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let empty = t.write("empty.csv", "")
    let r = try Executables.run("momaudit-ingest", ["--db", t.file("a.db"), empty] + inputs)
    #expect(r.status == 65)
    #expect(r.stderr.contains("error: \(empty): file refused: the file is empty (0 bytes)\n"))
    let n = try DatabaseQueue(path: t.file("a.db")).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM procedure") }
    #expect(n == 5)
  }

  @Test("an output folder that cannot be written exits 73 before anything is ingested")
  func cannotWrite() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let blocker = t.write("not-a-folder", "x")
    let r = try Executables.run("momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2025-03-01", "--out", blocker] + inputs)
    #expect(r.status == 73)
    #expect(r.stderr.contains("error: cannot write \(blocker): not a folder"))
    // Checked before ingest: the database is left as it was.
    let n = try DatabaseQueue(path: t.file("a.db")).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM source_file") }
    #expect(n == 0)
  }

  @Test("report without a check run exits 66")
  func noRun() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let r = try Executables.run("momaudit-report", ["--db", t.file("a.db"), "--out", t.file("out")])
    #expect(r.status == 66)
    #expect(r.stderr.hasPrefix("error: no check run in \(t.file("a.db"))\nhint: run momaudit-check first\n"))
  }

  @Test("a second run while the lock is held exits 75 naming the holder")
  func locked() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = t.file("a.db")
    do {
      let lock = try RunLock(databasePath: db, command: "test-holder")
      let r = try Executables.run("momaudit-check", ["--db", db, "--as-of", "2025-03-01"])
      #expect(r.status == 75)
      #expect(r.stderr.contains("error: database \(db) is locked by another run (test-holder, pid \(getpid()), started "))
      withExtendedLifetime(lock) {}
    }
    // Released with its holder: the next run proceeds.
    #expect(try Executables.run("momaudit-check", ["--db", db, "--as-of", "2025-03-01"]).status == 0)
  }

  @Test("logs at trace level, as text or JSON, carry no NHS number, date of birth or note; every JSON line parses", arguments: ["text", "json"])
  func logsCarryNoNHSNumbers(format: String) throws {
    let t = TempDir()
    defer { t.cleanup() }
    let r = try Executables.run(
      "momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2026-09-30", "--out", t.file("out"), "--log-level", "trace", "--log-format", format, "--sources", Paths.sampleManifest.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.isEmpty)
    if format == "json" {
      let lines = r.stderr.split(separator: "\n")
      #expect(lines.count > 10)
      for line in lines {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object != nil, "not a JSON object: \(line)")
        #expect(object?["command"] as? String == "momaudit run")
        #expect(object?["message"] is String)
        #expect(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(object?["level"] as? String ?? ""))
        #expect((object?["time"] as? String).flatMap { ISO8601DateFormatter.withFractions.date(from: $0) } != nil)
        #expect(object?.values.allSatisfy { $0 is String } == true)
      }
      #expect(lines.contains { $0.contains("\"message\":\"loaded file\"") && $0.contains("\"rows_read\":") })
    }
    let numbers = try DatabaseQueue(path: t.file("a.db")).read { try String.fetchAll($0, sql: "SELECT nhs_number FROM procedure UNION SELECT nhs_number FROM event UNION SELECT nhs_number FROM result") }
    #expect(numbers.count > 1000)
    for n in numbers {
      #expect(!r.stderr.contains(n))
      #expect(!r.stderr.contains(NHSNumber.spaced(n)))
    }
    // Nor a date of birth, nor any free-text note (SampleData has notes with markup and commas).
    let db = try DatabaseQueue(path: t.file("a.db"))
    let births = try db.read { try String.fetchAll($0, sql: "SELECT DISTINCT date_of_birth FROM procedure WHERE date_of_birth IS NOT NULL") }
    #expect(births.count > 100)
    for b in births { #expect(!r.stderr.contains(b), "date of birth \(b) in the log") }
    let notes = try db.read { try String.fetchAll($0, sql: "SELECT DISTINCT note FROM event WHERE length(note) >= 6") }
    #expect(notes.count > 10)
    for n in notes { #expect(!r.stderr.contains(n), "a note is in the log") }
  }
}

@Suite("JSON logs: usage errors")
struct JSONUsageErrorTests {
  @Test("under --log-format json a usage error is one JSON object too (exit 64); without it, ArgumentParser's text")
  func usageErrorAsJSON() throws {
    for (tool, input) in [("momaudit-check", [String]()), ("momaudit-ingest", ["x.csv"])] {
      let r = try Executables.run(tool, ["--db", "/nonexistent/x.db", "--log-format", "json", "--no-such-option"] + input)
      #expect(r.status == 64)
      let lines = r.stderr.split(separator: "\n")
      #expect(lines.count == 1)
      let object = try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: String]
      #expect(object?["level"] == "error")
      #expect(object?["command"] == tool)
      #expect(object?["message"]?.contains("--no-such-option") == true)
    }
    let text = try Executables.run("momaudit-check", ["--db", "/nonexistent/x.db", "--no-such-option"])
    #expect(text.status == 64)
    #expect(text.stderr.hasPrefix("Error: "))
  }
}

extension ISO8601DateFormatter {
  static var withFractions: ISO8601DateFormatter {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f
  }
}
