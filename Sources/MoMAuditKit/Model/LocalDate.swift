/// A calendar date without time or zone, stored as days since 1970-01-01.
///
/// Dates in the audit are civil dates (an operation on 2006-05-02 happened on
/// that day wherever the server runs), so nothing here touches `Date` or a
/// time zone. Month arithmetic clamps to the month's last day, as
/// surveillance-rules.md §1 requires.
package struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
  package let dayNumber: Int32

  package init(dayNumber: Int32) { self.dayNumber = dayNumber }

  /// Returns nil for an impossible date (31/02/2020) or a year outside 1...9999.
  package init?(year: Int, month: Int, day: Int) {
    guard (1...9999).contains(year), (1...12).contains(month),
      day >= 1, day <= LocalDate.daysInMonth(year: year, month: month)
    else { return nil }
    self.dayNumber = Int32(LocalDate.daysFromCivil(year, month, day))
  }

  package var components: (year: Int, month: Int, day: Int) {
    LocalDate.civilFromDays(Int(dayNumber))
  }

  package static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

  package static func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// "X months after date d" = same day of month X months later, or the last
  /// day of that month when it is shorter (2024-01-31 + 1 month = 2024-02-29).
  package func addingMonths(_ months: Int) -> LocalDate {
    let (y, m, d) = components
    let total = y * 12 + (m - 1) + months
    let ny = total / 12
    let nm = total % 12 + 1
    let nd = min(d, LocalDate.daysInMonth(year: ny, month: nm))
    return LocalDate(year: ny, month: nm, day: nd) ?? self
  }

  package func addingDays(_ days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + Int32(days)) }

  /// Whole days from `other` to `self` (positive when self is later).
  package func days(since other: LocalDate) -> Int { Int(dayNumber - other.dayNumber) }

  package var iso: String {
    let (y, m, d) = components
    guard (0...9999).contains(y) else { return LocalDate.paddedISO(y, m, d) }
    // Ten bytes written in place: the check and the report write millions
    // of dates (the padded concatenation was 2 % of the check's writing thread).
    return String(unsafeUninitializedCapacity: 10) { b in
      b[0] = 0x30 + UInt8(y / 1000)
      b[1] = 0x30 + UInt8(y / 100 % 10)
      b[2] = 0x30 + UInt8(y / 10 % 10)
      b[3] = 0x30 + UInt8(y % 10)
      b[4] = 0x2D
      b[5] = 0x30 + UInt8(m / 10)
      b[6] = 0x30 + UInt8(m % 10)
      b[7] = 0x2D
      b[8] = 0x30 + UInt8(d / 10)
      b[9] = 0x30 + UInt8(d % 10)
      return 10
    }
  }

  /// `iso` for any year (a year outside 0–9999 never comes from a validated date).
  static func paddedISO(_ y: Int, _ m: Int, _ d: Int) -> String {
    LocalDate.pad(y, 4) + "-" + LocalDate.pad(m, 2) + "-" + LocalDate.pad(d, 2)
  }

  /// Human form for reports: `02-Mar-2025`.
  package var human: String {
    let (y, m, d) = components
    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return LocalDate.pad(d, 2) + "-" + names[m - 1] + "-" + LocalDate.pad(y, 4)
  }

  package var description: String { iso }

  package static func < (a: LocalDate, b: LocalDate) -> Bool { a.dayNumber < b.dayNumber }

  /// Parses the stored ISO form only (`YYYY-MM-DD`); use `DateValue.parse` for input.
  package init?(iso: String) {
    guard let d = DateValue.parseISO(Array(iso.utf8)) else { return nil }
    self = d
  }

  private static func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
  private static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (m + 9) % 12
    let doy = (153 * mp + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
  }

  private static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
    let z = z0 + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
  }
}
