#!/usr/bin/env python3
"""Generate a national-scale synthetic registry export for `make bench`.

Writes the same records twice, as CSV and as XML (registry-export.md):

  OUT/csv/1-procedures.csv          every procedure (1.5 M at --scale 1)
  OUT/csv/2-events.csv              every event (about 2 per procedure)
  OUT/csv/3-procedures-update.csv   a later snapshot re-sending 1 % of the
                                    procedures (half identical, half with a
                                    corrected consultant code): replacements
  OUT/xml/1-export.xml              1 + 2 as one document grouped by patient
  OUT/xml/2-update.xml              3 as one document
  OUT/manifest.json                 counts, for the benchmark's report

About 5 % of procedures are metal-on-metal; MoM patients carry a realistic
follow-up history (reviews, ion tests, imaging, DNAs, deaths), the others an
occasional review or radiograph. A small share of rows is deliberately bad
(head size out of range, impossible date, unknown code) or repeated (identical,
or with different content), so the benchmark exercises the reject and
duplicate paths at national volume. Value spellings vary as trusts' exports
do (DD/MM/YYYY dates, spaced NHS numbers, `left`, `THR`, `metal-on-metal`).

Records are written patient by patient; procedure and event ids are
sequential in file order (as an export `ORDER BY id` would give).

Deterministic: the only randomness is random.Random(seed + scale), so the
same options give byte-identical files. No dependencies (Python 3.7+).

Options that make another generator's data (issue 14: the targets must hold
on more than one data set). Each default reproduces the original output byte
for byte; when any differs from its default, manifest.json also records them
under "options".

  --seed N                  the random seed (default 20260930). Another seed
                            also starts the NHS numbers elsewhere in their
                            scattered sequence, so the patients' numbers, and
                            the order they reach the indexes in, differ too.
  --mom-fraction F          the chance that a patient is a metal-on-metal
                            patient (default 0.05; about 4.6 % of procedures
                            end up MoM, as a MoM patient's other hip or
                            revision may not be). MoM patients carry most of
                            the events, so this raises events per patient too.
  --bad-row-share F         the chance that a patient's records carry one
                            deliberately irregular row (default 0.003, about
                            0.08 % of the CSV rows): a fault (head size out of
                            range, impossible date, unknown event type; 16 of
                            every 30) or a repeated procedure (identical, 10 of
                            30; with different content, 4 of 30). The five
                            kinds keep these proportions; 0.009 is 3x.
  --events-per-patient F    a multiplier of each patient's follow-up events
                            (default 1; about 2 per procedure): a MoM patient's
                            visits come F times as often (the 60-event cap and
                            the chance of dying per visit scale with it), a
                            non-MoM patient's 0-4 reviews and radiographs are
                            multiplied by F (rounded at random). Deaths and
                            withdrawals from follow-up stay once per patient.

Usage: python3 bench/generate.py --scale 0.1 --out bench/out/0.1
       python3 bench/generate.py --scale 0.1 --seed 3 --events-per-patient 2 \
           --bad-row-share 0.009 --out bench/out/variants/seed3
"""

import argparse
import datetime as dt
import json
import os
import random

SEED = 20260930
FULL_PROCEDURES = 1_500_000
MOM_SHARE = 0.05
# The chance that a patient carries one deliberately irregular row, and where
# each kind ends within it (cumulative): faults, then repeats.
IRREGULAR_SHARE = 0.0030
IRREGULAR_KINDS = (0.0006, 0.0012, 0.0016, 0.0026, 0.0030)
EXPORT_DATE = dt.date(2026, 10, 1)
LAST_DATE = dt.date(2026, 9, 30)
FIRST_DATE = dt.date(2000, 1, 1)
NS = "urn:momaudit:registry-export:1"

PROC_FIELDS = [
    "procedure_id", "nhs_number", "local_patient_id", "sex", "date_of_birth", "procedure_date", "side",
    "procedure_type", "bearing", "head_diameter_mm", "femoral_component", "acetabular_component",
    "stem_component", "manufacturer", "opcs_code", "trust_code", "site_code", "consultant_code",
]
EVENT_FIELDS = [
    "event_id", "nhs_number", "event_date", "event_type", "side", "symptomatic", "oxford_hip_score",
    "cobalt", "chromium", "ion_unit", "sample_type", "imaging_finding", "note",
]


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


