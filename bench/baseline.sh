#!/usr/bin/env bash
# Baseline speed, side by side in one run: Bulwark (`baseline init`, `baseline check` with no
# changes and with 1,000 changed files), AIDE (`--init`, `--check`, num_workers=2, same
# attributes: p+i+n+u+g+s+m+c+sha256) and the OpenSSL floor (parallel sha256 of the same files).
# Rounds alternate the tools so drift in machine load hits all of them alike; warm cache.
#
#   bench/baseline.sh [SCOPE] [ROUNDS]      default: /usr/lib 3
#
# Prints, per step, the median wall time, files/s, MB/s and peak RSS (GNU time), then the ratios
# the project targets: Bulwark ≤ 1.5× the floor and ≤ 0.3× AIDE. Needs root (to read all of
# SCOPE), aide and GNU time (scripts/system-packages.txt), and a built tree (npm run build).
# The 1,000 changes are new mtimes (touch) on files of SCOPE; the exact original times (ns) are
# restored afterwards, also on interrupt.
set -euo pipefail
cd "$(dirname "$0")/.."
SCOPE=$(realpath "${1:-/usr/lib}")
ROUNDS=${2:-3}
CHANGES=${CHANGES:-1000}
command -v aide >/dev/null || { echo "bench: aide not installed (apt-get install aide)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: GNU time not installed (apt-get install time)" >&2; exit 2; }
[ -f dist/cli.js ] || { echo "bench: run npm run build first" >&2; exit 2; }

work=$(mktemp -d /tmp/bulwark-bench.XXXXXX)
restore() {
  if [ -s "$work/mtimes" ]; then
    while IFS= read -r -d '' t && IFS= read -r -d '' f; do touch -h -m -d "@$t" -- "$f"; done <"$work/mtimes"
    : >"$work/mtimes"
  fi
}
cleanup() { restore; rm -rf "$work"; }
trap cleanup EXIT INT TERM

export BULWARK_STATE_DIR=$work/state BULWARK_KEY_DIR=$work/keys
node dist/cli.js baseline keygen >/dev/null

cat >"$work/aide.conf" <<CONF
database_in=file:$work/aide.db
database_out=file:$work/aide.db.new
gzip_dbout=no
num_workers=2
report_url=stdout
BW = p+i+n+u+g+s+m+c+sha256
$SCOPE BW
CONF

files=$(find "$SCOPE" -type f | wc -l)
bytes=$(find "$SCOPE" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f", s}')
find "$SCOPE" -type f -print0 | shuf -z -n "$CHANGES" --random-source=<(yes) >"$work/changed"
echo "scope: $SCOPE, $files files, $((bytes / 1000000)) MB; rounds: $ROUNDS; changes: $CHANGES; $(nproc) CPUs"
echo "bulwark: $(node dist/cli.js --version), $(aide --version 2>&1 | head -1), $(openssl version)"

results=$work/results
: >"$results"
# time_it NAME CMD...: runs CMD under GNU time, appends "NAME seconds maxrss_kb" to results.
time_it() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || {
    rc=$?
    # aide --check and bulwark check exit non-zero when they find changes: that is expected.
    case $name in aide-check* | bulwark-check*) ;; *) cat "$work/err" >&2; echo "bench: $name failed ($rc)" >&2; exit 1 ;; esac
  }
  echo "$name $(tail -1 "$work/t")" >>"$results"
}

floor() { find "$SCOPE" -type f -print0 | xargs -0 -P2 -n2000 openssl dgst -sha256 >/dev/null; }
export -f floor
export SCOPE

# Warm the page cache once.
floor

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r/$ROUNDS" >&2
  time_it floor bash -c floor
  time_it bulwark-init node dist/cli.js baseline init --force "$SCOPE"
  time_it aide-init aide --config "$work/aide.conf" --init
  mv "$work/aide.db.new" "$work/aide.db"
  time_it bulwark-check node dist/cli.js baseline check
  time_it aide-check aide --config "$work/aide.conf" --check
  # 1,000 changes: save exact mtimes, touch, measure, restore.
  while IFS= read -r -d '' f; do printf '%s\0%s\0' "$(stat -c '%.9Y' -- "$f")" "$f"; done <"$work/changed" >"$work/mtimes"
  xargs -0 touch -m -d '2001-01-01 00:00:00' <"$work/changed"
  time_it bulwark-check-1000 node dist/cli.js baseline check
  time_it aide-check-1000 aide --config "$work/aide.conf" --check
  restore
done

python3 - "$results" "$files" "$bytes" <<'PY'
import sys, statistics
res, files, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = {}
for line in open(res):
    name, sec, rss = line.split()
    runs.setdefault(name, []).append((float(sec), int(rss)))
med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
rss = {k: max(r for _, r in v) for k, v in runs.items()}
order = ['floor', 'bulwark-init', 'aide-init', 'bulwark-check', 'aide-check', 'bulwark-check-1000', 'aide-check-1000']
print(f"{'step':<20}{'median s':>10}{'files/s':>10}{'MB/s':>9}{'peak RSS MB':>13}  runs")
for k in order:
    if k not in med: continue
    s = med[k]
    print(f"{k:<20}{s:>10.2f}{files / s:>10.0f}{size / 1e6 / s:>9.0f}{rss[k] / 1024:>13.0f}  {' '.join(f'{x:.2f}' for x, _ in runs[k])}")
def ratio(a, b):
    return f"{med[a] / med[b]:.2f}" if a in med and b in med else 'n/a'
print()
print(f"bulwark init  / floor : {ratio('bulwark-init', 'floor')}   (target <= 1.5)")
print(f"bulwark check / floor : {ratio('bulwark-check', 'floor')}   (target <= 1.5)")
print(f"bulwark check-1000 / floor : {ratio('bulwark-check-1000', 'floor')}")
print(f"bulwark init  / aide init  : {ratio('bulwark-init', 'aide-init')}   (target <= 0.3)")
print(f"bulwark check / aide check : {ratio('bulwark-check', 'aide-check')}   (target <= 0.3)")
print(f"bulwark check-1000 / aide check-1000 : {ratio('bulwark-check-1000', 'aide-check-1000')}")
PY
