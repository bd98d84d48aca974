import Foundation

/// Value rules of registry-export.md ("Common value rules"). Each parser takes
/// the trimmed field text and returns the normalised value or nil; the row
/// validator turns nil into a reject naming the field.

/// Unicode case folding used for coded values and header names.
/// ASCII takes a fast path; anything else goes through full case folding,
/// which also maps the micro sign (U+00B5) to Greek mu (U+03BC).
package func foldCase(_ s: String) -> String {
  if s.utf8.allSatisfy({ $0 < 0x80 }) { return s.lowercased() }
  return s.folding(options: [.caseInsensitive], locale: nil)
}

/// Trims surrounding Unicode whitespace (space, tab, no-break space, line ends, …).
package func trimUnicodeWhitespace(_ s: Substring) -> Substring {
  var start = s.startIndex
  var end = s.endIndex
  while start < end, s.unicodeScalars[start].properties.isWhitespace {
    start = s.unicodeScalars.index(after: start)
  }
  while end > start {
    let before = s.unicodeScalars.index(before: end)
    guard s.unicodeScalars[before].properties.isWhitespace else { break }
    end = before
  }
  return s[start..<end]
}

package enum DateValue {
  /// What `check` found: a date, or why the text is not one.
  package enum Parsed: Equatable, Sendable {
    case date(LocalDate)
    /// Not a date in any accepted form, or an impossible one (31/02/2020).
    case invalidDate
    /// A valid date followed by something that is not a valid time of day
    /// (24:00, 10:61, a bad zone, anything else after the date).
    case invalidTime
  }

  /// A date of registry-export.md's value rules, with an optional time of day
  /// and zone that are validated and then dropped (the date as written).
  package static func parse(_ text: String) -> LocalDate? {
    if case .date(let d) = check(text) { return d }
    return nil
  }

  package static func check(_ text: String) -> Parsed {
    var t = text
    return t.withUTF8 { check(bytes: $0) }
  }

  /// The same rule on bytes (the fast ingest path calls this too, so the two
  /// paths cannot disagree on a date).
  ///
  /// Dates: `YYYY-MM-DD`, `D/M/YYYY` / `DD/MM/YYYY`, `YYYYMMDD`,
  /// `D-Mon-YYYY` / `D Mon YYYY` (English month name or abbreviation, `Sept`).
  /// Then optionally a time: after `T` or one or more spaces `HH:MM`,
  /// `HH:MM:SS`, `HH:MM:SS.f` (1–9 digits); directly after `YYYYMMDD`
  /// `HHMM` or `HHMMSS` (HL7 v2). A zone may follow a time: `Z`, `±HH:MM`,
  /// `±HHMM`, `±HH`.
  package static func check(bytes b: UnsafeBufferPointer<UInt8>) -> Parsed {
    let n = b.count
    guard let (parsed, end, compact) = datePart(b).map({ ($0.0, $0.1, $0.2) }), let date = parsed else {
      return .invalidDate
    }
    if end == n { return .date(date) }
    var i = end
    if compact, isDigit(b[i]) {
      // HL7 v2: HHMM or HHMMSS straight after YYYYMMDD.
      var k = i
      while k < n, isDigit(b[k]) { k += 1 }
      guard k - i == 4 || k - i == 6, hour(b, i), minuteOrSecond(b, i + 2),
        k - i == 4 || minuteOrSecond(b, i + 4)
      else { return .invalidTime }
      return zone(b, k) ? .date(date) : .invalidTime
    }
    if b[i] == UInt8(ascii: "T") {
      i += 1
    } else if b[i] == 0x20 {
      while i < n, b[i] == 0x20 { i += 1 }
    } else {
      return .invalidDate
    }
    // HH:MM[:SS[.f]]
    guard i + 5 <= n, hour(b, i), b[i + 2] == UInt8(ascii: ":"), minuteOrSecond(b, i + 3) else { return .invalidTime }
    i += 5
    if i < n, b[i] == UInt8(ascii: ":") {
      guard i + 3 <= n, minuteOrSecond(b, i + 1) else { return .invalidTime }
      i += 3
      if i < n, b[i] == UInt8(ascii: ".") {
        var k = i + 1
        while k < n, isDigit(b[k]) { k += 1 }
        guard (1...9).contains(k - i - 1) else { return .invalidTime }
        i = k
      }
    }
    return zone(b, i) ? .date(date) : .invalidTime
  }

  /// The date at the start of `b`: the date (nil when impossible), where it
  /// ends, and whether it was the compact `YYYYMMDD` (after which an HL7
  /// time may follow). nil when no date form matches.
  private static func datePart(_ b: UnsafeBufferPointer<UInt8>) -> (LocalDate?, Int, Bool)? {
    let n = b.count
    // YYYY-MM-DD
    if n >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), digits(b, 0, 4), digits(b, 5, 7),
      digits(b, 8, 10)
    {
      return (LocalDate(year: num(b, 0, 4), month: num(b, 5, 7), day: num(b, 8, 10)), 10, false)
    }
    // YYYYMMDD (not followed by another digit unless an HL7 time: checked by the caller)
    if n >= 8, digits(b, 0, 8) {
      return (LocalDate(year: num(b, 0, 4), month: num(b, 4, 6), day: num(b, 6, 8)), 8, true)
    }
    // D/M/YYYY: day and month of one or two digits, four-digit year.
    var i = 0
    while i < n, i < 3, isDigit(b[i]) { i += 1 }
    let dayEnd = i
    guard (1...2).contains(dayEnd), dayEnd < n else { return nil }
    let day = num(b, 0, dayEnd)
    if b[dayEnd] == UInt8(ascii: "/") {
      var k = dayEnd + 1
      while k < n, k - dayEnd - 1 < 3, isDigit(b[k]) { k += 1 }
      let monthLength = k - dayEnd - 1
      guard (1...2).contains(monthLength), k < n, b[k] == UInt8(ascii: "/"), k + 5 <= n, digits(b, k + 1, k + 5),
        k + 5 == n || !isDigit(b[k + 5])
      else { return nil }
      return (LocalDate(year: num(b, k + 1, k + 5), month: num(b, dayEnd + 1, k), day: day), k + 5, false)
    }
    // D-Mon-YYYY or D Mon YYYY: the same separator twice.
    let separator = b[dayEnd]
    guard separator == UInt8(ascii: "-") || separator == 0x20 else { return nil }
    var k = dayEnd + 1
    while k < n, isLetter(b[k]) { k += 1 }
    guard let month = monthNumber(b, dayEnd + 1, k), k < n, b[k] == separator, k + 5 <= n, digits(b, k + 1, k + 5),
      k + 5 == n || !isDigit(b[k + 5])
    else { return nil }
    return (LocalDate(year: num(b, k + 1, k + 5), month: month, day: day), k + 5, false)
  }

  private static let monthNames: [(String, Int)] = {
    let full = [
      "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
      "december",
    ]
    var out: [(String, Int)] = []
    for (i, name) in full.enumerated() {
      out.append((name, i + 1))
      if name.count > 3 { out.append((String(name.prefix(3)), i + 1)) }
    }
    out.append(("sept", 9))
    return out
  }()

  /// An English month name or its three-letter abbreviation (`Sept` too), any ASCII case.
  private static func monthNumber(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
    guard to - from >= 3 else { return nil }
    outer: for (name, number) in monthNames where name.utf8.count == to - from {
      for (k, c) in name.utf8.enumerated() where b[from + k] | 0x20 != c { continue outer }
      return number
    }
    return nil
  }

  /// A zone at `i` that ends the text, or the end itself.
  private static func zone(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
    let n = b.count
    if i == n { return true }
    if b[i] == UInt8(ascii: "Z") { return i + 1 == n }
    guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 3 <= n, hour(b, i + 1) else { return false }
    let rest = n - (i + 3)
    if rest == 0 { return true }
    if rest == 2 { return minuteOrSecond(b, i + 3) }
    if rest == 3, b[i + 3] == UInt8(ascii: ":") { return minuteOrSecond(b, i + 4) }
    return false
  }

  /// Two digits 00–23 at `i`.
  private static func hour(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
    i + 2 <= b.count && digits(b, i, i + 2) && num(b, i, i + 2) <= 23
  }

  /// Two digits 00–59 at `i`.
  private static func minuteOrSecond(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
    i + 2 <= b.count && digits(b, i, i + 2) && num(b, i, i + 2) <= 59
  }

  static func parseISO(_ b: [UInt8]) -> LocalDate? {
    guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
      b[0..<4].allSatisfy(isDigit), b[5..<7].allSatisfy(isDigit), b[8..<10].allSatisfy(isDigit)
    else { return nil }
    return LocalDate(year: num(b[0..<4]), month: num(b[5..<7]), day: num(b[8..<10]))
  }

  @inline(__always) private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
  @inline(__always) private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
  private static func digits(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    guard to <= b.count else { return false }
    for i in from..<to where !isDigit(b[i]) { return false }
    return true
  }
  private static func num(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int {
    var v = 0
    for i in from..<to { v = v * 10 + Int(b[i] &- 0x30) }
    return v
  }
  private static func num<C: Collection>(_ c: C) -> Int where C.Element == UInt8 {
    c.reduce(0) { $0 * 10 + Int($1 - 0x30) }
  }
}

