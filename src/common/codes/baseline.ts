// BW5xxx: the signed baseline (bulwark baseline ...). BW50xx are errors, BW51xx warnings.
import { defineCodes } from './types.js';

export const baselineCodes = defineCodes({
  BASELINE_MISSING: {
    code: 'BW5001',
    level: 'error',
    title: 'No baseline yet',
    help: 'Create one with `bulwark baseline init` (after `bulwark baseline keygen`), or point --state-dir at the directory that holds it.',
  },
  BASELINE_STORE_CORRUPT: {
    code: 'BW5002',
    level: 'error',
    title: 'Baseline store cannot be read',
    help: 'The SQLite file is damaged or is not a Bulwark baseline. Restore it from a backup or create a new baseline with `bulwark baseline init --force`, and find out who changed it.',
  },
  BASELINE_TAMPERED: {
    code: 'BW5003',
    level: 'error',
    title: 'Baseline failed signature or consistency verification',
    help: 'The stored baseline does not match its signature: it was edited outside Bulwark, or signed with another key. Do not trust it; run `bulwark baseline verify` for details, investigate, then restore or re-create it.',
  },
  BASELINE_NO_KEY: {
    code: 'BW5004',
    level: 'error',
    title: 'Signing or verification key not found',
    help: 'Create a key pair with `bulwark baseline keygen`, or pass --key (private key, for init/update) or --pubkey (public key, for check/verify).',
  },
  BASELINE_KEY_PERMISSIONS: {
    code: 'BW5005',
    level: 'error',
    title: 'Signing key is readable by others',
    help: 'The private key must be mode 0600 (chmod 600 FILE) and owned by the user running Bulwark.',
  },
  BASELINE_BAD_KEY: {
    code: 'BW5006',
    level: 'error',
    title: 'Key file is not an Ed25519 key',
    help: 'Use the PEM files written by `bulwark baseline keygen` (PKCS#8 private key, SPKI public key).',
  },
  BASELINE_KEY_EXISTS: {
    code: 'BW5007',
    level: 'error',
    title: 'A signing key already exists',
    help: 'Keep the existing key (baselines signed with it stay verifiable), or pass --force to replace it; older versions then verify only with the old public key.',
  },
  BASELINE_EXISTS: {
    code: 'BW5008',
    level: 'error',
    title: 'A baseline already exists',
    help: 'Use `bulwark baseline update` to accept changes, or `bulwark baseline init --force` to record a fresh version of the whole scope (the history is kept).',
  },
  BASELINE_NO_SCOPE: {
    code: 'BW5009',
    level: 'error',
    title: 'Nothing to baseline',
    help: 'Give PATH arguments, or a --config whose baseline.paths or policies name directories to record.',
  },
  BASELINE_BAD_CONFIG: {
    code: 'BW5010',
    level: 'error',
    title: 'Invalid baseline configuration',
    help: 'Fix the field named in the message; see docs/baseline.md, "Configuration".',
  },
  BASELINE_BAD_DIGEST: {
    code: 'BW5011',
    level: 'error',
    title: 'Unknown digest algorithm',
    help: 'Choose from sha256, sha512, sha3-256 and blake2b512 (comma-separated for several).',
  },
  BASELINE_PATH_NOT_FOUND: {
    code: 'BW5012',
    level: 'error',
    title: 'Path not in the baseline',
    help: 'The path is not recorded in the current version; `bulwark baseline export --json` lists every recorded path.',
  },
  BASELINE_NOTHING_TO_ACCEPT: {
    code: 'BW5013',
    level: 'error',
    title: 'update without a choice of changes',
    help: 'Say what to accept: --accept PATH..., --accept-package-consistent, or --all.',
  },
  BASELINE_ROLLBACK: {
    code: 'BW5014',
    level: 'error',
    title: 'Current version is older than the newest signed version',
    help: 'The store points at an older signed version than the newest one it holds (a rollback). Investigate; `bulwark baseline verify` lists the versions.',
  },
  BASELINE_BUSY: {
    code: 'BW5015',
    level: 'error',
    title: 'Another init or update is writing the baseline',
    help: 'Wait for it to finish (the message names its process id); run init and update from one place, such as one cron job or the agent.',
  },
  BASELINE_ENTRY_ERRORS: {
    code: 'BW5101',
    level: 'warning',
    title: 'Some entries could not be read fully',
    help: 'Each affected path is listed with the reason (permission denied, vanished...). Their other attributes are still recorded and compared.',
  },
  BASELINE_UNSTABLE: {
    code: 'BW5102',
    level: 'warning',
    title: 'Files changed while they were read',
    help: 'The listed files kept changing during the scan (logs, databases); their digests are of a moving target. Exclude them or scan when they are quiet.',
  },
  BASELINE_FULL_CHECK: {
    code: 'BW5103',
    level: 'warning',
    title: '--since-last ran a full check',
    help: 'No verifiable change journal from the agent covers the time since the last check, so every entry was re-read. This is always correct, only slower.',
  },
  BASELINE_KEY_IN_STATE_DIR: {
    code: 'BW5104',
    level: 'warning',
    title: 'Signing key is inside the state directory',
    help: 'Whoever can write the store could also re-sign it. Keep the private key elsewhere (default /etc/bulwark/keys) or off the host.',
  },
  BASELINE_NO_NATIVE: {
    code: 'BW5105',
    level: 'warning',
    title: 'xattrs, ACLs, SELinux labels, capabilities and chattr flags not recorded',
    help: 'The native helper native/baseline/build/baseline.node is missing; run scripts/build-native.sh (needs cc and Node headers).',
  },
  BASELINE_POLICIES: {
    code: 'BW5106',
    level: 'warning',
    title: 'Policy files with errors were ignored for the scope',
    help: 'Run `bulwark policy check` on the listed files; only valid policies contribute directories to the baseline scope.',
  },
  BASELINE_ROOT_MISSING: {
    code: 'BW5107',
    level: 'warning',
    title: 'A configured root does not exist',
    help: 'Nothing is recorded for it; if it appears later, check reports it and everything in it as added. Fix the path in the configuration or policy if it is wrong.',
  },
});
