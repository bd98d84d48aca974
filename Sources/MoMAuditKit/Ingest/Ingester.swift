import Foundation
import GRDB
import Logging

/// What happened to one input file.
package struct FileOutcome: Equatable, Sendable {
  package enum Status: String, Sendable { case loaded, alreadyIngested = "already_ingested", refused }
  package var path: String
  package var status: Status
  package var reason: String?
  package var rowsRead = 0
  package var rowsAccepted = 0
  package var rowsRejected = 0
  /// Rows a profile's keep/skip rule left out (neither loaded nor rejected).
  package var rowsSkipped = 0
  /// Skipped rows by rule (`keep analyte`, `skip event_type = 2`).
  package var skips: [String: Int] = [:]
  package var recordsReplaced = 0
}

package struct IngestOptions: Sendable {
  /// For delimited text: `--encoding`, else the profile's.
  package var encoding: TextEncoding?
  /// `--encoding` alone: an XML file is read as canonical XML whatever its profile says.
  package var commandLineEncoding: TextEncoding?
  package var profile: Profile
  package init(encoding: TextEncoding? = nil, profile: Profile = Profile()) {
    self.encoding = encoding ?? profile.encoding
    self.commandLineEncoding = encoding
    self.profile = profile
  }
}

/// Files to load together with one set of options: the positional inputs
/// (with `--profile`), or one source of a manifest (with its profile).
package struct InputGroup: Sendable {
  /// The manifest's name for the source; nil for positional inputs.
  package var source: String?
  package var cumulative = false
  package var maxWithdrawPercent = 5.0
  package var inputs: [String]
  package var options: IngestOptions

  package init(source: String? = nil, inputs: [String], options: IngestOptions) {
    self.source = source
    self.inputs = inputs
    self.options = options
  }

  /// A manifest's sources, in its order; `encoding` (the command line's) overrides each profile's.
  package static func groups(_ manifest: SourcesManifest, encoding: TextEncoding?) -> [InputGroup] {
    manifest.sources.map { s in
      var g = InputGroup(source: s.name, inputs: [s.path], options: IngestOptions(encoding: encoding, profile: s.profile))
      g.cumulative = s.cumulative
      g.maxWithdrawPercent = s.maxWithdrawPercent
      return g
    }
  }
}

