#!/usr/bin/env python3
"""A clinicians' exceptions register for `make bench` (issue 14).

Usage: python3 bench/exceptions.py PROCEDURES_CSV OUT_CSV [--seed N] [--share F] [--as-of YYYY-MM-DD]

From a procedures file as bench/generate.py writes it, writes the MoM clinic's
register of exceptions (docs/input-formats.md, "Exceptions"): a decision by a
clinician that a requirement does not apply to a patient, or to one implant,
until a review date. A register is kept by hand, so it is small:

- about F (default 2 %) of the MoM patients (a procedure with bearing `MoM`,
  in any of the generator's spellings) have one, for one finding code or
  `ALL`; about one in five of those whose exception has expired also have it
  renewed (a second row, recorded around the first's review date);
- a few patients with no MoM procedure have one too (1 for every 20 MoM
  patients with one, at least 2), as a register kept apart from the
  registry holds (they match no finding);
- recorded between two years before the audit date and the audit date, most
  for 12 months, some for 6 or 3, about 3 % for 18 or 24 months (too long: the
  check never applies them); so some have expired by the audit date
  (`review_by` before it) and some are in force. `review_by` is never before
  `recorded_on`;
- the imaging findings about one hip name the MoM implant concerned
  (`procedure_id`) four times in five; the others name one now and then;
- the reason follows the finding (MRI contraindicated, declined blood tests,
  an individual plan); `recorded_by` is the patient's consultant, or a GMC
  number; about half have a note. Dates are ISO; one NHS number in ten is
  written with spaces.

Deterministic: random.Random(seed) and the procedures file decide everything.
Prints a JSON summary (rows, patients, expired and in force on the audit date,
too long).
"""

import argparse
import csv
import datetime as dt
import json
import random

SEED = 20261207
AS_OF = "2026-09-30"
MAX_MONTHS = 12  # exception_max_months of the built-in pack

HEADER = ["exception_id", "nhs_number", "finding", "procedure_id", "reason", "recorded_by",
          "recorded_on", "review_by", "note"]
# Finding codes (Sources/MoMAuditKit/Rules/*Rule.swift) and how often a clinician
# records an exception for each.
FINDINGS = [
    ("ALL", 15), ("REVIEW_OVERDUE", 20), ("IONS_OVERDUE", 20), ("ION_REPEAT_OVERDUE", 5),
    ("IMAGING_RISING_IONS_OVERDUE", 10), ("IMAGING_SYMPTOMS_OVERDUE", 10), ("IMAGING_BASELINE_MISSING", 20),
]
PER_IMPLANT = ("IMAGING_SYMPTOMS_OVERDUE", "IMAGING_BASELINE_MISSING")
# (reason, weight, notes) by what the exception covers.
REASONS = {
    "imaging": [("clinically_unsuitable", 7, ["Pacemaker: MRI contraindicated", "Severe claustrophobia, declines MARS MRI",
                                              "Ultrasound not possible (body habitus)"]),
                ("informed_dissent", 3, ["Declines further scans after discussion"])],
    "ions": [("informed_dissent", 6, ["Declines blood tests after discussion", "Needle phobia, declines venepuncture"]),
             ("clinically_unsuitable", 2, ["Renal failure: ion levels not interpretable"]),
             ("individual_plan", 2, ["Bloods with GP practice nurse, results copied to clinic"])],
    "review": [("individual_plan", 8, ["Telephone review only while caring for her husband",
                                       "Working abroad for a year; follow-up resumes on return",
                                       "Reviews with GP, results copied to the clinic"]),
               ("informed_dissent", 2, ["Declines clinic attendance, asymptomatic, reviewed by letter"])],
}


