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

  @Test("a malformed profile or an unknown field is refused with its key path", arguments: [
    (#"{"columns": {"Op Ref": "operation_ref"}}"#, "profile P: columns.Op Ref: operation_ref is not a canonical field name"),
    (#"{"values": {"colour": {"a": "b"}}}"#, "profile P: values.colour: not a canonical field name"),
    (#"{"values": {"bearing": {"Metal/Metal": 1}}}"#, "profile P: values.bearing.Metal/Metal: must be a string"),
    (#"{"encoding": "latin-9"}"#, "profile P: encoding: must be \"utf-8\" or \"cp1252\""),
    (#"{"date_order": "ymd"}"#, "profile P: date_order: must be \"dmy\" or \"mdy\""),
    (#"{"parameters": {"grace_days": "ten"}}"#, "profile P: parameters.grace_days: must be a number"),
    (#"{"colums": {}}"#, "profile P: colums: unknown key (known: name, encoding, columns, values, date_order, parameters)"),
    (#"{"columns": "#, "profile P is not valid JSON"),
    (#"[1, 2]"#, "profile P: (top level): must be an object"),
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
}
