/// Content fingerprints of normalised records (`content_hash`): the first 16
/// bytes of SHA-256, in hex, of the text `String(describing: record)` gives.
///
/// That text used to be built with `String(describing:)` itself, which walks
/// the record through runtime reflection (`Mirror`), and was 60 % of the
/// ingest's time. `RecordText` writes the same bytes directly into a reused
/// buffer, so fingerprints stored by earlier versions still compare equal.
/// Debug builds check every record against `String(describing:)`, and
/// `RecordFingerprintTests` checks awkward values (quotes, escapes, non-ASCII,
/// every enum case, doubles).
package final class RecordText {
  @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
  @exclusivity(unchecked) private var capacity = 1024
  @exclusivity(unchecked) private var count = 0

  package init() { base = .allocate(capacity: capacity) }

  deinit { base.deallocate() }

  /// The text last described.
  package var bytes: [UInt8] { Array(buffer) }

  private var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

  @inline(__always) private func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
    if count + n > capacity { grow(count + n) }
    (base + count).update(from: p, count: n)
    count += n
  }

  @inline(__always) private func append(_ c: UInt8) {
    if count == capacity { grow(count + 1) }
    base[count] = c
    count += 1
  }

  private func append(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { append($0.baseAddress!, $0.count) }
  }

  private func append(_ s: String) {
    var s = s
    s.withUTF8 { if let b = $0.baseAddress { append(b, $0.count) } }
  }

  private func grow(_ needed: Int) {
    var c = capacity * 2
    while c < needed { c *= 2 }
    let new = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
    new.update(from: base, count: count)
    base.deallocate()
    base = new
    capacity = c
  }

  /// The fingerprint of a procedure.
  package func fingerprint(_ p: ProcedureRecord) -> String {
    describe(p)
    assert(String(decoding: buffer, as: UTF8.self) == String(describing: p), "RecordText differs from String(describing:)")
    return IngestWriter.fingerprint(bytes: UnsafeRawBufferPointer(buffer))
  }

  /// The fingerprint of an event.
  package func fingerprint(_ e: EventRecord) -> String {
    describe(e)
    assert(String(decoding: buffer, as: UTF8.self) == Self.reference(e), "RecordText differs from String(describing:)")
    return IngestWriter.fingerprint(bytes: UnsafeRawBufferPointer(buffer))
  }

  /// The fingerprint of a result.
  package func fingerprint(_ r: ResultRecord) -> String {
    describe(r)
    assert(String(decoding: buffer, as: UTF8.self) == String(describing: r), "RecordText differs from String(describing:)")
    return IngestWriter.fingerprint(bytes: UnsafeRawBufferPointer(buffer))
  }

  /// The fingerprint of an exception.
  package func fingerprint(_ x: ExceptionRecord) -> String {
    describe(x)
    assert(String(decoding: buffer, as: UTF8.self) == String(describing: x), "RecordText differs from String(describing:)")
    return IngestWriter.fingerprint(bytes: UnsafeRawBufferPointer(buffer))
  }

  /// `String(describing: x)`, as bytes.
  package func describe(_ x: ExceptionRecord) {
    count = 0
    ascii("ExceptionRecord(exceptionId: ")
    string(x.exceptionId)
    ascii(", nhsNumber: ")
    string(x.nhsNumber)
    ascii(", finding: ")
    append(Self.exceptionFinding[x.finding])
    ascii(", procedureId: ")
    optional(x.procedureId, Self.string)
    ascii(", reason: ")
    append(Self.exceptionReason[x.reason])
    ascii(", recordedBy: ")
    string(x.recordedBy)
    ascii(", recordedOn: ")
    date(x.recordedOn)
    ascii(", reviewBy: ")
    date(x.reviewBy)
    ascii(", note: ")
    optional(x.note, Self.string)
    ascii(")")
  }

  /// `String(describing: r)`, as bytes.
  package func describe(_ r: ResultRecord) {
    count = 0
    ascii("ResultRecord(resultId: ")
    string(r.resultId)
    ascii(", nhsNumber: ")
    string(r.nhsNumber)
    ascii(", sampleId: ")
    optional(r.sampleId, Self.string)
    ascii(", sampleDate: ")
    date(r.sampleDate)
    ascii(", analyte: ")
    append(Self.metal[r.analyte])
    ascii(", value: ")
    append(r.value.debugDescription)
    ascii(", comparator: ")
    optional(r.comparator) { this, v in this.append(Self.comparator[v]) }
    ascii(", unit: ")
    append(Self.ionUnit[r.unit])
    ascii(", specimen: ")
    append(Self.sampleType[r.specimen])
    ascii(", note: ")
    optional(r.note, Self.string)
    ascii(")")
  }

  /// `String(describing: p)`, as bytes.
  package func describe(_ p: ProcedureRecord) {
    count = 0
    ascii("ProcedureRecord(procedureId: ")
    string(p.procedureId)
    ascii(", nhsNumber: ")
    string(p.nhsNumber)
    ascii(", localPatientId: ")
    optional(p.localPatientId, Self.string)
    ascii(", sex: ")
    append(Self.sex[p.sex])
    ascii(", dateOfBirth: ")
    optional(p.dateOfBirth, Self.date)
    ascii(", procedureDate: ")
    date(p.procedureDate)
    ascii(", side: ")
    append(Self.side[p.side])
    ascii(", procedureType: ")
    append(Self.procedureType[p.procedureType])
    ascii(", bearing: ")
    append(Self.bearing[p.bearing])
    ascii(", headDiameterMm: ")
    optional(p.headDiameterMm, Self.double)
    ascii(", femoralComponent: ")
    optional(p.femoralComponent, Self.string)
    ascii(", acetabularComponent: ")
    optional(p.acetabularComponent, Self.string)
    ascii(", stemComponent: ")
    optional(p.stemComponent, Self.string)
    ascii(", manufacturer: ")
    optional(p.manufacturer, Self.string)
    ascii(", opcsCode: ")
    optional(p.opcsCode, Self.string)
    ascii(", trustCode: ")
    optional(p.trustCode, Self.string)
    ascii(", siteCode: ")
    optional(p.siteCode, Self.string)
    ascii(", consultantCode: ")
    optional(p.consultantCode, Self.string)
    ascii(")")
  }

  /// The text an event's fingerprint is taken of: `String(describing: e)`,
  /// without the two comparator fields when both are nil (they were added
  /// after databases were loaded, whose fingerprints must still compare).
  package static func reference(_ e: EventRecord) -> String {
    let text = String(describing: e)
    let absent = ", cobaltComparator: nil, chromiumComparator: nil)"
    guard e.cobaltComparator == nil, e.chromiumComparator == nil, text.hasSuffix(absent) else { return text }
    return String(text.dropLast(absent.count)) + ")"
  }

  /// `RecordText.reference(e)`, as bytes.
  package func describe(_ e: EventRecord) {
    count = 0
    ascii("EventRecord(eventId: ")
    string(e.eventId)
    ascii(", nhsNumber: ")
    string(e.nhsNumber)
    ascii(", eventDate: ")
    date(e.eventDate)
    ascii(", eventType: ")
    append(Self.eventType[e.eventType])
    ascii(", side: ")
    optional(e.side) { this, v in this.append(Self.eventSide[v]) }
    ascii(", symptomatic: ")
    optional(e.symptomatic) { this, v in this.ascii(v ? "true" : "false") }
    ascii(", oxfordHipScore: ")
    optional(e.oxfordHipScore) { this, v in this.append(String(v)) }
    ascii(", cobalt: ")
    optional(e.cobalt, Self.double)
    ascii(", chromium: ")
    optional(e.chromium, Self.double)
    ascii(", ionUnit: ")
    optional(e.ionUnit) { this, v in this.append(Self.ionUnit[v]) }
    ascii(", sampleType: ")
    optional(e.sampleType) { this, v in this.append(Self.sampleType[v]) }
    ascii(", imagingFinding: ")
    optional(e.imagingFinding) { this, v in this.append(Self.imagingFinding[v]) }
    ascii(", note: ")
    optional(e.note, Self.string)
    if e.cobaltComparator != nil || e.chromiumComparator != nil {
      ascii(", cobaltComparator: ")
      optional(e.cobaltComparator) { this, v in this.append(Self.comparator[v]) }
      ascii(", chromiumComparator: ")
      optional(e.chromiumComparator) { this, v in this.append(Self.comparator[v]) }
    }
    ascii(")")
  }

  // MARK: pieces

  @inline(__always) private func ascii(_ s: StaticString) {
    append(s.utf8Start, s.utf8CodeUnitCount)
  }

  /// `Optional(<value>)` or `nil`, as `debugPrint` writes an optional.
  @inline(__always) private func optional<T>(_ v: T?, _ body: (RecordText, T) -> Void) {
    guard let v else {
      ascii("nil")
      return
    }
    ascii("Optional(")
    body(self, v)
    ascii(")")
  }

  /// `String.debugDescription`: quoted, escaped. Printable ASCII without a
  /// quote, apostrophe or backslash is written as it is; anything else goes
  /// through `debugDescription` itself.
  private func string(_ s: String) {
    var s = s
    let plain: Bool = s.withUTF8 { b in
      for c in b where c < 0x20 || c > 0x7E || c == 0x22 || c == 0x27 || c == 0x5C { return false }
      append(0x22)
      if let p = b.baseAddress { append(p, b.count) }
      append(0x22)
      return true
    }
    if !plain { append(s.debugDescription) }
  }

  private static func string(_ this: RecordText, _ s: String) { this.string(s) }

  private func date(_ d: LocalDate) {
    let (y, m, day) = d.components
    if count + 10 > capacity { grow(count + 10) }
    let b = base + count
    b[0] = UInt8(0x30 + y / 1000 % 10)
    b[1] = UInt8(0x30 + y / 100 % 10)
    b[2] = UInt8(0x30 + y / 10 % 10)
    b[3] = UInt8(0x30 + y % 10)
    b[4] = 0x2D
    b[5] = UInt8(0x30 + m / 10)
    b[6] = UInt8(0x30 + m % 10)
    b[7] = 0x2D
    b[8] = UInt8(0x30 + day / 10)
    b[9] = UInt8(0x30 + day % 10)
    count += 10
  }

  private static func date(_ this: RecordText, _ d: LocalDate) { this.date(d) }

  private static func double(_ this: RecordText, _ v: Double) { this.append(v.debugDescription) }

  /// How `debugPrint` writes each case of a coded value (`MoMAuditKit.Sex.male`),
  /// taken from `debugPrint` itself once.
  struct Names<C: CaseIterable & Equatable & Sendable>: Sendable {
    private let names: [(C, [UInt8])]
    init(_ type: C.Type) {
      names = C.allCases.map { c in
        var s = ""
        debugPrint(c, terminator: "", to: &s)
        return (c, Array(s.utf8))
      }
    }
    subscript(_ c: C) -> [UInt8] { names.first { $0.0 == c }!.1 }
  }

  private static func names<C: CaseIterable & Equatable & Sendable>(_ type: C.Type) -> Names<C> { Names(type) }

  private static let sex = names(Sex.self)
  private static let side = names(Side.self)
  private static let procedureType = names(ProcedureType.self)
  private static let bearing = names(Bearing.self)
  private static let eventType = names(EventType.self)
  private static let eventSide = names(EventSide.self)
  private static let ionUnit = names(IonUnit.self)
  private static let sampleType = names(SampleType.self)
  private static let imagingFinding = names(ImagingFinding.self)
  private static let comparator = names(LabComparator.self)
  private static let metal = names(Metal.self)
  private static let exceptionFinding = names(ExceptionFinding.self)
  private static let exceptionReason = names(ExceptionReason.self)
}