# Devices: (type, bearing, femoral, acetabular, stem, manufacturer, opcs, head sizes)
MOM_DEVICES = [
    ("resurfacing", "MoM", "BHR head", "BHR cup", "", "Smith & Nephew", "W58.1", (38, 58)),
    ("resurfacing", "MoM", "ASR head", "ASR cup", "", "DePuy", "W58.1", (39, 55)),
    ("total_hip", "MoM", "ASR XL head", "ASR XL cup", "Corail stem", "DePuy", "W37.1", (39, 63)),
    ("total_hip", "MoM", "Pinnacle Ultamet liner", "Pinnacle cup", "Corail stem", "DePuy", "W37.1", (28, 36)),
    ("resurfacing", "MoM", "Conserve Plus head", "Conserve Plus cup", "", "MicroPort", "W58.1", (40, 56)),
    ("total_hip", "MoM", "Metasul head", "Durom cup", "CLS stem", "Zimmer", "W38.1", (38, 60)),
]
OTHER_DEVICES = [
    ("total_hip", "MoP", "Exeter head", "Contemporary cup", "Exeter V40 stem", "Stryker", "W37.1", (22, 36)),
    ("total_hip", "CoP", "Biolox delta head", "Trident cup", "Accolade stem", "Stryker", "W38.1", (28, 36)),
    ("total_hip", "CoC", "Biolox delta head", "Pinnacle cup", "Corail stem", "DePuy", "W38.1", (32, 40)),
    ("total_hip", "MoP", "Articul/eze head", "Pinnacle cup", "Corail stem", "DePuy", "W37.1", (28, 36)),
    ("total_hip", "CoP", "Oxinium head", "R3 cup", "Polarstem", "Smith & Nephew", "W39.1", (28, 36)),
]
REVISION_DEVICE = ("revision", "CoP", "Biolox delta head", "Revision cup", "Revision stem", "Stryker", "W39.5", (32, 36))
TRUSTS = ["R%s" % c for c in ("XH", "TH", "RV", "AJ", "BA", "DE", "F7", "GT", "HM", "J1", "KE", "M8", "NZ", "QM", "WE")]
# A registry names a few thousand operating consultants (the NJR: about 2,000
# hip surgeons a year), each in a trust. Drawing a random code per patient gave
# 1.16 M "consultants" at full scale, and with them a report whose per-consultant
# tables grew with the number of patients, which no real export does.
CONSULTANTS_PER_TRUST = 160
CONSULTANTS = {t: ["C%07d" % (1000000 + 7919 * (i * len(TRUSTS) + k)) for i in range(CONSULTANTS_PER_TRUST)]
               for k, t in enumerate(TRUSTS)}


def nhs_check(nine):
    total = sum(int(c) * w for c, w in zip(nine, range(10, 1, -1)))
    c = 11 - total % 11
    return 0 if c == 11 else (None if c == 10 else c)


class NhsNumbers:
    """Unique valid NHS numbers in scattered order: 9-digit stems 400000000 +
    (k * 3^18 mod 5e8) are distinct for distinct k (3^18 is coprime to 5e8)."""

    def __init__(self, start=0):
        self.k = start

    def next(self):
        while True:
            stem = str(400000000 + (self.k * 387420489) % 500000000)
            self.k += 1
            c = nhs_check(stem)
            if c is None or len(set(stem)) == 1:
                continue
            return stem + str(c)


def add_days(d, n):
    return d + dt.timedelta(days=n)


def add_months(d, n):
    y, m0 = divmod(d.month - 1 + n, 12)
    y += d.year
    m = m0 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue


def csv_field(v):
    if v is None:
        return ""
    s = str(v)
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def xml_attr(v):
    return str(v).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def xml_text(v):
    return str(v).replace("&", "&amp;").replace("<", "&lt;")


