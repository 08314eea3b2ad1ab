#!/usr/bin/env bash
# Builds bulwark-proc-events (the process cache's exec/fork/exit follower, proc connector) into
# native/build/. Idempotent: rebuilds only when the source is newer. Needs only gcc and the
# kernel UAPI headers (linux-libc-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
if [ ! -e build/bulwark-proc-events ] || [ proc-events/proc-events.c -nt build/bulwark-proc-events ]; then
  echo "build-native: bulwark-proc-events" >&2
  ${CC:-gcc} -O2 -g -Wall -Wextra -std=gnu11 -D_FORTIFY_SOURCE=2 -o build/bulwark-proc-events.tmp \
    proc-events/proc-events.c
  mv build/bulwark-proc-events.tmp build/bulwark-proc-events
fi
