#!/usr/bin/env bash
# Issue 14 (first step): the speed targets on more than one generator's data.
# See bench/README.md.
#
#   bench/variants.sh                         every variant at 1/10 scale, 3 repetitions
#   SCALE=1 REPS=5 bench/variants.sh          another scale or repetitions
#   VARIANTS="default seed3-events2x-bad3x" bench/variants.sh   some of them
#   BIN=/path/to/release bench/variants.sh    other binaries (default .build-bench/release)
#
# Does not build: it measures the release binaries in BIN as they are. For each
# variant (generator options below) it generates the export into
# bench/out/variants/<name>/ (cached: kept while the generator's checksum, the
# scale and the options are unchanged; only csv/ is kept), then measures REPS
# times, interleaved, under /usr/bin/time -v as run.sh does: sqlite3 .import of
# the three CSVs (the baseline), momaudit-ingest of the CSV folder, momaudit-check
# on a copy of an ingested database, momaudit run end to end. Every stage starts
# from a fresh database; copies are not timed. Prints the medians and the three
# ratios against the baseline per variant and writes bench/VARIANTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${SCALE:-0.1}
REPS=${REPS:-3}
BIN=${BIN:-.build-bench/release}
AS_OF=2026-09-30
VOUT=$ROOT/bench/out/variants

# name|generator options. The default is run.sh's data; the others vary the
# seed, the MoM fraction, the events per patient and the share of bad rows.
ALL_VARIANTS="default|
seed2-mom15|--seed 2 --mom-fraction 0.15
seed3-events2x-bad3x|--seed 3 --events-per-patient 2 --bad-row-share 0.009"
VARIANTS=${VARIANTS:-$(echo "$ALL_VARIANTS" | cut -d'|' -f1 | tr '\n' ' ')}

for t in sqlite3 python3 /usr/bin/time; do
  command -v $t >/dev/null 2>&1 || { echo "error: $t not found" >&2; echo "hint: sudo apt-get install -y sqlite3 python3 time" >&2; exit 1; }
done
BIN=$(cd "$BIN" 2>/dev/null && pwd) || { echo "error: no binaries in ${BIN}" >&2; echo "hint: make bench builds .build-bench, or set BIN" >&2; exit 1; }
for t in momaudit momaudit-ingest momaudit-check; do
  [ -x "$BIN/$t" ] || { echo "error: $BIN/$t missing" >&2; exit 1; }
done
mkdir -p "$VOUT"

# What is measured: the binaries' build time and checksum, and the commit the
# tree was at when this ran (read from .git; the binaries may predate it).
head_commit() {
  local ref
  ref=$(sed -n 's/^ref: //p' .git/HEAD 2>/dev/null || true)
  if [ -z "$ref" ]; then cut -c1-7 .git/HEAD 2>/dev/null || echo "?"; return; fi
  if [ -f ".git/$ref" ]; then cut -c1-7 ".git/$ref"
  else awk -v r="$ref" '$2 == r { print substr($1, 1, 7) }' .git/packed-refs 2>/dev/null || echo "?"; fi
}
BUILD="\`${BIN#"$ROOT"/}/momaudit\` $("$BIN/momaudit" --version 2>/dev/null || echo ?), built $(date -u -r "$BIN/momaudit" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$BIN/momaudit" | cut -c1-12); tree at commit $(head_commit) when measured"

TSV=$VOUT/measurements.tsv
: >"$TSV"
: >"$VOUT/counts.tsv"
echo "load_before_all $(cut -d' ' -f1-3 /proc/loadavg)" >"$VOUT/conditions.txt"
echo "build $BUILD" >>"$VOUT/conditions.txt"
echo "scale $SCALE" >>"$VOUT/conditions.txt"
echo "reps $REPS" >>"$VOUT/conditions.txt"
echo "date $(date -u '+%Y-%m-%d %H:%M UTC')" >>"$VOUT/conditions.txt"
GEN_SUM=$(sha256sum bench/generate.py | cut -c1-16)

