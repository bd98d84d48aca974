import Foundation
import GRDB

/// One file's rows applied to the database, inside the transaction of the
/// file (or of its cumulative delivery), in file order. Each valid record is
/// **added** (a new id, or a withdrawn record come back), **unchanged** (the
/// same fingerprint as the current version: counted, nothing written),
/// **replaced** (different content: written over the current version, the
/// replacement recorded), or a repeat of an id earlier in the same file
/// (accepted once when identical, else rejected: the first row stands).
/// Rows read = accepted + rejected (+ skipped, counted by the reader).
/// registry-export.md "Re-ingest and corrections"; sources.md §3.
final class FileLoad {
  struct Counts {
    var read = 0, accepted = 0, rejected = 0, added = 0, unchanged = 0, replaced = 0
  }

  let writer: IngestWriter
  let bulk: BulkLoad
  /// The cumulative delivery the file belongs to, if any: told what the file touched.
  let delivery: Delivery?
  let progress: Progress?
  /// Crash-safety tests only (FaultInjection).
  let killAfterRows = FaultInjection.limit(.ingestRow)
  private(set) var counts = Counts()
  /// Rowids of loaded records this file re-sent unchanged: a later row of
  /// the file with the same id is a repeat within the file. Per kind: a
  /// procedure and an event can share a rowid.
  private var unchangedHere = RowidSets()
  /// Rowids of loaded records this file wrote over (replaced, or withdrawn
  /// and back): a row claimed unchanged against one of them (its row hash
  /// matched the version before this file) is a repeat with different content.
  private var writtenHere = RowidSets()
  /// Records still to look up before inserting. A conflict sets it: the file
  /// re-sends loaded records, so each is looked up (cursor or probe) rather
  /// than tried as an INSERT first; `lookupStretch` new ids in a row go back
  /// to inserting first (a fresh load costs no lookup).
  private var lookupBudget = 0
  static let lookupStretch = 256

  init(writer: IngestWriter, bulk: BulkLoad, delivery: Delivery?, progress: Progress?) {
    self.writer = writer
    self.bulk = bulk
    self.delivery = delivery
    self.progress = progress
  }

  typealias Cells = UnsafeBufferPointer<PackedBatch.Cell>

  /// Before the first row of a kind: BulkLoad may drop the table's own
  /// indexes, which needs no cursor open.
  @inline(__always) private func prepare(_ kind: RecordKind) throws {
    if bulk.isDecided(kind) { return }
    writer.closeCursors()
    try bulk.prepare(kind)
  }

  /// Writes a batch's rows (on the writing thread, in file order of each
  /// kind: a run of one kind may be written before rows of another kind
  /// that come between its rows in the file, as each kind has its own table).
  func apply(_ batch: PackedBatch) throws {
    let n = IngestWriter.rowsPerInsert
    var run: [(first: Int, line: Int)] = []
    run.reserveCapacity(n)
    var members: [Int] = []
    members.reserveCapacity(n)
    try batch.withContents { cells, bytes in
      let entries = batch.entries
      // Entries already written by a run of their kind.
      var done = [Bool](repeating: false, count: entries.count)
      var i = 0
      while i < entries.count {
        if done[i] {
          i += 1
          continue
        }
        // A fresh load: `n` valid records of one kind go in one INSERT; if
        // any of their ids is loaded already, none is written and they go
        // one by one below, looked up first. The run takes the next `n`
        // records of the kind, passing over records of other kinds (an XML
        // export interleaves procedures and events) but not a reject or an
        // unchanged row, which are applied in file order.
        if lookupBudget == 0, let kind = Self.kind(entries[i]) {
          run.removeAll(keepingCapacity: true)
          members.removeAll(keepingCapacity: true)
          var j = i
          scan: while j < entries.count, run.count < n {
            switch entries[j] {
            case .procedure(let first, let line, _) where kind == .procedure: run.append((Int(first), line))
            case .event(let first, let line, _, _) where kind == .event: run.append((Int(first), line))
            case .result(let first, let line, _) where kind == .result: run.append((Int(first), line))
            case .exception(let first, let line, _) where kind == .exception: run.append((Int(first), line))
            case .reject, .unchanged: break scan
            default:
              j += 1
              continue scan
            }
            members.append(j)
            j += 1
          }
          if run.count == n {
            try prepare(kind)
            let written = try run.withUnsafeBufferPointer { try writer.writeMany(kind, cells, bytes, $0) }
            if written {
              for m in members {
                done[m] = true
                counts.read += 1
                if killAfterRows != nil { FaultInjection.tick(.ingestRow) }
                counts.accepted += 1
                counts.added += 1
                if case .event(let first, let line, _, let warnings) = entries[m], warnings >= 0 {
                  try writeWarnings(batch, first: Int(first), line: line, warnings: warnings)
                }
                if counts.read % 50_000 == 0 { progress?.update(file: writer.path, rows: counts.read) }
              }
              continue
            }
            lookupBudget = Self.lookupStretch
          }
        }
        try applyOne(entries[i], batch, cells, bytes)
        i += 1
      }
    }
  }

