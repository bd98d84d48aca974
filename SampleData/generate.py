#!/usr/bin/env python3
"""Generate momaudit's synthetic sample delivery: one trust's systems, each
exporting in its own shape.

Writes, next to this script:

  sources.toml                          the sources manifest (one [[source]] per system)
  profiles/*.toml                       one profile per system that needs one
  exports/theatre/procedures-*.csv      theatre system / NJR extract (sites RXH01, RXH03)
  exports/site-rxh02.xml                canonical XML export of site RXH02
  exports/lims-metal-ions.txt           pathology LIMS, one analyte per row, pipe-delimited
  exports/referral-lab-results.csv      referral laboratory, one result per row, with result numbers
  exports/pas-attendances.csv           PAS outpatient appointments
  exports/ris-exams.csv                 radiology exams
  exports/spine-deaths-transfers.csv    deaths and transfers out (national spine)
  exports/clinic-exceptions.csv         clinicians' exceptions (the MoM clinic's decisions)
  expected.json                         the audit's expected figures as of 2026-09-30

Together they are one trust's delivery (trust "RXH", export date 2026-10-31).
Everything is invented: NHS numbers are in the 999 range and pass the
modulus-11 check (except one deliberately invalid number), and there are no
names. The output is deterministic: the only source of randomness is
random.Random(20170629), so running the script twice gives byte-identical files.

The second half of the script is an independent reading of the input contract
and of the rule pack (it shares no code with momaudit): it reads the written
files back through the manifest and the profiles, accepts, rejects or skips
every row, evaluates the rules as of 2026-09-30 and writes expected.json. It
also checks every planted case against its intended outcome.

Usage:  python3 SampleData/generate.py      (no dependencies; Python 3.7+,
        3.11+ also re-reads the TOML it wrote with tomllib)

See README.md for what the data contains and which audit outcomes it exercises.
"""

import csv
import datetime as dt
import math
import os
import random

SEED = 20170629
HERE = os.path.dirname(os.path.abspath(__file__))

EXPORT_DATE = dt.date(2026, 10, 31)
AS_OF = dt.date(2026, 9, 30)  # the date the sample audit is meant to be run as of
FIRST_DATE = dt.date(2003, 1, 1)
ASR_WITHDRAWN = dt.date(2010, 8, 24)
FAR = dt.date(9999, 12, 31)

TRUST = "RXH"
SITES = ("RXH01", "RXH02", "RXH03")
XML_SITE = "RXH02"
CONSULTANTS = {
    "RXH01": ["C2145873", "C3092716", "C4418205", "C5160394", "C6027381"],
    "RXH02": ["C3375920", "C4901267", "C5248816", "C7013542"],
    "RXH03": ["C2690458", "C3817094", "C6152739"],
}

CO_NMOL_TO_UG = 0.058933
CR_NMOL_TO_UG = 0.051996

# One seeded master generator; independent streams are drawn from it in a
# fixed order so that, e.g., changing how a value is formatted does not move
# every simulated date.
_MASTER = random.Random(SEED)
R_NHS = random.Random(_MASTER.getrandbits(64))
R_SIM = random.Random(_MASTER.getrandbits(64))
R_DES = random.Random(_MASTER.getrandbits(64))
R_FMT = random.Random(_MASTER.getrandbits(64))
R_EXP = random.Random(_MASTER.getrandbits(64))  # the systems' own shapes and extra rows
R_REF = random.Random(_MASTER.getrandbits(64))  # the referral laboratory's samples


# --------------------------------------------------------------------------
# dates

def days_in_month(y, m):
    if m == 12:
        return 31
    return (dt.date(y, m + 1, 1) - dt.date(y, m, 1)).days


def add_months(d, n):
    """Same day n months later; the last day of a shorter month."""
    y, m0 = divmod(d.month - 1 + n, 12)
    y += d.year
    m = m0 + 1
    return dt.date(y, m, min(d.day, days_in_month(y, m)))


def add_days(d, n):
    return d + dt.timedelta(days=n)


def D(s):
    return dt.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))


def rand_date(r, a, b):
    return add_days(a, r.randint(0, (b - a).days))


def years_between(a, b):
    return (b - a).days / 365.25


# --------------------------------------------------------------------------
# NHS numbers

