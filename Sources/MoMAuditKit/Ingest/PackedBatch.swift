/// Rows on their way from the reading thread to the writing thread, packed
/// so that the writer does no Swift work per value: every text value's bytes
/// sit in one buffer, and each row is a run of cells the writer binds to its
/// INSERT as they are (SQLITE_STATIC). One allocation per batch instead of a
/// dozen Strings per row, allocated on one thread and freed on the other.
///
/// A procedure row's cells are the columns `procedure_id` … `content_hash`
/// of the `procedure` table in order (21), then `source_location`, then
/// `row_hash`; an event's are `event_id` … `content_hash` (18), then the
/// same two. `source_file_id` and `source_line` are bound by the writer.
final class PackedBatch: @unchecked Sendable {
  struct Cell {
    enum Tag: UInt8 { case null, int, double, text }
    var tag: Tag
    /// Text: length; otherwise unused.
    var length: Int32
    /// Int: the value; double: its bit pattern; text: offset in `bytes`.
    var value: Int64

    /// A row-hash cell's value (nil: null).
    var rowHash: Int64? { tag == .int ? value : nil }
  }

  enum Entry {
    /// A valid record: its cells start at `first`.
    case procedure(first: Int32, line: Int, raw: Int32)
    case event(first: Int32, line: Int, raw: Int32, warnings: Int32)
    case result(first: Int32, line: Int, raw: Int32)
    case exception(first: Int32, line: Int, raw: Int32)
    /// A rejected row (rare): kept as it was read.
    case reject(RawRow, RowProblem)
    /// A row byte for byte the one the loaded record at `rowid` came from
    /// (its row hash matched): unchanged without being validated again,
    /// unless this file wrote that record (IngestPipeline). `id` is the text
    /// cell of its id, `raw` of its raw text.
    case unchanged(kind: RecordKind, rowid: Int64, line: Int, id: Int32, raw: Int32)
  }

  static let procedureCells = 23
  static let eventCells = 20
  static let resultCells = 14
  static let exceptionCells = 12

  // Unchecked: a batch is filled by one thread, then read by the other;
  // dynamic exclusivity checks on every append were a tenth of the reader.
  @exclusivity(unchecked) private(set) var bytes: [UInt8] = []
  @exclusivity(unchecked) private(set) var cells: [Cell] = []
  @exclusivity(unchecked) private(set) var entries: [Entry] = []
  /// Ingest-time warnings of events (XML records after the export date), by index.
  @exclusivity(unchecked) private(set) var warnings: [[RecordWarning]] = []

  /// A record whose fingerprint the writing thread computes.
  enum Unhashed {
    case procedure(ProcedureRecord)
    case event(EventRecord)
    case result(ResultRecord)
    case exception(ExceptionRecord)
  }

  /// Records packed without their fingerprint, and the cell it goes in
  /// (`fillFingerprints`).
  @exclusivity(unchecked) private(set) var unhashed: [(cell: Int32, record: Unhashed)] = []

  init(rows: Int) {
    bytes.reserveCapacity(rows * 256)
    cells.reserveCapacity(rows * PackedBatch.procedureCells)
    entries.reserveCapacity(rows)
  }

  var count: Int { entries.count }

  // MARK: writing (reading thread)

  func appendReject(_ row: RawRow, _ problem: RowProblem) {
    entries.append(.reject(row, problem))
  }

  /// A text cell holding `s`'s UTF-8.
  @inline(__always) func text(_ s: String?) {
    guard var s else {
      cells.append(Cell(tag: .null, length: 0, value: 0))
      return
    }
    s.withUTF8 { text($0) }
  }

  @inline(__always) func text(_ b: UnsafeBufferPointer<UInt8>, suffix: StaticString = "") {
    cells.append(Cell(tag: .text, length: Int32(b.count + suffix.utf8CodeUnitCount), value: Int64(bytes.count)))
    bytes.append(contentsOf: b)
    if suffix.utf8CodeUnitCount > 0 {
      bytes.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
    }
  }

  @inline(__always) func int(_ v: Int?) {
    cells.append(v.map { Cell(tag: .int, length: 0, value: Int64($0)) } ?? Cell(tag: .null, length: 0, value: 0))
  }

