/// A row's values as bytes: for each canonical field, the span of its
/// trimmed text in a buffer (or none when the column is absent). Reused
/// from row to row by the reading thread.
final class ByteRow {
  @exclusivity(unchecked) private(set) var base: UnsafePointer<UInt8>
  /// start, end per `Field.rawValue`; start < 0 when absent.
  private let spans: UnsafeMutablePointer<Int>

  init() {
    spans = .allocate(capacity: Field.allCases.count * 2)
    base = UnsafePointer(spans.withMemoryRebound(to: UInt8.self, capacity: 1) { $0 })
    clear()
  }

  deinit { spans.deallocate() }

  func clear() {
    for i in 0..<Field.allCases.count {
      spans[2 * i] = -1
      spans[2 * i + 1] = -1
    }
  }

  /// Starts a row whose values are in `base`.
  @inline(__always) func start(_ base: UnsafePointer<UInt8>) {
    self.base = base
    clear()
  }

  /// Sets a field to `base[start..<end]`, trimmed of ASCII whitespace (the
  /// only White_Space in ASCII text).
  @inline(__always) func set(_ f: Field, _ start: Int, _ end: Int) {
    var s = start
    var e = end
    while s < e, isASCIIWhitespace(base[s]) { s += 1 }
    while e > s, isASCIIWhitespace(base[e - 1]) { e -= 1 }
    spans[2 * f.rawValue] = s
    spans[2 * f.rawValue + 1] = e
  }

  /// The trimmed value; nil when absent or blank (`RowValidator.Reader.value`).
  @inline(__always) subscript(_ f: Field) -> UnsafeBufferPointer<UInt8>? {
    let s = spans[2 * f.rawValue]
    let e = spans[2 * f.rawValue + 1]
    guard s >= 0, e > s else { return nil }
    return UnsafeBufferPointer(start: base + s, count: e - s)
  }

  @inline(__always) func text(_ f: Field) -> String? {
    self[f].map { String(decoding: $0, as: UTF8.self) }
  }
}

/// The common case of `RowValidator` on bytes: a row in the canonical
/// formats, every value valid, becomes its record without a String per
/// field, a case-folded copy per code or an array per date. The row's text is
/// ASCII, or UTF-8 whose fields neither start nor end with Unicode whitespace
/// (`CSVRecordView.isFastReadable`). Anything else (a blank required field,
/// a value that does not parse, a code not listed, a non-ASCII letter in a
/// code other than a unit's mu, a date after the export date) returns nil,
/// and the row goes through `RowValidator` itself, which decides and words
/// the reject. So this never rejects, and accepts exactly what `RowValidator`
/// accepts with the same record: debug builds check every row against it.
enum FastRowValidator {
  static func procedure(_ r: ByteRow, exportDate: LocalDate?) -> ProcedureRecord? {
    guard let id = r[.procedureId], let nhsBytes = r[.nhsNumber], let dateBytes = r[.procedureDate],
      let sideBytes = r[.side], let typeBytes = r[.procedureType],
      let nhs = nhsNumber(nhsBytes), let date = date(dateBytes), let side = Codes.side.match(sideBytes),
      let type = Codes.procedureType.match(typeBytes)
    else { return nil }
    var bearing = Bearing.unknown
    if let b = r[.bearing] {
      guard let v = Codes.bearing.match(b) else { return nil }
      bearing = v
    }
    if let exportDate, date > exportDate { return nil }
    var sex = Sex.unknown
    if let b = r[.sex] {
      guard let s = Codes.sex.match(b) else { return nil }
      sex = s
    }
    var dob: LocalDate? = nil
    if let b = r[.dateOfBirth] {
      guard let d = self.date(b) else { return nil }
      dob = d
    }
    var head: Double? = nil
    if let b = r[.headDiameterMm] {
      guard let h = number(b), h >= 20, h <= 80 else { return nil }
      head = h
    }
    return ProcedureRecord(
      procedureId: String(decoding: id, as: UTF8.self), nhsNumber: nhs, localPatientId: r.text(.localPatientId),
      sex: sex, dateOfBirth: dob, procedureDate: date, side: side, procedureType: type, bearing: bearing,
      headDiameterMm: head, femoralComponent: r.text(.femoralComponent),
      acetabularComponent: r.text(.acetabularComponent), stemComponent: r.text(.stemComponent),
      manufacturer: r.text(.manufacturer), opcsCode: r.text(.opcsCode), trustCode: r.text(.trustCode),
      siteCode: r.text(.siteCode), consultantCode: r.text(.consultantCode))
  }