MEASURE_DIR=$VOUT
# shellcheck source=bench/lib.sh
. bench/lib.sh

for name in $VARIANTS; do
  line=$(echo "$ALL_VARIANTS" | awk -F'|' -v n="$name" '$1 == n')
  [ -n "$line" ] || { echo "error: unknown variant $name (known: $(echo "$ALL_VARIANTS" | cut -d'|' -f1 | tr '\n' ' '))" >&2; exit 1; }
  opts=${line#*|}
  D=$VOUT/$name
  KEY="$GEN_SUM scale=$SCALE $opts"
  if [ ! -f "$D/manifest.json" ] || [ "$(cat "$D/.generator" 2>/dev/null)" != "$KEY" ]; then
    echo "== generating $name (scale $SCALE${opts:+, $opts}) into $D"
    rm -rf "$D"
    # shellcheck disable=SC2086 # opts is a list of options
    python3 bench/generate.py --scale "$SCALE" $opts --out "$D" >/dev/null
    # Only the CSVs are measured here: the XML and results copies go (disk).
    rm -rf "$D/xml" "$D/results"
    echo "$KEY" >"$D/.generator"
  fi
  W=$D/work
  fresh_work "$W" "$name" "$name" "$D/manifest.json" "$VOUT/conditions.txt"

  # An ingested, checkpointed database for the check stage (not timed).
  ingested "$W/ingested.db" "$D/csv"

  for rep in $(seq 1 "$REPS"); do
    rmdb "$W/base.db"
    measure "$name" sqlite_import "$rep" sqlite3 "$W/base.db" \
      ".import --csv $D/csv/1-procedures.csv procedures" \
      ".import --csv $D/csv/2-events.csv events" \
      ".import --csv $D/csv/3-procedures-update.csv procedures_update"
    rmdb "$W/csv.db"
    measure "$name" ingest_csv "$rep" "$BIN/momaudit-ingest" --db "$W/csv.db" -q "$D/csv"
    cpdb "$W/ingested.db" "$W/check.db"
    measure "$name" check "$rep" "$BIN/momaudit-check" --db "$W/check.db" -q --as-of "$AS_OF"
    rmdb "$W/run.db"
    rm -rf "$W/run"
    measure "$name" run "$rep" "$BIN/momaudit" run --db "$W/run.db" -q --as-of "$AS_OF" --out "$W/run" "$D/csv"
  done
  echo "$name load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$VOUT/conditions.txt"

  # What the loads and the check produced (not timed), for the table.
  {
    printf '%s\toptions\t%s\n' "$name" "${opts:-(defaults)}"
    printf '%s\tcsv_mb\t%s\n' "$name" "$(du -sm "$D/csv" | cut -f1)"
    sqlite3 -separator $'\t' "$W/csv.db" "SELECT '$name', 'rows_read', sum(rows_read) FROM source_file;
      SELECT '$name', 'procedures', count(*) FROM procedure;
      SELECT '$name', 'events', count(*) FROM event;
      SELECT '$name', 'rejects', count(*) FROM reject;
      SELECT '$name', 'db_mb', page_count * page_size / 1048576 FROM pragma_page_count, pragma_page_size;"
    sqlite3 -separator $'\t' "$W/check.db" "SELECT '$name', 'patients_mom', patients_mom FROM check_run ORDER BY id DESC LIMIT 1;
      SELECT '$name', 'findings', (SELECT count(*) FROM finding WHERE check_run_id = check_run.id) FROM check_run ORDER BY id DESC LIMIT 1;"
  } >>"$VOUT/counts.tsv"
  # The data stays cached; the databases (a few hundred MB) go unless KEEP_WORK is set.
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$W"
done
echo "load_after_all $(cut -d' ' -f1-3 /proc/loadavg)" >>"$VOUT/conditions.txt"

python3 - "$VOUT" "$ROOT/bench/VARIANTS.md" <<'PY'
import collections, statistics, sys
out, md = sys.argv[1], sys.argv[2]
walls = collections.defaultdict(list)
order = []
for line in open(out + "/measurements.tsv"):
    v, stage, rep, wall, rss, user, sys_ = line.rstrip("\n").split("\t")
    walls[(v, stage)].append(float(wall))
    if v not in order:
        order.append(v)
counts = collections.defaultdict(dict)
for line in open(out + "/counts.tsv"):
    v, k, val = line.rstrip("\n").split("\t", 2)
    counts[v][k] = val
cond = {}
loads = {}
for line in open(out + "/conditions.txt"):
    k, _, rest = line.rstrip("\n").partition(" ")
    if k in ("load_before_all", "load_after_all", "build", "scale", "reps", "date"):
        cond[k] = rest
    else:
        what, _, la = rest.partition(" ")
        loads[(k, what)] = la
TARGETS = [("ingest_csv", "ingest / import", 0.9), ("run", "run / import", 1.5), ("check", "check / import", 0.4)]
med = lambda v, s: statistics.median(walls[(v, s)])
L = []
L.append("# Speed targets on several generators' data (issue 14)")
L.append("")
L.append("Generated by `bench/variants.sh` (see bench/README.md); do not edit the figures by hand.")
L.append("")
L.append("| | |")
L.append("|---|---|")
L.append("| date | %s |" % cond.get("date", "?"))
L.append("| scale | %s (REPS %s, medians; interleaved per variant) |" % (cond.get("scale", "?"), cond.get("reps", "?")))
L.append("| binaries | %s |" % cond.get("build", "?"))
L.append("| load average before | %s (after: %s) |" % (cond.get("load_before_all", "?"), cond.get("load_after_all", "?")))
L.append("")
L.append("Targets, ratios of medians in the same run: `momaudit-ingest` CSV / `sqlite3 .import` <= 0.9; "
         "`momaudit run` / `sqlite3 .import` <= 1.5; `momaudit-check` / `sqlite3 .import` <= 0.4.")
L.append("")
L.append("| variant | generator options | CSV rows | rejects | import | ingest | check | run | ingest / import (<= 0.9) | run / import (<= 1.5) | check / import (<= 0.4) |")
L.append("|---|---|---|---|---|---|---|---|---|---|---|")
for v in order:
    c = counts[v]
    base = med(v, "sqlite_import")
    ratios = []
    for stage, _, target in TARGETS:
        r = med(v, stage) / base
        ratios.append("%.2f %s" % (r, "ok" if r <= target else "**over**"))
    L.append("| %s | `%s` | %s | %s | %.2f s | %.2f s | %.2f s | %.2f s | %s |" % (
        v, c.get("options", "?"), "{:,}".format(int(c.get("rows_read", 0))), c.get("rejects", "?"),
        base, med(v, "ingest_csv"), med(v, "check"), med(v, "run"), " | ".join(ratios)))
L.append("")
L.append("Every repetition (wall seconds), and what the loads produced:")
L.append("")
L.append("| variant | load before | import | ingest | check | run | procedures | events | MoM patients | findings | CSV MB | DB MB |")
L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
for v in order:
    c = counts[v]
    reps = lambda s: " ".join("%.2f" % x for x in walls[(v, s)])
    L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        v, loads.get((v, "load_before"), "?"), reps("sqlite_import"), reps("ingest_csv"), reps("check"), reps("run"),
        c.get("procedures", "?"), c.get("events", "?"), c.get("patients_mom", "?"), c.get("findings", "?"),
        c.get("csv_mb", "?"), c.get("db_mb", "?")))
text = "\n".join(L) + "\n"
open(md, "w").write(text)
print(text)
PY
echo "== wrote bench/VARIANTS.md"
