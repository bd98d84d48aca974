# Shared by bench/run.sh and bench/variants.sh (sourced). The caller sets
# MEASURE_DIR (temporary files) and TSV (the measurements table).

# measure LABEL STAGE REP cmd...: runs cmd under /usr/bin/time, appends a row
# `LABEL STAGE REP wall rss user sys` to $TSV and prints it.
measure() {
  local label=$1 stage=$2 rep=$3
  shift 3
  local tf=$MEASURE_DIR/.time.$$
  # The previous stage's dirty pages are written back before this one starts,
  # not during it (a 1 GB database written just before otherwise slows the
  # next stage's own writes; measured on the results ingest, issue 10).
  sync
  if ! /usr/bin/time -v -o "$tf" "$@" >"$MEASURE_DIR/.stdout.$$" 2>"$MEASURE_DIR/.stderr.$$"; then
    echo "error: stage $stage ($label) failed: $*" >&2
    tail -n 20 "$MEASURE_DIR/.stderr.$$" >&2
    exit 1
  fi
  local wall rss user sys
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tf")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf")
  user=$(awk -F': ' '/User time/ {print $2}' "$tf")
  sys=$(awk -F': ' '/System time/ {print $2}' "$tf")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$stage" "$rep" "$wall" "$rss" "$user" "$sys" >>"$TSV"
  printf '   %-13s rep %s  %7.2f s  %7.1f MB  (user %s s, sys %s s)\n' "$stage" "$rep" "$wall" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$user" "$sys"
  rm -f "$tf" "$MEASURE_DIR/.stdout.$$" "$MEASURE_DIR/.stderr.$$"
}

rmdb() { rm -f "$1" "$1-wal" "$1-shm" "$1.lock"; }
cpdb() { rmdb "$2"; cp "$1" "$2"; }

# checkpoint DB: the WAL written back into the database file (not timed).
checkpoint() { sqlite3 "$1" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; }

# ingested DB INPUT...: a new database loaded by $BIN/momaudit-ingest from
# INPUT (a folder, files, or --sources MANIFEST), checkpointed; not timed.
ingested() {
  local db=$1
  shift
  rmdb "$db"
  "$BIN/momaudit-ingest" --db "$db" -q "$@"
  checkpoint "$db"
}

# fresh_work W HEADING KEY MANIFEST CONDITIONS: an empty work folder W; prints
# HEADING with the data's manifest and the load average, and records the load
# average as `KEY load_before` in CONDITIONS.
fresh_work() {
  rm -rf "$1"
  mkdir -p "$1"
  echo "== $2: $(tr -d '\n ' <"$4")"
  echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$3 load_before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$5"
}

