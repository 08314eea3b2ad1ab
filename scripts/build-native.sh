#!/usr/bin/env bash
# Builds every native part: each native/<part>/build.sh is run in turn (called by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
for b in native/*/build.sh; do
  [ -x "$b" ] || continue
  "$b"
done
