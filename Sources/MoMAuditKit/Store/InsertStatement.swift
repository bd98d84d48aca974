import GRDB

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// A value bound to a statement parameter as GRDB binds it: text, integer
/// (a Bool as 0 or 1), real, or NULL for nil.
protocol SQLiteBindable {
  func bind(_ s: SQLiteStatement, _ index: Int32)
}

/// SQLite copies the bytes before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension String: SQLiteBindable {
  @inline(__always) func bind(_ s: SQLiteStatement, _ index: Int32) {
    let done: Void? = utf8.withContiguousStorageIfAvailable {
      sqlite3_bind_text(s, index, $0.baseAddress, Int32($0.count), transient)
    }
    if done == nil {
      var text = self
      text.withUTF8 { sqlite3_bind_text(s, index, $0.baseAddress, Int32($0.count), transient) }
    }
  }
}

extension Int: SQLiteBindable {
  @inline(__always) func bind(_ s: SQLiteStatement, _ index: Int32) { sqlite3_bind_int64(s, index, Int64(self)) }
}

extension Int64: SQLiteBindable {
  @inline(__always) func bind(_ s: SQLiteStatement, _ index: Int32) { sqlite3_bind_int64(s, index, self) }
}

extension Double: SQLiteBindable {
  @inline(__always) func bind(_ s: SQLiteStatement, _ index: Int32) { sqlite3_bind_double(s, index, self) }
}

extension Bool: SQLiteBindable {
  @inline(__always) func bind(_ s: SQLiteStatement, _ index: Int32) { sqlite3_bind_int64(s, index, self ? 1 : 0) }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
  @inline(__always) func bind(_ s: SQLiteStatement, _ index: Int32) {
    if let value = self { value.bind(s, index) } else { sqlite3_bind_null(s, index) }
  }
}

/// An INSERT run many times with its values bound through SQLite's C API
/// (the check's run tables): GRDB's `execute(arguments:)` boxes every value
/// in an existential and an array, measured at a quarter of the check's
/// writing thread (issue 14); the values stored are the same.
struct InsertStatement {
  let statement: Statement

  init(_ db: Database, sql: String) throws {
    statement = try db.makeStatement(sql: sql)
  }

  /// Binds the values to parameters 1, 2, … in order and runs the statement.
  func execute<each Value: SQLiteBindable>(_ values: repeat each Value) throws {
    let s = statement.sqliteStatement
    var index: Int32 = 0
    for value in repeat each values {
      index += 1
      value.bind(s, index)
    }
    precondition(index == sqlite3_bind_parameter_count(s), "values for every parameter")
    let rc = sqlite3_step(s)
    sqlite3_reset(s)
    guard rc == SQLITE_DONE else {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(s))),
        sql: statement.sql)
    }
  }
}
