#!/usr/bin/env bash
# Compares the records two ingests produced (same inputs, different code):
# every table the ingest writes, in a stable order, ignoring rowids and times.
# Usage: bench/compare-db.sh OLD.db NEW.db
set -euo pipefail
q() {
  sqlite3 "$1" <<'SQL'
.mode list
SELECT 'procedure', procedure_id, nhs_number, local_patient_id, sex, date_of_birth, procedure_date, side, procedure_type, bearing, head_diameter_mm, femoral_component, acetabular_component, stem_component, manufacturer, opcs_code, trust_code, site_code, consultant_code, is_mom, is_asr, content_hash, source_file_id, source_line, source_location FROM procedure ORDER BY procedure_id;
SELECT 'event', event_id, nhs_number, event_date, event_type, side, symptomatic, oxford_hip_score, cobalt, chromium, ion_unit, cobalt_ug_l, chromium_ug_l, sample_type, imaging_finding, note, content_hash, source_file_id, source_line, source_location FROM event ORDER BY event_id;
SELECT 'patient', nhs_number FROM patient ORDER BY nhs_number;
SELECT 'reject', id, source_file_id, line, location, record_kind, record_id, field, reason_code, reason, raw FROM reject ORDER BY id;
SELECT 'replacement', id, record_kind, record_id, old_source_file_id, old_line, new_source_file_id, new_line, identical FROM replacement ORDER BY id;
SELECT 'warning', id, check_run_id, source_file_id, line, record_kind, record_id, nhs_number, code, detail FROM warning WHERE check_run_id IS NULL ORDER BY id;
SELECT 'source_file', id, sha256, format, kind, encoding, export_date, status, error, rows_read, rows_accepted, rows_rejected, records_replaced FROM source_file ORDER BY id;
SELECT 'index', name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name;
SQL
}
a=$(mktemp) b=$(mktemp)
q "$1" >"$a"
q "$2" >"$b"
if cmp -s "$a" "$b"; then echo "same: $(wc -l <"$a") rows"; rm -f "$a" "$b"; else echo "DIFFERENT:"; diff "$a" "$b" | head -20; rm -f "$a" "$b"; exit 1; fi
