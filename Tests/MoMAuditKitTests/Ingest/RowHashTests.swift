import Testing

@testable import MoMAuditKit

/// XXH64 against the reference implementation's values (Python `xxhash`
/// 3.x, `xxhash.xxh64(data, seed).intdigest()`, computed when this test was written).
@Suite("RowHash (XXH64)")
struct RowHashTests {
  static func bytes(_ b: [UInt8], seed: UInt64) -> UInt64 { b.withUnsafeBytes { RowHash.hash($0, seed: seed) } }

  @Test("reference values: empty, short, one stripe and more, with and without a seed")
  func reference() {
    #expect(RowHash.hash("", seed: 0) == 0xEF46_DB37_51D8_E999)
    #expect(RowHash.hash("a", seed: 0) == 0xD24E_C4F1_A98C_6E5B)
    #expect(RowHash.hash("abc", seed: 0) == 0x44BC_2CF5_AD77_0999)
    #expect(RowHash.hash("0123456789abcdef0123456789abcdef!", seed: 0) == 0x8AFF_F4DA_AC4E_677E)
    #expect(Self.bytes(Array(0..<100), seed: 0) == 0x6AC1_E580_3216_6597)
    #expect(RowHash.hash("", seed: 12345) == 0x9558_4AF7_701F_808D)
    #expect(RowHash.hash("a", seed: 12345) == 0x747B_8605_23D6_9AB6)
    #expect(RowHash.hash("abc", seed: 12345) == 0x0170_0E64_F6F2_3509)
    #expect(RowHash.hash("0123456789abcdef0123456789abcdef!", seed: 12345) == 0x6542_5080_15C1_5F85)
    #expect(Self.bytes(Array(0..<100), seed: 12345) == 0x028B_A1AE_2DE4_DE27)
  }
}
