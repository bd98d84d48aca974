import Foundation

/// datapackage.json: a Frictionless Data Package whose Table Schemas describe
/// every CSV of the report folder, so a registry or analyst can validate the
/// files (`frictionless validate datapackage.json`) and load them typed.
package enum DataPackage {
  struct Package: Encodable {
    var profile = "tabular-data-package"
    var name = "momaudit-report"
    var title: String
    var description: String
    var resources: [Resource]
  }

  struct Resource: Encodable {
    var name: String
    var path: String
    var title: String
    var description: String
    var profile = "tabular-data-resource"
    var format = "csv"
    var mediatype = "text/csv"
    var encoding: String
    var dialect = Dialect()
    var schema: Schema
  }

  struct Dialect: Encodable {
    var delimiter = ","
    var lineTerminator = "\r\n"
    var quoteChar = "\""
    var doubleQuote = true
    var header = true
  }

  struct Schema: Encodable {
    var fields: [Field]
    var primaryKey: [String]?
    var missingValues = [""]
  }

  struct Field: Encodable {
    var name: String
    var type: String
    var format: String?
    var description: String
    var constraints: Constraints?
  }

  struct Constraints: Encodable {
    var required: Bool?
    var pattern: String?
    var `enum`: [String]?
    var minimum: Int?
  }

  static func string(_ name: String, _ description: String, required: Bool = false, pattern: String? = nil, oneOf: [String]? = nil) -> Field {
    let c = required || pattern != nil || oneOf != nil ? Constraints(required: required ? true : nil, pattern: pattern, enum: oneOf) : nil
    return Field(name: name, type: "string", description: description, constraints: c)
  }
  static func date(_ name: String, _ description: String, required: Bool = false) -> Field {
    Field(name: name, type: "date", format: "default", description: description + " (ISO 8601)", constraints: required ? Constraints(required: true) : nil)
  }
  static func integer(_ name: String, _ description: String, required: Bool = false, minimum: Int? = nil) -> Field {
    Field(
      name: name, type: "integer", description: description,
      constraints: required || minimum != nil ? Constraints(required: required ? true : nil, minimum: minimum) : nil)
  }
  static func number(_ name: String, _ description: String) -> Field {
    Field(name: name, type: "number", description: description)
  }
  /// A laboratory value in µg/L: a number, a censored one with its comparator in front (`<0.5`).
  static func labValue(_ name: String, _ description: String) -> Field {
    string(
      name, description + ", a censored value with its comparator in front (<0.5, >=200)",
      pattern: "(<|<=|>|>=)?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?")
  }
  static func boolean(_ name: String, _ description: String) -> Field {
    Field(name: name, type: "boolean", description: description + " (true or false)", constraints: Constraints(required: true))
  }

  static let nhsPattern = "[0-9]{10}"
  static let pseudonymPattern = "[0-9a-f]{64}"
  static let findingCodes = allRules.map(\.description.code)
  static let groups = SurveillanceGroup.allCases.map(\.rawValue)

  /// The columns of findings.csv (excepted.csv starts with them too).
  static let findingFields: [Field] = [
    string("nhs_number", "NHS number, 10 digits", required: true, pattern: nhsPattern),
    string("finding", "finding code", required: true, oneOf: findingCodes),
    string("procedure_id", "the implant (for patient-level findings, the governing implant)", required: true),
    string("side", "side of that implant", required: true, oneOf: ["L", "R"]),
    string("group", "the implant's surveillance group", required: true, oneOf: groups),
    date("due_date", "date the requirement fell due", required: true),
    integer("days_overdue", "as-of date minus due date", required: true, minimum: 0),
    date("last_done", "the reference event of the due date, blank when none"),
    string("trust_code", "trust of that implant"),
    string("site_code", "site of that implant"),
    string("consultant_code", "consultant of that implant"),
    string("detail", "one human sentence", required: true),
  ]
  static let statuses = PatientStatus.allCases.map(\.rawValue)

  /// - Parameters:
  ///   - bom: the human-facing CSVs start with a UTF-8 byte order mark (`--excel`).
  ///   - pseudonymised: submission.csv carries HMAC-SHA256 pseudonyms.
  ///   - suppressed: aggregates.csv values are suppressed (`*` or multiples of 5).
  package static func json(asOf: String, bom: Bool, pseudonymised: Bool, suppressed: Bool) -> String {
    let human = bom ? "utf-8-sig" : "utf-8"
    let resources = [
      Resource(
        name: "findings", path: "findings.csv", title: "Recall worklist",
        description: "One row per missed follow-up, most overdue first (outputs.md, stable interface).",
        encoding: human,
        schema: Schema(
          fields: findingFields, primaryKey: ["nhs_number", "finding", "procedure_id"])),
      Resource(
        name: "excepted", path: "excepted.csv", title: "Excepted findings",
        description: "Every finding an exception in force took off the worklist (a clinician's documented decision, surveillance-rules.md §8): the columns of findings.csv, then the exception's. Excepted findings are not missed follow-ups: they are in no worklist and not in findings.csv.",
        encoding: human,
        schema: Schema(
          fields: findingFields + [
            string("exception_id", "the exception that applies", required: true),
            string("reason", "the exception's reason", required: true, oneOf: ExceptionReason.allCases.map(\.rawValue)),
            string("recorded_by", "the responsible clinician's code", required: true),
            date("review_by", "date the decision must be reviewed", required: true),
          ], primaryKey: ["nhs_number", "finding", "procedure_id"])),
      Resource(
        name: "patients", path: "patients.csv", title: "MoM patients",
        description: "One row per metal-on-metal patient: scope, groups, next due dates.", encoding: human,
        schema: Schema(
          fields: [
            string("nhs_number", "NHS number, 10 digits", required: true, pattern: nhsPattern),
            string("status", "in_surveillance or the exclusion reason", required: true, oneOf: statuses),
            string("groups", "surveillance groups of the active implants, separated by ;"),
            date("next_review_due", "next review due"),
            date("next_ions_due", "next blood metal ion test due"),
            date("last_review", "last review"),
            date("last_ion_test", "last whole-blood ion test"),
            labValue("last_cobalt_ug_l", "cobalt of the last ion test, µg/L"),
            labValue("last_chromium_ug_l", "chromium of the last ion test, µg/L"),
            string("open_findings", "finding codes open for the patient, separated by ;"),
            string("clinical_flags", "clinical flags, separated by ;"),
          ], primaryKey: ["nhs_number"])),
      Resource(
        name: "submission", path: "submission.csv", title: "Registry submission",
        description: "One row per metal-on-metal implant, for the national registry.", encoding: "utf-8",
        schema: Schema(
          fields: [
            string("procedure_id", "the implant", required: true),
            pseudonymised
              ? string("nhs_number", "keyed HMAC-SHA256 pseudonym of the NHS number (lowercase hex)", required: true, pattern: pseudonymPattern)
              : string("nhs_number", "NHS number, 10 digits", required: true, pattern: nhsPattern),
            string("side", "side", required: true, oneOf: ["L", "R"]),
            date("procedure_date", "date of the operation", required: true),
            string("group", "surveillance group, blank when the implant is not active", oneOf: groups),
            boolean("active", "not ended by a revision"),
            string("status", "the patient's status", required: true, oneOf: statuses),
            date("last_review", "last review"),
            date("last_ion_test", "last whole-blood ion test"),
            labValue("last_cobalt_ug_l", "cobalt of the last ion test, µg/L"),
            labValue("last_chromium_ug_l", "chromium of the last ion test, µg/L"),
            date("last_imaging", "last cross-sectional imaging of the implant's side"),
            string("last_imaging_finding", "finding of that imaging"),
            boolean(
              "compliant",
              "no open finding for this implant or its patient; a finding excepted by a clinician's decision (excepted.csv) is not open, so it counts as compliant"),
          ], primaryKey: ["procedure_id"])),
      Resource(
        name: "rejects", path: "rejects.csv", title: "Rejected input rows",
        description: "Every rejected input row of the current files with its file, line and reason (the files of a cumulative source's earlier deliveries are superseded by its latest and left out).", encoding: human,
        schema: Schema(fields: [
          string("file", "input file", required: true),
          integer("line", "line of the row in the file (CSV) or of its element (XML)", minimum: 1),
          string("location", "where in the file, when not a line"),
          string("record_kind", "procedure, event, result or exception"),
          string("record_id", "the row's id, when it had one"),
          string("field", "the field at fault"),
          string("reason_code", "reason code", required: true),
          string("reason", "reason, in words", required: true),
          string("raw", "the row as read"),
        ])),
      Resource(
        name: "withdrawn", path: "withdrawn.csv", title: "Withdrawn records",
        description: "Every record a cumulative source's delivery withdrew (absent from its new snapshot) since the compared check run, or every withdrawn record when there is none, and still withdrawn. Withdrawn records are kept in the database and ignored by the check.",
        encoding: human,
        schema: Schema(
          fields: [
            string(
              "record_kind", "procedure, event, result or exception", required: true,
              oneOf: RecordKind.allCases.map(\.rawValue)),
            string("record_id", "the record's id", required: true),
            string("nhs_number", "NHS number, 10 digits", required: true, pattern: nhsPattern),
            string("source", "the manifest's source the record came from"),
            string("withdrawn_by_file", "a file of the delivery that withdrew it", required: true),
            string("withdrawn_at", "when that delivery was ingested (ISO 8601, UTC)", required: true),
          ], primaryKey: ["record_kind", "record_id"])),
      Resource(
        name: "warnings", path: "warnings.csv", title: "Data-quality warnings",
        description: "Every data-quality warning.", encoding: human,
        schema: Schema(fields: [
          string("code", "warning code", required: true),
          string("nhs_number", "NHS number, when the warning concerns a patient"),
          string("record_kind", "procedure, event, result or exception"),
          string("record_id", "the record"),
          string("file", "input file of the record"),
          integer("line", "line of the record in its file", minimum: 1),
          string("detail", "what is doubtful", required: true),
        ])),
      Resource(
        name: "aggregates", path: "aggregates.csv", title: "Aggregate figures",
        description: suppressed
          ? "Every aggregate figure of the run, with small-number suppression: counts of 1 to 7 shown as *, others rounded to the nearest 5; proportions and rates shown as *; funnel-plot limits of units of 1 to 7 patients shown as *; statuses kept."
          : "Every aggregate figure of the run, exact counts (not suppressed: not for publication).",
        encoding: human,
        schema: Schema(
          fields: [
            date("as_of", "the audit's as-of date", required: true),
            string(
              "table", "which breakdown", required: true,
              oneOf: [
                "cohort", "exclusion", "surveillance_group", "requirement", "overdue_band", "site", "consultant",
                "clinical_flag", "reject_reason", "warning_code", "exception_reason", "trend", "funnel_trust",
                "funnel_site", "funnel_consultant",
              ]),
            string("key", "the row of that breakdown", required: true),
            string("measure", "what is counted", required: true),
            suppressed
              ? string(
                "value",
                "a count (* for 1 to 7, else rounded to the nearest 5); a proportion or rate (always *: it would give its counts back); a control limit with 6 decimals (* when its unit's n is 1 to 7); or a funnel-plot status (alarm, alert, none)",
                required: true, pattern: "\\*|0|[1-9][0-9]*[05]|[01]\\.[0-9]{6}|alarm|alert|none")
              : string(
                "value",
                "a count; a proportion, rate or control limit with 6 decimals; or a funnel-plot status (alarm, alert, none)",
                required: true, pattern: "0|[1-9][0-9]*|[01]\\.[0-9]{6}|alarm|alert|none"),
          ], primaryKey: ["table", "key", "measure"])),
    ]
    let p = Package(
      title: "Metal-on-metal hip surveillance audit as of \(asOf)",
      description: "CSV outputs of momaudit-report (outputs.md). Dates are ISO 8601; blank cells are missing values. "
        + "A text cell that would start with =, +, -, @, tab or carriage return carries a leading single quote.",
      resources: resources)
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: (try? enc.encode(p)) ?? Data(), as: UTF8.self) + "\n"
  }
}
