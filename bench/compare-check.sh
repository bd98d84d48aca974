#!/usr/bin/env bash
# Compares the latest check run of two databases (same data, different code):
# every table the check writes (findings, excepted findings, flags and
# warnings in insertion order, so their ids too), ignoring times.
# Usage: bench/compare-check.sh OLD.db NEW.db
set -euo pipefail
q() {
  sqlite3 "$1" <<'SQL'
.mode list
CREATE TEMP VIEW r AS SELECT max(id) AS id FROM check_run;
SELECT 'run', as_of, pack_name, pack_json, local_protocol, patients_mom, implants_mom, patients_in_surveillance FROM check_run WHERE id = (SELECT id FROM r);
SELECT 'patient', nhs_number, status, status_date, groups, next_review_due, next_ions_due, last_review, last_ion_test, last_cobalt_ug_l, last_chromium_ug_l, open_findings, clinical_flags, last_cobalt_comparator, last_chromium_comparator, review_procedure_id FROM run_patient WHERE check_run_id = (SELECT id FROM r) ORDER BY nhs_number;
SELECT 'implant', procedure_id, nhs_number, side, procedure_date, procedure_type, head_diameter_mm, sex, surveillance_group, active, ended_by, status, last_review, last_ion_test, last_cobalt_ug_l, last_chromium_ug_l, last_imaging, last_imaging_finding, compliant, trust_code, site_code, consultant_code, last_cobalt_comparator, last_chromium_comparator, mom_basis FROM run_implant WHERE check_run_id = (SELECT id FROM r) ORDER BY procedure_id;
SELECT 'finding', nhs_number, finding, procedure_id, side, surveillance_group, due_date, days_overdue, last_done, trust_code, site_code, consultant_code, detail, evidence, expired_exception_id FROM finding WHERE check_run_id = (SELECT id FROM r) ORDER BY id;
SELECT 'excepted', nhs_number, finding, procedure_id, side, surveillance_group, due_date, days_overdue, last_done, trust_code, site_code, consultant_code, detail, evidence, exception_id, reason, recorded_by, review_by FROM excepted_finding WHERE check_run_id = (SELECT id FROM r) ORDER BY id;
SELECT 'exception', exception_id, nhs_number, finding, procedure_id, reason, recorded_by, recorded_on, review_by, state, patient_status FROM run_exception WHERE check_run_id = (SELECT id FROM r) ORDER BY exception_id;
SELECT 'flag', nhs_number, flag, procedure_id, detail FROM clinical_flag WHERE check_run_id = (SELECT id FROM r) ORDER BY id;
SELECT 'warning', record_kind, record_id, nhs_number, code, detail FROM warning WHERE check_run_id = (SELECT id FROM r) ORDER BY id;
SQL
}
a=$(mktemp) b=$(mktemp)
q "$1" >"$a"
q "$2" >"$b"
if cmp -s "$a" "$b"; then echo "same: $(wc -l <"$a") rows"; rm -f "$a" "$b"; else echo "DIFFERENT:"; diff "$a" "$b" | head -20; rm -f "$a" "$b"; exit 1; fi
