#!/usr/bin/env bash
# Builds bulwark-proc-events (the process cache's exec/fork/exit follower) into native/build/.
# With clang, bpftool and libbpf-dev (scripts/system-packages.txt) it includes the BPF mode
# (proc-events.bpf.c, CO-RE against this kernel's BTF; vmlinux.h is generated into
# native/build/include/, never committed); without them, or when that build fails, it builds
# the proc connector mode alone and says so (BULWARK_NO_BPF=1 asks for that). Idempotent:
# rebuilds only when a source is newer.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
out=build/bulwark-proc-events
srcs=(proc-events/proc-events.c proc-events/proc-events-bpf.c proc-events/proc-events.bpf.c
  proc-events/proc-events.h proc-events/proc-events-abi.h proc-events/build.sh)
stale=0
[ -e "$out" ] || stale=1
for s in "${srcs[@]}"; do [ "$s" -nt "$out" ] && stale=1; done
[ "$stale" = 1 ] || exit 0
echo "build-native: bulwark-proc-events" >&2
CFLAGS="-O2 -g -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_FORTIFY_SOURCE=2"
build_bpf() {
  [ "${BULWARK_NO_BPF:-0}" != 1 ] || return 1
  command -v clang >/dev/null && command -v bpftool >/dev/null && [ -f /usr/include/bpf/libbpf.h ] ||
    return 1
  mkdir -p build/include build/proc-events
  if [ ! -s build/include/vmlinux.h ]; then
    bpftool btf dump file /sys/kernel/btf/vmlinux format c >build/include/vmlinux.h.tmp &&
      mv build/include/vmlinux.h.tmp build/include/vmlinux.h
  fi
  clang -g -O2 -target bpf -D__TARGET_ARCH_"$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')" \
    -Wall -Ibuild/include -Iproc-events -c proc-events/proc-events.bpf.c \
    -o build/proc-events/proc-events.bpf.o
  llvm-strip -g build/proc-events/proc-events.bpf.o 2>/dev/null || true
  bpftool gen skeleton build/proc-events/proc-events.bpf.o name proc_events \
    >build/proc-events/proc-events.skel.h
  ${CC:-gcc} $CFLAGS -DPE_BPF -Ibuild/proc-events -Iproc-events -o "$out.tmp" \
    proc-events/proc-events.c proc-events/proc-events-bpf.c -lbpf
}
if ! build_bpf; then
  echo "build-native: bulwark-proc-events without BPF mode (clang/bpftool/libbpf missing or failed)" >&2
  ${CC:-gcc} $CFLAGS -o "$out.tmp" proc-events/proc-events.c
fi
mv "$out.tmp" "$out"
