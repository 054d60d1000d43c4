#!/usr/bin/env bash
# End-to-end benchmark of the node against a pandas reference, SQLite and the byte-read floor,
# on one synthetic national folder (all 153 LAs' rows in one set of files) at 1x and 10x.
#
#   bench/run_benchmarks.sh [--bin DIR] [--work DIR] [--runs N] [--runs-10x N]
#                           [--scales "1 10"] [--tools "cat node pandas sqlite"]
#                           [--la CODE] [--year YYYY] [--results FILE]
#
# Builds nothing: it runs DIR/ringfence (to generate the inputs) and DIR/ringfence-node, by
# default build/bin. Inputs go to --work (default: a new temporary folder, removed at the end
# unless --work was given; an existing input there is reused). --tools times only the listed
# tools (default: all four); the cell comparison with pandas needs pandas among them. Needs
# /usr/bin/time (Debian package `time`), and for the tools timed sqlite3 and python3 with
# pandas (for bench/reference_grid.py).
#
# The files are read once untimed first (so every command reads them from the page cache),
# then each command runs N times under /usr/bin/time; the table shows the median wall time and the largest peak RSS.
# CPU time (user + system, median) is shown too: it is steadier than wall time on a shared
# machine. Results also go to a JSON file (--results, default bench/results.json).
#
# What is timed, per scale:
#   cat      cat of every CSV of the folder to /dev/null (the byte-read floor)
#   node     ringfence-node preview --exact (strict load + exact grid)
#   pandas   /usr/bin/python3 bench/reference_grid.py (every indicator of the catalogue)
#   sqlite   sqlite3 :memory: with .import --csv of every CSV and bench/grid.sql (the
#            indicators listed at the top of grid.sql; no validation)
# Only synthetic data (ringfence synth) is ever used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/build/bin"
WORK=""
RUNS=5
RUNS_10X=3
SCALES="1 10"
TOOLS="cat node pandas sqlite"
LA=E09000033
YEAR=2025
SEED=1
RESULTS=""

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --runs-10x) RUNS_10X="$2"; shift 2 ;;
    --scales) SCALES="$2"; shift 2 ;;
    --tools) TOOLS="$2"; shift 2 ;;
    --la) LA="$2"; shift 2 ;;
    --year) YEAR="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run_benchmarks.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

die() { echo "run_benchmarks.sh: $*" >&2; exit 1; }
uses() { [[ " $TOOLS " == *" $1 "* ]]; }
for tool in $TOOLS; do
  case "$tool" in cat | node | pandas | sqlite) ;; *) die "unknown tool '$tool' in --tools" ;; esac
done
for tool in "$BIN/ringfence" "$BIN/ringfence-node"; do
  [[ -x "$tool" ]] || die "$tool not found: build first (cmake --build build), or pass --bin"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found: apt-get install time"
if uses sqlite; then
  command -v sqlite3 >/dev/null || die "sqlite3 not found: apt-get install sqlite3"
fi
if uses pandas; then
  /usr/bin/python3 -c 'import pandas' 2>/dev/null || die "pandas not found: apt-get install python3-pandas"
  [[ -f "$ROOT/bench/reference_grid.py" ]] || die "bench/reference_grid.py is missing"
fi

CLEANUP=""
if [[ -z "$WORK" ]]; then
  WORK="$(mktemp -d /tmp/ringfence-bench.XXXXXX)"
  CLEANUP="$WORK"
fi
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
trap '[[ -n "$CLEANUP" ]] && rm -rf "$CLEANUP"' EXIT
[[ -n "$RESULTS" ]] || RESULTS="$ROOT/bench/results.json"

# --- Inputs -------------------------------------------------------------------------------

