#!/usr/bin/env bash
# make install / make uninstall into a temporary DESTDIR (run by make test):
# every file where it belongs, the manual page renders with man -l, the
# installed momaudit answers --help, the bash completion loads; then
# uninstall leaves no file behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v man >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db >/dev/null
fi
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }

make --no-print-directory install DESTDIR="$dest" PREFIX=/opt/momaudit >/dev/null
root=$dest/opt/momaudit
for b in momaudit momaudit-ingest momaudit-check momaudit-report; do
  test -x "$root/bin/$b" || fail "bin/$b missing or not executable"
  test -s "$root/share/man/man1/$b.1" || fail "man page $b.1 missing"
  test -s "$root/share/bash-completion/completions/$b" || fail "bash completion $b missing"
  test -s "$root/share/zsh/site-functions/_$b" || fail "zsh completion _$b missing"
  test -s "$root/share/fish/vendor_completions.d/$b.fish" || fail "fish completion $b.fish missing"
  # The page is the command's own help: every option of --help is in it.
  for opt in $("$root/bin/$b" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -q -- "${opt#--}" "$root/share/man/man1/$b.1" || fail "$b.1 lacks $opt"
  done
done
files=$(find "$dest" -type f | wc -l)
[ "$files" -eq 20 ] || fail "expected 20 files installed, found $files"
page=$(MANWIDTH=80 man -l "$root/share/man/man1/momaudit-ingest.1" 2>/dev/null) || fail "man -l failed"
echo "$page" | grep -q "allow-withdraw" || fail "the rendered page lacks --allow-withdraw"
"$root/bin/momaudit" --help | grep -q "USAGE: momaudit" || fail "installed momaudit --help"
# The installed executables run the whole audit on SampleData.
work=$(mktemp -d)
trap 'rm -rf "$dest" "$work"' EXIT
"$root/bin/momaudit" run --quiet --db "$work/audit.sqlite" --as-of 2026-09-30 --out "$work/reports" \
  --sources SampleData/sources.toml || fail "installed momaudit run on SampleData"
test -s "$work/reports/findings.csv" || fail "installed momaudit run wrote no findings.csv"
"$root/bin/momaudit-report" --quiet --db "$work/audit.sqlite" --out "$work/again" || fail "installed momaudit-report"
bash -c "source '$root/share/bash-completion/completions/momaudit' && complete -p momaudit" >/dev/null || fail "bash completion does not load"

# The systemd units (contrib/systemd): systemd-analyze verify accepts both
# (it also checks their man: documentation link, against the pages just
# installed), and the service's exposure score is what docs/operators.md says.
if ! command -v systemd-analyze >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "test-install: installing systemd (for systemd-analyze)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
fi
if command -v systemd-analyze >/dev/null 2>&1; then
  out=$(MANPATH="$root/share/man" systemd-analyze verify contrib/systemd/momaudit.service contrib/systemd/momaudit.timer 2>&1) \
    || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
  score=$(systemd-analyze security --offline=yes contrib/systemd/momaudit.service 2>&1 | grep -oE 'Overall exposure level for momaudit.service: [0-9.]+ [A-Z]+')
  echo "test-install: systemd-analyze verify ok; ${score#Overall }"
  documented=$(grep -oE 'exposure level [0-9.]+ [A-Z]+' docs/operators.md | head -1 || true)
  [ "exposure level ${score##*: }" = "$documented" ] || fail "docs/operators.md says '$documented', systemd-analyze says '${score##*: }'"
else
  echo "test-install: SKIPPED the systemd units: systemd-analyze is not installed and this is not root (apt-get install systemd)"
fi

make --no-print-directory uninstall DESTDIR="$dest" PREFIX=/opt/momaudit >/dev/null
left=$(find "$dest" -mindepth 1 \( -type f -o -type l \) | wc -l)
[ "$left" -eq 0 ] || fail "uninstall left $left files: $(find "$dest" -type f)"
[ -z "$(find "$root" -mindepth 1 2>/dev/null)" ] || fail "uninstall left folders under the prefix"
echo "test-install: ok (20 files installed, man -l renders, --help answers, momaudit run on SampleData, uninstall leaves nothing)"
