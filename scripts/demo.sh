#!/usr/bin/env bash
# `npm run demo`: the seed case end to end, on a fresh machine of this kind.
#  1. set up and build (scripts/setup.sh);
#  2. check the KubeArmor corpus and explain the seed decision offline;
#  3. start an agent with the seed policy (deploy/policies/fim.yaml) in a temporary state dir;
#  4. run `sh -c 'cd /sbin && touch file'` as an app=mysql workload of namespace wordpress-mysql:
#     the kernel refuses it (Permission denied) and the agent reports the alert;
#  5. show that reads still work, print the alert as `karmor logs` does;
#  6. stop everything and leave the machine as it was (the host's system folders are never
#     modified: if enforcement failed and the file appeared, it is removed and the demo fails).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

bash scripts/setup.sh || { echo "demo: setup failed" >&2; exit 1; }
bulwark() { node "$repo/dist/cli.js" "$@"; }

say "Checking the KubeArmor policy corpus (bulwark policy check)"
corpus="$repo/../shared/corpus/kubearmor-policy-templates"
if [ -d "$corpus" ]; then
  bulwark policy check --quiet "$corpus" | tail -n 3
else
  echo "(corpus not found at $corpus; checking the shipped policy only)"
fi
bulwark policy check deploy/policies/fim.yaml

say "Why is 'touch /sbin/file' by an app=mysql workload refused? (bulwark policy explain)"
bulwark policy explain --policies deploy/policies/fim.yaml --op create --path /sbin/file \
  --exe /usr/bin/touch --label app=mysql --namespace wordpress-mysql

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: the agent part needs root (Landlock, kernel audit, fanotify); run 'sudo npm run demo'" >&2
  exit 1
fi

work=$(mktemp -d /tmp/bulwark-demo.XXXXXX)
state="$work/state"
mkdir -p "$work/policies"
cp deploy/policies/fim.yaml "$work/policies/"
target=$(readlink -f /sbin)/file
existed=0
[ -e "$target" ] && existed=1
agent_pid=""
status=0

cleanup() {
  if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
    kill -TERM "$agent_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$agent_pid" 2>/dev/null
  fi
  if [ "$existed" = 0 ] && [ -e "$target" ]; then
    echo "demo: ENFORCEMENT FAILED: $target was created; removing it" >&2
    rm -f "$target"
    status=1
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT INT TERM

say "Starting the agent with the seed policy (state in $state)"
# Started with exec semantics (not through the shell function) so that $! is the agent itself.
node "$repo/dist/cli.js" agent --policies "$work/policies" --state-dir "$state" \
  --set api.grpc.enabled=false --set api.health.enabled=false --set api.http.enabled=false \
  >"$work/agent.log" 2>&1 &
agent_pid=$!
ready=0
for _ in $(seq 120); do
  if bulwark status --state-dir "$state" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$agent_pid" 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  echo "demo: the agent did not become ready; its log:" >&2
  cat "$work/agent.log" >&2
  exit 1
fi
bulwark status --state-dir "$state"

say "Simulation: cd /sbin && touch file, inside an app=mysql workload"
echo "\$ bulwark run --label app=mysql --namespace wordpress-mysql --name mysql -- sh -c 'cd /sbin && touch file'"
bulwark run --state-dir "$state" --label app=mysql --namespace wordpress-mysql --name mysql -- sh -c 'cd /sbin && touch file'
echo "(exit code $?)"

say "Reads still work in the same workload"
echo "\$ bulwark run ... -- sh -c 'head -c 4 /usr/bin/cat | od -c | head -1; ls /sbin | head -3'"
bulwark run --state-dir "$state" --label app=mysql --namespace wordpress-mysql --name mysql -- \
  sh -c 'head -c 4 /usr/bin/cat | od -c | head -1; ls /sbin | head -3'

say "The alert (bulwark logs, karmor's text format)"
found=0
for _ in $(seq 50); do
  if [ -n "$(bulwark logs --state-dir "$state" --type alert --resource 'sbin/file' --limit 1 2>/dev/null)" ]; then found=1; break; fi
  sleep 0.2
done
if [ "$found" = 1 ]; then
  bulwark logs --state-dir "$state" --type alert --resource 'sbin/file' --limit 1
else
  echo "demo: no alert arrived for the refused write; agent log:" >&2
  tail -n 20 "$work/agent.log" >&2
  status=1
fi

say "Stopping the agent and cleaning up"
exit $status