def add_months(d, n):
    y, m0 = divmod(d.month - 1 + n, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(d.year + y, m0 + 1, day)
        except ValueError:
            continue


def weighted(rng, pairs):
    total = sum(w for _, w, *_ in pairs)
    x = rng.uniform(0, total)
    for p in pairs:
        x -= p[1]
        if x <= 0:
            return p
    return pairs[-1]


def read_patients(path):
    """Patients in file order: NHS number (digits) -> MoM procedure ids, all ids, consultant."""
    patients = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            nhs = row["nhs_number"].replace(" ", "")
            p = patients.setdefault(nhs, {"mom": [], "all": [], "consultant": row["consultant_code"]})
            pid = row["procedure_id"]
            if pid in p["all"]:
                continue  # a repeated row
            p["all"].append(pid)
            if row["bearing"].strip().lower() in ("mom", "metal-on-metal"):
                p["mom"].append(pid)
    return patients


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("procedures", help="a procedures CSV (bench/generate.py's 1-procedures.csv)")
    ap.add_argument("out", help="the exceptions CSV to write")
    ap.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    ap.add_argument("--share", type=float, default=0.02, help="share of MoM patients with an exception (default %(default)s)")
    ap.add_argument("--as-of", default=AS_OF, help="the audit date (default %(default)s)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    as_of = dt.date.fromisoformat(a.as_of)
    first = add_months(as_of, -24)
    span = (as_of - first).days

    patients = read_patients(a.procedures)
    mom = [n for n, p in patients.items() if p["mom"]]
    other = [n for n, p in patients.items() if not p["mom"]]
    chosen = rng.sample(mom, max(1, round(len(mom) * a.share))) if mom else []
    chosen_other = rng.sample(other, min(len(other), max(2, round(len(chosen) / 20))))

    rows = []  # (recorded_on, nhs, finding, procedure_id, reason, recorded_by, review_by, note)

    def exception(nhs, finding, procedure_id, recorded_on):
        p = patients[nhs]
        kind = "imaging" if finding.startswith("IMAGING") else "ions" if finding.startswith("ION") else "review"
        reason, _, notes = weighted(rng, REASONS[kind])
        x = rng.random()
        months = 12 if x < 0.70 else 6 if x < 0.90 else 3 if x < 0.97 else rng.choice([18, 24])
        recorded_by = p["consultant"] if rng.random() < 0.8 else str(rng.randint(2000000, 7999999))
        note = rng.choice(notes) if rng.random() < 0.5 else ""
        rows.append((recorded_on, nhs, finding, procedure_id, reason, recorded_by, add_months(recorded_on, months), note))

    for nhs in chosen:
        p = patients[nhs]
        finding = weighted(rng, FINDINGS)[0]
        if finding in PER_IMPLANT:
            procedure_id = rng.choice(p["mom"]) if rng.random() < 0.8 else ""
        else:
            procedure_id = rng.choice(p["mom"]) if rng.random() < 0.15 else ""
        exception(nhs, finding, procedure_id, first + dt.timedelta(days=rng.randint(0, span)))
        last = rows[-1]
        # Renewed at its review, when that has come.
        if last[6] < as_of and rng.random() < 0.2:
            renewed = last[6] - dt.timedelta(days=rng.randint(0, 30))
            if renewed <= as_of:
                exception(nhs, finding, procedure_id, renewed)
    for nhs in chosen_other:
        exception(nhs, rng.choice(["ALL", "REVIEW_OVERDUE"]), "", first + dt.timedelta(days=rng.randint(0, span)))

    # Ids in the order the exceptions were recorded, as a register numbers them.
    rows.sort(key=lambda r: (r[0], r[1]))
    summary = {"rows": len(rows), "mom_patients": len(mom), "patients_mom": len(chosen), "patients_other": len(chosen_other),
               "expired": 0, "in_force": 0, "too_long": 0, "naming_implant": 0}
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        for i, (recorded_on, nhs, finding, procedure_id, reason, recorded_by, review_by, note) in enumerate(rows, 1):
            assert review_by >= recorded_on
            too_long = review_by > add_months(recorded_on, MAX_MONTHS)
            summary["too_long"] += too_long
            summary["expired"] += review_by < as_of
            summary["in_force"] += recorded_on <= as_of <= review_by and not too_long
            summary["naming_implant"] += procedure_id != ""
            spelt = nhs if rng.random() < 0.9 else "%s %s %s" % (nhs[0:3], nhs[3:6], nhs[6:10])
            w.writerow(["EXC-%06d" % i, spelt, finding, procedure_id, reason, recorded_by,
                        recorded_on.isoformat(), review_by.isoformat(), note])
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