class Writer:
    def __init__(self, out, rng):
        self.rng = rng
        os.makedirs(os.path.join(out, "csv"), exist_ok=True)
        os.makedirs(os.path.join(out, "xml"), exist_ok=True)
        self.pcsv = open(os.path.join(out, "csv", "1-procedures.csv"), "w", newline="", buffering=1 << 20)
        self.ecsv = open(os.path.join(out, "csv", "2-events.csv"), "w", newline="", buffering=1 << 20)
        self.xml = open(os.path.join(out, "xml", "1-export.xml"), "w", newline="", buffering=1 << 20)
        self.pcsv.write(",".join(PROC_FIELDS) + "\r\n")
        self.ecsv.write(",".join(EVENT_FIELDS) + "\r\n")
        self.xml.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.xml.write('<registryExport xmlns="%s" exportDate="%s" source="BENCH">\n' % (NS, EXPORT_DATE.isoformat()))
        self.counts = {"patients": 0, "procedures": 0, "events": 0, "mom_procedures": 0,
                       "bad_rows": 0, "identical_repeats": 0, "conflicting_repeats": 0}

    def patient(self, p, procs, events):
        """procs/events: lists of dicts keyed by canonical field name (patient fields included)."""
        self.counts["patients"] += 1
        attrs = [("nhsNumber", p["nhs_number"]), ("sex", p["sex"]), ("dateOfBirth", p["date_of_birth"]),
                 ("localPatientId", p["local_patient_id"])]
        x = ["  <patient" + "".join(' %s="%s"' % (k, xml_attr(v)) for k, v in attrs if v) + ">\n"]
        for r in procs:
            self.pcsv.write(",".join(csv_field(r.get(f)) for f in PROC_FIELDS) + "\r\n")
            x.append(xml_procedure(r))
        for r in events:
            self.ecsv.write(",".join(csv_field(r.get(f)) for f in EVENT_FIELDS) + "\r\n")
            x.append(xml_event(r))
        x.append("  </patient>\n")
        self.xml.write("".join(x))

    def close(self):
        self.xml.write("</registryExport>\n")
        for f in (self.pcsv, self.ecsv, self.xml):
            f.close()


def xml_procedure(r):
    skip = {"nhs_number", "sex", "date_of_birth", "local_patient_id",
            "femoral_component", "acetabular_component", "stem_component"}
    a = "".join(' %s="%s"' % (camel(f), xml_attr(r[f])) for f in PROC_FIELDS if f not in skip and r.get(f) not in (None, ""))
    comps = [(role, r.get(f)) for role, f in (("femoral", "femoral_component"), ("acetabular", "acetabular_component"),
                                                 ("stem", "stem_component")) if r.get(f)]
    if not comps:
        return "    <procedure%s/>\n" % a
    inner = "".join('      <component role="%s">%s</component>\n' % (role, xml_text(t)) for role, t in comps)
    return "    <procedure%s>\n%s    </procedure>\n" % (a, inner)


def xml_event(r):
    a = "".join(' %s="%s"' % (camel(f), xml_attr(r[f])) for f in EVENT_FIELDS
                if f != "nhs_number" and r.get(f) not in (None, ""))
    return "    <event%s/>\n" % a


def fmt_date(rng, d):
    x = rng.random()
    if x < 0.90:
        return d.isoformat()
    if x < 0.97:
        return "%02d/%02d/%04d" % (d.day, d.month, d.year)
    return "%04d%02d%02d" % (d.year, d.month, d.day)


def fmt_nhs(rng, n):
    return n if rng.random() < 0.95 else "%s %s %s" % (n[0:3], n[3:6], n[6:10])


