#!/usr/bin/env bash
# Builds bulwark-helper (audit + fanotify reader, probe) and names.bpf.o (loaded by the helper at
# run time from the same folder) into native/build/. Idempotent: rebuilds only when a source is
# newer. Needs gcc, clang (BPF target) and libbpf-dev (scripts/system-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
CFLAGS="-O2 -g -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_FORTIFY_SOURCE=2"
newer() { # target sources...: true when the target is missing or older than a source
  local t=$1; shift
  [ -e "$t" ] || return 0
  for s in "$@"; do [ "$s" -nt "$t" ] && return 0; done
  return 1
}
if newer build/bulwark-helper helper/*.c helper/*.h include/*.h; then
  echo "build-native: bulwark-helper" >&2
  ${CC:-gcc} $CFLAGS -o build/bulwark-helper.tmp helper/helper.c helper/out.c helper/audit.c \
    helper/fan.c helper/proc.c helper/names.c helper/probe.c -lbpf
  mv build/bulwark-helper.tmp build/bulwark-helper
fi
# names.bpf.c is CO-RE: it needs the kernel's types (vmlinux.h, generated from this host's BTF, a
# build product never committed); libbpf relocates field offsets to the running kernel at load.
# Without BTF or clang it is skipped: the helper then reports denials with the directory only.
if [ ! -s build/include/vmlinux.h ] && [ -r /sys/kernel/btf/vmlinux ] && command -v bpftool >/dev/null; then
  mkdir -p build/include
  bpftool btf dump file /sys/kernel/btf/vmlinux format c >build/include/vmlinux.h.tmp
  mv build/include/vmlinux.h.tmp build/include/vmlinux.h
fi
if newer build/names.bpf.o helper/names.bpf.c; then
  if [ -s build/include/vmlinux.h ] && command -v clang >/dev/null; then
    echo "build-native: names.bpf.o" >&2
    clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -Ibuild/include -c helper/names.bpf.c \
      -o build/names.bpf.o.tmp
    mv build/names.bpf.o.tmp build/names.bpf.o
  else
    echo "build-native: names.bpf.o skipped (needs clang and /sys/kernel/btf/vmlinux)" >&2
  fi
fi