def nhs_check_digit(nine):
    total = sum(int(c) * w for c, w in zip(nine, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return None if check == 10 else check


def nhs_valid(s):
    if len(s) != 10 or not s.isdigit() or len(set(s)) == 1:
        return False
    return nhs_check_digit(s[:9]) == int(s[9])


class NhsPool:
    """Designed patients get sequential numbers 99900 01xx.. (stable whatever
    the random bulk does); bulk patients get random 999 1xx xxxx .. 999 9xx xxxx."""

    def __init__(self):
        self.used = set()
        self.next_designed = 999000100

    def designed(self):
        while True:
            nine = str(self.next_designed)
            self.next_designed += 1
            c = nhs_check_digit(nine)
            if c is not None:
                s = nine + str(c)
                if nhs_valid(s) and s not in self.used:
                    self.used.add(s)
                    return s

    def bulk(self):
        while True:
            nine = "999" + str(R_NHS.randint(100000, 999999))
            c = nhs_check_digit(nine)
            if c is None:
                continue
            s = nine + str(c)
            if nhs_valid(s) and s not in self.used:
                self.used.add(s)
                return s


NHS = NhsPool()


# --------------------------------------------------------------------------
# model

class Patient:
    def __init__(self, nhs, sex, dob, site, lpid, label=None):
        self.nhs = nhs
        self.sex = sex  # "M", "F" or "U"
        self.dob = dob
        self.site = site
        self.lpid = lpid
        self.label = label  # designed case label, None for the random bulk
        self.procs = []
        self.events = []
        self.consultant = None
        self.expect = None
        self.purpose = ""


class Proc:
    def __init__(self, date, side, family, head, consultant, row_sex=None):
        spec = CATALOGUE[family]
        self.date = date
        self.side = side
        self.family = family
        self.ptype = spec["type"]
        self.bearing = spec["bearing"]
        self.head = head
        self.fem = spec["fem"]
        self.acet = spec["acet"]
        self.stem = spec["stem"]
        self.manuf = spec["manuf"]
        self.opcs = spec["opcs"]
        self.consultant = consultant
        self.row_sex = row_sex  # overrides the patient's sex on this CSV row
        self.raw = {}  # rendered-field overrides (deliberately bad rows)
        self.shown_bearing = None  # "N/K" or "": the export does not record the bearing
        self.revised_on = None  # simulation bookkeeping
        self.id = None

    @property
    def mom(self):
        return self.bearing == "MoM"

    @property
    def asr(self):
        return CATALOGUE[self.family].get("asr", False)


class Event:
    def __init__(self, date, etype, side=None, sym=None, ohs=None, co=None, cr=None,
                 unit=None, sample=None, finding=None, note=None):
        self.date = date
        self.etype = etype
        self.side = side  # "L", "R", "B" or None
        self.sym = sym
        self.ohs = ohs
        self.co = co  # in `unit`
        self.cr = cr
        self.unit = unit  # "ug/L" or "nmol/L"
        self.sample = sample  # None = whole blood by default
        self.finding = finding
        self.note = note
        self.raw = {}
        self.lims = {}  # LIMS: test code ("COB", "CHR") -> column overrides of that row
        self.lims_dupes = []  # LIMS: (test code, column overrides) rows sent again
        self.cr_date = None  # LIMS: chromium collected (or recorded) on another date
        self.id = None

    def co_ug(self):
        if self.co is None:
            return None
        return self.co * CO_NMOL_TO_UG if self.unit == "nmol/L" else self.co

    def cr_ug(self):
        if self.cr is None:
            return None
        return self.cr * CR_NMOL_TO_UG if self.unit == "nmol/L" else self.cr


# --------------------------------------------------------------------------
# implant catalogue (invented descriptions of real device families)

def _spec(type_, bearing, manuf, fem, acet, stem, opcs, asr=False):
    return {"type": type_, "bearing": bearing, "manuf": manuf, "fem": fem,
            "acet": acet, "stem": stem, "opcs": opcs, "asr": asr}


CATALOGUE = {
    # metal-on-metal resurfacings
    "BHR": _spec("resurfacing", "MoM", "Smith & Nephew", "Smith & Nephew BHR femoral head",
                 "Smith & Nephew BHR cup", "", "W58.1"),
    "ASR_RS": _spec("resurfacing", "MoM", "DePuy", "DePuy ASR resurfacing head",
                    "DePuy ASR cup", "", "W58.1", asr=True),
    "CORMET": _spec("resurfacing", "MoM", "Corin", "Corin Cormet femoral head",
                    "Corin Cormet cup", "", "W58.1"),
    "DUROM_RS": _spec("resurfacing", "MoM", "Zimmer", "Zimmer Durom resurfacing head",
                      "Zimmer Durom cup", "", "W58.1"),
    "CONSERVE": _spec("resurfacing", "MoM", "Wright Medical", "Wright Conserve Plus head",
                      "Wright Conserve Plus cup", "", "W58.1"),
    "ADEPT": _spec("resurfacing", "MoM", "MatOrtho", "MatOrtho Adept head",
                   "MatOrtho Adept cup", "", "W58.1"),
    "RECAP": _spec("resurfacing", "MoM", "Biomet", "Biomet ReCap femoral head",
                   "Biomet ReCap cup", "", "W58.1"),
    "MITCH": _spec("resurfacing", "MoM", "Finsbury", "Finsbury MITCH TRH femoral head",
                   "Finsbury MITCH TRH cup", "", "W58.1"),
    # metal-on-metal stemmed total hips
    "ASR_XL": _spec("total_hip", "MoM", "DePuy", "DePuy ASR XL femoral head",
                    "DePuy ASR XL cup", "DePuy Corail stem", "W38.1", asr=True),
    "BMHR": _spec("total_hip", "MoM", "Smith & Nephew", "Smith & Nephew BHR modular head",
                  "Smith & Nephew BHR cup", "Smith & Nephew Synergy stem", "W38.1"),
    "M2A": _spec("total_hip", "MoM", "Biomet", "Biomet M2a-Magnum head",
                 "Biomet M2a-Magnum cup", "Biomet Taperloc stem", "W38.1"),
    "M2A38": _spec("total_hip", "MoM", "Biomet", "Biomet M2a-38 head",
                   "Biomet M2a-38 cup", "Biomet Taperloc stem", "W38.1"),
    "DUROM_LDH": _spec("total_hip", "MoM", "Zimmer", "Zimmer Metasul LDH head",
                       "Zimmer Durom cup", "Zimmer CLS Spotorno stem", "W38.1"),
    "ULTAMET36": _spec("total_hip", "MoM", "DePuy", "DePuy Articul/eze 36mm metal head",
                       "DePuy Pinnacle shell with Ultamet metal liner", "DePuy Corail stem",
                       "W38.1"),
    "METASUL28": _spec("total_hip", "MoM", "Zimmer", "Zimmer Metasul 28mm head",
                       "Zimmer Allofit cup with Metasul insert", "Zimmer Alloclassic stem",
                       "W38.1"),
    "ULTAMET28": _spec("total_hip", "MoM", "DePuy", "DePuy Articul/eze 28mm metal head",
                       "DePuy Pinnacle shell with Ultamet metal liner", "DePuy Summit stem",
                       "W38.1"),
    # metal-on-metal revisions
    "REV_BMHR": _spec("revision", "MoM", "Smith & Nephew", "Smith & Nephew BHR modular head",
                      "Retained BHR cup", "Smith & Nephew SMF stem", "W38.3"),
    "REV_ASRXL": _spec("revision", "MoM", "DePuy", "DePuy ASR XL femoral head",
                       "Retained ASR cup", "DePuy Corail stem", "W38.3", asr=True),
    "REV_METASUL28": _spec("revision", "MoM", "Zimmer", "Zimmer Metasul 28mm head",
                           "Zimmer Allofit cup with Metasul insert", "Retained stem", "W39.3"),
    # everything else
    "EXETER_MOP": _spec("total_hip", "MoP", "Stryker", "Stryker V40 cobalt-chrome head",
                        "Stryker Contemporary cemented cup", "Stryker Exeter V40 stem", "W37.1"),
    "CHARNLEY_MOP": _spec("total_hip", "MoP", "DePuy", "DePuy Charnley 22.225mm head",
                          "DePuy Charnley Ogee cup", "DePuy Charnley stem", "W37.1"),
    "CPT_MOP": _spec("total_hip", "MoP", "Zimmer", "Zimmer Versys head",
                     "Zimmer Trilogy cup with polyethylene liner", "Zimmer CPT stem", "W39.1"),
    "CORAIL_COP": _spec("total_hip", "CoP", "DePuy", "CeramTec Biolox delta head",
                        "DePuy Pinnacle shell with Marathon liner", "DePuy Corail stem", "W38.1"),
    "ACCOLADE_COC": _spec("total_hip", "CoC", "Stryker", "CeramTec Biolox delta head",
                          "Stryker Trident shell with Biolox delta insert",
                          "Stryker Accolade II stem", "W38.1"),
    "TAPERLOC_COC": _spec("total_hip", "CoC", "Biomet", "CeramTec Biolox delta head",
                          "Biomet G7 shell with Biolox delta liner", "Biomet Taperloc stem",
                          "W38.1"),
    "PINNACLE_COM": _spec("total_hip", "CoM", "DePuy", "CeramTec Biolox delta head",
                          "DePuy Pinnacle shell with Ultamet metal liner", "DePuy Corail stem",
                          "W38.1"),
    "MOC": _spec("total_hip", "MoC", "DePuy", "DePuy Articul/eze metal head",
                 "DePuy Pinnacle shell with Biolox delta liner", "DePuy Corail stem", "W38.1"),
    "UNKNOWN_THR": _spec("total_hip", "unknown", "", "", "", "", "W39.1"),
    "H1_RS": _spec("resurfacing", "CoC", "Embody", "Embody H1 ceramic head",
                   "Embody H1 ceramic cup", "", "W58.1"),
    "REV_MOP": _spec("revision", "MoP", "Stryker", "Stryker V40 cobalt-chrome head",
                     "Stryker Trident shell with X3 liner", "Stryker Exeter long stem", "W37.3"),
    "REV_COP": _spec("revision", "CoP", "DePuy", "CeramTec Biolox delta head",
                     "DePuy Pinnacle revision shell with Marathon liner",
                     "DePuy Corail revision stem", "W38.3"),
    "REV_COC": _spec("revision", "CoC", "Stryker", "CeramTec Biolox delta head",
                     "Stryker Trident shell with Biolox delta insert", "Stryker Restoration stem",
                     "W38.3"),
}

ASR_TEXT_VARIANTS = {
    # a few ways registries spell the ASR components (all match the whole-word rule)
    "ASR_RS": (["ASR resurfacing head", "DePuy ASR femoral head", "DePuy (ASR) head"],
               ["asr cup", "ASR acetabular cup", "DePuy ASR cup"]),
    "ASR_XL": (["DePuy ASR-XL femoral head", "ASR XL head", "DePuy ASR XL head"],
               ["ASR XL acetabular cup", "DePuy ASR-XL cup", "asr xl cup"]),
}


def head_for(family, sex, r):
    fam = family
    male = sex == "M"
    if fam in ("BHR", "CORMET", "DUROM_RS", "CONSERVE", "ADEPT", "RECAP", "MITCH"):
        return float(r.choice([46, 48, 50, 50, 52, 52, 54, 54, 56, 58] if male
                              else [38, 40, 42, 44, 44, 46, 46, 48]))
    if fam == "ASR_RS":
        return float(r.choice([45, 47, 49, 49, 51, 51, 53, 55] if male else [39, 41, 43, 45, 47]))
    if fam in ("ASR_XL", "REV_ASRXL"):
        return float(r.choice([45, 47, 49, 51, 53, 55, 57, 59] if male else [39, 41, 43, 45, 47, 49]))
    if fam in ("BMHR", "REV_BMHR", "DUROM_LDH"):
        return float(r.choice([48, 50, 52, 54, 56] if male else [42, 44, 46, 48]))
    if fam == "M2A":
        return float(r.choice([44, 46, 48, 50, 52, 54] if male else [38, 40, 42, 44, 46]))
    if fam == "ULTAMET36":
        return 36.0
    if fam == "M2A38":
        return 38.0
    if fam in ("METASUL28", "ULTAMET28", "REV_METASUL28"):
        return 28.0
    if fam == "CHARNLEY_MOP":
        return 22.225
    if fam in ("EXETER_MOP", "CPT_MOP", "REV_MOP"):
        return float(r.choice([28, 28, 32, 32, 36]))
    if fam in ("CORAIL_COP", "ACCOLADE_COC", "TAPERLOC_COC", "REV_COP", "REV_COC", "MOC"):
        return float(r.choice([32, 36, 36]))
    if fam == "PINNACLE_COM":
        return 36.0
    if fam == "H1_RS":
        return float(r.choice([42, 46, 50]))
    return None


def group_of(proc, sex):
    """The surveillance group (surveillance-rules.md §3) of a MoM implant."""
    if proc.asr:
        return "ASR"
    if proc.ptype in ("total_hip", "revision"):
        if proc.head is None or proc.head >= 36:
            return "STEMMED_LARGE_HEAD"
        return "STEMMED_SMALL_HEAD"
    if sex != "M" or proc.head is None or proc.head <= 48:
        return "RESURFACING_HIGH_RISK"
    return "RESURFACING_LOW_RISK"


IMAGING_FOR_ALL = {"ASR", "STEMMED_LARGE_HEAD", "RESURFACING_HIGH_RISK"}


# --------------------------------------------------------------------------
# notes: harmless invented clinic text

NOTES_REVIEW = [
    "Walking well, no groin pain.",
    "Mild lateral thigh ache after long walks, otherwise happy.",
    "Seen in joint replacement clinic; letter to GP.",
    "Patient asked about driving and flying, advice given.",
    "Good range of movement. Continue annual surveillance.",
    "Reviewed by specialist nurse, bloods taken in clinic.",
    "Telephone consultation, no new symptoms reported.",
    "Says the hip \"clicks\" on stairs, no pain.",
    "Occasional stiffness in the mornings, improving with exercise.",
    "Plan:\nrepeat ions in 3 months\nreview with results",
    "Reviewed \u2013 well; works in a caf\u00e9, standing all day.",
    "Discussed MHRA surveillance advice, leaflet given.",
]
NOTES_SYMPTOMATIC = [
    "New groin pain for two months, worse on walking.",
    "Reports swelling over the lateral hip, tender.",
    "Limp noticed by family, Trendelenburg positive.",
    "Clunking and pain on rising from a chair.",
]
NOTES_IONS = [
    "Sample taken in clinic.",
    "GP practice sample, result copied to clinic.",
    "Lab comment: trace-element tube used.",
    "Repeat requested by consultant.",
]
NOTES_IMAGING = [
    "MARS protocol.",
    "Scan reported by musculoskeletal radiologist.",
    "Compared with previous study, no change.",
    "Small effusion noted, for clinical correlation.",
]
NOTES_OTHER = [
    "Letter returned, patient has moved away.",
    "Information from GP practice.",
    "Appointment letter sent twice.",
]


# --------------------------------------------------------------------------
# random bulk: metal-on-metal cohort

MOM_SHARE = {2003: 0.13, 2004: 0.175, 2005: 0.20, 2006: 0.20, 2007: 0.185, 2008: 0.16,
             2009: 0.11, 2010: 0.055, 2011: 0.015, 2012: 0.008, 2013: 0.004, 2014: 0.004,
             2015: 0.004}


def mom_family_for(year, r):
    if year >= 2011:
        return "BHR"
    table = [("BHR", 36), ("ASR_RS", 9), ("CORMET", 4), ("DUROM_RS", 4), ("CONSERVE", 3),
             ("ADEPT", 3 if year >= 2006 else 0), ("ASR_XL", 11 if year >= 2004 else 0),
             ("BMHR", 8 if year >= 2005 else 2), ("M2A", 7), ("DUROM_LDH", 4 if year >= 2004 else 0),
             ("ULTAMET36", 5), ("METASUL28", 3), ("ULTAMET28", 2)]
    total = sum(w for _, w in table)
    x = r.random() * total
    for fam, w in table:
        x -= w
        if x < 0:
            return fam
    return "BHR"


def family_available(fam, d):
    if fam in ("ASR_RS", "ASR_XL"):
        return dt.date(2003, 7, 1) <= d <= ASR_WITHDRAWN and (fam != "ASR_XL" or d >= dt.date(2004, 6, 1))
    if fam == "BHR":
        return d <= dt.date(2016, 12, 31)
    if CATALOGUE[fam]["bearing"] == "MoM":
        return d <= dt.date(2010, 12, 31)
    return True


def nonmom_family_for(d, r):
    y = d.year
    if y <= 2006 and r.random() < 0.12:
        return "CHARNLEY_MOP"
    if y <= 2007 and r.random() < 0.012:
        return "UNKNOWN_THR"
    if 2008 <= y <= 2011 and r.random() < 0.02:
        return "PINNACLE_COM"
    if r.random() < 0.002:
        return "MOC"
    if y >= 2019 and r.random() < 0.004:
        return "H1_RS"
    f = (y - 2003) / 23.0
    table = [("EXETER_MOP", 40 - 15 * f), ("CPT_MOP", 15 - 5 * f), ("CORAIL_COP", 10 + 25 * f),
             ("ACCOLADE_COC", 12 + 2 * f), ("TAPERLOC_COC", 8 - 3 * f)]
    total = sum(w for _, w in table)
    x = r.random() * total
    for fam, w in table:
        x -= w
        if x < 0:
            return fam
    return "EXETER_MOP"


def gompertz_q(age):
    return min(0.6, 0.0004 * math.exp(0.088 * (age - 30)))


def death_date(dob, start, r):
    """Simulated date of death after `start`, or None (alive at the export date)."""
    y = start.year
    while y <= EXPORT_DATE.year:
        age = y - dob.year
        if r.random() < gompertz_q(age):
            d = rand_date(r, max(start, dt.date(y, 1, 1)), dt.date(y, 12, 31))
            return d if d <= EXPORT_DATE else None
        y += 1
    return None


def lognorm(r, median, sigma):
    return median * math.exp(r.gauss(0.0, sigma))


def pick_site(r):
    x = r.random()
    return "RXH01" if x < 0.45 else ("RXH02" if x < 0.70 else "RXH03")


def pick_consultant(site, r):
    if r.random() < 0.06:  # a few operate at another site
        site = r.choice(SITES)
    return r.choice(CONSULTANTS[site])


def new_bulk_patient(sex, dob, site):
    return Patient(NHS.bulk(), sex, dob, site, "H%06d" % R_NHS.randint(100000, 999999))


def make_mom_patient(year, r):
    fam = mom_family_for(year, r)
    resurf = CATALOGUE[fam]["type"] == "resurfacing"
    if resurf:
        sex = "M" if r.random() < 0.74 else "F"
        age = max(28, min(68, int(r.gauss(52, 7))))
    else:
        sex = "F" if r.random() < 0.55 else "M"
        age = max(40, min(86, int(r.gauss(66, 9))))
    if year >= 2011:
        sex = "M"
    d = rand_date(r, dt.date(year, 1, 1), dt.date(year, 12, 31))
    tries = 0
    while not family_available(fam, d) and tries < 20:
        d = rand_date(r, dt.date(year, 1, 1), dt.date(year, 12, 31))
        tries += 1
    if not family_available(fam, d):
        fam = "BHR"
    dob = add_days(d, -(age * 365 + r.randint(0, 364)))
    site = pick_site(r)
    p = new_bulk_patient(sex, dob, site)
    p.consultant = pick_consultant(site, r)
    if r.random() < 0.012:
        p.sex = "U"  # sex not recorded
    side = "L" if r.random() < 0.45 else "R"
    head = head_for(fam, sex, r)
    if r.random() < 0.015:
        head = None  # head size not recorded
    pr = Proc(d, side, fam, head, p.consultant)
    p.procs.append(pr)
    # bilateral: a second MoM implant on the other side for ~14%, a non-MoM THR for ~8%
    x = r.random()
    other = "R" if side == "L" else "L"
    if x < 0.14:
        d2 = add_days(d, r.randint(120, 4 * 365))
        fam2 = fam if family_available(fam, d2) else ("BHR" if resurf and family_available("BHR", d2) and sex == "M" else "CORAIL_COP")
        if d2 <= EXPORT_DATE:
            p.procs.append(Proc(d2, other, fam2, head_for(fam2, sex, r),
                                p.consultant if r.random() < 0.8 else pick_consultant(site, r)))
    elif x < 0.22:
        d2 = add_days(d, r.randint(2 * 365, 16 * 365))
        if d2 <= EXPORT_DATE:
            fam2 = nonmom_family_for(d2, r)
            if fam2 == "H1_RS":
                fam2 = "CORAIL_COP"
            p.procs.append(Proc(d2, other, fam2, head_for(fam2, sex, r), pick_consultant(site, r)))
    return p


def make_mom_revision_patient(r):
    """A non-MoM primary later revised with a MoM bearing (a few, before 2011)."""
    sex = "F" if r.random() < 0.5 else "M"
    d0 = rand_date(r, dt.date(2003, 1, 1), dt.date(2006, 6, 30))
    age = max(45, min(85, int(r.gauss(68, 8))))
    dob = add_days(d0, -(age * 365 + r.randint(0, 364)))
    site = pick_site(r)
    p = new_bulk_patient(sex, dob, site)
    p.consultant = pick_consultant(site, r)
    side = r.choice("LR")
    fam0 = "EXETER_MOP" if r.random() < 0.6 else "CPT_MOP"
    p.procs.append(Proc(d0, side, fam0, head_for(fam0, sex, r), p.consultant))
    d1 = rand_date(r, add_days(d0, 365), dt.date(2010, 6, 30))
    fam1 = "REV_METASUL28" if r.random() < 0.5 else "REV_BMHR"
    p.procs.append(Proc(d1, side, fam1, head_for(fam1, sex, r), p.consultant))
    return p


class Sim:
    """Follow-up of one MoM patient, as a clinic that mostly follows the
    MHRA advice but with realistic lapses."""

    def __init__(self, p, r):
        self.p = p
        self.r = r
        self.ev = p.events
        self.implants = [pr for pr in p.procs if pr.mom]
        self.last_img = {}  # side -> date
        self.last_ion = None  # (co_ug, cr_ug)
        self.prev_ion = None
        self.bad_imaging = False
        self.ohs_base = r.randint(39, 48)
        self.ohs_decline = r.uniform(0.0, 0.5)
        first = min(pr.date for pr in self.implants)
        self.first = first
        asr = any(pr.asr for pr in self.implants)
        mult = 1.0
        if asr:
            mult = 3.2 if any(pr.ptype != "resurfacing" for pr in self.implants if pr.asr) else 2.6
        elif any(pr.ptype != "resurfacing" and (pr.head or 99) >= 36 for pr in self.implants):
            mult = 1.6
        elif all(pr.ptype != "resurfacing" for pr in self.implants):
            mult = 0.8
        self.co_base = lognorm(r, 1.2 * mult, 0.6)
        self.cr_ratio = lognorm(r, 0.8 if all(pr.ptype == "resurfacing" for pr in self.implants) else 0.35, 0.3)
        self.growth = r.uniform(1.06, 1.25) if r.random() < 0.2 else 1.0
        self.nmol_lab = r.random() < 0.15
        self.img_comp = 0.9 if r.random() < 0.7 else 0.5
        self.rep_comp = 0.8 if r.random() < 0.7 else 0.35

    # -- event helpers
    def add(self, e):
        if e.date <= EXPORT_DATE:
            self.ev.append(e)
        return e

    def note(self, pool, prob):
        return self.r.choice(pool) if self.r.random() < prob else None

    def active(self, t):
        return [i for i in self.implants if i.date <= t and (i.revised_on is None or i.revised_on > t)]

    def ion_values(self, t):
        r = self.r
        yrs = max(0.0, years_between(self.first, t))
        n_active = max(1, len(self.active(t)))
        co = self.co_base * (self.growth ** max(0.0, yrs - 3)) * (1.5 if n_active > 1 else 1.0)
        co *= math.exp(r.gauss(0, 0.15))
        co = min(co, 140.0)
        cr = co * self.cr_ratio * math.exp(r.gauss(0, 0.15))
        return co, cr

    def ions(self, t, allow_serum=True):
        r = self.r
        co, cr = self.ion_values(t)
        sample = None
        x = r.random()
        if allow_serum and x < 0.006:
            sample = "serum"
        elif allow_serum and x < 0.009:
            sample = "plasma"
        if self.nmol_lab:
            e = Event(t, "blood_metal_ions", co=float(round(co / CO_NMOL_TO_UG)),
                      cr=float(round(cr / CR_NMOL_TO_UG)), unit="nmol/L", sample=sample)
        else:
            e = Event(t, "blood_metal_ions", co=round(co, 2 if co < 1 else 1),
                      cr=round(cr, 2 if cr < 1 else 1), unit="ug/L", sample=sample)
        if r.random() < 0.03:
            e.cr = None  # chromium not reported by the lab
        e.note = self.note(NOTES_IONS, 0.12)
        self.add(e)
        if sample is not None:
            # results in the wrong tube are usually repeated in whole blood
            if r.random() < 0.6:
                return self.ions(add_days(t, r.randint(7, 40)), allow_serum=False)
            return None
        return e

    def imaging(self, t, sides, reason):
        r = self.r
        etype = "mars_mri" if r.random() < 0.6 else "ultrasound"
        if len(sides) == 1 and r.random() < 0.8:
            side = sides[0]
        elif len(sides) > 1 and r.random() < 0.5:
            side = r.choice(sides)
        else:
            side = "B" if r.random() < 0.5 else None
        co = self.last_ion[0] if self.last_ion else 1.0
        x = r.random()
        if co > 10 or reason == "symptoms" and r.random() < 0.4:
            finding = ("pseudotumour" if x < 0.25 else "muscle_or_bone_damage" if x < 0.33 else
                       "fluid_collection" if x < 0.55 else "other" if x < 0.6 else "normal")
        else:
            finding = ("normal" if x < 0.72 else "fluid_collection" if x < 0.82 else
                       "pseudotumour" if x < 0.87 else "muscle_or_bone_damage" if x < 0.89 else
                       "other" if x < 0.93 else None)
        e = self.add(Event(t, etype, side=side, finding=finding, note=self.note(NOTES_IMAGING, 0.2)))
        for s in ([side] if side in ("L", "R") else ["L", "R"]):
            self.last_img[s] = t
        if finding in ("pseudotumour", "muscle_or_bone_damage"):
            self.bad_imaging = True
            if r.random() < 0.5:
                targets = [i for i in self.active(t) if side in (None, "B") or i.side == side]
                if targets:
                    self.revise(r.choice(targets), add_days(t, r.randint(45, 270)))
        return e

    def revise(self, implant, d):
        r = self.r
        if d > EXPORT_DATE or implant.revised_on is not None:
            return
        if d < dt.date(2011, 1, 1) and r.random() < 0.25:
            fam = "REV_ASRXL" if implant.asr else "REV_BMHR"
        else:
            x = r.random()
            fam = "REV_COP" if x < 0.5 else ("REV_MOP" if x < 0.85 else "REV_COC")
        sex = self.p.sex if self.p.sex != "U" else "M"
        rev = Proc(d, implant.side, fam, head_for(fam, sex, r), implant.consultant)
        self.p.procs.append(rev)
        implant.revised_on = d
        if rev.mom:
            self.implants.append(rev)
        if r.random() < 0.9:
            self.add(Event(add_days(d, r.randint(35, 56)), "review", side=implant.side,
                           sym=False, note=self.note(NOTES_REVIEW, 0.1)))

    def review(self, t, active):
        r = self.r
        p_sym = 0.05
        if self.last_ion and max(self.last_ion[0], self.last_ion[1] or 0) > 7:
            p_sym += 0.15
        if self.bad_imaging:
            p_sym += 0.2
        sym = r.random() < p_sym
        sides = sorted({i.side for i in active})
        if len(sides) == 1:
            x = r.random()
            side = sides[0] if x < 0.6 else (None if x < 0.9 else "B")
        else:
            x = r.random()
            side = r.choice(sides) if x < 0.3 else (None if x < 0.8 else "B")
        ohs = None
        if r.random() < 0.7:
            yrs = years_between(self.first, t)
            v = self.ohs_base - self.ohs_decline * yrs - (r.randint(6, 16) if sym else 0) + r.gauss(0, 1.5)
            ohs = max(0, min(48, int(round(v))))
        symv = sym if r.random() < 0.88 else (None if not sym else True)
        etype = "review"
        if t.year >= 2020 and r.random() < 0.3:
            etype = r.choice(["telephone_review", "virtual_review"])
        note = self.note(NOTES_SYMPTOMATIC, 0.6) if sym else self.note(NOTES_REVIEW, 0.18)
        self.add(Event(t, etype, side=side, sym=symv, ohs=ohs, note=note))
        return sym, side

    def run(self):
        r = self.r
        p = self.p
        death = death_date(p.dob, self.first, r)
        end = min(death or FAR, EXPORT_DATE)
        profile = r.random()
        lapse = reviews_stop = ions_stop = None
        irregular = False
        if profile < 0.20:
            lapse = rand_date(r, dt.date(2012, 6, 1), dt.date(2026, 6, 30))
        elif profile < 0.28:
            ions_stop = rand_date(r, dt.date(2014, 1, 1), dt.date(2025, 6, 30))
        elif profile < 0.32:
            reviews_stop = rand_date(r, dt.date(2014, 1, 1), dt.date(2025, 6, 30))
        elif profile < 0.42:
            irregular = True
        transfer = declined = back = None
        x = r.random()
        if x < 0.035:
            transfer = rand_date(r, dt.date(2012, 1, 1), dt.date(2026, 9, 1))
            if r.random() < 0.25:
                back = add_days(transfer, r.randint(365, 3 * 365))
        elif x < 0.07:
            declined = rand_date(r, dt.date(2014, 1, 1), dt.date(2026, 9, 1))
        low_schedule = r.random() < 0.6
        periodic_img = r.random() < 0.35

        # post-operative follow-up of each procedure
        for pr in list(p.procs):
            if pr.date > end:
                continue
            if r.random() < 0.9:
                self.add(Event(add_days(pr.date, r.randint(35, 60)), "review", side=pr.side,
                               sym=False if r.random() < 0.5 else None,
                               note=self.note(NOTES_REVIEW, 0.1)))
            if r.random() < 0.7:
                d1 = add_days(pr.date, r.randint(330, 420))
                if d1 <= end:
                    self.add(Event(d1, "xray", side=pr.side))
                    if r.random() < 0.8:
                        self.review(d1, [pr] if pr.mom else self.active(d1) or [pr])

        if any(i.asr for i in self.implants):
            recall = rand_date(r, dt.date(2010, 9, 1), dt.date(2011, 6, 30))
        else:
            recall = rand_date(r, dt.date(2010, 5, 1), dt.date(2013, 6, 30))
        t = max(recall, add_days(self.first, r.randint(330, 400)))
        # a few early routine visits before the recall campaign
        for k in (2, 5):
            d = add_months(self.first, 12 * k)
            if d < t and r.random() < 0.4:
                self.add(Event(d, "xray", side=self.implants[0].side))
                self.review(d, self.active(d) or self.implants)

        dna_after_lapse = r.randint(0, 2)
        baseline_done = set()
        while t <= end:
            if transfer and t >= transfer:
                if transfer <= end:
                    self.add(Event(transfer, "transferred_out", note=self.note(NOTES_OTHER, 0.4)))
                transfer = None
                if back and back <= end:
                    t = back
                    continue
                break
            if declined and t >= declined:
                if declined <= end:
                    self.add(Event(declined, "declined_follow_up"))
                break
            active = self.active(t)
            if not active:
                break
            if lapse and t > lapse:
                if dna_after_lapse > 0:
                    self.add(Event(t, "did_not_attend", note=self.note(NOTES_OTHER, 0.3)))
                    dna_after_lapse -= 1
                    t = add_months(t, r.choice([3, 6, 12]))
                    continue
                break
            if r.random() < 0.04:
                self.add(Event(t, "did_not_attend"))
                t = add_days(t, r.randint(28, 100))
                continue
            groups = {group_of(i, p.sex) for i in active}
            sym = False
            rside = None
            if not (reviews_stop and t > reviews_stop) and r.random() < 0.96:
                sym, rside = self.review(t, active)
            ion_e = None
            if not (ions_stop and t > ions_stop) and r.random() < 0.93:
                ion_e = self.ions(add_days(t, 0 if r.random() < 0.75 else r.randint(1, 14)))
            if r.random() < 0.2:
                self.add(Event(t, "xray", side=active[0].side if len(active) == 1 else None))
            rising = False
            if ion_e is not None:
                cur = (ion_e.co_ug(), ion_e.cr_ug())
                prev = self.last_ion
                raised = any(v is not None and v > 7 for v in cur)
                if raised and prev:
                    rising = any(c is not None and c > 7 and pv is not None and c > pv
                                 for c, pv in zip(cur, prev))
                self.prev_ion, self.last_ion = prev, cur
            # imaging decisions
            img_sides = set()
            for i in active:
                g = group_of(i, p.sex)
                if (i.date, i.side) not in baseline_done:
                    if g in IMAGING_FOR_ALL and r.random() < self.img_comp:
                        img_sides.add(i.side)
                    elif g not in IMAGING_FOR_ALL and r.random() < 0.25:
                        img_sides.add(i.side)
                    baseline_done.add((i.date, i.side))
            if sym and r.random() < self.img_comp:
                img_sides.update([rside] if rside in ("L", "R") else [i.side for i in active])
            if rising:
                last_any = max(self.last_img.values()) if self.last_img else None
                if (last_any is None or (t - last_any).days > 90) and r.random() < self.img_comp:
                    img_sides.update(i.side for i in active)
            if periodic_img and "ASR" in groups:
                last_any = max(self.last_img.values()) if self.last_img else None
                if last_any is None or years_between(last_any, t) > 3:
                    img_sides.update(i.side for i in active if i.asr)
            if img_sides:
                d = add_days(t, r.randint(7, 80))
                if d <= end:
                    self.imaging(d, sorted(img_sides), "symptoms" if sym else "routine")
            # random revision for other reasons (loosening, fracture, pain)
            for i in self.active(t):
                if r.random() < (0.025 if i.asr else 0.006):
                    self.revise(i, add_days(t, r.randint(30, 200)))
            # next visit
            interval = 12
            if groups and not (groups & IMAGING_FOR_ALL) and low_schedule:
                if all(t >= add_months(i.date, 60) for i in active):
                    interval = 24
            if irregular:
                jitter = r.randint(0, 240)
            else:
                jitter = r.randint(-40, 10)
            t_next = add_days(add_months(t, interval), jitter)
            # repeat after a raised result
            if ion_e is not None and self.last_ion and any(v is not None and v > 7 for v in self.last_ion):
                tr = add_days(ion_e.date, r.randint(70, 95))
                hard = min(end, t_next, lapse or FAR, transfer or FAR, declined or FAR)
                while tr < add_days(hard, -20) and r.random() < self.rep_comp:
                    e2 = self.ions(tr, allow_serum=False)
                    if e2 is None:
                        break
                    cur = (e2.co_ug(), e2.cr_ug())
                    prev = self.last_ion
                    self.prev_ion, self.last_ion = prev, cur
                    rising = any(c is not None and c > 7 and pv is not None and c > pv
                                 for c, pv in zip(cur, prev))
                    if rising:
                        last_any = max(self.last_img.values()) if self.last_img else None
                        if (last_any is None or (tr - last_any).days > 90) and r.random() < self.img_comp:
                            d = add_days(tr, r.randint(10, 60))
                            if d <= end:
                                self.imaging(d, sorted(i.side for i in self.active(tr)) or ["L"], "ions")
                    if not any(v is not None and v > 7 for v in cur):
                        break
                    tr = add_days(tr, r.randint(75, 100))
            t = t_next
        if death and death <= EXPORT_DATE and r.random() < 0.85:
            self.add(Event(death, "death"))
        # nothing after death
        if death:
            p.events[:] = [e for e in p.events if e.date <= death]
            p.procs[:] = [pr for pr in p.procs if pr.date <= death]


def make_nonmom_patient(year, r):
    d = rand_date(r, dt.date(year, 1, 1), min(dt.date(year, 12, 31), EXPORT_DATE))
    sex = "F" if r.random() < 0.6 else "M"
    age = max(30, min(96, int(r.gauss(70, 10))))
    dob = add_days(d, -(age * 365 + r.randint(0, 364)))
    site = pick_site(r)
    p = new_bulk_patient(sex, dob, site)
    if r.random() < 0.004:
        p.sex = "U"
    p.consultant = pick_consultant(site, r)
    side = "L" if r.random() < 0.45 else "R"
    fam = nonmom_family_for(d, r)
    head = head_for(fam, sex, r)
    if r.random() < 0.01:
        head = None
    p.procs.append(Proc(d, side, fam, head, p.consultant))
    death = death_date(dob, d, r)
    end = min(death or FAR, EXPORT_DATE)
    if r.random() < 0.12:
        d2 = add_days(d, r.randint(120, 6 * 365))
        if d2 <= end:
            fam2 = nonmom_family_for(d2, r)
            if fam2 == "H1_RS":
                fam2 = "CORAIL_COP"
            p.procs.append(Proc(d2, "R" if side == "L" else "L", fam2, head_for(fam2, sex, r),
                                p.consultant if r.random() < 0.8 else pick_consultant(site, r)))
    if r.random() < 0.045:
        d3 = add_days(d, r.randint(180, 15 * 365))
        if d3 <= end:
            x = r.random()
            fam3 = "REV_COP" if x < 0.4 else ("REV_MOP" if x < 0.8 else "REV_COC")
            p.procs.append(Proc(d3, side, fam3, head_for(fam3, sex, r), p.consultant))
    for pr in p.procs:
        if r.random() < 0.55:
            e = Event(add_days(pr.date, r.randint(35, 60)), "review", side=pr.side,
                      sym=False if r.random() < 0.4 else None,
                      ohs=r.randint(30, 48) if r.random() < 0.3 else None,
                      note=r.choice(NOTES_REVIEW) if r.random() < 0.05 else None)
            if e.date <= end:
                p.events.append(e)
        if r.random() < 0.25:
            e = Event(add_days(pr.date, r.randint(330, 420)), "xray", side=pr.side)
            if e.date <= end:
                p.events.append(e)
                if r.random() < 0.5:
                    p.events.append(Event(e.date, "review", side=pr.side,
                                          ohs=r.randint(32, 48) if r.random() < 0.4 else None))
        if r.random() < 0.05:
            e = Event(add_days(pr.date, r.randint(2 * 365, 10 * 365)), "review", side=pr.side,
                      sym=r.random() < 0.2)
            if e.date <= end:
                p.events.append(e)
    if death and r.random() < 0.3:
        p.events.append(Event(death, "death"))
    return p


def build_bulk():
    r = R_SIM
    patients = []
    for year in range(2003, 2027):
        n = 247 + 4 * (year - 2003)
        if year == 2026:
            n = n * 10 // 12
        share = MOM_SHARE.get(year, 0.0)
        for _ in range(n):
            if r.random() < share:
                p = make_mom_patient(year, r)
                Sim(p, r).run()
            else:
                p = make_nonmom_patient(year, r)
            patients.append(p)
    for _ in range(5):
        p = make_mom_revision_patient(r)
        Sim(p, r).run()
        patients.append(p)
    return patients


# --------------------------------------------------------------------------
# designed patients: one planted case per line of README's table

class Case:
    """Builder for a deliberately designed patient."""

    def __init__(self, label, site, sex, dob, purpose, row_sex=None):
        self.p = Patient(NHS.designed(), sex, D(dob), site, "H9%05d" % (len(CASES) + 1), label)
        self.p.purpose = purpose
        self.p.consultant = CONSULTANTS[site][len(CASES) % len(CONSULTANTS[site])]
        CASES.append(self.p)

    def op(self, date, side, family, head="auto", row_sex=None):
        h = head_for(family, self.p.sex if self.p.sex != "U" else "M", R_DES) if head == "auto" else head
        pr = Proc(D(date), side, family, None if h is None else float(h), self.p.consultant, row_sex)
        self.p.procs.append(pr)
        return pr

    def ev(self, e):
        self.p.events.append(e)
        return e

    def review(self, date, side=None, sym=False, ohs=None, note=None, etype="review"):
        return self.ev(Event(D(date), etype, side=side, sym=sym, ohs=ohs, note=note))

    def ions(self, date, co, cr, unit="ug/L", sample=None, note=None, raw_co=None, raw_cr=None):
        e = self.ev(Event(D(date), "blood_metal_ions", co=co, cr=cr, unit=unit, sample=sample,
                          note=note))
        if raw_co is not None:
            e.raw["cobalt"] = raw_co  # a censored value as the laboratory reports it
        if raw_cr is not None:
            e.raw["chromium"] = raw_cr
        return e

    def texts(self, pr, fem, acet, stem="", manuf=None):
        pr.fem, pr.acet, pr.stem = fem, acet, stem
        if manuf is not None:
            pr.manuf = manuf
        return pr

    def ion_events(self, year):
        return [e for e in self.p.events if e.etype == "blood_metal_ions" and e.date.year == year]

    def mri(self, date, side, finding="normal"):
        return self.ev(Event(D(date), "mars_mri", side=side, finding=finding))

    def us(self, date, side, finding="normal"):
        return self.ev(Event(D(date), "ultrasound", side=side, finding=finding))

    def xray(self, date, side=None):
        return self.ev(Event(D(date), "xray", side=side))

    def other(self, date, etype, note=None):
        return self.ev(Event(D(date), etype, note=note))

    def routine(self, first, last, months=12, review=True, ions=True, unit="ug/L", ohs=True):
        """Asymptomatic visits every `months` ending exactly on `last`, with normal results."""
        dates = []
        d = D(last)
        k = 0
        while True:
            dk = add_months(d, -months * k)
            if dk < D(first):
                break
            dates.append(dk)
            k += 1
        base = R_DES.randint(43, 47)
        for dk in reversed(dates):
            if review:
                self.ev(Event(dk, "review", sym=False,
                              ohs=(base + R_DES.choice([-1, 0, 0, 1])) if ohs and R_DES.random() < 0.8 else None))
            if ions:
                co = round(R_DES.uniform(0.8, 2.6), 1)
                cr = round(R_DES.uniform(0.5, 2.0), 1)
                if unit == "nmol/L":
                    co, cr = float(round(co / CO_NMOL_TO_UG)), float(round(cr / CR_NMOL_TO_UG))
                self.ev(Event(dk, "blood_metal_ions", co=co, cr=cr, unit=unit))
        return dates

    def expect(self, status="in_surveillance", groups=(), findings=(), flags=(), warnings=()):
        self.p.expect = {"status": status, "groups": sorted(groups), "findings": sorted(findings),
                         "flags": sorted(flags), "warnings": sorted(warnings)}


CASES = []
EXTRA_ROWS = {"procedures": [], "events": []}  # lone bad rows


def build_cases():
    S1, S2, S3 = SITES
    ASR, LARGE, HIGH, LOW, SMALL = ("ASR", "STEMMED_LARGE_HEAD", "RESURFACING_HIGH_RISK",
                                    "RESURFACING_LOW_RISK", "STEMMED_SMALL_HEAD")

    # ---- compliant controls (no finding expected)
    c = Case("CTRL-ASR", S1, "F", "1948-05-02", "ASR XL total hip, fully compliant")
    c.op("2007-03-14", "L", "ASR_XL", 49)
    c.routine("2011-02-01", "2026-07-08")
    c.mri("2011-03-03", "L")
    c.us("2019-05-20", "L")
    c.expect(groups=[ASR])

    c = Case("CTRL-LOW", S3, "M", "1958-02-11",
             "BHR 54 mm in a man (low risk) on the 24-month schedule; femoral component text starts with =HYPERLINK(")
    pr = c.op("2005-09-20", "R", "BHR", 54)
    pr.fem = '=HYPERLINK("http://example.invalid/bhr","BHR femoral head")'
    c.routine("2010-11-05", "2024-11-05", months=24)
    c.expect(groups=[LOW])

    c = Case("CTRL-SMALL", S2, "M", "1941-07-30", "28 mm Metasul MoM total hip (small head), 24-monthly")
    c.op("2004-04-02", "L", "METASUL28", 28)
    c.routine("2011-04-12", "2025-04-10", months=24)
    c.expect(groups=[SMALL])

    # ---- REVIEW_OVERDUE
    c = Case("REVIEW-A", S1, "F", "1957-10-09",
             "ASR resurfacing: ions kept up by GP but last review 2024-05-10; also hosts a rejected review with oxford_hip_score 49")
    c.op("2006-01-17", "L", "ASR_RS", 45)
    c.routine("2011-03-01", "2024-05-10")
    c.ions("2025-05-02", 2.4, 1.9)
    c.ions("2026-02-01", 2.6, 2.0)
    c.mri("2011-04-14", "L")
    c.mri("2018-06-19", "L")
    e = c.review("2026-08-20", "L", ohs=49)
    e.raw["oxford_hip_score"] = "49"  # rejected: out of range (would hide the finding if accepted)
    c.expect(groups=[ASR], findings=["REVIEW_OVERDUE"])

    c = Case("REVIEW-B", S2, "M", "1950-01-21",
             "large-head MoM THR, last review 2025-09-29: review due 2026-09-29, overdue by 1 day")
    c.op("2008-06-03", "R", "BMHR", 50)
    c.routine("2010-09-29", "2025-09-29")
    c.ions("2026-03-16", 1.9, 0.8)
    c.us("2013-02-05", "R")
    c.expect(groups=[LARGE], findings=["REVIEW_OVERDUE"])

    c = Case("REVIEW-C", S3, "M", "1961-04-04",
             "BHR 52 mm man (low risk), last review 2024-02-29: +24 months = 2026-02-28 (month-end clamp)")
    c.op("2007-06-12", "L", "BHR", 52)
    c.routine("2012-02-29", "2024-02-29", months=24)
    c.ions("2025-10-06", 1.4, 1.1)
    c.expect(groups=[LOW], findings=["REVIEW_OVERDUE"])

    c = Case("REVIEW-D-BOUNDARY", S1, "F", "1962-12-01",
             "BHR in a woman, last review and ions exactly 2025-09-30: due 2026-09-30, not overdue on the as-of date")
    c.op("2009-02-10", "R", "BHR", 44)
    c.routine("2010-09-30", "2025-09-30")
    c.mri("2012-05-08", "R")
    c.expect(groups=[HIGH])

    c = Case("REVIEW-E-LATE", S2, "M", "1949-03-17",
             "ASR XL, last review 2025-06-01; the next review is dated 2026-10-20, after the as-of date (ignored)")
    c.op("2005-11-30", "L", "ASR_XL", 53)
    c.routine("2011-06-01", "2025-06-01")
    c.review("2026-10-20", "L")
    c.ions("2026-10-20", 2.2, 1.0)
    c.mri("2012-01-10", "L")
    c.expect(groups=[ASR], findings=["REVIEW_OVERDUE", "IONS_OVERDUE"])

    # ---- IONS_OVERDUE
    c = Case("IONS-A", S1, "F", "1944-08-08",
             "36 mm Ultamet MoM THR: reviews current, last whole-blood ions 2024-09-01; its 2026 sample is rejected in the LIMS (cobalt -1.2, chromium '<<0.9')")
    c.op("2009-07-21", "R", "ULTAMET36", 36)
    c.routine("2010-05-11", "2026-05-11", ions=False)
    c.routine("2012-09-01", "2024-09-01", review=False)
    c.mri("2014-03-04", "R")
    e = c.ions("2026-05-11", 1.2, 0.9)
    # both rows rejected: a negative value and a malformed comparator (either would hide the finding)
    e.lims = {"COB": {"Result": "-1.2"}, "CHR": {"Result": "<<0.9"}}
    c.expect(groups=[LARGE], findings=["IONS_OVERDUE"])

    c = Case("IONS-B-SERUM", S2, "F", "1955-06-26",
             "Durom resurfacing: recent ion results are serum/plasma only (never satisfy the rule)")
    c.op("2006-10-05", "L", "DUROM_RS", 46)
    c.routine("2011-01-12", "2026-01-12", ions=False)
    c.routine("2011-06-04", "2018-06-04", review=False)
    c.ions("2021-03-01", 1.1, 0.9, sample="serum")
    c.ions("2024-02-02", 1.3, 1.0, sample="plasma")
    c.ions("2026-01-12", 1.2, 1.1, sample="serum", note="GP used a serum tube; whole-blood repeat requested.")
    c.mri("2012-09-17", "L")
    c.expect(groups=[HIGH], findings=["IONS_OVERDUE"], warnings=["SAMPLE_NOT_WHOLE_BLOOD"])

    c = Case("IONS-C-NEVER", S3, "M", "1947-02-14",
             "M2a-Magnum THR never ion-tested (due 12 months after the operation); its only sample is rejected in the LIMS (no units)")
    c.op("2006-04-19", "R", "M2A", 52)
    c.routine("2010-04-02", "2026-04-02", ions=False)
    c.mri("2013-01-22", "R")
    e = c.ions("2026-04-02", 1.6, 0.7)
    e.lims = {"COB": {"Units": ""}, "CHR": {"Units": ""}}  # both rows rejected: no unit
    c.expect(groups=[LARGE], findings=["IONS_OVERDUE"])

    # ---- ION_REPEAT_OVERDUE
    c = Case("REPEAT-A", S1, "M", "1946-11-05",
             "ASR XL: latest cobalt 8.6 ug/L (2026-03-12), lower than the previous 9.8: repeat overdue, not rising; the LIMS sends that sample's cobalt again as 6.1 (same id A26-nnnnn/cobalt, different content: rejected, the first row stands)")
    c.op("2008-02-26", "L", "ASR_XL", 55)
    c.routine("2011-03-10", "2025-03-10")
    c.ions("2025-09-10", 9.8, 4.1)
    c.review("2026-03-12", "L", ohs=44)
    e = c.ions("2026-03-12", 8.6, 3.9)
    e.lims_dupes = [("COB", {"Result": "6.1"})]  # rejected duplicate; the first row stands
    c.mri("2011-05-03", "L")
    c.mri("2025-10-05", "L", "fluid_collection")
    c.expect(groups=[ASR], findings=["ION_REPEAT_OVERDUE"])

    c = Case("REPEAT-B-CR", S2, "F", "1960-03-19",
             "BHR woman: chromium 7.4 ppb (raised, below the previous 9.5) on 2026-02-20, no repeat")
    c.op("2007-08-08", "R", "BHR", 42)
    c.routine("2011-02-18", "2025-02-18")
    c.ions("2025-08-19", 3.1, 9.5, unit="ppb")
    c.review("2026-02-20", "R")
    c.ions("2026-02-20", 2.9, 7.4, unit="ppb")
    c.mri("2012-03-06", "R")
    c.mri("2025-09-15", "R")
    c.expect(groups=[HIGH], findings=["ION_REPEAT_OVERDUE"])

    c = Case("REPEAT-C-NMOL", S3, "M", "1952-09-09",
             "BHR 46 mm man (high risk), results in nmol/L: cobalt 150 nmol/L (8.84 ug/L) on 2026-05-15, no repeat")
    c.op("2005-05-25", "L", "BHR", 46)
    c.routine("2011-01-14", "2025-01-14")
    c.ions("2025-07-14", 160.0, 80.0, unit="nmol/L")
    c.review("2026-05-15", "L")
    c.ions("2026-05-15", 150.0, 70.0, unit="nmol/L")
    c.us("2012-02-02", "L")
    c.mri("2025-08-20", "L")
    c.expect(groups=[HIGH], findings=["ION_REPEAT_OVERDUE"])

    c = Case("REPEAT-D-BAND119", S1, "F", "1959-05-05",
             "Cormet woman: latest cobalt 119 nmol/L = 7.013 ug/L (raised, in the rounding band), no repeat")
    c.op("2006-03-01", "R", "CORMET", 44)
    c.routine("2011-04-01", "2025-04-01")
    c.ions("2025-10-01", 125.0, 40.0, unit="nmol/L")
    c.review("2026-04-01", "R")
    c.ions("2026-04-01", 119.0, 38.0, unit="nmol/L")
    c.mri("2013-05-14", "R")
    c.mri("2025-11-03", "R")
    c.expect(groups=[HIGH], findings=["ION_REPEAT_OVERDUE"], warnings=["THRESHOLD_ROUNDING_BAND"])

    c = Case("REPEAT-E-EXACT7", S2, "M", "1953-07-27",
             "large-head THR: latest cobalt exactly 7.0 ug/L (not raised): no repeat due")
    c.op("2007-09-17", "L", "BMHR", 48)
    c.routine("2011-08-04", "2024-08-04")
    c.review("2025-08-04", "L")
    c.ions("2025-08-04", 7.5, 1.2)
    c.us("2012-10-10", "L")
    c.mri("2025-09-01", "L")
    c.review("2026-02-02", "L")
    c.ions("2026-02-02", 7.0, 1.1)
    c.expect(groups=[LARGE])

    c = Case("REPEAT-F-BAND118", S3, "F", "1958-01-13",
             "BHR woman: latest cobalt 118 nmol/L = 6.954 ug/L (not raised, in the rounding band)")
    c.op("2008-11-11", "R", "BHR", 40)
    c.routine("2011-03-03", "2025-03-03")
    c.review("2026-03-02", "R")
    c.ions("2026-03-02", 118.0, 50.0, unit="nmol/L")
    c.mri("2012-04-24", "R")
    c.expect(groups=[HIGH], warnings=["THRESHOLD_ROUNDING_BAND"])

    c = Case("REPEAT-G-RECENT", S1, "M", "1956-12-24",
             "ASR resurfacing: raised cobalt 8.1 on 2026-08-10, repeat not due until 2026-11-10")
    c.op("2007-04-04", "L", "ASR_RS", 49)
    c.routine("2011-08-10", "2025-08-10")
    c.ions("2026-02-09", 8.9, 5.1)
    c.mri("2026-03-02", "L")
    c.review("2026-08-10", "L")
    c.ions("2026-08-10", 8.1, 6.0)
    c.mri("2011-10-11", "L")
    c.expect(groups=[ASR])

    # ---- IMAGING_RISING_IONS_OVERDUE
    c = Case("RISING-A", S2, "M", "1954-02-02",
             "ASR resurfacing: cobalt 6.2 -> 9.4 ug/L (2026-04-20), last MRI 2023-05-11")
    c.op("2005-07-06", "R", "ASR_RS", 47)
    c.routine("2011-10-01", "2024-10-01")
    c.review("2025-10-01", "R")
    c.ions("2025-10-01", 6.2, 3.0)
    c.review("2026-04-20", "R")
    c.ions("2026-04-20", 9.4, 3.3)
    c.mri("2011-11-15", "R")
    c.mri("2023-05-11", "R")
    c.expect(groups=[ASR], findings=["ION_REPEAT_OVERDUE", "IMAGING_RISING_IONS_OVERDUE"],
             flags=["RISING_IONS"])

    c = Case("RISING-B", S3, "F", "1951-08-18",
             "large-head THR: cobalt 8.0 -> 12.1 ug/L (2026-05-28), last ultrasound 2024-01-22")
    c.op("2007-12-03", "L", "BMHR", 46)
    c.routine("2011-11-17", "2024-11-17")
    c.review("2025-11-17", "L")
    c.ions("2025-11-17", 8.0, 2.0)
    c.review("2026-05-28", "L")
    c.ions("2026-05-28", 12.1, 2.2)
    c.mri("2012-06-12", "L")
    c.us("2024-01-22", "L")
    c.expect(groups=[LARGE], findings=["ION_REPEAT_OVERDUE", "IMAGING_RISING_IONS_OVERDUE"],
             flags=["RISING_IONS"])

    c = Case("RISING-C-NMOL", S1, "M", "1948-10-30",
             "M2a-Magnum: cobalt 100 -> 180 nmol/L (5.9 -> 10.6 ug/L) on 2026-06-01, no imaging since 2016")
    c.op("2006-08-14", "L", "M2A", 50)
    c.routine("2011-06-02", "2024-06-02")
    c.review("2025-06-02", "L")
    c.ions("2025-06-02", 100.0, 30.0, unit="nmol/L")
    c.review("2026-06-01", "L")
    c.ions("2026-06-01", 180.0, 35.0, unit="nmol/L")
    c.mri("2012-02-21", "L")
    c.mri("2016-02-09", "L")
    c.expect(groups=[LARGE], findings=["ION_REPEAT_OVERDUE", "IMAGING_RISING_IONS_OVERDUE"],
             flags=["RISING_IONS"])

    c = Case("RISING-D-IMAGED", S2, "F", "1957-04-21",
             "ASR XL: rising cobalt 11.0 on 2026-04-30 but MRI 2026-02-15 (within 90 days before): repeat overdue, imaging satisfied")
    c.op("2008-05-05", "R", "ASR_XL", 45)
    c.routine("2011-04-28", "2025-04-28")
    c.mri("2011-06-07", "R")
    c.mri("2026-02-15", "R", "fluid_collection")
    c.review("2026-04-30", "R")
    c.ions("2026-04-30", 11.0, 2.5)
    c.expect(groups=[ASR], findings=["ION_REPEAT_OVERDUE"], flags=["RISING_IONS"])

    c = Case("RISING-E-CR", S3, "F", "1963-03-03",
             "Conserve resurfacing: cobalt 9.0 -> 8.0 (raised, falling) but chromium 5.0 -> 7.6 (raised, rising)")
    c.op("2006-06-06", "L", "CONSERVE", 42)
    c.routine("2011-09-08", "2024-09-08")
    c.review("2025-09-08", "L")
    c.ions("2025-09-08", 9.0, 5.0)
    c.review("2026-03-09", "L")
    c.ions("2026-03-09", 8.0, 7.6)
    c.mri("2012-01-17", "L")
    c.mri("2019-10-22", "L")
    c.expect(groups=[HIGH], findings=["ION_REPEAT_OVERDUE", "IMAGING_RISING_IONS_OVERDUE"],
             flags=["RISING_IONS"])

    # ---- IMAGING_SYMPTOMS_OVERDUE
    c = Case("SYMPT-A", S1, "F", "1960-07-07",
             "BHR woman: symptomatic review of the left hip 2026-02-14 (OHS 42 -> 31), no imaging since 2022; note holds <script>alert(1)</script>")
    c.op("2006-09-12", "L", "BHR", 44)
    c.routine("2011-02-10", "2025-02-10", ohs=False)
    c.review("2025-08-11", "L", ohs=42)
    c.ions("2025-08-11", 1.8, 1.5)
    c.review("2026-02-14", "L", sym=True, ohs=31,
             note="Groin pain since Christmas. <script>alert(1)</script>")
    c.ions("2026-02-14", 2.1, 1.8)
    c.mri("2012-03-27", "L")
    c.mri("2022-03-07", "L")
    c.expect(groups=[HIGH], findings=["IMAGING_SYMPTOMS_OVERDUE"], flags=["OHS_DETERIORATING"])

    c = Case("SYMPT-B-BILAT", S2, "M", "1955-11-11",
             "bilateral BHR men 50/52 mm (low risk): symptomatic review with no side 2026-01-20: both implants need imaging")
    c.op("2004-03-03", "L", "BHR", 50)
    c.op("2005-01-19", "R", "BHR", 52)
    c.routine("2010-01-22", "2024-01-22", months=24)
    c.review("2026-01-20", None, sym=True)
    c.ions("2026-01-20", 3.1, 2.7)
    c.us("2019-06-10", "B")
    c.expect(groups=[LOW], findings=["IMAGING_SYMPTOMS_OVERDUE"])

    c = Case("SYMPT-C-WRONGSIDE", S3, "F", "1950-05-15",
             "ASR XL right, MoP left: symptomatic right-hip review 2026-06-01; only the left hip was scanned since")
    c.op("2009-01-26", "R", "ASR_XL", 47)
    c.op("2015-05-05", "L", "EXETER_MOP", 32)
    c.routine("2011-06-02", "2025-06-02")
    c.review("2026-06-01", "R", sym=True, ohs=35)
    c.ions("2026-06-01", 2.4, 1.1)
    c.mri("2012-07-03", "R")
    c.us("2026-06-20", "L")
    c.expect(groups=[ASR], findings=["IMAGING_SYMPTOMS_OVERDUE"], flags=["OHS_DETERIORATING"])

    c = Case("SYMPT-D-IMAGED", S1, "M", "1952-02-29",
             "large-head THR: symptomatic review 2026-03-01, MRI of that hip 2026-01-10 (50 days before): satisfied")
    c.op("2007-02-27", "R", "DUROM_LDH", 54)
    c.routine("2011-03-01", "2025-03-01")
    c.mri("2011-05-17", "R")
    c.mri("2026-01-10", "R")
    c.review("2026-03-01", "R", sym=True)
    c.ions("2026-03-01", 2.0, 0.9)
    c.expect(groups=[LARGE])

    c = Case("SYMPT-E-RECENT", S2, "F", "1961-09-01",
             "BHR woman: symptomatic review 2026-08-15, imaging not due until 2026-11-15")
    c.op("2008-04-14", "R", "BHR", 46)
    c.routine("2011-08-15", "2025-08-15")
    c.review("2026-08-15", "R", sym=True)
    c.ions("2026-08-15", 1.7, 1.6)
    c.mri("2012-05-29", "R")
    c.expect(groups=[HIGH])

    # ---- IMAGING_BASELINE_MISSING
    c = Case("BASE-A", S3, "F", "1964-06-16", "ASR resurfacing, compliant but never scanned")
    c.op("2008-09-09", "L", "ASR_RS", 43)
    c.routine("2011-04-20", "2026-04-20")
    c.expect(groups=[ASR], findings=["IMAGING_BASELINE_MISSING"])

    c = Case("BASE-B-BILAT", S1, "F", "1963-10-10",
             "bilateral BHR woman: left scanned (plus a pre-operative MRI dated before the first operation), right never")
    c.op("2009-03-16", "L", "BHR", 42)
    c.op("2010-05-10", "R", "BHR", 44)
    c.mri("2009-01-20", "L")
    c.mri("2011-06-01", "L")
    c.routine("2011-03-09", "2026-03-09")
    c.expect(groups=[HIGH], findings=["IMAGING_BASELINE_MISSING"], warnings=["EVENT_BEFORE_PROCEDURE"])

    c = Case("BASE-C-HEADUNK", S2, "M", "1949-12-12",
             "BHR modular head THR with blank head size (placed in the large-head group), never scanned")
    c.op("2007-10-22", "R", "BMHR", None)
    c.routine("2011-07-06", "2026-07-06")
    c.expect(groups=[LARGE], findings=["IMAGING_BASELINE_MISSING"], warnings=["HEAD_SIZE_UNKNOWN"])

    c = Case("BASE-D-LOWCTRL", S3, "M", "1959-08-23",
             "BHR 56 mm man (low risk) never scanned: baseline imaging not required")
    c.op("2006-12-04", "L", "BHR", 56)
    c.routine("2011-12-15", "2025-12-15", months=24)
    c.expect(groups=[LOW])

    # ---- exclusions
    c = Case("DEAD-A", S1, "F", "1935-04-04", "ASR XL, died 2020-01-15")
    c.op("2006-05-15", "L", "ASR_XL", 41)
    c.routine("2011-05-13", "2019-05-13")
    c.mri("2011-07-19", "L")
    c.other("2020-01-15", "death")
    c.expect(status="deceased")

    c = Case("DEAD-B", S2, "M", "1944-09-09", "BHR, death recorded with event type 'deceased' 2023-07-19")
    c.op("2004-08-02", "R", "BHR", 50)
    c.routine("2010-08-02", "2022-08-02")
    c.other("2023-07-19", "death").raw["event_type"] = "deceased"
    c.expect(status="deceased")

    c = Case("DEAD-C-ASOF", S3, "F", "1938-01-27", "M2a-Magnum, died on the as-of date 2026-09-30")
    c.op("2005-02-14", "R", "M2A", 44)
    c.routine("2011-02-09", "2026-02-09")
    c.mri("2012-08-14", "R")
    c.other("2026-09-30", "death")
    c.expect(status="deceased")

    c = Case("DEAD-D-AFTER", S1, "M", "1939-03-31",
             "Ultamet 36 mm THR, lapsed in 2024; death dated 2026-10-12 is after the as-of date (ignored)")
    c.op("2006-11-06", "L", "ULTAMET36", 36)
    c.routine("2011-03-04", "2024-03-04")
    c.mri("2013-09-24", "L")
    c.other("2026-10-12", "death")
    c.expect(groups=[LARGE], findings=["REVIEW_OVERDUE", "IONS_OVERDUE"])

    c = Case("TRANS-A", S2, "F", "1956-06-30", "BHR woman, transferred out 2019-04-08")
    c.op("2005-10-10", "L", "BHR", 42)
    c.routine("2011-10-10", "2018-10-10")
    c.mri("2012-01-31", "L")
    c.other("2019-04-08", "transferred_out", note="Moved to another trust; records sent.")
    c.expect(status="transferred_out")

    c = Case("TRANS-B", S3, "M", "1955-05-05",
             "Cormet man, transferred out 2022-10-03; a later x-ray does not bring him back")
    c.op("2006-02-20", "R", "CORMET", 48)
    c.routine("2011-03-22", "2022-03-22")
    c.mri("2012-04-10", "R")
    c.other("2022-10-03", "transferred_out")
    c.xray("2023-05-15", "R")
    c.expect(status="transferred_out")

    c = Case("TRANS-C", S1, "F", "1962-01-19", "ASR resurfacing, transferred out 2016-02-01 (a spine notification)")
    c.op("2007-07-30", "L", "ASR_RS", 41)
    c.routine("2010-11-02", "2015-11-02")
    c.mri("2011-01-11", "L")
    c.other("2016-02-01", "transferred_out").raw["event_type"] = "transfer"
    c.expect(status="transferred_out")

    c = Case("TRANS-D-BACK", S2, "M", "1951-11-23",
             "BHR modular THR, transferred out 2017 but reviewed again from 2019 (back in surveillance, lapsed since 2021)")
    c.op("2005-06-27", "L", "BMHR", 54)
    c.routine("2010-07-12", "2016-07-12")
    c.mri("2012-02-14", "L")
    c.other("2017-01-09", "transferred_out")
    c.routine("2019-05-13", "2021-05-17")
    c.expect(groups=[LARGE], findings=["REVIEW_OVERDUE", "IONS_OVERDUE"])

    c = Case("DECL-A", S3, "M", "1957-07-04", "BHR 50 mm man, declined follow-up 2021-06-07")
    c.op("2004-11-15", "L", "BHR", 50)
    c.routine("2010-06-14", "2020-06-14", months=24)
    c.other("2021-06-07", "declined_follow_up")
    c.expect(status="declined")

    c = Case("DECL-B", S1, "F", "1950-02-10", "ASR XL, declined 2015-03-02 (PAS attendance code D, the trust's local code)")
    c.op("2008-01-14", "R", "ASR_XL", 41)
    c.routine("2010-10-20", "2014-10-20")
    c.mri("2010-12-07", "R")
    c.other("2015-03-02", "declined_follow_up").raw["event_type"] = "declined"
    c.expect(status="declined")

    c = Case("DECL-C", S2, "F", "1960-10-21",
             "Durom resurfacing, declined 2024-02-05; a later did-not-attend does not bring her back")
    c.op("2006-07-03", "R", "DUROM_RS", 44)
    c.routine("2011-07-05", "2023-07-05")
    c.mri("2012-11-06", "R")
    c.other("2024-02-05", "declined_follow_up")
    c.other("2025-02-10", "did_not_attend")
    c.expect(status="declined")

    c = Case("DECL-D-BACK", S3, "F", "1946-04-12",
             "M2a-Magnum, declined 2018 but a whole-blood ion test in 2023 brings her back (overdue)")
    c.op("2007-03-19", "L", "M2A", 46)
    c.routine("2010-05-24", "2017-05-24")
    c.mri("2012-10-30", "L")
    c.other("2018-01-08", "declined_follow_up")
    c.ions("2023-05-22", 1.9, 0.8)
    c.expect(groups=[LARGE], findings=["REVIEW_OVERDUE", "IONS_OVERDUE"])

    c = Case("REV-A", S1, "F", "1959-09-19", "BHR woman, revised to MoP 2012-04-16")
    c.op("2005-03-21", "R", "BHR", 44)
    c.routine("2010-06-07", "2011-06-07")
    c.mri("2011-12-13", "R", "pseudotumour")
    c.op("2012-04-16", "R", "REV_MOP", 32)
    c.review("2012-05-28", "R")
    c.expect(status="revised")

    c = Case("REV-B", S2, "M", "1947-06-06", "ASR XL, pseudotumour, revised to CoP 2011-02-14")
    c.op("2007-05-08", "L", "ASR_XL", 51)
    c.routine("2010-10-05", "2010-10-05")
    c.mri("2010-11-16", "L", "pseudotumour")
    c.op("2011-02-14", "L", "REV_COP", 36)
    c.review("2011-03-28", "L")
    c.expect(status="revised")

    c = Case("REV-C-BILAT", S3, "M", "1958-12-12",
             "bilateral BHR man: left (48 mm) revised 2013, right (50 mm, low risk) still in surveillance")
    c.op("2005-04-04", "L", "BHR", 48)
    c.op("2006-04-03", "R", "BHR", 50)
    c.mri("2012-03-13", "B")
    c.op("2013-09-09", "L", "REV_MOP", 36)
    c.routine("2010-05-18", "2026-05-18")
    c.expect(groups=[LOW])

    c = Case("REV-D-MOMREV", S1, "M", "1955-03-03",
             "ASR resurfacing converted 2005 to an ASR XL head on a stem (MoM revision with ASR components): ASR group")
    c.op("2004-06-14", "L", "ASR_RS", 49)
    c.op("2005-01-10", "L", "REV_ASRXL", 49)
    c.routine("2011-04-26", "2026-04-26")
    c.mri("2011-06-21", "L")
    c.expect(groups=[ASR])

    c = Case("REV-E-MOMREV-REVISED", S2, "M", "1950-08-08",
             "BHR 2003 -> MoM revision (BHR modular head) 2008 -> CoC revision 2014: revised")
    c.op("2003-09-01", "R", "BHR", 50)
    c.op("2008-02-11", "R", "REV_BMHR", 50)
    c.routine("2010-06-01", "2013-06-01")
    c.mri("2011-02-01", "R", "fluid_collection")
    c.op("2014-06-02", "R", "REV_COC", 36)
    c.expect(status="revised")

    c = Case("REV-F-AFTER", S3, "F", "1954-04-04",
             "BHR modular THR: pseudotumour on MRI 2026-06-15, revision dated 2026-10-14 (after the as-of date)")
    c.op("2008-10-06", "L", "BMHR", 48)
    c.routine("2011-07-01", "2026-07-01")
    c.mri("2012-01-24", "L")
    c.mri("2026-06-15", "L", "pseudotumour")
    c.op("2026-10-14", "L", "REV_COP", 36)
    c.expect(groups=[LARGE], flags=["CONSIDER_REVISION_IMAGING"])

    c = Case("REV-G-OTHERSIDE", S1, "F", "1945-01-08",
             "M2a-Magnum left; MoP THR right revised 2019: the MoM implant stays active")
    c.op("2006-01-09", "L", "M2A", 44)
    c.op("2010-02-01", "R", "EXETER_MOP", 28)
    c.op("2019-09-16", "R", "REV_MOP", 32)
    c.routine("2011-03-22", "2026-03-22")
    c.mri("2012-06-05", "L")
    c.expect(groups=[LARGE])

    c = Case("REV-H-MOMREV-SMALL", S2, "M", "1943-10-10",
             "MoP THR 2003 revised 2008 with a 28 mm Metasul MoM bearing: small-head group")
    c.op("2003-05-12", "L", "EXETER_MOP", 28)
    c.op("2008-03-03", "L", "REV_METASUL28", 28)
    c.routine("2009-06-09", "2012-06-09", months=12)
    c.routine("2013-06-09", "2025-06-09", months=24)
    c.expect(groups=[SMALL])

    # ---- data-quality warnings
    c = Case("HEADUNK-A", S3, "F", "1948-07-17", "Durom large-diameter head THR with blank head size")
    c.op("2007-05-21", "L", "DUROM_LDH", None)
    c.routine("2011-06-14", "2026-06-14")
    c.mri("2012-08-28", "L")
    c.expect(groups=[LARGE], warnings=["HEAD_SIZE_UNKNOWN"])

    c = Case("HEADUNK-B", S1, "M", "1960-02-02", "BHR man with blank head size (high-risk group)")
    c.op("2005-12-12", "R", "BHR", None)
    c.routine("2011-01-25", "2026-01-25")
    c.mri("2012-02-28", "R")
    c.expect(groups=[HIGH], warnings=["HEAD_SIZE_UNKNOWN"])

    c = Case("SEXUNK-A", S2, "U", "1961-06-06", "BHR 52 mm, sex not recorded (blank)")
    c.op("2006-06-19", "L", "BHR", 52)
    c.routine("2011-09-27", "2026-03-27")
    c.mri("2013-03-12", "L")
    c.expect(groups=[HIGH], warnings=["SEX_UNKNOWN"])

    c = Case("SEXUNK-B", S3, "U", "1957-11-30", "Cormet 50 mm, sex recorded as 'X'")
    c.op("2005-08-08", "R", "CORMET", 50)
    c.p.procs[-1].raw["sex"] = "X"
    c.routine("2011-08-23", "2026-02-23")
    c.mri("2012-05-01", "R")
    c.expect(groups=[HIGH], warnings=["SEX_UNKNOWN"])

    c = Case("SEXUNK-C", S1, "U", "1963-09-14",
             "BHR 54 mm, sex recorded as '0', never scanned: unknown sex puts it in the high-risk group, so baseline imaging is missing")
    c.op("2007-01-22", "L", "BHR", 54)
    c.p.procs[-1].raw["sex"] = "0"
    c.routine("2011-04-05", "2026-04-05")
    c.expect(groups=[HIGH], findings=["IMAGING_BASELINE_MISSING"], warnings=["SEX_UNKNOWN"])

    c = Case("SEXINC-A", S1, "M", "1958-03-08",
             "bilateral BHR 50 mm: left row says male (low risk), right row says female (high risk)")
    c.op("2005-05-09", "L", "BHR", 50, row_sex="M")
    c.op("2007-05-14", "R", "BHR", 50, row_sex="F")
    c.routine("2011-04-13", "2026-04-13")
    c.mri("2012-06-26", "R")
    c.expect(groups=[HIGH, LOW], warnings=["SEX_INCONSISTENT"])

    c = Case("SEXINC-B", S3, "F", "1949-01-01",
             "ASR XL left (row: female) and MoP THR right (row: male)")
    c.op("2008-01-28", "L", "ASR_XL", 43, row_sex="F")
    c.op("2014-03-03", "R", "EXETER_MOP", 32, row_sex="M")
    c.routine("2011-01-18", "2026-01-18")
    c.mri("2011-03-29", "L")
    c.expect(groups=[ASR], warnings=["SEX_INCONSISTENT"])

    c = Case("SEXINC-C", S1, "M", "1956-05-25",
             "bilateral BHR 52 mm: right row male (low risk), left row female (high risk, never scanned)")
    c.op("2006-02-06", "R", "BHR", 52, row_sex="M")
    c.op("2006-09-04", "L", "BHR", 52, row_sex="F")
    c.routine("2011-05-09", "2026-05-09")
    c.expect(groups=[HIGH, LOW], findings=["IMAGING_BASELINE_MISSING"], warnings=["SEX_INCONSISTENT"])

    c = Case("BAND-CR", S2, "F", "1959-12-20",
             "BHR woman, nmol/L lab: latest chromium 134.6 nmol/L = 6.999 ug/L (not raised, rounding band)")
    c.op("2006-05-08", "R", "BHR", 42)
    c.routine("2011-01-19", "2025-01-19", unit="nmol/L")
    c.review("2026-01-19", "R")
    c.ions("2026-01-19", 30.0, 134.6, unit="nmol/L")
    c.mri("2012-02-07", "R")
    c.expect(groups=[HIGH], warnings=["THRESHOLD_ROUNDING_BAND"])

    c = Case("BAND-CR135", S3, "F", "1962-08-08",
             "ASR resurfacing, nmol/L lab: chromium 100 -> 135 nmol/L (7.019 ug/L, raised and rising) with MRI 55 days before: repeat overdue only")
    c.op("2007-11-26", "L", "ASR_RS", 45)
    c.routine("2011-05-24", "2024-11-24", unit="nmol/L")
    c.review("2025-11-24", "L")
    c.ions("2025-11-24", 40.0, 100.0, unit="nmol/L")
    c.mri("2011-07-05", "L")
    c.mri("2026-04-01", "L")
    c.review("2026-05-26", "L")
    c.ions("2026-05-26", 38.0, 135.0, unit="nmol/L")
    c.expect(groups=[ASR], findings=["ION_REPEAT_OVERDUE"], flags=["RISING_IONS"],
             warnings=["THRESHOLD_ROUNDING_BAND"])

    c = Case("BAND-CO120", S1, "M", "1951-04-16",
             "large-head THR: cobalt 120 nmol/L (7.07 ug/L) in 2025, scanned, then 90 nmol/L")
    c.op("2008-07-14", "L", "BMHR", 52)
    c.routine("2011-08-11", "2024-08-11")
    c.review("2025-08-11", "L")
    c.ions("2025-08-11", 120.0, 20.0, unit="nmol/L")
    c.mri("2012-09-04", "L")
    c.mri("2025-09-22", "L")
    c.review("2026-02-09", "L")
    c.ions("2026-02-09", 90.0, 22.0, unit="nmol/L")
    c.expect(groups=[LARGE], warnings=["THRESHOLD_ROUNDING_BAND"])

    # ---- clinical flags
    c = Case("CONSREV-A", S2, "M", "1946-03-27", "ASR XL with pseudotumour on the latest MRI (2025-11-17)")
    c.op("2006-03-13", "R", "ASR_XL", 57)
    c.routine("2011-03-09", "2026-03-09")
    c.mri("2011-04-19", "R")
    c.mri("2025-11-17", "R", "pseudotumour")
    c.expect(groups=[ASR], flags=["CONSIDER_REVISION_IMAGING"])

    c = Case("CONSREV-B", S3, "F", "1955-10-02", "BHR woman, muscle or bone damage on the latest ultrasound")
    c.op("2007-10-01", "L", "BHR", 46)
    c.routine("2011-04-28", "2026-04-28")
    c.mri("2012-06-19", "L")
    c.us("2026-03-23", "L", "muscle_or_bone_damage")
    c.expect(groups=[HIGH], flags=["CONSIDER_REVISION_IMAGING"])

    c = Case("CONSREV-C-BILAT", S1, "M", "1952-12-03",
             "BHR modular THR left with pseudotumour (2025), BHR resurfacing right imaged normal")
    c.op("2005-09-05", "L", "BMHR", 54)
    c.op("2006-08-21", "R", "BHR", 50)
    c.mri("2012-05-15", "B")
    c.mri("2025-06-02", "L", "pseudotumour")
    c.routine("2011-06-30", "2026-06-30")
    c.expect(groups=[LARGE, LOW], flags=["CONSIDER_REVISION_IMAGING"])

    c = Case("CONSREV-D-CTRL", S2, "F", "1961-02-14",
             "ASR resurfacing: pseudotumour in 2019 but the latest MRI (2024) is normal: no flag")
    c.op("2005-02-28", "L", "ASR_RS", 43)
    c.routine("2011-05-26", "2026-05-26")
    c.mri("2011-06-28", "L")
    c.mri("2019-04-09", "L", "pseudotumour")
    c.mri("2024-04-15", "L")
    c.expect(groups=[ASR])

    c = Case("OHS-A", S3, "M", "1957-01-31", "BHR 50 mm man: Oxford Hip Score 44 -> 37")
    c.op("2006-10-16", "R", "BHR", 50)
    c.routine("2011-04-07", "2024-04-07", ohs=False)
    c.review("2025-04-07", "R", ohs=44)
    c.ions("2025-04-07", 1.5, 1.6)
    c.review("2026-04-06", "R", ohs=37)
    c.ions("2026-04-06", 1.7, 1.5)
    c.expect(groups=[LOW], flags=["OHS_DETERIORATING"])

    c = Case("OHS-B-EXACT5", S1, "F", "1950-09-29", "M2a-Magnum: Oxford Hip Score 40 -> 35 (a fall of exactly 5)")
    c.op("2007-06-25", "L", "M2A", 42)
    c.routine("2011-06-23", "2024-06-23", ohs=False)
    c.review("2025-06-23", "L", ohs=40)
    c.ions("2025-06-23", 2.2, 0.9)
    c.review("2026-06-22", "L", ohs=35)
    c.ions("2026-06-22", 2.0, 1.0)
    c.mri("2012-07-10", "L")
    c.expect(groups=[LARGE], flags=["OHS_DETERIORATING"])

    c = Case("OHS-C-FOUR", S2, "F", "1956-12-12", "ASR XL: Oxford Hip Score 40 -> 36 (a fall of 4): no flag")
    c.op("2006-12-11", "R", "ASR_XL", 45)
    c.routine("2011-05-12", "2024-05-12", ohs=False)
    c.review("2025-05-12", "R", ohs=40)
    c.ions("2025-05-12", 2.6, 1.2)
    c.review("2026-05-11", "R", ohs=36)
    c.ions("2026-05-11", 2.5, 1.3)
    c.mri("2011-08-16", "R")
    c.expect(groups=[ASR])

    c = Case("OHS-D-UNSCORED", S3, "F", "1962-04-18",
             "BHR woman: scored reviews 45 -> 38, latest review (2026-08-17) unscored")
    c.op("2008-08-18", "L", "BHR", 44)
    c.routine("2011-08-18", "2023-08-18", ohs=False)
    c.review("2024-08-19", "L", ohs=45)
    c.review("2025-08-18", "L", ohs=38)
    c.review("2026-08-17", "L")
    c.routine("2024-08-19", "2026-08-17", review=False)
    c.ions("2025-08-18", 1.8, 1.7)
    c.mri("2012-10-02", "L")
    c.expect(groups=[HIGH], flags=["OHS_DETERIORATING"])

    c = Case("DNA-A", S1, "F", "1958-06-21",
             "BHR woman, last seen 2025-03-03, did not attend 2026-04-02; hosts a PAS row with the unknown attendance code 'T' (rejected)")
    c.op("2005-01-31", "R", "BHR", 42)
    c.routine("2011-03-03", "2025-03-03")
    c.mri("2012-04-17", "R")
    c.other("2026-04-02", "did_not_attend", note="Second appointment letter sent.")
    e = c.review("2026-05-05", "R")
    e.raw["event_type"] = "phone_call"  # rejected: unknown event type
    c.expect(groups=[HIGH], findings=["REVIEW_OVERDUE", "IONS_OVERDUE"], flags=["DID_NOT_ATTEND"])

    c = Case("DNA-B", S2, "M", "1953-05-18",
             "ASR XL, reviewed 2025-10-06, did not attend 2026-09-28 (review not due until 2026-10-06)")
    c.op("2007-08-20", "L", "ASR_XL", 53)
    c.routine("2011-10-06", "2025-10-06")
    c.mri("2012-01-03", "L")
    c.other("2026-09-28", "did_not_attend")
    c.expect(groups=[ASR], flags=["DID_NOT_ATTEND"])

    c = Case("DNA-C", S3, "F", "1945-02-22", "28 mm MoM THR on the 24-month schedule; did not attend 2026-01-05")
    c.op("2004-09-27", "R", "METASUL28", 28)
    c.routine("2010-12-02", "2024-12-02", months=24)
    c.other("2026-01-05", "did_not_attend").raw["event_type"] = "dna"
    c.expect(groups=[SMALL], flags=["DID_NOT_ATTEND"])

    c = Case("DNA-D-CTRL", S1, "M", "1959-11-07", "BHR 46 mm man: did not attend 2025-09-22, seen 2025-11-03: no flag")
    c.op("2006-05-22", "L", "BHR", 46)
    c.routine("2011-07-14", "2024-07-14")
    c.mri("2012-08-21", "L")
    c.other("2025-09-22", "did_not_attend")
    c.review("2025-11-03", "L")
    c.ions("2025-11-03", 1.6, 1.4)
    c.expect(groups=[HIGH], flags=[])

    # ---- orphan events (NHS numbers with no procedure anywhere)
    for site, evs, label in (
            (S1, [("2019-04-01", "review")], "ORPHAN-1"),
            (S3, [("2021-02-03", "blood_metal_ions")], "ORPHAN-2"),
            (S1, [("2022-11-30", "death")], "ORPHAN-3"),
            (S2, [("2020-03-10", "review"), ("2020-03-10", "xray")], "ORPHAN-4-XML")):
        c = Case(label, site, "F", "1950-01-01", "events for an NHS number with no procedure")
        for d, et in evs:
            if et == "blood_metal_ions":
                c.ions(d, 1.2, None)  # cobalt only: one LIMS row, one test
            else:
                c.other(d, et)
        c.expect(status="not_mom", warnings=["ORPHAN_EVENT"])

    # ---- deliberately bad rows (each rejected at ingest, each for a different reason)
    def lone(label, site, date, purpose, fam="EXETER_MOP", **raw):
        c = Case(label, site, "F", "1949-05-05", purpose)
        pr = c.op(date, "L", fam, 32)
        pr.raw.update(raw)
        c.expect(status="rejected")
        return c

    bad = lone("REJECT-NHS", S1, "2014-03-17", "procedure row with an NHS number failing the check digit")
    good = bad.p.nhs
    bad.p.nhs = good[:9] + str((int(good[9]) + 1) % 10)
    assert not nhs_valid(bad.p.nhs)
    lone("REJECT-DATE", S3, "2015-02-27", "Op Date 31/02/2015 (no such day)", procedure_date="31/02/2015")
    lone("REJECT-BEARING", S1, "2012-06-11",
         "bearing 'Metal/Other': a local code the theatre profile does not recode, so not a bearing",
         bearing="Metal/Other")
    lone("REJECT-HEAD", S3, "2016-09-05", "Head Size 95 (outside 20-80)", head_diameter_mm="95")

    c = Case("REJECT-XML-SIDE", S2, "M", "1947-07-07",
             "XML: second procedure with side 'B' (procedures must be L or R)")
    c.op("2011-01-17", "R", "CORAIL_COP", 36)
    pr = c.op("2013-05-20", "L", "CORAIL_COP", 36)
    pr.raw["side"] = "B"
    c.expect(status="not_mom")

    # ==== revision 3: bearings from the implant library, assumed resurfacings
    BFC, BAM = "BEARING_FROM_COMPONENTS", "BEARING_ASSUMED_MOM"

    c = Case("LIB-RECAP", S1, "F", "1961-03-03",
             "Biomet ReCap resurfacing, bearing 'N/K' in the 2003-2015 theatre extract: the library finds ReCap")
    c.op("2008-05-12", "L", "RECAP", 44).shown_bearing = "N/K"
    c.routine("2011-05-10", "2026-05-11")
    c.mri("2011-07-12", "L")
    c.expect(groups=[HIGH], warnings=[BFC])

    c = Case("LIB-MITCH", S3, "M", "1959-09-09",
             "Finsbury MITCH TRH resurfacing 52 mm in a man, bearing blank: the library needs both words MITCH and TRH")
    c.op("2009-02-02", "R", "MITCH", 52).shown_bearing = ""
    c.routine("2010-02-10", "2025-02-10")
    c.expect(groups=[LOW], warnings=[BFC])

    c = Case("LIB-M2A38", S1, "F", "1946-06-06",
             "Biomet M2a-38 total hip, bearing 'N/K': 'M2a-38' holds the words M2a and 38")
    c.op("2006-10-10", "R", "M2A38", 38).shown_bearing = "N/K"
    c.routine("2011-10-03", "2025-10-06")
    c.mri("2012-01-17", "R")
    c.expect(groups=[LARGE], warnings=[BFC])

    c = Case("NOTMOM-M2A-SPLIT", S3, "M", "1950-02-02",
             "metal-on-polyethylene total hip, bearing 'N/K': M2a is in the cup text and 38 in the head text, "
             "and a library entry must match within one component: not MoM")
    pr = c.op("2009-06-15", "L", "EXETER_MOP", 38)
    pr.shown_bearing = "N/K"
    c.texts(pr, "Biomet 38 mm cobalt-chrome head", "Biomet M2a Ringloc shell with ArCom polyethylene liner",
            "Biomet Taperloc stem", "Biomet")
    c.review("2009-07-27", "L")
    c.expect(status="not_mom")

    c = Case("ASSUMED-RS-2016", S1, "M", "1968-04-04",
             "resurfacing 50 mm in a man in 2016 (no bearing column), component texts without a brand: assumed MoM")
    pr = c.op("2016-06-13", "L", "BHR", 50)
    c.texts(pr, "Hip resurfacing head 50mm", "Hip resurfacing cup 56mm", "", "")
    c.routine("2017-06-12", "2026-06-08")
    c.mri("2017-09-18", "L")
    c.expect(groups=[LOW], warnings=[BAM])

    c = Case("ASSUMED-CORMET2000", S3, "M", "1957-01-15",
             "resurfacing 46 mm, bearing blank, texts 'Cormet2000' (one word, so not the library's Cormet): assumed MoM")
    pr = c.op("2005-11-21", "R", "CORMET", 46)
    pr.shown_bearing = ""
    c.texts(pr, "Corin Cormet2000 femoral head", "Corin Cormet2000 cup")
    c.routine("2010-11-22", "2026-03-16")
    c.mri("2011-02-08", "R")
    c.expect(groups=[HIGH], warnings=[BAM])

    c = Case("NONMOM-COM", S1, "F", "1950-08-01",
             "ceramic-on-metal total hip recorded 'Ceramic/Metal' with a Pinnacle Ultamet metal liner: a known bearing is never overridden")
    c.op("2009-04-20", "L", "PINNACLE_COM", 36)
    c.review("2009-06-01", "L")
    c.expect(status="not_mom")

    c = Case("NONMOM-BRAND-REV", S3, "F", "1958-10-10",
             "BHR 2004 revised 2012 to ceramic-on-polyethylene recorded 'Ceramic/Poly', cup text '(BHR cup removed)': revised, the revision is not MoM")
    c.op("2004-04-19", "L", "BHR", 44)
    c.routine("2010-04-12", "2012-04-16")
    c.mri("2012-03-01", "L", "pseudotumour")
    pr = c.op("2012-09-10", "L", "REV_COP", 36)
    pr.acet = "DePuy Pinnacle shell with Marathon liner (BHR cup removed)"
    c.review("2012-10-22", "L")
    c.expect(status="revised")

    c = Case("LIB-BHR-2016", S1, "M", "1966-12-12",
             "BHR 54 mm in a man, 2016 (no bearing column): the library finds BHR; a PAS row with a blank attendance code is rejected")
    c.op("2016-02-15", "R", "BHR", 54)
    c.routine("2017-02-13", "2026-02-09")
    c.review("2026-09-14", "R").raw["event_type"] = ""
    c.expect(groups=[LOW], warnings=[BFC])

    c = Case("REV-LIB-MOMREV", S3, "M", "1951-05-05",
             "BHR 2009 converted 2017 to a BHR modular head on the retained cup (no bearing column): a MoM revision by the library, large head")
    c.op("2009-03-02", "R", "BHR", 50)
    c.routine("2010-03-08", "2016-03-07")
    c.mri("2016-06-13", "R", "fluid_collection")
    c.op("2017-05-08", "R", "REV_BMHR", 50)
    c.routine("2018-05-14", "2026-05-11")
    c.mri("2017-11-20", "R")
    c.expect(groups=[LARGE], warnings=[BFC])

    c = Case("REV-UNK-NOTASSUMED", S1, "F", "1955-02-20",
             "BHR 2006 revised 2019 (no bearing column) with an Exeter stem, a Trident ceramic liner and a Biolox head: a revision is never assumed MoM")
    c.op("2006-07-10", "L", "BHR", 42)
    c.routine("2010-07-12", "2018-07-09")
    c.mri("2011-08-09", "L")
    c.mri("2018-09-03", "L", "muscle_or_bone_damage")
    pr = c.op("2019-01-14", "L", "REV_COP", 36)
    c.texts(pr, "CeramTec Biolox delta head", "Stryker Trident shell with ceramic liner",
            "Stryker Exeter V40 stem", "Stryker")
    c.review("2019-03-04", "L")
    c.expect(status="revised")

    c = Case("LIB-BMHR", S3, "M", "1958-05-05",
             "Birmingham Mid-Head Resection 52 mm, bearing 'N/K', texts name BMHR but not BHR")
    pr = c.op("2009-09-07", "L", "BHR", 52)
    pr.shown_bearing = "N/K"
    c.texts(pr, "Smith & Nephew BMHR femoral component", "Smith & Nephew Birmingham acetabular cup")
    c.routine("2010-09-13", "2025-09-08")
    c.expect(groups=[LOW], warnings=[BFC])

    c = Case("XML-LIB-ADEPT", S2, "M", "1960-10-10",
             "XML: ADEPT resurfacing 52 mm with no bearing attribute: the library reads the <component> texts")
    c.op("2008-01-14", "L", "ADEPT", 52).shown_bearing = ""
    c.routine("2010-01-18", "2025-01-20")
    c.expect(groups=[LOW], warnings=[BFC])

    c = Case("LIB-CONSERVE", S1, "F", "1964-02-14",
             "Wright Conserve Plus resurfacing, bearing 'N/K': the entry needs both words Conserve and Plus")
    c.op("2007-07-16", "R", "CONSERVE", 42).shown_bearing = "N/K"
    c.routine("2011-07-11", "2026-07-13")
    c.us("2011-10-04", "R")
    c.expect(groups=[HIGH], warnings=[BFC])

    c = Case("LIB-METASUL", S3, "M", "1940-03-30",
             "Zimmer Metasul 28 mm total hip, bearing blank: the library finds Metasul; small head")
    c.op("2005-03-07", "L", "METASUL28", 28).shown_bearing = ""
    c.routine("2010-03-15", "2012-03-12")
    c.routine("2014-03-10", "2026-03-09", months=24)
    c.expect(groups=[SMALL], warnings=[BFC])

    # ==== revision 3: censored values and results assembled into tests (LIMS)
    CRU = "CENSORED_RESULT_UNCERTAIN"
    c = Case("CENS-LT10", S1, "M", "1950-11-30",
             "large-head THR: latest cobalt '<10' ug/L (diluted sample): may or may not be above 7, counts as not raised")
    c.op("2007-01-15", "L", "BMHR", 52)
    c.routine("2011-07-04", "2025-07-07")
    c.review("2026-07-06", "L")
    c.ions("2026-07-06", 10.0, 1.1, raw_co="<10")
    c.mri("2012-02-14", "L")
    c.mri("2025-08-18", "L")
    c.expect(groups=[LARGE], warnings=[CRU])

    c = Case("CENS-GE7", S3, "F", "1962-07-07",
             "BHR woman: latest cobalt '>=7' ug/L: not above 7 for certain, counts as not raised")
    c.op("2008-03-10", "R", "BHR", 44)
    c.routine("2011-06-06", "2025-06-02")
    c.review("2026-06-01", "R")
    c.ions("2026-06-01", 7.0, 2.2, raw_co=">=7")
    c.mri("2012-04-17", "R")
    c.mri("2025-07-14", "R")
    c.expect(groups=[HIGH], warnings=[CRU])

    c = Case("CENS-RISING-GT", S1, "F", "1955-04-04",
             "ASR resurfacing: cobalt 9.0 then '>20' ug/L (2026-03-02): raised and higher than 9, no imaging since 2024")
    c.op("2006-05-22", "L", "ASR_RS", 43)
    c.routine("2011-05-09", "2024-08-05")
    c.review("2025-08-04", "L")
    c.ions("2025-08-04", 9.0, 2.1)
    c.review("2026-03-02", "L")
    c.ions("2026-03-02", 20.0, 2.4, raw_co=">20")
    c.mri("2011-07-19", "L")
    c.mri("2024-01-15", "L")
    c.expect(groups=[ASR], findings=["ION_REPEAT_OVERDUE", "IMAGING_RISING_IONS_OVERDUE"],
             flags=["RISING_IONS"])

    c = Case("CENS-NOTHIGHER", S3, "M", "1948-08-08",
             "M2a-Magnum: cobalt '>8' then 9.2 ug/L (2026-04-01): raised, but 9.2 is not higher than every value '>8' allows: repeat overdue, not rising")
    c.op("2006-09-18", "L", "M2A", 50)
    c.routine("2011-09-05", "2024-09-02")
    c.review("2025-09-01", "L")
    c.ions("2025-09-01", 8.0, 1.0, raw_co=">8")
    c.mri("2012-03-13", "L")
    c.mri("2025-10-06", "L")
    c.review("2026-04-01", "L")
    c.ions("2026-04-01", 9.2, 1.1)
    c.expect(groups=[LARGE], findings=["ION_REPEAT_OVERDUE"])

    c = Case("DATES-DIFFER", S1, "F", "1960-01-20",
             "BHR woman: last sample's cobalt collected 29/09/2025, its chromium recorded 30/09/2025: one test dated 29 September, ions due 2026-09-29, overdue by 1 day")
    c.op("2007-09-03", "R", "BHR", 44)
    c.routine("2011-09-30", "2024-09-30")
    e = c.ions("2025-09-29", 1.8, 1.2)
    e.cr_date = D("2025-09-30")
    c.review("2026-03-16", "R")
    c.mri("2012-05-22", "R")
    c.expect(groups=[HIGH], findings=["IONS_OVERDUE"], warnings=["SAMPLE_DATES_DIFFER"])

    c = Case("EQUAL-DUP", S3, "M", "1955-12-01",
             "BHR 52 mm man: the LIMS sends the last sample's cobalt row twice, identical: loaded once")
    c.op("2006-12-04", "R", "BHR", 52)
    c.routine("2011-12-05", "2025-12-01")
    c.ion_events(2025)[-1].lims_dupes = [("COB", {})]
    c.expect(groups=[LOW])

    c = Case("NMOL-CENS-NOBAND", S3, "F", "1963-11-11",
             "BHR woman, nmol/L laboratory: latest cobalt '<120' nmol/L (up to 7.07 ug/L): uncertain; a censored value is never in the rounding band")
    c.op("2008-06-16", "L", "BHR", 42)
    c.routine("2011-06-13", "2025-06-09", unit="nmol/L")
    c.review("2026-06-08", "L")
    c.ions("2026-06-08", 120.0, 40.0, unit="nmol/L", raw_co="<120")
    c.mri("2012-08-07", "L")
    c.expect(groups=[HIGH], warnings=[CRU])

    c = Case("LIMS-REJECTS", S1, "M", "1956-06-06",
             "BHR 54 mm man, compliant; older LIMS rows rejected: a time 25:10 (2019), chromium '<0' (2020), a sample with no accession number (2021)")
    c.op("2007-04-23", "L", "BHR", 54)
    c.routine("2011-04-18", "2025-04-14")
    c.ion_events(2019)[0].lims = {"COB": {"time": "25:10"}}
    c.ion_events(2020)[0].lims = {"CHR": {"Result": "<0"}}
    c.ion_events(2021)[0].lims = {"COB": {"Accession No": ""}, "CHR": {"Accession No": ""}}
    c.expect(groups=[LOW])

    c = Case("XML-CENS", S2, "F", "1959-03-03",
             "XML: BHR woman, latest cobalt '<10' (cobalt=\"&lt;10\"), eventDate with a time of day")
    c.op("2007-02-05", "R", "BHR", 42)
    c.routine("2011-02-07", "2025-02-03")
    c.review("2026-02-02", "R")
    c.ions("2026-02-02", 10.0, 1.3, raw_co="<10").raw["event_date"] = "2026-02-02T10:42:00Z"
    c.mri("2012-03-20", "R")
    c.expect(groups=[HIGH], warnings=[CRU])


# --------------------------------------------------------------------------
# rendering

def f_date(d, xml=False):
    x = R_FMT.random()
    if xml:
        if x < 0.9:
            return d.isoformat()
        if x < 0.95:
            return "%02d/%02d/%04d" % (d.day, d.month, d.year)
        return "%04d%02d%02d" % (d.year, d.month, d.day)
    if x < 0.80:
        return d.isoformat()
    if x < 0.88:
        return "%02d/%02d/%04d" % (d.day, d.month, d.year)
    if x < 0.92:
        return "%d/%d/%04d" % (d.day, d.month, d.year)
    return "%04d%02d%02d" % (d.year, d.month, d.day)


def f_nhs(n):
    x = R_FMT.random()
    if x < 0.85:
        return n
    if x < 0.97:
        return "%s %s %s" % (n[:3], n[3:6], n[6:])
    return "%s-%s-%s" % (n[:3], n[3:6], n[6:])


def f_sex(s, xml=False):
    x = R_FMT.random()
    if s == "M":
        return "1" if xml or x < 0.4 else ("M" if x < 0.8 else ("male" if x < 0.95 else "Male"))
    if s == "F":
        return "2" if xml or x < 0.4 else ("F" if x < 0.8 else ("female" if x < 0.95 else "Female"))
    return "" if x < 0.5 else "9"


def f_side(s, proc=False):
    if s is None:
        return ""
    x = R_FMT.random()
    if s == "B":
        return "B" if x < 0.7 else "both"
    if x < 0.9:
        return s
    if x < 0.97:
        return {"L": "left", "R": "right"}[s]
    return {"L": "Left", "R": "RIGHT"}[s]


def f_ptype(t):
    x = R_FMT.random()
    if t == "total_hip":
        return "total_hip" if x < 0.75 else ("THR" if x < 0.92 else "primary_thr")
    if t == "resurfacing":
        return "resurfacing" if x < 0.75 else ("HR" if x < 0.92 else "hip_resurfacing")
    return "revision" if x < 0.8 else ("rev" if x < 0.95 else "Revision")


def f_bearing(b):
    x = R_FMT.random()
    if b == "MoM":
        return ("MoM" if x < 0.7 else "metal-on-metal" if x < 0.8 else "metal on metal" if x < 0.87
                else "M-o-M" if x < 0.93 else "MOM")
    if b == "unknown":
        return "unknown"
    return b if x < 0.95 else b.upper()


def f_num(v):
    if v is None:
        return ""
    if v == int(v) and abs(v) < 1000:
        if R_FMT.random() < 0.9:
            return str(int(v))
        return "%.1f" % v
    s = ("%.3f" % v).rstrip("0")
    return s


def f_head(h):
    return f_num(h)


def f_opcs(o):
    return o if R_FMT.random() < 0.7 else o.replace(".", "")


def f_etype(t):
    x = R_FMT.random()
    syn = {
        "review": [("review", 0.55), ("clinic", 0.7), ("follow_up", 0.8), ("Review", 0.85),
                   ("telephone_review", 0.93), ("virtual_review", 1.0)],
        "telephone_review": [("telephone_review", 1.0)],
        "virtual_review": [("virtual_review", 1.0)],
        "blood_metal_ions": [("blood_metal_ions", 0.7), ("ions", 0.82), ("metal_ions", 0.92),
                             ("blood_test", 1.0)],
        "mars_mri": [("mars_mri", 0.7), ("mri", 0.9), ("MRI", 1.0)],
        "ultrasound": [("ultrasound", 0.7), ("us", 0.9), ("US", 1.0)],
        "xray": [("xray", 0.8), ("radiograph", 1.0)],
        "did_not_attend": [("did_not_attend", 0.6), ("dna", 0.85), ("DNA", 1.0)],
        "declined_follow_up": [("declined_follow_up", 0.8), ("declined", 1.0)],
        "transferred_out": [("transferred_out", 0.8), ("transfer", 1.0)],
        "death": [("death", 0.75), ("deceased", 1.0)],
    }[t]
    for name, cut in syn:
        if x < cut:
            return name
    return t


def f_bool(b):
    if b is None:
        return ""
    x = R_FMT.random()
    if b:
        return "Y" if x < 0.6 else ("yes" if x < 0.75 else ("true" if x < 0.85 else ("1" if x < 0.95 else "Yes")))
    return "N" if x < 0.6 else ("no" if x < 0.75 else ("false" if x < 0.85 else ("0" if x < 0.95 else "No")))


def f_ohs(v):
    if v is None:
        return ""
    x = R_FMT.random()
    if x < 0.96:
        return str(v)
    if x < 0.985:
        return "%d.0" % v
    return "+%d" % v


def f_unit(u):
    x = R_FMT.random()
    if u == "nmol/L":
        return "nmol/L" if x < 0.9 else "NMOL/L"
    if u == "ppb":
        return "ppb"
    return ("ug/L" if x < 0.6 else "\u00b5g/L" if x < 0.75 else "\u03bcg/L" if x < 0.8
            else "ppb" if x < 0.9 else "UG/L")


def f_sample(s):
    x = R_FMT.random()
    if s is None:
        return "" if x < 0.6 else "whole_blood"
    return s if x < 0.8 else s.capitalize()


def f_finding(f):
    if f is None:
        return ""
    return f if R_FMT.random() < 0.93 else f.capitalize()


def proc_fields(p, pr):
    sex = pr.row_sex or p.sex
    fem, acet = pr.fem, pr.acet
    if pr.family in ("ASR_RS", "ASR_XL") and R_FMT.random() < 0.25:
        fem = R_FMT.choice(ASR_TEXT_VARIANTS[pr.family][0])
        acet = R_FMT.choice(ASR_TEXT_VARIANTS[pr.family][1])
    f = {
        "procedure_id": pr.id,
        "nhs_number": f_nhs(p.nhs),
        "local_patient_id": p.lpid,
        "sex": f_sex(sex),
        "date_of_birth": f_date(p.dob) if p.dob and R_FMT.random() < 0.97 else "",
        "procedure_date": f_date(pr.date),
        "side": f_side(pr.side, proc=True),
        "procedure_type": f_ptype(pr.ptype),
        "bearing": f_bearing(pr.bearing),
        "head_diameter_mm": f_head(pr.head),
        "femoral_component": fem,
        "acetabular_component": acet,
        "stem_component": pr.stem,
        "manufacturer": pr.manuf,
        "opcs_code": f_opcs(pr.opcs),
        "trust_code": TRUST,
        "site_code": p.site,
        "consultant_code": pr.consultant,
    }
    if R_FMT.random() < 0.01:
        f["bearing"] = " " + f["bearing"] + " "  # stray spaces, trimmed on ingest
    f.update(pr.raw)
    return f


def event_fields(p, e):
    is_ion = e.etype == "blood_metal_ions"
    is_review = e.etype in ("review", "telephone_review", "virtual_review")
    f = {
        "event_id": e.id,
        "nhs_number": f_nhs(p.nhs),
        "event_date": f_date(e.date),
        "event_type": f_etype(e.etype),
        "side": f_side(e.side),
        "symptomatic": f_bool(e.sym) if is_review else "",
        "oxford_hip_score": f_ohs(e.ohs) if is_review else "",
        "cobalt": f_num(e.co) if is_ion else "",
        "chromium": f_num(e.cr) if is_ion else "",
        "ion_unit": f_unit(e.unit) if is_ion else "",
        "sample_type": f_sample(e.sample) if is_ion else "",
        "imaging_finding": f_finding(e.finding) if e.etype in ("mars_mri", "ultrasound") else "",
        "note": e.note or "",
    }
    f.update(e.raw)
    return f


def xml_attr(v):
    return (str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
            .replace("\t", "&#9;"))


def xml_text(v):
    return str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def camel(name):
    parts = name.split("_")
    return parts[0] + "".join(w.capitalize() for w in parts[1:])


def lab_text(v, unit):
    """A laboratory value as the laboratory reports it: below the limit of
    quantification it is censored (<0.5 ug/L, <5 nmol/L)."""
    if v is None:
        return ""
    if unit == "nmol/L":
        return "<5" if v < 5 else f_num(v)
    return "<0.5" if v < 0.5 else f_num(v)


def write_xml(path, patients):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<registryExport xmlns="urn:momaudit:registry-export:1" exportDate="%s" source="NJR">'
           % EXPORT_DATE.isoformat()]
    for p in patients:
        attrs = [("nhsNumber", f_nhs(p.nhs))]
        sex = f_sex(p.sex, xml=True)
        if sex:
            attrs.append(("sex", sex))
        if p.dob:
            attrs.append(("dateOfBirth", f_date(p.dob, xml=True)))
        attrs.append(("localPatientId", p.lpid))
        out.append("  <patient %s>" % " ".join('%s="%s"' % (k, xml_attr(v)) for k, v in attrs))
        for pr in sorted(p.procs, key=lambda x: x.id):
            f = proc_fields(p, pr)
            f["procedure_date"] = f_date(pr.date, xml=True) if "procedure_date" not in pr.raw else f["procedure_date"]
            if pr.shown_bearing is not None:
                f["bearing"] = pr.shown_bearing
            elif pr.mom and p.label is None and R_EXP.random() < 0.1:
                f["bearing"] = ""  # the site's system did not record it: the library decides
            keys = ["procedure_id", "procedure_date", "side", "procedure_type", "bearing",
                    "head_diameter_mm", "manufacturer", "opcs_code", "trust_code", "site_code",
                    "consultant_code"]
            a = " ".join('%s="%s"' % (camel(k), xml_attr(f[k])) for k in keys if f[k] != "")
            comps = [("femoral", f["femoral_component"]), ("acetabular", f["acetabular_component"]),
                     ("stem", f["stem_component"])]
            comps = [(role, t) for role, t in comps if t]
            if comps:
                out.append("    <procedure %s>" % a)
                for role, t in comps:
                    out.append('      <component role="%s">%s</component>' % (role, xml_text(t)))
                out.append("    </procedure>")
            else:
                out.append("    <procedure %s/>" % a)
        for e in sorted(p.events, key=lambda x: x.id):
            f = event_fields(p, e)
            if e.etype == "blood_metal_ions":
                for k, v in (("cobalt", e.co), ("chromium", e.cr)):
                    if k not in e.raw and v is not None:
                        f[k] = lab_text(v, e.unit)
            if "event_date" in e.raw:
                f["event_date"] = e.raw["event_date"]
            else:
                f["event_date"] = f_date(e.date, xml=True)
                x = R_EXP.random()
                if x < 0.04 and f["event_date"][4] == "-":
                    f["event_date"] += "T%02d:%02d:00" % (R_EXP.randint(8, 17), R_EXP.randint(0, 59))
                elif x < 0.05 and f["event_date"][4] == "-":
                    f["event_date"] += "T%02d:%02d:00Z" % (R_EXP.randint(8, 17), R_EXP.randint(0, 59))
            keys = ["event_id", "event_date", "event_type", "side", "symptomatic",
                    "oxford_hip_score", "cobalt", "chromium", "ion_unit", "sample_type",
                    "imaging_finding", "note"]
            a = " ".join('%s="%s"' % (camel(k), xml_attr(f[k])) for k in keys if f[k] != "")
            out.append("    <event %s/>" % a)
        out.append("  </patient>")
    out.append("</registryExport>")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(out) + "\n")


