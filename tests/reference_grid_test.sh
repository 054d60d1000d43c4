#!/usr/bin/env bash
# Cross-checks the C++ node's exact grid against the independent pandas reference
# (bench/reference_grid.py, written from the catalogue specification, not from the C++).
#
#   tests/reference_grid_test.sh [BIN_DIR]
#
# BIN_DIR (default $RINGFENCE_BIN_DIR, else build/bin) holds `ringfence` and `ringfence-node`.
# For several seeds, years (2024, 2025, 2026) and LAs (one large), it synthesises SSDA903
# exports with `ringfence synth`, runs `ringfence-node preview --exact` and the reference on
# each LA folder, and requires identical grids: every cell the C++ prints must equal the
# reference's, and the C++ must print every cell the reference prints, in the same order.
# It also runs both on a small hand-made fixture of edge cases (leap-day birthdays, short
# breaks, ceasing ties, placement counting, the 20-mile rounding boundary, postcodes with
# spaces, tabs and lower case, codes needing trimming and upper-casing, ...).
# On a difference it prints `indicator,breakdown,group,C++ value,pandas value` and exits 1.
# Only synthetic data. Needs /usr/bin/python3 with pandas (Debian python3-pandas).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${RINGFENCE_BIN_DIR:-$root/build/bin}}
py=/usr/bin/python3
ref=$root/bench/reference_grid.py

if ! "$py" -c 'import pandas' >/dev/null 2>&1; then
  echo "FAIL: $py cannot import pandas, which the reference implementation needs." >&2
  echo "      Run scripts/install-deps.sh (it installs the Debian package python3-pandas)." >&2
  exit 1
fi
for b in ringfence ringfence-node; do
  if [[ ! -x $bin/$b ]]; then
    echo "FAIL: $bin/$b not found; build it first (or pass BIN_DIR / set RINGFENCE_BIN_DIR)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/reference_grid_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Compares two preview outputs. Prints the differing cells; exit 1 on any difference.
compare() {  # compare LABEL CPP_OUT PY_OUT
  "$py" - "$@" <<'EOF'
import sys
label, cc_path, py_path = sys.argv[1:4]
HEADER = "indicator,breakdown,group,value"

def read(path, who):
    lines = open(path).read().splitlines()
    if not lines or lines[0] != HEADER:
        print(f"{label}: {who} output does not start with '{HEADER}'")
        sys.exit(1)
    cells = []
    for n, line in enumerate(lines[1:], 2):
        parts = line.split(",")
        if len(parts) != 4:
            print(f"{label}: {who} line {n} is not indicator,breakdown,group,value: {line!r}")
            sys.exit(1)
        cells.append((tuple(parts[:3]), parts[3]))
    keys = [k for k, _ in cells]
    if len(set(keys)) != len(keys):
        print(f"{label}: {who} prints a cell twice")
        sys.exit(1)
    return cells

cc, ref = read(cc_path, "C++"), read(py_path, "pandas")
cc_map, ref_map = dict(cc), dict(ref)
diffs = [f"  {','.join(k)},{v},{ref_map.get(k, '(not a catalogue cell)')}"
         for k, v in cc if ref_map.get(k) != v]
missing = [k for k, _ in ref if k not in cc_map]
order_ok = [k for k, _ in ref if k in cc_map] == [k for k, _ in cc if k in ref_map]
shared = sum(1 for k, _ in cc if k in ref_map)
if diffs:
    print(f"{label}: cells differing (indicator,breakdown,group,C++ value,pandas value):")
    print("\n".join(diffs))
if missing:
    print(f"{label}: the C++ grid lacks {len(missing)} of the {len(ref)} catalogue cells, e.g. "
          + "; ".join(f"{','.join(k)} (pandas {ref_map[k]})" for k in missing[:3]))
if not order_ok:
    print(f"{label}: the C++ prints the cells in a different order from the catalogue")
if diffs or missing or not order_ok:
    print(f"{label}: MISMATCH ({shared} cells printed by both, {len(diffs)} differ, "
          f"{len(missing)} missing from the C++ grid)")
    sys.exit(1)
print(f"{label}: ok ({len(ref)} cells identical)")
EOF
}

