import Foundation

/// How one file is read: the format, the encoding, the profile.
struct FileReadPlan: Sendable {
  enum Format: String, Sendable { case csv, xml }
  var path: String
  var format: Format
  var encoding: TextEncoding
  var profile: Profile
  /// The unchanged shortcut's database, when it may be used (CSV only).
  var unchanged: UnchangedLookup.Config? = nil
  /// Which thread computes the records' fingerprints (tests pin each side).
  enum Fingerprints: Sendable { case balanced, reader, writer }
  var fingerprints = Fingerprints.balanced
}

/// What the reading thread learnt about the file as a whole.
struct FileReadResult: Sendable {
  /// CSV: the kind of the file (from its header); XML: nil (mixed).
  var kind: RecordKind?
  var exportDate: LocalDate?
  /// Rows a profile's keep/skip rule left out, by rule (`keep analyte`, `skip event_type = 2`).
  var skips: [String: Int] = [:]
  /// Where the time went, for the debug log: CPU seconds of the reading
  /// thread, and seconds each side waited for the other.
  var readerCPU = 0.0
  /// Rows that took FastRowValidator's path.
  var fastRows = 0
  /// Rows recognised unchanged by their row hash (not validated).
  var unchangedRows = 0
  var readerWaited = 0.0
  var writerWaited = 0.0
}

/// CPU time of the calling thread, in seconds.
func threadCPUTime() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func monotonicTime() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Reads, validates and fingerprints one file's rows on a thread of its own,
/// while the calling thread writes them: parsing and validation on one core,
/// SQLite on the other (issue 5). Rows travel in batches through a bounded
/// queue, so memory stays flat whatever the file's size, and arrive in file
/// order, so duplicate handling sees exactly the sequence a single thread
/// would.
enum IngestPipeline {
  static let batchSize = 1024
  /// Part of every row hash's context. Bump it with any change to how a
  /// row is read, validated or normalised (CONTRIBUTING.md): rows loaded
  /// before are then validated again on their next re-send instead of being
  /// taken for unchanged by their bytes.
  static let readingVersion = 1
  /// Batches in flight at most (reader ahead of writer).
  static let depth = 4

  /// Runs the reader for `plan` on a new thread and calls `consume` on this
  /// thread for every batch, in order. Errors of the reader (a refused file)
  /// are thrown here after the rows before them were consumed; an error of
  /// `consume` stops the reader. Returns when the reader thread has ended.
  static func run(_ plan: FileReadPlan, consume: (PackedBatch) throws -> Void) throws -> FileReadResult {
    var (result, channel) = try BoundedChannel<PackedBatch, FileReadResult>.run(
      name: "momaudit-reader", depth: depth,
      produce: { channel in
        var result = try read(plan, channel)
        result.readerCPU = threadCPUTime()
        result.readerWaited = channel.producerWaited
        return result
      }, consume: consume)
    result.writerWaited = channel.consumerWaited
    return result
  }