  @inline(__always) func bool(_ v: Bool?) { int(v.map { $0 ? 1 : 0 }) }

  @inline(__always) func double(_ v: Double?) {
    cells.append(
      v.map { Cell(tag: .double, length: 0, value: Int64(bitPattern: $0.bitPattern)) }
        ?? Cell(tag: .null, length: 0, value: 0))
  }

  /// A date cell: its ISO text.
  @inline(__always) func date(_ d: LocalDate?) {
    guard let d else {
      cells.append(Cell(tag: .null, length: 0, value: 0))
      return
    }
    cells.append(Cell(tag: .text, length: 10, value: Int64(bytes.count)))
    let (y, m, day) = d.components
    bytes.append(UInt8(0x30 + y / 1000 % 10))
    bytes.append(UInt8(0x30 + y / 100 % 10))
    bytes.append(UInt8(0x30 + y / 10 % 10))
    bytes.append(UInt8(0x30 + y % 10))
    bytes.append(0x2D)
    bytes.append(UInt8(0x30 + m / 10))
    bytes.append(UInt8(0x30 + m % 10))
    bytes.append(0x2D)
    bytes.append(UInt8(0x30 + day / 10))
    bytes.append(UInt8(0x30 + day % 10))
  }

  /// A row hash is stored as SQLite's signed 64-bit integer.
  @inline(__always) private func rowHashCell(_ h: UInt64?) {
    cells.append(h.map { Cell(tag: .int, length: 0, value: Int64(bitPattern: $0)) } ?? Cell(tag: .null, length: 0, value: 0))
  }

  /// A row found unchanged by its row hash: its id and raw text only.
  func appendUnchanged(
    _ kind: RecordKind, rowid: Int64, line: Int, id: UnsafeBufferPointer<UInt8>, raw: (PackedBatch) -> Void
  ) {
    let idCell = Int32(cells.count)
    text(id)
    let rawCell = Int32(cells.count)
    raw(self)
    entries.append(.unchanged(kind: kind, rowid: rowid, line: line, id: idCell, raw: rawCell))
  }

  /// Packs a valid procedure; `raw` packs its raw text (for a duplicate's reject).
  func append(
    _ p: ProcedureRecord, isASR: Bool, hash: String?, location: String?, line: Int, rowHash: UInt64? = nil,
    raw: (PackedBatch) -> Void
  ) {
    let first = Int32(cells.count)
    text(p.procedureId)
    text(p.nhsNumber)
    text(p.localPatientId)
    text(p.sex.rawValue)
    date(p.dateOfBirth)
    date(p.procedureDate)
    text(p.side.rawValue)
    text(p.procedureType.rawValue)
    text(p.bearing.rawValue)
    double(p.headDiameterMm)
    text(p.femoralComponent)
    text(p.acetabularComponent)
    text(p.stemComponent)
    text(p.manufacturer)
    text(p.opcsCode)
    text(p.trustCode)
    text(p.siteCode)
    text(p.consultantCode)
    bool(p.isMoM)
    bool(isASR)
    if let hash { text(hash) } else { unhashed(.procedure(p)) }
    text(location)
    rowHashCell(rowHash)
    let rawCell = Int32(cells.count)
    raw(self)
    entries.append(.procedure(first: first, line: line, raw: rawCell))
  }

  /// Packs a valid event.
  func append(
    _ e: EventRecord, warnings w: [RecordWarning], hash: String?, location: String?, line: Int, rowHash: UInt64? = nil,
    raw: (PackedBatch) -> Void
  ) {
    let first = Int32(cells.count)
    text(e.eventId)
    text(e.nhsNumber)
    date(e.eventDate)
    text(e.eventType.rawValue)
    text(e.side?.rawValue)
    bool(e.symptomatic)
    int(e.oxfordHipScore)
    double(e.cobalt)
    double(e.chromium)
    text(e.ionUnit?.rawValue)
    double(e.cobaltMicrograms)
    double(e.chromiumMicrograms)
    text(e.sampleType?.rawValue)
    text(e.imagingFinding?.rawValue)
    text(e.note)
    text(e.cobaltComparator?.rawValue)
    text(e.chromiumComparator?.rawValue)
    if let hash { text(hash) } else { unhashed(.event(e)) }
    text(location)
    rowHashCell(rowHash)
    let rawCell = Int32(cells.count)
    raw(self)
    var warningIndex: Int32 = -1
    if !w.isEmpty {
      warningIndex = Int32(warnings.count)
      warnings.append(w)
    }
    entries.append(.event(first: first, line: line, raw: rawCell, warnings: warningIndex))
  }

