/// Turns a reader's `RawRow` into a normalised record, or the first problem
/// that rejects it. Never guesses: a value that does not parse as its kind
/// rejects the row.
package enum RowValidator {
  package enum Outcome: Sendable {
    case procedure(ProcedureRecord)
    case event(EventRecord, warnings: [RecordWarning])
    case result(ResultRecord)
    case exception(ExceptionRecord)
  }

  package static func validate(_ row: RawRow) -> Result<Outcome, RowProblem> {
    if let p = row.readProblem { return .failure(p) }
    do {
      switch row.kind {
      case .procedure: return .success(.procedure(try procedure(row)))
      case .event:
        let (e, w) = try event(row)
        return .success(.event(e, warnings: w))
      case .result: return .success(.result(try result(row)))
      case .exception: return .success(.exception(try exception(row)))
      }
    } catch let p as RowProblem {
      return .failure(p)
    } catch {
      return .failure(RowProblem(field: nil, code: "INTERNAL", message: "\(error)"))
    }
  }

  // MARK: procedures

  static func procedure(_ row: RawRow) throws -> ProcedureRecord {
    var r = Reader(row: row)
    try r.requirePresent(Field.requiredProcedureFields)
    let id = try r.required(.procedureId)
    let nhs = try r.nhsNumber()
    let date = try r.requiredDate(.procedureDate)
    if let export = row.exportDate, date > export {
      throw RowProblem(
        field: Field.procedureDate.name, code: "DATE_AFTER_EXPORT",
        message: "procedure_date: \(date.iso) is after the export date \(export.iso)")
    }
    let side: Side = try r.requiredCode(.side)
    let type: ProcedureType = try r.requiredCode(.procedureType)
    // Optional: blank or absent is unknown (the implant library may decide).
    let bearing: Bearing = try r.optionalCode(.bearing) ?? .unknown
    let sex: Sex = try r.optionalCode(.sex) ?? .unknown
    let dob = try r.optionalDate(.dateOfBirth)
    var head: Double? = nil
    if let h = try r.optionalNumber(.headDiameterMm) {
      guard h >= 20, h <= 80 else {
        throw RowProblem(
          field: Field.headDiameterMm.name, code: "OUT_OF_RANGE",
          message: "head_diameter_mm: \(r.quoted(.headDiameterMm)) is outside 20–80 mm")
      }
      head = h
    }
    return ProcedureRecord(
      procedureId: id, nhsNumber: nhs, localPatientId: r.text(.localPatientId), sex: sex,
      dateOfBirth: dob, procedureDate: date, side: side, procedureType: type, bearing: bearing,
      headDiameterMm: head, femoralComponent: r.text(.femoralComponent),
      acetabularComponent: r.text(.acetabularComponent), stemComponent: r.text(.stemComponent),
      manufacturer: r.text(.manufacturer), opcsCode: r.text(.opcsCode), trustCode: r.text(.trustCode),
      siteCode: r.text(.siteCode), consultantCode: r.text(.consultantCode))
  }

  // MARK: events

  static func event(_ row: RawRow) throws -> (EventRecord, [RecordWarning]) {
    var r = Reader(row: row)
    try r.requirePresent(Field.requiredEventFields)
    let id = try r.required(.eventId)
    let nhs = try r.nhsNumber()
    let date = try r.requiredDate(.eventDate)
    let type: EventType = try r.requiredCode(.eventType)
    let side: EventSide? = try r.optionalCode(.side)
    // Every field must parse as its kind, whether or not it belongs to this type.
    let symptomatic = try r.optionalBoolean(.symptomatic)
    let ohs = try r.optionalNumber(.oxfordHipScore)
    let cobalt = try r.optionalLabValue(.cobalt)
    let chromium = try r.optionalLabValue(.chromium)
    let unit: IonUnit? = try r.optionalCode(.ionUnit)
    let sample: SampleType? = try r.optionalCode(.sampleType)
    let finding: ImagingFinding? = try r.optionalCode(.imagingFinding)

    var e = EventRecord(
      eventId: id, nhsNumber: nhs, eventDate: date, eventType: type, side: side,
      note: r.text(.note))
    var warnings: [RecordWarning] = []
    switch type {
    case .review:
      e.symptomatic = symptomatic
      if let s = ohs {
        guard let whole = NumberValue.wholeNumber(s), (0...48).contains(whole) else {
          throw RowProblem(
            field: Field.oxfordHipScore.name, code: "OUT_OF_RANGE",
            message: "oxford_hip_score: \(r.quoted(.oxfordHipScore)) is not a whole number 0–48")
        }
        e.oxfordHipScore = whole
      }
    case .bloodMetalIons:
      guard cobalt != nil || chromium != nil else {
        throw RowProblem(
          field: "cobalt", code: "MISSING_FIELD",
          message: "cobalt, chromium: an ion test needs at least one of cobalt and chromium")
      }
      guard let unit else {
        throw RowProblem(
          field: Field.ionUnit.name, code: "MISSING_FIELD", message: "ion_unit: an ion test needs a unit")
      }
      for (value, field) in [(cobalt, Field.cobalt), (chromium, Field.chromium)] {
        if let v = value, v.number < 0 {
          throw RowProblem(
            field: field.name, code: "NEGATIVE_VALUE", message: "\(field.name): \(r.quoted(field)) is negative")
        }
      }
      e.cobalt = cobalt?.number
      e.cobaltComparator = cobalt?.comparator
      e.chromium = chromium?.number
      e.chromiumComparator = chromium?.comparator
      e.ionUnit = unit
      e.sampleType = sample ?? .wholeBlood
    case .marsMRI, .ultrasound, .xray:
      e.imagingFinding = finding
    default:
      break
    }
    if let export = row.exportDate, date > export {
      warnings.append(
        RecordWarning(
          code: "RECORD_AFTER_EXPORT_DATE",
          detail: "event dated \(date.iso), after the export date \(export.iso)"))
    }
    return (e, warnings)
  }

  // MARK: results

  /// Analyte names (folded): cobalt or chromium, and their synonyms.
  static let analytes: [String: Metal] = [
    "cobalt": .cobalt, "co": .cobalt, "blood cobalt": .cobalt, "cobalt blood": .cobalt,
    "chromium": .chromium, "cr": .chromium, "blood chromium": .chromium, "chromium blood": .chromium,
  ]

  /// Laboratories' names of whole blood (folded), besides `whole_blood`:
  /// exactly the contract's list (`whole blood` with a space is not in it).
  static let wholeBloodSpecimens = ["blood", "edta blood", "edta whole blood", "whole blood edta"]

  /// Specimens: the sample types, and the usual names of whole blood.
  static func specimen(_ text: String) -> SampleType? {
    if let s = SampleType(code: text) { return s }
    return wholeBloodSpecimens.contains(foldCase(text)) ? .wholeBlood : nil
  }

  /// The id a row's record has (or would have had): its id field, or for a
  /// results file without `result_id` its `sample_id/analyte` when both are
  /// readable. A rejected row's id keeps its record current (sources.md §3)
  /// and shows in rejects.csv.
  static func recordId(_ row: RawRow) -> String? {
    if let id = row[row.kind.idField] { return id.isEmpty ? nil : id }
    guard row.kind == .result, let sample = row[.sampleId], !sample.isEmpty, let a = row[.analyte],
      let analyte = analytes[foldCase(a)]
    else { return nil }
    return sample + "/" + analyte.rawValue
  }

  static func result(_ row: RawRow) throws -> ResultRecord {
    let r = Reader(row: row)
    // In a file without a result_id column, the id is sample_id/analyte.
    let implicitId = row[.resultId] == nil
    try r.requirePresent(implicitId ? [.sampleId] : [.resultId])
    try r.requirePresent(Field.requiredResultFields)
    let nhs = try r.nhsNumber()
    let date = try r.requiredDate(.sampleDate)
    guard let analyte = analytes[foldCase(try r.required(.analyte))] else {
      throw RowProblem(
        field: Field.analyte.name, code: "UNKNOWN_CODE",
        message: "analyte: unknown analyte \(r.quoted(.analyte)) (cobalt or chromium)")
    }
    guard let value = try r.optionalLabValue(.value) else {
      throw RowProblem(field: Field.value.name, code: "MISSING_FIELD", message: "value: required value is blank")
    }
    if value.number < 0 {
      throw RowProblem(field: Field.value.name, code: "NEGATIVE_VALUE", message: "value: \(r.quoted(.value)) is negative")
    }
    guard let unit = IonUnit(code: try r.required(.unit)) else {
      throw RowProblem(field: Field.unit.name, code: "UNKNOWN_CODE", message: "unit: unknown code \(r.quoted(.unit))")
    }
    var specimen = SampleType.wholeBlood
    if let s = r.value(.specimen) {
      guard let v = Self.specimen(s) else {
        throw RowProblem(
          field: Field.specimen.name, code: "UNKNOWN_CODE", message: "specimen: unknown code \(r.quoted(.specimen))")
      }
      specimen = v
    }
    let sampleId = r.text(.sampleId)
    let id = implicitId ? (sampleId ?? "") + "/" + analyte.rawValue : try r.required(.resultId)
    return ResultRecord(
      resultId: id, nhsNumber: nhs, sampleId: sampleId, sampleDate: date, analyte: analyte, value: value.number,
      comparator: value.comparator, unit: unit, specimen: specimen, note: r.text(.note))
  }

  /// An exception (registry-export.md, Exceptions). `review_by` before
  /// `recorded_on` rejects the row; one too far after it is loaded (the
  /// check warns `EXCEPTION_TOO_LONG` and never applies it).
  static func exception(_ row: RawRow) throws -> ExceptionRecord {
    let r = Reader(row: row)
    try r.requirePresent(Field.requiredExceptionFields)
    let id = try r.required(.exceptionId)
    let nhs = try r.nhsNumber()
    let finding: ExceptionFinding = try r.requiredCode(.finding)
    let reason: ExceptionReason = try r.requiredCode(.reason)
    let recordedBy = try r.required(.recordedBy)
    let recordedOn = try r.requiredDate(.recordedOn)
    let reviewBy = try r.requiredDate(.reviewBy)
    guard reviewBy >= recordedOn else {
      throw RowProblem(
        field: Field.reviewBy.name, code: "REVIEW_BEFORE_RECORDED",
        message: "review_by: \(reviewBy.iso) is before recorded_on \(recordedOn.iso)")
    }
    return ExceptionRecord(
      exceptionId: id, nhsNumber: nhs, finding: finding, procedureId: r.text(.procedureId), reason: reason,
      recordedBy: recordedBy, recordedOn: recordedOn, reviewBy: reviewBy, note: r.text(.note))
  }

  /// Field access with the reject messages in one place.
  struct Reader {
    let row: RawRow

    func value(_ f: Field) -> String? {
      guard let v = row[f], !v.isEmpty else { return nil }
      return v
    }

    func text(_ f: Field) -> String? { value(f) }

    /// Quoted raw value for messages, shortened; never used for NHS numbers or notes.
    func quoted(_ f: Field) -> String {
      let v = row[f] ?? ""
      let short = v.count > 40 ? String(v.prefix(40)) + "…" : v
      return "\"" + short + "\""
    }

    func requirePresent(_ fields: [Field]) throws {
      for f in fields where value(f) == nil {
        throw RowProblem(field: f.name, code: "MISSING_FIELD", message: "\(f.name): required value is blank")
      }
    }

    func required(_ f: Field) throws -> String {
      guard let v = value(f) else {
        throw RowProblem(field: f.name, code: "MISSING_FIELD", message: "\(f.name): required value is blank")
      }
      return v
    }

    func nhsNumber() throws -> String {
      switch NHSNumber.normalise(try required(.nhsNumber)) {
      case .success(let n): return n
      case .failure(let p):
        throw RowProblem(field: Field.nhsNumber.name, code: "INVALID_NHS_NUMBER", message: "nhs_number: " + p.message)
      }
    }

    func requiredDate(_ f: Field) throws -> LocalDate {
      guard let d = try optionalDate(f) else {
        throw RowProblem(field: f.name, code: "MISSING_FIELD", message: "\(f.name): required value is blank")
      }
      return d
    }

    func optionalDate(_ f: Field) throws -> LocalDate? {
      guard let v = value(f) else { return nil }
      switch DateValue.check(v) {
      case .date(let d): return d
      case .invalidDate:
        throw RowProblem(
          field: f.name, code: "INVALID_DATE",
          message: "\(f.name): \(quoted(f)) is not a valid date (YYYY-MM-DD, DD/MM/YYYY, YYYYMMDD or D-Mon-YYYY)")
      case .invalidTime:
        throw RowProblem(
          field: f.name, code: "INVALID_DATE",
          message: "\(f.name): \(quoted(f)) has an invalid time of day (HH:MM, HH:MM:SS, 00:00–23:59)")
      }
    }

    func requiredCode<C: CodedValue>(_ f: Field) throws -> C {
      guard let c: C = try optionalCode(f) else {
        throw RowProblem(field: f.name, code: "MISSING_FIELD", message: "\(f.name): required value is blank")
      }
      return c
    }

    func optionalCode<C: CodedValue>(_ f: Field) throws -> C? {
      guard let v = value(f) else { return nil }
      guard let c = C(code: v) else {
        throw RowProblem(field: f.name, code: "UNKNOWN_CODE", message: "\(f.name): unknown code \(quoted(f))")
      }
      return c
    }

    func optionalNumber(_ f: Field) throws -> Double? {
      guard let v = value(f) else { return nil }
      guard let d = NumberValue.parse(v) else {
        throw RowProblem(field: f.name, code: "INVALID_NUMBER", message: "\(f.name): \(quoted(f)) is not a number")
      }
      return d
    }

    /// A laboratory value: a number or a censored number (`<0.5`).
    func optionalLabValue(_ f: Field) throws -> LabValue? {
      guard let v = value(f) else { return nil }
      switch LabValue.parse(v) {
      case .value(let lab): return lab
      case .notANumber:
        throw RowProblem(
          field: f.name, code: "INVALID_NUMBER",
          message: "\(f.name): \(quoted(f)) is not a number or a censored number (<0.5, >=200)")
      case .impossible:
        throw RowProblem(
          field: f.name, code: "INVALID_NUMBER", message: "\(f.name): \(quoted(f)) allows no possible value")
      }
    }

    func optionalBoolean(_ f: Field) throws -> Bool? {
      guard let v = value(f) else { return nil }
      guard let b = BooleanValue.parse(v) else {
        throw RowProblem(field: f.name, code: "INVALID_BOOLEAN", message: "\(f.name): \(quoted(f)) is not yes/no")
      }
      return b
    }
  }
}

/// A data-quality warning raised while validating a record that is still loaded.
package struct RecordWarning: Equatable, Sendable {
  package var code: String
  package var detail: String
}

/// Shortest decimal form of a number, without a trailing `.0` for whole values.
package func formatNumber(_ v: Double) -> String {
  if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
  return String(v)
}
