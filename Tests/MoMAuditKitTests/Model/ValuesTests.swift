import Foundation
import Testing

@testable import MoMAuditKit

/// registry-export.md, "Common value rules": dates, NHS numbers, numbers,
/// booleans, trimming and case folding, one parser at a time.
@Suite("Common value rules")
struct ValuesTests {
  // MARK: dates

  @Test(
    "dates in the three accepted formats normalise to ISO",
    arguments: [
      ("2020-02-29", "2020-02-29"),
      ("2006-05-02", "2006-05-02"),
      ("1/2/2020", "2020-02-01"),
      ("01/02/2020", "2020-02-01"),
      ("1/02/2020", "2020-02-01"),
      ("01/2/2020", "2020-02-01"),
      ("31/1/2020", "2020-01-31"),
      ("9/12/2020", "2020-12-09"),
      ("29/02/2000", "2000-02-29"),
      ("31/12/1999", "1999-12-31"),
      ("20200229", "2020-02-29"),
      ("19510314", "1951-03-14"),
      ("02/01/2020", "2020-01-02"),  // UK order: 2 January, not 1 February
    ])
  func dateAccepted(_ text: String, _ iso: String) {
    #expect(DateValue.parse(text)?.iso == iso)
  }

  @Test(
    "impossible dates, two-digit years, other formats and trailing junk are not dates",
    arguments: [
      // impossible
      "31/02/2020", "2019-02-29", "1900-02-29", "29/02/2100", "2020-13-01", "2020-00-10", "2020-01-00",
      "2020-04-31", "00/01/2020", "32/01/2020", "1/13/2020", "20190229", "20201301",
      // US order with a day over 12 in the month position
      "12/31/2020",
      // two-digit years
      "1/1/20", "01/01/20", "20-01-01", "200101", "01/01/020",
      // other formats
      "2020/01/01", "01-01-2020", "1.1.2020", "2020-1-1", "2020-01-1", "001/01/2020", "1/001/2020",
      "1/1/02020", "2020-W01-1", "+2020-01-01", "1 Jan 20", "1-Jan-20", "1 Janu 2020", "1 Ja 2020", "1-Jan 2020",
      "1 Jan-2020", "Jan 1 2020", "001 Jan 2020", "1  Jan 2020", "31 Feb 2020", "1 Jan 2020x",
      // trailing or leading junk
      "2020-01-01x", "01/01/2020x", "01/01/2020.", "202001011", "x20200101", "2020-01-01Z",
      // not digits
      "２０２０-01-01", "", " ", "yyyy-mm-dd",
    ])
  func dateRejected(_ text: String) {
    #expect(DateValue.parse(text) == nil)
  }

  @Test(
    "month names and date-times give the date as written (time and zone validated, then dropped)",
    arguments: [
      ("2-Mar-2025", "2025-03-02"), ("02-Mar-2025", "2025-03-02"), ("2 Mar 2025", "2025-03-02"),
      ("02 March 2025", "2025-03-02"), ("2 MARCH 2025", "2025-03-02"), ("30-sept-2025", "2025-09-30"),
      ("30 Sep 2025", "2025-09-30"), ("1 September 2025", "2025-09-01"), ("29-Feb-2024", "2024-02-29"),
      ("5 may 2025", "2025-05-05"), ("31-dec-1999", "1999-12-31"),
      ("2025-06-11T09:42:00Z", "2025-06-11"), ("2025-06-11T09:42", "2025-06-11"), ("2025-06-11 09:42", "2025-06-11"),
      ("2025-06-11   09:42", "2025-06-11"), ("11/06/2025 09:42:17", "2025-06-11"), ("11/06/2025T09:42", "2025-06-11"),
      ("20250611094200", "2025-06-11"), ("202506110942", "2025-06-11"), ("20250611 09:42", "2025-06-11"),
      ("2025-06-11T23:30:00-05:00", "2025-06-11"), ("2025-06-11T00:30:00+0100", "2025-06-11"),
      ("2025-06-11T00:30+01", "2025-06-11"), ("2025-06-11T09:42:17.5", "2025-06-11"),
      ("2025-06-11T09:42:17.123456789Z", "2025-06-11"), ("20250611094200+0100", "2025-06-11"),
      ("2 Mar 2025 09:42", "2025-03-02"), ("2-Mar-2025 23:59:59", "2025-03-02"), ("2025-06-11T00:00", "2025-06-11"),
    ])
  func dateTimeAccepted(_ text: String, _ iso: String) {
    #expect(DateValue.check(text) == .date(LocalDate(iso: iso)!))
  }