def write_delimited(path, header, rows, delim=",", encoding="utf-8", line_end="\n"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delim, lineterminator=line_end)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])


# --------------------------------------------------------------------------
# the trust's systems, each in its own shape

MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTH_FULL = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]


def dmy(d):
    return "%02d/%02d/%04d" % (d.day, d.month, d.year)


def clock(r, lo=8, hi=17):
    return "%02d:%02d" % (r.randint(lo, hi), r.randint(0, 59))


def nhs_spaced(n, r, p_spaced):
    return "%s %s %s" % (n[:3], n[3:6], n[6:]) if r.random() < p_spaced else n


# ---- theatre / NJR extract

LOCAL_BEARING = {"MoM": "Metal/Metal", "MoP": "Metal/Poly", "CoC": "Ceramic/Ceramic",
                 "CoP": "Ceramic/Poly", "CoM": "Ceramic/Metal", "MoC": "Metal/Ceramic",
                 "unknown": "N/K"}
LOCAL_PTYPE = {"total_hip": "Primary Total Hip", "resurfacing": "Hip Resurfacing",
               "revision": "Revision Hip"}
LOCAL_SEX = {"M": "Male", "F": "Female", "U": "Not Known"}
THEATRE_SPLIT = dt.date(2016, 1, 1)  # the theatre system was replaced on 1 January 2016
THEATRE_COLUMNS = [("Procedure Ref", "procedure_id"), ("NHS No", "nhs_number"),
                   ("Hosp No", "local_patient_id"), ("Sex", "sex"), ("DOB", "date_of_birth"),
                   ("Op Date", "procedure_date"), ("Side", "side"), ("Op Type", "procedure_type"),
                   ("Bearing Surface", "bearing"), ("Head Size", "head_diameter_mm"),
                   ("Femoral Component", "femoral_component"),
                   ("Acetabular Component", "acetabular_component"), ("Stem", "stem_component"),
                   ("Manufacturer", "manufacturer"), ("OPCS", "opcs_code"), ("Site", "site_code"),
                   ("Consultant", "consultant_code")]
