import CLibXML2

/// Streams an XML registry export (registry-export.md, "XML") with libxml2's
/// `xmlTextReader`, handing each `<procedure>` and `<event>` that is a child
/// of a `<patient>` over as a `RawRow`. Memory stays flat whatever the size.
///
/// Security: a DOCTYPE, DTD or entity refuses the document (the caller's
/// prescan refuses `<!DOCTYPE`/`<!ENTITY` before libxml2 sees a byte, and the
/// reader refuses the node types again); the parser runs with `XML_PARSE_NONET`
/// and without `XML_PARSE_NOENT`/`XML_PARSE_DTDLOAD`, so nothing outside the
/// document is ever read.
package struct XMLExportReader {
  package static let namespace = "urn:momaudit:registry-export:1"
  package let path: String
  package let encoding: TextEncoding

  package init(path: String, encoding: TextEncoding) {
    self.path = path
    self.encoding = encoding
  }

  /// Thrown for a document that must be refused as a whole.
  package struct Refusal: Error, Equatable {
    package var reason: String
  }

  /// Collects libxml2's first error, so nothing is printed to stderr.
  final class ErrorBox {
    var message: String?
    var line: Int = 0
  }

  private enum Frame { case root, patient, procedure, component, ignored }

  /// Calls `body` for each row; returns the export date.
  @discardableResult
  package func forEachRow(_ body: (RawRow) throws -> Void) throws -> LocalDate? {
    try forEachRow(fast: nil, body)
  }

  /// Calls `fast` for each row whose attributes are short printable ASCII
  /// (XMLFastRow; debug builds pass the RawRow the row would have been, for
  /// checking), and `body` for the others and for those `fast` declines.
  @discardableResult
  func forEachRow(
    fast: ((borrowing XMLFastRow, RawRow?) throws -> Bool)?, _ body: (RawRow) throws -> Void
  ) throws -> LocalDate? {
    // BIG_LINES: element line numbers past 65,535 stay exact.
    let options = Int32(
      XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_BIG_LINES.rawValue)
    let encodingName = encoding == .utf8 ? "UTF-8" : "WINDOWS-1252"
    cxml_silence_generic_errors()  // per thread; libxml2 must never print document bytes
    guard let reader = xmlReaderForFile(path, encodingName, options) else {
      throw Refusal(reason: "cannot open the document")
    }
    defer { xmlFreeTextReader(reader) }
    let box = ErrorBox()
    let unmanaged = Unmanaged.passRetained(box)
    defer { unmanaged.release() }
    xmlTextReaderSetStructuredErrorHandler(
      reader,
      { ctx, error in
        guard let ctx, let error else { return }
        let box = Unmanaged<ErrorBox>.fromOpaque(ctx).takeUnretainedValue()
        if box.message == nil {
          // First line only: libxml2 goes on to quote the offending input bytes.
          let full = error.pointee.message.map { String(cString: $0) } ?? "malformed XML"
          var msg = String(full.split(separator: "\n", omittingEmptySubsequences: true).first ?? "malformed XML")
          while msg.last?.isWhitespace == true { msg.removeLast() }
          box.message = msg
          box.line = Int(error.pointee.line)
        }
      }, unmanaged.toOpaque())

    var stack: [Frame] = []
    var exportDate: LocalDate? = nil
    var patientIndex = 0
    var procedureIndex = 0
    var eventIndex = 0
    var components: [(ComponentRole?, String, String)] = []  // role, raw role, text
    var componentTooLong = false
    // Attributes as bytes; Strings only when a row takes the full path.
    var fieldCache = AttributeFields()
    var patientBytes = XMLAttributeBytes()
    var patientStrings: [(String, String)]? = nil
    var elementBytes = XMLAttributeBytes()
    // The procedure whose end tag is awaited: kind, line, index, fast.
    var pending: (line: Int, index: Int, fast: Bool)? = nil
    let byteRow = ByteRow()
    var values: [UInt8] = []
    var spans: [(Field, Range<Int>)] = []
    var rawBytes: [UInt8] = []
    var locationBytes: [UInt8] = []

    func patientAttrs() -> [(String, String)] {
      if let p = patientStrings { return p }
      let p = patientBytes.strings()
      patientStrings = p
      return p
    }

    /// The row as the full path reads it.
    func slowRow(_ kind: RecordKind, line: Int, index: Int, withComponents: Bool) throws -> RawRow {
      let name = kind == .procedure ? "procedure" : "event"
      let attrs = elementBytes.strings()
      let patient = patientAttrs()
      var row = RawRow(kind: kind, line: line, location: "/registryExport/patient[\(patientIndex)]/\(name)[\(index)]", raw: "")
      row.exportDate = exportDate
      row.raw = Self.rawText(patient: patient, element: name, attrs: attrs)
      let allowed = kind == .procedure ? Self.procedureAttributes : Self.eventAttributes
      for list in [patient, attrs] {
        for (k, v) in list {
          if v.utf8.count > FieldLimits.maxFieldBytes, row.readProblem == nil {
            row.readProblem = RowProblem(
              field: k, code: "FIELD_TOO_LONG",
              message: "\(k): longer than \(FieldLimits.maxFieldBytes) bytes")
          }
          if let f = Field.xmlNamed(k), allowed[f.rawValue] { row[f] = Self.trimmed(v) }
        }
      }
      if withComponents { try finishProcedure(&row, components, componentTooLong) }
      return row
    }

    /// The fast path for the current element (and, for a procedure, its
    /// components). Returns false when it does not apply.
    func tryFast(_ kind: RecordKind, line: Int, index: Int, withComponents: Bool) throws -> Bool {
      guard let fast else { return false }
      let name: StaticString = kind == .procedure ? "procedure" : "event"
      values.removeAll(keepingCapacity: true)
      spans.removeAll(keepingCapacity: true)
      let allowed = kind == .procedure ? Self.procedureAttributes : Self.eventAttributes
      patientBytes.collect(into: &values, spans: &spans, allowed: allowed)
      elementBytes.collect(into: &values, spans: &spans, allowed: allowed)
      rawBytes.removeAll(keepingCapacity: true)
      rawBytes.append(contentsOf: "<patient".utf8)
      patientBytes.render(into: &rawBytes)
      rawBytes.append(contentsOf: "><".utf8)
      rawBytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
      elementBytes.render(into: &rawBytes)
      rawBytes.append(0x3E)
      if withComponents, !components.isEmpty {
        // finishProcedure's work, for known roles and ASCII text only.
        guard !componentTooLong else { return false }
        var summaryBytes = 0
        for (role, rawRole, text) in components {
          guard role != nil, rawRole.utf8.allSatisfy({ $0 < 0x80 }), text.utf8.allSatisfy({ $0 < 0x80 }) else { return false }
          summaryBytes += 35 + rawRole.utf8.count + text.utf8.count
        }
        guard summaryBytes <= CSVReader.rawLimit else { return false }
        for target in [ComponentRole.femoral, .acetabular, .stem] {
          let start = values.count
          for (role, _, text) in components where role == target && !text.isEmpty {
            if values.count > start { values.append(contentsOf: "; ".utf8) }
            values.append(contentsOf: text.utf8)
          }
          if values.count > start {
            spans.append((target == .femoral ? .femoralComponent : target == .acetabular ? .acetabularComponent : .stemComponent, start..<values.count))
          }
        }
        for (_, rawRole, text) in components {
          rawBytes.append(contentsOf: "<component role=\"".utf8)
          rawBytes.append(contentsOf: rawRole.utf8)
          rawBytes.append(contentsOf: "\">".utf8)
          rawBytes.append(contentsOf: text.utf8)
          rawBytes.append(contentsOf: "</component>".utf8)
        }
      }
      locationBytes.removeAll(keepingCapacity: true)
      locationBytes.append(contentsOf: "/registryExport/patient[".utf8)
      locationBytes.append(contentsOf: String(patientIndex).utf8)
      locationBytes.append(contentsOf: "]/".utf8)
      locationBytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
      locationBytes.append(0x5B)
      locationBytes.append(contentsOf: String(index).utf8)
      locationBytes.append(0x5D)
      var debugRow: RawRow? = nil
      assert({
        debugRow = try? slowRow(kind, line: line, index: index, withComponents: withComponents)
        return true
      }())
      return try values.withUnsafeBufferPointer { v in
        try rawBytes.withUnsafeBufferPointer { r in
          try locationBytes.withUnsafeBufferPointer { l in
            byteRow.start(v.baseAddress ?? UnsafePointer(r.baseAddress!))
            for (f, range) in spans { byteRow.set(f, range.lowerBound, range.upperBound) }
            return try fast(
              XMLFastRow(kind: kind, line: line, row: byteRow, raw: r, location: l, exportDate: exportDate), debugRow)
          }
        }
      }
    }

    func refuse(_ reason: String) -> Refusal { Refusal(reason: reason) }

    while true {
      let r = xmlTextReaderRead(reader)
      if r == 0 { break }
      if r < 0 {
        let where_ = box.line > 0 ? "line \(box.line): " : ""
        throw refuse("malformed XML: " + where_ + (box.message ?? "parse error"))
      }
      let type = xmlTextReaderNodeType(reader)
      switch type {
      case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue), Int32(XML_READER_TYPE_ENTITY.rawValue),
        Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
        throw refuse("the document has a DTD or entity declaration, which is not allowed")
      case Int32(XML_READER_TYPE_ELEMENT.rawValue):
        // Compared as C strings: no String per element (issue 5). The
        // namespace URI is read from the node (libxml2's accessor looks it
        // up in its dictionary each time); Strings only for the refusal.
        let namePointer = xmlTextReaderConstLocalName(reader)
        let name = Self.elementName(namePointer)
        let node = xmlTextReaderCurrentNode(reader)
        let href = node?.pointee.ns?.pointee.href
        let inNS = href.map { Self.equal($0, Self.namespaceBytes) } ?? false
        let isEmpty = xmlTextReaderIsEmptyElement(reader) == 1
        // The element's own start-tag line (the parser's position has read ahead).
        let line = node.map { Int(xmlGetLineNo($0)) } ?? Int(xmlTextReaderGetParserLineNumber(reader))
        var frame = Frame.ignored
        switch stack.last {
        case nil:
          guard inNS, name == .registryExport else {
            let ns = Self.string(xmlTextReaderConstNamespaceUri(reader))
            throw refuse(
              "the root element is not <registryExport> in namespace \(Self.namespace)"
                + (ns.map { " (found namespace \($0))" } ?? " (no namespace)"))
          }
          let attrs = try Self.attributes(reader)
          if let text = attrs.first(where: { $0.0 == "exportDate" })?.1 {
            let trimmed = String(trimUnicodeWhitespace(Substring(text)))
            guard let d = DateValue.parse(trimmed) else {
              throw refuse("exportDate \"\(trimmed.prefix(40))\" is not a valid date")
            }
            exportDate = d
          }
          frame = .root
        case .root?:
          if inNS, name == .patient {
            patientIndex += 1
            procedureIndex = 0
            eventIndex = 0
            patientBytes.read(reader, &fieldCache)
            patientStrings = nil
            frame = .patient
          }
        case .patient?:
          if inNS, name == .procedure || name == .event {
            let kind: RecordKind = name == .procedure ? .procedure : .event
            let index: Int
            if kind == .procedure {
              procedureIndex += 1
              index = procedureIndex
            } else {
              eventIndex += 1
              index = eventIndex
            }
            elementBytes.read(reader, &fieldCache)
            let plain = fast != nil && patientBytes.plain && elementBytes.plain
            if kind == .procedure && !isEmpty {
              pending = (line, index, plain)
              components = []
              componentTooLong = false
              frame = .procedure
            } else {
              let handled = plain ? try tryFast(kind, line: line, index: index, withComponents: false) : false
              if !handled { try body(try slowRow(kind, line: line, index: index, withComponents: false)) }
            }
          }
        case .procedure?:
          if inNS, name == .component {
            let attrs = try Self.attributes(reader)
            let rawRole = attrs.first(where: { $0.0 == "role" })?.1 ?? ""
            let role = ComponentRole(code: Self.trimmed(rawRole))
            let text = isEmpty ? "" : (Self.owned(xmlTextReaderReadString(reader)) ?? "")
            if text.utf8.count > FieldLimits.maxFieldBytes { componentTooLong = true }
            components.append((role, rawRole, Self.trimmed(text)))
            frame = .component
          }
        case .component?, .ignored?:
          break
        }
        if !isEmpty { stack.append(frame) }
      case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
        let frame = stack.popLast()
        if frame == .procedure, let p = pending {
          pending = nil
          let handled = p.fast ? try tryFast(.procedure, line: p.line, index: p.index, withComponents: true) : false
          if !handled { try body(try slowRow(.procedure, line: p.line, index: p.index, withComponents: true)) }
        }
      default:
        break
      }
    }
    return exportDate
  }

  private func finishProcedure(
    _ row: inout RawRow, _ components: [(ComponentRole?, String, String)], _ tooLong: Bool
  ) throws {
    var byRole: [ComponentRole: [String]] = [:]
    for (role, rawRole, text) in components {
      guard let role else {
        if row.readProblem == nil {
          let shown = rawRole.count > 40 ? String(rawRole.prefix(40)) + "…" : rawRole
          row.readProblem = RowProblem(
            field: "component", code: "UNKNOWN_CODE", message: "component: unknown role \"\(shown)\"")
        }
        continue
      }
      if !text.isEmpty { byRole[role, default: []].append(text) }
    }
    if tooLong, row.readProblem == nil {
      row.readProblem = RowProblem(
        field: "component", code: "FIELD_TOO_LONG", message: "component: longer than \(FieldLimits.maxFieldBytes) bytes")
    }
    row[.femoralComponent] = byRole[.femoral]?.joined(separator: "; ")
    row[.acetabularComponent] = byRole[.acetabular]?.joined(separator: "; ")
    row[.stemComponent] = byRole[.stem]?.joined(separator: "; ")
    let summary = components.map { "<component role=\"\($0.1)\">\($0.2)</component>" }.joined()
    if !summary.isEmpty { row.raw += String(summary.prefix(CSVReader.rawLimit)) }
  }

  /// Unqualified attributes of the current element, in document order.
  private static func attributes(_ reader: xmlTextReaderPtr) throws -> [(String, String)] {
    var out: [(String, String)] = []
    guard xmlTextReaderHasAttributes(reader) == 1 else { return out }
    while xmlTextReaderMoveToNextAttribute(reader) == 1 {
      if xmlTextReaderIsNamespaceDecl(reader) == 1 { continue }
      if xmlTextReaderConstNamespaceUri(reader) != nil { continue }
      let name = string(xmlTextReaderConstLocalName(reader)) ?? ""
      let value = string(xmlTextReaderConstValue(reader)) ?? ""
      out.append((name, value))
    }
    xmlTextReaderMoveToElement(reader)
    return out
  }

  /// `<patient …><element …>`, each value cut to 200 characters with a `…`.
  private static func rawText(patient: [(String, String)], element: String, attrs: [(String, String)]) -> String {
    var out = "<patient"
    out.reserveCapacity(512)
    func render(_ a: [(String, String)]) {
      for (k, v) in a {
        out += " "
        out += k
        out += "=\""
        // At most 200 bytes is at most 200 characters: count only longer values.
        if v.utf8.count > 200, v.count > 200 {
          out += String(v.prefix(200))
          out += "…"
        } else {
          out += v
        }
        out += "\""
      }
    }
    render(patient)
    out += "><"
    out += element
    render(attrs)
    out += ">"
    return out
  }

  /// The canonical fields an element's (and its patient's) attributes may
  /// set, by `Field.rawValue`; components come only as child elements.
  private static let procedureAttributes: [Bool] = Field.allCases.map {
    Field.procedureFields.contains($0) && ![.femoralComponent, .acetabularComponent, .stemComponent].contains($0)
  }
  private static let eventAttributes: [Bool] = Field.allCases.map { Field.eventFields.contains($0) }

  /// `trimUnicodeWhitespace`, with no work for text whose first and last
  /// characters are ASCII and not whitespace (the usual case).
  @inline(__always) static func trimmed(_ s: String) -> String {
    if let f = s.utf8.first, let l = s.utf8.last, f < 0x80, l < 0x80, !isASCIIWhitespace(f), !isASCIIWhitespace(l) {
      return s
    }
    return String(trimUnicodeWhitespace(Substring(s)))
  }

  /// The elements the export is made of; `other` for any other name.
  private enum ElementName { case registryExport, patient, procedure, event, component, other }

  private static let elementNames: [(ElementName, [xmlChar])] = [
    (.registryExport, Array("registryExport".utf8) + [0]), (.patient, Array("patient".utf8) + [0]),
    (.procedure, Array("procedure".utf8) + [0]), (.event, Array("event".utf8) + [0]),
    (.component, Array("component".utf8) + [0]),
  ]

  private static let namespaceBytes: [xmlChar] = Array(namespace.utf8) + [0]

  private static func equal(_ p: UnsafePointer<xmlChar>, _ bytes: [xmlChar]) -> Bool {
    bytes.withUnsafeBufferPointer { xmlStrEqual(p, $0.baseAddress!) == 1 }
  }

  private static func elementName(_ p: UnsafePointer<xmlChar>?) -> ElementName {
    guard let p else { return .other }
    return elementNames.first { equal(p, $0.1) }?.0 ?? .other
  }

  private static func string(_ p: UnsafePointer<xmlChar>?) -> String? {
    guard let p else { return nil }
    return String(cString: p)
  }

  private static func owned(_ p: UnsafeMutablePointer<xmlChar>?) -> String? {
    guard let p else { return nil }
    defer { cxml_free(p) }
    return String(cString: p)
  }
}
