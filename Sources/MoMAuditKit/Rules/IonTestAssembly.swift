/// Results (one analyte per row) assembled into ion tests at check time
/// (registry-export.md, "Results", "Assembly"). An assembled test is then an
/// ion event like any other (`blood_metal_ions`, side none): the rules do not
/// know where a test came from.
package enum IonTestAssembly {
  /// One patient's results dated ≤ D → their ion tests, and the warnings of
  /// the assembly (`SAMPLE_DATES_DIFFER`, `CONFLICTING_RESULTS`).
  ///
  /// - Results sharing a `sample_id` and a specimen form one test; results
  ///   with a blank `sample_id` form one test per sample date and specimen.
  /// - The test is dated by its earliest result, and its id is the smallest
  ///   `result_id` (text order).
  /// - Several results of one analyte count once when all are equal (the
  ///   same comparator and value in µg/L); when any two differ none counts.
  /// - A test left with no analyte is not a test.
  ///
  /// The test's values are in the unit its counted results share, as given
  /// (so nmol/L values keep the rounding-band warning), or in µg/L when they
  /// differ.
  package static func assemble(_ results: [ResultRecord], nhsNumber: String, asOf: LocalDate) -> (
    tests: [EventRecord], warnings: [CheckWarning]
  ) {
    struct Key: Hashable {
      var sample: String?
      var date: LocalDate?
      var specimen: SampleType
    }
    var groups: [Key: [ResultRecord]] = [:]
    for r in results where r.sampleDate <= asOf {
      let sample = r.sampleId.flatMap { $0.isEmpty ? nil : $0 }
      let key = Key(sample: sample, date: sample == nil ? r.sampleDate : nil, specimen: r.specimen)
      groups[key, default: []].append(r)
    }
    var tests: [EventRecord] = []
    var warnings: [CheckWarning] = []
    let ordered = groups.values.map { ($0.map(\.resultId).min(by: codePointLess)!, $0) }
      .sorted { codePointLess($0.0, $1.0) }
    for (id, members) in ordered {
      let date = members.map(\.sampleDate).min()!
      let last = members.map(\.sampleDate).max()!
      if last != date {
        warnings.append(
          CheckWarning(
            code: "SAMPLE_DATES_DIFFER", nhsNumber: nhsNumber, recordKind: .result, recordId: id,
            detail: "the results of one sample are dated from \(date.iso) to \(last.iso); the test is dated \(date.iso)"))
      }
      var counted: [Metal: ResultRecord] = [:]
      for metal in Metal.allCases {
        let ofMetal = members.filter { $0.analyte == metal }
        guard let first = ofMetal.first else { continue }
        if ofMetal.allSatisfy({ $0.labMicrograms == first.labMicrograms }) {
          counted[metal] = first
        } else {
          let values = ofMetal.sorted { codePointLess($0.resultId, $1.resultId) }
            .map { "\(formatMicrograms($0.labMicrograms))" }.joined(separator: ", ")
          warnings.append(
            CheckWarning(
              code: "CONFLICTING_RESULTS", nhsNumber: nhsNumber, recordKind: .result, recordId: id,
              detail: "\(metal.rawValue) results of one sample differ (\(values) µg/L); none counts"))
        }
      }
      guard !counted.isEmpty else { continue }
      let units = Set(counted.values.map(\.unit))
      let unit = units.count == 1 ? units.first! : .microgramsPerLitre
      func value(_ metal: Metal) -> Double? {
        guard let r = counted[metal] else { return nil }
        return units.count == 1 ? r.value : r.valueMicrograms
      }
      var test = EventRecord(
        eventId: id, nhsNumber: nhsNumber, eventDate: date, eventType: .bloodMetalIons, side: nil, note: nil)
      test.cobalt = value(.cobalt)
      test.cobaltComparator = counted[.cobalt]?.comparator
      test.chromium = value(.chromium)
      test.chromiumComparator = counted[.chromium]?.comparator
      test.ionUnit = unit
      test.sampleType = members[0].specimen
      tests.append(test)
    }
    return (tests, warnings)
  }
}