/// The ingest stage: resolves inputs, then loads each file in its own
/// transaction (a file loads completely or not at all). Rows read = rows
/// accepted + rows rejected + rows skipped, for every file.
package struct Ingester {
  let db: DatabaseQueue
  let logger: Logger
  let options: IngestOptions
  let progress: Progress?
  /// Crash-safety tests only (FaultInjection).
  let killAfterRows = FaultInjection.limit(.ingestRow)

  package init(db: DatabaseQueue, logger: Logger, options: IngestOptions = .init(), progress: Progress? = nil) {
    self.db = db
    self.logger = logger
    self.options = options
    self.progress = progress
  }

  /// Expands folders into their `*.csv` and `*.xml` files (any case, not
  /// recursing, code-point name order). Every input must exist.
  package static func resolveInputs(_ inputs: [String]) throws -> [String] {
    var out: [String] = []
    let fm = FileManager.default
    for input in inputs {
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: input, isDirectory: &isDir) else { throw AuditError.inputMissing(path: input) }
      if isDir.boolValue {
        let names = try fm.contentsOfDirectory(atPath: input)
          .filter { name in
            let ext = (name as NSString).pathExtension.lowercased()
            guard ext == "csv" || ext == "xml" else { return false }
            var d: ObjCBool = false
            return fm.fileExists(atPath: (input as NSString).appendingPathComponent(name), isDirectory: &d) && !d.boolValue
          }
          .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        out += names.map { (input as NSString).appendingPathComponent($0) }
      } else {
        guard fm.isReadableFile(atPath: input) else { throw AuditError.inputMissing(path: input) }
        out.append(input)
      }
    }
    return out
  }

  package func ingest(inputs: [String]) throws -> [FileOutcome] {
    try ingest(groups: [InputGroup(inputs: inputs, options: options)])
  }

  /// Loads each group's files in order (groups in order). Every input of
  /// every group is resolved first: a missing one stops the ingest before
  /// anything loads.
  package func ingest(groups: [InputGroup]) throws -> [FileOutcome] {
    var files: [(path: String, group: InputGroup)] = []
    for g in groups { files += try Self.resolveInputs(g.inputs).map { ($0, g) } }
    try db.write { db in
      for g in groups {
        guard let name = g.source else { continue }
        try db.execute(
          sql: """
            INSERT INTO source (name, cumulative, max_withdraw_percent) VALUES (?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET cumulative = excluded.cumulative,
              max_withdraw_percent = excluded.max_withdraw_percent
            """, arguments: [name, g.cumulative, g.maxWithdrawPercent])
      }
    }
    // The load writes its pages once, through a rollback journal, instead
    // of twice (into the WAL, then into the database at the checkpoint):
    // pages added at the end of the file need no journal, so a bulk load
    // journals almost nothing, and a crash still rolls the file's
    // transaction back. Leaving WAL needs the database to itself: while
    // another connection reads (an auditor's session), the load stays in
    // WAL, which lets that reader go on. WAL again afterwards.
    let leftWAL = (try? db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }) != nil
    if !leftWAL { logger.debug("another connection has the database open; loading in WAL mode") }
    defer { if leftWAL { try? db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") } } }
    var outcomes: [FileOutcome] = []
    // The next file's scan (hash, encoding) runs on the other core while
    // this file's indexes are rebuilt, when nothing else does.
    var prescan: Prescan? = nil
    for (i, (path, group)) in files.enumerated() {
      let scan = prescan?.path == path ? prescan!.result() : Result { try FileScan.scan(path: path) }
      prescan = nil
      let next: String? = i + 1 < files.count ? files[i + 1].path : nil
      let outcome = try ingestFile(path: path, scan: scan, options: group.options, source: group.source) {
        if let next { prescan = Prescan(path: next) }
      }
      switch outcome.status {
      case .loaded:
        logger.info(
          "loaded file",
          metadata: [
            "file": "\(path)", "source": "\(group.source ?? "-")", "rows_read": "\(outcome.rowsRead)", "accepted": "\(outcome.rowsAccepted)",
            "rejected": "\(outcome.rowsRejected)", "skipped": "\(outcome.rowsSkipped)",
            "replaced": "\(outcome.recordsReplaced)",
          ])
      case .alreadyIngested:
        logger.info("file already ingested with the same content; nothing changed", metadata: ["file": "\(path)"])
      case .refused:
        logger.error("file refused", metadata: ["file": "\(path)", "reason": "\(outcome.reason ?? "")"])
      }
      outcomes.append(outcome)
    }
    return outcomes
  }

  typealias Format = FileReadPlan.Format

  package func ingestFile(path: String) throws -> FileOutcome {
    try ingestFile(path: path, scan: Result { try FileScan.scan(path: path) }, options: options, source: nil, loaded: {})
  }

  /// `loaded` is called once the file's rows are written, before its
  /// indexes are rebuilt.
  func ingestFile(
    path: String, scan scanned: Result<FileScan, any Error>, options: IngestOptions, source: String?,
    loaded: () -> Void
  ) throws -> FileOutcome {
    var outcome = FileOutcome(path: path, status: .loaded)
    let started = monotonicTime()
    let scan: FileScan
    do {
      scan = try scanned.get()
    } catch {
      throw AuditError.inputMissing(path: path)
    }
    let scanned = monotonicTime()
    let ext = (path as NSString).pathExtension.lowercased()
    let format: Format = ext == "xml" ? .xml : ext == "csv" ? .csv : (scan.firstSignificantByte == UInt8(ascii: "<") ? .xml : .csv)

    let already = try db.read { db in
      try Bool.fetchOne(db, sql: "SELECT 1 FROM source_file WHERE sha256 = ? AND status = 'loaded'", arguments: [scan.sha256])
    }
    if already == true {
      outcome.status = .alreadyIngested
      return outcome
    }

    do {
      guard scan.size > 0 else { throw IngestError.fileRefused(path: path, reason: "the file is empty (0 bytes)") }
      let encoding = try scan.chooseEncoding(
        forced: format == .xml ? options.commandLineEncoding : options.encoding, path: path)
      if format == .xml {
        if scan.containsDoctypeOrEntity {
          throw IngestError.fileRefused(
            path: path, reason: "the document has a DOCTYPE, DTD or entity declaration, which is not allowed")
        }
        if scan.firstSignificantByte != UInt8(ascii: "<") {
          throw IngestError.fileRefused(path: path, reason: "the file is not an XML document")
        }
      }
      // For the load: a larger page cache, a helper thread for the sorts of
      // CREATE INDEX (BulkLoad), and no foreign-key lookup per row (the one
      // key, source_file_id, names the source_file row this transaction
      // inserts first). Restored after the file.
      let (foreignKeys, cacheSize) = try db.writeWithoutTransaction { db in
        let on = try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false
        let cache = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
        try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB); PRAGMA foreign_keys = OFF")
        return (on, cache)
      }
      defer {
        // The cache's memory goes back too: `momaudit run` goes on to the
        // check and the report in this process.
        try? db.writeWithoutTransaction {
          try $0.execute(sql: "PRAGMA cache_size = \(cacheSize); PRAGMA shrink_memory")
          if foreignKeys { try $0.execute(sql: "PRAGMA foreign_keys = ON") }
        }
      }
      try db.inTransaction { db in
        let writerCPU0 = threadCPUTime()
        let fileId = try insertSourceFile(db, path: path, scan: scan, format: format, encoding: encoding, source: source)
        let writer = try IngestWriter(db: db, fileId: fileId, path: path)
        let bulk = BulkLoad(db: db, estimatedRows: scan.size / BulkLoad.bytesPerRowEstimate)
        var counts = Counts()
        let plan = FileReadPlan(path: path, format: format, encoding: encoding, profile: options.profile)
        let fingerprints = RecordText()
        let read = try IngestPipeline.run(plan) { batch in
          batch.fillFingerprints(fingerprints)
          try apply(batch, writer: writer, bulk: bulk, counts: &counts)
        }
        let loadedAt = monotonicTime()
        loaded()
        try bulk.finish()
        logger.debug(
          "file load timing",
          metadata: [
            "file": "\(path)", "rows": "\(counts.read)", "fast_rows": "\(read.fastRows)", "seconds": "\(fmt(monotonicTime() - started))",
            "scan_seconds": "\(fmt(scanned - started))", "indexes_seconds": "\(fmt(monotonicTime() - loadedAt))",
            "reader_cpu": "\(fmt(read.readerCPU))", "reader_waited": "\(fmt(read.readerWaited))",
            "writer_cpu": "\(fmt(threadCPUTime() - writerCPU0))", "writer_waited": "\(fmt(read.writerWaited))",
          ])
        let kind = format == .xml ? "mixed" : read.kind.map { $0.rawValue + "s" } ?? "events"
        let skipped = read.skips.values.reduce(0, +)
        try db.execute(
          sql: """
            UPDATE source_file SET kind = ?, export_date = ?, rows_read = ?, rows_accepted = ?,
              rows_rejected = ?, records_replaced = ?, rows_skipped = ? WHERE id = ?
            """,
          arguments: [
            kind, read.exportDate?.iso, counts.read + skipped, counts.accepted, counts.rejected, counts.replaced, skipped,
            fileId,
          ])
        for (rule, rows) in read.skips {
          try db.execute(
            sql: "INSERT INTO file_skip (source_file_id, rule, rows) VALUES (?, ?, ?)", arguments: [fileId, rule, rows])
        }
        outcome.rowsSkipped = skipped
        outcome.skips = read.skips
        outcome.rowsRead = counts.read + skipped
        outcome.rowsAccepted = counts.accepted
        outcome.rowsRejected = counts.rejected
        outcome.recordsReplaced = counts.replaced
        return .commit
      }
      return outcome
    } catch IngestError.fileRefused(_, let reason) {
      try db.write { db in
        // The same file refused again for the same reason changes nothing.
        let known = try Bool.fetchOne(
          db, sql: "SELECT 1 FROM source_file WHERE sha256 = ? AND path = ? AND status = 'refused' AND error = ?",
          arguments: [scan.sha256, path, reason])
        if known == true { return }
        try db.execute(
          sql: """
            INSERT INTO source_file (path, sha256, format, status, error, ingested_at, source)
            VALUES (?, ?, ?, 'refused', ?, ?, ?)
            """,
          arguments: [path, scan.sha256, format.rawValue, reason, Self.timestamp(), source])
      }
      return FileOutcome(path: path, status: .refused, reason: reason)
    }
  }

  private func fmt(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

  /// SQLite page cache while loading, in KiB (the default is 2 MB).
  static let cacheKiB = 32 * 1024

  struct Counts {
    var read = 0, accepted = 0, rejected = 0, replaced = 0
  }

  private func insertSourceFile(
    _ db: Database, path: String, scan: FileScan, format: Format, encoding: TextEncoding, source: String?
  ) throws -> Int64 {
    try db.execute(
      sql: """
        INSERT INTO source_file (path, sha256, format, encoding, status, ingested_at, source)
        VALUES (?, ?, ?, ?, 'loaded', ?, ?)
        """,
      arguments: [
        path, scan.sha256, format.rawValue, encoding == .utf8 ? "utf-8" : "windows-1252", Self.timestamp(), source,
      ])
    return db.lastInsertedRowID
  }

  static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }

  // MARK: rows

  /// Writes a batch's rows (on the writing thread, in file order).
  private func apply(_ batch: PackedBatch, writer: IngestWriter, bulk: BulkLoad, counts: inout Counts) throws {
    let n = IngestWriter.rowsPerInsert
    var run: [(first: Int, line: Int)] = []
    run.reserveCapacity(n)
    try batch.withContents { cells, bytes in
      let entries = batch.entries
      var i = 0
      while i < entries.count {
        // The common case: `n` valid records of one kind in a row go in one
        // INSERT; if any of their ids is loaded already, none is written
        // and they take the one-by-one path below, which decides each.
        if i + n <= entries.count, let kind = Self.kind(entries[i]) {
          run.removeAll(keepingCapacity: true)
          for entry in entries[i..<(i + n)] {
            switch entry {
            case .procedure(let first, let line, _) where kind == .procedure: run.append((Int(first), line))
            case .event(let first, let line, _, _) where kind == .event: run.append((Int(first), line))
            case .result(let first, let line, _) where kind == .result: run.append((Int(first), line))
            default: break
            }
          }
          if run.count == n {
            try bulk.prepare(kind)
            let written = try run.withUnsafeBufferPointer { try writer.writeMany(kind, cells, bytes, $0) }
            if written {
              for entry in entries[i..<(i + n)] {
                counts.read += 1
                if killAfterRows != nil { FaultInjection.tick(.ingestRow) }
                counts.accepted += 1
                if case .event(let first, let line, _, let warnings) = entry, warnings >= 0 {
                  try writeWarnings(batch, first: Int(first), line: line, warnings: warnings, writer: writer)
                }
                if counts.read % 50_000 == 0 { progress?.update(file: writer.path, rows: counts.read) }
              }
              i += n
              continue
            }
            // A conflict among them: these `n` one by one (a corrections
            // file, where most ids are loaded, tries one INSERT per `n` rows).
            for entry in entries[i..<(i + n)] {
              try applyOne(entry, batch, cells, bytes, writer: writer, bulk: bulk, counts: &counts)
            }
            i += n
            continue
          }
        }
        try applyOne(entries[i], batch, cells, bytes, writer: writer, bulk: bulk, counts: &counts)
        i += 1
      }
    }
  }

  private static func kind(_ entry: PackedBatch.Entry) -> RecordKind? {
    switch entry {
    case .procedure: return .procedure
    case .event: return .event
    case .result: return .result
    case .reject: return nil
    }
  }

  /// One row, and the conflict of its id with a loaded record if any.
  private func applyOne(
    _ entry: PackedBatch.Entry, _ batch: PackedBatch, _ cells: UnsafeBufferPointer<PackedBatch.Cell>,
    _ bytes: UnsafePointer<UInt8>, writer: IngestWriter, bulk: BulkLoad, counts: inout Counts
  ) throws {
    counts.read += 1
    if killAfterRows != nil { FaultInjection.tick(.ingestRow) }
    /// Writes a record of `kind`; true when it (or its replacement) was written.
    func record(_ kind: RecordKind, first: Int, line: Int, raw: Int32) throws -> Bool {
      try bulk.prepare(kind)
      if try writer.write(kind, cells, bytes, first: first, line: line) {
        counts.accepted += 1
        return true
      }
      let values = IngestWriter.values(kind)
      guard
        try resolveConflict(
          kind, batch, id: Int32(first), hash: Int32(first + values - 1), location: Int32(first + values), raw: raw,
          line: line, writer: writer, counts: &counts)
      else { return false }
      return try writer.write(kind, cells, bytes, first: first, line: line, replacing: true)
    }
    switch entry {
    case .reject(let row, let problem):
      try writer.writeReject(row, problem)
      counts.rejected += 1
    case .procedure(let first, let line, let raw):
      _ = try record(.procedure, first: Int(first), line: line, raw: raw)
    case .result(let first, let line, let raw):
      _ = try record(.result, first: Int(first), line: line, raw: raw)
    case .event(let first, let line, let raw, let warnings):
      if try record(.event, first: Int(first), line: line, raw: raw), warnings >= 0 {
        try writeWarnings(batch, first: Int(first), line: line, warnings: warnings, writer: writer)
      }
    }
    if counts.read % 50_000 == 0 { progress?.update(file: writer.path, rows: counts.read) }
  }

  /// The ingest-time warnings of a written event.
  private func writeWarnings(_ batch: PackedBatch, first: Int, line: Int, warnings: Int32, writer: IngestWriter) throws {
    let id = batch.string(Int32(first))!
    let nhs = batch.string(Int32(first + 1))!
    for w in batch.warnings[Int(warnings)] {
      try writer.writeWarning(w, kind: .event, id: id, nhs: nhs, line: line)
    }
  }

  /// A valid row whose id is already loaded (the INSERT met the primary
  /// key). Returns true when the record is to replace the loaded one (it
  /// came from an earlier file); false when it is the same record again in
  /// this file (accepted once) or a different one (rejected, the first stands).
  private func resolveConflict(
    _ kind: RecordKind, _ batch: PackedBatch, id idCell: Int32, hash hashCell: Int32, location: Int32, raw: Int32,
    line: Int, writer: IngestWriter, counts: inout Counts
  ) throws -> Bool {
    let id = batch.string(idCell)!
    let hash = batch.string(hashCell)!
    guard let old = try writer.existing(kind, id: id) else {
      throw DatabaseError(message: "a \(kind.rawValue) id conflicted but is not in the table")
    }
    if old.fileId == writer.fileId {
      if old.hash == hash {
        counts.accepted += 1  // the same record again: accepted once, nothing to write
        return false
      }
      let firstAt = old.line.map { " (first at line \($0))" } ?? ""
      try writer.writeReject(
        kind: kind, id: id, line: line, location: batch.string(location), raw: batch.string(raw) ?? "",
        RowProblem(
          field: kind.idField.name, code: "DUPLICATE_ID",
          message: "\(kind.idField.name): duplicate id with different content\(firstAt); the first row stands"))
      counts.rejected += 1
      return false
    }
    try writer.recordReplacement(kind, id: id, old: old, newLine: line, identical: old.hash == hash)
    counts.accepted += 1
    counts.replaced += 1
    return true
  }
}


/// A file's scan running on a thread of its own.
final class Prescan: @unchecked Sendable {
  let path: String
  private let done = DispatchSemaphore(value: 0)
  private var value: Result<FileScan, any Error>? = nil

  init(path: String) {
    self.path = path
    let thread = Thread { [self] in
      value = Result { try FileScan.scan(path: path) }
      done.signal()
    }
    thread.start()
  }

  /// Waits for the scan.
  func result() -> Result<FileScan, any Error> {
    done.wait()
    done.signal()
    return value!
  }
}

/// Progress on a terminal; silent under cron (stderr not a TTY).
package final class Progress: @unchecked Sendable {
  private let enabled: Bool
  package init(enabled: Bool) { self.enabled = enabled }
  package static func forStandardError() -> Progress { Progress(enabled: isatty(STDERR_FILENO) == 1) }
  package func update(file: String, rows: Int) {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\((file as NSString).lastPathComponent): \(rows) rows".utf8))
  }
  package func done() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