failures=0
run_case() {  # run_case LABEL DIR LA YEAR
  local label=$1 dir=$2 la=$3 year=$4
  if ! "$bin/ringfence-node" preview --exact --data "$dir" --la "$la" --year "$year" \
      >"$tmp/cc.out" 2>"$tmp/cc.err"; then
    echo "$label: ringfence-node preview failed:"; head -20 "$tmp/cc.err"
    failures=$((failures + 1)); return
  fi
  if ! "$py" "$ref" --data "$dir" --la "$la" --year "$year" >"$tmp/py.out" 2>"$tmp/py.err"; then
    echo "$label: reference_grid.py failed:"; head -20 "$tmp/py.err"
    failures=$((failures + 1)); return
  fi
  if ! compare "$label" "$tmp/cc.out" "$tmp/py.out"; then
    failures=$((failures + 1))
  fi
}

# --- Synthetic LAs: seeds x years, a few LAs each (Kent and Birmingham are large). ---
declare -A las=(
  [101]="E10000016,E09000033,E06000017"   # Kent, Westminster, Rutland
  [202]="E08000025,E09000001,E06000047"   # Birmingham, City of London, County Durham
  [303]="E10000017,E06000053,E08000037"   # Lancashire, Isles of Scilly, Gateshead
)
cases=0
for seed in 101 202 303; do
  for year in 2024 2025 2026; do
    out=$tmp/synth-$seed-$year
    if ! "$bin/ringfence" synth --la "${las[$seed]}" --year "$year" --seed "$seed" \
        --out "$out" >"$tmp/synth.log" 2>&1; then
      echo "seed $seed year $year: ringfence synth failed:"; cat "$tmp/synth.log"
      failures=$((failures + 1)); continue
    fi
    IFS=, read -ra codes <<<"${las[$seed]}"
    for la in "${codes[@]}"; do
      run_case "seed $seed year $year $la" "$out/$la" "$la" "$year"
      cases=$((cases + 1))
    done
    rm -rf "$out"
  done
done