def generate(scale, out, seed=SEED, mom_share=MOM_SHARE, bad_share=IRREGULAR_SHARE, events_factor=1.0):
    rng = random.Random(seed + int(round(scale * 1000)))
    # The default seed starts at the sequence's beginning (the original output).
    nhs = NhsNumbers(((seed - SEED) * 7_777_777) % 500_000_000)
    # The irregular rows' thresholds; f is exactly 1.0 at the default share.
    f = bad_share / IRREGULAR_SHARE
    t_head, t_date, t_event, t_same, t_conflict = (t * f for t in IRREGULAR_KINDS)
    options = {k: v for k, v, d in (("seed", seed, SEED), ("mom_fraction", mom_share, MOM_SHARE),
                                     ("bad_row_share", bad_share, IRREGULAR_SHARE),
                                     ("events_per_patient", events_factor, 1.0)) if v != d}
    target = max(1, int(round(FULL_PROCEDURES * scale)))
    w = Writer(out, rng)
    proc_seq = 0
    event_seq = 0
    updates = []  # (patient dict, procedure dict) re-sent by the update file

    def new_proc(p, date, side, device, consultant, trust):
        nonlocal proc_seq
        proc_seq += 1
        ptype, bearing, fem, acet, stem, manuf, opcs, heads = device
        spell_type = {"total_hip": ["total_hip"] * 8 + ["THR", "primary_thr"],
                      "resurfacing": ["resurfacing"] * 8 + ["HR", "hip_resurfacing"],
                      "revision": ["revision"] * 9 + ["rev"]}[ptype]
        spell_bearing = bearing if bearing != "MoM" else rng.choice(["MoM"] * 8 + ["metal-on-metal", "MOM"])
        head = rng.randint(heads[0], heads[1])
        r = {
            "procedure_id": "NJR-%09d" % proc_seq,
            "nhs_number": fmt_nhs(rng, p["nhs_number"]),
            "local_patient_id": p["local_patient_id"],
            "sex": p["sex"],
            "date_of_birth": p["date_of_birth"],
            "procedure_date": fmt_date(rng, date),
            "side": side if rng.random() < 0.95 else {"L": "left", "R": "right"}[side],
            "procedure_type": rng.choice(spell_type),
            "bearing": spell_bearing,
            "head_diameter_mm": str(head) if rng.random() < 0.97 else "",
            "femoral_component": fem,
            "acetabular_component": acet,
            "stem_component": stem,
            "manufacturer": manuf,
            "opcs_code": opcs if rng.random() < 0.5 else opcs.replace(".", ""),
            "trust_code": trust,
            "site_code": trust + "0" + str(rng.randint(1, 4)),
            "consultant_code": consultant,
        }
        return r

    def new_event(p, date, etype, **kw):
        nonlocal event_seq
        event_seq += 1
        r = {"event_id": "EV-%010d" % event_seq, "nhs_number": fmt_nhs(rng, p["nhs_number"]),
             "event_date": fmt_date(rng, date), "event_type": etype}
        r.update({k: v for k, v in kw.items() if v is not None})
        return r

    while proc_seq < target:
        n = nhs.next()
        sex = rng.choice(["1", "2", "2", "M", "F", "9"])
        dob = dt.date(rng.randint(1925, 1975), rng.randint(1, 12), rng.randint(1, 28))
        trust = rng.choice(TRUSTS)
        p = {"nhs_number": n, "sex": sex, "date_of_birth": dob.isoformat(),
             "local_patient_id": "H%07d" % rng.randint(0, 9999999) if rng.random() < 0.8 else ""}
        consultant = rng.choice(CONSULTANTS[trust])
        procs, events = [], []
        mom = rng.random() < mom_share  # a MoM patient has ~1.2 procedures, some not MoM
        first_lo = dt.date(2003, 1, 1) if mom else FIRST_DATE
        first_hi = dt.date(2011, 12, 31) if mom else dt.date(2026, 6, 30)
        d0 = add_days(first_lo, rng.randint(0, (first_hi - first_lo).days))
        side = rng.choice("LR")
        device = rng.choice(MOM_DEVICES if mom else OTHER_DEVICES)
        procs.append(new_proc(p, d0, side, device, consultant, trust))
        if rng.random() < 0.22:  # the other hip, later
            d1 = add_days(d0, rng.randint(120, 2000))
            if d1 <= LAST_DATE:
                dev1 = rng.choice(MOM_DEVICES if mom and rng.random() < 0.6 else OTHER_DEVICES)
                procs.append(new_proc(p, d1, "L" if side == "R" else "R", dev1, consultant, trust))
        death = None
        if mom:
            w.counts["mom_procedures"] += sum(1 for r in procs if r["bearing"].lower() in ("mom", "metal-on-metal"))
            if rng.random() < 0.08:  # revised
                dr = add_days(d0, rng.randint(200, 4000))
                if dr <= LAST_DATE:
                    procs.append(new_proc(p, dr, side, REVISION_DEVICE, consultant, trust))
            # Follow-up: roughly yearly reviews and ion tests with drift, imaging now and then.
            d = add_months(d0, 6)
            co, cr = rng.uniform(0.5, 4.0), rng.uniform(0.5, 3.5)
            nmol = rng.random() < 0.1
            regular = rng.random()
            while d <= LAST_DATE and len(events) < 60 * events_factor:
                x = rng.random()
                if x < regular * 0.9 + 0.05:
                    events.append(new_event(p, d, rng.choice(["review"] * 6 + ["clinic", "telephone_review"]),
                                            side=rng.choice(["L", "R", "B", ""]),
                                            symptomatic=rng.choice(["N", "N", "N", "Y", "no", ""]),
                                            oxford_hip_score=str(rng.randint(18, 48)) if rng.random() < 0.6 else "",
                                            note="seen in clinic, well" if rng.random() < 0.1 else None))
                    if rng.random() < 0.7:
                        co *= rng.uniform(0.85, 1.35)
                        cr *= rng.uniform(0.85, 1.3)
                        unit = "nmol/L" if nmol else rng.choice(["ug/L", "ug/L", "µg/L", "ppb"])
                        f = 1 / 0.058933 if nmol else 1.0
                        g = 1 / 0.051996 if nmol else 1.0
                        events.append(new_event(p, add_days(d, rng.randint(0, 20)), "blood_metal_ions",
                                                cobalt="%.1f" % (co * f), chromium="%.1f" % (cr * g), ion_unit=unit,
                                                sample_type=rng.choice(["whole_blood"] * 9 + ["", "serum"])))
                    if co > 7 or rng.random() < 0.06:
                        events.append(new_event(p, add_days(d, rng.randint(10, 90)), rng.choice(["mars_mri", "ultrasound"]),
                                                side=side, imaging_finding=rng.choice(
                                                    ["normal"] * 6 + ["fluid_collection", "pseudotumour", "other"])))
                elif x < 0.97:
                    events.append(new_event(p, d, rng.choice(["did_not_attend", "dna"])))
                if rng.random() < 0.012 / events_factor:
                    death = add_days(d, rng.randint(1, 300))
                    break
                months = rng.choice([6, 12, 12, 12, 18, 24, 36])
                if events_factor == 1.0:
                    d = add_months(d, months)
                else:  # visits F times as often
                    d = add_days(d, max(1, int(round(months * 30.4375 / events_factor))))
            if death is None and rng.random() < 0.02:
                events.append(new_event(p, add_days(d0, rng.randint(400, 5000)), rng.choice(["declined_follow_up", "transferred_out"])))
        else:
            k = rng.choice([0, 1, 1, 1, 2, 2, 2, 3, 3, 4])
            if events_factor != 1.0:  # k * F, rounded up with the chance of its fraction
                kf = k * events_factor
                k = int(kf)
                if kf > k and rng.random() < kf - k:
                    k += 1
            for _ in range(k):
                d = add_days(d0, rng.randint(30, 3650))
                if d <= LAST_DATE:
                    if rng.random() < 0.5:
                        events.append(new_event(p, d, "xray", side=side))
                    else:
                        events.append(new_event(p, d, "review", side=side,
                                                oxford_hip_score=str(rng.randint(20, 48)) if rng.random() < 0.5 else ""))
            if rng.random() < 0.01:
                death = add_days(d0, rng.randint(200, 6000))
        if death is not None and death <= LAST_DATE:
            events.append(new_event(p, death, rng.choice(["death", "deceased"])))

        # Deliberate faults and repeats, at low rates.
        x = rng.random()
        if x < t_head:
            procs[0]["head_diameter_mm"] = "95"  # outside 20-80 mm
            w.counts["bad_rows"] += 1
        elif x < t_date:
            procs[0]["procedure_date"] = "31/02/2010"
            w.counts["bad_rows"] += 1
        elif x < t_event and events:
            events[0]["event_type"] = "telepathy"
            w.counts["bad_rows"] += 1
        elif x < t_same:
            procs.append(dict(procs[0]))  # identical repeat: accepted once
            w.counts["identical_repeats"] += 1
        elif x < t_conflict:
            rep = dict(procs[0])
            rep["consultant_code"] = "C0000001"  # different content: rejected, the first stands
            procs.append(rep)
            w.counts["conflicting_repeats"] += 1
        if rng.random() < 0.01:
            r = dict(procs[0])
            if rng.random() < 0.5:
                r["consultant_code"] = rng.choice(CONSULTANTS[trust])
            updates.append((p, r))

        w.counts["procedures"] += len(procs)
        w.counts["events"] += len(events)
        w.patient(p, procs, events)
    w.close()

    with open(os.path.join(out, "csv", "3-procedures-update.csv"), "w", newline="") as f:
        f.write(",".join(PROC_FIELDS) + "\r\n")
        for _, r in updates:
            f.write(",".join(csv_field(r.get(k)) for k in PROC_FIELDS) + "\r\n")
    with open(os.path.join(out, "xml", "2-update.xml"), "w", newline="") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write('<registryExport xmlns="%s" exportDate="%s" source="BENCH">\n' % (NS, EXPORT_DATE.isoformat()))
        for p, r in updates:
            attrs = [("nhsNumber", p["nhs_number"]), ("sex", p["sex"]), ("dateOfBirth", p["date_of_birth"]),
                     ("localPatientId", p["local_patient_id"])]
            f.write("  <patient" + "".join(' %s="%s"' % (k, xml_attr(v)) for k, v in attrs if v) + ">\n")
            f.write(xml_procedure(r))
            f.write("  </patient>\n")
        f.write("</registryExport>\n")

    counts = dict(w.counts)
    counts.update(results_delivery(out))
    counts["update_procedures"] = len(updates)
    counts["scale"] = scale
    counts["csv_rows"] = counts["procedures"] + counts["events"] + len(updates)
    if options:
        counts["options"] = options
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(counts, f, indent=2, sort_keys=True)
        f.write("\n")
    return counts