KNEE_TYPES = [("Primary Total Knee", "Stryker Triathlon CR femoral component",
               "Stryker Triathlon tibial baseplate", "W40.1"),
              ("Unicompartmental Knee", "Zimmer Oxford partial knee femoral component",
               "Zimmer Oxford tibial tray", "W58.2"),
              ("Revision Knee", "DePuy Sigma TC3 femoral component", "DePuy Sigma MBT tray", "W40.3"),
              ("Hip Hemiarthroplasty", "Stryker Exeter unipolar head", "", "W46.1")]


NK_SEEN = set()


def theatre_row(p, pr):
    r = R_EXP
    sex = pr.row_sex or p.sex
    f = proc_fields(p, pr)  # the canonical values (and the ASR spellings), then the local shape
    row = {
        "Procedure Ref": pr.id,
        "NHS No": nhs_spaced(p.nhs, r, 0.7),
        "Hosp No": p.lpid,
        "Sex": {"X": "Not Specified", "0": "Not Known"}.get(pr.raw.get("sex"), LOCAL_SEX[sex]),
        "DOB": dmy(p.dob) if r.random() < 0.97 else "",
        "Op Date": pr.raw.get("procedure_date", dmy(pr.date) + " " + clock(r)),
        "Side": {"L": "Left", "R": "Right"}[pr.side],
        "Op Type": LOCAL_PTYPE[pr.ptype],
        "Head Size": pr.raw.get("head_diameter_mm", f_head(pr.head) if pr.head is not None else
                                ("N/K" if r.random() < 0.7 else "")),
        "Femoral Component": f["femoral_component"],
        "Acetabular Component": f["acetabular_component"],
        "Stem": f["stem_component"],
        "Manufacturer": pr.manuf,
        "OPCS": f["opcs_code"],
        "Site": p.site,
        "Consultant": pr.consultant,
    }
    if pr.date < THEATRE_SPLIT:
        if "bearing" in pr.raw:
            b = pr.raw["bearing"]
        elif pr.shown_bearing is not None:
            b = pr.shown_bearing
        elif p.label is None and pr.family != "PINNACLE_COM" and (
                r.random() < 0.12 or (pr.mom and pr.family not in NK_SEEN)):
            # not recorded (at least once for each MoM family): the library decides
            NK_SEEN.add(pr.family)
            b = "N/K" if r.random() < 0.6 else ""
        else:
            b = LOCAL_BEARING[pr.bearing]
        row["Bearing Surface"] = b
    if pr.family == "CPT_MOP" and r.random() < 0.3:
        row["Acetabular Component"] = "Zimmer Trilogy cup with polyethylene liner \u2013 10\u00b0 elevated rim"
    return row


