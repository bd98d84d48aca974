import Testing
@testable import MoMAuditKit

@Suite("Dates and month arithmetic (surveillance-rules.md §1)")
struct LocalDateTests {
  func d(_ s: String) -> LocalDate { LocalDate(iso: s)! }

  @Test("month arithmetic clamps to the month's last day", arguments: [
    ("2024-01-31", 1, "2024-02-29"), ("2023-01-31", 1, "2023-02-28"), ("2024-01-31", 12, "2025-01-31"),
    ("2020-02-29", 12, "2021-02-28"), ("2020-02-29", 48, "2024-02-29"), ("2023-08-31", 12, "2024-08-31"),
    ("2024-11-30", 3, "2025-02-28"), ("2023-11-30", 3, "2024-02-29"), ("2024-08-31", 3, "2024-11-30"),
    ("2016-02-29", 60, "2021-02-28"), ("2006-05-02", 12, "2007-05-02"), ("2025-12-15", 1, "2026-01-15"),
  ])
  func addMonths(_ start: String, _ months: Int, _ expected: String) {
    #expect(d(start).addingMonths(months).iso == expected)
  }

  @Test("ISO round trip and day counts")
  func roundTrip() {
    #expect(d("1970-01-01").dayNumber == 0)
    #expect(d("2000-03-01").days(since: d("2000-02-28")) == 2)
    #expect(d("2025-03-01").days(since: d("2024-02-29")) == 366)
    #expect(d("2025-03-02").human == "02-Mar-2025")
    #expect(LocalDate(year: 2019, month: 2, day: 29) == nil)
    #expect(LocalDate(year: 0, month: 1, day: 1) == nil)
  }

  @Test("property: adding months keeps the day or clamps to month end, never overflows a month")
  func monthProperty() {
    var rng = SplitMix(seed: 42)
    for _ in 0..<5_000 {
      let start = LocalDate(dayNumber: Int32(rng.next() % 40_000))
      let n = Int(rng.next() % 130)
      let r = start.addingMonths(n)
      let (y0, m0, d0) = start.components
      let (y1, m1, d1) = r.components
      #expect((y1 * 12 + m1) - (y0 * 12 + m0) == n)
      #expect(d1 == min(d0, LocalDate.daysInMonth(year: y1, month: m1)))
      #expect(LocalDate(iso: r.iso) == r)
    }
  }

  @Test("property: iso is the zero-padded year, month and day, as the padded concatenation writes it")
  func isoProperty() {
    var rng = SplitMix(seed: 7)
    for i in 0..<5_000 {
      // Years 1 to about 2800, and the first and last days of the range written in place.
      let day = i == 0 ? LocalDate(year: 1, month: 1, day: 1)! : i == 1 ? LocalDate(year: 9999, month: 12, day: 31)!
        : LocalDate(dayNumber: Int32(Int64(rng.next() % 1_000_000) - 719_000))
      let (y, m, d) = day.components
      #expect(day.iso == LocalDate.paddedISO(y, m, d))
      #expect(day.iso.utf8.count == 10)
    }
  }
}

/// A small deterministic generator for property tests.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
