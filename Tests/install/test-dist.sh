#!/usr/bin/env bash
# make dist (run by make test): the tarball unpacks, its executables link no
# Swift runtime library (ldd), and `momaudit run` on SampleData works with
# PATH and LD_LIBRARY_PATH free of any Swift toolchain.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "test-dist: FAIL: $*" >&2; exit 1; }
make --no-print-directory dist >/dev/null
tarball=$(ls -t momaudit-*-linux-*.tar.gz | head -1)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
tar -C "$dir" -xzf "$tarball"
root=$(echo "$dir"/momaudit-*)
for b in momaudit momaudit-ingest momaudit-check momaudit-report; do
  test -x "$root/bin/$b" || fail "bin/$b missing"
  if ldd "$root/bin/$b" | grep -qi swift; then fail "$b links a Swift library: $(ldd "$root/bin/$b" | grep -i swift)"; fi
  if ldd "$root/bin/$b" | grep -q "not found"; then fail "$b needs a missing library: $(ldd "$root/bin/$b" | grep 'not found')"; fi
done
for f in share/man/man1/momaudit.1 share/bash-completion/completions/momaudit contrib/systemd/momaudit.service \
  contrib/systemd/momaudit.timer README.md; do
  test -s "$root/$f" || fail "$f missing from the tarball"
done
work=$(mktemp -d)
trap 'rm -rf "$dir" "$work"' EXIT
env -i HOME="$work" PATH=/usr/bin:/bin LD_LIBRARY_PATH= "$root/bin/momaudit" run --quiet --db "$work/audit.sqlite" \
  --as-of 2026-09-30 --out "$work/reports" --sources "$PWD/SampleData/sources.toml" || fail "momaudit run on SampleData"
test -s "$work/reports/findings.csv" || fail "no findings.csv"
# The stage executables (links to momaudit) are those stages.
env -i PATH=/usr/bin:/bin "$root/bin/momaudit-check" --db "$work/audit.sqlite" --as-of 2026-09-30 --quiet || fail "momaudit-check"
env -i PATH=/usr/bin:/bin "$root/bin/momaudit-report" --db "$work/audit.sqlite" --out "$work/again" --quiet || fail "momaudit-report"
env -i PATH=/usr/bin:/bin "$root/bin/momaudit-ingest" --help | grep -q "USAGE: momaudit-ingest" || fail "momaudit-ingest --help"
cmp -s "$work/reports/findings.csv" "$work/again/findings.csv" || fail "the stages' report differs from run's"
echo "test-dist: ok ($tarball, $(du -h "$tarball" | cut -f1); no libswift; momaudit run on SampleData without a toolchain)"
