#!/usr/bin/env bash
# The demo round: installs what is missing, builds, then runs one complete protected round on
# loopback with synthetic data, and prints a summary.
#
#   1. synthesises SSDA903 exports for 12 real LAs across several regions (synthetic children)
#   2. makes a test PKI (CA, coordinator, one certificate per LA, recipients, an operator)
#   3. starts the coordinator on 127.0.0.1 (a free port); the operator opens the year's annual
#      collection, expecting every LA
#   4. runs every LA's node but the last concurrently: validate, compute, add noise, suppress,
#      round, send; shows the collection's status; the operator closes it, and the last LA's
#      late submission is refused
#   5. fetches the release as a DfE analyst, as Home Office enforcement and as one LA (each
#      filtered by its certificate's class under the policy) and writes tidy CSV
#   6. stops the coordinator
#
# Output goes to demo-out/ (override with RINGFENCE_DEMO_OUT). Options: --la-count N, --year Y,
# --seed S, --no-build (skip install and build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
la_count=12
year=2025
seed=42
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --la-count) la_count=$2; shift 2 ;;
    --year) year=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  "$root/scripts/build.sh"
fi
bin="$root/build/bin"
out="${RINGFENCE_DEMO_OUT:-$root/demo-out}"
rm -rf "$out"
mkdir -p "$out/logs" "$out/ledgers"
policy="$root/policies/england-2025.textproto"
start=$(date +%s)

echo "== 1. synthetic SSDA903 exports ($la_count LAs, year ending 31 March $year, seed $seed)"
"$bin/ringfence" synth --la-count "$la_count" --year "$year" --seed "$seed" --out "$out/data" \
  > "$out/logs/synth.log"
las=$(tail -n +2 "$out/data/manifest.csv" | cut -d, -f1 | paste -sd, -)
regions=$(tail -n +2 "$out/data/manifest.csv" | cut -d, -f3 | sort -u | wc -l)
echo "   $(echo "$las" | tr ',' '\n' | wc -l) LAs in $regions regions: $las"

echo "== 2. test PKI"
"$bin/ringfence" pki init --out "$out/pki" --la "$las" > "$out/logs/pki.log"
echo "   CA, coordinator, LA, recipient and operator (ops1) certificates in $out/pki"

echo "== 3. coordinator"
"$bin/ringfence-coordinator" --listen 127.0.0.1:0 --cert "$out/pki/coordinator.pem" \
  --key "$out/pki/coordinator.key" --ca "$out/pki/ca.pem" --db "$out/coordinator.db" \
  --policy "$policy" --port-file "$out/coordinator.port" > "$out/logs/coordinator.log" 2>&1 &