def theatre_extra_rows(csv_patients):
    """Other operations in the same extract (knees, hemiarthroplasties): the
    profile's keep rule skips them."""
    r = R_EXP
    rows = []
    bulk = [p for p in csv_patients if p.label is None and p.procs]
    for k in range(420):
        p = r.choice(bulk)
        d = rand_date(r, dt.date(2003, 1, 1), EXPORT_DATE)
        typ, fem, tib, opcs = r.choice(KNEE_TYPES)
        rows.append((d, {
            "Procedure Ref": "TH-%07d" % (k + 1),
            "NHS No": nhs_spaced(p.nhs, r, 0.7), "Hosp No": p.lpid,
            "Sex": LOCAL_SEX[p.sex], "DOB": dmy(p.dob), "Op Date": dmy(d) + " " + clock(r),
            "Side": r.choice(["Left", "Right"]), "Op Type": typ, "Head Size": "",
            "Bearing Surface": "Metal/Poly" if typ != "Hip Hemiarthroplasty" else "N/K",
            "Femoral Component": fem, "Acetabular Component": "", "Stem": tib,
            "Manufacturer": fem.split()[0], "OPCS": opcs, "Site": p.site,
            "Consultant": p.consultant}))
    # one row whose operation type was never entered: blank fails the keep list
    p = bulk[0]
    rows.append((dt.date(2012, 3, 5), {
        "Procedure Ref": "TH-%07d" % 421, "NHS No": p.nhs, "Hosp No": p.lpid,
        "Sex": LOCAL_SEX[p.sex], "DOB": dmy(p.dob), "Op Date": "05/03/2012 14:20",
        "Side": "Left", "Op Type": "", "Head Size": "", "Bearing Surface": "",
        "Femoral Component": "", "Acetabular Component": "", "Stem": "", "Manufacturer": "",
        "OPCS": "", "Site": p.site, "Consultant": p.consultant}))
    return rows


# ---- pathology LIMS: one analyte per row

LIMS_HEADER = ["Accession No", "NHS Number", "Collected", "Test", "Result", "Units", "Specimen"]


def lims_specimen(sample, r):
    if sample == "serum":
        return "Serum"
    if sample == "plasma":
        return "Plasma"
    x = r.random()
    return ("EDTA blood" if x < 0.75 else "Whole blood EDTA" if x < 0.85 else
            "Trace element tube" if x < 0.95 else "")


def lims_unit(unit, r):
    if unit == "nmol/L":
        return "nmol/L"
    if unit == "ppb":
        return "ppb"
    x = r.random()
    return "ug/L" if x < 0.85 else ("\u00b5g/L" if x < 0.95 else "ug/l")


def lims_samples(p, e):
    """The rows of one ion event: (sort date, [row, ...]) with accession
    number to be filled in."""
    r = R_EXP
    t = clock(r, 8, 16)
    spec = lims_specimen(e.sample, r)
    nhs = nhs_spaced(p.nhs, r, 0.8)
    rows = []
    for code_, metal, v in (("COB", "cobalt", e.co), ("CHR", "chromium", e.cr)):
        d = e.cr_date if (code_ == "CHR" and e.cr_date) else e.date
        row = {"NHS Number": nhs, "Test": code_, "Units": lims_unit(e.unit, r), "Specimen": spec}
        when = t if d == e.date else clock(r, 8, 10)
        if metal in e.raw:
            row["Result"] = e.raw[metal]
        elif v is None:
            if r.random() < 0.6:
                row["Result"] = "INSUFFICIENT"  # the laboratory could not report it: skipped
            else:
                continue
        else:
            row["Result"] = lab_text(v, e.unit)
        over = e.lims.get(code_, {})
        when = over.get("time", when)
        row["Collected"] = dmy(d) + " " + when
        row.update({k: v2 for k, v2 in over.items() if k != "time"})
        rows.append(row)
    for code_, over in e.lims_dupes:
        for row in rows:
            if row["Test"] == code_:
                d2 = dict(row)
                d2.update(over)
                rows.append(d2)
                break
    # other tests requested on the same sample: skipped by the keep rule
    for code_, unit, lo, hi, prob in (("HB", "g/L", 105, 165, 0.25), ("CRP", "mg/L", 1, 40, 0.15),
                                      ("CREA", "umol/L", 55, 140, 0.10)):
        if r.random() < prob:
            rows.append({"NHS Number": nhs, "Collected": dmy(e.date) + " " + t, "Test": code_,
                         "Result": str(r.randint(lo, hi)), "Units": unit, "Specimen":
                         "Serum" if code_ != "HB" else "EDTA blood"})
    return rows


def lims_other_samples(csv_patients, n):
    """Samples with no metal-ion test at all (full blood counts, CRP)."""
    r = R_EXP
    out = []
    pool = [p for p in csv_patients if p.label is None and p.procs]
    for _ in range(n):
        p = r.choice(pool)
        d = rand_date(r, p.procs[0].date, EXPORT_DATE)
        nhs = nhs_spaced(p.nhs, r, 0.8)
        t = clock(r)
        rows = [{"NHS Number": nhs, "Collected": dmy(d) + " " + t, "Test": "HB",
                 "Result": str(r.randint(95, 170)), "Units": "g/L", "Specimen": "EDTA blood"}]
        if r.random() < 0.6:
            rows.append({"NHS Number": nhs, "Collected": dmy(d) + " " + t, "Test": "CRP",
                         "Result": "<5" if r.random() < 0.5 else str(r.randint(5, 90)),
                         "Units": "mg/L", "Specimen": "Serum"})
        out.append((d, p.nhs, rows))
    return out


# ---- referral laboratory: trace elements sent out, one result per row, each numbered

REFERRAL_HEADER = ["Result No", "Lab No", "NHS No", "Date Sampled", "Analyte", "Result", "Units",
                   "Sample Type", "Requesting Site", "Comment"]
REFERRAL_SPECIMEN = "Whole blood (trace element tube)"
REFERRAL_FROM = dt.date(2026, 3, 1)  # the latest-sample case is dated in this window:
REFERRAL_TO = dt.date(2026, 6, 15)   # ions then due in 2027, whatever the schedule


def referral_patients(patients, store, A0):
    """The bulk patients of sites RXH01/RXH03 in surveillance, as the reading
    below sees them without the referral file: {nhs: (patient, procedures <= as-of,
    whole-blood tests in date order, every record date)}."""
    bulk = {p.nhs: p for p in patients if p.label is None and p.site != XML_SITE}
    procs, wb, dates = {}, {}, {}
    for pr in store["procedures"]:
        if pr["date"] <= AS_OF:
            procs.setdefault(pr["nhs"], []).append(pr)
            dates.setdefault(pr["nhs"], set()).add(pr["date"])
    for e in store["events"]:
        dates.setdefault(e["nhs"], set()).add(e["date"])
    for t in sorted(assemble_tests(store["results"], AS_OF), key=key_of):
        dates.setdefault(t["nhs"], set()).add(t["date"])
        if t["sample"] == "whole_blood" and (t["co"] or t["cr"]):
            wb.setdefault(t["nhs"], []).append(t)
    out = {}
    for nhs in sorted(bulk):
        got = A0.patients.get(nhs)
        if got and got["status"] == "in_surveillance" and not got["warnings"]:
            out[nhs] = (bulk[nhs], procs.get(nhs, []), wb.get(nhs, []), dates.get(nhs, set()))
    return out


def referral_date(r, lo, hi, taken):
    """A date in [lo, hi] on which the patient has no other record."""
    while True:
        d = rand_date(r, lo, hi)
        if d not in taken:
            return d


def write_referral(patients, store, A0):
    """The referral laboratory's export: a handful of whole-blood samples of
    bulk MoM patients (chosen from the audit without this file, so that each
    does what it is meant to). Returns (row count, [(kind, nhs, lab no), ...])."""
    r = R_REF
    cands = referral_patients(patients, store, A0)
    # the conflict that decides: a lapsed patient (ions and review overdue, nothing
    # else) whose latest test is this one; its cobalt results disagree, so only the
    # chromium counts: ions done, no raised result
    lapsed = [nhs for nhs, (p, pp, wb, _) in cands.items()
              if A0.patients[nhs]["findings"] == {"IONS_OVERDUE", "REVIEW_OVERDUE"}
              and not A0.patients[nhs]["flags"] and len(pp) == 1 and wb]
    # older samples: between the third-latest and the second-latest whole-blood
    # test, at least 60 days from each, so that the latest two tests stay the latest
    older = [nhs for nhs, (p, pp, wb, _) in cands.items()
             if len(wb) >= 3 and (wb[-2]["date"] - wb[-3]["date"]).days > 150]
    p1 = r.choice(lapsed)
    p_others = r.sample([n for n in older if n != p1], 4)
    samples = []  # (kind, nhs, date, [(analyte, result, unit, comment)])
    p, _, _, taken = cands[p1]
    samples.append(("CONFLICT-LATEST", p1, referral_date(r, REFERRAL_FROM, REFERRAL_TO, taken),
                    [("Cobalt", "9.4", "ug/L", ""),
                     ("Cobalt", "2.1", "ug/L", "Repeat analysis on the same sample: contamination suspected"),
                     ("Chromium", "1.1", "ug/L", ""), ("Titanium", "1.8", "ug/L", "")]))
    for kind, nhs in zip(("CONFLICT-OLDER", "EQUAL", "PLAIN", "PLAIN"), p_others):
        p, _, wb, taken = cands[nhs]
        d = referral_date(r, add_days(wb[-3]["date"], 60), add_days(wb[-2]["date"], -60), taken)
        co = "%.1f" % r.uniform(0.6, 3.5)
        cr = "%.1f" % r.uniform(0.4, 2.5)
        if kind == "CONFLICT-OLDER":
            rows = [("Cobalt", co, "ug/L", ""), ("Chromium", "1.6", "\u00b5g/L", ""),
                    ("Chromium", "3.2", "\u00b5g/L", "Re-run at the request of the referring trust")]
        elif kind == "EQUAL":
            rows = [("Cobalt", "9", "ug/L", ""), ("Cobalt", "9", "ppb", "Confirmed on re-analysis"),
                    ("Chromium", cr, "ug/L", ""), ("Titanium", "2.4", "ug/L", "")]
        else:
            rows = [("Cobalt", co, "ug/L", ""), ("Chromium", cr, "ug/L", "")]
            if r.random() < 0.5:
                rows.append(("Titanium", "%.1f" % r.uniform(0.5, 3.0), "ug/L", ""))
        samples.append((kind, nhs, d, rows))
    samples.sort(key=lambda x: (x[2], x[1]))
    out, placed = [], []
    for kind, nhs, d, rows in samples:
        p = cands[nhs][0]
        lab = "RL%02d-%04d" % (d.year % 100, r.randint(1000, 9999))
        assert lab not in {x[2] for x in placed}
        when = "%s %s" % (d.isoformat(), clock(r, 8, 12))
        shown = nhs_spaced(nhs, r, 0.5)
        for analyte, value, unit, comment in rows:
            out.append({"Result No": "RN%06d" % (104210 + len(out) * 3), "Lab No": lab, "NHS No": shown,
                        "Date Sampled": when, "Analyte": analyte, "Result": value, "Units": unit,
                        "Sample Type": REFERRAL_SPECIMEN, "Requesting Site": p.site, "Comment": comment})
        placed.append((kind, nhs, lab))
    write_delimited(os.path.join(HERE, "exports", "referral-lab-results.csv"), REFERRAL_HEADER, out)
    return len(out), placed


# ---- the MoM clinic's exceptions register

EXCEPTION_COLUMNS = [("Exception Ref", "exception_id"), ("NHS Number", "nhs_number"),
                     ("Requirement", "finding"), ("Implant Ref", "procedure_id"), ("Hip", None),
                     ("Reason", "reason"), ("Recorded By", "recorded_by"),
                     ("Date Recorded", "recorded_on"), ("Review Date", "review_by"),
                     ("Comments", "note")]
EXCEPTION_NURSE = "N4471203"  # the clinic's specialist nurse records some decisions

# The clinic's exceptions: each row is aimed at a planted case whose findings the
# reading below computes (verify_cases checks them), and designed to do one thing.
# (key, case, requirement, hip or None (the row then names no implant), reason,
#  recorded_on, review_by, recorded by the nurse?, comment,
#  design: state on the as-of date, the codes of the case's findings this row is the
#  exception applied to, the codes whose detail names it as expired, due for review?)
EXCEPTION_PLAN = [
    ("EXPIRED-OLD", "DNA-A", "REVIEW_OVERDUE", None, "individual_plan", "2024-02-26", "2025-02-26", False,
     "Telephone review only while caring for her husband",
     ("expired", [], [], False)),
    ("EXPIRED-ALL", "DNA-A", "ALL", None, "individual_plan", "2025-03-03", "2026-03-03", False,
     "Working abroad for a year; follow-up resumes on her return (March 2026)",
     ("expired", [], ["IONS_OVERDUE", "REVIEW_OVERDUE"], False)),
    ("RENEWED-OLD", "REVIEW-A", "REVIEW_OVERDUE", None, "individual_plan", "2025-05-19", "2026-05-19", True,
     "Reviews with her GP practice nurse, results copied to the clinic",
     ("expired", [], [], False)),
    ("RENEWED", "REVIEW-A", "REVIEW_OVERDUE", None, "individual_plan", "2026-05-18", "2026-10-16", False,
     "Plan continued; to be seen at the October clinic",
     ("in_force", ["REVIEW_OVERDUE"], [], True)),
    ("ONE-HIP", "SYMPT-B-BILAT", "IMAGING_SYMPTOMS_OVERDUE", "L", "clinically_unsuitable", "2026-05-12",
     "2027-05-11", False,
     "MRI contraindicated (cochlear implant); left hip ultrasound unsuitable after flap surgery \u2013 right "
     "hip ultrasound to be booked",
     ("in_force", ["IMAGING_SYMPTOMS_OVERDUE"], [], False)),
    ("EXACT-12M", "BASE-A", "IMAGING_BASELINE_MISSING", "L", "clinically_unsuitable", "2026-02-02", "2027-02-02",
     False, "Pacemaker, not MRI conditional; \"ultrasound not tolerated\" (2026)",
     ("in_force", ["IMAGING_BASELINE_MISSING"], [], False)),
    ("DISSENT", "REPEAT-A", "ION_REPEAT_OVERDUE", "L", "informed_dissent", "2026-07-14", "2027-01-14", True,
     "Declines a repeat blood test after discussion of the risks; leaflet given",
     ("in_force", ["ION_REPEAT_OVERDUE"], [], False)),
    ("ALL", "DEAD-D-AFTER", "ALL", None, "individual_plan", "2026-08-20", "2027-02-19", False,
     "Palliative care: routine hip surveillance suspended",
     ("in_force", ["IONS_OVERDUE", "REVIEW_OVERDUE"], [], False)),
    ("ALL-BESIDE", "RISING-A", "ALL", None, "individual_plan", "2026-08-03", "2027-02-03", False,
     "Under the revision surgeon's joint clinic: bloods and imaging there",
     ("in_force", ["ION_REPEAT_OVERDUE"], [], False)),
    ("LATER-REVIEW", "RISING-A", "IMAGING_RISING_IONS_OVERDUE", None, "clinically_unsuitable", "2026-08-10",
     "2027-08-10", False, "MRI contraindicated (aneurysm clip), ultrasound inconclusive",
     ("in_force", ["IMAGING_RISING_IONS_OVERDUE"], [], False)),
    ("TOO-LONG", "IONS-B-SERUM", "IONS_OVERDUE", None, "informed_dissent", "2026-01-12", "2028-01-12", False,
     "Declines whole-blood samples, serum at the GP surgery only; review in two years",
     ("too_long", [], [], False)),
    ("BACKWARDS", "TRANS-D-BACK", "REVIEW_OVERDUE", None, "informed_dissent", "2026-03-14", "2025-03-14", False,
     "Does not wish to attend clinic",
     ("rejected", [], [], False)),
    ("AFTER-ASOF", "DECL-D-BACK", "IONS_OVERDUE", None, "informed_dissent", "2026-10-07", "2027-04-07", True,
     "Declines further blood tests",
     ("ignored", [], [], False)),
    ("EXCLUDED", "DECL-A", "ALL", None, "informed_dissent", "2025-11-10", "2026-10-20", False,
     "Declined all further follow-up in 2021, confirmed by letter",
     ("in_force", [], [], False)),
    ("NOT-DUE", "CENS-RISING-GT", "IMAGING_RISING_IONS_OVERDUE", None, "clinically_unsuitable", "2025-11-01",
     "2026-10-31", False, "Claustrophobic, MRI under sedation declined by anaesthetics",
     ("in_force", ["IMAGING_RISING_IONS_OVERDUE"], [], False)),
    ("DUE-EDGE", "RISING-B", "ION_REPEAT_OVERDUE", None, "informed_dissent", "2026-04-30", "2026-10-30", True,
     "Declines a repeat test for now; will reconsider at the October clinic",
     ("in_force", ["ION_REPEAT_OVERDUE"], [], True)),
    ("LAST-DAY", "SEXUNK-C", "IMAGING_BASELINE_MISSING", "L", "clinically_unsuitable", "2025-09-30", "2026-09-30",
     False, "Severe claustrophobia; ultrasound of the hip not possible (body habitus)",
     ("in_force", ["IMAGING_BASELINE_MISSING"], [], True)),
    ("OTHER-HIP", "BASE-B-BILAT", "IMAGING_BASELINE_MISSING", "L", "clinically_unsuitable", "2026-06-22",
     "2027-06-21", False, "Baseline imaging not possible: metal artefact on MRI",
     ("in_force", [], [], False)),
    ("TIE-FIRST", "CENS-NOTHIGHER", "ALL", None, "individual_plan", "2026-07-06", "2027-01-06", False,
     "Cardiology inpatient stay: surveillance deferred to January",
     ("in_force", ["ION_REPEAT_OVERDUE"], [], False)),
    ("TIE-SECOND", "CENS-NOTHIGHER", "ION_REPEAT_OVERDUE", None, "informed_dissent", "2026-07-20", "2027-01-06",
     True, "Declines a repeat test until after his cardiology treatment",
     ("in_force", [], [], False)),
]


