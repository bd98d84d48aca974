import CLibXML2
import Foundation

/// Streams an XML registry export (registry-export.md, "XML") with libxml2's
/// SAX2 push parser, handing each `<procedure>` and `<event>` that is a child
/// of a `<patient>` over as a `RawRow`. Memory stays flat whatever the size.
///
/// Security: a DOCTYPE, DTD or entity refuses the document (the caller's
/// prescan refuses `<!DOCTYPE`/`<!ENTITY` before libxml2 sees a byte, and the
/// parser's DTD and entity callbacks refuse it again and stop the parser); the
/// parser runs with `XML_PARSE_NONET` and without
/// `XML_PARSE_NOENT`/`XML_PARSE_DTDLOAD`, so nothing outside the document is
/// ever read.
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
    try withoutActuallyEscaping(body) { body in
      try Parse(fast: fast, body: body).run(path: path, encoding: encoding)
    }
  }

  /// One document's parse with libxml2's SAX2 push parser (issue 14). The
  /// parser hands each start tag over with its attributes as pointers into
  /// its input: no node per element and no attribute nodes, which is what
  /// `xmlTextReader` costs (a loop over the 1/10 export: 1.1 s with the
  /// text reader, 0.43 s with SAX2, same elements and attributes). The
  /// callbacks are C functions; they find this object through the parser's
  /// user data, and an error thrown inside one is kept and stops the parser.
  private final class Parse {
    // One thread, one parse, and no property is accessed while a mutation
    // of it is under way: the runtime's exclusivity checks (4 % of the
    // reading thread in perf) are left out.
    let fast: ((borrowing XMLFastRow, RawRow?) throws -> Bool)?
    let body: (RawRow) throws -> Void
    @exclusivity(unchecked) var ctxt: xmlParserCtxtPtr? = nil
    /// An error thrown inside a callback: the parse stops and this is thrown.
    @exclusivity(unchecked) var failure: Error? = nil
    /// libxml2's first error (first line of its message) and its line.
    @exclusivity(unchecked) var errorMessage: String? = nil
    @exclusivity(unchecked) var errorLine = 0

    @exclusivity(unchecked) var stack: [Frame] = []
    @exclusivity(unchecked) var exportDate: LocalDate? = nil
    @exclusivity(unchecked) var patientIndex = 0
    @exclusivity(unchecked) var procedureIndex = 0
    @exclusivity(unchecked) var eventIndex = 0
    @exclusivity(unchecked) var components: [(ComponentRole?, String, String)] = []  // role, raw role, text
    @exclusivity(unchecked) var componentTooLong = false
    /// The `<component>` being read: its role as found, and its text so far
    /// (every descendant text and CDATA, as `xmlTextReaderReadString` gave it).
    @exclusivity(unchecked) var component: (role: ComponentRole?, rawRole: String)? = nil
    @exclusivity(unchecked) var componentText: [UInt8] = []
    /// The text node the tree builder would be growing (1 text, 2 CDATA, 0
    /// none) and its length: libxml2 refuses a text node over 10,000,000
    /// bytes, and the reader built nodes, so this reader keeps that limit.
    @exclusivity(unchecked) var runKind = 0
    @exclusivity(unchecked) var runLength = 0
    // Attributes as bytes; Strings only when a row takes the full path.
    @exclusivity(unchecked) var fieldCache = AttributeFields()
    @exclusivity(unchecked) var patientBytes = XMLAttributeBytes()
    @exclusivity(unchecked) var patientStrings: [(String, String)]? = nil
    /// `<patient` and its attributes as `rawText` renders them, once per patient.
    @exclusivity(unchecked) var patientRaw: [UInt8] = []
    @exclusivity(unchecked) var elementBytes = XMLAttributeBytes()
    // The procedure whose end tag is awaited: line, index, fast.
    @exclusivity(unchecked) var pending: (line: Int, index: Int, fast: Bool)? = nil
    let byteRow = ByteRow()
    @exclusivity(unchecked) var values: [UInt8] = []
    @exclusivity(unchecked) var spans: [(Field, Range<Int>)] = []
    @exclusivity(unchecked) var rawBytes: [UInt8] = []
    @exclusivity(unchecked) var locationBytes: [UInt8] = []

    init(fast: ((borrowing XMLFastRow, RawRow?) throws -> Bool)?, body: @escaping (RawRow) throws -> Void) {
      self.fast = fast
      self.body = body
    }

    static let chunkSize = 256 * 1024

    func run(path: String, encoding: TextEncoding) throws -> LocalDate? {
      cxml_silence_generic_errors()  // per thread; libxml2 must never print document bytes
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { throw Refusal(reason: "cannot open the document") }
      defer { close(fd) }
      let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Self.chunkSize)
      defer { buffer.deallocate() }
      func readChunk(_ count: Int) throws -> Int {
        var n = 0
        while n < count {
          let r = read(fd, buffer + n, count - n)
          if r < 0 {
            if errno == EINTR { continue }
            throw Refusal(reason: "cannot read the document")
          }
          if r == 0 { break }
          n += r
        }
        return n
      }

      var handler = xmlSAXHandler()
      handler.initialized = UInt32(XML_SAX2_MAGIC)
      handler.startElementNs = { ctx, localname, _, uri, _, _, count, _, attributes in
        Parse.from(ctx).startElement(localname, uri, Int(count), attributes)
      }
      handler.endElementNs = { ctx, _, _, _ in Parse.from(ctx).endElement() }
      handler.characters = { ctx, bytes, count in Parse.from(ctx).text(bytes, Int(count), kind: 1) }
      handler.ignorableWhitespace = handler.characters
      handler.cdataBlock = { ctx, bytes, count in Parse.from(ctx).text(bytes, Int(count), kind: 2) }
      handler.comment = { ctx, _ in Parse.from(ctx).runKind = 0 }
      handler.processingInstruction = { ctx, _, _ in Parse.from(ctx).runKind = 0 }
      // A DOCTYPE, an entity declaration or an entity left unexpanded
      // (the caller's prescan has already refused the first two).
      handler.internalSubset = { ctx, _, _, _ in Parse.from(ctx).refuseDTD() }
      handler.externalSubset = { ctx, _, _, _ in Parse.from(ctx).refuseDTD() }
      handler.entityDecl = { ctx, _, _, _, _, _ in Parse.from(ctx).refuseDTD() }
      handler.reference = { ctx, _ in Parse.from(ctx).refuseDTD() }
      handler.serror = { ctx, error in
        guard let ctx, let error else { return }
        let p = Parse.from(ctx)
        if p.errorMessage == nil {
          // First line only: libxml2 goes on to quote the offending input bytes.
          let full = error.pointee.message.map { String(cString: $0) } ?? "malformed XML"
          var msg = String(full.split(separator: "\n", omittingEmptySubsequences: true).first ?? "malformed XML")
          while msg.last?.isWhitespace == true { msg.removeLast() }
          p.errorMessage = msg
          p.errorLine = Int(error.pointee.line)
        }
      }

      // As `xmlReaderForFile` sets its parser up: the first four bytes (for
      // the encoding's detection), the options, then the declared encoding.
      // BIG_LINES is kept from the reader; the SAX line counter is an int.
      let options = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
          | XML_PARSE_BIG_LINES.rawValue)
      let first = try readChunk(4)
      let user = Unmanaged.passUnretained(self).toOpaque()
      guard let ctxt = xmlCreatePushParserCtxt(&handler, user, first == 4 ? buffer : nil, first == 4 ? 4 : 0, path)
      else { throw Refusal(reason: "cannot open the document") }
      defer { xmlFreeParserCtxt(ctxt) }
      self.ctxt = ctxt
      xmlCtxtUseOptions(ctxt, options)
      if let h = xmlFindCharEncodingHandler(encoding == .utf8 ? "UTF-8" : "WINDOWS-1252") {
        xmlSwitchToEncoding(ctxt, h)
      }
      var pendingBytes = first == 4 ? 0 : first
      while true {
        let n = pendingBytes > 0 ? pendingBytes : try readChunk(Self.chunkSize)
        pendingBytes = 0
        let r = xmlParseChunk(ctxt, buffer, Int32(n), n == 0 ? 1 : 0)
        if let failure { throw failure }
        if r != 0 || ctxt.pointee.wellFormed == 0 { throw malformed() }
        if let rootRefusal { throw rootRefusal }
        if n == 0 { break }
      }
      return exportDate
    }

    static func from(_ ctx: UnsafeMutableRawPointer?) -> Parse {
      Unmanaged<Parse>.fromOpaque(ctx!).takeUnretainedValue()
    }

    func malformed() -> Refusal {
      let where_ = errorLine > 0 ? "line \(errorLine): " : ""
      return Refusal(reason: "malformed XML: " + where_ + (errorMessage ?? "parse error"))
    }

    /// Keeps the first error thrown in a callback and stops the parser.
    func fail(_ error: Error) {
      guard failure == nil else { return }
      failure = error
      xmlStopParser(ctxt)
    }

    /// A refusal of the root element (its name, namespace or exportDate),
    /// held until the parser has gone on: libxml2 reports a start tag cut
    /// off at the end of the file (`<registry`) after handing it over, and
    /// that document is malformed XML first, as the text reader found.
    @exclusivity(unchecked) var rootRefusal: Refusal? = nil

    /// Whether a callback should do its work: not after a failure, and a
    /// held root refusal becomes the failure at the next callback.
    @inline(__always) func live() -> Bool {
      guard failure == nil else { return false }
      if let r = rootRefusal {
        fail(r)
        return false
      }
      return true
    }

    func refuseDTD() {
      fail(Refusal(reason: "the document has a DTD or entity declaration, which is not allowed"))
    }

    /// The line the parser is on: where the current start tag closes (the
    /// line the reader's element node recorded, exact past 65,535 too).
    var line: Int { Int(ctxt!.pointee.input.pointee.line) }

    func text(_ bytes: UnsafePointer<xmlChar>?, _ count: Int, kind: Int) {
      guard live(), let bytes else { return }
      if runKind == kind {
        if runLength + count > 10_000_000 {
          // The tree builder's message, as the reader reported it.
          if errorMessage == nil {
            errorMessage = "xmlSAX2Characters: huge text node"
            errorLine = line
          }
          fail(malformed())
          return
        }
        runLength += count
      } else {
        runKind = kind
        runLength = count
      }
      if component != nil { componentText.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count)) }
    }

    func startElement(
      _ localname: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?, _ count: Int,
      _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    ) {
      guard live() else { return }
      runKind = 0
      do {
        try start(localname, uri, SAXAttributes(base: attributes, count: count))
      } catch let r as Refusal where stack.isEmpty {
        rootRefusal = r
      } catch {
        fail(error)
      }
    }

    func start(_ localname: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?, _ attrs: SAXAttributes) throws {
      // Compared as C strings: no String per element (issue 5).
      let name = XMLExportReader.elementName(localname)
      let inNS = uri.map { XMLExportReader.equal($0, XMLExportReader.namespaceBytes) } ?? false
      var frame = Frame.ignored
      switch stack.last {
      case nil:
        guard inNS, name == .registryExport else {
          let ns = uri.map { String(cString: $0) }
          throw Refusal(
            reason: "the root element is not <registryExport> in namespace \(XMLExportReader.namespace)"
              + (ns.map { " (found namespace \($0))" } ?? " (no namespace)"))
        }
        if let text = attrs.string(named: "exportDate") {
          let trimmed = String(trimUnicodeWhitespace(Substring(text)))
          guard let d = DateValue.parse(trimmed) else {
            throw Refusal(reason: "exportDate \"\(trimmed.prefix(40))\" is not a valid date")
          }
          exportDate = d
        }
        frame = .root
      case .root?:
        if inNS, name == .patient {
          patientIndex += 1
          procedureIndex = 0
          eventIndex = 0
          patientBytes.read(attrs, &fieldCache)
          patientRaw.removeAll(keepingCapacity: true)
          patientRaw.append(contentsOf: "<patient".utf8)
          patientBytes.render(into: &patientRaw)
          patientStrings = nil
          frame = .patient
        }
      case .patient?:
        if inNS, name == .procedure || name == .event {
          let line = self.line
          elementBytes.read(attrs, &fieldCache)
          let plain = fast != nil && patientBytes.plain && elementBytes.plain
          if name == .procedure {
            // Handed over at its end tag, with its components (an empty
            // element's end comes straight after its start).
            procedureIndex += 1
            pending = (line, procedureIndex, plain)
            components = []
            componentTooLong = false
            frame = .procedure
          } else {
            eventIndex += 1
            let handled = plain ? try tryFast(.event, line: line, index: eventIndex, withComponents: false) : false
            if !handled { try body(try slowRow(.event, line: line, index: eventIndex, withComponents: false)) }
          }
        }
      case .procedure?:
        if inNS, name == .component {
          let rawRole = attrs.string(named: "role") ?? ""
          component = (ComponentRole(code: XMLExportReader.trimmed(rawRole)), rawRole)
          componentText.removeAll(keepingCapacity: true)
          frame = .component
        }
      case .component?, .ignored?:
        break
      }
      stack.append(frame)
    }

    func endElement() {
      guard live() else { return }
      runKind = 0
      switch stack.popLast() {
      case .component?:
        if let (role, rawRole) = component {
          let text = String(decoding: componentText, as: UTF8.self)
          if componentText.count > FieldLimits.maxFieldBytes { componentTooLong = true }
          components.append((role, rawRole, XMLExportReader.trimmed(text)))
          component = nil
        }
      case .procedure?:
        guard let p = pending else { return }
        pending = nil
        do {
          let handled = p.fast ? try tryFast(.procedure, line: p.line, index: p.index, withComponents: true) : false
          if !handled { try body(try slowRow(.procedure, line: p.line, index: p.index, withComponents: true)) }
        } catch {
          fail(error)
        }
      default:
        break
      }
    }

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
      row.raw = XMLExportReader.rawText(patient: patient, element: name, attrs: attrs)
      let allowed = kind == .procedure ? XMLExportReader.procedureAttributes : XMLExportReader.eventAttributes
      for list in [patient, attrs] {
        for (k, v) in list {
          if v.utf8.count > FieldLimits.maxFieldBytes, row.readProblem == nil {
            row.readProblem = RowProblem(
              field: k, code: "FIELD_TOO_LONG",
              message: "\(k): longer than \(FieldLimits.maxFieldBytes) bytes")
          }
          if let f = Field.xmlNamed(k), allowed[f.rawValue] { row[f] = XMLExportReader.trimmed(v) }
        }
      }
      if withComponents { XMLExportReader.finishProcedure(&row, components, componentTooLong) }
      return row
    }

    /// The fast path for the current element (and, for a procedure, its
    /// components). Returns false when it does not apply.
    func tryFast(_ kind: RecordKind, line: Int, index: Int, withComponents: Bool) throws -> Bool {
      guard let fast else { return false }
      let name: StaticString = kind == .procedure ? "procedure" : "event"
      values.removeAll(keepingCapacity: true)
      spans.removeAll(keepingCapacity: true)
      let allowed = kind == .procedure ? XMLExportReader.procedureAttributes : XMLExportReader.eventAttributes
      patientBytes.collect(into: &values, spans: &spans, allowed: allowed)
      elementBytes.collect(into: &values, spans: &spans, allowed: allowed)
      rawBytes.removeAll(keepingCapacity: true)
      rawBytes.append(contentsOf: patientRaw)
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
      let exportDate = self.exportDate
      let byteRow = self.byteRow
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
  }

  private static func finishProcedure(
    _ row: inout RawRow, _ components: [(ComponentRole?, String, String)], _ tooLong: Bool
  ) {
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
}
