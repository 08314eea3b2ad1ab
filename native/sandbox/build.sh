#!/usr/bin/env bash
# Builds bulwark-sandbox (the Landlock launcher of `bulwark run`) into native/build/.
# Idempotent: rebuilds only when a source is newer.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
if [ ! -e build/bulwark-sandbox ] || [ sandbox/bulwark-sandbox.c -nt build/bulwark-sandbox ] ||
  [ include/bulwark_landlock.h -nt build/bulwark-sandbox ]; then
  echo "build-native: bulwark-sandbox" >&2
  ${CC:-gcc} -O2 -g -Wall -Wextra -std=gnu11 -D_FORTIFY_SOURCE=2 -o build/bulwark-sandbox.tmp \
    sandbox/bulwark-sandbox.c
  mv build/bulwark-sandbox.tmp build/bulwark-sandbox
fi
