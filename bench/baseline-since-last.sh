#!/usr/bin/env bash
# `baseline check --since-last` against a full `baseline check`, side by side in one run, with a
# running agent (fanotify) journalling 1,000 changes made to SCOPE between checks. Rounds
# alternate which check runs first; each round touches the same 1,000 files (new mtime), runs
# both checks (whole CLI process, GNU time), checks that both reported the same counts and that
# the since-last one ran as such, then restores the exact mtimes (ns), also on interrupt.
#
#   bench/baseline-since-last.sh [SCOPE] [ROUNDS]     default: /usr 5
#   GEN=N bench/baseline-since-last.sh "" [ROUNDS]      a generated tree of N small files instead
#   SINCE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"     extra node options for the since-last runs
#   AGENT_NODE_ARGS="..."                               extra node options for the agent
#
# Prints the median wall time of each and the ratio (target: since-last <= 0.05x a full check).
# Needs root (fanotify, reading SCOPE), GNU time, a built tree (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${2:-5}
CHANGES=${CHANGES:-1000}
[ -x /usr/bin/time ] || { echo "bench: GNU time not installed (apt-get install time)" >&2; exit 2; }
[ -f dist/cli.js ] || { echo "bench: run npm run build first" >&2; exit 2; }

work=$(mktemp -d /tmp/bulwark-bench-since.XXXXXX)
agent_pid=
restore() {
  if [ -s "$work/mtimes" ]; then
    while IFS= read -r -d '' t && IFS= read -r -d '' f; do touch -h -m -d "@$t" -- "$f"; done <"$work/mtimes"
    : >"$work/mtimes"
  fi
}
cleanup() {
  restore
  if [ -n "$agent_pid" ]; then kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
if [ -n "${GEN:-}" ]; then
  # N files of 1-4 KB, 1,000 per directory.
  SCOPE=$work/tree
  python3 - "$SCOPE" "$GEN" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 1000:05d}")
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, f"f{i % 1000:04d}"), "wb") as f:
        f.write(os.urandom(1024 * (1 + i % 4)))
PY
else
  SCOPE=$(realpath "${1:-/usr}")
fi

export BULWARK_STATE_DIR=$work/state BULWARK_KEY_DIR=$work/keys
B=(node dist/cli.js baseline)
"${B[@]}" keygen >/dev/null
files=$(find "$SCOPE" -xdev -type f | wc -l)
find "$SCOPE" -xdev -type f -print0 | shuf -z -n "$CHANGES" --random-source=<(yes) >"$work/changed"
echo "scope: $SCOPE, $files files; rounds: $ROUNDS; changes: $CHANGES; $(nproc) CPUs; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"${B[@]}" init --no-packages "$SCOPE" >/dev/null

mkdir -p "$work/policies"
cat >"$work/policies/scope.yaml" <<YAML
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: {name: bench-since-last}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: "*"}}
  file:
    matchDirectories: [{dir: $SCOPE/, recursive: true}]
  action: Audit
YAML
# No automatic re-check after a gap: it would compete with the measured checks (a gap still
# makes --since-last run full, which the round check below reports).
read -r -a agent_node_args <<<"${AGENT_NODE_ARGS:-}"
node "${agent_node_args[@]}" dist/cli.js agent --policies "$work/policies" --state-dir "$BULWARK_STATE_DIR" \
  --set api.grpc.enabled=false --set api.health.enabled=false --set api.http.enabled=false \
  --set baseline.recheckOnGap=false --set sinks.stdout.enabled=false >"$work/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 1 120); do
  node dist/cli.js status --state-dir "$BULWARK_STATE_DIR" >/dev/null 2>&1 && break
  sleep 0.5
done
node dist/cli.js status --state-dir "$BULWARK_STATE_DIR" >/dev/null || { cat "$work/agent.log" >&2; exit 1; }
# A first check records where the journal stands; it also warms the page cache.
"${B[@]}" check --no-packages >/dev/null || true

results=$work/results
: >"$results"
# run NAME ARGS...: one check under GNU time, its JSON kept for the comparison.
run() {
  local name=$1 node_args=()
  shift
  [ "$name" = since ] && read -r -a node_args <<<"${SINCE_NODE_ARGS:-}"
  /usr/bin/time -f '%e %M' -o "$work/t" node "${node_args[@]}" dist/cli.js baseline check --no-packages --json "$@" >"$work/$name.json" 2>"$work/err" || true
  echo "$name $(tail -1 "$work/t")" >>"$results"
}
for r in $(seq 1 "$ROUNDS"); do
  while IFS= read -r -d '' f; do printf '%s\0%s\0' "$(stat -c '%.9Y' -- "$f")" "$f"; done <"$work/changed" >"$work/mtimes"
  xargs -0 touch -m -d '2001-01-01 00:00:00' <"$work/changed"
  if [ $((r % 2)) -eq 1 ]; then run since --since-last; run full; else run full; run since --since-last; fi
  python3 - "$work/since.json" "$work/full.json" "$r" <<'PY'
import json, sys
s, f = (json.load(open(p)) for p in sys.argv[1:3])
if s['mode'] != 'since-last':
    sys.exit(f"round {sys.argv[3]}: --since-last ran {s['mode']}: {s.get('fullReason')}")
if (s['counts'], s['changes']) != (f['counts'], f['changes']):
    sys.exit(f"round {sys.argv[3]}: since-last and full checks differ: {s['counts']} vs {f['counts']}")
print(f"round {sys.argv[3]}: same {f['counts']['changed']} changed; since-last re-read {s['stats']['entries']} of {f['stats']['entries']} entries ({s['sinceLast']['content']})", file=sys.stderr)
PY
  restore
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Since-last checks the agent ran for the CLI, and how long each took inside the agent (ms).
delegated=$(grep -o '"ms":[0-9]*,"msg":"baseline check --since-last run for a client"' "$work/agent.log" | grep -o '[0-9]*' | tr '\n' ' ' || true)
echo "run by the agent (ms inside it): ${delegated:-none}"

python3 - "$results" <<'PY'
import sys, statistics
runs = {}
for line in open(sys.argv[1]):
    name, sec, rss = line.split()
    runs.setdefault(name, []).append((float(sec), int(rss)))
med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
for k in ('full', 'since'):
    print(f"{k:<8} median {med[k]:.2f} s  peak RSS {max(r for _, r in runs[k]) / 1024:.0f} MB  runs {' '.join(f'{s:.2f}' for s, _ in runs[k])}")
print(f"since-last / full : {med['since'] / med['full']:.3f}   (target <= 0.05)")
PY