# --- Hand-made edge cases (2025: SEX M/F/U, PLACE with K3). Node LA E09000033. ---
edge=$tmp/edge
mkdir -p "$edge"
cat >"$edge/header.csv" <<'EOF'
CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB
L1,M,29/02/2020,WBRI,,,
L2,F,29/02/2020,CHNE,,,
U0,U,01/04/2024,NOBT,,,
U1,F,31/03/2024,OOTH,,,
SB,M,01/01/2010,MWBC,,,
SB2,F,01/01/2011,BAFR,,,
O2,M,01/06/2009,AIND,,,
D1,F,01/05/2012,REFU,,,
CT,M,01/01/2014,WOTH,,,
X1,F,01/01/2013,WBRI,,,
P3,M,01/01/2015,WBRI,,,
P2,F,01/01/2016,WBRI,,,
P5,M,01/01/2017,WBRI,,,
DA,F,01/01/2010,WBRI,,,
DB,M,01/01/2010,WBRI,,,
DC,F,01/01/2010,WBRI,,,
DD,M,01/01/2010,WBRI,,,
DE,F,01/01/2010,WBRI,,,
UA,M,01/01/2008,BOTH,,,
MO,F,15/04/2014,WBRI,,,
LV16,M,01/04/2008,WBRI,,,
LV17,F,31/03/2008,WBRI,,,
LV17B,M,01/04/2007,WBRI,,,
LV19,F,01/06/2005,WBRI,,,
LV22,M,31/03/2003,WBRI,,,
LV25,F,01/04/1999,WBRI,,,
LV26,M,31/03/1999,WBRI,,,
EOF
cat >"$edge/episodes.csv" <<'EOF'
CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN
L1,28/02/2025,S,C2,N1,U4,PR1,,,,,,
L2,01/03/2025,S,V2,N1,U1,PR1,,,,,,
U0,01/04/2024,S,L1,N1,U5,PR1,,,,,,
U1,01/04/2024,S,C1,N1,U6,PR1,,,,,,
SB,01/01/2025,S,V3,N1,U4,PR1,,,,,,
SB2,01/05/2024,S,V4,N1,U4,PR1,01/06/2024,E11,,,,
SB2,01/07/2024,S,C2,N1,K3,PR1,,,,,,
O2,01/01/2020,S,C2,N1,K2,PR1,,,,,,
O2,01/06/2024,P,J1,N1,R5,PR1,,,,,,
D1,01/01/2024,S,E1,N1,A4,PR1,15/04/2025,E11,,,,
CT,01/05/2024,P,C2,N1,U4,PR1,10/10/2024,E13,,,,
CT,01/01/2024,S,C2,N1,U4,PR1,10/10/2024,E11,,,,
X1,01/01/2024,S,C2,N1,U4,PR1,01/06/2024,X1,,,,
X1,01/06/2024,L,C2,N1,U4,PR1,01/08/2024,E41,,,,
P3,01/02/2024,S,C2,N1,U4,PR1,01/05/2024,X1,,,,
P3,01/05/2024,L,C2,N1,U4,PR1,01/07/2024,X1,,,,
P3,01/07/2024,P,C2,N1,U4,PR1,01/09/2024,X1,,,,
P3,01/09/2024,T,C2,N1,T2,PR1,,,,,,
P2,01/02/2024,S,C2,N1,U4,PR1,01/05/2024,X1,,,,
P2,01/05/2024,L,C2,N1,U4,PR1,01/07/2024,X1,,,,
P2,01/07/2024,L,C2,N1,U4,PR1,01/09/2024,X1,,,,
P2,01/09/2024,U,C2,N1,U4,PR1,,,,,,
P5,01/01/2022,S,C2,N1,U4,PR1,01/01/2023,E13,,,,
P5,01/05/2024,P,C2,N1,U4,PR1,01/08/2024,X1,,,,
P5,01/08/2024,U,C2,N1,U4,PR1,,,,,,
DA,01/01/2024,S,C2,N1,U4,PR1,,,,AA1 1AA,aa1  1ab,
DB,01/01/2024,S,C2,N1,U4,PR1,,,,AA1	1AA,AA1 1AC,
DC,01/01/2024,S,C2,N1,K2,PR1,,,,AA1 1AA,AA1 1AD,
DD,01/01/2024,S,C2,N1,K2,PR1,,,,AA1 1AA,AA1 1AE,
DE,01/01/2024,S,C2,N1,K2,PR1,,,,,AA1 1AC,
UA,01/01/2024,S,C2,N1,K2,PR1,,,,AA1 1AA,AA1 1AC,
EOF
cat >"$edge/postcodes.csv" <<'EOF'
pcd,oseast1m,osnrth1m,utla
AA1 1AA,500000,200000,E09000033
AA1 1AB,532266,200000,E09000033
AA1 1AC,532267,200000,E09000020
AA1 1AD,,,E09000020
AA1 1AE,600000,300000,
EOF
cat >"$edge/uasc.csv" <<'EOF'
CHILD,SEX,DOB,DUC
UA,M,01/01/2008,ZZ/ZZ/ZZZZ
EOF
cat >"$edge/missing.csv" <<'EOF'
CHILD,DOB,MISSING,MIS_START,MIS_END
MO,15/04/2014,M,20/04/2024,21/04/2024
MO,15/04/2014,M,10/04/2024,11/04/2024
MO,15/04/2014,A,15/03/2024,16/03/2024
MO,15/04/2014,A,16/04/2024,17/04/2024
L1,29/02/2020,M,31/03/2025,31/03/2025
EOF
cat >"$edge/oc3.csv" <<'EOF'
CHILD,DOB,IN_TOUCH,ACTIV,ACCOM
LV16,01/04/2008,YES,F1,B1
LV17,31/03/2008,YES,P2,D2
LV17B,01/04/2007,NO,G4,C1
LV19,01/06/2005,,,
LV22,31/03/2003,YES,0,0
LV25,01/04/1999, yes,f2 , b1 
LV26,31/03/1999,YES,F1,B1
EOF
cat >"$edge/sensitive.csv" <<'EOF'
CHILD,NATIONALITY,IMMIGRATION_STATUS,NRPF
L1,GBR,BRITISH,N
L2,FRA,SETTLED,Y
U0,CHE,LIMITED_LEAVE,
U1,NOR,ASYLUM_SEEKER,N
O2,USA,REFUGEE,Y
D1,UNK,HUMANITARIAN,
CT,,NO_STATUS,N
X1,AFG,UNKNOWN,N
UA,ERI,,Y
LV17,ISL,BRITISH,N
EOF
run_case "edge cases 2025 E09000033" "$edge" E09000033 2025
cases=$((cases + 1))