  static func event(_ r: ByteRow, exportDate: LocalDate?) -> EventRecord? {
    guard let id = r[.eventId], let nhsBytes = r[.nhsNumber], let dateBytes = r[.eventDate],
      let typeBytes = r[.eventType], let nhs = nhsNumber(nhsBytes), let date = date(dateBytes),
      let type = Codes.eventType.match(typeBytes)
    else { return nil }
    // A record after the export date carries a warning: RowValidator's case.
    if let exportDate, date > exportDate { return nil }
    var side: EventSide? = nil
    if let b = r[.side] {
      guard let s = Codes.eventSide.match(b) else { return nil }
      side = s
    }
    // Every field must parse as its kind, whether or not it belongs to this type.
    var symptomatic: Bool? = nil
    if let b = r[.symptomatic] {
      guard let v = boolean(b) else { return nil }
      symptomatic = v
    }
    var ohs: Double? = nil
    if let b = r[.oxfordHipScore] {
      guard let v = number(b) else { return nil }
      ohs = v
    }
    var cobalt: LabValue? = nil
    if let b = r[.cobalt] {
      guard let v = labValue(b) else { return nil }
      cobalt = v
    }
    var chromium: LabValue? = nil
    if let b = r[.chromium] {
      guard let v = labValue(b) else { return nil }
      chromium = v
    }
    var unit: IonUnit? = nil
    if let b = r[.ionUnit] {
      guard let v = Codes.ionUnit.match(b) else { return nil }
      unit = v
    }
    var sample: SampleType? = nil
    if let b = r[.sampleType] {
      guard let v = Codes.sampleType.match(b) else { return nil }
      sample = v
    }
    var finding: ImagingFinding? = nil
    if let b = r[.imagingFinding] {
      guard let v = Codes.imagingFinding.match(b) else { return nil }
      finding = v
    }
    var e = EventRecord(
      eventId: String(decoding: id, as: UTF8.self), nhsNumber: nhs, eventDate: date, eventType: type, side: side,
      note: r.text(.note))
    switch type {
    case .review:
      e.symptomatic = symptomatic
      if let s = ohs {
        guard let whole = NumberValue.wholeNumber(s), (0...48).contains(whole) else { return nil }
        e.oxfordHipScore = whole
      }
    case .bloodMetalIons:
      guard cobalt != nil || chromium != nil, let unit else { return nil }
      if let v = cobalt, v.number < 0 { return nil }
      if let v = chromium, v.number < 0 { return nil }
      e.cobalt = cobalt?.number
      e.cobaltComparator = cobalt?.comparator
      e.chromium = chromium?.number
      e.chromiumComparator = chromium?.comparator
      e.ionUnit = unit
      e.sampleType = sample ?? .wholeBlood
    case .marsMRI, .ultrasound, .xray:
      e.imagingFinding = finding
    default:
      break
    }
    return e
  }

  /// `RowValidator.result` on bytes. `implicitId`: the file has no
  /// `result_id` column, so the row is `sample_id/analyte`.
  static func result(_ r: ByteRow, implicitId: Bool) -> ResultRecord? {
    guard let nhsBytes = r[.nhsNumber], let dateBytes = r[.sampleDate], let analyteBytes = r[.analyte],
      let valueBytes = r[.value], let unitBytes = r[.unit], let nhs = nhsNumber(nhsBytes), let date = date(dateBytes),
      let analyte = Codes.analyte.match(analyteBytes), let value = labValue(valueBytes), value.number >= 0,
      let unit = Codes.ionUnit.match(unitBytes)
    else { return nil }
    var specimen = SampleType.wholeBlood
    if let b = r[.specimen] {
      guard let s = Codes.specimen.match(b) else { return nil }
      specimen = s
    }
    let sampleId = r.text(.sampleId)
    let id: String
    if implicitId {
      guard let sample = r[.sampleId] else { return nil }
      // `sample_id/analyte`, built in one allocation.
      let suffix: StaticString = analyte == .cobalt ? "/cobalt" : "/chromium"
      id = String(unsafeUninitializedCapacity: sample.count + suffix.utf8CodeUnitCount) { out in
        _ = out.initialize(from: sample)
        UnsafeMutableBufferPointer(rebasing: out[sample.count...])
          .baseAddress!.initialize(from: suffix.utf8Start, count: suffix.utf8CodeUnitCount)
        return sample.count + suffix.utf8CodeUnitCount
      }
    } else {
      guard let b = r[.resultId] else { return nil }
      id = String(decoding: b, as: UTF8.self)
    }
    return ResultRecord(
      resultId: id, nhsNumber: nhs, sampleId: sampleId, sampleDate: date, analyte: analyte, value: value.number,
      comparator: value.comparator, unit: unit, specimen: specimen, note: r.text(.note))
  }