package enum NHSNumber {
  package enum Problem: Error, Equatable, Sendable {
    case notTenDigits, allSameDigit, checkDigit
    package var message: String {
      switch self {
      case .notTenDigits: return "invalid NHS number: not 10 digits"
      case .allSameDigit: return "invalid NHS number: all digits the same"
      case .checkDigit: return "invalid NHS number: fails the modulus-11 check"
      }
    }
  }

  /// 10 digits, spaces or hyphens allowed between them; modulus-11 check.
  package static func normalise(_ text: String) -> Result<String, Problem> {
    var digits: [UInt8] = []
    digits.reserveCapacity(10)
    for c in text.utf8 {
      if c >= 0x30 && c <= 0x39 {
        digits.append(c)
      } else if c != UInt8(ascii: " ") && c != UInt8(ascii: "-") {
        return .failure(.notTenDigits)
      }
    }
    guard digits.count == 10 else { return .failure(.notTenDigits) }
    if digits.allSatisfy({ $0 == digits[0] }) { return .failure(.allSameDigit) }
    var sum = 0
    for i in 0..<9 { sum += Int(digits[i] - 0x30) * (10 - i) }
    var check = 11 - sum % 11
    if check == 11 { check = 0 }
    guard check != 10, check == Int(digits[9] - 0x30) else { return .failure(.checkDigit) }
    return .success(String(decoding: digits, as: UTF8.self))
  }

  /// `NNN NNN NNNN` for people.
  package static func spaced(_ n: String) -> String {
    guard n.utf8.count == 10 else { return n }
    let a = Array(n)
    return String(a[0..<3]) + " " + String(a[3..<6]) + " " + String(a[6..<10])
  }
}