  /// The reading thread: rows to packed records, in batches.
  private static func read(_ plan: FileReadPlan, _ channel: BoundedChannel<PackedBatch, FileReadResult>) throws -> FileReadResult {
    let text = RecordText()
    var batch = PackedBatch(rows: batchSize)
    let profile = plan.profile
    // A profile that changes values before validation (null values,
    // constants, filters, recodes, month-first dates) sends a delimited
    // file's rows down the full path. XML is canonical whatever the profile.
    let fast = !profile.transformsRows
    let byteRow = ByteRow()
    var fastRows = 0
    var unchangedRows = 0

    // Who computes a batch's fingerprints (SHA-256 of each record, about a
    // fifth of a record's cost) is decided batch by batch: this thread when
    // the writer is behind (half the channel's batches wait), else the
    // writer (`PackedBatch.fillFingerprints`), which would otherwise wait
    // for this thread. Which is busier depends on the file (a CSV of
    // procedures or an XML export: this thread; a CSV of events: the
    // writer) and on the scale, so neither is fixed (issue 14).
    var hashHere = plan.fingerprints == .reader

    func flush() throws {
      guard batch.count >= batchSize else { return }
      guard channel.put(batch) else { throw ChannelCancelled() }
      batch = PackedBatch(rows: batchSize)
      if plan.fingerprints == .balanced { hashHere = channel.queued >= depth / 2 }
    }

    // The row hash of the current CSV row (nil: none), stored with its record.
    var rowHash: UInt64? = nil

    func pack(_ p: ProcedureRecord, line: Int, location: String?, raw: (PackedBatch) -> Void) {
      batch.append(
        p, isASR: RecordFacts.isASR(p), hash: hashHere ? text.fingerprint(p) : nil, location: location, line: line,
        rowHash: rowHash, raw: raw)
    }

    func pack(_ e: EventRecord, _ warnings: [RecordWarning], line: Int, location: String?, raw: (PackedBatch) -> Void) {
      batch.append(
        e, warnings: warnings, hash: hashHere ? text.fingerprint(e) : nil, location: location, line: line,
        rowHash: rowHash, raw: raw)
    }

    var result = FileReadResult()

    /// The full path: RowValidator on the row's Strings (after the
    /// profile's recodes, for a delimited file's row).
    func emit(_ input: RawRow, recode: Bool) throws {
      var row = input
      if recode, row.readProblem == nil { profile.recode(&row) }
      switch RowValidator.validate(row) {
      case .failure(let problem):
        batch.appendReject(row, problem)
      case .success(.procedure(let p)):
        pack(p, line: row.line, location: row.location) { $0.text(row.raw) }
      case .success(.event(let e, let warnings)):
        pack(e, warnings, line: row.line, location: row.location) { $0.text(row.raw) }
      case .success(.result(let r)):
        batch.append(r, hash: hashHere ? text.fingerprint(r) : nil, location: row.location, line: row.line, rowHash: rowHash) {
          $0.text(row.raw)
        }
      case .success(.exception(let x)):
        batch.append(x, hash: text.fingerprint(x), location: row.location, line: row.line, rowHash: rowHash) {
          $0.text(row.raw)
        }
      }
      try flush()
    }

    switch plan.format {
    case .csv:
      var header: CSVHeader? = nil
      // The unchanged shortcut (UnchangedLookup): every row's bytes are
      // hashed with what decides how they are read (this version, the
      // encoding, the profile, the header); a row whose hash is its loaded
      // record's goes to the writer as `unchanged`, unvalidated.
      var seed: UInt64 = 0
      var lookup: UnchangedLookup? = nil
      var idColumn = -1
      // A results file without `result_id`: the id is `sample_id/analyte`,
      // built here from the raw cells. When they are not written as stored
      // (another spelling of the analyte, spaces), no record has that id and
      // the row takes the full path.
      var implicitIdColumns: (sample: Int, analyte: Int)? = nil
      var implicitId: [UInt8] = []
      do {
        try CSVReader(path: plan.path, encoding: plan.encoding, delimiter: profile.delimiter).forEachRecordView {
          record in
          guard let h = header else {
            let hdr = try CSVHeader(record: record.record, path: plan.path, profile: profile)
            header = hdr
            seed = RowHash.hash(
              [
                MoMAudit.version, String(Self.readingVersion), plan.encoding.rawValue, profile.readingKey,
                hdr.kind.rawValue, record.raw,
              ].joined(separator: "\u{1}"))
            if let config = plan.unchanged, config.kinds.contains(hdr.kind) {
              if !hdr.implicitResultId, let i = hdr.columns.firstIndex(of: hdr.kind.idField) {
                idColumn = i
                lookup = UnchangedLookup(path: config.path, kind: hdr.kind)
              } else if hdr.implicitResultId, let s = hdr.columns.firstIndex(of: .sampleId),
                let a = hdr.columns.firstIndex(of: .analyte)
              {
                implicitIdColumns = (s, a)
                lookup = UnchangedLookup(path: config.path, kind: hdr.kind)
              }
            }
            return
          }
          rowHash = nil
          if record.problem == nil, record.rawBytes.count < CSVReader.rawLimit {
            let hash = RowHash.hash(UnsafeRawBufferPointer(record.rawBytes), seed: seed)
            rowHash = hash
            if let lookup {
              var claimed = false
              if idColumn >= 0, idColumn < record.count {
                let id = UnsafeBufferPointer(rebasing: record.bytes[record.start(idColumn)..<record.ends[idColumn]])
                if let rowid = lookup.claim(id: id, hash: Int64(bitPattern: hash)) {
                  batch.appendUnchanged(h.kind, rowid: rowid, line: record.line, id: id) { record.packRaw(into: $0) }
                  claimed = true
                }
              } else if let c = implicitIdColumns, c.sample < record.count, c.analyte < record.count {
                implicitId.removeAll(keepingCapacity: true)
                implicitId.append(contentsOf: record.bytes[record.start(c.sample)..<record.ends[c.sample]])
                implicitId.append(0x2F)
                implicitId.append(contentsOf: record.bytes[record.start(c.analyte)..<record.ends[c.analyte]])
                let rowid = implicitId.withUnsafeBufferPointer { lookup.claim(id: $0, hash: Int64(bitPattern: hash)) }
                if let rowid {
                  implicitId.withUnsafeBufferPointer { id in
                    batch.appendUnchanged(h.kind, rowid: rowid, line: record.line, id: id) { record.packRaw(into: $0) }
                  }
                  claimed = true
                }
              }
              if claimed {
                unchangedRows += 1
                try flush()
                return
              }
            }
          }
          if fast, record.problem == nil, record.count == h.columns.count, record.isFastReadable(utf8: plan.encoding == .utf8) {
            // The common case on bytes (FastRowValidator); nil: the full path.
            let done: Bool = {
              byteRow.start(record.base)
              for i in 0..<h.columns.count {
                if let f = h.columns[i] { byteRow.set(f, record.start(i), record.ends[i]) }
              }
              switch h.kind {
              case .procedure:
                guard let p = FastRowValidator.procedure(byteRow, exportDate: nil) else { return false }
                assert(Self.sameAsValidator(.procedure(p), h.row(from: record)))
                pack(p, line: record.line, location: nil) { record.packRaw(into: $0) }
              case .event:
                guard let e = FastRowValidator.event(byteRow, exportDate: nil) else { return false }
                assert(Self.sameAsValidator(.event(e, warnings: []), h.row(from: record)))
                pack(e, [], line: record.line, location: nil) { record.packRaw(into: $0) }
              case .result:
                guard let r = FastRowValidator.result(byteRow, implicitId: h.implicitResultId) else { return false }
                assert(Self.sameAsValidator(.result(r), h.row(from: record)))
                batch.append(r, hash: text.fingerprint(r), location: nil, line: record.line, rowHash: rowHash) {
                  record.packRaw(into: $0)
                }
              case .exception:
                // Exceptions are few (clinicians' decisions): no fast path,
                // every row goes through RowValidator.
                return false
              }
              return true
            }()
            if done {
              fastRows += 1
              try flush()
              return
            }
          }
          var row = h.row(from: record)
          if fast {
            try emit(row, recode: false)
          } else if let rule = h.prepare(&row, profile: profile) {
            result.skips[rule, default: 0] += 1
          } else {
            try emit(row, recode: true)
          }
        }
      } catch CSVReader.ReadError.openQuoteAtEndOfFile(let line) {
        throw IngestError.fileRefused(
          path: plan.path, reason: "line \(line): a quoted field is still open at the end of the file")
      }
      guard let header else { throw IngestError.fileRefused(path: plan.path, reason: "the file has no header row") }
      result.kind = header.kind
    case .xml:
      do {
        func fastXML(_ x: borrowing XMLFastRow, _ debugRow: RawRow?) throws -> Bool {
          switch x.kind {
          case .procedure:
            guard let p = FastRowValidator.procedure(x.row, exportDate: x.exportDate) else { return false }
            assert(debugRow.map { Self.sameAsValidator(.procedure(p), $0, raw: x.raw, location: x.location) } ?? true)
            let location = String(decoding: x.location, as: UTF8.self)
            let raw = x.raw
            pack(p, line: x.line, location: location) { $0.text(raw) }
          case .event:
            guard let e = FastRowValidator.event(x.row, exportDate: x.exportDate) else { return false }
            assert(
              debugRow.map { Self.sameAsValidator(.event(e, warnings: []), $0, raw: x.raw, location: x.location) } ?? true)
            let location = String(decoding: x.location, as: UTF8.self)
            let raw = x.raw
            pack(e, [], line: x.line, location: location) { $0.text(raw) }
          case .result, .exception:
            return false  // XML has no results or exceptions
          }
          fastRows += 1
          try flush()
          return true
        }
        result.exportDate = try XMLExportReader(path: plan.path, encoding: plan.encoding).forEachRow(fast: fastXML) { row in
          try emit(row, recode: false)
        }
      } catch let r as XMLExportReader.Refusal {
        throw IngestError.fileRefused(path: plan.path, reason: r.reason)
      }
    }
    if batch.count > 0, !channel.put(batch) { throw ChannelCancelled() }
    result.fastRows = fastRows
    result.unchangedRows = unchangedRows
    return result
  }

