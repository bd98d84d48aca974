import CLibXML2
import Foundation

/// The XML reader's fast path (issue 5): a `<procedure>` or `<event>` whose
/// attributes (and its patient's) are short printable ASCII is handed over as
/// bytes, without a String per attribute or a raw text built with String
/// interpolation. The row's values sit in `row` (a ByteRow, trimmed, the
/// element's attributes after its patient's, as `RawRow` would hold them);
/// `raw` and `location` are the bytes `RawRow.raw` and `.location` would
/// hold, valid during the call only (the buffers are reused). A consumer
/// that cannot accept the row returns false and gets the `RawRow` instead.
struct XMLFastRow {
  let kind: RecordKind
  let line: Int
  let row: ByteRow
  let raw: UnsafeBufferPointer<UInt8>
  let location: UnsafeBufferPointer<UInt8>
  let exportDate: LocalDate?
}

/// Canonical fields of attribute names, by libxml2's interned name pointer
/// (the same name is the same pointer for the whole document). A document
/// uses a dozen or two names, so a short list searched in order beats a
/// hash per attribute; past `limit` names (a strange document) the rest
/// are looked up by their text each time.
struct AttributeFields {
  private var names: [UnsafeRawPointer] = []
  private var fields: [Field?] = []
  static let limit = 64

  init() {
    names.reserveCapacity(Self.limit)
    fields.reserveCapacity(Self.limit)
  }

  mutating func field(_ name: UnsafePointer<xmlChar>) -> Field? {
    let key = UnsafeRawPointer(name)
    for i in names.indices where names[i] == key { return fields[i] }
    let field = Field.xmlNamed(String(cString: name))
    if names.count < Self.limit {
      names.append(key)
      fields.append(field)
    }
    return field
  }
}

/// Attributes of one element as bytes: (field or nil, name span, value span)
/// in a buffer, in document order.
struct XMLAttributeBytes {
  var bytes: [UInt8] = []
  var items: [(field: Field?, name: Range<Int>, value: Range<Int>)] = []
  /// Every value is printable ASCII of at most 200 bytes, and every name is ASCII.
  var plain = true

  init() {
    bytes.reserveCapacity(1024)
    items.reserveCapacity(32)
  }

  /// Reads an element's unqualified attributes (namespace declarations
  /// are not attributes in SAX2). `fields` maps libxml2's interned name
  /// pointers to canonical fields.
  mutating func read(_ attrs: SAXAttributes, _ fields: inout AttributeFields) {
    bytes.removeAll(keepingCapacity: true)
    items.removeAll(keepingCapacity: true)
    plain = true
    for i in 0..<attrs.count where attrs.uri(i) == nil {
      guard let name = attrs.name(i) else { continue }
      let field = fields.field(name)
      let n0 = bytes.count
      let nameBytes = UnsafeBufferPointer(start: name, count: strlen(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self)))
      for c in nameBytes where c >= 0x80 { plain = false }
      bytes.append(contentsOf: nameBytes)
      let v0 = bytes.count
      attrs.appendValue(i, to: &bytes)
      for c in bytes[v0...] where c < 0x20 || c > 0x7E { plain = false }
      if bytes.count - v0 > 200 { plain = false }
      items.append((field, n0..<v0, v0..<bytes.count))
    }
  }

  /// ` name="value"` for each attribute (`rawText`'s rendering; no value is
  /// long enough to be cut).
  func render(into out: inout [UInt8]) {
    bytes.withUnsafeBufferPointer { b in
      for item in items {
        out.append(0x20)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[item.name]))
        out.append(0x3D)
        out.append(0x22)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[item.value]))
        out.append(0x22)
      }
    }
  }

  /// The attributes as Strings (the full path's `attributes`).
  func strings() -> [(String, String)] {
    bytes.withUnsafeBufferPointer { b in
      items.map {
        (
          String(decoding: UnsafeBufferPointer(rebasing: b[$0.name]), as: UTF8.self),
          String(decoding: UnsafeBufferPointer(rebasing: b[$0.value]), as: UTF8.self)
        )
      }
    }
  }

  /// Appends the allowed fields' values to `values` and records their spans.
  func collect(into values: inout [UInt8], spans: inout [(Field, Range<Int>)], allowed: [Bool]) {
    bytes.withUnsafeBufferPointer { b in
      for item in items {
        guard let f = item.field, allowed[f.rawValue] else { continue }
        let start = values.count
        values.append(contentsOf: UnsafeBufferPointer(rebasing: b[item.value]))
        spans.append((f, start..<values.count))
      }
    }
  }
}

/// The attributes SAX2's `startElementNs` hands over: five pointers each
/// (local name, prefix, namespace URI, value start, value end), the values
/// pointing into the parser's input and valid during the callback only.
struct SAXAttributes {
  let base: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
  let count: Int

  func name(_ i: Int) -> UnsafePointer<xmlChar>? { base![5 * i] }
  func uri(_ i: Int) -> UnsafePointer<xmlChar>? { base![5 * i + 2] }

  /// Appends the value of attribute `i`. Without entity substitution
  /// (`XML_PARSE_NOENT` stays off) libxml2 hands an escaped `&` over as the
  /// five bytes `&#38;`, which its tree builder decodes when it builds the
  /// attribute node; so does this. Every other reference is already decoded,
  /// and a literal `&` cannot appear, so each `&#38;` is one `&`.
  func appendValue(_ i: Int, to out: inout [UInt8]) {
    guard let start = base![5 * i + 3], let end = base![5 * i + 4] else { return }
    let value = UnsafeBufferPointer(start: start, count: end - start)
    guard memchr(start, 0x26, value.count) != nil else {
      out.append(contentsOf: value)
      return
    }
    var j = 0
    while j < value.count {
      if value[j] == 0x26, j + 4 < value.count, value[j + 1] == 0x23, value[j + 2] == 0x33, value[j + 3] == 0x38,
        value[j + 4] == 0x3B
      {
        out.append(0x26)
        j += 5
      } else {
        out.append(value[j])
        j += 1
      }
    }
  }

  /// The value of the first unqualified attribute called `name`, if any
  /// (without a String per attribute).
  func string(named name: StaticString) -> String? {
    for i in 0..<count where uri(i) == nil {
      guard let n = self.name(i), strlen(UnsafeRawPointer(n).assumingMemoryBound(to: CChar.self)) == name.utf8CodeUnitCount,
        memcmp(n, name.utf8Start, name.utf8CodeUnitCount) == 0
      else { continue }
      var value: [UInt8] = []
      appendValue(i, to: &value)
      return String(decoding: value, as: UTF8.self)
    }
    return nil
  }
}
