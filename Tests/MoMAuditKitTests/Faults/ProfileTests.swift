import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// Column-mapping profiles (registry-export.md "Profiles"): a trust's own
/// export layout loads without code changes; a bad profile is refused with
/// the key path.
@Suite("Profiles")
struct ProfileTests {
  static let trustExport = """
    Op Ref,NHS No,Gender,Op Date,Laterality,Operation,Bearing Surface,Head (mm),Femoral
    T-1,943 476 5919,F,03/14/2008,L,Hip Resurfacing,Metal/Metal,46,BHR head
    T-2,943 476 5919,F,12/01/2009,R,THR,Metal/Poly,32,Exeter
    """

  static let profileJSON = """
    {"name": "RXH theatre system", "date_order": "mdy",
     "columns": {"Op Ref": "procedure_id", "NHS No": "nhs_number", "Gender": "sex", "Op Date": "procedure_date",
                 "Laterality": "side", "Operation": "procedure_type", "Bearing Surface": "bearing",
                 "Head (mm)": "head_diameter_mm", "Femoral": "femoral_component"},
     "values": {"bearing": {"Metal/Metal": "MoM", "Metal/Poly": "MoP"},
                "procedure_type": {"Hip Resurfacing": "resurfacing"}},
     "parameters": {"low_risk_late_interval_months": 36}}
    """