  private static func kind(_ entry: PackedBatch.Entry) -> RecordKind? {
    switch entry {
    case .procedure: return .procedure
    case .event: return .event
    case .result: return .result
    case .exception: return .exception
    case .reject, .unchanged: return nil
    }
  }

  private func applyOne(_ entry: PackedBatch.Entry, _ batch: PackedBatch, _ cells: Cells, _ bytes: UnsafePointer<UInt8>) throws {
    counts.read += 1
    if killAfterRows != nil { FaultInjection.tick(.ingestRow) }
    switch entry {
    case .reject(let row, let problem):
      try writer.writeReject(row, problem)
      counts.rejected += 1
      // A bad row never erases a good record: the current version it would
      // have replaced stays current (not withdrawn by this delivery).
      if let delivery, let id = RowValidator.recordId(row) {
        var id = id
        let found = try id.withUTF8 { try writer.probe(row.kind, id: $0, hash: UnsafeBufferPointer(start: nil, count: 0)) }
        if let found { delivery.touch(row.kind, found.rowid) }
      }
    case .procedure(let first, let line, let raw):
      _ = try record(.procedure, batch, cells, bytes, first: Int(first), line: line, raw: raw)
    case .result(let first, let line, let raw):
      _ = try record(.result, batch, cells, bytes, first: Int(first), line: line, raw: raw)
    case .exception(let first, let line, let raw):
      _ = try record(.exception, batch, cells, bytes, first: Int(first), line: line, raw: raw)
    case .event(let first, let line, let raw, let warnings):
      if try record(.event, batch, cells, bytes, first: Int(first), line: line, raw: raw), warnings >= 0 {
        try writeWarnings(batch, first: Int(first), line: line, warnings: warnings)
      }
    case .unchanged(let kind, let rowid, let line, let id, let raw):
      // Byte for byte the row the record at `rowid` came from, before this
      // file: the same record, unless this file has written it since.
      if writtenHere.contains(kind, rowid) {
        try rejectRepeat(
          kind, id: batch.string(id)!, line: line, location: nil, raw: batch.string(raw) ?? "",
          firstLine: try writer.line(kind, rowid: rowid))
      } else if unchangedHere.contains(kind, rowid) {
        counts.accepted += 1
      } else {
        unchangedHere.insert(kind, rowid)
        delivery?.touch(kind, rowid)
        counts.accepted += 1
        counts.unchanged += 1
      }
    }
    if counts.read % 50_000 == 0 { progress?.update(file: writer.path, rows: counts.read) }
  }

  @inline(__always) private func text(_ cells: Cells, _ bytes: UnsafePointer<UInt8>, _ i: Int) -> UnsafeBufferPointer<UInt8> {
    let c = cells[i]
    return UnsafeBufferPointer(start: bytes + Int(c.value), count: Int(c.length))
  }

