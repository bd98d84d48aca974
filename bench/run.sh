#!/usr/bin/env bash
# National-scale benchmark (issue 5). Called by `make bench`; see bench/README.md.
#
#   bench/run.sh                      1/10 and full scale, 3 repetitions each
#   SCALES="0.1" REPS=5 bench/run.sh  other scales or repetitions
#   NO_BUILD=1 bench/run.sh           reuse the release build in .build-bench
#   BIN=/some/dir bench/run.sh        measure the binaries in that folder (no build)
#   NO_VARIANTS=1 bench/run.sh        skip bench/variants.sh at the end
#
# Builds release into .build-bench, generates the data (seeded, cached) into
# bench/out/<scale>/, then measures each stage REPS times, interleaved, under
# /usr/bin/time -v (wall time and peak RSS): sqlite3 .import of the same CSVs
# (the baseline), momaudit-ingest of the CSVs, momaudit-ingest of the XML,
# momaudit-check, momaudit-report, and momaudit run end to end, then the
# quarterly routine and the revision-3 run (results and exceptions, issue 14)
# against sqlite3 .import of the files it reads. Every stage starts from a fresh
# database or from a copy of a prepared one (the copy is not timed). Writes
# bench/RESULTS.md, then runs bench/variants.sh at VARIANTS_SCALE (default 0.1)
# with the same binaries and REPS, which writes bench/VARIANTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALES=${SCALES:-"0.1 1"}
REPS=${REPS:-3}
AS_OF=2026-09-30
OUT=$ROOT/bench/out
mkdir -p "$OUT"

need() { command -v "$1" >/dev/null 2>&1; }
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
  else echo "error: /usr/bin/time is missing" >&2; echo "hint: sudo apt-get install -y time" >&2; exit 1; fi
fi
for t in sqlite3 python3; do
  need $t || { echo "error: $t not found" >&2; echo "hint: make deps (sqlite3), or install python3" >&2; exit 1; }
done

if [ -n "${BIN:-}" ]; then
  # Other binaries, measured as they are: no build, and the commit is not known.
  BIN=$(cd "$BIN" 2>/dev/null && pwd) || { echo "error: no folder $BIN (BIN)" >&2; exit 1; }
  for t in momaudit momaudit-ingest momaudit-check momaudit-report; do
    [ -x "$BIN/$t" ] || { echo "error: $BIN/$t missing (BIN must hold all four executables)" >&2; exit 1; }
  done
  echo "binaries in \`$BIN\` ($("$BIN/momaudit" --version 2>/dev/null || echo ?), built $(date -u -r "$BIN/momaudit" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$BIN/momaudit" | cut -c1-12))" >"$OUT/build.txt"
else
  if [ -z "${NO_BUILD:-}" ]; then
    echo "== building release (.build-bench)"
    swift build -c release --scratch-path .build-bench 2>&1 | tail -n 3
  fi
  BIN=$(swift build -c release --scratch-path .build-bench --show-bin-path)
  # What was built: the commit, and whether the working tree differed from it.
  echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (+ uncommitted changes to Sources)')" >"$OUT/build.txt"
  for t in momaudit momaudit-ingest momaudit-check momaudit-report; do
    [ -x "$BIN/$t" ] || { echo "error: $BIN/$t missing; run without NO_BUILD" >&2; exit 1; }
  done
fi

TSV=$OUT/measurements.tsv
: >"$TSV"
: >"$OUT/conditions.txt"
: >"$OUT/counts.txt.new"
: >"$OUT/quarters.txt.new"
GEN_SUM=$(sha256sum bench/generate.py | cut -c1-16)
Q_SUM=$(cat bench/generate.py bench/quarterly.py | sha256sum | cut -c1-16)
R_SUM=$(cat bench/generate.py bench/quarterly.py bench/exceptions.py | sha256sum | cut -c1-16)

MEASURE_DIR=$OUT
# shellcheck source=bench/lib.sh
. bench/lib.sh