# Writes the national folder for `scale` to DIR: with `ringfence synth --single-folder` when
# this build has it, else by merging the per-LA folders (one header line per file; CHILD ids
# must then be unique across LAs, which is checked).
make_national() {
  local scale="$1" dir="$2"
  if [[ -f "$dir/.complete" ]]; then
    echo "reusing $dir"
    return
  fi
  rm -rf "$dir"
  if "$BIN/ringfence" synth --help | grep -q -- '--single-folder'; then
    "$BIN/ringfence" synth --la-count 153 --year "$YEAR" --seed "$SEED" --scale "$scale" \
      --single-folder --out "$dir" >/dev/null
  else
    local per_la="$dir.per-la"
    rm -rf "$per_la"
    "$BIN/ringfence" synth --la-count 153 --year "$YEAR" --seed "$SEED" --scale "$scale" \
      --out "$per_la" >/dev/null
    mkdir -p "$dir"
    local name
    for name in $(cd "$per_la" && ls -- */*.csv | sed 's|.*/||' | sort -u); do
      if [[ "$name" == postcodes.csv ]]; then
        # Postcodes shared by neighbouring LAs appear in several per-LA tables.
        LC_ALL=C awk 'FNR == 1 && NR != 1 { next } !seen[$0]++' "$per_la"/*/"$name" \
          >"$dir/$name"
      else
        LC_ALL=C awk 'FNR == 1 && NR != 1 { next } { print }' "$per_la"/*/"$name" \
          >"$dir/$name"
      fi
    done
    local dups
    dups="$(LC_ALL=C awk -F, 'NR > 1 { print $1 }' "$dir/header.csv" | sort | uniq -d | head -3)"
    [[ -z "$dups" ]] || die "CHILD ids repeat across LAs at scale $scale (e.g. $dups)"
    rm -rf "$per_la"
  fi
  touch "$dir/.complete"
}

# --- Timing -------------------------------------------------------------------------------

# run_timed NAME RUNS OUT -- CMD...: RUNS timed runs. Appends "elapsed_s max_rss_kb user_s
# system_s" lines to $WORK/NAME.times; CMD's stdout goes to OUT.
run_timed() {
  local name="$1" runs="$2" out="$3"
  shift 4
  local times="$WORK/$name.times"
  : >"$times"
  local i
  local t0 t1
  for ((i = 0; i < runs; i++)); do
    # Wall time from the shell's microsecond clock (GNU time's %e has 10 ms steps, too coarse
    # for cat); peak RSS and CPU time from GNU time.
    t0="$EPOCHREALTIME"
    /usr/bin/time -f '%M %U %S' -o "$WORK/$name.one" "$@" >"$out" 2>"$WORK/$name.err" ||
      { cat "$WORK/$name.err" >&2; die "$name failed"; }
    t1="$EPOCHREALTIME"
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(tail -n 1 "$WORK/$name.one")" \
      >>"$times"
  done
}

# stats FILE: "median_s min_s max_s peak_rss_kb median_cpu_s" (cpu = user + system)
stats() {
  awk '{ print $1, $2, $3 + $4 }' "$1" | sort -n -k3,3 | awk '{ c[NR] = $3 }
    END { n = NR; print (n % 2) ? c[(n + 1) / 2] : (c[n / 2] + c[n / 2 + 1]) / 2 }' >"$1.cpu"
  sort -n -k1,1 "$1" | awk -v cpu="$(cat "$1.cpu")" '{ t[NR] = $1; if ($2 > m) m = $2 }
    END { n = NR; med = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2;
          printf "%.4f %.4f %.4f %d %.2f\n", med, t[1], t[n], m, cpu }'
}

# Cells on which two indicator,breakdown,group,value outputs agree, of those both have.
agreement() {
  LC_ALL=C awk -F, '{ sub(/\r$/, "") } FNR == 1 { next }
    NR == FNR { v[$1 "," $2 "," $3] = $4; next }
    ($1 "," $2 "," $3) in v { n++; if (v[$1 "," $2 "," $3] == $4) same++ }
    END { printf "%d/%d", same, n }' "$1" "$2"
}

SY=$((YEAR - 1))
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'),"\
       "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$WORK/machine.txt"

ROWS="$WORK/rows.txt"  # scale tool runs median_s min_s max_s peak_rss_kb input_bytes cpu_s
: >"$ROWS"
for scale in $SCALES; do
  runs="$RUNS"
  [[ "$scale" == 1 ]] || runs="$RUNS_10X"
  dir="$WORK/national-x$scale"
  echo "== scale $scale: generating $dir"
  make_national "$scale" "$dir"
  mapfile -t csvs < <(find "$dir" -maxdepth 1 -type f -iname '*.csv' | sort)
  bytes="$(cat "${csvs[@]}" | wc -c)"
  header_rows=$(($(wc -l <"$dir/header.csv") - 1))
  echo "   ${#csvs[@]} CSV files, $bytes bytes, $header_rows children in Header"

  # SQLite: import every CSV (table = file base name), then the grid.
  driver="$WORK/sqlite-x$scale.sql"
  {
    echo ".bail on"
    for f in "${csvs[@]}"; do
      t="$(basename "$f" | sed 's/\.[cC][sS][vV]$//; s/[^A-Za-z0-9_]/_/g')"
      echo ".import --csv '$f' $t"
    done
    echo "CREATE TEMP TABLE params AS SELECT ${SY}0401 AS s, ${YEAR}0331 AS r;"
    cat "$ROOT/bench/grid.sql"
  } >"$driver"

  echo "   timing ($runs runs each)"
  cat "${csvs[@]}" >/dev/null  # warm the page cache
  if uses cat; then run_timed "cat-x$scale" "$runs" /dev/null -- cat "${csvs[@]}"; fi
  if uses node; then
    run_timed "node-x$scale" "$runs" "$WORK/node-x$scale.csv" -- \
      "$BIN/ringfence-node" preview --exact --data "$dir" --la "$LA" --year "$YEAR"
  fi
  if uses pandas; then
    run_timed "pandas-x$scale" "$runs" "$WORK/pandas-x$scale.csv" -- \
      /usr/bin/python3 "$ROOT/bench/reference_grid.py" --data "$dir" --la "$LA" --year "$YEAR"
  fi
  if uses sqlite; then
    run_timed "sqlite-x$scale" "$runs" "$WORK/sqlite-x$scale.csv" -- \
      sqlite3 :memory: ".read $driver"
  fi
  for tool in $TOOLS; do
    read -r med lo hi rss cpu < <(stats "$WORK/$tool-x$scale.times")
    echo "$scale $tool $runs $med $lo $hi $rss $bytes $cpu" >>"$ROWS"
  done
  cells="   cells:"
  for tool in node pandas sqlite; do
    if uses "$tool"; then cells+=" $tool $(($(wc -l <"$WORK/$tool-x$scale.csv") - 1))"; fi
  done
  if uses pandas; then
    for tool in node sqlite; do
      if uses "$tool"; then
        cells+="; $tool=pandas on $(agreement "$WORK/pandas-x$scale.csv" "$WORK/$tool-x$scale.csv")"
      fi
    done
    cells+=" common cells"
  fi
  echo "$cells"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$WORK/machine.txt"

# --- Report -------------------------------------------------------------------------------

# val SCALE TOOL FIELD: a field of a row of $ROWS (4 = median_s, 7 = peak_rss_kb).
val() { awk -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t { print $f }' "$ROWS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }

echo
printf '%-6s %-7s %5s %10s %10s %10s %12s %12s\n' scale tool runs median_s min_s max_s \
  median_cpu_s peak_rss_MB
awk '{ printf "%-6s %-7s %5s %10s %10s %10s %12s %12.1f\n", $1 "x", $2, $3, $4, $5, $6, $9, $7 / 1024 }' \
  "$ROWS"
echo
echo "targets (node vs):"
for scale in $SCALES; do
  n="$(val "$scale" node 4)"
  printf '  %sx: pandas/node %sx (>= 10), sqlite/node %sx (>= 3), node/cat %sx (<= 3),' \
    "$scale" "$(ratio "$(val "$scale" pandas 4)" "$n")" "$(ratio "$(val "$scale" sqlite 4)" "$n")" \
    "$(ratio "$n" "$(val "$scale" cat 4)")"
  printf ' node/pandas RSS %s (<= 0.20)\n' "$(ratio "$(val "$scale" node 7)" "$(val "$scale" pandas 7)")"
  c="$(val "$scale" node 9)"
  printf '  %sx by CPU time: pandas/node %sx, sqlite/node %sx, node/cat %sx\n' "$scale" \
    "$(ratio "$(val "$scale" pandas 9)" "$c")" "$(ratio "$(val "$scale" sqlite 9)" "$c")" \
    "$(ratio "$c" "$(val "$scale" cat 9)")"
done
set -- $SCALES
if [[ $# -ge 2 ]]; then
  a="$1" b="${!#}"
  for tool in $TOOLS; do
    printf '  growth %sx->%sx %-7s time %sx, RSS %sx\n' "$a" "$b" "$tool" \
      "$(ratio "$(val "$b" "$tool" 4)" "$(val "$a" "$tool" 4)")" \
      "$(ratio "$(val "$b" "$tool" 7)" "$(val "$a" "$tool" 7)")"
  done
fi

{
  echo "{"
  echo "  \"machine\": \"$(head -n 1 "$WORK/machine.txt" | sed 's/"/\\"/g')\","
  echo "  \"load\": \"$(tail -n +2 "$WORK/machine.txt" | tr '\n' ';' | sed 's/"/\\"/g')\","
  echo "  \"la\": \"$LA\", \"year\": $YEAR, \"seed\": $SEED,"
  echo "  \"git\": \"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')\","
  echo "  \"results\": ["
  awk '{ printf "%s    {\"scale\": %s, \"tool\": \"%s\", \"runs\": %s, \"median_s\": %s, \"min_s\": %s, \"max_s\": %s, \"median_cpu_s\": %s, \"peak_rss_kb\": %s, \"input_bytes\": %s}", (NR > 1 ? ",\n" : ""), $1, $2, $3, $4, $5, $6, $9, $7, $8 }' "$ROWS"
  printf '\n  ]\n}\n'
} >"$RESULTS"
echo
echo "results: $RESULTS"
