import Foundation
import MoMAuditKit

/// Fuzz targets for the CSV reader, the XML reader and the value normalisers.
///
/// Built normally, `momaudit-fuzz TARGET FILE_OR_FOLDER...` replays inputs
/// (the seed corpus and every crash found so far, see Fuzz/README.md).
/// Built by `make fuzz` with `-sanitize=fuzzer -DFUZZING`, the same entry
/// point becomes libFuzzer's `LLVMFuzzerTestOneInput`, the target chosen by
/// `MOMAUDIT_FUZZ_TARGET` (csv, xml, values).
enum FuzzTarget: String, CaseIterable {
  case csv, xml, values

  /// Must never crash, hang or grow without bound, whatever the bytes.
  func run(_ bytes: [UInt8]) {
    switch self {
    case .csv: FuzzTarget.csvTarget(bytes)
    case .xml: FuzzTarget.xmlTarget(bytes)
    case .values: FuzzTarget.valuesTarget(bytes)
    }
  }

  static func csvTarget(_ bytes: [UInt8]) {
    for encoding in TextEncoding.allCases {
      guard let records = try? CSVReader.records(in: bytes, encoding: encoding), let header = records.first else { continue }
      // Treat the first record as a header of either kind and validate the rest.
      for kind in [RecordKind.procedure, .event] {
        let columns = header.fields.map { Field.named(foldCase($0)) }
        for r in records.dropFirst() {
          var row = RawRow(kind: kind, line: r.line, raw: r.raw)
          for (i, f) in columns.enumerated() where i < r.fields.count {
            if let f { row[f] = String(trimUnicodeWhitespace(Substring(r.fields[i]))) }
          }
          _ = RowValidator.validate(row)
        }
      }
    }
  }

  static let scratch: String = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return (dir as NSString).appendingPathComponent("momaudit-fuzz-\(getpid()).xml")
  }()

  static func xmlTarget(_ bytes: [UInt8]) {
    guard FileManager.default.createFile(atPath: scratch, contents: Data(bytes)) else { return }
    guard let scan = try? FileScan.scan(path: scratch) else { return }
    // As the ingester does: DOCTYPE/ENTITY never reach libxml2.
    if scan.containsDoctypeOrEntity || scan.looksLikeUTF16 { return }
    guard let encoding = try? scan.chooseEncoding(forced: nil, path: scratch) else { return }
    _ = try? XMLExportReader(path: scratch, encoding: encoding).forEachRow { row in
      _ = RowValidator.validate(row)
    }
  }

  static func valuesTarget(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let trimmed = String(trimUnicodeWhitespace(Substring(text)))
    _ = DateValue.parse(trimmed)
    // The byte parser must agree with itself on the same text (String and bytes).
    if case .date(let d) = DateValue.check(trimmed), DateValue.parse(trimmed) != d { fatalError("date paths differ") }
    // A profile (or any small TOML document) never crashes the reader.
    if let tree = try? StructuredFile.parseTOML(text) {
      _ = try? Profile.parse(tree, path: "fuzz")
      _ = try? SourcesManifest.parse(tree, path: "/nonexistent/fuzz.toml")
    }
    if case .value(let v) = LabValue.parse(trimmed) {
      _ = v.position(against: 7)
      _ = v.isHigher(than: v)
      _ = v.text
    }
    _ = NHSNumber.normalise(trimmed)
    if let d = NumberValue.parse(trimmed) { _ = NumberValue.wholeNumber(d) }
    _ = BooleanValue.parse(trimmed)
    _ = containsASRToken(text)
    _ = foldCase(text)
    _ = Bearing(code: trimmed)
    _ = EventType(code: trimmed)
    _ = IonUnit(code: trimmed)
    _ = CSVWriter.cell(text)
    _ = htmlEscape(text)
    if let d = LocalDate(iso: trimmed) {
      _ = d.addingMonths(Int(bytes.first ?? 0))
      _ = d.human
    }
  }
}

#if FUZZING
  private let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["MOMAUDIT_FUZZ_TARGET"] ?? ""
    guard let t = FuzzTarget(rawValue: name) else {
      fatalError("set MOMAUDIT_FUZZ_TARGET to one of csv, xml, values")
    }
    return t
  }()

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selected.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
  }

  /// libFuzzer's driver, entered from our own `main` (SwiftPM renames an
  /// executable's entry point, so libFuzzer's `main` is not the one linked).
  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
  ) -> CInt

  @main
  struct FuzzDriver {
    static func main() {
      var argc = CommandLine.argc
      var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
      exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
  }
#else
  @main
  struct FuzzReplay {
    static func main() {
      let args = CommandLine.arguments.dropFirst()
      guard let name = args.first, let target = FuzzTarget(rawValue: name), args.count >= 2 else {
        FileHandle.standardError.write(Data("usage: momaudit-fuzz csv|xml|values FILE_OR_FOLDER...\n".utf8))
        exit(64)
      }
      var count = 0
      for path in args.dropFirst() {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
        let files = isDir.boolValue
          ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { (path as NSString).appendingPathComponent($0) }
          : [path]
        for f in files {
          guard let data = FileManager.default.contents(atPath: f) else { continue }
          target.run(Array(data))
          count += 1
        }
      }
      print("\(target.rawValue): \(count) inputs replayed without a crash")
    }
  }
#endif