for scale in $SCALES; do
  D=$OUT/$scale
  if [ ! -f "$D/manifest.json" ] || [ "$(cat "$D/.generator" 2>/dev/null)" != "$GEN_SUM" ]; then
    echo "== generating scale $scale into $D"
    rm -rf "$D"
    python3 bench/generate.py --scale "$scale" --out "$D" >/dev/null
    echo "$GEN_SUM" >"$D/.generator"
  fi
  if [ "$(cat "$D/.quarterly" 2>/dev/null)" != "$Q_SUM" ]; then
    echo "== generating the quarterly deliveries of scale $scale"
    # The quarterly routine (issue 11): four cumulative deliveries of the same export.
    python3 bench/quarterly.py "$D/csv" "$D/quarterly" 4 >"$D/quarterly.json"
    echo "$Q_SUM" >"$D/.quarterly"
  fi
  if [ "$(cat "$D/.rev3" 2>/dev/null)" != "$R_SUM" ]; then
    echo "== generating the revision-3 deliveries of scale $scale"
    # The revision-3 inputs (issue 14): two cumulative deliveries of the registry
    # export whose ion tests come as laboratory results instead (results/: events
    # without ion tests, so no test is sent twice), the results file, and a
    # clinicians' exceptions register. The procedures files are hard links.
    rm -rf "$D/rev3" "$D"/rev3-q*.toml
    python3 bench/quarterly.py "$D/results" "$D/rev3" 2 >"$D/rev3.json"
    rm -f "$D"/rev3/q*.toml
    python3 bench/exceptions.py "$D/results/1-procedures.csv" "$D/rev3/exceptions.csv" >>"$D/rev3.json"
    for q in 1 2; do
      ln -f "$D/results/1-procedures.csv" "$D/rev3/q$q/1-procedures.csv"
      cat >"$D/rev3-q$q.toml" <<EOF
# Delivery $q of the revision-3 inputs (bench/run.sh): the registry's cumulative
# export, the laboratory's results, the clinic's exceptions register.
[[source]]
name = "registry"
path = "rev3/q$q"
cumulative = true

[[source]]
name = "lab"
path = "results/3-results.csv"
cumulative = true