  /// Debug builds: the fast path's record, raw text and location are the full path's.
  static func sameAsValidator(
    _ fast: RowValidator.Outcome, _ row: RawRow, raw: UnsafeBufferPointer<UInt8>, location: UnsafeBufferPointer<UInt8>
  ) -> Bool {
    sameAsValidator(fast, row) && row.raw == String(decoding: raw, as: UTF8.self)
      && row.location == String(decoding: location, as: UTF8.self)
  }

  /// Debug builds: the fast path's record is RowValidator's.
  static func sameAsValidator(_ fast: RowValidator.Outcome, _ row: RawRow) -> Bool {
    switch (fast, RowValidator.validate(row)) {
    case (.procedure(let a), .success(.procedure(let b))): return a == b
    case (.event(let a, let wa), .success(.event(let b, let wb))): return a == b && wa == wb
    case (.result(let a), .success(.result(let b))): return a == b
    case (.exception(let a), .success(.exception(let b))): return a == b
    default: return false
    }
  }
}

/// Facts about a record worked out on the reading thread.
enum RecordFacts {
  /// `p.isASR`: the token ASR in a component. ASCII text (the usual case) is
  /// scanned on its bytes; anything else goes through `containsASRToken`.
  static func isASR(_ p: ProcedureRecord) -> Bool {
    let result = containsASR(p.femoralComponent) || containsASR(p.acetabularComponent) || containsASR(p.stemComponent)
    assert(result == p.isASR)
    return result
  }

  private static func containsASR(_ text: String?) -> Bool {
    guard var text else { return false }
    let ascii: Bool? = text.withUTF8 { b in
      guard b.count >= 3 else { return false }  // fewer than three scalars
      for c in b where c >= 0x80 { return nil }
      var i = 0
      while i + 3 <= b.count {
        if b[i] | 0x20 == 0x61, b[i + 1] | 0x20 == 0x73, b[i + 2] | 0x20 == 0x72,
          i == 0 || !isASCIIWordByte(b[i - 1]), i + 3 == b.count || !isASCIIWordByte(b[i + 3])
        {
          return true
        }
        i += 1
      }
      return false
    }
    return ascii ?? containsASRToken(text)
  }
}
