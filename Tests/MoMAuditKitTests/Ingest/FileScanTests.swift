import Crypto
import Foundation
import Testing
@testable import MoMAuditKit

/// The scan before a file's load decides its identity (hash), its encoding
/// and whether an XML file declares a DTD. Its word-at-a-time and memchr
/// shortcuts (issue 5) must give what a plain byte-by-byte reading gives,
/// wherever the chunks of the file happen to split.
@Suite("File scan")
struct FileScanTests {
  /// Bytes mixing ASCII, valid UTF-8, stray high bytes, Windows-1252's
  /// undefined bytes and (pieces of) the DTD markers.
  static func randomBytes(_ rng: inout some RandomNumberGenerator) -> [UInt8] {
    let pieces: [[UInt8]] = [
      Array("procedure_id,nhs_number,2024-01-02,".utf8), Array("<event type=\"review\"/>".utf8), Array("é".utf8),
      Array("–".utf8), Array("😀".utf8), [0xC3], [0xE2, 0x80], [0x81], [0x8D], [0x92], [0xFF], [0xED, 0xA0, 0x80],
      Array("<!DOCTYPE".utf8), Array("<!ENTITY".utf8), Array("<!DOCTYP".utf8), Array("<!-- c -->".utf8),
      Array("!".utf8), Array("<".utf8), Array("a!b<!x".utf8), Array("        ".utf8),
    ]
    var out: [UInt8] = []
    for _ in 0..<Int.random(in: 0...40, using: &rng) {
      // Mostly ASCII, as real exports are.
      if Int.random(in: 0..<10, using: &rng) < 7 {
        out += pieces[Int.random(in: 0..<2, using: &rng)]
      } else {
        out += pieces.randomElement(using: &rng)!
      }
    }
    return out
  }

  static func chunks(_ bytes: [UInt8], _ rng: inout some RandomNumberGenerator) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = 0
    while i < bytes.count {
      let n = Int.random(in: 1...max(1, bytes.count - i), using: &rng)
      out.append(Array(bytes[i..<min(bytes.count, i + n)]))
      i += n
    }
    return out
  }

  static func naiveContains(_ hay: [UInt8], _ needle: String) -> Bool {
    let n = Array(needle.utf8)
    guard hay.count >= n.count else { return false }
    return (0...(hay.count - n.count)).contains { Array(hay[$0..<($0 + n.count)]) == n }
  }

  @Test("encoding facts and DTD markers agree with a byte-by-byte reading, over 3,000 random inputs split at random")
  func scannersAgree() {
    var rng = SystemRandomNumberGenerator()
    var seen = (valid: 0, invalid: 0, undefined: 0, marker: 0)
    for _ in 0..<3_000 {
      let bytes = Self.randomBytes(&rng)
      var text = TextScanner()
      var markers = MarkerScanner(markers: ["<!DOCTYPE", "<!ENTITY"])
      for chunk in Self.chunks(bytes, &rng) {
        chunk.withUnsafeBufferPointer {
          text.feed($0)
          markers.feed($0)
        }
      }
      let valid = String(validating: bytes, as: UTF8.self) != nil
      let undefined = bytes.contains(where: TextEncoding.isUndefinedInCP1252)
      let marker = Self.naiveContains(bytes, "<!DOCTYPE") || Self.naiveContains(bytes, "<!ENTITY")
      #expect(text.validUTF8 == valid, "\(bytes)")
      #expect(text.undefinedInCP1252 == undefined, "\(bytes)")
      #expect(markers.found == marker, "\(bytes)")
      if valid { seen.valid += 1 } else { seen.invalid += 1 }
      if undefined { seen.undefined += 1 }
      if marker { seen.marker += 1 }
    }
    // The generator reaches every case.
    #expect(seen.valid > 100 && seen.invalid > 100 && seen.undefined > 100 && seen.marker > 100)
  }

  @Test("a marker split across two chunks of the file is found", arguments: 1...8)
  func markerAcrossChunks(_ cut: Int) {
    let marker = Array("<!DOCTYPE".utf8)
    let bytes = Array(repeating: UInt8(ascii: "a"), count: 100) + marker + Array(repeating: UInt8(ascii: "b"), count: 5)
    var m = MarkerScanner(markers: ["<!DOCTYPE", "<!ENTITY"])
    bytes[..<(100 + cut)].withUnsafeBufferPointer { m.feed($0) }
    #expect(!m.found)
    bytes[(100 + cut)...].withUnsafeBufferPointer { m.feed($0) }
    #expect(m.found)
  }

  @Test("FileScan of a file larger than its 1 MiB buffer: SHA-256, size, encoding and markers as read whole")
  func wholeFile() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    var bytes = Array(repeating: Array("procedure_id,nhs_number,é\n".utf8), count: 100_000).flatMap { $0 }
    let clean = dir.write("clean.csv", bytes: bytes)
    var scan = try FileScan.scan(path: clean)
    #expect(scan.size == bytes.count)
    #expect(scan.sha256 == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
    #expect(scan.validUTF8 && !scan.hasCP1252UndefinedBytes && !scan.containsDoctypeOrEntity)
    // A marker straddling the first 1 MiB boundary, and one undefined byte late in the file.
    let at = (1 << 20) - 4
    bytes.replaceSubrange(at..<(at + 8), with: Array("<!ENTITY".utf8))
    bytes[bytes.count - 10] = 0x8F
    scan = try FileScan.scan(path: dir.write("marked.xml", bytes: bytes))
    #expect(scan.containsDoctypeOrEntity && !scan.validUTF8 && scan.hasCP1252UndefinedBytes)
  }
}
