import Foundation
import GRDB
import Logging

/// Opens the audit database and brings its schema up to date.
///
/// The database holds every patient's NHS number, date of birth and notes,
/// so it is private to its owner (outputs.md): a new database file is
/// created 0600 whatever the umask, and SQLite gives its journal, WAL and
/// shared-memory files the database file's own mode (it sets the mode of
/// every file it creates to its database's). An existing database that
/// others can read is opened as it is, with one warning.
package enum AuditDatabase {
  /// Permission bits of a database, its side files and its lock file.
  package static let privateMode: mode_t = 0o600

  package static func open(path: String, logger: Logger? = nil) throws -> DatabaseQueue {
    var config = Configuration()
    config.busyMode = .timeout(5)
    config.label = "momaudit"
    do {
      let dir = (path as NSString).deletingLastPathComponent
      if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
        throw AuditError.cannotWrite(path: path, reason: "folder \(dir) does not exist")
      }
      try createPrivately(path: path, logger: logger)
      let queue = try DatabaseQueue(path: path, configuration: config)
      try queue.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA journal_mode = WAL")
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
        try db.execute(sql: "PRAGMA foreign_keys = ON")
      }
      try refuseNewerSchema(queue, path: path)
      try Schema.migrator.migrate(queue)
      return queue
    } catch let e as AuditError {
      throw e
    } catch let e as DatabaseError {
      throw AuditError.database(path: path, reason: e.message ?? "\(e.resultCode)")
    }
  }

  /// Creates the database file 0600 when it does not exist (before SQLite
  /// does, with the umask's mode); warns once when an existing one can be
  /// read or written by others. Changes nothing of an existing file.
  static func createPrivately(path: String, logger: Logger?) throws {
    var st = stat()
    if stat(path, &st) == 0 {
      let mode = st.st_mode & 0o777
      if mode & 0o077 != 0 {
        logger?.warning(
          "the database can be read or written by others than its owner; it holds patient data: chmod 600 it (and its -wal, -shm and .lock files)",
          metadata: ["file": "\(path)", "mode": "\(String(format: "%04o", mode))"])
      }
      return
    }
    let fd = Foundation.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, privateMode)
    if fd < 0 {
      if errno == EEXIST { return }  // created by another process meanwhile
      throw AuditError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    _ = fchmod(fd, privateMode)
  }

  /// A database migrated by a newer momaudit has columns this version does
  /// not know (withdrawn records, say): reading it as if they were not there
  /// would audit the wrong records, so it is refused.
  static func refuseNewerSchema(_ queue: DatabaseQueue, path: String) throws {
    let known = Set(Schema.migrator.migrations)
    let applied = try queue.read { db in
      try db.tableExists("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
    }
    if let newer = applied.first(where: { !known.contains($0) }) {
      throw AuditError.database(
        path: path,
        reason: "a newer version of momaudit migrated this database (migration \"\(newer)\"); use that version, or restore the backup taken before the upgrade")
    }
  }

  /// An in-memory database with the schema, for tests.
  package static func inMemory() throws -> DatabaseQueue {
    let queue = try DatabaseQueue()
    try Schema.migrator.migrate(queue)
    return queue
  }
}

/// The single-writer lock of one database: `flock` on `<db>.lock`, which the
/// kernel releases when the holder dies, so a stale lock never blocks cron.
/// The file records who holds it, for the message of a run that is refused.
package final class RunLock {
  private let fd: Int32
  package let path: String

  package init(databasePath: String, command: String) throws {
    path = databasePath + ".lock"
    // A new lock file is private whatever the umask; an existing one keeps its mode.
    var fd = Foundation.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, AuditDatabase.privateMode)
    if fd >= 0 {
      _ = fchmod(fd, AuditDatabase.privateMode)
    } else if errno == EEXIST {
      fd = Foundation.open(path, O_RDWR | O_CLOEXEC)
    }
    guard fd >= 0 else {
      throw AuditError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      var buf = [UInt8](repeating: 0, count: 512)
      let n = pread(fd, &buf, 511, 0)
      let holder = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown holder"
      close(fd)
      throw AuditError.locked(path: databasePath, holder: holder.isEmpty ? "unknown holder" : holder)
    }
    self.fd = fd
    let info = "\(command), pid \(getpid()), started \(ISO8601DateFormatter().string(from: Date()))\n"
    _ = ftruncate(fd, 0)
    _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
  }

  deinit {
    _ = ftruncate(fd, 0)
    flock(fd, LOCK_UN)
    close(fd)
  }
}