  @Test(
    "a valid date followed by an invalid time is a bad time",
    arguments: [
      "2025-06-11T24:00", "2025-06-11 10:61", "2025-06-11T09:42:60", "2025-06-11T9:42", "2025-06-11T09:42:17.",
      "2025-06-11T09:42:17.1234567890", "2025-06-11T09", "2025-06-11T", "2025-06-11 ", "2025-06-11T09:42z",
      "2025-06-11T09:42+24:00", "2025-06-11T09:42+01:60", "2025-06-11T09:42+1", "2025-06-11T09:42 +01:00",
      "2025-06-11T09:42.5", "202506112400", "20250611094", "2025061109420", "20250611094260", "20250611T0942",
      "11/06/2025 09:42 am", "2-Mar-2025 9:42", "2025-06-11 noon",
    ])
  func dateTimeBadTime(_ text: String) {
    #expect(DateValue.check(text) == .invalidTime)
  }

  @Test("an impossible date with a valid time is a bad date")
  func impossibleDateWithTime() {
    #expect(DateValue.check("2025-02-30T09:42") == .invalidDate)
    #expect(DateValue.check("31/04/2025 09:42") == .invalidDate)
    #expect(DateValue.check("31-Apr-2025 09:42") == .invalidDate)
    #expect(DateValue.check("20250230094200") == .invalidDate)
  }

  // MARK: laboratory values

  @Test(
    "laboratory values: numbers and censored numbers keep their comparator",
    arguments: [
      ("1.9", nil, 1.9), ("0", nil, 0), ("<0.5", LabComparator.lessThan, 0.5), ("< 10", .lessThan, 10),
      ("<=7", .atMost, 7), ("≤7", .atMost, 7), ("≤ 7", .atMost, 7), (">200", .greaterThan, 200), (">=200", .atLeast, 200),
      ("≥200", .atLeast, 200), (">   8.25", .greaterThan, 8.25), ("<=0", .atMost, 0), ("<-1.5", nil, .nan),
      (">-1", .greaterThan, -1), ("-2", nil, -2),
    ] as [(String, LabComparator?, Double)])
  func labValues(_ text: String, _ comparator: LabComparator?, _ number: Double) {
    if number.isNaN {
      #expect(LabValue.parse(text) == .impossible)
    } else {
      #expect(LabValue.parse(text) == .value(LabValue(comparator, number)))
    }
  }

  @Test(
    "a comparator without a number, a doubled or unknown one, or a bad number is not a laboratory value",
    arguments: ["<", "<<1", "~5", "=5", "< =5", "=<5", ">>1", "≤≤1", "<0.5.", "<.5", "<5.", "<1e2", "< NaN", "5<", "<>5",
      "≦5", "<\t5", "", " <5"])
  func labValueRejected(_ text: String) {
    #expect(LabValue.parse(text) == .notANumber)
  }

  @Test("<0 and <=-1 allow no value", arguments: ["<0", "<0.0", "< 0", "<-0", "<=-0.1", "<-3"])
  func labValueImpossible(_ text: String) {
    #expect(LabValue.parse(text) == .impossible)
  }

  /// surveillance-rules.md §4, "Censored values", against the limit 7.
  @Test(
    "a censored value is above a limit only when its whole range is",
    arguments: [
      ("7", LabValue.Position.notAbove), ("7.01", .above), ("6.99", .notAbove),
      (">7", .above), (">6.99", .uncertain), (">=7", .uncertain), (">=7.01", .above), ("<10", .uncertain),
      ("<7", .notAbove), ("<=7", .notAbove), ("<7.01", .uncertain), ("<=7.01", .uncertain), ("<0.5", .notAbove),
      (">8", .above), (">=6", .uncertain),
    ])
  func position(_ text: String, _ expected: LabValue.Position) throws {
    guard case .value(let v) = LabValue.parse(text) else { Issue.record("not a value: \(text)"); return }
    #expect(v.position(against: 7) == expected)
  }