package enum NumberValue {
  /// Optional sign, digits, optionally `.` and digits. No exponent, separators,
  /// comma decimal, NaN or inf. The Double is the correctly rounded value of the text.
  package static func parse(_ text: String) -> Double? {
    var sawDigitsBefore = false
    var sawDot = false
    var digitsAfter = 0
    for (i, c) in text.utf8.enumerated() {
      switch c {
      case UInt8(ascii: "+"), UInt8(ascii: "-"):
        if i != 0 { return nil }
      case 0x30...0x39:
        if sawDot { digitsAfter += 1 } else { sawDigitsBefore = true }
      case UInt8(ascii: "."):
        if sawDot || !sawDigitsBefore { return nil }
        sawDot = true
      default:
        return nil
      }
    }
    guard sawDigitsBefore, !sawDot || digitsAfter > 0, let d = Double(text), d.isFinite else { return nil }
    return d
  }

  /// A whole number: `40`, `40.0`, `+40`.
  package static func wholeNumber(_ value: Double) -> Int? {
    guard value == value.rounded(), abs(value) < 1e15 else { return nil }
    return Int(value)
  }
}

/// The comparator of a censored laboratory value (`<0.5`, `>=200`).
package enum LabComparator: String, CaseIterable, Sendable {
  case lessThan = "<"
  case atMost = "<="
  case greaterThan = ">"
  case atLeast = ">="
}