RESULT_FIELDS = ["sample_id", "nhs_number", "sample_date", "analyte", "value", "unit", "specimen"]


def results_delivery(out):
    """The same export with its ion tests sent as a laboratory would: results/
    holds the procedures, the events without ion tests, and a results file of
    one row per analyte (no result_id: rows are sample_id/analyte, the sample
    being the ion event's id). Measures results ingest and assembly."""
    import csv
    import shutil
    d = os.path.join(out, "results")
    os.makedirs(d, exist_ok=True)
    shutil.copyfile(os.path.join(out, "csv", "1-procedures.csv"), os.path.join(d, "1-procedures.csv"))
    events = results = 0
    with open(os.path.join(out, "csv", "2-events.csv"), newline="") as src, \
            open(os.path.join(d, "2-events.csv"), "w", newline="", buffering=1 << 20) as ev, \
            open(os.path.join(d, "3-results.csv"), "w", newline="", buffering=1 << 20) as res:
        reader = csv.reader(src)
        header = next(reader)
        ev.write(",".join(header) + "\r\n")
        res.write(",".join(RESULT_FIELDS) + "\r\n")
        at = {name: i for i, name in enumerate(header)}
        for row in reader:
            if row[at["event_type"]].strip().lower() not in ("blood_metal_ions", "ions", "metal_ions", "blood_test"):
                ev.write(",".join(csv_field(v) for v in row) + "\r\n")
                events += 1
                continue
            for metal in ("cobalt", "chromium"):
                if row[at[metal]].strip() == "":
                    continue
                res.write(",".join(csv_field(v) for v in (
                    row[at["event_id"]], row[at["nhs_number"]], row[at["event_date"]], metal, row[at[metal]],
                    row[at["ion_unit"]], row[at["sample_type"]])) + "\r\n")
                results += 1
    return {"results_events": events, "results_rows": results}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1 = 1.5 M procedures; 0.1 for the tenth-scale run")
    ap.add_argument("--out", required=True, help="output folder (csv/ and xml/ are created inside)")
    ap.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    ap.add_argument("--mom-fraction", type=float, default=MOM_SHARE,
                    help="chance that a patient is a MoM patient (default %(default)s)")
    ap.add_argument("--bad-row-share", type=float, default=IRREGULAR_SHARE,
                    help="chance that a patient carries one bad or repeated row (default %(default)s)")
    ap.add_argument("--events-per-patient", type=float, default=1.0,
                    help="multiplier of each patient's follow-up events (default %(default)s)")
    a = ap.parse_args()
    if not 0 <= a.mom_fraction <= 1 or not 0 <= a.bad_row_share <= 1 or a.events_per_patient <= 0:
        ap.error("--mom-fraction and --bad-row-share must be in 0..1, --events-per-patient above 0")
    counts = generate(a.scale, a.out, a.seed, a.mom_fraction, a.bad_row_share, a.events_per_patient)
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