coordinator_pid=$!
cleanup() {
  if kill -0 "$coordinator_pid" 2>/dev/null; then
    kill -TERM "$coordinator_pid" 2>/dev/null || true
    wait "$coordinator_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -s "$out/coordinator.port" ] && break
  if ! kill -0 "$coordinator_pid" 2>/dev/null; then
    echo "demo: the coordinator did not start:" >&2
    cat "$out/logs/coordinator.log" >&2
    exit 1
  fi
  sleep 0.1
done
[ -s "$out/coordinator.port" ] || { echo "demo: the coordinator did not report its port" >&2; exit 1; }
port=$(cat "$out/coordinator.port")
echo "   listening on 127.0.0.1:$port (database $out/coordinator.db)"

# The operator's `ringfence collection` calls, with the operator's certificate.
collection() {
  local sub=$1
  shift
  "$bin/ringfence" collection "$sub" --coordinator "127.0.0.1:$port" \
    --cert "$out/pki/operators/ops1.pem" --key "$out/pki/operators/ops1.key" \
    --ca "$out/pki/ca.pem" "$@"
}
deadline=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
echo "== 3b. the operator opens the $year annual collection (deadline $deadline)"
collection open --year "$year" --period annual --deadline "$deadline" --expect "$las" \
  | sed 's/^/   /'

late_la=${las##*,}
on_time=${las%,*}
echo "== 4. every LA's node but $late_la's submits, concurrently"
pids=()
for la in ${on_time//,/ }; do
  "$bin/ringfence-node" submit --data "$out/data/$la" --la "$la" --year "$year" \
    --policy "$policy" --ledger "$out/ledgers/$la.sqlite" --coordinator "127.0.0.1:$port" --cert "$out/pki/la/$la.pem" --key "$out/pki/la/$la.key" \
    --ca "$out/pki/ca.pem" > "$out/logs/node-$la.log" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=$((failed + 1))
done
if [ "$failed" -ne 0 ]; then
  echo "demo: $failed node(s) failed; see $out/logs/node-*.log" >&2
  grep -h . "$out"/logs/node-*.log >&2 || true
  exit 1
fi
echo "   ${#pids[@]} submissions accepted"

first_la=${las%%,*}
echo "== 4b. release once: $first_la's node submits again, and shows its privacy budget"
"$bin/ringfence-node" submit --data "$out/data/$first_la" --la "$first_la" --year "$year" \
  --policy "$policy" --ledger "$out/ledgers/$first_la.sqlite" --coordinator "127.0.0.1:$port" \
  --cert "$out/pki/la/$first_la.pem" --key "$out/pki/la/$first_la.key" \
  --ca "$out/pki/ca.pem" 2>&1 | sed 's/^/   /'
"$bin/ringfence-node" budget --ledger "$out/ledgers/$first_la.sqlite" | sed 's/^/   /'

echo "== 4c. the collection's status, as the operator sees it"
collection status --collection "$year-annual" | sed 's/^/   /'

echo "== 4d. the operator closes the collection; $late_la's node then submits, too late"
collection close --collection "$year-annual" | sed 's/^/   /'
if late_out=$("$bin/ringfence-node" submit --data "$out/data/$late_la" --la "$late_la" \
    --year "$year" --policy "$policy" --ledger "$out/ledgers/$late_la.sqlite" \
    --coordinator "127.0.0.1:$port" --cert "$out/pki/la/$late_la.pem" \
    --key "$out/pki/la/$late_la.key" --ca "$out/pki/ca.pem" 2>&1); then
  echo "demo: the coordinator accepted a submission to a closed collection" >&2
  exit 1
fi
echo "$late_out" | sed 's/^/   refused: /'
collection status --collection "$year-annual" | tail -1 | sed 's/^/   /'

echo "== 5. releases, each filtered by the reader's class under the policy"
echo "   a DfE analyst (every cell, nationality included):"
"$bin/ringfence" release --coordinator "127.0.0.1:$port" \
  --cert "$out/pki/recipients/dfe_analyst-analyst1.pem" \
  --key "$out/pki/recipients/dfe_analyst-analyst1.key" --ca "$out/pki/ca.pem" \
  --year "$year" --out "$out/release.csv" | tee "$out/logs/release.log" | sed 's/^/     /'
echo "   Home Office enforcement (nothing derived from nationality, immigration status or NRPF):"
"$bin/ringfence" release --coordinator "127.0.0.1:$port" \
  --cert "$out/pki/recipients/home_office_enforcement-enforcement1.pem" \
  --key "$out/pki/recipients/home_office_enforcement-enforcement1.key" --ca "$out/pki/ca.pem" \
  --year "$year" --out "$out/release-enforcement.csv" | sed 's/^/     /'
sensitive_rows=$(grep -cE ',(nationality|immigration_status|nrpf),' "$out/release-enforcement.csv" || true)
echo "     rows of a nationality, immigration status or NRPF breakdown: $sensitive_rows"
echo "   $first_la reading its own cells (class la_own, LA level; no other LA's rows):"
"$bin/ringfence" release --coordinator "127.0.0.1:$port" \
  --cert "$out/pki/la/$first_la.pem" --key "$out/pki/la/$first_la.key" --ca "$out/pki/ca.pem" \
  --year "$year" --level la --out "$out/release-$first_la.csv" | sed 's/^/     /'

cleanup
trap - EXIT

echo
echo "== summary"
summary=$(head -1 "$out/logs/release.log")
received=$(echo "$summary" | sed -n 's/^release [0-9]*: \([0-9]*\) LAs.*/\1/p')
england=$(echo "$summary" | sed -n 's/.*England cla \([^;]*\).*$/\1/p')
echo "   LAs received:             ${received:-?} of $(echo "$las" | tr ',' '\n' | wc -l)"
echo "   England children looked after at 31 March $year: ${england:-?}"
echo "     (sum of the LAs' noisy counts, rounded to 5; noise SD = sqrt of the summed variances)"
echo "   released tables:          $out/release.csv (DfE analyst),"
echo "                             $out/release-enforcement.csv, $out/release-$first_la.csv"
echo "   node logs:                $out/logs/"
echo "   privacy ledgers:          $out/ledgers/ (ringfence-node budget --ledger FILE)"
echo "   took $(( $(date +%s) - start )) s after the build"
