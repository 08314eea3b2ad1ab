#!/usr/bin/env bash
# Baseline memory and time against tree size: generates trees of N small files (1,000 per
# directory) and runs `bulwark baseline init` then `check` on each size under GNU time, printing
# entries, seconds, entries/s and peak RSS, so linear growth and the memory bound (target: under
# 300 MB at 1M entries) can be read off one table.
#
#   bench/baseline-scale.sh [N...]        default: 100000 300000 1000000
#
# Needs GNU time, python3 and a build (npm run build). Uses about 1 inode per entry in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli.js ] || { echo "bench: run npm run build first" >&2; exit 2; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 300000 1000000)
work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export BULWARK_STATE_DIR=$work/state BULWARK_KEY_DIR=$work/keys
node dist/cli.js baseline keygen >/dev/null
printf '%-10s %-6s %9s %11s %12s\n' entries step seconds entries/s 'peak RSS MB'
for n in "${sizes[@]}"; do
  rm -rf "$work/tree" "$work/state"
  python3 - "$work/tree" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 1000:05d}")
    if i % 1000 == 0:
        os.makedirs(d)
    fd = os.open(os.path.join(d, f"f{i % 1000:04d}"), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"%d\n" % i)
    os.close(fd)
PY
  entries=$((n + (n + 999) / 1000 + 1))
  for step in init check; do
    args=(init --no-packages "$work/tree")
    [ "$step" = check ] && args=(check --no-packages)
    /usr/bin/time -f '%e %M' -o "$work/t" node dist/cli.js baseline "${args[@]}" >/dev/null 2>"$work/err" || {
      [ "$step" = check ] || { cat "$work/err" >&2; exit 1; }
    }
    read -r sec rss <"$work/t"
    awk -v n="$entries" -v s="$sec" -v r="$rss" -v step="$step" \
      'BEGIN { printf "%-10d %-6s %9.2f %11.0f %12.0f\n", n, step, s, n / s, r / 1024 }'
  done
done
