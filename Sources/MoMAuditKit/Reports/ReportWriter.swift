import Foundation

/// Writes report files atomically (temporary name, then rename) with mode
/// 0640 in a folder of mode 0750, so a reader never sees a half-written file
/// and only the owner and group can read patient data.
package struct ReportWriter {
  package let folder: String

  package init(folder: String) throws {
    self.folder = folder
    let fm = FileManager.default
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: folder, isDirectory: &isDir) {
      guard isDir.boolValue else { throw AuditError.cannotWrite(path: folder, reason: "not a folder") }
    } else {
      do {
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
      } catch {
        throw AuditError.cannotWrite(path: folder, reason: "cannot create the folder")
      }
    }
    _ = chmod(folder, 0o750)
  }

  /// Fails now, with exit 73, when the folder cannot take a file: `run`
  /// calls this before it ingests, so a bad `--out` leaves the database as it was.
  package func probe() throws {
    let temp = (folder as NSString).appendingPathComponent(".probe.tmp-\(getpid())")
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw AuditError.cannotWrite(path: folder, reason: String(cString: strerror(errno))) }
    close(fd)
    unlink(temp)
  }

  package func write(_ name: String, _ text: String) throws {
    try stream(name) { try $0.append(text) }
  }

  /// Writes `name` from `body`, which appends to a buffered sink: the file
  /// is never held whole in memory (the report stage streams its CSVs from
  /// database cursors). Temporary name, fsync, mode 0640, then rename; on
  /// any error the temporary file is removed and the old file stays.
  package func stream(_ name: String, _ body: (inout FileSink) throws -> Void) throws {
    let final = (folder as NSString).appendingPathComponent(name)
    let temp = (folder as NSString).appendingPathComponent(".\(name).tmp-\(getpid())")
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw AuditError.cannotWrite(path: final, reason: String(cString: strerror(errno))) }
    var sink = FileSink(fd: fd)
    do {
      try body(&sink)
      try sink.flush()
      if fsync(fd) != 0 { throw FileSink.Failure(errno: errno) }
    } catch let failure as FileSink.Failure {
      close(fd)
      unlink(temp)
      throw AuditError.cannotWrite(path: final, reason: String(cString: strerror(failure.errno)))
    } catch {
      close(fd)
      unlink(temp)
      throw error
    }
    _ = fchmod(fd, 0o640)
    close(fd)
    guard rename(temp, final) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temp)
      throw AuditError.cannotWrite(path: final, reason: reason)
    }
  }
}

/// A file descriptor with a 256 KiB buffer in front of it.
package struct FileSink {
  struct Failure: Error { var errno: Int32 }

  let fd: Int32
  var buffer: [UInt8] = []
  static let capacity = 256 * 1024

  init(fd: Int32) {
    self.fd = fd
    buffer.reserveCapacity(Self.capacity)
  }

  package mutating func append(_ text: String) throws {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= Self.capacity { try flush() }
  }

  /// One CSV record (CSVWriter.appendLine), written straight into the buffer.
  package mutating func appendCSVLine(_ cells: [String?]) throws {
    CSVWriter.appendLine(cells, to: &buffer)
    if buffer.count >= Self.capacity { try flush() }
  }

  mutating func flush() throws {
    var offset = 0
    while offset < buffer.count {
      let n = buffer[offset...].withUnsafeBufferPointer { Foundation.write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { throw Failure(errno: n < 0 ? errno : EIO) }
      offset += n
    }
    buffer.removeAll(keepingCapacity: true)
  }
}
