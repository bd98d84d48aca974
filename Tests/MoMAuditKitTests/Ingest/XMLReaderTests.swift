import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// registry-export.md, "XML", through the ingest stage.
@Suite("XML exports")
struct XMLReaderTests {
  typealias R = IX.Reject

  /// The example document of the spec, verbatim.
  static let specExample = """
    <registryExport xmlns="urn:momaudit:registry-export:1" exportDate="2026-10-01" source="NJR">
      <patient nhsNumber="9434765919" sex="2" dateOfBirth="1951-03-14" localPatientId="H123">
        <procedure procedureId="NJR-000123" procedureDate="2006-05-02" side="L"
                   procedureType="resurfacing" bearing="MoM" headDiameterMm="46"
                   trustCode="RXH" siteCode="RXH01" consultantCode="C1234567" opcsCode="W58.1">
          <component role="femoral">Smith &amp; Nephew BHR head</component>
          <component role="acetabular">BHR cup</component>
        </procedure>
        <event eventId="E-1" eventDate="2025-06-11" eventType="review" side="L"
               symptomatic="N" oxfordHipScore="44"/>
        <event eventId="E-2" eventDate="2025-06-11" eventType="blood_metal_ions"
               cobalt="1.9" chromium="1.4" ionUnit="ug/L" sampleType="whole_blood"/>
      </patient>
    </registryExport>

    """

  static let ns = "urn:momaudit:registry-export:1"

