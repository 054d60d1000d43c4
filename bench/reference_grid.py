#!/usr/bin/python3
"""Independent pandas reference implementation of the Ringfence indicator catalogue, version 1.

Usage:
    /usr/bin/python3 bench/reference_grid.py --data DIR --la CODE --year YYYY [--postcodes FILE]

Reads every *.csv in DIR, recognises each table by its header row, computes every cell of the
catalogue-v1 grid (13 indicators x their breakdowns x groups, zeros included) and prints the
exact preview format: `indicator,breakdown,group,value`, one line per cell, in catalogue order.

This file was written from the catalogue specification (indicators.md, catalogue version 1),
not from the C++ node, so that the two implementations check each other. It is also a fair
pandas benchmark against the node: all per-child work is vectorised (groupby / merge /
boolean masks / numpy), and only the columns the grid uses are parsed. The one row loop is the
ragged-line check of a file that contains double quotes (the csv module counts its fields);
quote-free files are checked with a vectorised byte count.

It assumes the input is valid (strict validation is the node's job), but it fails loudly
(exit status 1, message on stderr) on anything it cannot interpret instead of guessing: an
unrecognised CSV, two files for one table, a missing Header, a ragged line, a malformed date,
an unknown code, a CHILD absent from Header, duplicate CHILDs where they must be unique, two
current episodes that tie, a duplicate postcode with conflicting data, a negative age.

Interpretations of points the specification leaves open (each also noted where it is coded):
  I1  A file is table T when its header holds all of T's columns (extra columns ignored); a
      header matching no table or more than one table, or repeating a column name, is an
      error. Blank lines are skipped.
  I2  `--postcodes FILE` supplies the postcode table; a postcode table found in DIR is used
      when the flag is absent; both at once is an error (two files holding one table).
      No postcode table at all means every distance and placement LA is unknown.
  I3  Codes (SEX, ETHNIC, RNE, LS, PLACE, REC, MISSING, IN_TOUCH, ACTIV, ACCOM, NATIONALITY,
      IMMIGRATION_STATUS, NRPF, utla) are trimmed of ASCII spaces/tabs and upper-cased before
      comparison; CHILD identifiers are trimmed only. Dates are not trimmed ("exactly
      dd/mm/yyyy").
  I4  Ceased reason: the last qualifying episode is the one with the latest DEC; ties go to
      the later DECOM (spec); a remaining tie (same DEC and DECOM) goes to the later row in
      the file (by analogy with the placement-order rule).
  I5  Placements: "ordered by DECOM", ties by file order (spec). The count is
      1 + the number of later episodes whose RNE is S, P, T, U or B.
  I6  Started age: the DECOM of the child's earliest qualifying RNE = S episode (file order
      breaks a DECOM tie; it cannot change the age). Missing/away age: the earliest MIS_START
      in the year among that child's rows of that kind.
  I7  Distance "more than 20.0 miles": with D2 = dE^2 + dN^2 (integer metres^2),
      round_half_up(sqrt(D2)/1609.3, 1) > 20.0  <=>  sqrt(D2)/1609.3 >= 20.05
      <=>  D2 >= 32266.465^2 = 1041124763.596225  <=>  D2 >= 1041124764 (D2 integer).
      Decided in exact integer arithmetic (the bound is checked with decimal at start-up).
  I8  Distance is known only when both postcodes are non-blank, both are in the table and both
      rows have both coordinates. out_of_area needs only the placement postcode to be in the
      table with a non-blank utla; it counts when utla != --la (both trimmed, upper-cased).
  I9  Only the postcode-table rows whose key a cohort child uses are examined. Duplicate
      keys among them (after normalisation): identical rows are collapsed; conflicting rows
      are an error (the spec is silent; NSPL keys are unique).
  I10 Nationality: the 249 officially assigned ISO 3166-1 alpha-3 codes are valid (so the
      user-assigned XKX for Kosovo is NOT valid and is an error); EU/EEA/Swiss = the 27 EU
      states + ISL, LIE, NOR, CHE. IMMIGRATION_STATUS accepts exactly the nine spellings
      listed in the spec (EUSS statuses are recorded as SETTLED / LIMITED_LEAVE).
  I11 Header SEX must be in the year's list (1/2 up to 2024, M/F/U from 2025); PLACE of every
      non-short-break episode must be in the year's list (K3 from 2025; from 2026 Z11-Z14
      replace H5, P2 and Z1). LS of the current episode must map to a legal_status group;
      ETHNIC must be W*/M*/A*/B*, CHNE, OOTH, REFU or NOBT.
  I12 Missing rows whose MISSING is neither M nor A are ignored (neither indicator counts them).
  I13 Care leavers: each OC3 row is one child (CHILD unique in OC3); DOB comes from Header
      (the OC3 DOB column is not used).
"""

