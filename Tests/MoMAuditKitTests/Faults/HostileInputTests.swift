import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// Hostile and broken inputs, each a committed fixture in Fixtures/hostile:
/// row-level rejects with their reason, or a whole-file refusal with one
/// clear message; rows read = accepted + rejected, always.
@Suite("Hostile input")
struct HostileInputTests {
  enum Expect: Sendable {
    case refused(String)
    case loaded(read: Int, accepted: Int, rejectCodes: [String])
  }

  static func fixture(_ name: String) -> String { Paths.fixture("hostile/\(name)") }

  static let cases: [(String, Expect)] = [
    ("unbalanced-quotes.csv", .loaded(read: 4, accepted: 2, rejectCodes: ["MALFORMED_ROW", "MALFORMED_ROW"])),
    ("open-quote-at-eof.csv", .refused("line 3: a quoted field is still open at the end of the file")),
    ("wrong-column-count.csv", .loaded(read: 4, accepted: 2, rejectCodes: ["FIELD_COUNT", "FIELD_COUNT"])),
    ("embedded-newlines.csv", .loaded(read: 2, accepted: 2, rejectCodes: [])),
    ("mixed-line-ends.csv", .loaded(read: 4, accepted: 4, rejectCodes: [])),
    ("utf8-bom.csv", .loaded(read: 1, accepted: 1, rejectCodes: [])),
    ("windows-1252.csv", .loaded(read: 1, accepted: 1, rejectCodes: [])),
    ("undefined-cp1252-byte.csv", .refused("the file is neither valid UTF-8 nor Windows-1252 (it has bytes undefined in Windows-1252)")),
    ("nul-byte.csv", .loaded(read: 3, accepted: 2, rejectCodes: ["NUL_CHARACTER"])),
    ("empty.csv", .refused("the file is empty (0 bytes)")),
    ("header-only.csv", .loaded(read: 0, accepted: 0, rejectCodes: [])),
    ("unknown-header.csv", .refused("the header has none of procedure_id, event_id, result_id, analyte or exception_id, so the file is neither procedures, events, results nor exceptions")),
    ("missing-required-header.csv", .refused("missing required column procedure_type")),
    ("duplicate-header.csv", .refused("the header names column \"bearing\" twice")),
    ("duplicate-ids.csv", .loaded(read: 4, accepted: 3, rejectCodes: ["DUPLICATE_ID"])),
    ("formula-cells.csv", .loaded(read: 2, accepted: 2, rejectCodes: [])),
    ("billion-laughs.xml", .refused("the document has a DOCTYPE, DTD or entity declaration, which is not allowed")),
    ("internal-dtd.xml", .refused("the document has a DOCTYPE, DTD or entity declaration, which is not allowed")),
    ("truncated.xml", .refused("malformed XML: line 2: ")),
    ("wrong-namespace.xml", .refused("the root element is not <registryExport> in namespace urn:momaudit:registry-export:1 (found namespace urn:other:1)")),
    ("unknown-elements.xml", .loaded(read: 2, accepted: 2, rejectCodes: [])),
    (
      "results-bad-values.csv",
      .loaded(
        read: 9, accepted: 1,
        rejectCodes: ["INVALID_NUMBER", "INVALID_NUMBER", "INVALID_NUMBER", "NEGATIVE_VALUE", "INVALID_NUMBER", "UNKNOWN_CODE", "INVALID_DATE", "NEGATIVE_VALUE"])
    ),
    ("results-implicit-ids.csv", .loaded(read: 4, accepted: 2, rejectCodes: ["MISSING_FIELD", "DUPLICATE_ID"])),
    ("one-column-pipe.csv", .refused("the header has none of procedure_id, event_id, result_id, analyte or exception_id, so the file is neither procedures, events, results nor exceptions (one column: is the file delimited by something other than a comma?")),
  ]

  /// Profiles and manifests that are wrong: refused before anything loads.
  static let configCases: [(String, Int32, String)] = [
    ("profile-unknown-key.toml", 64, "column: unknown key"),
    ("profile-bad-delimiter.toml", 64, "delimiter: must be one of"),
    ("profile-keep-unknown-field.toml", 64, "keep.analyt: \"analyt\" is not a canonical field name"),
    ("manifest-duplicate-name.toml", 64, "source[1].name: \"a\" is already the name of source[0]"),
    ("manifest-missing-path.toml", 66, "no-such-export.csv"),
    ("manifest-bad-profile.toml", 64, "delimiter: must be one of"),
  ]

