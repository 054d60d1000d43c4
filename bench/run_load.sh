#!/usr/bin/env bash
# The national round at scale: bench_load_harness against ringfence-coordinator and against the
# bare gRPC mutual-TLS echo baseline, for several numbers of LAs, a few repeats each; medians,
# ratios and growth in a table and in bench/results-load.json (docs/benchmarks.md, "National
# round at scale").
#
#   bench/run_load.sh [--build DIR] [--ns "153 500 1000"] [--runs 3] [--threads 32]
#                     [--results FILE] [--note TEXT]
#
# Builds nothing: it runs DIR/bench/bench_load_harness (default build/), which starts
# DIR/bin/ringfence-coordinator and DIR/bench/bench_echo_server itself. Each repeat runs the
# echo then the coordinator for one N, so both see the same machine load. Every run's JSON line
# is kept in the results file beside the medians, with --note (e.g. what the tree was). Fails
# if any run fails (the harness checks that every submission was stored and that the release
# names every LA).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
NS="153 500 1000"
RUNS=3
THREADS=32
RESULTS="$ROOT/bench/results-load.json"
NOTE=""

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD="$2"; shift 2 ;;
    --ns) NS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    --note) NOTE="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run_load.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
die() { echo "run_load.sh: $*" >&2; exit 1; }
HARNESS="$BUILD/bench/bench_load_harness"
for f in "$HARNESS" "$BUILD/bench/bench_echo_server" "$BUILD/bin/ringfence-coordinator"; do
  [[ -x "$f" ]] || die "$f not found: cmake --build $BUILD --target bench_load_harness"
done

RAW="$(mktemp /tmp/ringfence-load-runs.XXXXXX)"
trap 'rm -f "$RAW" "$RAW.err"' EXIT
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $machine; load before: $load_before; nice $(nice)"
for n in $NS; do
  for ((r = 1; r <= RUNS; r++)); do
    for mode in echo ringfence; do
      line="$(cd "$ROOT" && "$HARNESS" --n "$n" --mode "$mode" --threads "$THREADS" \
                --policy "$ROOT/policies/england-2025.textproto" --label "run$r" 2>"$RAW.err")" ||
        { cat "$RAW.err" >&2; die "harness failed: --n $n --mode $mode (run $r)"; }
      echo "$line" >>"$RAW"
      echo "$line" | /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(
        "  n=%(n)-5d %(mode)-9s round %(round_s)7.3f s  submit phase %(submit_phase_s)7.3f s  "
        "p50/p99 %(latency_ms_p50)7.1f/%(latency_ms_p99)7.1f ms  server RSS %(server_peak_rss_kb)7d kB  "
        "server CPU %(server_cpu_round_s)6.2f s" % d)'
    done
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "load after: $load_after"

GIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')"
/usr/bin/python3 - "$RAW" "$RESULTS" "$machine" "$load_before" "$load_after" "$started" "$GIT" \
  "bench/run_load.sh --ns \"$NS\" --runs $RUNS --threads $THREADS" "$NOTE" <<'EOF'
import json, statistics, sys
raw, out, machine, before, after, started, git, command, note = sys.argv[1:10]
runs = [json.loads(l) for l in open(raw) if l.strip()]
keys = ["round_s", "submit_phase_s", "close_s", "release_s", "submissions_per_s",
        "connect_ms_p50", "connect_ms_p99", "submit_ms_p50", "submit_ms_p99", "latency_ms_p50",
        "latency_ms_p99", "server_peak_rss_kb", "server_cpu_round_s", "client_cpu_round_s"]
medians = []
for mode in ["ringfence", "echo"]:
    for n in sorted({r["n"] for r in runs}):
        rs = [r for r in runs if r["mode"] == mode and r["n"] == n]
        if not rs:
            continue
        m = {"mode": mode, "n": n, "runs": len(rs)}
        for k in keys:
            m[k] = statistics.median(r[k] for r in rs)
        for k in ["request_bytes", "response_bytes", "release_bytes", "release_cells",
                  "cells_per_request"]:
            m[k] = rs[0][k]
        medians.append(m)
def get(mode, n):
    return next((m for m in medians if m["mode"] == mode and m["n"] == n), None)
ratios = []
for n in sorted({m["n"] for m in medians}):
    rf, ec = get("ringfence", n), get("echo", n)
    if rf and ec:
        ratios.append({"n": n,
                       "round_over_echo": rf["round_s"] / ec["round_s"],
                       "submit_phase_over_echo": rf["submit_phase_s"] / ec["submit_phase_s"],
                       "server_cpu_over_echo": rf["server_cpu_round_s"] / max(ec["server_cpu_round_s"], 1e-9),
                       "server_rss_over_echo": rf["server_peak_rss_kb"] / ec["server_peak_rss_kb"]})
ns = sorted({m["n"] for m in medians})
growth = []
if len(ns) >= 2:
    a, b = ns[0], ns[-1]
    for mode in ["ringfence", "echo"]:
        ma, mb = get(mode, a), get(mode, b)
        if ma and mb:
            growth.append({"mode": mode, "from": a, "to": b, "n_ratio": b / a,
                           "round_ratio": mb["round_s"] / ma["round_s"],
                           "server_cpu_ratio": mb["server_cpu_round_s"] / max(ma["server_cpu_round_s"], 1e-9),
                           "server_rss_ratio": mb["server_peak_rss_kb"] / ma["server_peak_rss_kb"]})
doc = {"machine": machine, "load_before": before, "load_after": after, "started": started,
       "git": git, "note": note, "command": command, "medians": medians, "ratios": ratios, "growth": growth,
       "runs": runs}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print()
print("%-9s %5s %4s %9s %9s %9s %9s %10s %10s %10s %10s" % ("mode", "n", "runs", "round_s",
      "submit_s", "release_s", "subm/s", "p50_ms", "p99_ms", "srv_RSS_MB", "srv_CPU_s"))
for m in medians:
    print("%-9s %5d %4d %9.3f %9.3f %9.3f %9.1f %10.1f %10.1f %10.1f %10.2f" % (
        m["mode"], m["n"], m["runs"], m["round_s"], m["submit_phase_s"], m["release_s"],
        m["submissions_per_s"], m["latency_ms_p50"], m["latency_ms_p99"],
        m["server_peak_rss_kb"] / 1024, m["server_cpu_round_s"]))
for r in ratios:
    print("n=%d: ringfence/echo round %.2fx, submit phase %.2fx, server CPU %.2fx, server RSS %.2fx"
          % (r["n"], r["round_over_echo"], r["submit_phase_over_echo"], r["server_cpu_over_echo"],
             r["server_rss_over_echo"]))
for g in growth:
    print("%s growth n %d -> %d (%.2fx): round %.2fx, server CPU %.2fx, server RSS %.2fx" % (
        g["mode"], g["from"], g["to"], g["n_ratio"], g["round_ratio"], g["server_cpu_ratio"],
        g["server_rss_ratio"]))
print("results:", out)
EOF