import argparse
import csv
import decimal
import glob
import io
import os
import sys

import numpy as np
import pandas as pd


class InputError(Exception):
    """Input the reference cannot interpret: reported and exit status 1."""


# ---------------------------------------------------------------------------------------------
# Table recognition (column sets as in node/ssda903_schema.h)

TABLES = {
    "Header": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "Episodes": ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
    "UASC": ["CHILD", "SEX", "DOB", "DUC"],
    "Reviews": ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
    "OC2": ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK",
            "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
            "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"],
    "OC3": ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
    "AD1": ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
            "LS_ADOPTR"],
    "PlacedAdoption": ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED",
                       "REASON_PLACED_CEASED"],
    "PrevPerm": ["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
    "Missing": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
    "SWEpisodes": ["CHILD", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
    "DoLo": ["CHILD", "DOB", "DOLO_START", "DOLO_END"],
    "sensitive": ["CHILD", "NATIONALITY", "IMMIGRATION_STATUS", "NRPF"],
    "postcodes": ["pcd", "oseast1m", "osnrth1m", "utla"],
}

# ---------------------------------------------------------------------------------------------
# Breakdowns (groups in the spec's Breakdowns-table order) and indicators (spec table order)

BREAKDOWNS = {
    "total": ["total"],
    "sex": ["male", "female", "unknown"],
    "age": ["under_1", "1_to_4", "5_to_9", "10_to_15", "16_plus"],
    "ethnicity": ["white", "mixed", "asian", "black", "other", "not_known"],
    "uasc": ["uasc", "not_uasc"],
    "legal_status": ["care_order", "placement_order", "voluntary", "youth_justice", "emergency"],
    "placement": ["foster_kinship", "foster_other", "adoption", "with_parents", "childrens_home",
                  "secure", "supported_or_independent", "residential_other", "custody",
                  "temporary", "other"],
    "nationality": ["british", "eu_eea_swiss", "other", "unknown"],
    "immigration_status": ["british_or_settled", "limited_leave", "asylum_seeker",
                           "refugee_or_protection", "no_status", "unknown"],
    "nrpf": ["nrpf", "not_nrpf", "unknown"],
    "leaver_age": ["17_to_18", "19_to_21", "22_to_25"],
    "ceased_reason": ["adopted", "sgo", "returned_home", "independent_living", "other"],
}

INDICATORS = [
    ("cla", ["total", "sex", "age", "ethnicity", "uasc", "legal_status", "placement",
             "nationality", "immigration_status", "nrpf"]),
    ("started", ["total", "sex", "age", "uasc", "nationality"]),
    ("ceased", ["total", "ceased_reason", "uasc", "nationality"]),
    ("placements_3plus", ["total", "age", "uasc", "nationality"]),
    ("distance_over_20", ["total", "age", "nationality"]),
    ("distance_known", ["total", "age", "nationality"]),
    ("out_of_area", ["total", "placement", "nationality"]),
    ("leavers", ["leaver_age", "uasc", "nationality"]),
    ("leavers_in_touch", ["leaver_age", "uasc", "nationality"]),
    ("leavers_eet", ["leaver_age", "uasc", "nationality"]),
    ("leavers_suitable_accom", ["leaver_age", "uasc", "nationality"]),
    ("missing", ["total", "sex", "age", "nationality"]),
    ("away_no_auth", ["total", "sex", "age", "nationality"]),
]

# ---------------------------------------------------------------------------------------------
# Code lists and mappings

SEX_CODES = {  # year -> code -> group (I11)
    "old": {"1": "male", "2": "female"},
    "new": {"M": "male", "F": "female", "U": "unknown"},
}

LEGAL_STATUS = {
    "C1": "care_order", "C2": "care_order",
    "E1": "placement_order", "D1": "placement_order",
    "V2": "voluntary",
    "J1": "youth_justice", "J2": "youth_justice", "J3": "youth_justice",
    "L1": "emergency", "L2": "emergency", "L3": "emergency",
}
SHORT_BREAK_LS = {"V3", "V4"}

PLACEMENT = {
    "U1": "foster_kinship", "U2": "foster_kinship", "U3": "foster_kinship",
    "U4": "foster_other", "U5": "foster_other", "U6": "foster_other",
    "A3": "adoption", "A4": "adoption", "A5": "adoption", "A6": "adoption",
    "P1": "with_parents",
    "K2": "childrens_home",
    "K1": "secure",
    "H5": "supported_or_independent", "K3": "supported_or_independent",
    "P2": "supported_or_independent",
    "P3": "residential_other", "R1": "residential_other", "R2": "residential_other",
    "R3": "residential_other", "S1": "residential_other",
    "R5": "custody",
    "T0": "temporary", "T1": "temporary", "T2": "temporary", "T3": "temporary",
    "T4": "temporary",
    "Z1": "other", "Z11": "other", "Z12": "other", "Z13": "other", "Z14": "other",
}


def place_codes_for_year(year):
    """PLACE codes valid in the return year (I11)."""
    codes = set(PLACEMENT)
    if year < 2025:
        codes.discard("K3")
    if year < 2026:
        codes -= {"Z11", "Z12", "Z13", "Z14"}
    else:
        codes -= {"H5", "P2", "Z1"}
    return codes


CEASED_REASON = {
    "E11": "adopted", "E12": "adopted",
    "E45": "sgo", "E46": "sgo", "E47": "sgo", "E48": "sgo", "E43": "sgo", "E44": "sgo",
    "E4A": "returned_home", "E4B": "returned_home", "E13": "returned_home",
    "E5": "independent_living", "E6": "independent_living", "E17": "independent_living",
}  # any other REC -> other

ETHNIC_EXACT = {"CHNE": "asian", "OOTH": "other", "REFU": "not_known", "NOBT": "not_known"}
ETHNIC_FIRST = {"W": "white", "M": "mixed", "A": "asian", "B": "black"}

# The 249 officially assigned ISO 3166-1 alpha-3 codes (I10).
ISO3 = frozenset("""
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD
BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR
COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH
ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL
GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR
JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR
MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL
NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY
PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP
SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA
UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
""".split())
EU_EEA_SWISS = frozenset("""
AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU
SVK SVN ESP SWE ISL LIE NOR CHE
""".split())

IMMIGRATION = {
    "BRITISH": "british_or_settled", "SETTLED": "british_or_settled",
    "LIMITED_LEAVE": "limited_leave",
    "ASYLUM_SEEKER": "asylum_seeker",
    "REFUGEE": "refugee_or_protection", "HUMANITARIAN": "refugee_or_protection",
    "NO_STATUS": "no_status",
    "UNKNOWN": "unknown", "": "unknown",
}
NRPF = {"Y": "nrpf", "N": "not_nrpf", "": "unknown"}

PLACEMENT_RNE = ["S", "P", "T", "U", "B"]  # a later episode with one of these is a new placement

# I7: more than 20.0 miles (rounded half up to one decimal) <=> D2 >= DISTANCE_D2_MIN.
DISTANCE_D2_MIN = 1041124764


def _check_distance_bound():
    bound = (decimal.Decimal("20.05") * decimal.Decimal("1609.3")) ** 2  # exact
    assert bound == decimal.Decimal("1041124763.596225"), bound
    assert DISTANCE_D2_MIN == int(bound.to_integral_value(rounding=decimal.ROUND_CEILING))


# ---------------------------------------------------------------------------------------------
# Helpers

WS = " \t"  # whitespace per the spec: ASCII spaces and tabs


def on_uniques(series, func):
    """Applies a vectorised string function to the distinct values only, then maps back.
    Codes and dates repeat heavily, so this is the idiomatic fast path (what to_datetime's
    cache does) for pandas' object-dtype strings, whose .str methods run per element."""
    codes, uniques = pd.factorize(series, sort=False)
    out = func(pd.Series(uniques, dtype=object))
    return pd.Series(out.to_numpy()[codes], index=series.index)


def code(series):
    """Trimmed, upper-cased code (I3)."""
    return on_uniques(series, lambda u: u.str.strip(WS).str.upper())


def postcode(series):
    """Postcode key: upper-cased with all spaces and tabs removed."""
    return on_uniques(series, lambda u: u.str.replace(" ", "", regex=False)
                      .str.replace("\t", "", regex=False).str.upper())


def _date_ints(u, table, col, allow_blank):
    blank = u == ""
    bad = ~u.str.fullmatch(r"\d{2}/\d{2}/\d{4}") & ~blank
    if bad.any():
        raise InputError(f"{table}: {col}: not dd/mm/yyyy: {u[bad].iloc[0]!r}")
    if blank.any() and not allow_blank:
        raise InputError(f"{table}: {col}: blank date")
    present = u[~blank]
    # Reject impossible calendar dates (31/02/2024 ...).
    parsed = pd.to_datetime(present, format="%d/%m/%Y", errors="coerce")
    if parsed.isna().any():
        raise InputError(f"{table}: {col}: not a real date: {present[parsed.isna()].iloc[0]!r}")
    out = pd.Series(0, index=u.index, dtype=np.int64)  # 0 = blank
    out[~blank] = (present.str.slice(6, 10).astype(np.int64) * 10000
                   + present.str.slice(3, 5).astype(np.int64) * 100
                   + present.str.slice(0, 2).astype(np.int64))
    return out


def parse_date(df, col, table, allow_blank):
    """dd/mm/yyyy -> integer yyyymmdd (0 for blank where allowed). Strict (I3)."""
    if len(df) == 0:
        return pd.Series([], index=df.index, dtype=np.int64)
    return on_uniques(df[col], lambda u: _date_ints(u, table, col, allow_blank)).astype(np.int64)


def completed_age(dob, on):
    """Completed years at `on` (both integer yyyymmdd); leap-safe: a 29/02 birthday falls on
    01/03 in non-leap years because 0228 < 0229 <= 0301."""
    return (on // 10000 - dob // 10000) - ((on % 10000) < (dob % 10000)).astype(np.int64)


def age_group(age):
    if (age < 0).any():
        raise InputError("a cohort date falls before the child's DOB (negative age)")
    return pd.Series(
        np.select([age < 1, age <= 4, age <= 9, age <= 15], BREAKDOWNS["age"][:4],
                  BREAKDOWNS["age"][4]), index=age.index)


def map_codes(series, mapping, what):
    out = series.map(mapping)
    if out.isna().any():
        raise InputError(f"{what}: code not recognised: {series[out.isna()].iloc[0]!r}")
    return out


# Columns the grid reads from each table (CHILD alone for tables only checked against Header).
USED_COLUMNS = {
    "Header": ["CHILD", "SEX", "DOB", "ETHNIC"],
    "Episodes": ["CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC", "HOME_POST", "PL_POST"],
    "UASC": ["CHILD"],
    "OC3": ["CHILD", "IN_TOUCH", "ACTIV", "ACCOM"],
    "Missing": ["CHILD", "MISSING", "MIS_START"],
    "sensitive": ["CHILD", "NATIONALITY", "IMMIGRATION_STATUS", "NRPF"],
    "postcodes": ["pcd", "oseast1m", "osnrth1m", "utla"],
}


def header_row(raw, path):
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    row = next(csv.reader([first]), [])
    if not row:
        raise InputError(f"{os.path.basename(path)}: empty file or header")
    return row


def check_field_counts(raw, ncols, path):
    """Every non-blank line must hold ncols fields. pandas pads short rows with "" and, with
    usecols, ignores long ones, so count separators per line (vectorised over the bytes);
    files with quotes (separators may sit inside a field) go through the csv module."""
    if b'"' in raw:
        text = raw.decode("utf-8-sig")
        ragged = any(len(r) != ncols for r in csv.reader(io.StringIO(text)) if r)
    else:
        b = np.frombuffer(raw, dtype=np.uint8)
        nl = np.flatnonzero(b == ord("\n"))
        ends = nl if (len(b) == 0 or b[-1] == ord("\n")) else np.append(nl, len(b))
        starts = np.concatenate(([0], nl + 1))[:len(ends)]
        commas = np.flatnonzero(b == ord(","))
        per_line = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
        length = ends - starts
        cr = np.zeros(len(ends), dtype=bool)
        cr[length > 0] = b[ends[length > 0] - 1] == ord("\r")
        nonblank = (length - cr) > 0
        ragged = bool((per_line[nonblank] != ncols - 1).any())
    if ragged:
        raise InputError(f"{os.path.basename(path)}: ragged line (field count differs from "
                         f"the header's {ncols})")


def recognise(columns, path):
    cols = set(columns)
    hits = [name for name, need in TABLES.items() if set(need) <= cols]
    if len(hits) != 1:
        raise InputError(f"{os.path.basename(path)}: header matches "
                         f"{'no table' if not hits else 'several tables: ' + ', '.join(hits)}")
    return hits[0]


def load(data_dir, postcodes_file):
    """Recognises every CSV by its header (I1, I2) and reads the columns the grid uses."""
    paths = sorted(glob.glob(os.path.join(data_dir, "*.csv")))
    if postcodes_file:
        paths.append(postcodes_file)
    found = {}
    for path in paths:
        with open(path, "rb") as f:
            raw = f.read()
        columns = header_row(raw, path)
        if len(set(columns)) != len(columns):
            raise InputError(f"{os.path.basename(path)}: a column name repeats in the header")
        name = recognise(columns, path)
        if name in found:
            raise InputError(f"{os.path.basename(path)}: a second file holds table {name} "
                             f"(first: {os.path.basename(found[name][0])})")
        check_field_counts(raw, len(columns), path)
        try:
            df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False,
                             na_filter=False, encoding="utf-8-sig", skip_blank_lines=True,
                             index_col=False, usecols=USED_COLUMNS.get(name, ["CHILD"]))
        except (ValueError, UnicodeDecodeError) as e:  # ParserError is a ValueError
            raise InputError(f"{os.path.basename(path)}: cannot parse: {e}") from e
        found[name] = (path, df)
    if "Header" not in found:
        raise InputError(f"{data_dir}: no Header table")
    out = {}
    for name in TABLES:
        need = USED_COLUMNS.get(name, ["CHILD"])
        if name in found:
            df = found[name][1][need].copy()
        else:
            df = pd.DataFrame({c: pd.Series([], dtype=object) for c in need})
        if "CHILD" in df.columns:
            df["CHILD"] = on_uniques(df["CHILD"], lambda u: u.str.strip(WS))
        df["seq"] = np.arange(len(df), dtype=np.int64)  # file order for ties
        out[name] = df
    return out


# ---------------------------------------------------------------------------------------------
# The grid

def compute(tables, la, year):
    S = (year - 1) * 10000 + 401
    R = year * 10000 + 331
    sex_codes = SEX_CODES["old" if year <= 2024 else "new"]

    # --- Header: one row per child; sex, DOB and ethnicity. ---
    header = tables["Header"]
    twice = header["CHILD"].duplicated()
    if twice.any():
        raise InputError(f"Header: CHILD twice: {header['CHILD'][twice].iloc[0]!r}")
    if (header["CHILD"] == "").any():
        raise InputError("Header: blank CHILD")
    kids = pd.DataFrame(index=pd.Index(header["CHILD"], name="CHILD"))
    kids["sex"] = map_codes(code(header["SEX"]), sex_codes, f"Header: SEX ({year})").values
    kids["dob"] = parse_date(header, "DOB", "Header", allow_blank=False).values
    eth = code(header["ETHNIC"])
    eth_group = eth.map(ETHNIC_EXACT).fillna(eth.str.slice(0, 1).map(ETHNIC_FIRST))
    if eth_group.isna().any():
        raise InputError(f"Header: ETHNIC: code not recognised: {eth[eth_group.isna()].iloc[0]!r}")
    kids["ethnicity"] = eth_group.values

    # Every CHILD of every other table must be in Header.
    for name, df in tables.items():
        if name in ("Header", "postcodes"):
            continue
        stray = ~df["CHILD"].isin(kids.index)
        if stray.any():
            raise InputError(f"{name}: CHILD not in Header: {df['CHILD'][stray].iloc[0]!r}")

    # --- UASC: in the table at all (whatever DUC says). ---
    kids["uasc"] = np.where(kids.index.isin(tables["UASC"]["CHILD"]), "uasc", "not_uasc")

    # --- sensitive.csv: nationality, immigration status, NRPF; no row -> unknown. ---
    sens = tables["sensitive"]
    if sens["CHILD"].duplicated().any():
        raise InputError("sensitive: CHILD twice")
    nat = code(sens["NATIONALITY"])
    bad_nat = ~(nat.isin(ISO3) | nat.isin(["", "UNK"]))
    if bad_nat.any():
        raise InputError(f"sensitive: NATIONALITY not ISO 3166-1 alpha-3: {nat[bad_nat].iloc[0]!r}")
    nat_group = np.select([nat == "GBR", nat.isin(EU_EEA_SWISS), nat.isin(["", "UNK"])],
                          ["british", "eu_eea_swiss", "unknown"], "other")
    sens_groups = pd.DataFrame({
        "nationality": nat_group,
        "immigration_status": map_codes(code(sens["IMMIGRATION_STATUS"]), IMMIGRATION,
                                        "sensitive: IMMIGRATION_STATUS").values,
        "nrpf": map_codes(code(sens["NRPF"]), NRPF, "sensitive: NRPF").values,
    }, index=pd.Index(sens["CHILD"], name="CHILD"))
    kids = kids.join(sens_groups)
    for col in ("nationality", "immigration_status", "nrpf"):
        kids[col] = kids[col].fillna("unknown")
    kids["total"] = "total"

    # --- Episodes (short breaks dropped before anything else). ---
    ep = tables["Episodes"]
    ep = ep.assign(LS=code(ep["LS"]), RNE=code(ep["RNE"]), PLACE=code(ep["PLACE"]),
                   REC=code(ep["REC"]))
    ep = ep[~ep["LS"].isin(SHORT_BREAK_LS)].copy()
    ep["DECOM"] = parse_date(ep, "DECOM", "Episodes", allow_blank=False)
    ep["DEC"] = parse_date(ep, "DEC", "Episodes", allow_blank=True)  # 0 = open
    bad_place = ~ep["PLACE"].isin(place_codes_for_year(year))
    if bad_place.any():
        raise InputError(f"Episodes: PLACE not valid in {year}: {ep['PLACE'][bad_place].iloc[0]!r}")
    open_end = ep["DEC"] == 0

    # CLA: non-short-break episode open at R; current = latest DECOM (a tie is invalid).
    open_at_r = ep[(ep["DECOM"] <= R) & (open_end | (ep["DEC"] > R))]
    tie = open_at_r.duplicated(["CHILD", "DECOM"], keep=False)
    latest = open_at_r.groupby("CHILD")["DECOM"].transform("max")
    if (tie & (open_at_r["DECOM"] == latest)).any():
        raise InputError("Episodes: two episodes of one child open at 31 March with the same "
                         "DECOM")
    current = open_at_r[open_at_r["DECOM"] == latest].set_index("CHILD")
    cla = kids.loc[current.index].copy()
    cla["age"] = age_group(completed_age(cla["dob"], R))
    cla["legal_status"] = map_codes(current["LS"], LEGAL_STATUS, "Episodes: LS (current)")
    cla["placement"] = current["PLACE"].map(PLACEMENT)

    # Started: an episode with RNE = S and S <= DECOM <= R; age at the first one's DECOM (I6).
    st = ep[(ep["RNE"] == "S") & (ep["DECOM"] >= S) & (ep["DECOM"] <= R)]
    st = st.sort_values(["DECOM", "seq"]).drop_duplicates("CHILD").set_index("CHILD")
    started = kids.loc[st.index].copy()
    started["age"] = age_group(completed_age(started["dob"], st["DECOM"]))

    # Ceased: REC present, != X1, S <= DEC <= R; reason of the last such episode (I4).
    ce = ep[(ep["REC"] != "") & (ep["REC"] != "X1") & (ep["DEC"] >= S) & (ep["DEC"] <= R)]
    ce = ce.sort_values(["DEC", "DECOM", "seq"]).drop_duplicates("CHILD", keep="last")
    ce = ce.set_index("CHILD")
    ceased = kids.loc[ce.index].copy()
    ceased["ceased_reason"] = ce["REC"].map(CEASED_REASON).fillna("other")

    # Placements in the year [rule] (I5): CLA children with 3 or more.
    ov = ep[(ep["DECOM"] <= R) & (open_end | (ep["DEC"] >= S))]
    ov = ov[ov["CHILD"].isin(cla.index)].sort_values(["CHILD", "DECOM", "seq"])
    later = ov["CHILD"].duplicated(keep="first")  # every episode but the child's first
    new_pl = (later & ov["RNE"].isin(PLACEMENT_RNE)).groupby(ov["CHILD"]).sum() + 1
    p3 = cla.loc[new_pl.index[new_pl >= 3]]

    # Distance and out of area: CLA, not UASC, current episode's postcodes (I7, I8, I9).
    nu = cla[cla["uasc"] == "not_uasc"].copy()
    cur = current.loc[nu.index]
    home_key, place_key = postcode(cur["HOME_POST"]), postcode(cur["PL_POST"])
    pc = tables["postcodes"]
    pc = pd.DataFrame({"key": postcode(pc["pcd"]), "e": pc["oseast1m"], "n": pc["osnrth1m"],
                       "utla": pc["utla"]})
    # Only the postcodes these children use matter; the rest of the table is not examined.
    pc = pc[(pc["key"] != "") & pc["key"].isin(pd.concat([home_key, place_key]))]
    pc["utla"] = code(pc["utla"])
    for col in ("e", "n"):
        pc[col] = pc[col].str.strip(WS)
        bad = (pc[col] != "") & ~pc[col].str.fullmatch(r"-?\d+")
        if bad.any():
            raise InputError(f"postcodes: coordinate not a whole number: {pc[col][bad].iloc[0]!r}")
    if pc["key"].duplicated().any():
        pc = pc.drop_duplicates(["key", "e", "n", "utla"])
        if pc["key"].duplicated().any():
            raise InputError("postcodes: conflicting rows for "
                             f"{pc['key'][pc['key'].duplicated()].iloc[0]!r}")
    has_xy = (pc["e"] != "") & (pc["n"] != "")
    pc["E"] = pc["e"].where(has_xy, "0").astype(np.int64)
    pc["N"] = pc["n"].where(has_xy, "0").astype(np.int64)
    pc["has_xy"] = has_xy
    pc = pc.set_index("key")

    home = pc.reindex(home_key.values)
    place = pc.reindex(place_key.values)
    known = (home["has_xy"].fillna(False).values & place["has_xy"].fillna(False).values)
    dE = place["E"].fillna(0).astype(np.int64).values - home["E"].fillna(0).astype(np.int64).values
    dN = place["N"].fillna(0).astype(np.int64).values - home["N"].fillna(0).astype(np.int64).values
    d2 = dE * dE + dN * dN  # int64: |d| < 2e6 m, so d2 < 8e12
    over = known & (d2 >= DISTANCE_D2_MIN)
    dist_known = nu[known]
    dist_over = nu[over]
    pl_utla = place["utla"].fillna("").values
    ooa = nu[(pl_utla != "") & (pl_utla != la.strip(WS).upper())]

    # Care leavers (I13): OC3 rows; age_in_year = completed age at R from Header DOB.
    oc3 = tables["OC3"]
    if oc3["CHILD"].duplicated().any():
        raise InputError("OC3: CHILD twice")
    lv = kids.loc[oc3["CHILD"]].copy()
    lv["IN_TOUCH"] = code(oc3["IN_TOUCH"]).values
    lv["ACTIV"] = code(oc3["ACTIV"]).values
    lv["ACCOM"] = code(oc3["ACCOM"]).values
    ay = completed_age(lv["dob"], R)
    in_range = (ay >= 17) & (ay <= 25)  # rows outside 17-25 are ignored
    lv, ay = lv[in_range], ay[in_range]
    lv["leaver_age"] = np.select([ay <= 18, ay <= 21], ["17_to_18", "19_to_21"], "22_to_25")
    leavers_in_touch = lv[lv["IN_TOUCH"] == "YES"]
    leavers_eet = lv[lv["ACTIV"].str.slice(0, 1).isin(["F", "P"])]
    leavers_accom = lv[lv["ACCOM"].str.slice(-1) == "1"]

    # Missing / away: MIS_START in [S, R]; age at the child's first such start (I6, I12).
    ms = tables["Missing"]
    ms = ms.assign(MISSING=code(ms["MISSING"]))
    ms["start"] = parse_date(ms, "MIS_START", "Missing", allow_blank=False)
    ms = ms[(ms["start"] >= S) & (ms["start"] <= R)]

    def first_spell(kind):
        m = ms[ms["MISSING"] == kind].groupby("CHILD")["start"].min()
        out = kids.loc[m.index].copy()
        out["age"] = age_group(completed_age(out["dob"], m))
        return out

    missing = first_spell("M")
    away = first_spell("A")

    cohorts = {
        "cla": cla, "started": started, "ceased": ceased, "placements_3plus": p3,
        "distance_over_20": dist_over, "distance_known": dist_known, "out_of_area": ooa,
        "leavers": lv, "leavers_in_touch": leavers_in_touch, "leavers_eet": leavers_eet,
        "leavers_suitable_accom": leavers_accom, "missing": missing, "away_no_auth": away,
    }

    # Every cell, zeros included, in catalogue order.
    rows = []
    for indicator, breakdowns in INDICATORS:
        frame = cohorts[indicator]
        if frame.index.duplicated().any():
            raise AssertionError(f"{indicator}: a child counted twice")
        for b in breakdowns:
            counts = frame[b].value_counts()
            stray = set(counts.index) - set(BREAKDOWNS[b])
            if stray:
                raise AssertionError(f"{indicator}/{b}: groups outside the catalogue: {stray}")
            counts = counts.reindex(BREAKDOWNS[b], fill_value=0)
            rows.extend((indicator, b, g, int(v)) for g, v in counts.items())
    return rows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder of SSDA903 CSV exports")
    ap.add_argument("--la", required=True, help="the node's ONS LA code, e.g. E09000033")
    ap.add_argument("--year", required=True, type=int, help="collection year, e.g. 2025")
    ap.add_argument("--postcodes", help="postcode table pcd,oseast1m,osnrth1m,utla (I2)")
    args = ap.parse_args(argv)
    _check_distance_bound()
    if not os.path.isdir(args.data):
        print(f"reference_grid: --data {args.data}: not a folder", file=sys.stderr)
        return 2
    try:
        rows = compute(load(args.data, args.postcodes), args.la, args.year)
    except InputError as e:
        print(f"reference_grid: {e}", file=sys.stderr)
        return 1
    out = ["indicator,breakdown,group,value"]
    out.extend(f"{i},{b},{g},{v}" for i, b, g, v in rows)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
