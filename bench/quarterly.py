#!/usr/bin/env python3
"""Quarterly deliveries of a cumulative source for `make bench` (issue 11).

Usage: python3 bench/quarterly.py CSV_DIR OUT_DIR [QUARTERS]

From the national export in CSV_DIR (1-procedures.csv, 2-events.csv, as
bench/generate.py writes them), writes OUT_DIR/q1 … qN: q1 is the export as
it is; each later quarter is the previous one with about 2 % of events
added (new ids, at the end, as an id-ordered export grows), 0.5 % changed
(a note) and 0.1 % left out (withdrawn at the source). The procedures file
is sent again byte for byte. Each qK.toml is a sources manifest naming the
quarter's folder as the cumulative source "registry". Seeded: the same
inputs give the same deliveries. Prints a JSON summary.
"""

import csv
import io
import json
import os
import random
import shutil
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    quarters = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    rng = random.Random(20261206)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(src, "2-events.csv"), newline="", encoding="utf-8") as f:
        text = f.read()
    header, *rows = text.split("\n")
    rows = [r for r in rows if r]
    columns = next(csv.reader([header]))
    note = columns.index("note")
    summary = {"quarters": []}
    next_id = 0
    for q in range(1, quarters + 1):
        d = os.path.join(out, "q%d" % q)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        added = changed = withdrawn = 0
        if q > 1:
            n = len(rows)
            keep = []
            for r in rows:
                x = rng.random()
                if x < 0.001:
                    withdrawn += 1
                    continue
                if x < 0.006:
                    cells = next(csv.reader([r]))
                    cells[note] = "corrected in quarter %d" % q
                    buf = io.StringIO()
                    csv.writer(buf, lineterminator="").writerow(cells)
                    r = buf.getvalue()
                    changed += 1
                keep.append(r)
            for _ in range(int(n * 0.02)):
                cells = next(csv.reader([rows[rng.randrange(n)]]))
                next_id += 1
                cells[0] = "Q%d-%08d" % (q, next_id)
                buf = io.StringIO()
                csv.writer(buf, lineterminator="").writerow(cells)
                keep.append(buf.getvalue())
                added += 1
            rows = keep
        shutil.copyfile(os.path.join(src, "1-procedures.csv"), os.path.join(d, "1-procedures.csv"))
        with open(os.path.join(d, "2-events.csv"), "w", newline="", encoding="utf-8") as f:
            f.write(header + "\n" + "\n".join(rows) + "\n")
        with open(os.path.join(out, "q%d.toml" % q), "w") as f:
            f.write('[[source]]\nname = "registry"\npath = "q%d"\ncumulative = true\n' % q)
        summary["quarters"].append({"quarter": q, "event_rows": len(rows), "added": added, "changed": changed, "withdrawn": withdrawn})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