  @Test(
    "one result is higher than another when every value of its range is greater",
    arguments: [
      ("9", "<0.5", true), ("9", ">8", false), ("9", "8", true), ("8", "8", false), ("8", "<8", true),
      ("8", "<=8", false), (">8", "8", true), (">8", "<=8", true), (">=8", "8", false), (">=8", "<8", true),
      ("<10", "2", false), ("<10", "<1", false), ("9", ">=9", false), ("10", "<=9.99", true), (">8", ">7", false),
    ])
  func higher(_ a: String, _ b: String, _ expected: Bool) throws {
    guard case .value(let x) = LabValue.parse(a), case .value(let y) = LabValue.parse(b) else {
      Issue.record("not values: \(a) \(b)")
      return
    }
    #expect(x.isHigher(than: y) == expected)
  }

  // MARK: NHS numbers

  @Test(
    "NHS numbers with spaces or hyphens normalise to 10 digits",
    arguments: [
      ("9434765919", "9434765919"),
      ("943 476 5919", "9434765919"),
      ("943-476-5919", "9434765919"),
      ("9434 765 919", "9434765919"),
      ("943 - 476 - 5919", "9434765919"),
      ("9990100004", "9990100004"),
      ("999 010 0012", "9990100012"),
      ("999-010-0020", "9990100020"),
      ("9990100039", "9990100039"),
      // check digit 11 → 0
      ("9990100020", "9990100020"),
    ])
  func nhsAccepted(_ text: String, _ digits: String) {
    #expect(NHSNumber.normalise(text) == .success(digits))
  }

  @Test(
    "NHS numbers that are not 10 digits are refused",
    arguments: [
      "943476591",  // 9 digits
      "94347659190",  // 11 digits
      "943 476 591",  // 9 digits with spaces
      "", "943476591X", "943.476.5919", "943/476/5919", "+449434765919", "９４３４７６５９１９",
    ])
  func nhsNotTenDigits(_ text: String) {
    #expect(NHSNumber.normalise(text) == .failure(.notTenDigits))
  }

  @Test(
    "NHS numbers failing modulus 11 are refused, including every number whose check digit computes to 10",
    arguments: [
      "9434765918", "9434765910", "9990100005", "9990100013", "1234567890",
      // 999010008: 9×10+9×9+9×8+0×7+1×6+0×5+0×4+0×3+8×2 = 265, 265 mod 11 = 1, 11−1 = 10 → no valid number
      "9990100080", "9990100081", "9990100089",
      // 999010011 and 999010025 also compute to 10
      "9990100110", "9990100250",
    ])
  func nhsModulus(_ text: String) {
    #expect(NHSNumber.normalise(text) == .failure(.checkDigit))
  }

  @Test("the NHS-number problems read as the spec's reasons")
  func nhsMessages() {
    #expect(NHSNumber.Problem.notTenDigits.message == "invalid NHS number: not 10 digits")
    #expect(NHSNumber.Problem.allSameDigit.message == "invalid NHS number: all digits the same")
    #expect(NHSNumber.Problem.checkDigit.message == "invalid NHS number: fails the modulus-11 check")
  }

  /// 1111111111 and 0000000000 pass modulus 11 (check 1 and 0), so only the
  /// all-same-digit rule refuses them.
  @Test(
    "all-same-digit NHS numbers are invalid even when they pass modulus 11",
    arguments: ["0000000000", "1111111111", "2222222222", "3333333333", "9999999999", "111 111 1111"])
  func nhsAllSame(_ text: String) {
    #expect(NHSNumber.normalise(text) == .failure(.allSameDigit))
  }

  @Test("NHS numbers print spaced 3-3-4")
  func nhsSpaced() {
    #expect(NHSNumber.spaced("9434765919") == "943 476 5919")
  }

  // MARK: numbers

  @Test(
    "numbers: optional sign, digits, optional point and digits",
    arguments: [
      ("5", 5.0), ("40", 40.0), ("+40", 40.0), ("-0.5", -0.5), ("0.5", 0.5), ("007", 7.0), ("1.25", 1.25),
      ("46.0", 46.0), ("-12", -12.0), ("+0.000001", 0.000001), ("123456789.123456789", 123456789.123456789),
    ])
  func numberAccepted(_ text: String, _ value: Double) {
    #expect(NumberValue.parse(text) == value)
  }

