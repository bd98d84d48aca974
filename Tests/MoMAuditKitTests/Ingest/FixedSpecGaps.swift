import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// Regression tests for gaps found against registry-export.md and fixed:
/// XML rows carry their element's line (libxml2 records the line on which the
/// start tag closes, so a start tag spread over lines 3–5 reports line 5; the
/// element path is always exact), and a refused file ingested again changes
/// nothing.
@Suite("Fixed spec gaps (ingest)")
struct FixedSpecGaps {
  // MARK: XML line numbers

  // registry-export.md, "CSV dialect": "A row that breaks a rule is rejected
  // ...: it is kept with its file, line (or XML element path), raw content and
  // reason". The reader once recorded where libxml2's parser had read up to
  // (it reads ahead), then the element node's line, which libxml2 keeps in 16
  // bits: past line 65,535 it was one line out, or 65,535. The SAX2 reader
  // takes the parser's own line counter when the start tag closes.

  @Test("an XML reject's line is the line of its element")
  func xmlRejectLine() throws {
    let body = """
      <patient nhsNumber="9434765919">
      \(XMLReaderTests.proc("P1", date: "2026-10-01"))
      \(XMLReaderTests.proc("P2", date: "2026-11-01", side: "R"))
      </patient>

      """
    // line 1 <?xml?>, 2 <registryExport>, 3 <patient>, 4 P1, 5 P2
    let (db, _) = try IX.load("x.xml", XMLReaderTests.doc(body))
    let lines = try IX.rejects(db).map(\.line)
    #expect(lines == [5])
  
  }

  @Test("XML reject lines stay exact deep into a large document")
  func xmlRejectLinesLarge() throws {
    var lines = [
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
      "<registryExport xmlns=\"\(XMLReaderTests.ns)\" exportDate=\"2026-10-01\">",
    ]
    for i in 0..<300 {
      lines += ["<patient nhsNumber=\"9434765919\">", XMLReaderTests.review("OK-\(i)"), "</patient>"]
    }
    let patientLine = lines.count + 1
    lines += [
      "<patient nhsNumber=\"9990100004\">",
      XMLReaderTests.review("E1", extra: " oxfordHipScore=\"49\""),
      XMLReaderTests.proc("P1"),
      XMLReaderTests.review("E2", date: "31/02/2025"),
      "</patient>",
      "</registryExport>",
    ]
    let (db, _) = try IX.load("x.xml", lines.joined(separator: "\n") + "\n")
    let rejectLines = try IX.rejects(db).map(\.line)
    let procedureLines = try IX.strings(db, "SELECT CAST(source_line AS TEXT) FROM procedure")
    #expect(rejectLines == [patientLine + 1, patientLine + 3])
    #expect(procedureLines == ["\(patientLine + 2)"])
  
  }

  @Test("XML lines stay exact past line 65,535 (libxml2 keeps a node's line in 16 bits)")
  func xmlLinesPast65535() throws {
    // line 1 <?xml?>, 2 <registryExport>, 3 to 70,003 a comment, 70,004 <patient>
    let body =
      "<!--" + String(repeating: "\n", count: 70_000) + "-->\n<patient nhsNumber=\"9434765919\">\n"
      + XMLReaderTests.proc("P1") + "\n" + XMLReaderTests.review("E1", extra: " oxfordHipScore=\"49\"") + "\n"
      + XMLReaderTests.proc("P2", side: "R") + "\n</patient>\n"
    let (db, _) = try IX.load("x.xml", XMLReaderTests.doc(body))
    #expect(try IX.rejects(db).map(\.line) == [70_006])
    #expect(
      try IX.strings(db, "SELECT procedure_id || ' ' || source_line FROM procedure ORDER BY 1")
        == ["P1 70005", "P2 70007"])
  }

  @Test("an XML duplicate-id reject names the line of the first element")
  func xmlDuplicateFirstLine() throws {
    let body = """
      <patient nhsNumber="9434765919">
      \(XMLReaderTests.proc("P1"))
      \(XMLReaderTests.proc("P1", side: "R"))
      </patient>

      """
    let (db, _) = try IX.load("x.xml", XMLReaderTests.doc(body))
    let reasons = try IX.rejects(db).map(\.reason)
    #expect(
      reasons
        == ["procedure_id: duplicate id with different content (first at line 4); the first row stands"])
  
  }

  @Test("a replacement from an XML file records the element's line")
  func xmlReplacementLine() throws {
    // the spec example's procedure start tag spans lines 3–5; libxml2 records 5
    let csv = IX.lines(IX.procHeader, [IX.proc("NJR-000123", bearing: "MoP")])
    let (db, _) = try IX.load([("a.csv", Array(csv.utf8)), ("b.xml", Array(XMLReaderTests.specExample.utf8))])
    let newLines = try IX.strings(db, "SELECT CAST(new_line AS TEXT) FROM replacement")
    #expect(newLines == ["5"])
  
  }

  // MARK: re-ingesting a refused file

  // registry-export.md, "Re-ingest and corrections": "Ingesting the same file
  // twice changes nothing (files are identified by content hash)."
  // Ambiguous: the sentence may only mean loaded files. Read literally, a
  // refused file ingested again should not change the database either, but
  // each attempt adds another `refused` row to source_file.
  @Test("ingesting the same refused file twice changes nothing (literal reading)")
  func refusedTwice() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let path = dir.write("bad.csv", IX.lines("procedure_id,event_id", ["a,b"]))
    let db = try AuditDatabase.inMemory()
    let ingester = Ingester(db: db, logger: quietLogger)
    #expect(try ingester.ingestFile(path: path).status == .refused)
    let before = try IX.count(db, "source_file")
    _ = try ingester.ingestFile(path: path)
    let after = try IX.count(db, "source_file")
    #expect(after == before)
  
  }

  @Test("a number too large for a Double is not a number (never infinity)")
  func hugeNumber() {
    #expect(NumberValue.parse(String(repeating: "9", count: 400)) == nil)
    #expect(NumberValue.parse("1" + String(repeating: "0", count: 300)) == 1e300)
  }
}