  // MARK: values (DateValue, NHSNumber, NumberValue, BooleanValue on bytes)

  @inline(__always) private static func digit(_ c: UInt8) -> Int? {
    c >= 0x30 && c <= 0x39 ? Int(c &- 0x30) : nil
  }

  /// `DateValue.parse`: the ingest's one date rule, already on bytes (dates
  /// with times and month names included), so the paths agree by construction.
  @inline(__always) static func date(_ b: UnsafeBufferPointer<UInt8>) -> LocalDate? {
    if case .date(let d) = DateValue.check(bytes: b) { return d }
    return nil
  }

  /// `NHSNumber.normalise`, valid numbers only: ten digits (spaces and
  /// hyphens between them), not all the same, modulus 11.
  static func nhsNumber(_ b: UnsafeBufferPointer<UInt8>) -> String? {
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    let ok: Bool = withUnsafeMutableBytes(of: &digits) { d in
      for c in b {
        if c >= 0x30 && c <= 0x39 {
          guard n < 10 else { return false }
          d[n] = c
          n += 1
        } else if c != 0x20 && c != 0x2D {
          return false
        }
      }
      guard n == 10 else { return false }
      var same = true
      var sum = 0
      for i in 0..<10 where d[i] != d[0] { same = false }
      guard !same else { return false }
      for i in 0..<9 { sum += Int(d[i] - 0x30) * (10 - i) }
      var check = 11 - sum % 11
      if check == 11 { check = 0 }
      return check != 10 && check == Int(d[9] - 0x30)
    }
    guard ok else { return nil }
    return withUnsafeBytes(of: &digits) { String(decoding: $0, as: UTF8.self) }
  }

  /// `NumberValue.parse` on bytes. The grammar (optional sign, digits,
  /// optionally `.` and digits) is checked here; a value of at most 15
  /// significant digits and 22 decimals is then exactly `m / 10^k`, both
  /// operands exact in a Double, so the one IEEE division is the correctly
  /// rounded value `Double(text)` gives (Clinger's fast path). Anything
  /// longer goes through `NumberValue.parse` itself.
  static func number(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
    let n = b.count
    var i = 0
    var negative = false
    if n > 0, b[0] == 0x2B || b[0] == 0x2D {
      negative = b[0] == 0x2D
      i = 1
    }
    var mantissa: UInt64 = 0
    var digits = 0
    var before = 0
    while i < n, let d = digit(b[i]) {
      mantissa = mantissa &* 10 &+ UInt64(d)
      if mantissa != 0 { digits += 1 }
      before += 1
      i += 1
    }
    guard before > 0 else { return nil }
    var decimals = 0
    if i < n {
      guard b[i] == 0x2E else { return nil }
      i += 1
      while i < n, let d = digit(b[i]) {
        mantissa = mantissa &* 10 &+ UInt64(d)
        if mantissa != 0 { digits += 1 }
        decimals += 1
        i += 1
      }
      guard decimals > 0, i == n else { return nil }
    }
    guard digits <= 15, decimals <= 22 else { return NumberValue.parse(String(decoding: b, as: UTF8.self)) }
    let magnitude = Double(mantissa) / powersOfTen[decimals]
    return negative ? -magnitude : magnitude
  }

  private static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

