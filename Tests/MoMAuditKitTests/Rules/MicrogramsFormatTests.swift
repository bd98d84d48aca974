import Foundation
import Testing

@testable import MoMAuditKit

/// `formatMicrograms` writes `%.3f` through the C library; every value a
/// finding, warning or report shows must read as Foundation's
/// `String(format:)` wrote it before.
@Suite("µg/L for people")
struct MicrogramsFormatTests {
  @Test("the digits Foundation's String(format:) gives, trailing zeros and point dropped")
  func sameAsFoundation() {
    var rng = SplitMix(seed: 11)
    var values: [Double] = [0, -0.0, 7, 7.1, 0.0005, 0.0015, 0.0025, 1.0005, 2.5, 1234.5678, 1e-9, 1e15, 1e300, -3.25]
    for _ in 0..<20_000 {
      let mantissa = Double(rng.next() % 10_000_000) / 1000
      let scale = [1e-4, 1e-2, 1, 10, 1000, 1e9][Int(rng.next() % 6)]
      values.append((rng.next() % 5 == 0 ? -1 : 1) * mantissa * scale)
      values.append(Double(bitPattern: rng.next() % 0x7FE0_0000_0000_0000))
    }
    for v in values {
      #expect(formatMicrograms(v) == formatMicrogramsWithFoundation(v), "\(v)")
    }
    #expect(formatMicrograms(7.1) == "7.1")
    #expect(formatMicrograms(140) == "140")
    #expect(formatMicrograms(0.0004) == "0")
  }
}