  @Test(
    "numbers: no bare point, exponent, separators, comma decimal, NaN or inf",
    arguments: [
      "5.", ".5", "-.5", "+.5", "-5.", "+", "-", "", ".", "1e3", "1E3", "1.5e-3", "1,000", "1,5", "1 000", "1_000",
      "1'000", "NaN", "nan", "inf", "-inf", "+inf", "Infinity", "INF", "0x10", "1.2.3", "--1", "+-1", "-+1", "1-",
      "1+", "5%", "5 ", " 5", "١٢", "１２", "½", "five",
    ])
  func numberRejected(_ text: String) {
    #expect(NumberValue.parse(text) == nil)
  }

  @Test("numbers keep full precision (nothing is rounded before a threshold test)")
  func numberPrecision() throws {
    let v = try #require(NumberValue.parse("80.00000000000001"))
    #expect(v > 80)
    #expect(v == 80.00000000000001)
    #expect(NumberValue.parse("0.1") == 0.1)
    #expect(NumberValue.parse("7.0000001") == 7.0000001)
    #expect(try #require(NumberValue.parse("6.9999999999")) < 7)
  }

  @Test("whole numbers: 40, 40.0 and +40 are whole; 40.5 is not")
  func wholeNumbers() {
    #expect(NumberValue.parse("40.0").flatMap(NumberValue.wholeNumber) == 40)
    #expect(NumberValue.parse("+40").flatMap(NumberValue.wholeNumber) == 40)
    #expect(NumberValue.parse("40").flatMap(NumberValue.wholeNumber) == 40)
    #expect(NumberValue.parse("40.5").flatMap(NumberValue.wholeNumber) == nil)
    #expect(NumberValue.wholeNumber(0.000001) == nil)
  }

  // MARK: booleans

  @Test(
    "booleans: Y/N, yes/no, true/false, 1/0 in any case",
    arguments: [
      ("Y", true), ("y", true), ("yes", true), ("YES", true), ("Yes", true), ("true", true), ("TRUE", true),
      ("True", true), ("1", true),
      ("N", false), ("n", false), ("no", false), ("NO", false), ("No", false), ("false", false), ("FALSE", false),
      ("0", false),
    ])
  func booleanAccepted(_ text: String, _ value: Bool) {
    #expect(BooleanValue.parse(text) == value)
  }

  @Test(
    "other boolean spellings are not booleans",
    arguments: ["T", "F", "2", "on", "off", "ja", "yess", "-1", "01", "1.0", "Y/N"])
  func booleanRejected(_ text: String) {
    #expect(BooleanValue.parse(text) == nil)
  }

  // MARK: text

  @Test(
    "text is trimmed of surrounding Unicode whitespace, inner whitespace kept",
    arguments: [
      ("\u{00A0}L\t", "L"),
      ("\t\tMoM  ", "MoM"),
      ("\u{00A0}\u{00A0}9434765919\u{00A0}", "9434765919"),
      ("\u{2003}x\u{3000}", "x"),
      ("\u{202F}a b\u{2009}", "a b"),
      (" a\u{00A0}b ", "a\u{00A0}b"),
      ("\r\n x \n", "x"),
      ("   ", ""),
      ("", ""),
    ])
  func trimming(_ text: String, _ trimmed: String) {
    #expect(String(trimUnicodeWhitespace(Substring(text))) == trimmed)
  }

  @Test("case folding is Unicode case folding, the micro sign folding to Greek mu")
  func folding() {
    #expect(foldCase("METAL-ON-METAL") == "metal-on-metal")
    #expect(foldCase("Thr") == "thr")
    #expect(foldCase("\u{00B5}g/L") == "\u{03BC}g/l")
    #expect(foldCase("\u{03BC}g/L") == "\u{03BC}g/l")
    #expect(foldCase("\u{00B5}g/L") == foldCase("\u{03BC}G/l"))
    // capital Greek mu folds to small mu
    #expect(foldCase("\u{039C}G/L") == "\u{03BC}g/l")
  }
}