  /// A document with the given patients' contents, one line per element.
  static func doc(exportDate: String = "2026-10-01", _ body: String) -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<registryExport xmlns=\"\(ns)\" exportDate=\"\(exportDate)\">\n"
      + body + "</registryExport>\n"
  }

  static func proc(_ id: String, date: String = "2006-05-02", side: String = "L", extra: String = "") -> String {
    "<procedure procedureId=\"\(id)\" procedureDate=\"\(date)\" side=\"\(side)\" procedureType=\"resurfacing\" bearing=\"MoM\"\(extra)/>"
  }

  static func review(_ id: String, date: String = "2025-06-11", extra: String = "") -> String {
    "<event eventId=\"\(id)\" eventDate=\"\(date)\" eventType=\"review\"\(extra)/>"
  }

  static func expectRefused(
    _ db: DatabaseQueue, _ o: FileOutcome, _ reason: String? = nil, prefix: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    #expect(o.status == .refused, sourceLocation: sourceLocation)
    if let reason { #expect(o.reason == reason, sourceLocation: sourceLocation) }
    if let prefix {
      #expect(o.reason?.hasPrefix(prefix) == true, "\(o.reason ?? "nil")", sourceLocation: sourceLocation)
    }
    #expect(try IX.recordCount(db) == 0, sourceLocation: sourceLocation)
    #expect(try IX.count(db, "replacement") == 0, sourceLocation: sourceLocation)
    #expect(try IX.strings(db, "SELECT status FROM source_file") == ["refused"], sourceLocation: sourceLocation)
  }

  static func counts(_ o: FileOutcome) -> [Int] { [o.rowsRead, o.rowsAccepted, o.rowsRejected] }

  // MARK: the example

  @Test("the spec's example document loads: patient attributes, components joined by role, events")
  func specExampleLoads() throws {
    let (db, o) = try IX.load("export.xml", Self.specExample)
    #expect(o.status == .loaded)
    #expect(Self.counts(o) == [3, 3, 0])
    let p = try #require(try IX.row(db, "SELECT * FROM procedure"))
    #expect(p["procedure_id"] as String == "NJR-000123")
    #expect(p["nhs_number"] as String == "9434765919")
    #expect(p["local_patient_id"] as String == "H123")
    #expect(p["sex"] as String == "female")
    #expect(p["date_of_birth"] as String == "1951-03-14")
    #expect(p["procedure_date"] as String == "2006-05-02")
    #expect(p["side"] as String == "L")
    #expect(p["procedure_type"] as String == "resurfacing")
    #expect(p["bearing"] as String == "MoM")
    #expect(p["head_diameter_mm"] as Double == 46)
    #expect(p["femoral_component"] as String == "Smith & Nephew BHR head")
    #expect(p["acetabular_component"] as String == "BHR cup")
    #expect(p["stem_component"] as String? == nil)
    #expect(p["trust_code"] as String == "RXH")
    #expect(p["site_code"] as String == "RXH01")
    #expect(p["consultant_code"] as String == "C1234567")
    #expect(p["opcs_code"] as String == "W58.1")
    #expect(p["is_mom"] as Int == 1)
    #expect(p["is_asr"] as Int == 0)
    #expect(p["source_location"] as String == "/registryExport/patient[1]/procedure[1]")
    let e1 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E-1'"))
    #expect(e1["nhs_number"] as String == "9434765919")
    #expect(e1["event_type"] as String == "review")
    #expect(e1["side"] as String == "L")
    #expect(e1["symptomatic"] as Int == 0)
    #expect(e1["oxford_hip_score"] as Int == 44)
    #expect(e1["source_location"] as String == "/registryExport/patient[1]/event[1]")
    let e2 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E-2'"))
    #expect(e2["event_type"] as String == "blood_metal_ions")
    #expect(e2["cobalt"] as Double == 1.9)
    #expect(e2["chromium"] as Double == 1.4)
    #expect(e2["cobalt_ug_l"] as Double == 1.9)
    #expect(e2["chromium_ug_l"] as Double == 1.4)
    #expect(e2["ion_unit"] as String == "ug/L")
    #expect(e2["sample_type"] as String == "whole_blood")
    #expect(e2["side"] as String? == nil)
    let f = try #require(try IX.row(db, "SELECT * FROM source_file"))
    #expect(f["format"] as String == "xml")
    #expect(f["kind"] as String == "mixed")
    #expect(f["export_date"] as String == "2026-10-01")
    #expect(f["encoding"] as String == "utf-8")
    #expect([f["rows_read"], f["rows_accepted"], f["rows_rejected"]] as [Int] == [3, 3, 0])
    #expect(try IX.count(db, "warning") == 0)
  }

  @Test("components of one role are all kept, and ASR in any <component> marks the procedure")
  func components() throws {
    let body = """
      <patient nhsNumber="9434765919">
      <procedure procedureId="P1" procedureDate="2006-05-02" side="L" procedureType="THR" bearing="MoM">
      <component role="femoral">Head A</component>
      <component role="FEMORAL"> Head B\u{00A0}</component>
      <component role="stem">Corail</component>
      <component role="acetabular">DePuy ASR cup</component>
      </procedure>
      <procedure procedureId="P2" procedureDate="2006-05-02" side="R" procedureType="THR" bearing="MoM">
      <component role="stem">ASR_XL stem</component>
      <component role="femoral">LASR head</component>
      </procedure>
      <procedure procedureId="P3" procedureDate="2006-05-02" side="R" procedureType="THR" bearing="MoM" femoralComponent="ASR XL"/>
      <procedure procedureId="P4" procedureDate="2006-05-02" side="L" procedureType="rev" bearing="MoM">
      <component role="stem">(ASR)</component>
      </procedure>
      </patient>

      """
    let (db, o) = try IX.load("x.xml", Self.doc(body))
    #expect(Self.counts(o) == [4, 4, 0])
    let rows = try db.read {
      try Row.fetchAll($0, sql: "SELECT * FROM procedure ORDER BY procedure_id")
    }
    // The spec does not say how several components of one role are combined;
    // the code joins them with "; " in document order.
    #expect(rows[0]["femoral_component"] as String == "Head A; Head B")
    #expect(rows[0]["stem_component"] as String == "Corail")
    #expect(rows[0]["acetabular_component"] as String == "DePuy ASR cup")
    #expect(rows.map { $0["is_asr"] as Int } == [1, 0, 0, 1])
    // there are no component attributes: femoralComponent="ASR XL" is an unknown attribute
    #expect(rows[2]["femoral_component"] as String? == nil)
  }

  // MARK: refusals

  @Test(
    "the root must be <registryExport> in the registry namespace",
    arguments: [
      (
        "<registryExport exportDate=\"2026-10-01\"></registryExport>",
        "the root element is not <registryExport> in namespace urn:momaudit:registry-export:1 (no namespace)"
      ),
      (
        "<registryExport xmlns=\"urn:other\" exportDate=\"2026-10-01\"></registryExport>",
        "the root element is not <registryExport> in namespace urn:momaudit:registry-export:1 (found namespace urn:other)"
      ),
      (
        "<export xmlns=\"urn:momaudit:registry-export:1\" exportDate=\"2026-10-01\"></export>",
        "the root element is not <registryExport> in namespace urn:momaudit:registry-export:1"
      ),
    ])
  func namespaceRequired(_ root: String, _ reason: String) throws {
    let text = root.replacingOccurrences(
      of: "></", with: "><patient nhsNumber=\"9434765919\">\(Self.proc("P1"))</patient></")
    let (db, o) = try IX.load("x.xml", text)
    try Self.expectRefused(db, o, prefix: reason)
  }

  @Test("the namespace is matched by URI, whatever the prefix; elements in other namespaces are ignored")
  func namespacePrefix() throws {
    let text = """
      <r:registryExport xmlns:r="\(Self.ns)" xmlns:o="urn:other" exportDate="2026-10-01">
      <r:patient nhsNumber="9434765919">
      <r:procedure procedureId="P1" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="MoM"/>
      <o:procedure procedureId="P2" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="MoM"/>
      <procedure procedureId="P3" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="MoM"/>
      </r:patient>
      <o:patient nhsNumber="9434765919">
      <r:procedure procedureId="P4" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="MoM"/>
      </o:patient>
      </r:registryExport>
      """
    let (db, o) = try IX.load("x.xml", text)
    #expect(Self.counts(o) == [1, 1, 0])
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure") == ["P1"])
  }

  static let doctypeReason = "the document has a DOCTYPE, DTD or entity declaration, which is not allowed"

  @Test(
    "a DOCTYPE, DTD or entity declaration refuses the whole document and nothing is loaded",
    arguments: [
      "<!DOCTYPE registryExport>\n",
      "<!DOCTYPE registryExport [<!ENTITY x \"ASR\">]>\n",
      "<!DOCTYPE registryExport SYSTEM \"file:///etc/passwd\">\n",
      "<!DOCTYPE registryExport [<!ENTITY % p SYSTEM \"http://127.0.0.1/x.dtd\"> %p;]>\n",
      "<!DOCTYPE registryExport [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n",
    ])
  func doctype(_ prolog: String) throws {
    let text =
      "<?xml version=\"1.0\"?>\n" + prolog
      + Self.doc(
        "<patient nhsNumber=\"9434765919\">\(Self.proc("P1"))\(Self.review("E1"))</patient>\n"
      ).split(separator: "\n", maxSplits: 1)[1]
    let (db, o) = try IX.load("x.xml", text)
    try Self.expectRefused(db, o, Self.doctypeReason)
  }

  @Test("an entity reference without a declaration refuses the document and nothing is loaded")
  func undeclaredEntity() throws {
    let text = Self.doc(
      "<patient nhsNumber=\"9434765919\">\n\(Self.proc("P1"))\n\(Self.review("E1", extra: " note=\"&xxe;\""))\n</patient>\n"
    )
    let (db, o) = try IX.load("x.xml", text)
    try Self.expectRefused(db, o, prefix: "malformed XML: ")
  }

  @Test("a DOCTYPE after more than a megabyte of comment still refuses the document")
  func doctypeFarIn() throws {
    let comment = "<!--" + String(repeating: "c", count: (1 << 20) - 7) + "-->\n"
    let text =
      "<?xml version=\"1.0\"?>\n" + comment + "<!DOCTYPE registryExport>\n"
      + Self.doc("<patient nhsNumber=\"9434765919\">\(Self.proc("P1"))</patient>\n").split(
        separator: "\n", maxSplits: 1)[1]
    let (db, o) = try IX.load("x.xml", text)
    try Self.expectRefused(db, o, Self.doctypeReason)
  }

  @Test(
    "a truncated document is refused and nothing from it is loaded",
    arguments: [
      specExample.components(separatedBy: "<event eventId=\"E-2\"")[0] + "<event eventId=\"E-2\" eventDate=\"2025",
      specExample.replacingOccurrences(of: "</registryExport>\n", with: ""),
      specExample.replacingOccurrences(of: "</patient>", with: ""),
      // a root start tag cut off: malformed first, whatever the root
      "<a", "<registryExport xmlns=\"urn:other\" exportDate=\"2026-10-01\"",
      "<registryExport xmlns=\"urn:momaudit:registry-export:1\" exportDate=\"tomorrow\"",
    ])
  func truncated(_ text: String) throws {
    let (db, o) = try IX.load("x.xml", text)
    try Self.expectRefused(db, o, prefix: "malformed XML: line ")
  }

  @Test("a file that is not XML at all is refused", arguments: ["hello", "{\"a\": 1}"])
  func notXML(_ text: String) throws {
    let (db, o) = try IX.load("x.xml", text)
    #expect(o.status == .refused)
    #expect(try IX.recordCount(db) == 0)
  }

  // MARK: export date

  @Test("an event after exportDate is kept with a RECORD_AFTER_EXPORT_DATE warning; a procedure after it is rejected")
  func afterExportDate() throws {
    let body = """
      <patient nhsNumber="9434765919">
      \(Self.proc("P1", date: "2026-10-01"))
      \(Self.proc("P2", date: "2026-11-01", side: "R"))
      \(Self.review("E1", date: "2026-10-01"))
      \(Self.review("E2", date: "2026-11-01"))
      </patient>

      """
    let (db, o) = try IX.load("x.xml", Self.doc(body))
    #expect(Self.counts(o) == [4, 3, 1])
    // the line is checked in KnownSpecGaps.swift (the reader reports the parser's read-ahead position)
    #expect(
      try IX.rejects(db).map { r -> R in
        var r = r
        r.line = nil
        return r
      }
        == [
          R(
            line: nil, location: "/registryExport/patient[1]/procedure[2]", kind: "procedure", recordId: "P2",
            field: "procedure_date", code: "DATE_AFTER_EXPORT",
            reason: "procedure_date: 2026-11-01 is after the export date 2026-10-01",
            raw: "<patient nhsNumber=\"9434765919\">" + Self.proc("P2", date: "2026-11-01", side: "R").dropLast(2) + ">"
          )
        ])
    #expect(try IX.strings(db, "SELECT event_id FROM event ORDER BY 1") == ["E1", "E2"])
    let w = try #require(try IX.row(db, "SELECT * FROM warning"))
    #expect(w["code"] as String == "RECORD_AFTER_EXPORT_DATE")
    #expect(w["record_kind"] as String == "event")
    #expect(w["record_id"] as String == "E2")
    #expect(w["nhs_number"] as String == "9434765919")
    #expect(w["detail"] as String == "event dated 2026-11-01, after the export date 2026-10-01")
    #expect(w["check_run_id"] as Int? == nil)
    #expect(try IX.count(db, "warning") == 1)
  }

  @Test(
    "exportDate follows the date rules; an unparseable one refuses the document",
    arguments: ["2026-13-01", "31/02/2026", "1/10/26", "2026-10-01T24:00:00", "2026-10-01 10:61", "", "tomorrow"])
  func badExportDate(_ date: String) throws {
    let (db, o) = try IX.load(
      "x.xml", Self.doc(exportDate: date, "<patient nhsNumber=\"9434765919\">\(Self.proc("P1"))</patient>\n"))
    try Self.expectRefused(db, o, "exportDate \"\(date)\" is not a valid date")
  }

  @Test(
    "exportDate may be written in any accepted date format",
    arguments: ["01/10/2026", "1/10/2026", "20261001", " 2026-10-01 "])
  func exportDateFormats(_ date: String) throws {
    let (db, o) = try IX.load(
      "x.xml", Self.doc(exportDate: date, "<patient nhsNumber=\"9434765919\">\(Self.proc("P1"))</patient>\n"))
    #expect(Self.counts(o) == [1, 1, 0])
    #expect(try IX.strings(db, "SELECT export_date FROM source_file") == ["2026-10-01"])
  }

  // MARK: structure

  @Test("unknown elements and attributes are ignored")
  func unknownIgnored() throws {
    let text = """
      <registryExport xmlns="\(Self.ns)" exportDate="2026-10-01" generator="x" colour="red">
      <header><created>2026-10-01</created></header>
      <patient nhsNumber="9434765919" sex="M" favouriteColour="blue">
      <demographics postcode="AB1 2CD"/>
      <procedure procedureId="P1" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="MoM" implantLot="123" headDiameterMm="50">
      <implantDetail lot="1"><component role="femoral">inside an unknown element</component></implantDetail>
      <component role="femoral" supplier="x">BHR head</component>
      <!-- a comment -->
      </procedure>
      <event eventId="E1" eventDate="2025-06-11" eventType="review" clinician="Dr X" oxfordHipScore="40.0"><extra/>text</event>
      <note>free text</note>
      </patient>
      <footer count="1"/>
      </registryExport>
      """
    let (db, o) = try IX.load("x.xml", text)
    #expect(Self.counts(o) == [2, 2, 0])
    let p = try #require(try IX.row(db, "SELECT * FROM procedure"))
    #expect(p["femoral_component"] as String == "BHR head")
    #expect(p["sex"] as String == "male")
    #expect(p["head_diameter_mm"] as Double == 50)
    #expect(try IX.strings(db, "SELECT CAST(oxford_hip_score AS TEXT) FROM event") == ["40"])
  }

  @Test("procedures and events count only as children of <patient>")
  func onlyUnderPatient() throws {
    let text = """
      <registryExport xmlns="\(Self.ns)" exportDate="2026-10-01">
      \(Self.proc("P-root"))
      \(Self.review("E-root"))
      <patient nhsNumber="9434765919">
      <group>\(Self.proc("P-group"))\(Self.review("E-group"))</group>
      <procedure procedureId="P1" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="MoM">
      \(Self.review("E-in-procedure"))
      \(Self.proc("P-in-procedure"))
      </procedure>
      \(Self.review("E1"))
      </patient>
      <batch><patient nhsNumber="9990100004">\(Self.proc("P-batch"))</patient></batch>
      </registryExport>
      """
    let (db, o) = try IX.load("x.xml", text)
    #expect(Self.counts(o) == [2, 2, 0])
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure") == ["P1"])
    #expect(try IX.strings(db, "SELECT event_id FROM event") == ["E1"])
    #expect(try IX.count(db, "reject") == 0)
  }

  @Test("rejects carry the element path and the line of the element")
  func pathAndLine() throws {
    // 300 valid patients first, so the line is read far from the parser's first buffer
    var lines = [
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<registryExport xmlns=\"\(Self.ns)\" exportDate=\"2026-10-01\">",
    ]
    for i in 0..<300 {
      lines += [
        "<patient nhsNumber=\"9434765919\">",
        Self.review("OK-\(i)", extra: " note=\"\(String(repeating: "n", count: 50))\""), "</patient>",
      ]
    }
    let firstBad = lines.count + 1
    lines += [
      "<patient nhsNumber=\"9990100004\">",  // patient 301
      Self.review("E1", extra: " oxfordHipScore=\"49\""),  // event[1]
      Self.proc("P1"),  // procedure[1]
      Self.review("E2", date: "31/02/2025"),  // event[2]
      Self.proc("P2", side: "B"),  // procedure[2]
      "</patient>",
      "<patient nhsNumber=\"9434765918\">",  // patient 302: bad NHS number
      Self.review("E3"),
      "</patient>",
      "</registryExport>",
    ]
    let (db, o) = try IX.load("x.xml", lines.joined(separator: "\n") + "\n")
    #expect(Self.counts(o) == [305, 301, 4])
    let rejects = try IX.rejects(db)
    #expect(
      rejects.map { "\($0.location ?? "-") \($0.field ?? "-") \($0.code)" } == [
        "/registryExport/patient[301]/event[1] oxford_hip_score OUT_OF_RANGE",
        "/registryExport/patient[301]/event[2] event_date INVALID_DATE",
        "/registryExport/patient[301]/procedure[2] side UNKNOWN_CODE",
        "/registryExport/patient[302]/event[1] nhs_number INVALID_NHS_NUMBER",
      ])
    #expect(rejects.allSatisfy { $0.line != nil })  // exact lines: KnownSpecGaps.swift
    #expect(rejects.map(\.recordId) == ["E1", "E2", "P2", "E3"])
    #expect(rejects[3].reason == "nhs_number: invalid NHS number: fails the modulus-11 check")
    #expect(
      try IX.strings(db, "SELECT procedure_id || ' ' || source_location FROM procedure")
        == ["P1 /registryExport/patient[301]/procedure[1]"])
  }

  @Test("attribute values follow the value rules: trimmed, case-folded, converted")
  func valueRules() throws {
    let body = """
      <patient nhsNumber=" 943 476 5919\u{00A0}" sex="female" dateOfBirth="14/3/1951">
      <procedure procedureId="P1" procedureDate="20060502" side=" left " procedureType="Hip_Resurfacing" bearing="METAL-ON-METAL" headDiameterMm="+46.0"/>
      <event eventId="E1" eventDate="11/06/2025" eventType="Blood_Test" side="both" cobalt="119" chromium="134.6" ionUnit="NMOL/L" sampleType=""/>
      <event eventId="E2" eventDate="2025-06-11" eventType="ions" cobalt="7" ionUnit="\u{00B5}g/L"/>
      <event eventId="E3" eventDate="2025-06-11" eventType="ions" chromium="7" ionUnit="\u{03BC}G/L"/>
      </patient>

      """
    let (db, o) = try IX.load("x.xml", Self.doc(body))
    #expect(Self.counts(o) == [4, 4, 0])
    let p = try #require(try IX.row(db, "SELECT * FROM procedure"))
    #expect(p["nhs_number"] as String == "9434765919")
    #expect(p["sex"] as String == "female")
    #expect(p["date_of_birth"] as String == "1951-03-14")
    #expect(p["procedure_date"] as String == "2006-05-02")
    #expect(p["side"] as String == "L")
    #expect(p["procedure_type"] as String == "resurfacing")
    #expect(p["bearing"] as String == "MoM")
    #expect(p["head_diameter_mm"] as Double == 46)
    let e = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E1'"))
    #expect(e["event_date"] as String == "2025-06-11")
    #expect(e["side"] as String == "B")
    #expect(e["ion_unit"] as String == "nmol/L")
    #expect(e["cobalt_ug_l"] as Double == 119 * 0.058933)
    #expect(e["chromium_ug_l"] as Double == 134.6 * 0.051996)
    #expect(e["sample_type"] as String == "whole_blood")
    #expect(try IX.strings(db, "SELECT ion_unit FROM event WHERE event_id IN ('E2', 'E3')") == ["ug/L", "ug/L"])
  }

  @Test("an escaped ampersand is one ampersand, in attributes (ASCII or not) and in component text")
  func ampersands() throws {
    // Without entity substitution libxml2's SAX2 hands `&amp;` in an
    // attribute over as `&#38;`; the reader decodes it, and only it.
    let body = """
      <patient nhsNumber="9434765919">
      <procedure procedureId="P1" procedureDate="2006-05-02" side="L" procedureType="resurfacing" bearing="MoM" manufacturer="Smith &amp; Nephew &amp;#38; x&#38;y&#x26;z"/>
      <procedure procedureId="P2" procedureDate="2006-05-02" side="R" procedureType="resurfacing" bearing="MoM" manufacturer="Soci\u{E9}t\u{E9} &amp; Fils"><component role="femoral">A &amp; B &#38; C</component></procedure>
      <event eventId="E&amp;1" eventDate="2025-06-11" eventType="review" side="X"/>
      </patient>

      """
    let (db, o) = try IX.load("x.xml", Self.doc(body))
    #expect(Self.counts(o) == [3, 2, 1])
    #expect(
      try IX.strings(db, "SELECT manufacturer || '|' || ifnull(femoral_component, '') FROM procedure ORDER BY 1") == [
        "Smith & Nephew &#38; x&y&z|", "Soci\u{E9}t\u{E9} & Fils|A & B & C",
      ])
    let r = try #require(try IX.rejects(db).first)
    #expect(r.recordId == "E&1")
    #expect(r.raw.hasSuffix("<event eventId=\"E&1\" eventDate=\"2025-06-11\" eventType=\"review\" side=\"X\">"))
  }

  @Test("a text node over 10,000,000 bytes refuses the document, as libxml2's tree builder did; exactly 10,000,000 is fine")
  func hugeTextNode() throws {
    func text(_ n: Int) -> String {
      Self.doc(
        "<patient nhsNumber=\"9434765919\">\n\(Self.proc("P1"))\n<note>" + String(repeating: "a", count: n)
          + "</note>\n</patient>\n")
    }
    let (db, o) = try IX.load("x.xml", text(10_000_001))
    try Self.expectRefused(db, o, "malformed XML: line 5: xmlSAX2Characters: huge text node")
    let (db2, o2) = try IX.load("x.xml", text(10_000_000))
    #expect(Self.counts(o2) == [1, 1, 0])
    #expect(try IX.count(db2, "procedure") == 1)
  }

  @Test("an attribute over 65,536 bytes rejects the row, even an unknown one; exactly 65,536 is fine")
  func attributeSize() throws {
    let exact = String(repeating: "a", count: 65_536)
    let body = """
      <patient nhsNumber="9434765919">
      \(Self.review("E1", extra: " note=\"\(exact)\" colour=\"\(exact)\""))
      \(Self.review("E2", extra: " colour=\"\(exact)a\""))
      \(Self.review("E3", extra: " note=\"\(exact)a\""))
      </patient>

      """
    let (db, o) = try IX.load("x.xml", Self.doc(body))
    #expect(Self.counts(o) == [3, 1, 2])
    #expect(
      try IX.rejects(db).map { "\($0.recordId ?? "-") \($0.field ?? "-") \($0.code) \($0.reason)" } == [
        "E2 colour FIELD_TOO_LONG colour: longer than 65536 bytes",
        "E3 note FIELD_TOO_LONG note: longer than 65536 bytes",
      ])
    #expect(try db.read { try Int.fetchOne($0, sql: "SELECT length(note) FROM event") } == 65_536)
  }

  @Test("an XML file that is not valid UTF-8 is read as Windows-1252")
  func xmlCP1252() throws {
    let text = Self.doc(
      "<patient nhsNumber=\"9434765919\"><procedure procedureId=\"P1\" procedureDate=\"2006-05-02\" side=\"L\" procedureType=\"THR\" bearing=\"MoM\" manufacturer=\"Soci\u{E9}t\u{E9}\"/></patient>\n"
    )
    // encode as Windows-1252: every scalar here is below U+0100
    let bytes = text.unicodeScalars.map { UInt8($0.value) }
    #expect(bytes.contains(0xE9))
    let (db, o) = try IX.load("x.xml", bytes: bytes)
    #expect(Self.counts(o) == [1, 1, 0])
    #expect(try IX.strings(db, "SELECT manufacturer FROM procedure") == ["Soci\u{E9}t\u{E9}"])
    #expect(try IX.strings(db, "SELECT encoding FROM source_file") == ["windows-1252"])
  }

  @Test("a UTF-8 byte-order mark before an XML document is ignored")
  func xmlBOM() throws {
    let (db, o) = try IX.load("x.xml", bytes: [0xEF, 0xBB, 0xBF] + Array(Self.specExample.utf8))
    #expect(Self.counts(o) == [3, 3, 0])
    #expect(try IX.count(db, "procedure") == 1)
  }

  @Test("a UTF-16 XML document is refused")
  func xmlUTF16() throws {
    let text = Self.doc("<patient nhsNumber=\"9434765919\">\(Self.proc("P1"))</patient>\n")
      .replacingOccurrences(of: "UTF-8", with: "UTF-16")
    var bytes: [UInt8] = [0xFF, 0xFE]
    for u in text.utf16 { bytes += [UInt8(u & 0xFF), UInt8(u >> 8)] }
    let (db, o) = try IX.load("x.xml", bytes: bytes)
    try Self.expectRefused(db, o, "the file is UTF-16, which is not supported; save it as UTF-8")
  }

  @Test("a duplicate id with different content in one document is rejected, the first standing")
  func duplicateInDocument() throws {
    let body = """
      <patient nhsNumber="9434765919">
      \(Self.proc("P1"))
      \(Self.proc("P1"))
      \(Self.proc("P1", side: "R"))
      </patient>

      """
    let (db, o) = try IX.load("x.xml", Self.doc(body))
    #expect(Self.counts(o) == [3, 2, 1])
    let r = try IX.rejects(db)
    // the "(first at line N)" part is checked in KnownSpecGaps.swift
    #expect(r.count == 1)
    #expect(r.first?.reason.hasPrefix("procedure_id: duplicate id with different content") == true)
    #expect(r.first?.reason.hasSuffix("; the first row stands") == true)
    #expect(r.map(\.code) == ["DUPLICATE_ID"])
    #expect(r.map(\.location) == ["/registryExport/patient[1]/procedure[3]"])
    #expect(try IX.strings(db, "SELECT side FROM procedure") == ["L"])
  }

  @Test("XML dates may carry a time and a zone or a month name; ion values may be censored")
  func dateTimesAndCensoredValues() throws {
    let body = """
      <patient nhsNumber="9434765919">\(Self.proc("P1", date: "2-May-2006 08:15"))
      <event eventId="E1" eventDate="2025-06-11T23:30:00-05:00" eventType="blood_metal_ions" cobalt="&lt;0.5" chromium="&gt;= 7.5" ionUnit="ug/L"/>
      <event eventId="E2" eventDate="2025-06-11T24:00" eventType="review"/>
      <event eventId="E3" eventDate="20250611094200" eventType="blood_metal_ions" cobalt="&lt;&lt;1" ionUnit="ug/L"/>
      </patient>

      """
    let (db, o) = try IX.load("x.xml", Self.doc(exportDate: "2026-10-01T00:00:00Z", body))
    #expect(Self.counts(o) == [4, 2, 2])
    #expect(try IX.strings(db, "SELECT procedure_date FROM procedure") == ["2006-05-02"])
    let e1 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E1'"))
    #expect(e1["event_date"] as String == "2025-06-11")
    #expect(e1["cobalt"] as Double == 0.5 && e1["cobalt_comparator"] as String == "<")
    #expect(e1["chromium"] as Double == 7.5 && e1["chromium_comparator"] as String == ">=")
    #expect(
      try IX.rejects(db).map { "\($0.recordId ?? "-") \($0.field ?? "-") \($0.code)" } == [
        "E2 event_date INVALID_DATE", "E3 cobalt INVALID_NUMBER",
      ])
  }
}