[[source]]
name = "clinic-exceptions"
path = "rev3/exceptions.csv"
cumulative = true
EOF
    done
    # Data rows the second delivery's run reads (for rows per second).
    cat "$D/rev3/q2/1-procedures.csv" "$D/rev3/q2/2-events.csv" "$D/results/3-results.csv" "$D/rev3/exceptions.csv" \
      | wc -l | awk '{ print $1 - 4 }' >"$D/rev3/rows"
    echo "$R_SUM" >"$D/.rev3"
  fi
  W=$D/work
  fresh_work "$W" "scale $scale" "$scale" "$D/manifest.json" "$OUT/conditions.txt"

  # A checkpointed, ingested database for the check and report stages (not timed).
  ingested "$W/template.db" "$D/csv"
  "$BIN/momaudit-check" --db "$W/template.db" -q --as-of "$AS_OF"
  checkpoint "$W/template.db"
  # Without the check run, for the check stage.
  ingested "$W/ingested.db" "$D/csv"
  # The same export with its ion tests as laboratory results (one row per analyte).
  ingested "$W/results.db" "$D/results"
  # The revision-3 inputs' first delivery: registry q1, results, exceptions.
  ingested "$W/rev3.db" --sources "$D/rev3-q1.toml"
  REV3_FILES=$(sqlite3 "$W/rev3.db" "SELECT max(id) FROM source_file")

  for rep in $(seq 1 "$REPS"); do
    rmdb "$W/base.db"
    measure "$scale" sqlite_import "$rep" sqlite3 "$W/base.db" \
      ".import --csv $D/csv/1-procedures.csv procedures" \
      ".import --csv $D/csv/2-events.csv events" \
      ".import --csv $D/csv/3-procedures-update.csv procedures_update"
    rmdb "$W/csv.db"
    measure "$scale" ingest_csv "$rep" "$BIN/momaudit-ingest" --db "$W/csv.db" -q "$D/csv"
    rmdb "$W/xml.db"
    measure "$scale" ingest_xml "$rep" "$BIN/momaudit-ingest" --db "$W/xml.db" -q "$D/xml"
    cpdb "$W/ingested.db" "$W/check.db"
    measure "$scale" check "$rep" "$BIN/momaudit-check" --db "$W/check.db" -q --as-of "$AS_OF"
    # Results against events: each file alone into a fresh database (rows per second),
    # and the check with ion tests assembled from results.
    rmdb "$W/events-only.db"
    measure "$scale" ingest_events "$rep" "$BIN/momaudit-ingest" --db "$W/events-only.db" -q "$D/csv/2-events.csv"
    rmdb "$W/results-only.db"
    measure "$scale" ingest_results "$rep" "$BIN/momaudit-ingest" --db "$W/results-only.db" -q "$D/results/3-results.csv"
    cpdb "$W/results.db" "$W/check-results.db"
    measure "$scale" check_results "$rep" "$BIN/momaudit-check" --db "$W/check-results.db" -q --as-of "$AS_OF"
    cpdb "$W/template.db" "$W/report.db"
    rm -rf "$W/report"
    measure "$scale" report "$rep" "$BIN/momaudit-report" --db "$W/report.db" -q --out "$W/report"
    rmdb "$W/run.db"
    rm -rf "$W/run"
    measure "$scale" run "$rep" "$BIN/momaudit" run --db "$W/run.db" -q --as-of "$AS_OF" --out "$W/run" "$D/csv"
    # The quarterly routine: the first delivery of a cumulative source into a fresh
    # database, then its second (2 % added, 0.5 % changed, 0.1 % withdrawn) into a copy
    # of the first's database, then the whole run (ingest, check, report) on it.
    rmdb "$W/q1.db"
    measure "$scale" quarterly_first "$rep" "$BIN/momaudit-ingest" --db "$W/q1.db" -q --sources "$D/quarterly/q1.toml"
    cpdb "$W/q1.db" "$W/q2.db"
    measure "$scale" quarterly_second "$rep" "$BIN/momaudit-ingest" --db "$W/q2.db" -q --sources "$D/quarterly/q2.toml"
    cpdb "$W/q1.db" "$W/q2run.db"
    rm -rf "$W/q2run"
    measure "$scale" quarterly_run "$rep" "$BIN/momaudit" run --db "$W/q2run.db" -q --as-of "$AS_OF" --out "$W/q2run" --sources "$D/quarterly/q2.toml"
    # Revision 3 (issue 14): sqlite3 .import of exactly the files the run reads,
    # into a fresh database, then momaudit run with the second delivery (registry
    # q2, the results, the exceptions register) on a copy of the first's database.
    rmdb "$W/base-rev3.db"
    measure "$scale" sqlite_import_rev3 "$rep" sqlite3 "$W/base-rev3.db" \
      ".import --csv $D/rev3/q2/1-procedures.csv procedures" \
      ".import --csv $D/rev3/q2/2-events.csv events" \
      ".import --csv $D/results/3-results.csv results" \
      ".import --csv $D/rev3/exceptions.csv exceptions"
    cpdb "$W/rev3.db" "$W/rev3run.db"
    rm -rf "$W/rev3run"
    measure "$scale" rev3_run "$rep" "$BIN/momaudit" run --db "$W/rev3run.db" -q --as-of "$AS_OF" --out "$W/rev3run" --sources "$D/rev3-q2.toml"
  done
  # Database size over four quarterly deliveries (not timed): after the first, after the fourth.
  rmdb "$W/quarters.db"
  for q in 1 2 3 4; do
    "$BIN/momaudit-ingest" --db "$W/quarters.db" -q --sources "$D/quarterly/q$q.toml"
    checkpoint "$W/quarters.db"
    echo "$scale quarter $q $(stat -c %s "$W/quarters.db") $(sqlite3 "$W/quarters.db" "SELECT (SELECT count(*) FROM procedure) + (SELECT count(*) FROM event)") $(sqlite3 "$W/quarters.db" "SELECT (SELECT count(*) FROM procedure WHERE withdrawn_by IS NULL) + (SELECT count(*) FROM event WHERE withdrawn_by IS NULL)")" >>"$OUT/quarters.txt.new"
  done
  echo "$scale load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/conditions.txt"

  # The two formats must load the same records; counts go into RESULTS.md.
  {
    echo "scale=$scale"
    for db in csv xml; do
      echo "$db: $(sqlite3 "$W/$db.db" "SELECT 'procedures=' || (SELECT count(*) FROM procedure) || ' events=' || (SELECT count(*) FROM event) || ' rejects=' || (SELECT count(*) FROM reject) || ' replacements=' || (SELECT count(*) FROM replacement) || ' rows_read=' || (SELECT sum(rows_read) FROM source_file) || ' db_mb=' || (SELECT page_count * page_size / 1048576 FROM pragma_page_count, pragma_page_size)")"
    done
    echo "baseline: $(sqlite3 "$W/base.db" "SELECT 'procedures=' || (SELECT count(*) FROM procedures) || ' events=' || (SELECT count(*) FROM events) || ' updates=' || (SELECT count(*) FROM procedures_update)")"
    echo "check: $(sqlite3 "$W/check.db" "SELECT 'patients_mom=' || patients_mom || ' implants_mom=' || implants_mom || ' in_surveillance=' || patients_in_surveillance || ' findings=' || (SELECT count(*) FROM finding WHERE check_run_id = check_run.id) FROM check_run ORDER BY id DESC LIMIT 1")"
    echo "check with results: $(sqlite3 "$W/check-results.db" "SELECT 'patients_mom=' || patients_mom || ' implants_mom=' || implants_mom || ' in_surveillance=' || patients_in_surveillance || ' findings=' || (SELECT count(*) FROM finding WHERE check_run_id = check_run.id) FROM check_run ORDER BY id DESC LIMIT 1")"
    echo "results: $(sqlite3 "$W/results-only.db" "SELECT 'rows_read=' || sum(rows_read) || ' accepted=' || sum(rows_accepted) || ' rejected=' || sum(rows_rejected) FROM source_file")"
    echo "quarterly second delivery: $(sqlite3 "$W/q2.db" "SELECT 'added=' || sum(records_added) || ' unchanged=' || sum(records_unchanged) || ' replaced=' || sum(records_replaced) || ' withdrawn=' || sum(records_withdrawn) FROM source_file WHERE superseded_by IS NULL")"
    echo "revision-3 run, files read: $(sqlite3 "$W/rev3run.db" "SELECT 'rows_read=' || sum(rows_read) || ' rejected=' || sum(rows_rejected) || ' added=' || sum(records_added) || ' unchanged=' || sum(records_unchanged) || ' replaced=' || sum(records_replaced) || ' withdrawn=' || sum(records_withdrawn) FROM source_file WHERE id > $REV3_FILES")"
    echo "revision-3 run, check: $(sqlite3 "$W/rev3run.db" "SELECT 'patients_mom=' || patients_mom || ' findings=' || (SELECT count(*) FROM finding WHERE check_run_id = c.id) || ' excepted=' || (SELECT count(*) FROM excepted_finding WHERE check_run_id = c.id) || ' exceptions=' || (SELECT count(*) FROM exception WHERE withdrawn_by IS NULL) || ' (of MoM patients: in_force=' || (SELECT count(*) FROM run_exception WHERE check_run_id = c.id AND state = 'in_force') || ' expired=' || (SELECT count(*) FROM run_exception WHERE check_run_id = c.id AND state = 'expired') || ' too_long=' || (SELECT count(*) FROM run_exception WHERE check_run_id = c.id AND state = 'too_long') || ')' FROM check_run c ORDER BY c.id DESC LIMIT 1")"
    echo "revision-3 baseline: $(sqlite3 "$W/base-rev3.db" "SELECT 'procedures=' || (SELECT count(*) FROM procedures) || ' events=' || (SELECT count(*) FROM events) || ' results=' || (SELECT count(*) FROM results) || ' exceptions=' || (SELECT count(*) FROM exceptions)")"
  } >>"$OUT/counts.txt.new"
  rm -rf "$W/report" "$W/run" "$W/q2run" "$W/rev3run"
done
mv "$OUT/counts.txt.new" "$OUT/counts.txt"
mv "$OUT/quarters.txt.new" "$OUT/quarters.txt"
python3 bench/summarise.py "$OUT" "$BIN" >bench/RESULTS.md
echo "== wrote bench/RESULTS.md"

# The speed targets on other generators' data, with the same binaries (no build).
if [ -z "${NO_VARIANTS:-}" ]; then
  echo "== bench/variants.sh (scale ${VARIANTS_SCALE:-0.1})"
  SCALE=${VARIANTS_SCALE:-0.1} REPS=$REPS BIN=$BIN bench/variants.sh
fi