  /// Packs a valid result: the `result` columns `result_id` … `content_hash`
  /// (12), then `source_location`.
  func append(
    _ r: ResultRecord, hash: String?, location: String?, line: Int, rowHash: UInt64? = nil, raw: (PackedBatch) -> Void
  ) {
    let first = Int32(cells.count)
    text(r.resultId)
    text(r.nhsNumber)
    text(r.sampleId)
    date(r.sampleDate)
    text(r.analyte.rawValue)
    double(r.value)
    text(r.comparator?.rawValue)
    text(r.unit.rawValue)
    double(r.valueMicrograms)
    text(r.specimen.rawValue)
    text(r.note)
    if let hash { text(hash) } else { unhashed(.result(r)) }
    text(location)
    rowHashCell(rowHash)
    let rawCell = Int32(cells.count)
    raw(self)
    entries.append(.result(first: first, line: line, raw: rawCell))
  }

  /// Packs a valid exception: the `exception` columns `exception_id` …
  /// `content_hash` (10), then `source_location` and `row_hash`.
  func append(
    _ x: ExceptionRecord, hash: String?, location: String?, line: Int, rowHash: UInt64? = nil, raw: (PackedBatch) -> Void
  ) {
    let first = Int32(cells.count)
    text(x.exceptionId)
    text(x.nhsNumber)
    text(x.finding.rawValue)
    text(x.procedureId)
    text(x.reason.rawValue)
    text(x.recordedBy)
    date(x.recordedOn)
    date(x.reviewBy)
    text(x.note)
    if let hash { text(hash) } else { unhashed(.exception(x)) }
    text(location)
    rowHashCell(rowHash)
    let rawCell = Int32(cells.count)
    raw(self)
    entries.append(.exception(first: first, line: line, raw: rawCell))
  }

  /// The hash cell of a record packed without its fingerprint: null until
  /// `fillFingerprints`.
  private func unhashed(_ record: Unhashed) {
    unhashed.append((Int32(cells.count), record))
    cells.append(Cell(tag: .null, length: 0, value: 0))
  }

  // MARK: reading (writing thread)

  /// Computes the fingerprints the reading thread left to this thread (XML:
  /// there the reader is the busier thread) into their cells. Call before
  /// `withContents`.
  func fillFingerprints(_ text: RecordText) {
    for (cell, record) in unhashed {
      var hash: String
      switch record {
      case .procedure(let p): hash = text.fingerprint(p)
      case .event(let e): hash = text.fingerprint(e)
      case .result(let r): hash = text.fingerprint(r)
      case .exception(let x): hash = text.fingerprint(x)
      }
      hash.withUTF8 {
        cells[Int(cell)] = Cell(tag: .text, length: Int32($0.count), value: Int64(bytes.count))
        bytes.append(contentsOf: $0)
      }
    }
    unhashed.removeAll()
  }

  /// The cells and the text bytes, for binding (valid during `body`).
  func withContents<R>(_ body: (UnsafeBufferPointer<Cell>, UnsafePointer<UInt8>) throws -> R) rethrows -> R {
    try cells.withUnsafeBufferPointer { c in
      try bytes.withUnsafeBufferPointer { b in try body(c, b.baseAddress ?? PackedBatch.empty) }
    }
  }

  nonisolated(unsafe) private static let empty: UnsafePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
  }()

  /// The text of a text cell.
  func string(_ cell: Int32) -> String? {
    let c = cells[Int(cell)]
    guard c.tag == .text else { return nil }
    return bytes.withUnsafeBufferPointer {
      String(decoding: UnsafeBufferPointer(rebasing: $0[Int(c.value)..<Int(c.value) + Int(c.length)]), as: UTF8.self)
    }
  }
}