  @Test("a hostile profile or manifest exits 64 (or 66 for a missing path) naming the key, and loads nothing", arguments: configCases)
  func config(_ name: String, _ status: Int32, _ message: String) throws {
    let t = TempDir()
    defer { t.cleanup() }
    let path = Self.fixture("config/\(name)")
    let option = name.hasPrefix("profile") ? "--profile" : "--sources"
    var args = ["--db", t.file("a.db"), "--quiet", option, path]
    if option == "--profile" { args.append(Self.fixture("header-only.csv")) }
    let r = try Executables.run("momaudit-ingest", args)
    #expect(r.status == status, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
    let files = (try? DatabaseQueue(path: t.file("a.db")).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM source_file") }) ?? 0
    #expect(files == 0)
  }

  @Test("each hostile fixture is rejected row by row or refused whole, with its message", arguments: cases)
  func fixture(_ name: String, _ expect: Expect) throws {
    let (db, outcomes) = try ingest([Self.fixture(name)])
    let o = try #require(outcomes.first)
    switch expect {
    case .refused(let reason):
      #expect(o.status == .refused)
      #expect(o.reason?.hasPrefix(reason) == true, "\(o.reason ?? "")")
      let loaded = try db.read { try Int.fetchOne($0, sql: "SELECT (SELECT COUNT(*) FROM procedure) + (SELECT COUNT(*) FROM event) + (SELECT COUNT(*) FROM result) + (SELECT COUNT(*) FROM reject)")! }
      #expect(loaded == 0, "nothing from a refused file is loaded")
    case .loaded(let read, let accepted, let codes):
      #expect(o.status == .loaded, "\(o.reason ?? "")")
      #expect(o.rowsRead == read)
      #expect(o.rowsAccepted == accepted)
      #expect(o.rowsRead == o.rowsAccepted + o.rowsRejected + o.rowsSkipped)
      let stored = try db.read { try String.fetchAll($0, sql: "SELECT reason_code FROM reject ORDER BY line") }
      #expect(stored == codes)
    }
  }

  @Test("every fixture in one call: the refused ones are refused, every other file still loads")
  func allTogether() throws {
    let t = TempDir()
    defer { t.cleanup() }
    for (name, _) in Self.cases { try FileManager.default.copyItem(atPath: Self.fixture(name), toPath: t.file(name)) }
    let r = try Executables.run("momaudit-ingest", ["--db", t.file("a.db"), "--quiet", t.path])
    #expect(r.status == 65)
    let refused = Self.cases.filter { if case .refused = $0.1 { return true } else { return false } }.count
    #expect(r.stderr.contains("error: \(refused) files refused\n"))
    let loaded = try DatabaseQueue(path: t.file("a.db")).read {
      try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM source_file WHERE status = 'loaded'")!
    }
    #expect(loaded == Self.cases.count - refused)
  }

  @Test("embedded newlines keep physical line numbers; Windows-1252 text is decoded")
  func linesAndEncoding() throws {
    let (db, _) = try ingest([Self.fixture("embedded-newlines.csv"), Self.fixture("windows-1252.csv")])
    let v2 = try db.read { try Int.fetchOne($0, sql: "SELECT source_line FROM event WHERE event_id = 'V-2'") }
    #expect(v2 == 5)
    let note = try db.read { try String.fetchOne($0, sql: "SELECT note FROM event WHERE event_id = 'V-1' AND note LIKE 'Caf%'") }
    #expect(note == "Café clinic – follow-up")
  }

  @Test("a 10 MB field rejects its row only; the rows around it load")
  func tenMegabyteField() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let big = String(repeating: "x", count: 10 * 1024 * 1024)
    let text = eventHeader + "\n"
      + "B-1,9434765919,2020-01-01,review,L,N,40,,,,,,ok\n"
      + "B-2,9434765919,2020-02-01,review,L,N,40,,,,,,\"\(big)\"\n"
      + "B-3,9434765919,2020-03-01,review,L,N,40,,,,,,ok\n"
    let (db, outcomes) = try ingest([t.write("big.csv", text)])
    #expect(outcomes.first?.rowsAccepted == 2)
    let reject = try db.read { try Row.fetchOne($0, sql: "SELECT line, field, reason, length(raw) AS n FROM reject") }
    #expect(reject?["line"] == 3)
    #expect(reject?["field"] == "note")
    #expect(reject?["reason"] == "note: longer than 65536 bytes")
    #expect((reject?["n"] as Int? ?? 0) <= 4200, "the raw row kept for a reject is shortened")
  }

