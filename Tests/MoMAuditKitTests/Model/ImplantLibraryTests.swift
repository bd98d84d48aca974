import Foundation
import Testing

@testable import MoMAuditKit

/// The implant library (sources.md §4): shipped as data with a source per
/// entry, matched by whole words of one component text.
@Suite("Implant library")
struct ImplantLibraryTests {
  @Test("the shipped library decodes and holds every required entry, each with a source")
  func shipped() {
    let lib = ImplantLibrary.shipped
    let tokens = lib.entries.map { $0.tokens.joined(separator: " ") }
    for required in ["BHR", "BMHR", "ASR", "Cormet", "Durom", "Conserve Plus", "ADEPT", "ReCap", "MITCH TRH", "Magnum", "M2a 38", "Ultamet", "Metasul"] {
      #expect(tokens.contains(required), "\(required)")
    }
    for e in lib.entries { #expect(!e.source.isEmpty && !e.name.isEmpty) }
    #expect(Set(lib.entries.map(\.id)).count == lib.entries.count)
  }

  @Test(
    "component texts match entries by whole words, ASCII case-insensitive",
    arguments: [
      ("Smith & Nephew BHR head", "bhr"), ("bhr cup", "bhr"), ("(BHR)", "bhr"), ("BMHR modular head", "bmhr"),
      ("DePuy ASR XL head", "asr"), ("ASR-XL", "asr"), ("Corin Cormet 2000", "cormet"), ("Zimmer DUROM cup", "durom"),
      ("Conserve Plus", "conserve-plus"), ("plus, conserve", "conserve-plus"), ("ADEPT 12/14", "adept"),
      ("Biomet ReCap", "recap"), ("MITCH TRH cup", "mitch-trh"), ("M2a-Magnum", "m2a-magnum"), ("M2a-38", "m2a-38"),
      ("Pinnacle Ultamet", "ultamet"), ("Metasul head", "metasul"),
    ])
  func matches(_ text: String, _ id: String) {
    #expect(ImplantLibrary.shipped.match([text])?.id == id)
  }

  @Test(
    "near misses do not match",
    arguments: [
      "BHRs head", "LASR", "ASRXL", "ASR_XL", "Magnums", "M2a cup", "38 mm head", "Conserve", "MITCH cup", "TRH",
      "Metasul2", "Exeter stem", "Trident ceramic liner", "ÁSR", "UltametX", "",
    ])
  func nearMisses(_ text: String) {
    #expect(ImplantLibrary.shipped.match([text]) == nil)
  }

  @Test("all tokens of an entry must be in one component text")
  func oneText() {
    #expect(ImplantLibrary.shipped.match(["Conserve head", "Plus cup"]) == nil)
    #expect(ImplantLibrary.shipped.match(["M2a head", "38 mm cup"]) == nil)
    #expect(ImplantLibrary.shipped.match([nil, "Generic", "Conserve Plus stem"])?.id == "conserve-plus")
  }

  @Test("property: the words of a text are the same on the ASCII bytes' path as scalar by scalar; a non-ASCII text takes the scalar path")
  func asciiWords() {
    var rng = SplitMix(seed: 18)
    let ascii = Array(" -_/.,;()+&'\"\t09azAZmMxX").map(String.init) + ["BHR", "asr", "Co", "28mm"]
    let other = ["é", "Ä", "\u{212A}", "ß", "١", "½", "µ", "—", "\u{301}"]
    for _ in 0..<500 {
      let text = (0..<Int(rng.next() % 10)).map { _ in ascii[Int(rng.next() % UInt64(ascii.count))] }.joined()
      var bytes = text
      #expect(bytes.withUTF8 { ImplantLibrary.asciiWords($0) } == ImplantLibrary.wordsByScalars(text), "\(text)")
      #expect(ImplantLibrary.words(text) == ImplantLibrary.wordsByScalars(text))
      let mixed = text + other[Int(rng.next() % UInt64(other.count))] + text
      var mixedBytes = mixed
      #expect(mixedBytes.withUTF8 { ImplantLibrary.asciiWords($0) } == nil)
      #expect(ImplantLibrary.words(mixed) == ImplantLibrary.wordsByScalars(mixed))
    }
    // A Kelvin sign is a letter, but not a k: no ASCII folding outside ASCII.
    #expect(ImplantLibrary.words("\u{212A}BHR x_1") == ["\u{212A}bhr", "x_1"])
    #expect(ImplantLibrary.words("BHR-38 Cup") == ["bhr", "38", "cup"])
  }

  static func procedure(_ type: ProcedureType, _ bearing: Bearing, _ femoral: String?) -> ProcedureRecord {
    ProcedureRecord(
      procedureId: "P1", nhsNumber: "9434765919", localPatientId: nil, sex: .male, dateOfBirth: nil,
      procedureDate: LocalDate(year: 2010, month: 3, day: 1)!, side: .left, procedureType: type, bearing: bearing,
      headDiameterMm: 46, femoralComponent: femoral, acetabularComponent: nil, stemComponent: nil, manufacturer: nil,
      opcsCode: nil, trustCode: nil, siteCode: nil, consultantCode: nil)
  }

  @Test("MoM basis: the bearing, else the library, else an assumed resurfacing; never a revision; never over a known bearing")
  func basis() {
    #expect(Self.procedure(.totalHip, .mom, nil).momBasis == .bearing)
    #expect(Self.procedure(.totalHip, .unknown, "BHR head").momBasis == .components)
    #expect(Self.procedure(.revision, .unknown, "Ultamet liner").momBasis == .components)
    #expect(Self.procedure(.resurfacing, .unknown, "generic").momBasis == .assumed)
    #expect(Self.procedure(.resurfacing, .unknown, nil).momBasis == .assumed)
    #expect(Self.procedure(.revision, .unknown, "generic").momBasis == nil)
    #expect(Self.procedure(.totalHip, .unknown, "generic").momBasis == nil)
    #expect(Self.procedure(.resurfacing, .coc, "BHR head").momBasis == nil)
    #expect(Self.procedure(.totalHip, .mop, "ASR").momBasis == nil)
  }
}