/// A laboratory value: a number, or a censored number (registry-export.md,
/// "laboratory value"). The number is in the unit it was given in until
/// converted with `converted(by:)`.
package struct LabValue: Equatable, Sendable {
  package var comparator: LabComparator?
  package var number: Double

  package init(_ comparator: LabComparator?, _ number: Double) {
    self.comparator = comparator
    self.number = number
  }

  /// What `parse` found.
  package enum Parsed: Equatable, Sendable {
    case value(LabValue)
    /// Neither a number nor a comparator followed by a number.
    case notANumber
    /// A censored value no result can have (`<0`).
    case impossible
  }

  /// A number, or `<`, `<=`, `≤`, `>`, `>=`, `≥`, optional spaces, then a number.
  package static func parse(_ text: String) -> Parsed {
    var u = Substring(text).utf8[...]
    var comparator: LabComparator? = nil
    let lessEqual: [UInt8] = [0xE2, 0x89, 0xA4]  // ≤
    let greaterEqual: [UInt8] = [0xE2, 0x89, 0xA5]  // ≥
    if u.starts(with: "<=".utf8) {
      comparator = .atMost
      u = u.dropFirst(2)
    } else if u.starts(with: ">=".utf8) {
      comparator = .atLeast
      u = u.dropFirst(2)
    } else if u.starts(with: lessEqual) {
      comparator = .atMost
      u = u.dropFirst(3)
    } else if u.starts(with: greaterEqual) {
      comparator = .atLeast
      u = u.dropFirst(3)
    } else if u.first == UInt8(ascii: "<") {
      comparator = .lessThan
      u = u.dropFirst()
    } else if u.first == UInt8(ascii: ">") {
      comparator = .greaterThan
      u = u.dropFirst()
    }
    if comparator != nil {
      while u.first == 0x20 { u = u.dropFirst() }
    }
    guard let number = NumberValue.parse(String(decoding: u, as: UTF8.self)) else { return .notANumber }
    switch comparator {
    case .lessThan where number <= 0: return .impossible
    case .atMost where number < 0: return .impossible
    default: return .value(LabValue(comparator, number))
    }
  }

  /// `<0.5`, `>=200`, `1.9`: the comparator, then the number's shortest form.
  package var text: String { (comparator?.rawValue ?? "") + formatNumber(number) }

  /// The same comparator with the number multiplied (a unit conversion).
  package func converted(by factor: Double) -> LabValue { LabValue(comparator, number * factor) }

  /// How the value's range of true values stands against a limit
  /// (surveillance-rules.md §4, "Censored values").
  package enum Position: Equatable, Sendable { case above, notAbove, uncertain }

  package func position(against limit: Double) -> Position {
    let v = number
    switch comparator {
    case nil: return v > limit ? .above : .notAbove
    case .lessThan, .atMost: return v <= limit ? .notAbove : .uncertain  // [0, v) or [0, v]
    case .greaterThan: return v >= limit ? .above : .uncertain  // (v, ∞)
    case .atLeast: return v > limit ? .above : .uncertain  // [v, ∞)
    }
  }

  /// Every value of this range is greater than every value of `other`'s.
  package func isHigher(than other: LabValue) -> Bool {
    // This range's lower end, the other's upper end (nil: unbounded).
    let low: (Double, inclusive: Bool)
    switch comparator {
    case nil, .atLeast: low = (number, true)
    case .greaterThan: low = (number, false)
    case .lessThan, .atMost: low = (0, true)
    }
    let high: (Double, inclusive: Bool)
    switch other.comparator {
    case nil, .atMost: high = (other.number, true)
    case .lessThan: high = (other.number, false)
    case .greaterThan, .atLeast: return false
    }
    return low.0 > high.0 || (low.0 == high.0 && !(low.inclusive && high.inclusive))
  }
}

package enum BooleanValue {
  /// `Y`/`N`, `yes`/`no`, `true`/`false`, `1`/`0`; blank is handled by the caller (not recorded).
  package static func parse(_ text: String) -> Bool? {
    switch foldCase(text) {
    case "y", "yes", "true", "1": return true
    case "n", "no", "false", "0": return false
    default: return nil
    }
  }
}
