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
  /// `YYYY-MM-DD`, `D/M/YYYY` or `DD/MM/YYYY` (UK order), `YYYYMMDD`; four-digit years.
  package static func parse(_ text: String) -> LocalDate? {
    let b = Array(text.utf8)
    if let d = parseISO(b) { return d }
    if b.count == 8, b.allSatisfy(isDigit) {
      return LocalDate(year: num(b[0..<4]), month: num(b[4..<6]), day: num(b[6..<8]))
    }
    let parts = b.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    if parts.count == 3, (1...2).contains(parts[0].count), (1...2).contains(parts[1].count),
      parts[2].count == 4, parts.allSatisfy({ $0.allSatisfy(isDigit) })
    {
      return LocalDate(year: num(parts[2]), month: num(parts[1]), day: num(parts[0]))
    }
    return nil
  }

  static func parseISO(_ b: [UInt8]) -> LocalDate? {
    guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
      b[0..<4].allSatisfy(isDigit), b[5..<7].allSatisfy(isDigit), b[8..<10].allSatisfy(isDigit)
    else { return nil }
    return LocalDate(year: num(b[0..<4]), month: num(b[5..<7]), day: num(b[8..<10]))
  }

  private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
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