  /// `LabValue.parse` for ASCII text: a plain number (the common case, no
  /// comparator to look for) or `<`, `<=`, `>`, `>=` with optional spaces
  /// and a number; `≤` and `≥` are not ASCII and take the general path.
  static func labValue(_ b: UnsafeBufferPointer<UInt8>) -> LabValue? {
    guard let first = b.first else { return nil }
    if first != UInt8(ascii: "<"), first != UInt8(ascii: ">") { return number(b).map { LabValue(nil, $0) } }
    if case .value(let v) = LabValue.parse(String(decoding: b, as: UTF8.self)) { return v }
    return nil
  }

  /// `BooleanValue.parse` for ASCII: y/yes/true/1, n/no/false/0, any case.
  static func boolean(_ b: UnsafeBufferPointer<UInt8>) -> Bool? {
    switch b.count {
    case 1:
      switch b[0] | 0x20 {
      case 0x79: return true  // y
      case 0x6E: return false  // n
      default: break
      }
      if b[0] == 0x31 { return true }
      if b[0] == 0x30 { return false }
      return nil
    case 2: return Codes.lowerEquals(b, "no") ? false : nil
    case 3: return Codes.lowerEquals(b, "yes") ? true : nil
    case 4: return Codes.lowerEquals(b, "true") ? true : nil
    case 5: return Codes.lowerEquals(b, "false") ? false : nil
    default: return nil
    }
  }
}

/// Coded values matched on UTF-8 bytes, lowercasing ASCII letters only:
/// `init(code:)` for text that equals a (folded) spelling but for the case
/// of its ASCII letters, whose case folding is exactly that. A spelling with
/// a Greek mu also matches with the micro sign (U+00B5), which folds to it.
/// Anything else (another case of a non-ASCII letter) does not match here,
/// and the row takes the general path.
struct CodeTable<C: CodedValue> {
  private let spellings: [([UInt8], C)]

  init(_ type: C.Type) {
    var out: [([UInt8], C)] = []
    for (s, c) in C.spellings {
      out.append((Array(s.utf8), c))
      if s.contains("\u{03BC}") { out.append((Array(s.replacingOccurrences(of: "\u{03BC}", with: "\u{00B5}").utf8), c)) }
    }
    spellings = out
  }

  @inline(__always) func match(_ b: UnsafeBufferPointer<UInt8>) -> C? {
    for (s, c) in spellings where s.count == b.count {
      var equal = true
      for i in 0..<s.count where Codes.lower(b[i]) != s[i] {
        equal = false
        break
      }
      if equal { return c }
    }
    return nil
  }
}

/// Spellings (already folded, ASCII) → value, matched case-insensitively on bytes.
struct ByteTable<V: Sendable>: Sendable {
  private let spellings: [([UInt8], V)]
  init(_ pairs: [(String, V)]) { spellings = pairs.map { (Array($0.0.utf8), $0.1) } }
  @inline(__always) func match(_ b: UnsafeBufferPointer<UInt8>) -> V? {
    outer: for (s, v) in spellings where s.count == b.count {
      for i in 0..<s.count where Codes.lower(b[i]) != s[i] { continue outer }
      return v
    }
    return nil
  }
}

enum Codes {
  static let side = CodeTable(Side.self)
  static let sex = CodeTable(Sex.self)
  static let procedureType = CodeTable(ProcedureType.self)
  static let bearing = CodeTable(Bearing.self)
  static let eventType = CodeTable(EventType.self)
  static let eventSide = CodeTable(EventSide.self)
  static let ionUnit = CodeTable(IonUnit.self)
  static let sampleType = CodeTable(SampleType.self)
  static let imagingFinding = CodeTable(ImagingFinding.self)
  /// `RowValidator.analytes` and `RowValidator.specimen`, as byte tables.
  static let analyte = ByteTable(RowValidator.analytes.map { ($0.key, $0.value) })
  static let specimen = ByteTable(
    SampleType.spellings + RowValidator.wholeBloodSpecimens.map { ($0, .wholeBlood) })

  @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }

  static func lowerEquals(_ b: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
    guard b.count == s.utf8CodeUnitCount else { return false }
    let p = s.utf8Start
    for i in 0..<b.count where lower(b[i]) != p[i] { return false }
    return true
  }
}