def exception_rows(patients):
    """The clinic's export, one row per EXCEPTION_PLAN entry; ids follow the date
    recorded. Returns (rows, {key: (exception id, nhs, procedure id or None)})."""
    cases = {p.label: p for p in patients if p.label}
    plan = sorted(EXCEPTION_PLAN, key=lambda x: (D(x[5]), x[0]))
    rows, placed = [], {}
    for k, (key, label, req, hip, reason, rec, rev, nurse, note, _) in enumerate(plan):
        p = cases[label]
        pid = None
        if hip is not None:
            pid = [pr.id for pr in p.procs if pr.side == hip and pr.mom][0]
        xid = "CX-%04d" % (311 + 3 * k)
        rows.append({"Exception Ref": xid, "NHS Number": "%s %s %s" % (p.nhs[:3], p.nhs[3:6], p.nhs[6:]),
                     "Requirement": req, "Implant Ref": pid or "",
                     "Hip": {"L": "Left", "R": "Right", None: ""}[hip], "Reason": reason,
                     "Recorded By": EXCEPTION_NURSE if nurse else p.consultant,
                     "Date Recorded": dmy(D(rec)), "Review Date": dmy(D(rev)), "Comments": note})
        placed[key] = (xid, p.nhs, pid)
    return rows, placed


def write_exceptions(patients):
    rows, placed = exception_rows(patients)
    write_delimited(os.path.join(HERE, "exports", "clinic-exceptions.csv"),
                    [h for h, _ in EXCEPTION_COLUMNS], rows)
    return len(rows), placed


# ---- PAS outpatient attendances

PAS_HEADER = ["Appt Id", "NHS Number", "Appt Date", "Clinic", "Appt Type", "Attended Or DNA",
              "Hip", "Symptomatic", "Oxford Score", "Comments"]


def pas_date(d, r):
    mon = MON[d.month - 1]
    if d.month == 9 and r.random() < 0.5:
        mon = "Sept"
    return "%02d-%s-%04d %s" % (d.day, mon, d.year, clock(r, 8, 16))


def pas_row(p, e, clinic):
    r = R_EXP
    raw_type = e.raw.get("event_type")
    if e.etype in ("review", "telephone_review", "virtual_review"):
        code_ = "5" if r.random() < 0.93 else "6"
    elif e.etype == "did_not_attend":
        code_ = "3" if r.random() < 0.85 else "7"
    else:
        code_ = "D"  # declined_follow_up: the trust's local code, discharged at the patient's request
    if raw_type == "phone_call":
        code_ = "T"  # a local code the profile does not know: the row is rejected
    elif raw_type == "":
        code_ = ""
    review = e.etype in ("review", "telephone_review", "virtual_review")
    ohs = e.raw.get("oxford_hip_score", "" if e.ohs is None else str(e.ohs))
    if review and ohs == "" and r.random() < 0.5:
        ohs = "N/A"
    return {
        "NHS Number": nhs_spaced(p.nhs, r, 0.5),
        "Appt Date": pas_date(e.date, r),
        "Clinic": clinic,
        "Appt Type": {"telephone_review": "Telephone", "virtual_review": "Video"}.get(e.etype, "Face to face"),
        "Attended Or DNA": code_,
        "Hip": {"L": "Left", "R": "Right", "B": "Both"}.get(e.side, "") if review else "",
        "Symptomatic": ("" if e.sym is None else ("Y" if e.sym else "N")) if review else "",
        "Oxford Score": ohs if review else "",
        "Comments": e.note or "",
    }


# ---- RIS exams

RIS_HEADER = ["Accession", "NHS No", "Exam Date", "Exam Code", "Exam Name", "Laterality",
              "Conclusion"]
RIS_EXAMS = {"mars_mri": ("MRHIPM", "MRI hip (MARS protocol)"), "ultrasound": ("USHIP", "US hip"),
             "xray_hip": ("XHIP", "XR hip"), "xray_pelvis": ("XPELV", "XR pelvis")}
RIS_FINDING = {"normal": "Normal appearances", "fluid_collection": "Fluid collection",
               "pseudotumour": "Soft tissue mass (pseudotumour)",
               "muscle_or_bone_damage": "Muscle or bone damage", "other": "Other abnormality",
               None: ""}
RIS_OTHER = [("XCHES", "XR chest", "No acute cardiopulmonary abnormality."),
             ("CTHEA", "CT head", "No acute intracranial abnormality."),
             ("USABD", "US abdomen", "Gallstones. Otherwise normal."),
             ("MRLSP", "MRI lumbar spine", "Degenerative change L4/5."),
             ("XKNEL", "XR knee", "Moderate osteoarthritis.")]


def ris_stamp(d, r):
    s = "%04d%02d%02d%02d%02d" % (d.year, d.month, d.day, r.randint(8, 19), r.randint(0, 59))
    return s + ("%02d" % r.randint(0, 59) if r.random() < 0.3 else "")


def ris_row(p, e):
    r = R_EXP
    if e.etype == "xray":
        kind = "xray_pelvis" if (e.side is None and r.random() < 0.7) else "xray_hip"
    else:
        kind = e.etype
    code_, name = RIS_EXAMS[kind]
    side = {"L": "L", "R": "R", "B": "B"}.get(e.side, "")
    if side == "" and r.random() < 0.5:
        side = "N/A"
    if e.etype == "xray":
        concl = "Satisfactory appearances" if r.random() < 0.4 else ""
    else:
        concl = RIS_FINDING[e.finding]
    return {"NHS No": nhs_spaced(p.nhs, r, 0.3), "Exam Date": ris_stamp(e.date, r), "Exam Code": code_,
            "Exam Name": name, "Laterality": side, "Conclusion": concl}


# ---- national spine: deaths and transfers out

SPINE_HEADER = ["Notification Id", "NHS Number", "Notification", "Effective Date", "Detail"]


def spine_date(d, r):
    if r.random() < 0.8:
        return "%d %s %04d" % (d.day, MON[d.month - 1], d.year)
    return "%d %s %04d" % (d.day, MONTH_FULL[d.month - 1], d.year)


def spine_row(p, e):
    r = R_EXP
    return {"NHS Number": p.nhs, "Notification": "Death" if e.etype == "death" else "Transferred out",
            "Effective Date": spine_date(e.date, r), "Detail": e.note or ""}


# ---- profiles and the manifest

PROFILES = {
    "theatre": {
        "name": "Theatre system / NJR extract, hip and knee operations",
        "encoding": "cp1252",
        "null_values": ["N/K", "NULL"],
        "columns": {h: c for h, c in THEATRE_COLUMNS},
        "constants": {"trust_code": "RXH"},
        "keep": {"procedure_type": ["Primary Total Hip", "Hip Resurfacing", "Revision Hip"]},
        "values": {
            "procedure_type": {"Primary Total Hip": "total_hip", "Hip Resurfacing": "resurfacing",
                               "Revision Hip": "revision"},
            "bearing": {"Metal/Metal": "MoM", "Metal/Poly": "MoP", "Ceramic/Ceramic": "CoC",
                        "Ceramic/Poly": "CoP", "Ceramic/Metal": "CoM", "Metal/Ceramic": "MoC"},
            "sex": {"Not Known": "0", "Not Specified": "9"},
        },
    },
    "lims": {
        "name": "Pathology LIMS, trace elements (one analyte per row)",
        "encoding": "utf-8",
        "delimiter": "|",
        "date_order": "dmy",
        "columns": {"Accession No": "sample_id", "NHS Number": "nhs_number", "Collected": "sample_date",
                    "Test": "analyte", "Result": "value", "Units": "unit", "Specimen": "specimen"},
        "keep": {"analyte": ["COB", "CHR"]},
        "skip": {"value": ["INSUFFICIENT", "CLOTTED"]},
        "values": {"analyte": {"COB": "cobalt", "CHR": "chromium"},
                   "specimen": {"Trace element tube": "whole_blood"}},
    },
    "referral-lab": {
        "name": "Referral laboratory, trace elements (one result per row, numbered)",
        "encoding": "utf-8",
        "columns": {"Result No": "result_id", "Lab No": "sample_id", "NHS No": "nhs_number",
                    "Date Sampled": "sample_date", "Analyte": "analyte", "Result": "value",
                    "Units": "unit", "Sample Type": "specimen", "Comment": "note"},
        "keep": {"analyte": ["Cobalt", "Chromium"]},
        "values": {"analyte": {"Cobalt": "cobalt", "Chromium": "chromium"},
                   "specimen": {REFERRAL_SPECIMEN: "whole_blood"}},
    },
    "pas": {
        "name": "PAS outpatient attendances, hip clinics",
        "null_values": ["N/A", "NULL"],
        "columns": {"Appt Id": "event_id", "NHS Number": "nhs_number", "Appt Date": "event_date",
                    "Attended Or DNA": "event_type", "Hip": "side", "Symptomatic": "symptomatic",
                    "Oxford Score": "oxford_hip_score", "Comments": "note"},
        "skip": {"event_type": ["0", "2", "4"]},
        "values": {"event_type": {"5": "review", "6": "review", "3": "did_not_attend",
                                  "7": "did_not_attend", "D": "declined_follow_up"}},
    },
    "ris": {
        "name": "Radiology information system, exams of the trust's patients",
        "null_values": ["N/A"],
        "columns": {"Accession": "event_id", "NHS No": "nhs_number", "Exam Date": "event_date",
                    "Exam Code": "event_type", "Laterality": "side", "Conclusion": "imaging_finding"},
        "keep": {"event_type": ["MRHIPM", "USHIP", "XHIP", "XPELV"]},
        "values": {
            "event_type": {"MRHIPM": "mars_mri", "USHIP": "ultrasound", "XHIP": "xray",
                           "XPELV": "xray"},
            "imaging_finding": {"Normal appearances": "normal", "Satisfactory appearances": "normal",
                                "Fluid collection": "fluid_collection",
                                "Soft tissue mass (pseudotumour)": "pseudotumour",
                                "Muscle or bone damage": "muscle_or_bone_damage",
                                "Other abnormality": "other"},
        },
    },
    "clinic-exceptions": {
        "name": "MoM clinic, clinicians' exceptions to the surveillance requirements",
        "date_order": "dmy",
        "columns": {h: c for h, c in EXCEPTION_COLUMNS if c},
    },
    "spine": {
        "name": "NHS Spine notifications for the trust's registered patients",
        "columns": {"Notification Id": "event_id", "NHS Number": "nhs_number",
                    "Notification": "event_type", "Effective Date": "event_date", "Detail": "note"},
        "skip": {"event_type": ["Change of address", "Change of GP practice"]},
        "values": {"event_type": {"Death": "death", "Transferred out": "transferred_out"}},
    },
}

PROFILE_COMMENTS = {
    "theatre": "# The theatre system's extract: local headers, local bearing codes, knees in the same\n"
               "# file. Both files of the source (2003-2015 with a bearing column, 2016-2026 without).\n",
    "lims": "# The pathology LIMS: pipe-delimited, one analyte per row, date-times, censored values.\n"
            "# No result id: each row is identified as <Accession No>/<analyte>.\n",
    "referral-lab": "# The referral laboratory (trace elements sent out by the trust): CSV, one result per\n"
                    "# row, each with its own result number, so a sample's repeat analyses are kept.\n",
    "pas": "# The patient administration system: one row per outpatient appointment, NHS Data\n"
           "# Dictionary attendance codes plus the trust's local code D (discharged at the\n"
           "# patient's request).\n",
    "ris": "# The radiology information system: every exam of the trust's patients, local exam codes,\n"
           "# HL7-style timestamps (YYYYMMDDHHMM[SS]).\n",
    "spine": "# NHS Spine notifications: deaths and transfers out; address changes are skipped.\n",
    "clinic-exceptions": "# The MoM clinic's exceptions register: a clinician's decision that a requirement does\n"
                         "# not apply to a patient (or to one hip) until a review date. Dates DD/MM/YYYY;\n"
                         "# the Hip column is for people and is not read.\n",
}

SOURCES = [
    {"name": "theatre", "path": "exports/theatre", "profile": "profiles/theatre.toml", "cumulative": True},
    {"name": "rxh02-xml", "path": "exports/site-rxh02.xml"},
    {"name": "lims", "path": "exports/lims-metal-ions.txt", "profile": "profiles/lims.toml",
     "cumulative": True},
    {"name": "referral-lab", "path": "exports/referral-lab-results.csv",
     "profile": "profiles/referral-lab.toml", "cumulative": True},
    {"name": "pas", "path": "exports/pas-attendances.csv", "profile": "profiles/pas.toml",
     "cumulative": True, "max_withdraw_percent": 10},
    {"name": "ris", "path": "exports/ris-exams.csv", "profile": "profiles/ris.toml", "cumulative": True},
    {"name": "spine", "path": "exports/spine-deaths-transfers.csv", "profile": "profiles/spine.toml"},
    {"name": "clinic-exceptions", "path": "exports/clinic-exceptions.csv",
     "profile": "profiles/clinic-exceptions.toml", "cumulative": True, "max_withdraw_percent": 20},
]


def toml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_key(k):
    return k if re.match(r"^[A-Za-z][A-Za-z0-9_-]*$", k) else toml_str(k)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return toml_str(v)


def profile_toml(name):
    prof = PROFILES[name]
    out = [PROFILE_COMMENTS[name].rstrip("\n")]
    for k, v in prof.items():
        if not isinstance(v, dict):
            out.append("%s = %s" % (k, toml_value(v)))
    for table in ("columns", "constants", "keep", "skip"):
        if table in prof:
            out.append("")
            out.append("[%s]" % table)
            for k, v in prof[table].items():
                out.append("%s = %s" % (toml_key(k), toml_value(v)))
    for field, table in prof.get("values", {}).items():
        out.append("")
        out.append("[values.%s]" % field)
        for k, v in table.items():
            out.append("%s = %s" % (toml_key(k), toml_value(v)))
    return "\n".join(out) + "\n"


def manifest_toml():
    out = ["# The sources manifest of trust RXH: one [[source]] per system, in load order.",
           "# Paths are relative to this file. Cumulative sources send complete snapshots."]
    for s in SOURCES:
        out.append("")
        out.append("[[source]]")
        for k, v in s.items():
            out.append("%s = %s" % (k, toml_value(v)))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------

def build():
    """Build every patient (designed cases first, then the random bulk) and
    assign procedure and event ids in date order. Returns the patient list."""
    CASES.clear()
    build_cases()
    bulk = build_bulk()
    patients = list(CASES) + bulk
    procs = [(pr.date, p.nhs, pr.side, pr.ptype, pr) for p in patients for pr in p.procs]
    procs.sort(key=lambda x: x[:4])
    for k, (_, _, _, _, pr) in enumerate(procs, start=1):
        pr.id = "NJR-%07d" % (1000000 + k)
    for p in patients:
        p.events = [e for e in p.events if e.date <= EXPORT_DATE]
    evs = [(e.date, p.nhs, n, e) for p in patients for n, e in enumerate(p.events)]
    evs.sort(key=lambda x: x[:3])
    for k, (_, _, _, e) in enumerate(evs, start=1):
        e.id = "EV-%07d" % k
    return patients


PAS_TYPES = ("review", "telephone_review", "virtual_review", "did_not_attend", "declined_follow_up")
RIS_TYPES = ("mars_mri", "ultrasound", "xray")
SPINE_TYPES = ("death", "transferred_out")


def write_exports(patients):
    """Writes every export; returns {relative path: row count}."""
    counts = {}
    exp = os.path.join(HERE, "exports")
    os.makedirs(os.path.join(exp, "theatre"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "profiles"), exist_ok=True)
    csv_patients = [p for p in patients if p.site != XML_SITE]
    xml_patients = [p for p in patients if p.site == XML_SITE]

    # theatre: two files, split where the theatre system was replaced
    rows = []
    for p in csv_patients:
        for pr in p.procs:
            rows.append((pr.date, pr.id, theatre_row(p, pr)))
    extra = theatre_extra_rows(csv_patients)
    rows += [(d, "~" + row["Procedure Ref"], row) for d, row in extra]
    rows.sort(key=lambda x: (x[0], x[1]))
    old = [row for d, _, row in rows if d < THEATRE_SPLIT]
    new = [row for d, _, row in rows if d >= THEATRE_SPLIT]
    header_old = [h for h, _ in THEATRE_COLUMNS]
    header_new = [h for h in header_old if h != "Bearing Surface"]
    write_delimited(os.path.join(exp, "theatre", "procedures-2003-2015.csv"), header_old, old,
                    encoding="cp1252", line_end="\r\n")
    write_delimited(os.path.join(exp, "theatre", "procedures-2016-2026.csv"), header_new, new,
                    encoding="cp1252", line_end="\r\n")
    counts["exports/theatre/procedures-2003-2015.csv"] = len(old)
    counts["exports/theatre/procedures-2016-2026.csv"] = len(new)

    # XML: the site's own export, canonical
    def first_proc_id(p):
        return min((pr.id for pr in p.procs), default="~" + p.nhs)
    xml_patients.sort(key=first_proc_id)
    write_xml(os.path.join(exp, "site-rxh02.xml"), xml_patients)
    counts["exports/site-rxh02.xml"] = sum(len(p.procs) + len(p.events) for p in xml_patients)

    # the CSV patients' events, in date order, to their systems
    evs = sorted(((e.id, p, e) for p in csv_patients for e in p.events), key=lambda x: x[0])
    lims, pas, ris, spine = [], [], [], []
    # two bulk samples whose chromium was added on the next day (the test keeps the cobalt's date)
    r = R_EXP
    designed = {p.nhs for p in CASES}
    late_cr = [e for _, p, e in evs if e.etype == "blood_metal_ions" and p.nhs not in designed
               and e.cr is not None and e.date < dt.date(2026, 1, 1)]
    for e in r.sample(late_cr, 2):
        e.cr_date = add_days(e.date, 1)
    for _, p, e in evs:
        if e.etype == "blood_metal_ions":
            lims.append((e.date, p.nhs, lims_samples(p, e)))
        elif e.etype in PAS_TYPES:
            clinic = "MOMHIP" if any(pr.mom for pr in p.procs) else "ORTHOHIP"
            pas.append((e.date, p.nhs, pas_row(p, e, clinic)))
        elif e.etype in RIS_TYPES:
            ris.append((e.date, p.nhs, ris_row(p, e)))
        elif e.etype in SPINE_TYPES:
            spine.append((e.date, p.nhs, spine_row(p, e)))
        else:
            raise ValueError(e.etype)

    # LIMS: a few bulk samples re-sent (identical, or with a corrected value:
    # the second is then a duplicate id with different content)
    bulk_ion = [k for k, (d, nhs, rows) in enumerate(lims)
                if d <= AS_OF and nhs not in designed and rows and rows[0]["Test"] == "COB"
                and rows[0]["Result"][0].isdigit()]
    picked = r.sample(bulk_ion, 7)
    for k in picked[:5]:
        rows = lims[k][2]
        rows.insert(1, dict(rows[0]))  # the same row twice: loaded once
    for k in picked[5:]:
        rows = lims[k][2]
        again = dict(rows[0])
        again["Result"] = "%.2f" % (float(again["Result"]) + 0.3)  # a corrected value, sent later
        rows.append(again)
    lims += [(d, nhs, rows) for d, nhs, rows in lims_other_samples(csv_patients, 700)]
    # samples the laboratory could not analyse: both rows skipped, no test
    mom_bulk = [p for p in csv_patients if p.label is None and any(pr.mom for pr in p.procs)]
    for p in r.sample(mom_bulk, 3):
        d = rand_date(r, min(pr.date for pr in p.procs if pr.mom), AS_OF)
        when = dmy(d) + " " + clock(r)
        lims.append((d, p.nhs, [{"NHS Number": p.nhs, "Collected": when, "Test": t, "Result": "CLOTTED",
                                 "Units": "ug/L", "Specimen": "EDTA blood"} for t in ("COB", "CHR")]))
    lims.sort(key=lambda x: (x[0], x[1]))
    seq = {}
    out = []
    for d, nhs, rows in lims:
        yy = d.year % 100
        seq[yy] = seq.get(yy, 0) + 1
        acc = "A%02d-%05d" % (yy, seq[yy])
        for row in rows:
            row = dict(row)
            row.setdefault("Accession No", acc)  # a designed row may carry a blank one
            out.append(row)
    write_delimited(os.path.join(exp, "lims-metal-ions.txt"), LIMS_HEADER, out, delim="|",
                    line_end="\r\n")
    counts["exports/lims-metal-ions.txt"] = len(out)

    # PAS: plus cancelled appointments and appointments not yet held
    extra = []
    for p in csv_patients:
        mom = any(pr.mom for pr in p.procs)
        clinic = "MOMHIP" if mom else "ORTHOHIP"
        for e in p.events:
            if e.etype in ("review", "telephone_review", "virtual_review") and r.random() < 0.1:
                d = add_days(e.date, -r.randint(7, 40))
                extra.append((d, p.nhs, {"NHS Number": p.nhs, "Appt Date": pas_date(d, r),
                                         "Clinic": clinic, "Appt Type": "Face to face",
                                         "Attended Or DNA": "2" if r.random() < 0.6 else "4",
                                         "Comments": ""}))
        alive = not any(e.etype in ("death", "transferred_out", "declined_follow_up") for e in p.events)
        recent = [e for e in p.events if e.etype == "review" and e.date.year >= 2025]
        if mom and alive and recent:
            d = add_days(EXPORT_DATE, r.randint(7, 180))
            extra.append((d, p.nhs, {"NHS Number": p.nhs, "Appt Date": pas_date(d, r),
                                     "Clinic": clinic, "Appt Type": "Face to face",
                                     "Attended Or DNA": "0", "Comments": ""}))
    allp = sorted(pas + extra, key=lambda x: (x[0], x[1]))
    for k, (_, _, row) in enumerate(allp, start=1):
        row["Appt Id"] = "OPA%07d" % k
    write_delimited(os.path.join(exp, "pas-attendances.csv"), PAS_HEADER, [x[2] for x in allp])
    counts["exports/pas-attendances.csv"] = len(allp)

    # RIS: plus every other exam of the same patients
    pool = [p for p in csv_patients if p.procs]
    extra = []
    for _ in range(1500):
        p = r.choice(pool)
        d = rand_date(r, dt.date(2003, 1, 1), EXPORT_DATE)
        code_, name, concl = r.choice(RIS_OTHER)
        extra.append((d, p.nhs, {"NHS No": nhs_spaced(p.nhs, r, 0.3), "Exam Date": ris_stamp(d, r),
                                 "Exam Code": code_, "Exam Name": name,
                                 "Laterality": "" if code_ != "XKNEL" else r.choice("LR"),
                                 "Conclusion": concl}))
    allr = sorted(ris + extra, key=lambda x: (x[0], x[1]))
    for k, (_, _, row) in enumerate(allr, start=1):
        row["Accession"] = "RAD%07d" % k
    write_delimited(os.path.join(exp, "ris-exams.csv"), RIS_HEADER, [x[2] for x in allr])
    counts["exports/ris-exams.csv"] = len(allr)

    # spine: plus address changes
    extra = []
    for _ in range(260):
        p = r.choice(pool)
        d = rand_date(r, dt.date(2010, 1, 1), EXPORT_DATE)
        extra.append((d, p.nhs, {"NHS Number": p.nhs,
                                 "Notification": "Change of address" if r.random() < 0.8 else "Change of GP practice",
                                 "Effective Date": spine_date(d, r), "Detail": ""}))
    alls = sorted(spine + extra, key=lambda x: (x[0], x[1]))
    for k, (_, _, row) in enumerate(alls, start=1):
        row["Notification Id"] = "SPN%06d" % k
    write_delimited(os.path.join(exp, "spine-deaths-transfers.csv"), SPINE_HEADER, [x[2] for x in alls])
    counts["exports/spine-deaths-transfers.csv"] = len(alls)

    for name in ("theatre", "lims", "referral-lab", "pas", "ris", "spine", "clinic-exceptions"):
        with open(os.path.join(HERE, "profiles", name + ".toml"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(profile_toml(name))
    with open(os.path.join(HERE, "sources.toml"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(manifest_toml())
    return counts
# --------------------------------------------------------------------------
# An independent reading of the input contract and of the rule pack: the
# files written above are read back as momaudit would be given them (the
# sources manifest, each source's profile, the CSV dialect, the XML), every
# row is accepted, rejected or skipped, and the rules are evaluated as of
# AS_OF. The figures go to expected.json and README.md.

import re
import xml.etree.ElementTree as ET


class RowReject(Exception):
    pass


class FileRefused(Exception):
    pass


MONTH_NAMES = {}
for _k, _n in enumerate(["january", "february", "march", "april", "may", "june", "july",
                         "august", "september", "october", "november", "december"], start=1):
    MONTH_NAMES[_n] = _k
    MONTH_NAMES[_n[:3]] = _k
MONTH_NAMES["sept"] = 9

_TIME = r"(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"
_ZONE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)?"
_TAIL = r"(?:(?:T| +)" + _TIME + _ZONE + r")?"
RE_D_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})" + _TAIL + r"$")
RE_D_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})" + _TAIL + r"$")
RE_D_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?" + _ZONE + r"|" + _TAIL[3:-2] + r")?$")
RE_D_MONTH = re.compile(r"^(\d{1,2})([- ])([A-Za-z]+)\2(\d{4})" + _TAIL + r"$")


