#!/usr/bin/env bash
# Idempotent set-up for a fresh machine of this kind: Debian packages from
# scripts/system-packages.txt, npm packages from the lockfile, then the build.
# Called by `npm run demo` and `npm test`; safe to run again (does nothing when all is there).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# 1. Debian packages (root only; otherwise say what is missing and go on).
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' scripts/system-packages.txt | awk '{print $1}')
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    stamp=/var/lib/apt/periodic/bulwark-update-stamp
    if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
      apt-get update -qq && mkdir -p "$(dirname "$stamp")" && touch "$stamp"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "missing Debian packages (install them as root): ${missing[*]}"
  fi
fi

# 2. npm packages, exactly as locked. Re-run when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3. Build: TypeScript, then native parts when present.
if [ "${BULWARK_SKIP_BUILD:-0}" != 1 ]; then
  log "building"
  npm run --silent build
  if [ -x scripts/build-native.sh ]; then scripts/build-native.sh; fi
  # The BPF-LSM loader (bulwark-bpf): used by the agent where BPF-LSM loads, by
  # `bulwark agent --release`, and by the VM tests.
  if [ -f scripts/build-bpf.sh ]; then bash scripts/build-bpf.sh; fi
fi