# --- More edge cases (2026: Z11-Z14, K3; BOM, CRLF, quotes, reordered and extra columns,
# lower-case and padded codes, ceasing and placement-order ties broken by file order, DEC = R,
# DECOM = R, a short break sharing the current episode's DECOM, a leaver who is UASC). ---
edge2=$tmp/edge2
mkdir -p "$edge2"
{
  printf '\xef\xbb\xbf'
  sed 's/$/\r/' <<'EOF'
CHILD,DOB,SEX,ETHNIC,UPN,MOTHER,MC_DOB,EXTRA
T1,01/01/2015, F,WBRI,,,,x
T2,01/01/2014,M,WBRI,,,,x
T3,01/01/2014,M,WBRI,,,,x
T4,01/01/2015,F,WBRI,,,,x
A16,31/03/2010,F,WBRI,,,,x
A15,01/04/2010,M,WBRI,,,,x
DR,01/01/2012,F,WBRI,,,,x
DM,01/01/2012,M,WBRI,,,,x
FU,01/01/2012,F,WBRI,,,,x
S2,15/06/2019,M,WBRI,,,,x
SBC,01/01/2012,F,WBRI,,,,x
SBT,01/01/2012,F,WBRI,,,,x
Z,01/01/2012,U,WBRI,,,,x
DX,01/01/2012,F,WBRI,,,,x
UL,01/06/2006,M,BAFR,,,,x
MS,01/01/2012,M,WBRI,,,,x
EOF
} >"$edge2/header.csv"
cat >"$edge2/episodes.csv" <<'EOF'
DECOM,CHILD,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN
01/05/2025,T1,L,C2,N1,U4,PR1,01/05/2025,X1,,,,
01/05/2025,T1,P,C2,N1,U4,PR1,,,,,,
01/06/2025,T1,T,C2,N1,U4,PR1,01/07/2025,X1,,,,
01/05/2025,T4,P,C2,N1,U4,PR1,,,,,,
01/05/2025,T4,L,C2,N1,U4,PR1,01/05/2025,X1,,,,
01/06/2025,T4,T,C2,N1,U4,PR1,01/07/2025,X1,,,,
01/04/2025,T2,S,C2,N1,U4,PR1,01/05/2025,X1,,,,
01/05/2025,T2,S,C2,N1,U4,PR1,01/05/2025,E11,,,,
01/05/2025,T2,S,C2,N1,U4,PR1,01/05/2025,E13,,,,
01/04/2025,T3,S,C2,N1,U4,PR1,01/06/2025,E11,,,,
01/07/2025,T3,P,C2,N1,U4,PR1,01/08/2025,X1,,,,
01/01/2025,A16,S,C2,N1,Z11,PR1,,,,,,
01/01/2025,A15,S,C2,N1,Z14,PR1,,,,,,
01/01/2025,DR,S,C2,N1,U4,PR1,31/03/2026,e11,,,,
31/03/2026,DM,s,c2,n1,u4,PR1,,,,,,
01/04/2026,FU,S,C2,N1,U4,PR1,,,,,,
01/04/2025,S2,S,C2,N1,U4,PR1,02/04/2025,X1,,,,
02/04/2025,S2,S,C2,N1,U4,PR1,,,,,,
01/01/2025,SBC,S,C2,N1,U4,PR1,,,,,,
01/02/2026,SBC,S,V3,N1,U4,PR1,,,,,,
01/01/2025,SBT,S,C2,N1,U4,PR1,,,,,,
01/01/2025,SBT,S,V4,N1,U4,PR1,,,,,,
01/01/2025,Z,S,C2,N1,K3,PR1,,,,B1 1AA,B1 1AB,
01/01/2025,DX,S,C2,N1,K2,PR1,,,,b1 1aa,B1 1AC,
EOF
cat >"$edge2/uasc.csv" <<'EOF'
CHILD,SEX,DOB,DUC
UL,M,01/06/2006,01/06/2024
EOF
cat >"$edge2/oc3.csv" <<'EOF'
CHILD,DOB,IN_TOUCH,ACTIV,ACCOM
UL,01/06/2006,DIED,F1,B1
EOF
cat >"$edge2/missing.csv" <<'EOF'
CHILD,DOB,MISSING,MIS_START,MIS_END
MS,01/01/2012,m,01/04/2025,02/04/2025
MS,01/01/2012,A,31/03/2026,
DX,01/01/2012,A,31/03/2025,01/04/2025
EOF
cat >"$edge2/sens.csv" <<'EOF'
"CHILD","NATIONALITY","IMMIGRATION_STATUS","NRPF"
"T1","gbr","settled","y"
"T2"," DEU ",LIMITED_LEAVE, n
UL,ERI,ASYLUM_SEEKER,Y
EOF
cat >"$edge2/pc.csv" <<'EOF'
utla,pcd,osnrth1m,oseast1m,lat
E08000025,B1 1AA,300000,400000,1
E08000025,B11AB,310000,410000,1
E08000026,B1 1AC,277734,377734,1
EOF
run_case "edge cases 2026 E08000025" "$edge2" E08000025 2026
cases=$((cases + 1))

if ((failures)); then
  echo "reference_grid_test: FAILED: $failures of $cases cases differ or failed"
  exit 1
fi
echo "reference_grid_test: PASSED: $cases cases identical"