def _time_ok(h, m, s):
    if h is None:
        return True
    return int(h) <= 23 and int(m) <= 59 and (s is None or int(s) <= 59)


def parse_date(s, order="dmy"):
    s = s.strip()
    m = RE_D_ISO.match(s)
    if m:
        y, mo, d, h, mi, se = m.groups()
    else:
        m = RE_D_SLASH.match(s)
        if m:
            a, b, y, h, mi, se = m.groups()
            d, mo = (a, b) if order == "dmy" else (b, a)
        else:
            m = RE_D_COMPACT.match(s)
            if m:
                y, mo, d, h1, m1, s1, h2, m2, s2 = m.groups()
                h, mi, se = (h1, m1, s1) if h1 is not None else (h2, m2, s2)
            else:
                m = RE_D_MONTH.match(s)
                if not m:
                    raise RowReject("unparseable date")
                d, _, name, y, h, mi, se = m.groups()
                mo = MONTH_NAMES.get(name.lower())
                if mo is None:
                    raise RowReject("unparseable date")
    if not _time_ok(h, mi, se):
        raise RowReject("invalid time of day")
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        raise RowReject("impossible date")


def parse_nhs(s):
    t = re.sub(r"[ -]", "", s.strip())
    if not nhs_valid(t):
        raise RowReject("invalid NHS number")
    return t


RE_NUM = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
RE_LAB = re.compile(r"^(<=|>=|<|>|\u2264|\u2265)? *([+-]?\d+(?:\.\d+)?)$")


def parse_number(s):
    if not RE_NUM.match(s):
        raise RowReject("not a number")
    return float(s)


def parse_lab(s):
    """(comparator or None, number). Raises on anything else."""
    m = RE_LAB.match(s)
    if not m:
        raise RowReject("not a laboratory value")
    c, n = m.groups()
    c = {"\u2264": "<=", "\u2265": ">="}.get(c, c)
    v = float(n)
    if c == "<" and v <= 0:
        raise RowReject("censored value allows no possible value")
    return c, v


def cf(s):
    return s.strip().casefold()


SIDE_P = {"l": "L", "r": "R", "left": "L", "right": "R"}
SIDE_E = dict(SIDE_P, b="B", both="B")
SEX_CODES = {"1": "M", "m": "M", "male": "M", "2": "F", "f": "F", "female": "F",
             "0": "U", "9": "U", "x": "U", "": "U"}
BOOL_CODES = {"y": True, "yes": True, "true": True, "1": True,
              "n": False, "no": False, "false": False, "0": False}
PTYPE_CODES = {"total_hip": "total_hip", "thr": "total_hip", "primary_thr": "total_hip",
               "resurfacing": "resurfacing", "hr": "resurfacing", "hip_resurfacing": "resurfacing",
               "revision": "revision", "rev": "revision"}
BEARING_CODES = {"mom": "MoM", "mop": "MoP", "coc": "CoC", "cop": "CoP", "com": "CoM",
                 "moc": "MoC", "unknown": "unknown", "": "unknown", "metal-on-metal": "MoM",
                 "metal on metal": "MoM", "m-o-m": "MoM"}
ETYPE_CODES = {}
for _t, _syn in (("review", ["clinic", "follow_up", "telephone_review", "virtual_review"]),
                 ("blood_metal_ions", ["ions", "metal_ions", "blood_test"]),
                 ("mars_mri", ["mri"]), ("ultrasound", ["us"]), ("xray", ["radiograph"]),
                 ("did_not_attend", ["dna"]), ("declined_follow_up", ["declined"]),
                 ("transferred_out", ["transfer"]), ("death", ["deceased"])):
    ETYPE_CODES[_t] = _t
    for _s in _syn:
        ETYPE_CODES[_s] = _t
UNIT_CODES = {"ug/l": "ug/L", "\u00b5g/l": "ug/L", "\u03bcg/l": "ug/L", "ppb": "ug/L",
              "nmol/l": "nmol/L"}
SAMPLE_CODES = {"": "whole_blood", "whole_blood": "whole_blood", "serum": "serum", "plasma": "plasma"}
SPECIMEN_CODES = dict(SAMPLE_CODES, blood="whole_blood")
SPECIMEN_CODES["edta blood"] = "whole_blood"
SPECIMEN_CODES["edta whole blood"] = "whole_blood"
SPECIMEN_CODES["whole blood edta"] = "whole_blood"
FINDING_CODES = {x: x for x in ("normal", "fluid_collection", "pseudotumour",
                                "muscle_or_bone_damage", "other")}
FINDING_CODES[""] = None
ANALYTE_CODES = {"cobalt": "cobalt", "co": "cobalt", "blood cobalt": "cobalt",
                 "cobalt blood": "cobalt", "chromium": "chromium", "cr": "chromium",
                 "blood chromium": "chromium", "chromium blood": "chromium"}


def code(table, s, what):
    k = cf(s)
    if k not in table:
        raise RowReject("unknown %s" % what)
    return table[k]


def to_ug(metal, v, unit):
    if unit == "nmol/L":
        return v * (CO_NMOL_TO_UG if metal == "cobalt" else CR_NMOL_TO_UG)
    return v


PROC_FIELDS = ["procedure_id", "nhs_number", "local_patient_id", "sex", "date_of_birth",
               "procedure_date", "side", "procedure_type", "bearing", "head_diameter_mm",
               "femoral_component", "acetabular_component", "stem_component", "manufacturer",
               "opcs_code", "trust_code", "site_code", "consultant_code"]
EVENT_FIELDS = ["event_id", "nhs_number", "event_date", "event_type", "side", "symptomatic",
                "oxford_hip_score", "cobalt", "chromium", "ion_unit", "sample_type",
                "imaging_finding", "note"]
RESULT_FIELDS = ["result_id", "nhs_number", "sample_id", "sample_date", "analyte", "value",
                 "unit", "specimen", "note"]
EXCEPTION_FIELDS = ["exception_id", "nhs_number", "finding", "procedure_id", "reason", "recorded_by",
                    "recorded_on", "review_by", "note"]
KIND_FIELDS = {"procedures": PROC_FIELDS, "events": EVENT_FIELDS, "results": RESULT_FIELDS,
               "exceptions": EXCEPTION_FIELDS}
REQUIRED = {"procedures": ["procedure_id", "nhs_number", "procedure_date", "side", "procedure_type"],
            "events": ["event_id", "nhs_number", "event_date", "event_type"],
            "results": ["nhs_number", "sample_date", "analyte", "value", "unit"],
            "exceptions": ["exception_id", "nhs_number", "finding", "reason", "recorded_by", "recorded_on",
                           "review_by"]}
EXCEPTION_FINDINGS = {c.casefold(): c for c in ("REVIEW_OVERDUE", "IONS_OVERDUE", "ION_REPEAT_OVERDUE",
                                                "IMAGING_RISING_IONS_OVERDUE", "IMAGING_SYMPTOMS_OVERDUE",
                                                "IMAGING_BASELINE_MISSING", "ALL")}
EXCEPTION_REASONS = {c: c for c in ("clinically_unsuitable", "informed_dissent", "individual_plan")}


def make_procedure(f, order, export_date=None):
    """f: canonical field -> raw text (trimmed, '' when blank or absent)."""
    pid = f.get("procedure_id", "")
    if not pid:
        raise RowReject("blank procedure_id")
    nhs = parse_nhs(f.get("nhs_number", ""))
    d = parse_date(f.get("procedure_date", ""), order)
    if export_date is not None and d > export_date:
        raise RowReject("procedure after the export date")
    side = code(SIDE_P, f.get("side", ""), "side")
    ptype = code(PTYPE_CODES, f.get("procedure_type", ""), "procedure type")
    bearing = code(BEARING_CODES, f.get("bearing", ""), "bearing")
    sex = code(SEX_CODES, f.get("sex", ""), "sex")
    if f.get("date_of_birth", ""):
        parse_date(f["date_of_birth"], order)
    head = None
    if f.get("head_diameter_mm", ""):
        head = parse_number(f["head_diameter_mm"])
        if not 20 <= head <= 80:
            raise RowReject("head diameter outside 20-80")
    comps = [f.get(k, "") for k in ("femoral_component", "acetabular_component", "stem_component")]
    return {"id": pid, "nhs": nhs, "date": d, "side": side, "ptype": ptype, "bearing": bearing,
            "sex": sex, "head": head, "comps": [c for c in comps if c],
            "trust": f.get("trust_code", ""), "site": f.get("site_code", ""),
            "consultant": f.get("consultant_code", "")}


def parse_labvalue_field(metal, s, unit, belongs):
    if s == "":
        return None
    c, v = parse_lab(s)
    if belongs and v < 0:
        raise RowReject("negative laboratory value")
    if unit is None:
        return (c, v, None, None)
    return (c, v, unit, to_ug(metal, v, unit))


def make_event(f, order):
    eid = f.get("event_id", "")
    if not eid:
        raise RowReject("blank event_id")
    nhs = parse_nhs(f.get("nhs_number", ""))
    d = parse_date(f.get("event_date", ""), order)
    if f.get("event_type", "") == "":
        raise RowReject("blank event_type")
    et = code(ETYPE_CODES, f["event_type"], "event type")
    side = code(SIDE_E, f.get("side", ""), "side") if f.get("side", "") else None
    sym = code(BOOL_CODES, f.get("symptomatic", ""), "boolean") if f.get("symptomatic", "") else None
    ohs = None
    if f.get("oxford_hip_score", ""):
        v = parse_number(f["oxford_hip_score"])
        if et == "review":
            if v != int(v) or not 0 <= v <= 48:
                raise RowReject("oxford_hip_score outside 0-48")
            ohs = int(v)
    is_ion = et == "blood_metal_ions"
    unit = code(UNIT_CODES, f.get("ion_unit", ""), "unit") if f.get("ion_unit", "") else None
    sample = code(SAMPLE_CODES, f.get("sample_type", ""), "sample type")
    co = parse_labvalue_field("cobalt", f.get("cobalt", ""), unit, is_ion)
    cr = parse_labvalue_field("chromium", f.get("chromium", ""), unit, is_ion)
    finding = code(FINDING_CODES, f.get("imaging_finding", ""), "imaging finding")
    if is_ion:
        if co is None and cr is None:
            raise RowReject("ion event without cobalt or chromium")
        if unit is None:
            raise RowReject("ion event without a unit")
    return {"id": eid, "nhs": nhs, "date": d, "type": et, "side": side if side != "B" else None,
            "sym": sym, "ohs": ohs, "co": co if is_ion else None, "cr": cr if is_ion else None,
            "sample": sample, "finding": finding}


def make_exception(f, order):
    """An exception row (input-formats.md, Exceptions). A review_by before
    recorded_on rejects the row; a too-long one loads (the check warns)."""
    for k in REQUIRED["exceptions"]:
        if f.get(k, "") == "":
            raise RowReject("blank %s" % k)
    nhs = parse_nhs(f["nhs_number"])
    finding = code(EXCEPTION_FINDINGS, f["finding"], "finding")
    reason = code(EXCEPTION_REASONS, f["reason"], "reason")
    rec = parse_date(f["recorded_on"], order)
    rev = parse_date(f["review_by"], order)
    if rev < rec:
        raise RowReject("review_by before recorded_on")
    return {"id": f["exception_id"], "nhs": nhs, "finding": finding, "proc": f.get("procedure_id", "") or None,
            "reason": reason, "by": f["recorded_by"], "recorded": rec, "review": rev,
            "note": f.get("note", "")}


def make_result(f, order, has_result_id):
    nhs = parse_nhs(f.get("nhs_number", ""))
    analyte = code(ANALYTE_CODES, f.get("analyte", ""), "analyte")
    sid = f.get("sample_id", "")
    if has_result_id:
        rid = f.get("result_id", "")
        if not rid:
            raise RowReject("blank result_id")
    else:
        if not sid:
            raise RowReject("blank sample_id (the row's id is sample_id/analyte)")
        rid = sid + "/" + analyte
    d = parse_date(f.get("sample_date", ""), order)
    if f.get("unit", "") == "":
        raise RowReject("blank unit")
    unit = code(UNIT_CODES, f["unit"], "unit")
    if f.get("value", "") == "":
        raise RowReject("blank value")
    c, v = parse_lab(f["value"])
    if v < 0:
        raise RowReject("negative laboratory value")
    specimen = code(SPECIMEN_CODES, f.get("specimen", ""), "specimen")
    return {"id": rid, "nhs": nhs, "sample_id": sid, "date": d, "analyte": analyte,
            "val": (c, v, unit, to_ug(analyte, v, unit)), "sample": specimen}


# ---- CSV dialect (RFC 4180 with the contract's edges)

def csv_records(text, delim):
    """Yield (line_number, fields or None when the row is broken). Empty lines
    are not rows. A quote left open at the end refuses the file."""
    i, n, line = 0, len(text), 1
    while i < n:
        start_line = line
        fields, cur, broken = [], [], False
        at_field_start = True
        quoted = False
        while True:
            if i >= n:
                if quoted:
                    raise FileRefused("quote left open")
                fields.append("".join(cur))
                break
            ch = text[i]
            if quoted:
                if ch == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        cur.append('"')
                        i += 2
                        continue
                    quoted = False
                    i += 1
                    # after a closing quote: a delimiter or a line end
                    if i < n and text[i] not in (delim, "\n", "\r"):
                        broken = True
                    continue
                if ch == "\n" or (ch == "\r" and not (i + 1 < n and text[i + 1] == "\n")):
                    line += 1
                cur.append(ch)
                i += 1
                continue
            if ch == delim:
                fields.append("".join(cur))
                cur = []
                at_field_start = True
                i += 1
                continue
            if ch in "\r\n":
                fields.append("".join(cur))
                if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                    i += 1
                i += 1
                line += 1
                break
            if ch == '"':
                if at_field_start and not cur:
                    quoted = True
                    at_field_start = False
                    i += 1
                    continue
                broken = True
            at_field_start = False
            cur.append(ch)
            i += 1
        if broken:
            # reading resumes at the next line
            yield start_line, None
            continue
        if fields == [""]:
            continue  # an empty line
        yield start_line, fields


# ---- profiles and files

def fold_keys(d):
    return {cf(k): v for k, v in d.items()}


class FileStats:
    def __init__(self, path):
        self.path = path
        self.read = self.accepted = self.rejected = self.skipped = 0
        self.skips = {}
        self.records = 0  # distinct records loaded (an identical repeated row loads once)
        self.rejects = []
        self.kind = None


def load_csv_file(path, rel, profile, stats, store):
    prof = profile or {}
    data = open(path, "rb").read()
    if not data:
        raise FileRefused("zero-byte file")
    enc = prof.get("encoding")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if enc == "cp1252":
        text = data.decode("cp1252")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if enc == "utf-8":
                raise FileRefused("not UTF-8")
            text = data.decode("cp1252")
    delim = prof.get("delimiter", ",")
    order = prof.get("date_order", "dmy")
    nulls = {cf(v) for v in prof.get("null_values", [])}
    renames = fold_keys(prof.get("columns", {}))
    recs = csv_records(text, delim)
    try:
        hline, header = next(recs)
    except StopIteration:
        raise FileRefused("no header")
    names = [renames.get(cf(h), cf(h)) for h in header]
    if len(set(names)) != len(names):
        raise FileRefused("a column named twice")
    if "exception_id" in names:
        kind = "exceptions"
    else:
        kinds = set()
        if "procedure_id" in names:
            kinds.add("procedures")
        if "event_id" in names:
            kinds.add("events")
        if "result_id" in names or "analyte" in names:
            kinds.add("results")
        if len(kinds) != 1:
            raise FileRefused("kind not recognised")
        kind = kinds.pop()
    stats.kind = kind
    consts = {k: v for k, v in prof.get("constants", {}).items() if k not in names}
    present = set(names) | set(consts)
    need = list(REQUIRED[kind])
    if kind == "results" and "result_id" not in present and "sample_id" not in present:
        need.append("result_id")
    for r in need:
        if r not in present:
            raise FileRefused("missing required column %s" % r)
    fields = KIND_FIELDS[kind]
    keep = [(k, {cf(x) for x in v}) for k, v in prof.get("keep", {}).items() if k in fields]
    skip = [(k, {cf(x) for x in v}) for k, v in prof.get("skip", {}).items() if k in fields]
    for k, _ in keep + skip:
        if k not in present:
            raise FileRefused("profile filters on %s, which the file lacks" % k)
    recode = {k: fold_keys(v) for k, v in prof.get("values", {}).items()}
    has_result_id = "result_id" in present
    seen = {}
    rows = []
    for line, cells in recs:
        stats.read += 1
        if cells is None:
            stats.rejected += 1
            stats.rejects.append((rel, line, "malformed CSV row"))
            continue
        f = {}
        for name, raw in zip(names, cells):
            v = raw.strip()
            if cf(v) in nulls:
                v = ""
            f[name] = v
        for k, v in consts.items():
            f[k] = v
        rule = None
        for k, allowed in keep:
            if cf(f.get(k, "")) == "" or cf(f.get(k, "")) not in allowed:
                rule = "keep " + k
                break
        if rule is None:
            for k, banned in skip:
                if cf(f.get(k, "")) in banned:
                    rule = "skip " + k
                    break
        if rule is not None:
            stats.skipped += 1
            stats.skips[rule] = stats.skips.get(rule, 0) + 1
            continue
        for k, table in recode.items():
            if k in f and cf(f[k]) in table:
                f[k] = table[cf(f[k])]
        try:
            if kind == "procedures":
                rec = make_procedure(f, order)
            elif kind == "events":
                rec = make_event(f, order)
            elif kind == "exceptions":
                rec = make_exception(f, order)
            else:
                rec = make_result(f, order, has_result_id)
        except RowReject as e:
            stats.rejected += 1
            stats.rejects.append((rel, line, str(e)))
            continue
        key = rec["id"]
        if key in seen:
            if seen[key] != rec:
                stats.rejected += 1
                stats.rejects.append((rel, line, "duplicate id with different content"))
                continue
            stats.accepted += 1  # identical repeat: accepted once
            continue
        seen[key] = rec
        stats.accepted += 1
        rows.append(rec)
    stats.records = len(rows)
    store[kind].extend(rows)


XMLNS = "{urn:momaudit:registry-export:1}"


def load_xml_file(path, rel, stats, store):
    tree = ET.parse(path)
    root = tree.getroot()
    export_date = parse_date(root.get("exportDate"))
    stats.kind = "xml"
    seen = {}

    def attrs(el, keys):
        return {k: (el.get(camel(k)) or "").strip() for k in keys}

    for pat in root.findall(XMLNS + "patient"):
        pbase = attrs(pat, ["nhs_number", "sex", "date_of_birth", "local_patient_id"])
        for el in pat:
            tag = el.tag[len(XMLNS):] if el.tag.startswith(XMLNS) else None
            if tag not in ("procedure", "event"):
                continue
            stats.read += 1
            try:
                if tag == "procedure":
                    f = attrs(el, PROC_FIELDS)
                    f.update({k: v for k, v in pbase.items()})
                    comps = [(c.text or "").strip() for c in el.findall(XMLNS + "component")]
                    rec = make_procedure(f, "dmy", export_date)
                    rec["comps"] = [c for c in comps if c]
                    kind = "procedures"
                else:
                    f = attrs(el, EVENT_FIELDS)
                    f["nhs_number"] = pbase["nhs_number"]
                    rec = make_event(f, "dmy")
                    kind = "events"
            except RowReject as e:
                stats.rejected += 1
                stats.rejects.append((rel, el.get(camel(tag + "_id")), str(e)))
                continue
            if rec["id"] in seen:
                if seen[rec["id"]] != rec:
                    stats.rejected += 1
                    stats.rejects.append((rel, rec["id"], "duplicate id with different content"))
                    continue
                stats.accepted += 1
                continue
            seen[rec["id"]] = rec
            stats.accepted += 1
            stats.records += 1
            store[kind].append(rec)


def load_files(entries):
    """entries: list of (path, rel, profile). Later files replace earlier
    records with the same id."""
    store = {"procedures": [], "events": [], "results": [], "exceptions": []}
    all_stats = []
    for path, rel, profile in entries:
        st = FileStats(rel)
        part = {"procedures": [], "events": [], "results": [], "exceptions": []}
        try:
            if path.lower().endswith(".xml"):
                load_xml_file(path, rel, st, part)
            else:
                load_csv_file(path, rel, profile, st, part)
        except FileRefused as e:
            raise SystemExit("%s refused: %s" % (rel, e))
        for kind in store:
            ids = {r["id"] for r in part[kind]}
            store[kind] = [r for r in store[kind] if r["id"] not in ids] + part[kind]
        all_stats.append(st)
    return store, all_stats


# ---- the implant library

LIBRARY = [
    ("Smith & Nephew Birmingham Hip Resurfacing / BHR modular head", ["bhr"]),
    ("Smith & Nephew Birmingham Mid-Head Resection", ["bmhr"]),
    ("DePuy ASR / ASR XL", ["asr"]),
    ("Corin Cormet", ["cormet"]),
    ("Zimmer Durom", ["durom"]),
    ("Wright Conserve Plus", ["conserve", "plus"]),
    ("Finsbury / MatOrtho ADEPT", ["adept"]),
    ("Biomet ReCap", ["recap"]),
    ("Finsbury MITCH TRH", ["mitch", "trh"]),
    ("Biomet M2a-Magnum", ["magnum"]),
    ("Biomet M2a-38", ["m2a", "38"]),
    ("DePuy Pinnacle Ultamet metal liner", ["ultamet"]),
    ("Zimmer Metasul", ["metasul"]),
]


def words(text):
    return {w.lower() for w in re.findall(r"[A-Za-z0-9_]+", text)}


def library_match(comps):
    for entry, tokens in LIBRARY:
        for c in comps:
            w = words(c)
            if all(t in w for t in tokens):
                return entry
    return None


def is_asr(comps):
    return any("asr" in words(c) for c in comps)


# ---- ranges of (possibly censored) values

def vrange(val):
    """val = (comparator, number, unit, ug) -> (lo, lo_open, hi, hi_open) in ug/L."""
    c, _, _, u = val
    inf = float("inf")
    if c is None:
        return (u, False, u, False)
    if c == "<":
        return (0.0, False, u, True)
    if c == "<=":
        return (0.0, False, u, False)
    if c == ">":
        return (u, True, inf, True)
    return (u, False, inf, True)


def above(val, limit):
    lo, lo_open, _, _ = vrange(val)
    return lo > limit or (lo == limit and lo_open)


def not_above(val, limit):
    return vrange(val)[2] <= limit


def higher(a, b):
    alo, alo_open, _, _ = vrange(a)
    _, _, bhi, bhi_open = vrange(b)
    return alo > bhi or (alo == bhi and (alo_open or bhi_open))


# ---- the check

THRESHOLD = 7.0
GROUP_IMAGING = {"ASR", "STEMMED_LARGE_HEAD", "RESURFACING_HIGH_RISK"}


def key_of(x):
    return (x["date"], x["id"])


def assemble_tests(results, as_of):
    """Ion tests from results <= as_of (registry-export.md, Results)."""
    groups = {}
    for r in results:
        if r["date"] > as_of:
            continue
        if r["sample_id"]:
            k = (r["nhs"], "s", r["sample_id"], r["sample"])
        else:
            k = (r["nhs"], "d", r["date"], r["sample"])
        groups.setdefault(k, []).append(r)
    tests = []
    for k, rs in groups.items():
        t = {"id": min(r["id"] for r in rs), "nhs": k[0], "date": min(r["date"] for r in rs),
             "type": "blood_metal_ions", "side": None, "sample": k[3], "co": None, "cr": None,
             "dates_differ": len({r["date"] for r in rs}) > 1, "conflicts": [], "from_results": True,
             "rows": len(rs)}
        for metal, fld in (("cobalt", "co"), ("chromium", "cr")):
            vals = [r["val"] for r in rs if r["analyte"] == metal]
            if not vals:
                continue
            if len({(v[0], v[3]) for v in vals}) > 1:
                t["conflicts"].append(metal)
                continue
            t[fld] = vals[0]
        tests.append(t)
    return tests


def month_interval(group, ref, impl_date):
    if group in GROUP_IMAGING:
        return 12
    return 12 if ref < add_months(impl_date, 60) else 24


class Audit:
    """The figures of one check run, with each patient's outcome."""

    def __init__(self):
        self.W = {}
        self.patients = {}  # nhs -> {"status", "groups", "findings", "flags", "warnings"}
        self.findings = {}
        self.flags = {}
        self.exclusions = {}
        self.groups = {}
        self.ways = {"bearing": 0, "components": 0, "assumed": 0}
        self.entries = {}
        self.finding_rows = []
        self.guards = []  # readings the data is built to be indifferent to

    def pat(self, nhs):
        return self.patients.setdefault(nhs, {"status": "not_mom", "groups": set(), "findings": set(),
                                              "flags": set(), "warnings": set()})

    def warn(self, nhs, code_):
        self.W[code_] = self.W.get(code_, 0) + 1
        self.pat(nhs)["warnings"].add(code_)


def implant_group(i):
    if is_asr(i["comps"]):
        return "ASR"
    if i["ptype"] in ("total_hip", "revision"):
        if i["head"] is None or i["head"] >= 36:
            return "STEMMED_LARGE_HEAD"
        return "STEMMED_SMALL_HEAD"
    if i["sex"] != "M" or i["head"] is None or i["head"] <= 48:
        return "RESURFACING_HIGH_RISK"
    return "RESURFACING_LOW_RISK"


