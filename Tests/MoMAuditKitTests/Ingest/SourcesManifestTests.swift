import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// The sources manifest (sources.md §2): names, paths relative to the
/// manifest, per-source profiles, any extension for a named file; every
/// mistake refused with its key path before anything loads.
@Suite("Sources manifest")
struct SourcesManifestTests {
  static let known = "name, path, profile, cumulative, max_withdraw_percent"

  @Test("a manifest with an unknown key, a duplicate name or a bad value is refused with its key path", arguments: [
    ("[[source]]\nname = \"a\"\npath = \"x.csv\"\ncolour = 1\n", "source[0].colour: unknown key (known: \(known))"),
    ("[[source]]\nname = \"a\"\npath = \"x.csv\"\n[[source]]\nname = \"a\"\npath = \"x.csv\"\n",
     "source[1].name: \"a\" is already the name of source[0]; names must be unique"),
    ("[[source]]\npath = \"x.csv\"\n", "source[0].name: is required"),
    ("[[source]]\nname = \"a\"\n", "source[0].path: is required"),
    ("[[source]]\nname = \"a\"\npath = \"x.csv\"\ncumulative = \"yes\"\n", "source[0].cumulative: must be true or false, not a string"),
    ("[[source]]\nname = \"a\"\npath = \"x.csv\"\nmax_withdraw_percent = 150\n", "source[0].max_withdraw_percent: must be a number from 0 to 100"),
    ("[[source]]\nname = 3\npath = \"x.csv\"\n", "source[0].name: must be a non-empty string, not a number"),
    ("[source]\nname = \"a\"\n", "source: must be an array of tables ([[source]]), not a table"),
    ("sources = []\n", "sources: unknown key (known: source)"),
    ("", "source: no [[source]] entries"),
  ])
  func refused(_ toml: String, _ message: String) throws {
    let t = TempDir()
    defer { t.cleanup() }
    _ = t.write("x.csv", "event_id,nhs_number,event_date,event_type\n")
    let path = t.write("sources.toml", toml)
    #expect(throws: AuditError.usage("sources manifest \(path): \(message)")) { try SourcesManifest.load(path: path) }
  }