  @Test("an external entity pointing at a local file is refused and nothing of the file leaks")
  func xxe() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let marker = "SECRET-\(UUID().uuidString)"
    let secret = t.write("secret.txt", marker)
    let template = try String(contentsOfFile: Self.fixture("xxe.xml.template"), encoding: .utf8)
    let xml = t.write("xxe.xml", template.replacingOccurrences(of: "@SECRET@", with: secret))
    let r = try Executables.run("momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2026-10-01", "--out", t.file("out"), "--log-level", "trace", xml])
    #expect(r.status == 65)
    #expect(r.stderr.contains("file refused: the document has a DOCTYPE, DTD or entity declaration, which is not allowed"))
    #expect(!r.stderr.contains(marker))
    for f in try FileManager.default.contentsOfDirectory(atPath: t.file("out")) + ["../a.db", "../a.db-wal"] {
      let path = t.file("out/" + f)
      guard let data = FileManager.default.contents(atPath: path) else { continue }
      #expect(data.range(of: Data(marker.utf8)) == nil, "\(f) holds the secret")
    }
  }

  @Test("libxml2 never prints document bytes: its generic errors are silenced and messages cut to their first line")
  func libxml2Quiet() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let r = try Executables.run(
      "momaudit-ingest",
      ["--db", t.file("a.db"), "--log-level", "trace", Self.fixture("libxml2-generic-error.xml"), Self.fixture("xml-bad-bytes.xml")])
    #expect(r.status == 65)
    #expect(!r.stderr.contains("encoding error"))
    #expect(!r.stderr.contains("xmlParseChunk"))
    #expect(!r.stderr.contains("Bytes:"))
    #expect(!r.stderr.contains("0xFD"))
    for line in r.stderr.split(separator: "\n") {
      #expect(line.hasPrefix("error: ") || line.hasPrefix("hint: ") || line.contains(" momaudit-ingest: "), "stray output: \(line)")
    }
  }

  @Test("formula-leading values are neutralised in every CSV output and escaped in HTML")
  func formulaCells() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let r = try Executables.run("momaudit", ["run", "--db", t.file("a.db"), "--as-of", "2026-10-01", "--out", t.file("out"), Self.fixture("formula-cells.csv")])
    #expect(r.status == 0, "\(r.stderr)")
    for name in ["findings.csv", "patients.csv", "submission.csv", "rejects.csv", "warnings.csv"] {
      let text = try String(contentsOfFile: t.file("out/" + name), encoding: .utf8)
      for row in parseCSV(text) {
        for cell in row {
          #expect(!(cell.first.map { "=+-@\t\r".contains($0) } ?? false), "\(name): \(cell)")
        }
      }
    }
    let findings = try String(contentsOfFile: t.file("out/findings.csv"), encoding: .utf8)
    #expect(findings.contains("'@SUM(A1)"))
    #expect(findings.contains("'+C123"))
    let html = try String(contentsOfFile: t.file("out/report.html"), encoding: .utf8)
    #expect(!html.contains("<img"))
    #expect(!html.contains("<script>alert"))
  }
}

/// A real full disk: a 256 KiB tmpfs (needs root, as CI has; skipped otherwise).
@Suite("Full disk", .serialized, .enabled(if: getuid() == 0))
struct FullDiskTests {
  static func withTinyDisk(_ body: (String) throws -> Void) throws {
    let t = TempDir()
    defer { t.cleanup() }
    let mountPoint = t.file("tiny")
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    let mount = try Executables.runSystem("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint])
    guard mount == 0 else { return }  // no privilege to mount here: nothing to test
    defer { _ = try? Executables.runSystem("/bin/umount", [mountPoint]) }
    try body(mountPoint)
  }

  @Test("reports to a full disk: exit 73, no half-written file, the database unchanged")
  func reportToFullDisk() throws {
    try Self.withTinyDisk { tiny in
      let t = TempDir()
      defer { t.cleanup() }
      let db = t.file("a.db")
      #expect(try Executables.run("momaudit", ["run", "--db", db, "--as-of", "2026-09-30", "--out", t.file("ok"), "--quiet", "--sources", Paths.sampleManifest.path]).status == 0)
      let before = try Data(contentsOf: URL(fileURLWithPath: db))
      let r = try Executables.run("momaudit-report", ["--db", db, "--out", tiny + "/out"])
      #expect(r.status == 73)
      #expect(r.stderr.contains("error: cannot write \(tiny)/out/"))
      let left = (try? FileManager.default.contentsOfDirectory(atPath: tiny + "/out")) ?? []
      #expect(left.allSatisfy { !$0.hasPrefix(".") }, "temporary files are removed: \(left)")
      for f in left {
        let size = (try FileManager.default.attributesOfItem(atPath: tiny + "/out/" + f)[.size] as? Int) ?? 0
        #expect(size > 0, "\(f) is whole or absent")
      }
      #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }
  }

  @Test("a database on a full disk: exit 73 and the database stays consistent")
  func databaseOnFullDisk() throws {
    try Self.withTinyDisk { tiny in
      let db = tiny + "/a.db"
      let r = try Executables.run("momaudit-ingest", ["--db", db, "--quiet", "--sources", Paths.sampleManifest.path])
      #expect(r.status == 73, "\(r.stderr)")
      #expect(r.stderr.hasPrefix("error: database \(db): "))
      if FileManager.default.fileExists(atPath: db) {
        let ok = try? DatabaseQueue(path: db).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(ok == "ok")
      }
    }
  }
}