  /// One valid record. Returns true when it was written (added or replaced).
  private func record(
    _ kind: RecordKind, _ batch: PackedBatch, _ cells: Cells, _ bytes: UnsafePointer<UInt8>, first: Int, line: Int,
    raw: Int32
  ) throws -> Bool {
    try prepare(kind)
    let values = IngestWriter.values(kind)
    let id = text(cells, bytes, first)
    let hash = text(cells, bytes, first + values - 1)
    let existing: IngestWriter.Existing
    if lookupBudget > 0 {
      lookupBudget -= 1
      guard let e = try writer.lookup(kind, id: id, hash: hash) else {
        guard try writer.write(kind, cells, bytes, first: first, line: line) else {
          throw DatabaseError(message: "a \(kind.rawValue) id looked up as new conflicted")
        }
        counts.accepted += 1
        counts.added += 1
        return true
      }
      existing = e
    } else {
      if try writer.write(kind, cells, bytes, first: first, line: line) {
        counts.accepted += 1
        counts.added += 1
        return true
      }
      guard let e = try writer.lookup(kind, id: id, hash: hash) else {
        throw DatabaseError(message: "a \(kind.rawValue) id conflicted but is not in the table")
      }
      existing = e
    }
    lookupBudget = Self.lookupStretch
    return try resolve(kind, existing, batch, cells, bytes, first: first, line: line, raw: raw)
  }

  /// A valid record whose id is loaded already.
  private func resolve(
    _ kind: RecordKind, _ e: IngestWriter.Existing, _ batch: PackedBatch, _ cells: Cells, _ bytes: UnsafePointer<UInt8>,
    first: Int, line: Int, raw: Int32
  ) throws -> Bool {
    let values = IngestWriter.values(kind)
    if e.withdrawn {
      // Withdrawn by an earlier delivery and sent again: current again.
      try writer.deleteWarnings(kind, id: batch.string(Int32(first))!)
      try writer.overwrite(kind, rowid: e.rowid, cells, bytes, first: first, line: line)
      writtenHere.insert(kind, e.rowid)
      delivery?.overwrote(kind, e.rowid)
      counts.accepted += 1
      counts.added += 1
      return true
    }
    if e.fileId == writer.fileId || unchangedHere.contains(kind, e.rowid) {
      // The id again in the same file.
      if e.sameContent {
        counts.accepted += 1
        return false
      }
      try rejectRepeat(
        kind, id: batch.string(Int32(first))!, line: line, location: batch.string(Int32(first + values)),
        raw: batch.string(raw) ?? "", firstLine: e.line)
      return false
    }
    if e.sameContent {
      if let h = cells[first + values + 1].rowHash, h != e.rowHash {
        try writer.refreshRowHash(kind, rowid: e.rowid, cells, bytes, first: first)
      }
      unchangedHere.insert(kind, e.rowid)
      delivery?.touch(kind, e.rowid)
      counts.accepted += 1
      counts.unchanged += 1
      return false
    }
    try writer.recordReplacement(kind, id: batch.string(Int32(first))!, old: e, newLine: line)
    try writer.overwrite(kind, rowid: e.rowid, cells, bytes, first: first, line: line)
    writtenHere.insert(kind, e.rowid)
    delivery?.overwrote(kind, e.rowid)
    delivery?.replaced(from: e.fileId)
    counts.accepted += 1
    counts.replaced += 1
    return true
  }

  /// An id repeated in one file with different content: rejected, the first row stands.
  private func rejectRepeat(
    _ kind: RecordKind, id: String, line: Int, location: String?, raw: String, firstLine: Int?
  ) throws {
    let idName = kind.idField.name
    let firstAt = firstLine.map { " (first at line \($0))" } ?? ""
    try writer.writeReject(
      kind: kind, id: id, line: line, location: location, raw: raw,
      RowProblem(
        field: idName, code: "DUPLICATE_ID",
        message: "\(idName): duplicate id with different content\(firstAt); the first row stands"))
    counts.rejected += 1
  }

  /// The ingest-time warnings of a written event.
  private func writeWarnings(_ batch: PackedBatch, first: Int, line: Int, warnings: Int32) throws {
    let id = batch.string(Int32(first))!
    let nhs = batch.string(Int32(first + 1))!
    for w in batch.warnings[Int(warnings)] {
      try writer.writeWarning(w, kind: .event, id: id, nhs: nhs, line: line)
    }
  }
}