def check(store, as_of):
    A = Audit()
    procs = [p for p in store["procedures"] if p["date"] <= as_of]
    events = [e for e in store["events"] if e["date"] <= as_of]
    tests_r = assemble_tests(store["results"], as_of)
    by_pat = {}
    for p in procs:
        by_pat.setdefault(p["nhs"], {"procs": [], "events": []})["procs"].append(p)
    for e in events + tests_r:
        by_pat.setdefault(e["nhs"], {"procs": [], "events": []})["events"].append(e)
    for t in tests_r:
        if t["dates_differ"]:
            A.warn(t["nhs"], "SAMPLE_DATES_DIFFER")
        for _ in t["conflicts"]:
            A.warn(t["nhs"], "CONFLICTING_RESULTS")
    THR = THRESHOLD

    def uncertain(v):
        return v is not None and not above(v, THR) and not not_above(v, THR)

    for nhs in sorted(by_pat):
        P = by_pat[nhs]
        pp = sorted(P["procs"], key=key_of)
        ev = sorted(P["events"], key=key_of)
        D_ = A.pat(nhs)
        ions_all = [e for e in ev if e["type"] == "blood_metal_ions" and (e["co"] or e["cr"])]
        # event-level warnings: every patient, records <= as_of
        if not pp:
            for e in ev:
                A.warn(nhs, "ORPHAN_EVENT")
                if e.get("from_results") and e["rows"] > 1:
                    A.guards.append("orphan test of several result rows")
        else:
            for e in ev:
                if e["date"] < pp[0]["date"]:
                    A.warn(nhs, "EVENT_BEFORE_PROCEDURE")
                    if e.get("from_results") and e["rows"] > 1:
                        A.guards.append("test of several result rows before the first procedure")
        for t in ions_all:
            if t["sample"] != "whole_blood":
                A.warn(nhs, "SAMPLE_NOT_WHOLE_BLOOD")
                if uncertain(t["co"]) or uncertain(t["cr"]):
                    A.guards.append("uncertain value in a serum/plasma test")
            inband = [f for f, lo, hi in (("co", 118, 120), ("cr", 134, 135))
                      if t[f] and t[f][0] is None and t[f][2] == "nmol/L" and lo <= t[f][1] <= hi]
            if inband:
                A.warn(nhs, "THRESHOLD_ROUNDING_BAND")
                if len(inband) > 1:
                    A.guards.append("both metals of a test in the rounding band")
        wb = [t for t in ions_all if t["sample"] == "whole_blood"]
        for t in wb:
            u = [f for f in ("co", "cr") if uncertain(t[f])]
            if u:
                A.warn(nhs, "CENSORED_RESULT_UNCERTAIN")
                if len(u) > 1:
                    A.guards.append("both metals of a test uncertain")
        if len({p["sex"] for p in pp if p["sex"] != "U"}) > 1:
            A.warn(nhs, "SEX_INCONSISTENT")
        # MoM implants and how each was found
        implants = []
        for p in pp:
            way = None
            if p["bearing"] == "MoM":
                way = "bearing"
            elif p["bearing"] == "unknown":
                entry = library_match(p["comps"])
                if entry:
                    way = "components"
                    A.entries[entry] = A.entries.get(entry, 0) + 1
                    A.warn(nhs, "BEARING_FROM_COMPONENTS")
                elif p["ptype"] == "resurfacing":
                    way = "assumed"
                    A.warn(nhs, "BEARING_ASSUMED_MOM")
            if way:
                A.ways[way] += 1
                p["way"] = way
                implants.append(p)
        if not implants:
            continue
        revisions = [p for p in pp if p["ptype"] == "revision"]

        def ended_by(i):
            rs = [r for r in revisions if r["side"] == i["side"] and r is not i and
                  (r["date"] > i["date"] or (r["date"] == i["date"] and i["ptype"] != "revision"))]
            return min(rs, key=key_of) if rs else None

        active, last_end = [], None
        for i in implants:
            r = ended_by(i)
            if r is None:
                active.append(i)
            elif last_end is None or key_of(r) > key_of(last_end):
                last_end = r
        grp = {i["id"]: implant_group(i) for i in active}
        # implant warnings: every MoM implant <= as_of, whatever the patient's status
        for i in implants:
            if i["head"] is None:
                A.warn(nhs, "HEAD_SIZE_UNKNOWN")

        def sex_decides(i):
            return i["ptype"] == "resurfacing" and i["sex"] == "U" and i["head"] is not None and i["head"] > 48
        if any(sex_decides(i) for i in implants):
            A.warn(nhs, "SEX_UNKNOWN")  # once per patient
            if not any(sex_decides(i) for i in active):
                A.guards.append("SEX_UNKNOWN only on a revised implant")
        if any(i["ptype"] == "resurfacing" and i["sex"] == "U" and i["head"] is None for i in implants):
            A.guards.append("resurfacing with unknown sex and unknown head")
        # exclusions (the latest applicable wins)
        reviews = [e for e in ev if e["type"] == "review"]
        cands = []
        deaths = [e for e in ev if e["type"] == "death"]
        if deaths:
            cands.append((key_of(deaths[-1]), "deceased"))
        for typ, reason in (("transferred_out", "transferred_out"), ("declined_follow_up", "declined")):
            xs = [e for e in ev if e["type"] == typ]
            if xs:
                x = xs[-1]
                back = any(e["date"] > x["date"] for e in reviews + wb) or \
                    any(p["date"] > x["date"] for p in pp)
                if not back:
                    cands.append((key_of(x), reason))
        if not active:
            cands.append((key_of(last_end), "revised"))
        if cands:
            reason = max(cands)[1]
            A.exclusions[reason] = A.exclusions.get(reason, 0) + 1
            D_["status"] = reason
            continue
        D_["status"] = "in_surveillance"
        D_["implants"] = [i["id"] for i in active]
        for g in grp.values():
            A.groups[g] = A.groups.get(g, 0) + 1
            D_["groups"].add(g)
        imaging = [e for e in ev if e["type"] in ("mars_mri", "ultrasound")]

        def finding(code_, impl, due):
            A.findings[code_] = A.findings.get(code_, 0) + 1
            D_["findings"].add(code_)
            A.finding_rows.append((nhs, code_, impl["id"], due, (as_of - due).days))

        def flag(code_):
            A.flags[code_] = A.flags.get(code_, 0) + 1
            D_["flags"].add(code_)

        def periodic(code_, done):
            best = None
            for i in active:
                later = [e for e in done if e["date"] >= i["date"]]
                ref = later[-1]["date"] if later else i["date"]
                due = add_months(ref, month_interval(grp[i["id"]], ref, i["date"]))
                k = (due, i["date"], i["id"])
                if best is None or k < best[0]:
                    best = (k, i)
            (due, _, _), i = best
            if as_of > due:
                finding(code_, i, due)
            return i

        periodic("REVIEW_OVERDUE", reviews)
        gov = periodic("IONS_OVERDUE", wb)
        if wb:
            last = wb[-1]
            if any(last[f] and above(last[f], THR) for f in ("co", "cr")):
                due = add_months(last["date"], 3)
                if as_of > due:
                    finding("ION_REPEAT_OVERDUE", gov, due)
                prev = wb[-2] if len(wb) > 1 else None
                rising = prev is not None and any(
                    last[f] and above(last[f], THR) and prev[f] and higher(last[f], prev[f])
                    for f in ("co", "cr"))
                if rising:
                    flag("RISING_IONS")
                    lo = add_days(last["date"], -90)
                    if not any(lo <= e["date"] for e in imaging):
                        due = add_months(last["date"], 3)
                        if as_of > due:
                            finding("IMAGING_RISING_IONS_OVERDUE", gov, due)
        if reviews and reviews[-1]["sym"] is True:
            rv = reviews[-1]
            lo = add_days(rv["date"], -90)
            for i in active:
                if i["date"] > rv["date"]:
                    continue
                if rv["side"] is not None and rv["side"] != i["side"]:
                    continue
                if any(lo <= e["date"] and e["side"] in (None, i["side"]) for e in imaging):
                    continue
                due = add_months(rv["date"], 3)
                if as_of > due:
                    finding("IMAGING_SYMPTOMS_OVERDUE", i, due)
        cons = False
        for i in active:
            mine = [e for e in imaging if e["side"] in (None, i["side"])]
            if grp[i["id"]] in GROUP_IMAGING and not any(e["date"] > i["date"] for e in mine):
                due = add_months(i["date"], 12)
                if as_of > due:
                    finding("IMAGING_BASELINE_MISSING", i, due)
            since = [e for e in mine if e["date"] >= i["date"]]
            if since and since[-1]["finding"] in ("muscle_or_bone_damage", "pseudotumour"):
                cons = True
        if cons:
            flag("CONSIDER_REVISION_IMAGING")
        scored = [e for e in reviews if e["ohs"] is not None]
        if len(scored) >= 2 and scored[-2]["ohs"] - scored[-1]["ohs"] >= 5:
            flag("OHS_DETERIORATING")
        appts = [e for e in ev if e["type"] in ("review", "blood_metal_ions", "mars_mri",
                                                 "ultrasound", "xray", "did_not_attend")]
        if appts and appts[-1]["type"] == "did_not_attend":
            flag("DID_NOT_ATTEND")
    return A


# ---- clinicians' exceptions (surveillance-rules.md §8)

EXCEPTION_MAX_MONTHS = 12  # the rule pack's exception_max_months
EXCEPTION_REVIEW_DAYS = 30  # "due for review": review_by within this many days of the as-of date
EXCEPTION_REASON_LIST = ["clinically_unsuitable", "informed_dissent", "individual_plan"]
IMPLANT_FINDINGS = {"IMAGING_SYMPTOMS_OVERDUE", "IMAGING_BASELINE_MISSING"}  # the others name the governing implant


def exception_state(x, as_of):
    """An exception recorded on or before as_of: in_force, expired or too_long."""
    if x["review"] > add_months(x["recorded"], EXCEPTION_MAX_MONTHS):
        return "too_long"
    return "in_force" if as_of <= x["review"] else "expired"


def exception_first(x):
    """Sort key: the exception that applies first (the latest review_by, then the
    smallest id in code-point order)."""
    return (-x["review"].toordinal(), x["id"])


def apply_exceptions(A, exceptions, as_of):
    """Takes the excepted findings out of A (findings, finding rows, each patient's
    codes), warns EXCEPTION_TOO_LONG, and returns what the exceptions did:
    {"states": {id: state}, "excepted": [(finding row, exception)],
     "notes": [(finding row, expired exception)], "due": [exception], "before": rows}."""
    xs = sorted((x for x in exceptions if x["recorded"] <= as_of), key=lambda x: x["id"])
    states = {x["id"]: exception_state(x, as_of) for x in xs}
    by_pat = {}
    for x in xs:
        by_pat.setdefault(x["nhs"], []).append(x)
        if states[x["id"]] == "too_long":
            A.warn(x["nhs"], "EXCEPTION_TOO_LONG")
    for nhs, mine in by_pat.items():
        if sum(1 for x in mine if states[x["id"]] == "too_long") > 1:
            A.guards.append("two too-long exceptions of one patient (one warning per exception or per patient?)")
    kept, excepted, notes = [], [], []
    for row in A.finding_rows:
        nhs, code_, pid = row[0], row[1], row[2]
        match = [x for x in by_pat.get(nhs, []) if x["finding"] in (code_, "ALL")
                 and (x["proc"] is None or x["proc"] == pid)]
        if any(x["proc"] is not None for x in match) and code_ not in IMPLANT_FINDINGS \
                and len(A.patients[nhs].get("implants", [])) > 1:
            A.guards.append("an implant-limited exception on a patient-level finding of a patient with "
                            "several implants (which implant governs?)")
        live = [x for x in match if states[x["id"]] == "in_force"]
        if live:
            excepted.append((row, min(live, key=exception_first)))
            continue
        gone = [x for x in match if x["review"] < as_of]
        if gone:
            if any(states[x["id"]] == "too_long" for x in gone):
                A.guards.append("a too-long exception whose review_by has passed matches a finding "
                                "(does its expiry return the finding with a note?)")
            notes.append((row, min(gone, key=exception_first)))
        kept.append(row)
    due = [x for x in xs if states[x["id"]] == "in_force"
           and A.patients.get(x["nhs"], {}).get("status") == "in_surveillance"
           and x["review"] <= add_days(as_of, EXCEPTION_REVIEW_DAYS)]
    before = A.finding_rows
    A.finding_rows = kept
    A.findings = {}
    for row in kept:
        A.findings[row[1]] = A.findings.get(row[1], 0) + 1
    for nhs, P in A.patients.items():
        P["findings"] = {row[1] for row in kept if row[0] == nhs}
    return {"states": states, "excepted": excepted, "notes": notes, "due": due, "before": before}



def finding_key(row, x):
    """'nhs_number finding procedure_id exception_id', as expected.json lists them."""
    return "%s %s %s %s" % (row[0], row[1], row[2], x["id"])


def read_delivery():
    """The manifest's sources in order, each file with its source and profile
    (re-read from the TOML written, when tomllib is there to read it)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11: use the structures the TOML was written from
        tomllib = None
    sources = SOURCES
    if tomllib is not None:
        with open(os.path.join(HERE, "sources.toml"), "rb") as fh:
            manifest = tomllib.load(fh)
        assert manifest == {"source": SOURCES}, "sources.toml does not read back"
        sources = manifest["source"]
    entries = []
    for s in sources:
        prof = None
        if "profile" in s:
            prof = PROFILES[s["name"]]
            if tomllib is not None:
                with open(os.path.join(HERE, s["profile"]), "rb") as fh:
                    prof = tomllib.load(fh)
                assert prof == PROFILES[s["name"]], "%s does not read back" % s["profile"]
        path = os.path.join(HERE, s["path"])
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.lower().endswith((".csv", ".xml")))
            files = [os.path.join(path, n) for n in names]
        else:
            files = [path]
        for f in files:
            entries.append((f, os.path.relpath(f, HERE).replace(os.sep, "/"), prof, s["name"]))
    return entries


def verify_cases(A):
    """Every planted case must come out as it was designed."""
    bad = []
    for p in CASES:
        exp = p.expect
        got = A.patients.get(p.nhs, {"status": "not_mom", "groups": set(), "findings": set(),
                                     "flags": set(), "warnings": set()})
        want_status = "not_mom" if exp["status"] == "rejected" else exp["status"]
        diffs = []
        if got["status"] != want_status:
            diffs.append("status %s, designed %s" % (got["status"], want_status))
        for k in ("groups", "findings", "flags", "warnings"):
            if sorted(got[k]) != sorted(exp[k]):
                diffs.append("%s %s, designed %s" % (k, sorted(got[k]), sorted(exp[k])))
        if diffs:
            bad.append("%s: %s" % (p.label, "; ".join(diffs)))
    return bad


ALL_FINDINGS = ["REVIEW_OVERDUE", "IONS_OVERDUE", "ION_REPEAT_OVERDUE", "IMAGING_RISING_IONS_OVERDUE",
                "IMAGING_SYMPTOMS_OVERDUE", "IMAGING_BASELINE_MISSING"]
ALL_FLAGS = ["CONSIDER_REVISION_IMAGING", "RISING_IONS", "OHS_DETERIORATING", "DID_NOT_ATTEND"]
ALL_WARNINGS = ["CENSORED_RESULT_UNCERTAIN", "SAMPLE_DATES_DIFFER", "CONFLICTING_RESULTS", "BEARING_FROM_COMPONENTS",
                "BEARING_ASSUMED_MOM", "SAMPLE_NOT_WHOLE_BLOOD", "THRESHOLD_ROUNDING_BAND", "ORPHAN_EVENT",
                "SEX_INCONSISTENT", "HEAD_SIZE_UNKNOWN", "EVENT_BEFORE_PROCEDURE", "SEX_UNKNOWN",
                "EXCEPTION_TOO_LONG"]


def coverage(fig, A):
    """What the sample must exercise; returns what it does not."""
    missing = ["finding " + c for c in ALL_FINDINGS if not fig["findings"].get(c)]
    missing += ["flag " + c for c in ALL_FLAGS if not fig["clinicalFlags"].get(c)]
    missing += ["warning " + c for c in ALL_WARNINGS if not fig["warningsByCode"].get(c)]
    missing += ["library entry " + e for e, _ in LIBRARY if not A.entries.get(e)]
    missing += ["MoM by " + w for w, n in fig["momImplantsByWay"].items() if not n]
    missing += ["excepted for reason " + r for r, n in fig["exceptedByReason"].items() if not n]
    if not fig["findingsWithExpiredException"]:
        missing.append("a finding back after its exception expired")
    if not fig["exceptionsDueForReview"]:
        missing.append("an exception due for review")
    for s in SOURCES:
        prof = PROFILES.get(s["name"], {})
        skips = {}
        for f in fig["files"].values():
            if f["source"] == s["name"]:
                for k, v in f["skips"].items():
                    skips[k] = skips.get(k, 0) + v
        for kind in ("keep", "skip"):
            for field in prof.get(kind, {}):
                if not skips.get("%s %s" % (kind, field)):
                    missing.append("%s rule %s %s" % (s["name"], kind, field))
    return missing


def sorted_counts(d):
    return {k: d[k] for k in sorted(d)}


def expected_figures(A, X, stats, sources_of):
    files = {}
    for st in stats:
        assert st.read == st.accepted + st.rejected + st.skipped, st.path
        files[st.path] = {"source": sources_of[st.path], "kind": st.kind, "rowsRead": st.read,
                          "rowsAccepted": st.accepted, "rowsRejected": st.rejected,
                          "rowsSkipped": st.skipped, "skips": sorted_counts(st.skips),
                          "recordsLoaded": st.records}
    status = [p["status"] for p in A.patients.values()]

    def per_patient(what):  # distinct patients (NHS numbers) per flag or warning code
        out = {}
        for p in A.patients.values():
            for c in p[what]:
                out[c] = out.get(c, 0) + 1
        return out
    return {
        "asOf": AS_OF.isoformat(),
        "exportDate": EXPORT_DATE.isoformat(),
        "manifest": "sources.toml",
        "momPatients": sum(1 for s in status if s != "not_mom"),
        "inSurveillance": sum(1 for s in status if s == "in_surveillance"),
        "exclusions": sorted_counts(A.exclusions),
        "groups": sorted_counts(A.groups),
        "findings": sorted_counts(A.findings),
        "findingPatients": sum(1 for p in A.patients.values() if p["findings"]),
        "excepted": {c: sum(1 for row, _ in X["excepted"] if row[1] == c) for c in sorted(ALL_FINDINGS)},
        "exceptedByReason": {r: sum(1 for _, x in X["excepted"] if x["reason"] == r)
                             for r in EXCEPTION_REASON_LIST},
        "exceptionsDueForReview": len(X["due"]),
        "findingsWithExpiredException": len(X["notes"]),
        "expiryNotes": sorted(finding_key(row, x) for row, x in X["notes"]),
        "exceptedRows": sorted(finding_key(row, x) for row, x in X["excepted"]),
        "clinicalFlags": sorted_counts(A.flags),
        "clinicalFlagPatients": sorted_counts(per_patient("flags")),
        "warningsByCode": sorted_counts(A.W),
        "warningPatients": sorted_counts(per_patient("warnings")),
        "momImplantsByWay": A.ways,
        "libraryEntries": sorted_counts(A.entries),
        "rowsRead": sum(s.read for s in stats),
        "rowsAccepted": sum(s.accepted for s in stats),
        "rowsRejected": sum(s.rejected for s in stats),
        "rowsSkipped": sum(s.skipped for s in stats),
        "files": files,
        "rejects": [{"file": f, "at": str(at), "reason": why} for st in stats for f, at, why in st.rejects],
    }


def case_files(p):
    """Which exports carry a planted patient's records."""
    if p.site == XML_SITE:
        return ["site-rxh02.xml"]
    out = ["theatre"] if p.procs else []
    kinds = {e.etype for e in p.events}
    if "blood_metal_ions" in kinds:
        out.append("lims")
    if kinds & set(PAS_TYPES):
        out.append("pas")
    if kinds & set(RIS_TYPES):
        out.append("ris")
    if kinds & set(SPINE_TYPES):
        out.append("spine")
    return out


def print_case_table():
    short = {"ASR": "ASR", "STEMMED_LARGE_HEAD": "LARGE", "RESURFACING_HIGH_RISK": "HIGH",
             "RESURFACING_LOW_RISK": "LOW", "STEMMED_SMALL_HEAD": "SMALL"}
    print("| case | NHS number | exports | what it is | expected as of %s |" % AS_OF.isoformat())
    print("|---|---|---|---|---|")
    for p in CASES:
        e = p.expect
        if e["status"] == "in_surveillance":
            out = "groups %s; findings: %s" % ("+".join(short[g] for g in e["groups"]),
                                               ", ".join(e["findings"]) or "none")
            if e["flags"]:
                out += "; flags: " + ", ".join(e["flags"])
        elif e["status"] == "rejected":
            out = "row rejected"
        elif e["status"] == "not_mom":
            out = "not a MoM patient"
        else:
            out = "excluded: " + e["status"]
        if e["warnings"]:
            out += "; warnings: " + ", ".join(e["warnings"])
        n = p.nhs
        print("| %s | %s %s %s | %s | %s | %s |" % (p.label, n[:3], n[3:6], n[6:],
                                                   ", ".join(case_files(p)),
                                                   p.purpose.replace("|", "/"), out))


def verify_referral(A0, A, store, placed):
    """The referral file must change exactly what it was built to change:
    CONFLICT-LATEST's patient is no longer overdue for ions, the two conflicts
    are warned, and nothing else moves."""
    bad = []
    kinds = {nhs: kind for kind, nhs, _ in placed}
    blank = {"status": "not_mom", "groups": set(), "findings": set(), "flags": set(), "warnings": set()}
    for nhs in sorted(set(A0.patients) | set(A.patients)):
        a0, a = A0.patients.get(nhs, blank), A.patients.get(nhs, blank)
        want = {k: set(a0[k]) if k != "status" else a0[k] for k in blank}
        if kinds.get(nhs) == "CONFLICT-LATEST":
            want["findings"].discard("IONS_OVERDUE")
        if kinds.get(nhs) in ("CONFLICT-LATEST", "CONFLICT-OLDER"):
            want["warnings"].add("CONFLICTING_RESULTS")
        got = {k: set(a[k]) if k != "status" else a[k] for k in blank}
        if got != want:
            bad.append("referral sample of %s (%s): %s, designed %s" % (nhs, kinds.get(nhs, "none"), got, want))
    if A.W.get("CONFLICTING_RESULTS") != 2:
        bad.append("CONFLICTING_RESULTS %s, designed 2" % A.W.get("CONFLICTING_RESULTS"))
    seen = 0
    for t in assemble_tests(store["results"], AS_OF):
        if t["id"].startswith("RN"):
            seen += 1
            lab = [r["sample_id"] for r in store["results"] if r["id"] == t["id"]][0]
            kind = [k for k, _, l in placed if l == lab][0]
            want = {"CONFLICT-LATEST": (["cobalt"], False, True), "CONFLICT-OLDER": (["chromium"], True, False),
                    "EQUAL": ([], True, True), "PLAIN": ([], True, True)}[kind]
            if (t["conflicts"], t["co"] is not None, t["cr"] is not None) != want:
                bad.append("referral test %s (%s) assembled as %s" % (t["id"], kind, t))
            if kind == "EQUAL" and (t["co"][0], t["co"][3]) != (None, 9.0):
                bad.append("referral test %s: cobalt %s, designed 9" % (t["id"], t["co"]))
    if seen != len(placed):
        bad.append("%d referral tests, designed %d" % (seen, len(placed)))
    return bad


def verify_exceptions(A, X, store, stats, placed):
    """Every row of the clinic's export must do what EXCEPTION_PLAN says, and
    nothing else may change."""
    bad = []
    loaded = {x["id"] for x in store["exceptions"]}
    design = {e[0]: e[9] for e in EXCEPTION_PLAN}
    want_exc, want_notes = set(), set()
    for key, (xid, nhs, pid) in placed.items():
        state, excepts, notes, due = design[key]
        if xid not in loaded:
            got_state = "rejected"
        else:
            got_state = X["states"].get(xid, "ignored")
        got_exc = sorted(row[1] for row, x in X["excepted"] if x["id"] == xid)
        got_notes = sorted(row[1] for row, x in X["notes"] if x["id"] == xid)
        got_due = any(x["id"] == xid for x in X["due"])
        if (got_state, got_exc, got_notes, got_due) != (state, sorted(excepts), sorted(notes), due):
            bad.append("exception %s (%s): %s, designed %s"
                       % (xid, key, (got_state, got_exc, got_notes, got_due), (state, excepts, notes, due)))
        if pid is not None and any(row[2] != pid for row, x in X["excepted"] if x["id"] == xid):
            bad.append("exception %s (%s) excepts a finding of another implant" % (xid, key))
        want_exc |= {(nhs, c) for c in excepts}
        want_notes |= {(nhs, c) for c in notes}
    got_exc = [(row[0], row[1]) for row, _ in X["excepted"]]
    got_notes = [(row[0], row[1]) for row, _ in X["notes"]]
    if sorted(got_exc) != sorted(want_exc) or sorted(got_notes) != sorted(want_notes):
        bad.append("exceptions act on findings they were not designed for")
    if len(X["before"]) != len(A.finding_rows) + len(X["excepted"]):
        bad.append("finding rows do not add up")
    rej = [st for st in stats if st.kind == "exceptions"]
    n_rej = sum(1 for d in design.values() if d[0] == "rejected")
    if len(rej) != 1 or rej[0].rejected != n_rej:
        bad.append("exceptions file: %s rejected rows, designed %d" % ([st.rejected for st in rej], n_rej))
    n_long = sum(1 for d in design.values() if d[0] == "too_long")
    if A.W.get("EXCEPTION_TOO_LONG", 0) != n_long:
        bad.append("EXCEPTION_TOO_LONG %s, designed %d" % (A.W.get("EXCEPTION_TOO_LONG"), n_long))
    return bad


def main():
    import json
    import sys
    patients = build()
    counts = write_exports(patients)
    entries = read_delivery()
    sources_of = {rel: src for _, rel, _, src in entries}
    # the delivery without the referral laboratory: its samples are placed by it
    store0, _ = load_files([(f, rel, prof) for f, rel, prof, src in entries
                            if src not in ("referral-lab", "clinic-exceptions")])
    A0 = check(store0, AS_OF)
    counts["exports/referral-lab-results.csv"], placed = write_referral(patients, store0, A0)
    counts["exports/clinic-exceptions.csv"], xplaced = write_exceptions(patients)
    store, stats = load_files([(f, rel, prof) for f, rel, prof, _ in entries])
    A = check(store, AS_OF)
    # planted cases and the referral file are judged on the rules' findings, before exceptions
    bad = verify_cases(A) + verify_referral(A0, A, store, placed)
    X = apply_exceptions(A, store["exceptions"], AS_OF)
    bad += verify_exceptions(A, X, store, stats, xplaced)
    for b in bad:
        print("PLANTED CASE DIFFERS: " + b, file=sys.stderr)
    for g in sorted(set(A.guards)):
        print("DATA TOUCHES AN AMBIGUITY: " + g, file=sys.stderr)
    fig = expected_figures(A, X, stats, sources_of)
    missing = coverage(fig, A)
    for m in missing:
        print("NOT EXERCISED: " + m, file=sys.stderr)
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(fig, indent=2, ensure_ascii=False) + "\n")
    for st in stats:
        print("%-45s %-10s read %6d  accepted %6d  rejected %3d  skipped %5d  %s"
              % (st.path, st.kind, st.read, st.accepted, st.rejected, st.skipped,
                 ", ".join("%s %d" % (k, v) for k, v in sorted(st.skips.items()))))
    print("MoM patients %d, in surveillance %d; exclusions %s"
          % (fig["momPatients"], fig["inSurveillance"], fig["exclusions"]))
    print("findings %s (after exceptions; %d patients)" % (fig["findings"], fig["findingPatients"]))
    print("excepted %s; by reason %s; due for review %d; back after expiry %d"
          % (fig["excepted"], fig["exceptedByReason"], fig["exceptionsDueForReview"],
             fig["findingsWithExpiredException"]))
    print("flags %s" % fig["clinicalFlags"])
    print("warnings %s" % fig["warningsByCode"])
    print("MoM implants by way %s; rows read %d = accepted %d + rejected %d + skipped %d"
          % (fig["momImplantsByWay"], fig["rowsRead"], fig["rowsAccepted"], fig["rowsRejected"],
             fig["rowsSkipped"]))
    if "--cases" in sys.argv:
        print_case_table()
        for kind, nhs, lab in placed:
            print("referral %s: %s %s %s, sample %s" % (kind, nhs[:3], nhs[3:6], nhs[6:], lab))
        for key, (xid, nhs, pid) in sorted(xplaced.items(), key=lambda x: x[1][0]):
            print("exception %s (%s): %s %s %s%s, %s" % (xid, key, nhs[:3], nhs[3:6], nhs[6:],
                                                       ", " + pid if pid else "",
                                                       X["states"].get(xid, "not in force: rejected or later")))
    if bad or A.guards or missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
