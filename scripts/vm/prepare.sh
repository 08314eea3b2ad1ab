#!/usr/bin/env bash
# Prepare the VM test artefacts: Debian's current kernel package (the dependency of
# linux-image-amd64) and busybox-static, fetched with `apt-get download` (no other source), then
#   vmlinux    the uncompressed ELF kernel, booted by qemu through PVH (≈4 s to /init under TCG,
#              against ≈9 s for the bzImage, whose xz decompression is slow when emulated)
#   vmlinux.h  C types from the kernel's BTF, for the CO-RE BPF build
#   busybox    the static busybox for the initramfs
#   config     the kernel's build config (checked for BPF_LSM, PVH, BTF)
# Everything lands in .cache/vm/<kernel-version>_<busybox-version>/ and is reused when present.
# Prints that directory on stdout (last line). Progress and errors go to stderr.
# Exit codes: 0 ready; 3 a tool or package is unavailable (the message says which and the fix).
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf 'vm-prepare: %s\n' "$*" >&2; }
unavailable() { log "$*"; exit 3; }

command -v apt-cache >/dev/null || unavailable "apt-cache not found: the VM tier needs a Debian-like host"
command -v dpkg-deb >/dev/null || unavailable "dpkg-deb not found"

# The kernel package linux-image-amd64 currently depends on, e.g. linux-image-6.1.0-56-amd64.
kpkg=${BULWARK_VM_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null |
  awk '/Depends: linux-image-[0-9]/ {print $2; exit}')}
[ -n "$kpkg" ] || unavailable "no kernel package: 'apt-cache depends linux-image-amd64' names none (run apt-get update)"
pkgver() { apt-cache show --no-all-versions "$1" 2>/dev/null | awk '/^Version:/ {print $2; exit}'; }
kver=$(pkgver "$kpkg")
bver=$(pkgver busybox-static)
[ -n "$kver" ] || unavailable "package $kpkg has no candidate version (run apt-get update)"
[ -n "$bver" ] || unavailable "package busybox-static has no candidate version (run apt-get update)"

key=$(printf '%s_%s_bb%s' "$kpkg" "$kver" "$bver" | tr -c 'A-Za-z0-9._\n-' '_')
dir=.cache/vm/$key
if [ -f "$dir/ready" ]; then
  echo "$PWD/$dir"
  exit 0
fi
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/debs" "$dir.tmp/x"
log "downloading $kpkg $kver and busybox-static $bver with apt-get download"
(cd "$dir.tmp/debs" && apt-get download -q "$kpkg=$kver" "busybox-static=$bver" >&2) ||
  unavailable "apt-get download of $kpkg=$kver busybox-static=$bver failed (network or apt sources)"

kdeb=$(ls "$dir.tmp"/debs/linux-image-*.deb)
bdeb=$(ls "$dir.tmp"/debs/busybox-static_*.deb)
# Only the files needed: the bzImage and config from the kernel (its modules are not used: the
# tests run from the initramfs), busybox from busybox-static.
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$dir.tmp/x" --wildcards './boot/vmlinuz-*' './boot/config-*'
dpkg-deb --fsys-tarfile "$bdeb" | tar -x -C "$dir.tmp/x" ./bin/busybox
cp "$dir.tmp"/x/boot/config-* "$dir.tmp/config"
cp "$dir.tmp/x/bin/busybox" "$dir.tmp/busybox"

# The bzImage carries the ELF kernel as an xz stream: find the xz magic and decompress from there.
vmlinuz=$(ls "$dir.tmp"/x/boot/vmlinuz-*)
off=$(node -e 'const b=require("fs").readFileSync(process.argv[1]);
  console.log(b.indexOf(Buffer.from([0xfd,0x37,0x7a,0x58,0x5a,0x00])))' "$vmlinuz")
[ "$off" -gt 0 ] || unavailable "no xz payload in $vmlinuz (CONFIG_KERNEL_XZ expected)"
# xz reports trailing garbage after the stream; the ELF is complete before it.
tail -c +$((off + 1)) "$vmlinuz" | xz -dc >"$dir.tmp/vmlinux" 2>/dev/null || true
head -c 4 "$dir.tmp/vmlinux" | grep -q 'ELF' || unavailable "could not extract an ELF vmlinux from $vmlinuz"

for opt in CONFIG_BPF_LSM=y CONFIG_DEBUG_INFO_BTF=y CONFIG_PVH=y CONFIG_SECURITY_PATH=y; do
  grep -qx "$opt" "$dir.tmp/config" || unavailable "$kpkg lacks $opt: it cannot run the BPF-LSM tests"
done

command -v bpftool >/dev/null || unavailable "bpftool not found (apt-get install bpftool)"
bpftool btf dump file "$dir.tmp/vmlinux" format c >"$dir.tmp/vmlinux.h"

printf 'kernel_pkg=%s\nkernel_version=%s\nbusybox_version=%s\nuname=%s\n' "$kpkg" "$kver" "$bver" \
  "$(basename "$vmlinuz" | sed 's/^vmlinuz-//')" >"$dir.tmp/versions"
rm -rf "$dir.tmp/debs" "$dir.tmp/x"
touch "$dir.tmp/ready"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
log "ready: $dir"
echo "$PWD/$dir"
