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
    var patientAttrs: [(String, String)] = []
    var patientIndex = 0
    var childIndex: [String: Int] = [:]
    var current: RawRow? = nil
    var components: [(ComponentRole?, String, String)] = []  // role, raw role, text
    var componentTooLong = false

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
        let name = Self.string(xmlTextReaderConstLocalName(reader)) ?? ""
        let ns = Self.string(xmlTextReaderConstNamespaceUri(reader))
        let inNS = ns == Self.namespace
        let isEmpty = xmlTextReaderIsEmptyElement(reader) == 1
        // The element's own start-tag line (the parser's position has read ahead).
        let line = xmlTextReaderCurrentNode(reader).map { Int(xmlGetLineNo($0)) } ?? Int(xmlTextReaderGetParserLineNumber(reader))
        var frame = Frame.ignored
        switch stack.last {
        case nil:
          guard inNS, name == "registryExport" else {
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
          if inNS, name == "patient" {
            patientIndex += 1
            childIndex = [:]
            patientAttrs = try Self.attributes(reader)
            frame = .patient
          }
        case .patient?:
          if inNS, name == "procedure" || name == "event" {
            let kind: RecordKind = name == "procedure" ? .procedure : .event
            childIndex[name, default: 0] += 1
            let location = "/registryExport/patient[\(patientIndex)]/\(name)[\(childIndex[name]!)]"
            let attrs = try Self.attributes(reader)
            var row = RawRow(kind: kind, line: line, location: location, raw: "")
            row.exportDate = exportDate
            row.raw = Self.rawText(patient: patientAttrs, element: name, attrs: attrs)
            for (k, v) in patientAttrs + attrs {
              if v.utf8.count > FieldLimits.maxFieldBytes, row.readProblem == nil {
                row.readProblem = RowProblem(
                  field: k, code: "FIELD_TOO_LONG",
                  message: "\(k): longer than \(FieldLimits.maxFieldBytes) bytes")
              }
              if let f = Field.xmlNamed(k), kind.fields.contains(f),
                ![.femoralComponent, .acetabularComponent, .stemComponent].contains(f)
              {
                row[f] = String(trimUnicodeWhitespace(Substring(v)))
              }
            }
            if kind == .procedure && !isEmpty {
              current = row
              components = []
              componentTooLong = false
              frame = .procedure
            } else {
              try body(row)
            }
          }
        case .procedure?:
          if inNS, name == "component" {
            let attrs = try Self.attributes(reader)
            let rawRole = attrs.first(where: { $0.0 == "role" })?.1 ?? ""
            let role = ComponentRole(code: String(trimUnicodeWhitespace(Substring(rawRole))))
            let text = isEmpty ? "" : (Self.owned(xmlTextReaderReadString(reader)) ?? "")
            if text.utf8.count > FieldLimits.maxFieldBytes { componentTooLong = true }
            components.append((role, rawRole, String(trimUnicodeWhitespace(Substring(text)))))
            frame = .component
          }
        case .component?, .ignored?:
          break
        }
        if !isEmpty { stack.append(frame) }
      case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
        let frame = stack.popLast()
        if frame == .procedure, var row = current {
          try finishProcedure(&row, components, componentTooLong)
          current = nil
          try body(row)
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

  private static func rawText(patient: [(String, String)], element: String, attrs: [(String, String)]) -> String {
    func render(_ a: [(String, String)]) -> String {
      a.map { " \($0.0)=\"\($0.1.count > 200 ? String($0.1.prefix(200)) + "…" : $0.1)\"" }.joined()
    }
    return "<patient\(render(patient))><\(element)\(render(attrs))>"
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