  @Test("renames, recodes and US date order load a trust's own layout")
  func loadsTrustLayout() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let profile = try Profile.load(path: t.write("p.json", Self.profileJSON))
    let (db, outcomes) = try ingest([t.write("trust.csv", Self.trustExport)], options: IngestOptions(profile: profile))
    #expect(outcomes.first?.rowsAccepted == 2, "\(outcomes)")
    let rows = try db.read { try Row.fetchAll($0, sql: "SELECT procedure_id, procedure_date, bearing, procedure_type FROM procedure ORDER BY procedure_id") }
    #expect(rows.map { [$0[0], $0[1], $0[2], $0[3]] as [String] } == [
      ["T-1", "2008-03-14", "MoM", "resurfacing"], ["T-2", "2009-12-01", "MoP", "total_hip"],
    ])
    let pack = try RulePack.mhra2017.overriding(profile.parameters)
    #expect(pack[.lowRiskLateIntervalMonths] == 36)
    #expect(pack.isLocalProtocol)
  }

  static let known = "name, encoding, delimiter, date_order, null_values, columns, constants, keep, skip, values, parameters"

  @Test("a malformed profile or an unknown field is refused with its key path", arguments: [
    (#"{"columns": {"Op Ref": "operation_ref"}}"#, "profile P: columns.\"Op Ref\": \"operation_ref\" is not a canonical field name"),
    (#"{"values": {"colour": {"a": "b"}}}"#, "profile P: values.colour: \"colour\" is not a canonical field name"),
    (#"{"values": {"bearing": {"Metal/Metal": 1}}}"#, "profile P: values.bearing.\"Metal/Metal\": must be a string, not a number"),
    (#"{"encoding": "latin-9"}"#, "profile P: encoding: must be \"utf-8\" or \"cp1252\""),
    (#"{"date_order": "ymd"}"#, "profile P: date_order: must be \"dmy\" or \"mdy\""),
    (#"{"parameters": {"grace_days": "ten"}}"#, "profile P: parameters.grace_days: must be a number"),
    (#"{"colums": {}}"#, "profile P: colums: unknown key (known: \(known))"),
    (#"{"columns": "#, "profile P is not valid JSON"),
    (#"[1, 2]"#, "profile P: (top level): must be a table, not an array"),
    (#"{"delimiter": ":"}"#, "profile P: delimiter: must be one of \",\" \"|\" \";\" \"\\t\""),
    (#"{"keep": {"analyt": ["COB"]}}"#, "profile P: keep.analyt: \"analyt\" is not a canonical field name"),
    (#"{"keep": {"analyte": "COB"}}"#, "profile P: keep.analyte: must be an array of strings, not a string"),
    (#"{"skip": {"event_type": ["0", 2]}}"#, "profile P: skip.event_type[1]: must be a string, not a number"),
    (#"{"null_values": "NULL"}"#, "profile P: null_values: must be an array of strings, not a string"),
    (#"{"constants": {"unit": 1}}"#, "profile P: constants.unit: must be a string, not a number"),
    (#"{"constants": []}"#, "profile P: constants: must be a table, not an array"),
  ])
  func refused(_ json: String, _ message: String) throws {
    let t = TempDir()
    defer { t.cleanup() }
    let path = t.write("p.json", json)
    #expect(throws: AuditError.usage(message.replacingOccurrences(of: "profile P", with: "profile \(path)"))) {
      try Profile.load(path: path)
    }
  }

  @Test("an override naming no parameter of the pack is refused by the check; the command exits 64")
  func unknownParameter() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let p = t.write("p.json", #"{"parameters": {"review_every_months": 36}}"#)
    let r = try Executables.run("momaudit-check", ["--db", t.file("a.db"), "--as-of", "2025-01-01", "--profile", p])
    #expect(r.status == 64)
    #expect(r.stderr.hasPrefix("error: profile: parameters.review_every_months is not a parameter of rule pack mhra-2017\n"))
  }

  @Test("a TOML profile is refused with the same key paths, and with the line of a syntax error", arguments: [
    ("[keep]\nanalyte = \"COB\"\n", "profile P: keep.analyte: must be an array of strings, not a string"),
    ("delimiter = \"||\"\n", "profile P: delimiter: must be one of \",\" \"|\" \";\" \"\\t\""),
    ("[columns]\n\"NHS No\" = \"nhs_numbr\"\n", "profile P: columns.\"NHS No\": \"nhs_numbr\" is not a canonical field name"),
    ("[constants]\nrecorded = 2025-01-01\n", "profile P: constants.recorded: \"recorded\" is not a canonical field name"),
    ("[constants]\nunit = 2025-01-01\n", "profile P: constants.unit: must be a string, not a TOML date"),
    ("[[keep]]\n", "profile P: keep: must be a table, not an array"),
    ("colour = \"red\"\n", "profile P: colour: unknown key (known: \(known))"),
  ])
  func refusedTOML(_ toml: String, _ message: String) throws {
    let t = TempDir()
    defer { t.cleanup() }
    let path = t.write("p.toml", toml)
    #expect(throws: AuditError.usage(message.replacingOccurrences(of: "profile P", with: "profile \(path)"))) {
      try Profile.load(path: path)
    }
  }

  @Test("a TOML syntax error names the line")
  func tomlSyntax() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let path = t.write("p.toml", "name = \"LIMS\"\n[columns\n")
    do {
      _ = try Profile.load(path: path)
      Issue.record("loaded")
    } catch let AuditError.usage(m) {
      #expect(m.hasPrefix("profile \(path) is not valid TOML: "))
      #expect(m.contains("line 2"))
    }
  }

  static let limsProfile = """
    name = "Pathology LIMS, metal ions"
    delimiter = "|"
    null_values = ["NULL", "n/a"]

    [columns]
    "Accession No" = "event_id"
    "NHS Number" = "nhs_number"
    "Collected" = "event_date"
    "Test" = "event_type"
    "Co" = "cobalt"
    "Cr" = "chromium"

    [constants]
    ion_unit = "ug/L"
    note = "LIMS extract"

    [keep]
    event_type = ["METALS", "Metal ions"]

    [skip]
    cobalt = ["REJECTED", "insufficient"]

    [values.event_type]
    METALS = "blood_metal_ions"
    "metal ions" = "blood_metal_ions"
    """

  @Test("a TOML profile reads every key, and a delimited file through it counts read = accepted + rejected + skipped")
  func tomlProfileThroughFile() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let profile = try Profile.load(path: t.write("lims.toml", Self.limsProfile))
    #expect(profile.delimiter == UInt8(ascii: "|"))
    #expect(profile.nullValues == ["null", "n/a"])
    #expect(profile.constants == [.ionUnit: "ug/L", .note: "LIMS extract"])
    #expect(profile.keep == [.eventType: ["metals", "metal ions"]])
    #expect(profile.skip[.cobalt]?["rejected"] == "REJECTED")
    let file = t.write("lims.txt", """
      Accession No|NHS Number|Collected|Test|Co|Cr
      A1|943 476 5919|11/06/2025 09:42|METALS|1.9|<0.5
      A2|943 476 5919|12/06/2025|HB|131|NULL
      A3|943 476 5919|13/06/2025|metal ions|REJECTED|1
      A4|943 476 5919|14/06/2025|NULL|1|1
      A5|943 476 5919|15/06/2025|Metals|N/A|2.5
      A6|943 476 5919|16/06/2025 25:00|METALS|1|1
      A7|943 476 5919|17/06/2025|CRP|4|
      """)
    let db = try AuditDatabase.open(path: t.file("a.db"))
    let outcomes = try Ingester(db: db, logger: .init(label: "t"), options: IngestOptions(profile: profile)).ingest(inputs: [file])
    let o = try #require(outcomes.first)
    #expect(o.status == .loaded)
    #expect(o.rowsRead == 7)
    #expect(o.rowsAccepted == 2)
    #expect(o.rowsRejected == 1)
    #expect(o.rowsSkipped == 4)
    #expect(o.rowsRead == o.rowsAccepted + o.rowsRejected + o.rowsSkipped)
    #expect(o.skips == ["keep event_type": 3, "skip cobalt = REJECTED": 1])
    let rows = try db.read { try Row.fetchAll($0, sql: "SELECT event_id, event_date, cobalt, cobalt_comparator, chromium, chromium_comparator, ion_unit, note FROM event ORDER BY event_id") }
    #expect(rows.count == 2)
    #expect(rows[0]["event_date"] as String == "2025-06-11")
    #expect(rows[0]["chromium_comparator"] as String == "<")
    #expect(rows[0]["ion_unit"] as String == "ug/L")
    #expect(rows[0]["note"] as String == "LIMS extract")
    // A5: the null cobalt is blank, chromium alone makes the test.
    #expect(rows[1]["event_id"] as String == "A5")
    #expect(rows[1]["cobalt"] as Double? == nil)
    let skips = try db.read { try Row.fetchAll($0, sql: "SELECT rule, rows FROM file_skip ORDER BY rule") }
    #expect(skips.map { "\($0["rule"] as String) \($0["rows"] as Int)" } == ["keep event_type 3", "skip cobalt = REJECTED 1"])
    let file2 = try db.read { try Row.fetchOne($0, sql: "SELECT rows_read, rows_accepted, rows_rejected, rows_skipped FROM source_file")! }
    #expect([file2[0], file2[1], file2[2], file2[3]] as [Int] == [7, 2, 1, 4])
  }

  @Test("a keep rule on a field the file has no column or constant for refuses the file; one on another kind's field is ignored")
  func keepDoesNotFit() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let profile = try Profile.load(path: t.write("p.toml", "[keep]\nsample_type = [\"whole_blood\"]\nbearing = [\"MoM\"]\n"))
    let file = t.write("e.csv", "event_id,nhs_number,event_date,event_type\nE1,9434765919,2025-06-11,review\n")
    let db = try AuditDatabase.open(path: t.file("a.db"))
    let o = try Ingester(db: db, logger: .init(label: "t"), options: IngestOptions(profile: profile)).ingest(inputs: [file])
    #expect(o.first?.status == .refused)
    #expect(o.first?.reason == "the profile's keep rule on sample_type does not fit this file: it has no sample_type column")
    let fits = try Profile.load(path: t.write("q.toml", "[keep]\nbearing = [\"MoM\"]\n"))
    let o2 = try Ingester(db: db, logger: .init(label: "t"), options: IngestOptions(profile: fits)).ingest(inputs: [file])
    #expect(o2.first?.status == .loaded)
    #expect(o2.first?.rowsAccepted == 1)
  }

  @Test("a delimiter that splits nothing leaves one column: the file is refused, with a hint")
  func oneColumn() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let file = t.write("lims.txt", "Accession No|NHS Number|Collected\nA1|9434765919|2025-06-11\n")
    let db = try AuditDatabase.open(path: t.file("a.db"))
    let o = try Ingester(db: db, logger: .init(label: "t")).ingest(inputs: [file])
    #expect(o.first?.status == .refused)
    #expect(o.first?.reason?.contains("is the file delimited by something other than a comma?") == true)
    let pipe = try Profile.load(path: t.write("p.toml", "delimiter = \"|\"\n"))
    let commas = t.write("e.csv", "event_id,nhs_number,event_date,event_type\nE1,9434765919,2025-06-11,review\n")
    let o2 = try Ingester(db: db, logger: .init(label: "t"), options: IngestOptions(profile: pipe)).ingest(inputs: [commas])
    #expect(o2.first?.status == .refused)
    #expect(o2.first?.reason?.hasSuffix("(one column: is the file delimited by something other than the profile's delimiter, \"|\"?)") == true)
  }

  /// Property: over random PAS-like rows, every row read is accepted,
  /// rejected or skipped, and each rule skips exactly the rows the rules'
  /// definition picks (keep first, blank fails keep, matching trimmed and
  /// case-folded, before recoding, after null values).
  @Test("rows read = accepted + rejected + skipped, and each rule's count is its definition's, over random rows")
  func skipProperty() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let profile = try Profile.load(path: t.write("pas.toml", """
      null_values = ["NULL", "n/a"]
      [columns]
      "Appt" = "event_id"
      "NHS" = "nhs_number"
      "When" = "event_date"
      "Code" = "event_type"
      "Hip" = "side"
      [keep]
      side = ["L", "R", "B"]
      [skip]
      event_type = ["0", "2", "4"]
      [values.event_type]
      "5" = "review"
      "6" = "review"
      "3" = "did_not_attend"
      """))
    var rng = SplitMix(seed: 20261206)
    func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
    let codes = ["5", "6", "3", "0", "2", "4", " 2 ", "7", "X", "", "NULL", "review"]
    let sides = ["L", "r", " b ", "", "N/A", "left", "R"]
    var lines = ["Appt,NHS,When,Code,Hip"]
    var expectedSkips: [String: Int] = [:]
    var expectedSkipped = 0
    for i in 0..<600 {
      let code = pick(codes)
      let side = pick(sides)
      let date = pick(["2025-01-15", "15/01/2025 10:30", "2025-02-30", "NULL"])
      lines.append("A\(i),9434765919,\(date),\(code),\(side)")
      // The definition, worked out here from the profile's words, not from the code.
      let foldedSide = ["n/a", "null"].contains(side.trimmingCharacters(in: .whitespaces).lowercased()) ? "" : side.trimmingCharacters(in: .whitespaces).lowercased()
      let foldedCode = ["n/a", "null"].contains(code.trimmingCharacters(in: .whitespaces).lowercased()) ? "" : code.trimmingCharacters(in: .whitespaces).lowercased()
      if !["l", "r", "b"].contains(foldedSide) {
        expectedSkips["keep side", default: 0] += 1
        expectedSkipped += 1
      } else if ["0", "2", "4"].contains(foldedCode) {
        expectedSkips["skip event_type = \(foldedCode)", default: 0] += 1
        expectedSkipped += 1
      }
    }
    let file = t.write("pas.csv", lines.joined(separator: "\n") + "\n")
    let db = try AuditDatabase.open(path: t.file("a.db"))
    let o = try #require(try Ingester(db: db, logger: .init(label: "t"), options: IngestOptions(profile: profile)).ingest(inputs: [file]).first)
    #expect(o.rowsRead == 600)
    #expect(o.rowsRead == o.rowsAccepted + o.rowsRejected + o.rowsSkipped)
    #expect(o.rowsSkipped == expectedSkipped)
    #expect(o.skips == expectedSkips)
    let stored = try db.read { try Int.fetchOne($0, sql: "SELECT (SELECT count(*) FROM event) + (SELECT count(*) FROM reject)") }
    #expect(stored == o.rowsAccepted + o.rowsRejected)
  }
}
