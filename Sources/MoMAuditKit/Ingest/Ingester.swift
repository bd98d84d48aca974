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
  /// Records new to the database (or withdrawn and sent again).
  package var recordsAdded = 0
  /// Records re-sent with the same content: counted, nothing written.
  package var recordsUnchanged = 0
  /// Records of its cumulative source this file's delivery withdrew, attributed to this file.
  package var recordsWithdrawn = 0
  /// The manifest's source, if any.
  package var source: String?
  /// Why the file's whole delivery was refused (a cumulative source's guard,
  /// or another file of the delivery refused); nil otherwise.
  package var deliveryRefusal: String?
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
  /// `--allow-withdraw`: a cumulative delivery may withdraw more than its
  /// source's `max_withdraw_percent`.
  let allowWithdraw: Bool

  package init(
    db: DatabaseQueue, logger: Logger, options: IngestOptions = .init(), progress: Progress? = nil,
    allowWithdraw: Bool = false
  ) {
    self.db = db
    self.logger = logger
    self.options = options
    self.progress = progress
    self.allowWithdraw = allowWithdraw
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
  /// anything loads. A plain file loads in its own transaction; a cumulative
  /// source's files load as one delivery, in one transaction.
  package func ingest(groups: [InputGroup]) throws -> [FileOutcome] {
    var files: [(path: String, group: Int)] = []
    for (g, group) in groups.enumerated() { files += try Self.resolveInputs(group.inputs).map { ($0, g) } }
    var snapshotsOfLoadedSources = false
    try db.write { db in
      for g in groups {
        guard let name = g.source else { continue }
        // Written only when new or changed: a delivery the guard refuses
        // leaves the database byte for byte as it was.
        try db.execute(
          sql: """
            INSERT INTO source (name, cumulative, max_withdraw_percent) VALUES (?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET cumulative = excluded.cumulative,
              max_withdraw_percent = excluded.max_withdraw_percent
            WHERE cumulative IS NOT excluded.cumulative OR max_withdraw_percent IS NOT excluded.max_withdraw_percent
            """, arguments: [name, g.cumulative, g.maxWithdrawPercent])
        if g.cumulative,
          try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM source_file WHERE source = ? AND status = 'loaded')", arguments: [name])
            == true
        {
          snapshotsOfLoadedSources = true
        }
      }
    }
    // A fresh load writes its pages once, through a rollback journal,
    // instead of twice (into the WAL, then into the database at the
    // checkpoint): pages added at the end of the file need no journal, so a
    // bulk load journals almost nothing, and a crash still rolls the file's
    // transaction back. Leaving WAL needs the database to itself: while
    // another connection reads (an auditor's session), the load stays in
    // WAL, which lets that reader go on. WAL again afterwards. A later
    // delivery of a cumulative source stays in WAL: it writes little, and a
    // delivery its guard refuses must leave the file untouched (switching
    // journal modes rewrites the database header).
    let leftWAL =
      !snapshotsOfLoadedSources
      && (try? db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }) != nil
    if !leftWAL { logger.debug("loading in WAL mode") }
    defer { if leftWAL { try? db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") } } }
    var outcomes: [FileOutcome] = []
    // The next file's scan (hash, encoding) runs on the other core while
    // this file's indexes are rebuilt, when nothing else does.
    var prescan: Prescan? = nil
    func scan(_ i: Int) -> Result<FileScan, any Error> {
      let path = files[i].path
      let result = prescan?.path == path ? prescan!.result() : Result { try FileScan.scan(path: path) }
      prescan = nil
      return result
    }
    func prescanAfter(_ i: Int) -> () -> Void {
      { if i + 1 < files.count { prescan = Prescan(path: files[i + 1].path) } }
    }
    var i = 0
    while i < files.count {
      let group = groups[files[i].group]
      var end = i + 1
      while end < files.count && files[end].group == files[i].group { end += 1 }
      if group.cumulative, let source = group.source {
        let delivery = try ingestDelivery(
          files[i..<end].map(\.path), source: source, group: group, scan: { scan(i + $0) }, loaded: { prescanAfter(i + $0) })
        outcomes += delivery
      } else {
        for k in i..<end {
          let outcome = try ingestFile(
            path: files[k].path, scan: scan(k), options: group.options, source: group.source, loaded: prescanAfter(k))
          log(outcome)
          outcomes.append(outcome)
        }
      }
      i = end
    }
    return outcomes
  }

  private func log(_ outcome: FileOutcome) {
    switch outcome.status {
    case .loaded:
      logger.info(
        "loaded file",
        metadata: [
          "file": "\(outcome.path)", "source": "\(outcome.source ?? "-")", "rows_read": "\(outcome.rowsRead)",
          "accepted": "\(outcome.rowsAccepted)", "rejected": "\(outcome.rowsRejected)",
          "skipped": "\(outcome.rowsSkipped)", "added": "\(outcome.recordsAdded)",
          "unchanged": "\(outcome.recordsUnchanged)", "replaced": "\(outcome.recordsReplaced)",
        ])
    case .alreadyIngested:
      logger.info("file already ingested with the same content; nothing changed", metadata: ["file": "\(outcome.path)"])
    case .refused:
      if let d = outcome.deliveryRefusal {
        logger.error("file not loaded: its delivery was refused", metadata: ["file": "\(outcome.path)", "reason": "\(d)"])
      } else {
        logger.error("file refused", metadata: ["file": "\(outcome.path)", "reason": "\(outcome.reason ?? "")"])
      }
    }
  }

  typealias Format = FileReadPlan.Format

  package func ingestFile(path: String) throws -> FileOutcome {
    try ingestFile(path: path, scan: Result { try FileScan.scan(path: path) }, options: options, source: nil, loaded: {})
  }

  /// What a file is, decided before its transaction: its scan, format and
  /// encoding. Throws `IngestError.fileRefused` for a file that cannot be read.
  struct Opened {
    var path: String
    var scan: FileScan
    var format: Format
    var encoding: TextEncoding = .utf8
  }

  private func open(path: String, scan scanned: Result<FileScan, any Error>) throws -> Opened {
    let scan: FileScan
    do {
      scan = try scanned.get()
    } catch {
      throw AuditError.inputMissing(path: path)
    }
    let ext = (path as NSString).pathExtension.lowercased()
    let format: Format = ext == "xml" ? .xml : ext == "csv" ? .csv : (scan.firstSignificantByte == UInt8(ascii: "<") ? .xml : .csv)
    return Opened(path: path, scan: scan, format: format)
  }

  private func check(_ file: inout Opened, options: IngestOptions) throws {
    let (path, scan, format) = (file.path, file.scan, file.format)
    guard scan.size > 0 else { throw IngestError.fileRefused(path: path, reason: "the file is empty (0 bytes)") }
    file.encoding = try scan.chooseEncoding(forced: format == .xml ? options.commandLineEncoding : options.encoding, path: path)
    if format == .xml {
      if scan.containsDoctypeOrEntity {
        throw IngestError.fileRefused(
          path: path, reason: "the document has a DOCTYPE, DTD or entity declaration, which is not allowed")
      }
      if scan.firstSignificantByte != UInt8(ascii: "<") {
        throw IngestError.fileRefused(path: path, reason: "the file is not an XML document")
      }
    }
  }

  /// For a load: a larger page cache, a helper thread for the sorts of
  /// CREATE INDEX (BulkLoad), and no foreign-key lookup per row (the one
  /// key, source_file_id, names the source_file row the transaction inserts
  /// first). Restored afterwards, the cache's memory too: `momaudit run`
  /// goes on to the check and the report in this process.
  private func withLoadSettings<T>(_ body: () throws -> T) throws -> T {
    let (foreignKeys, cacheSize) = try db.writeWithoutTransaction { db in
      let on = try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false
      let cache = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
      try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB); PRAGMA foreign_keys = OFF")
      return (on, cache)
    }
    defer {
      try? db.writeWithoutTransaction {
        try $0.execute(sql: "PRAGMA cache_size = \(cacheSize); PRAGMA shrink_memory")
        if foreignKeys { try $0.execute(sql: "PRAGMA foreign_keys = ON") }
      }
    }
    return try body()
  }

  /// A file outside cumulative sources, in its own transaction. A file
  /// byte-identical to one loaded before is not read again.
  func ingestFile(
    path: String, scan scanned: Result<FileScan, any Error>, options: IngestOptions, source: String?,
    loaded: () -> Void
  ) throws -> FileOutcome {
    var file = try open(path: path, scan: scanned)
    let already = try db.read { db in
      try Bool.fetchOne(db, sql: "SELECT 1 FROM source_file WHERE sha256 = ? AND status = 'loaded'", arguments: [file.scan.sha256])
    }
    if already == true { return FileOutcome(path: path, status: .alreadyIngested, source: source) }
    do {
      try check(&file, options: options)
      return try withLoadSettings {
        var outcome = FileOutcome(path: path, status: .loaded)
        try db.inTransaction { db in
          outcome = try load(db, file, options: options, source: source, delivery: nil, loaded: loaded)
          return .commit
        }
        return outcome
      }
    } catch IngestError.fileRefused(_, let reason) {
      try recordRefused(file, reason: reason, source: source)
      return FileOutcome(path: path, status: .refused, reason: reason, source: source)
    }
  }

  /// The files of one delivery of a cumulative source, in one transaction:
  /// loaded, then the records the delivery left out withdrawn (sources.md
  /// §3). A refused file, or the guard, refuses the whole delivery: nothing
  /// of it stays (a refused file is recorded as refused).
  private func ingestDelivery(
    _ paths: [String], source: String, group: InputGroup, scan: (Int) -> Result<FileScan, any Error>,
    loaded: (Int) -> () -> Void
  ) throws -> [FileOutcome] {
    var outcomes: [FileOutcome] = []
    var opened: [Opened] = []
    do {
      let withdrawal: Delivery.Withdrawal = try withLoadSettings {
        var w = Delivery.Withdrawal()
        let started = monotonicTime()
        defer { logger.debug("delivery transaction timing", metadata: ["source": "\(source)", "seconds": "\(fmt(monotonicTime() - started))"]) }
        try db.inTransaction { db in
          outcomes = []
          let delivery = try Delivery(
            db, source: source, maxWithdrawPercent: group.maxWithdrawPercent, allowWithdraw: allowWithdraw,
            snapshotOf: try readableBeside(db) ? self.db.path : nil)
          for (k, path) in paths.enumerated() {
            var file = try open(path: path, scan: scan(k))
            opened.append(file)
            try check(&file, options: group.options)
            // A re-delivery's writer leaves a core idle (its reading thread
            // is the busy one): the next file's scan starts now. A first
            // delivery keeps both cores busy, so it waits as a plain file does.
            let early = !delivery.earlierFiles.isEmpty
            if early { loaded(k)() }
            outcomes.append(
              try load(db, file, options: group.options, source: source, delivery: delivery, loaded: early ? {} : loaded(k)))
          }
          let withdrawStarted = monotonicTime()
          w = try delivery.finish(db)
          logger.debug(
            "delivery withdrawal timing", metadata: ["source": "\(source)", "seconds": "\(fmt(monotonicTime() - withdrawStarted))"])
          for k in outcomes.indices {
            outcomes[k].recordsWithdrawn = w.byFile[delivery.files[k].id] ?? 0
          }
          return .commit
        }
        return w
      }
      for o in outcomes { log(o) }
      let byKind = RecordKind.allCases.map { "\($0.rawValue)s=\(withdrawal.withdrawn[$0] ?? 0)" }.joined(separator: " ")
      let level: Logger.Level = withdrawal.total > 0 && Double(withdrawal.total) * 100 > group.maxWithdrawPercent * Double(withdrawal.current) ? .warning : .info
      logger.log(
        level: level, level == .warning ? "delivery loaded with --allow-withdraw beyond max_withdraw_percent" : "delivery loaded",
        metadata: [
          "source": "\(source)", "files": "\(paths.count)", "current_before": "\(withdrawal.current)",
          "withdrawn": "\(withdrawal.total)", "withdrawn_by_kind": "\(byKind)",
        ])
      return outcomes
    } catch IngestError.fileRefused(let path, let reason) {
      if let file = opened.last(where: { $0.path == path }) {
        try recordRefused(file, reason: reason, source: source, cumulative: true)
      }
      let because = "source \"\(source)\": the delivery was refused whole because \(path) was refused; nothing of it was loaded"
      let all = paths.map { p in
        p == path
          ? FileOutcome(path: p, status: .refused, reason: reason, source: source)
          : FileOutcome(path: p, status: .refused, reason: "not loaded: another file of its delivery was refused", source: source, deliveryRefusal: because)
      }
      for o in all { log(o) }
      return all
    } catch let refused as DeliveryRefused {
      let all = paths.map {
        FileOutcome(path: $0, status: .refused, reason: refused.message, source: source, deliveryRefusal: refused.message)
      }
      logger.error("delivery refused", metadata: ["source": "\(source)", "withdraw": "\(refused.withdraw)", "current": "\(refused.current)"])
      return all
    }
  }

  /// Records a refused file. The same file refused again for the same
  /// reason changes nothing.
  private func recordRefused(_ file: Opened, reason: String, source: String?, cumulative: Bool = false) throws {
    try db.write { db in
      let known = try Bool.fetchOne(
        db, sql: "SELECT 1 FROM source_file WHERE sha256 = ? AND path = ? AND status = 'refused' AND error = ?",
        arguments: [file.scan.sha256, file.path, reason])
      if known == true { return }
      try db.execute(
        sql: """
          INSERT INTO source_file (path, sha256, format, status, error, ingested_at, source, cumulative)
          VALUES (?, ?, ?, 'refused', ?, ?, ?, ?)
          """,
        arguments: [file.path, file.scan.sha256, file.format.rawValue, reason, Self.timestamp(), source, cumulative])
    }
  }

  /// Loads one file inside the current transaction. `loaded` is called once
  /// the file's rows are written, before its indexes are rebuilt.
  private func load(
    _ db: Database, _ file: Opened, options: IngestOptions, source: String?, delivery: Delivery?, loaded: () -> Void
  ) throws -> FileOutcome {
    let started = monotonicTime()
    let path = file.path
    var outcome = FileOutcome(path: path, status: .loaded, source: source)
    let writerCPU0 = threadCPUTime()
    let fileId = try insertSourceFile(db, path: path, scan: file.scan, format: file.format, encoding: file.encoding, source: source)
    let writer = try IngestWriter(db: db, fileId: fileId, path: path)
    let bulk = BulkLoad(db: db, estimatedRows: file.scan.size / BulkLoad.bytesPerRowEstimate)
    let load = FileLoad(writer: writer, bulk: bulk, delivery: delivery, progress: progress)
    var plan = FileReadPlan(path: path, format: file.format, encoding: file.encoding, profile: options.profile)
    // The unchanged shortcut reads beside this transaction, so only in WAL
    // mode, and only tables the transaction has not written (its delivery's
    // earlier files): what it reads is then what this file meets.
    if file.format == .csv, try readableBeside(db) {
      plan.unchanged = UnchangedLookup.Config(
        path: self.db.path, kinds: Set(RecordKind.allCases).subtracting(delivery?.loadedKinds ?? []))
    }
    let fingerprints = RecordText()
    let read = try IngestPipeline.run(plan) { batch in
      batch.fillFingerprints(fingerprints)
      try load.apply(batch)
    }
    writer.closeCursors()
    let loadedAt = monotonicTime()
    loaded()
    try bulk.finish()
    let counts = load.counts
    logger.debug(
      "file load timing",
      metadata: [
        "file": "\(path)", "rows": "\(counts.read)", "fast_rows": "\(read.fastRows)",
        "unchanged_rows": "\(read.unchangedRows)", "seconds": "\(fmt(monotonicTime() - started))",
        "indexes_seconds": "\(fmt(monotonicTime() - loadedAt))",
        "reader_cpu": "\(fmt(read.readerCPU))", "reader_waited": "\(fmt(read.readerWaited))",
        "writer_cpu": "\(fmt(threadCPUTime() - writerCPU0))", "writer_waited": "\(fmt(read.writerWaited))",
      ])
    let kind = file.format == .xml ? "mixed" : read.kind.map { $0.rawValue + "s" } ?? "events"
    delivery?.added(file: fileId, kind: kind)
    let skipped = read.skips.values.reduce(0, +)
    try db.execute(
      sql: """
        UPDATE source_file SET kind = ?, export_date = ?, rows_read = ?, rows_accepted = ?,
          rows_rejected = ?, records_replaced = ?, rows_skipped = ?, records_added = ?, records_unchanged = ?
        WHERE id = ?
        """,
      arguments: [
        kind, read.exportDate?.iso, counts.read + skipped, counts.accepted, counts.rejected, counts.replaced, skipped,
        counts.added, counts.unchanged, fileId,
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
    outcome.recordsAdded = counts.added
    outcome.recordsUnchanged = counts.unchanged
    return outcome
  }

  private func fmt(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

  /// The unchanged shortcut (UnchangedLookup) and the delivery's snapshot
  /// scan (SourceSnapshot): off only to prove, in tests, that they change
  /// nothing (`MOMAUDIT_NO_UNCHANGED_SHORTCUT=1`).
  static let unchangedShortcut = ProcessInfo.processInfo.environment["MOMAUDIT_NO_UNCHANGED_SHORTCUT"] == nil

  /// Whether another connection can read the database as committed beside
  /// the current transaction: a file in WAL mode.
  private func readableBeside(_ db: Database) throws -> Bool {
    guard Self.unchangedShortcut, FileManager.default.fileExists(atPath: self.db.path) else { return false }
    return try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() == "wal"
  }

  /// SQLite page cache while loading, in KiB (the default is 2 MB).
  static let cacheKiB = 32 * 1024

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
