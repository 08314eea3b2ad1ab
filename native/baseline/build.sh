#!/usr/bin/env bash
# Builds the baseline scanner's N-API helper (xattrs, inode flags, file reads hashed with
# libcrypto) with the system C compiler against Node's installed headers and libssl-dev. Output:
# native/baseline/build/baseline.node. No node-gyp and no download: only cc, the node headers
# (Debian's nodejs ships /usr/include/node) and libcrypto (scripts/system-packages.txt).
set -euo pipefail
cd "$(dirname "$0")"
inc=""
for d in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node /usr/local/include/node; do
  if [ -f "$d/node_api.h" ]; then inc=$d; break; fi
done
[ -n "$inc" ] || { echo "build-native(baseline): node_api.h not found; install Node's headers" >&2; exit 1; }
mkdir -p build
out=build/baseline.node
if [ ! -f "$out" ] || [ baseline.c -nt "$out" ]; then
  ${CC:-cc} -O2 -Wall -Wextra -Wno-unused-parameter -std=gnu11 -fPIC -shared -I"$inc" \
    -o "$out.tmp" baseline.c -lcrypto -lpthread
  mv "$out.tmp" "$out"
fi
