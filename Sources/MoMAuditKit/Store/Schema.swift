import GRDB

/// The database schema, created by append-only named migrations.
///
/// Never edit a shipped migration: add a new one (CONTRIBUTING.md, "Changing
/// the schema"). Dates are ISO `YYYY-MM-DD` TEXT (so text order is date
/// order); NHS numbers and ids are TEXT compared with the BINARY collation,
/// which is Unicode code-point order for UTF-8.
package enum Schema {
  package static var migrator: DatabaseMigrator {
    var m = DatabaseMigrator()
    m.registerMigration("v1: sources, records, rejects") { db in
      try db.execute(sql: """
        CREATE TABLE source_file (
          id INTEGER PRIMARY KEY,
          path TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          format TEXT NOT NULL,              -- csv | xml
          kind TEXT,                         -- procedures | events | mixed (xml)
          encoding TEXT,                     -- utf-8 | windows-1252
          export_date TEXT,                  -- XML exportDate
          status TEXT NOT NULL,              -- loaded | refused
          error TEXT,                        -- why a refused file was refused
          rows_read INTEGER NOT NULL DEFAULT 0,
          rows_accepted INTEGER NOT NULL DEFAULT 0,
          rows_rejected INTEGER NOT NULL DEFAULT 0,
          records_replaced INTEGER NOT NULL DEFAULT 0,
          ingested_at TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX source_file_loaded_hash ON source_file(sha256) WHERE status = 'loaded';

        CREATE TABLE patient (
          nhs_number TEXT PRIMARY KEY
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE procedure (
          procedure_id TEXT PRIMARY KEY,
          nhs_number TEXT NOT NULL,
          local_patient_id TEXT,
          sex TEXT NOT NULL,                 -- male | female | unknown
          date_of_birth TEXT,
          procedure_date TEXT NOT NULL,
          side TEXT NOT NULL,                -- L | R
          procedure_type TEXT NOT NULL,      -- total_hip | resurfacing | revision
          bearing TEXT NOT NULL,             -- MoM | MoP | CoC | CoP | CoM | MoC | unknown
          head_diameter_mm REAL,
          femoral_component TEXT,
          acetabular_component TEXT,
          stem_component TEXT,
          manufacturer TEXT,
          opcs_code TEXT,
          trust_code TEXT,
          site_code TEXT,
          consultant_code TEXT,
          is_mom INTEGER NOT NULL,
          is_asr INTEGER NOT NULL,
          content_hash TEXT NOT NULL,
          source_file_id INTEGER NOT NULL REFERENCES source_file(id),
          source_line INTEGER,
          source_location TEXT
        ) STRICT;

        CREATE TABLE event (
          event_id TEXT PRIMARY KEY,
          nhs_number TEXT NOT NULL,
          event_date TEXT NOT NULL,
          event_type TEXT NOT NULL,
          side TEXT,                         -- L | R | B; NULL when blank
          symptomatic INTEGER,               -- reviews only
          oxford_hip_score INTEGER,          -- reviews only
          cobalt REAL,                       -- as given (ion events only)
          chromium REAL,
          ion_unit TEXT,
          cobalt_ug_l REAL,                  -- converted to µg/L
          chromium_ug_l REAL,
          sample_type TEXT,
          imaging_finding TEXT,
          note TEXT,
          content_hash TEXT NOT NULL,
          source_file_id INTEGER NOT NULL REFERENCES source_file(id),
          source_line INTEGER,
          source_location TEXT
        ) STRICT;

        CREATE TABLE reject (
          id INTEGER PRIMARY KEY,
          source_file_id INTEGER NOT NULL REFERENCES source_file(id),
          line INTEGER,
          location TEXT,                     -- XML element path
          record_kind TEXT,                  -- procedure | event | NULL when unknown
          record_id TEXT,
          field TEXT,
          reason_code TEXT NOT NULL,
          reason TEXT NOT NULL,
          raw TEXT NOT NULL
        ) STRICT;
        CREATE INDEX reject_source ON reject(source_file_id);

        CREATE TABLE replacement (
          id INTEGER PRIMARY KEY,
          record_kind TEXT NOT NULL,
          record_id TEXT NOT NULL,
          old_source_file_id INTEGER NOT NULL,
          old_line INTEGER,
          new_source_file_id INTEGER NOT NULL,
          new_line INTEGER,
          identical INTEGER NOT NULL
        ) STRICT;

        -- Ingest-time warnings have check_run_id NULL and name their record;
        -- check-time warnings belong to a run.
        CREATE TABLE warning (
          id INTEGER PRIMARY KEY,
          check_run_id INTEGER REFERENCES check_run(id),
          source_file_id INTEGER,
          line INTEGER,
          record_kind TEXT,
          record_id TEXT,
          nhs_number TEXT,
          code TEXT NOT NULL,
          detail TEXT NOT NULL
        ) STRICT;
        CREATE INDEX warning_run ON warning(check_run_id);
        CREATE INDEX warning_record ON warning(record_kind, record_id);

        CREATE INDEX procedure_patient ON procedure(nhs_number, procedure_date);
        CREATE INDEX event_patient ON event(nhs_number, event_date);
        """)
    }
    m.registerMigration("v1: check runs and findings") { db in
      try db.execute(sql: """
        CREATE TABLE check_run (
          id INTEGER PRIMARY KEY,
          as_of TEXT NOT NULL,
          pack_name TEXT NOT NULL,
          pack_json TEXT NOT NULL,           -- every parameter with its source and verified flag
          local_protocol INTEGER NOT NULL,   -- a profile overrode a parameter
          software_version TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT NOT NULL,
          duration_seconds REAL NOT NULL,
          patients_mom INTEGER NOT NULL,
          implants_mom INTEGER NOT NULL,
          patients_in_surveillance INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE run_patient (
          check_run_id INTEGER NOT NULL REFERENCES check_run(id),
          nhs_number TEXT NOT NULL,
          status TEXT NOT NULL,
          status_date TEXT,
          groups TEXT NOT NULL,
          next_review_due TEXT,
          next_ions_due TEXT,
          last_review TEXT,
          last_ion_test TEXT,
          last_cobalt_ug_l REAL,
          last_chromium_ug_l REAL,
          open_findings TEXT NOT NULL,
          clinical_flags TEXT NOT NULL,
          PRIMARY KEY (check_run_id, nhs_number)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE run_implant (
          check_run_id INTEGER NOT NULL REFERENCES check_run(id),
          procedure_id TEXT NOT NULL,
          nhs_number TEXT NOT NULL,
          side TEXT NOT NULL,
          procedure_date TEXT NOT NULL,
          procedure_type TEXT NOT NULL,
          head_diameter_mm REAL,
          sex TEXT NOT NULL,
          surveillance_group TEXT,           -- NULL when not active
          active INTEGER NOT NULL,
          ended_by TEXT,                     -- the revision's procedure_id
          status TEXT NOT NULL,              -- the patient's status
          last_review TEXT,
          last_ion_test TEXT,
          last_cobalt_ug_l REAL,
          last_chromium_ug_l REAL,
          last_imaging TEXT,
          last_imaging_finding TEXT,
          compliant INTEGER NOT NULL,
          trust_code TEXT,
          site_code TEXT,
          consultant_code TEXT,
          PRIMARY KEY (check_run_id, procedure_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE finding (
          id INTEGER PRIMARY KEY,
          check_run_id INTEGER NOT NULL REFERENCES check_run(id),
          nhs_number TEXT NOT NULL,
          finding TEXT NOT NULL,
          procedure_id TEXT NOT NULL,
          side TEXT NOT NULL,
          surveillance_group TEXT NOT NULL,
          due_date TEXT NOT NULL,
          days_overdue INTEGER NOT NULL,
          last_done TEXT,
          trust_code TEXT,
          site_code TEXT,
          consultant_code TEXT,
          detail TEXT NOT NULL,
          evidence TEXT NOT NULL             -- JSON: the events considered and the arithmetic
        ) STRICT;
        CREATE INDEX finding_run ON finding(check_run_id);

        CREATE TABLE clinical_flag (
          id INTEGER PRIMARY KEY,
          check_run_id INTEGER NOT NULL REFERENCES check_run(id),
          nhs_number TEXT NOT NULL,
          flag TEXT NOT NULL,
          procedure_id TEXT,
          detail TEXT NOT NULL
        ) STRICT;
        CREATE INDEX clinical_flag_run ON clinical_flag(check_run_id);
        """)
    }
    // The report's change section matches findings across two runs by
    // patient, code and implant: one index probe per finding.
    m.registerMigration("v2: finding key index") { db in
      try db.execute(sql: "CREATE INDEX finding_key ON finding(check_run_id, nhs_number, finding, procedure_id)")
    }
    // Nothing reads records by patient: the check reads each table in one
    // sorted pass (CheckRunner, NOT INDEXED), the report by ids. `patient`
    // was written and never read, and the two indexes were used by nobody
    // but its fill; together they were a third of a national CSV load
    // (bench/RESULTS.md). An operator who wants fast ad-hoc lookups by
    // patient may create an index (docs/operators.md); a large load drops
    // and rebuilds it (BulkLoad).
    m.registerMigration("v3: no per-patient lookup structures") { db in
      try db.execute(
        sql: """
          DROP INDEX procedure_patient;
          DROP INDEX event_patient;
          DROP TABLE patient;
          """)
    }
    // Censored laboratory values (revision 3): the comparator beside the
    // number, NULL for a plain number; the check's results carry the
    // comparator of the last test beside its µg/L numbers.
    m.registerMigration("v4: censored laboratory values") { db in
      try db.execute(
        sql: """
          ALTER TABLE event ADD COLUMN cobalt_comparator TEXT;
          ALTER TABLE event ADD COLUMN chromium_comparator TEXT;
          ALTER TABLE run_patient ADD COLUMN last_cobalt_comparator TEXT;
          ALTER TABLE run_patient ADD COLUMN last_chromium_comparator TEXT;
          ALTER TABLE run_implant ADD COLUMN last_cobalt_comparator TEXT;
          ALTER TABLE run_implant ADD COLUMN last_chromium_comparator TEXT;
          """)
    }
    // Profiles' keep/skip rules (revision 3): rows read = accepted +
    // rejected + skipped, and the skipped rows of each file by rule.
    m.registerMigration("v5: skipped rows") { db in
      try db.execute(
        sql: """
          ALTER TABLE source_file ADD COLUMN rows_skipped INTEGER NOT NULL DEFAULT 0;
          CREATE TABLE file_skip (
            source_file_id INTEGER NOT NULL REFERENCES source_file(id),
            rule TEXT NOT NULL,
            rows INTEGER NOT NULL,
            PRIMARY KEY (source_file_id, rule)
          ) STRICT, WITHOUT ROWID;
          """)
    }
    // Laboratory results, one analyte per row (revision 3): assembled into
    // ion tests at check time. Ids, fingerprints and re-ingest as events.
    m.registerMigration("v6: results") { db in
      try db.execute(
        sql: """
          CREATE TABLE result (
            result_id TEXT PRIMARY KEY,
            nhs_number TEXT NOT NULL,
            sample_id TEXT,
            sample_date TEXT NOT NULL,
            analyte TEXT NOT NULL,            -- cobalt | chromium
            value REAL NOT NULL,              -- as given, in unit
            comparator TEXT,                  -- < <= > >= of a censored value; NULL for a plain number
            unit TEXT NOT NULL,
            value_ug_l REAL NOT NULL,         -- converted to µg/L
            specimen TEXT NOT NULL,           -- whole_blood | serum | plasma
            note TEXT,
            content_hash TEXT NOT NULL,
            source_file_id INTEGER NOT NULL REFERENCES source_file(id),
            source_line INTEGER,
            source_location TEXT
          ) STRICT;
          """)
    }
    // The sources manifest (revision 3): each loaded file records the
    // source it came from; each source's snapshot settings are kept.
    m.registerMigration("v7: sources") { db in
      try db.execute(
        sql: """
          ALTER TABLE source_file ADD COLUMN source TEXT;
          CREATE TABLE source (
            name TEXT PRIMARY KEY,
            cumulative INTEGER NOT NULL,
            max_withdraw_percent REAL NOT NULL
          ) STRICT;
          """)
    }
    // How each MoM implant was found (revision 3: the implant library).
    m.registerMigration("v8: how MoM implants were found") { db in
      try db.execute(sql: "ALTER TABLE run_implant ADD COLUMN mom_basis TEXT NOT NULL DEFAULT 'bearing'")
    }
    // The quarterly routine (revision 3, sources.md §3). A re-sent record
    // with the same content is unchanged: nothing is written, so identical
    // "replacements" of earlier versions become the unchanged counts of their
    // files. A record absent from its cumulative source's new snapshot is
    // withdrawn: kept, marked with the file of the delivery that withdrew it,
    // ignored by the check. A cumulative source's files are superseded by its
    // next delivery (their rejects leave the reports). A file may be loaded
    // again by a later delivery of a cumulative source, so its hash is no
    // longer unique. A check run remembers the newest file it saw, so the
    // report can list what was withdrawn since.
    m.registerMigration("v9: unchanged, withdrawn and superseded") { db in
      try db.execute(
        sql: """
          ALTER TABLE procedure ADD COLUMN withdrawn_by INTEGER;
          ALTER TABLE event ADD COLUMN withdrawn_by INTEGER;
          ALTER TABLE result ADD COLUMN withdrawn_by INTEGER;
          ALTER TABLE source_file ADD COLUMN records_added INTEGER;       -- NULL: loaded before v9, not counted
          ALTER TABLE source_file ADD COLUMN records_unchanged INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE source_file ADD COLUMN records_withdrawn INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE source_file ADD COLUMN cumulative INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE source_file ADD COLUMN delivery INTEGER;            -- first file of its cumulative delivery
          ALTER TABLE source_file ADD COLUMN superseded_by INTEGER;       -- first file of the delivery that superseded it
          ALTER TABLE check_run ADD COLUMN last_source_file_id INTEGER NOT NULL DEFAULT 0;
          UPDATE check_run SET last_source_file_id = coalesce((SELECT max(id) FROM source_file), 0);
          UPDATE source_file SET
            records_unchanged = (SELECT count(*) FROM replacement r WHERE r.new_source_file_id = source_file.id AND r.identical = 1),
            records_replaced = (SELECT count(*) FROM replacement r WHERE r.new_source_file_id = source_file.id AND r.identical = 0);
          DELETE FROM replacement WHERE identical = 1;
          DROP INDEX source_file_loaded_hash;
          CREATE INDEX source_file_hash ON source_file(sha256);
          CREATE INDEX source_file_source ON source_file(source);
          -- Partial: only withdrawn records are in them (withdrawn.csv reads
          -- them without a scan); a load of current records never touches them.
          CREATE INDEX procedure_withdrawn ON procedure(withdrawn_by) WHERE withdrawn_by IS NOT NULL;
          CREATE INDEX event_withdrawn ON event(withdrawn_by) WHERE withdrawn_by IS NOT NULL;
          CREATE INDEX result_withdrawn ON result(withdrawn_by) WHERE withdrawn_by IS NOT NULL;
          """)
    }
    // A hash of the delivered row each current record came from, with its
    // reading context (header, profile, encoding, momaudit version): a
    // re-sent, byte-identical row is recognised as unchanged without being
    // validated again (IngestPipeline). NULL for records loaded before, from
    // XML, or without an id column; filled in when a re-send finds them unchanged.
    m.registerMigration("v10: row hashes") { db in
      try db.execute(
        sql: """
          ALTER TABLE procedure ADD COLUMN row_hash INTEGER;
          ALTER TABLE event ADD COLUMN row_hash INTEGER;
          ALTER TABLE result ADD COLUMN row_hash INTEGER;
          """)
    }
    // Clinicians' exceptions (revision 3, surveillance-rules.md §8): a
    // fourth record kind, loaded, replaced and withdrawn like the others.
    // A check run stores the findings an exception in force took off the
    // worklist (`excepted_finding`, the columns of `finding` and the
    // exception's), the expired exception a finding's detail names, and
    // the state of each exception of its MoM patients (section 8 of the
    // report), and each patient's governing implant of review (section 10).
    m.registerMigration("v11: exceptions") { db in
      try db.execute(
        sql: """
          CREATE TABLE exception (
            exception_id TEXT PRIMARY KEY,
            nhs_number TEXT NOT NULL,
            finding TEXT NOT NULL,            -- a finding code, or ALL
            procedure_id TEXT,                -- limits it to findings naming this implant
            reason TEXT NOT NULL,             -- clinically_unsuitable | informed_dissent | individual_plan
            recorded_by TEXT NOT NULL,
            recorded_on TEXT NOT NULL,
            review_by TEXT NOT NULL,
            note TEXT,
            content_hash TEXT NOT NULL,
            source_file_id INTEGER NOT NULL REFERENCES source_file(id),
            source_line INTEGER,
            source_location TEXT,
            withdrawn_by INTEGER,
            row_hash INTEGER
          ) STRICT;
          CREATE INDEX exception_withdrawn ON exception(withdrawn_by) WHERE withdrawn_by IS NOT NULL;

          ALTER TABLE finding ADD COLUMN expired_exception_id TEXT;
          -- The governing implant of the patient's periodic review (§4.1): the
          -- unit a patient counts for in the report's funnel plots.
          ALTER TABLE run_patient ADD COLUMN review_procedure_id TEXT;

          CREATE TABLE excepted_finding (
            id INTEGER PRIMARY KEY,
            check_run_id INTEGER NOT NULL REFERENCES check_run(id),
            nhs_number TEXT NOT NULL,
            finding TEXT NOT NULL,
            procedure_id TEXT NOT NULL,
            side TEXT NOT NULL,
            surveillance_group TEXT NOT NULL,
            due_date TEXT NOT NULL,
            days_overdue INTEGER NOT NULL,
            last_done TEXT,
            trust_code TEXT,
            site_code TEXT,
            consultant_code TEXT,
            detail TEXT NOT NULL,
            evidence TEXT NOT NULL,
            exception_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            review_by TEXT NOT NULL
          ) STRICT;
          CREATE INDEX excepted_finding_run ON excepted_finding(check_run_id);

          CREATE TABLE run_exception (
            check_run_id INTEGER NOT NULL REFERENCES check_run(id),
            exception_id TEXT NOT NULL,
            nhs_number TEXT NOT NULL,
            finding TEXT NOT NULL,
            procedure_id TEXT,
            reason TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_on TEXT NOT NULL,
            review_by TEXT NOT NULL,
            state TEXT NOT NULL,              -- in_force | expired | too_long
            patient_status TEXT NOT NULL,     -- the patient's status in the run
            PRIMARY KEY (check_run_id, exception_id)
          ) STRICT, WITHOUT ROWID;
          """)
    }
    return m
  }
}