  @Test("a missing path exits 66 naming it; a source profile with parameters is refused")
  func missingAndParameters() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let m = t.write("sources.toml", "[[source]]\nname = \"lims\"\npath = \"exports/lims.txt\"\n")
    #expect(throws: AuditError.inputMissing(path: t.file("exports/lims.txt"))) { try SourcesManifest.load(path: m) }
    _ = t.write("x.csv", "event_id,nhs_number,event_date,event_type\n")
    let p = t.write("p.toml", "[parameters]\ngrace_days = 10\n")
    let m2 = t.write("s2.toml", "[[source]]\nname = \"a\"\npath = \"x.csv\"\nprofile = \"p.toml\"\n")
    #expect(throws: AuditError.usage("profile \(p): parameters: belong to the check profile given with --profile, not to a source's profile")) {
      try SourcesManifest.load(path: m2)
    }
  }

  @Test("sources load in manifest order with their profiles; each file records its source; paths are relative to the manifest")
  func loads() throws {
    let t = TempDir()
    defer { t.cleanup() }
    for d in ["delivery/exports/theatre", "delivery/profiles"] {
      try FileManager.default.createDirectory(atPath: t.file(d), withIntermediateDirectories: true)
    }
    _ = t.write("delivery/exports/theatre/b-procedures.csv", "Ref,NHS,Date,Side,Type,Bearing\nP1,9434765919,2006-05-02,L,HR,Metal/Metal\n")
    _ = t.write("delivery/exports/theatre/notes.txt", "not read: a folder contributes *.csv and *.xml only\n")
    _ = t.write("delivery/exports/lims.txt", "Acc|NHS|When|Test|Result|Units\nA1|9434765919|11/06/2025 09:42|COB|<0.5|ug/L\nA1|9434765919|11/06/2025 09:42|HB|131|g/L\n")
    _ = t.write("delivery/profiles/theatre.toml", """
      [columns]
      Ref = "procedure_id"
      NHS = "nhs_number"
      Date = "procedure_date"
      Type = "procedure_type"
      [values.bearing]
      "Metal/Metal" = "MoM"
      """)
    _ = t.write("delivery/profiles/lims.toml", """
      delimiter = "|"
      [columns]
      Acc = "sample_id"
      NHS = "nhs_number"
      When = "sample_date"
      Test = "analyte"
      Result = "value"
      Units = "unit"
      [keep]
      analyte = ["COB", "CHR"]
      [values.analyte]
      COB = "cobalt"
      CHR = "chromium"
      """)
    let m = t.write("delivery/sources.toml", """
      [[source]]
      name = "theatre"
      path = "exports/theatre"
      profile = "profiles/theatre.toml"
      cumulative = true

      [[source]]
      name = "lims"
      path = "exports/lims.txt"
      profile = "profiles/lims.toml"
      cumulative = true
      max_withdraw_percent = 2.5
      """)
    let manifest = try SourcesManifest.load(path: m)
    #expect(manifest.sources.map(\.name) == ["theatre", "lims"])
    #expect(manifest.sources[1].path == t.file("delivery/exports/lims.txt"))
    #expect(manifest.sources[1].maxWithdrawPercent == 2.5)
    let db = try AuditDatabase.open(path: t.file("a.db"))
    let outcomes = try Ingester(db: db, logger: .init(label: "t")).ingest(groups: InputGroup.groups(manifest, encoding: nil))
    #expect(outcomes.map(\.status) == [.loaded, .loaded])
    #expect(outcomes.map(\.rowsAccepted) == [1, 1])
    #expect(outcomes[1].skips == ["keep analyte": 1])
    let files = try db.read { try Row.fetchAll($0, sql: "SELECT source, kind FROM source_file ORDER BY id") }
    #expect(files.map { "\($0["source"] as String) \($0["kind"] as String)" } == ["theatre procedures", "lims results"])
    let sources = try db.read { try Row.fetchAll($0, sql: "SELECT name, cumulative, max_withdraw_percent FROM source ORDER BY name") }
    #expect(sources.map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Double)" } == ["lims 1 2.5", "theatre 1 5.0"])
    #expect(try db.read { try String.fetchOne($0, sql: "SELECT result_id FROM result") } == "A1/cobalt")
  }

  @Test("momaudit-ingest --sources: a bad manifest exits 64, a missing path 66, both before anything loads")
  func commandExits() throws {
    let t = TempDir()
    defer { t.cleanup() }
    _ = t.write("e.csv", "event_id,nhs_number,event_date,event_type\nE1,9434765919,2025-06-11,review\n")
    let bad = t.write("bad.toml", "[[source]]\nname = \"a\"\npath = \"e.csv\"\nprofil = \"p.toml\"\n")
    let r1 = try Executables.run("momaudit-ingest", ["--db", t.file("a.db"), "--sources", bad, "--quiet"])
    #expect(r1.status == 64)
    #expect(r1.stderr.contains("source[0].profil: unknown key"))
    let missing = t.write("missing.toml", "[[source]]\nname = \"a\"\npath = \"e.csv\"\n[[source]]\nname = \"b\"\npath = \"gone\"\n")
    let r2 = try Executables.run("momaudit-ingest", ["--db", t.file("a.db"), "--sources", missing, "--quiet", t.file("e.csv")])
    #expect(r2.status == 66)
    let loaded = try AuditDatabase.open(path: t.file("a.db")).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM event") }
    #expect(loaded == 0)
    let good = t.write("good.toml", "[[source]]\nname = \"pas\"\npath = \"e.csv\"\n")
    let r3 = try Executables.run("momaudit-ingest", ["--db", t.file("a.db"), "--sources", good, "--quiet"])
    #expect(r3.status == 0, "\(r3.stderr)")
    let r4 = try Executables.run("momaudit-ingest", ["--db", t.file("b.db"), "--quiet"])
    #expect(r4.status == 64)
  }
}
