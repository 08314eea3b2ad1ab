// Ed25519 signing of baseline versions (node:crypto). The private key lives outside the state dir
// (default /etc/bulwark/keys/baseline-signing.key, 0600, directory 0700) so that whoever can write
// the store cannot re-sign it unless they also hold the key; the public key (.pub next to it) is
// what `check` trusts and what an auditor uses offline with `verify --pubkey`.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BulwarkError } from '../common/errors.js';

import { pubFileFor } from './locations.js';

export { DEFAULT_KEY_DIR, KEY_NAME, defaultKeyFile, pubFileFor } from './locations.js';

/** Short stable id of a public key: first 16 hex digits of SHA-256 over its SPKI DER. */
export function keyId(pub: KeyObject): string {
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export interface KeygenResult {
  keyFile: string;
  pubFile: string;
  keyId: string;
}

export function keygen(keyFile: string, force = false): KeygenResult {
  const pubFile = pubFileFor(keyFile);
  if (existsSync(keyFile) && !force)
    throw new BulwarkError('BASELINE_KEY_EXISTS', `a signing key already exists at ${keyFile}`, {
      file: keyFile,
    });
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { keyFile, pubFile, keyId: keyId(publicKey) };
}

export function loadPrivateKey(keyFile: string): KeyObject {
  if (!existsSync(keyFile))
    throw new BulwarkError('BASELINE_NO_KEY', `no signing key at ${keyFile}`, { file: keyFile });
  const mode = statSync(keyFile).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new BulwarkError(
      'BASELINE_KEY_PERMISSIONS',
      `signing key ${keyFile} is readable by group or others (mode ${mode.toString(8)}); run chmod 600 ${keyFile}`,
      { file: keyFile },
    );
  try {
    const k = createPrivateKey(readFileSync(keyFile));
    if (k.asymmetricKeyType !== 'ed25519')
      throw new Error(`key type ${k.asymmetricKeyType}, expected ed25519`);
    return k;
  } catch (e) {
    throw new BulwarkError(
      'BASELINE_BAD_KEY',
      `cannot use ${keyFile} as an Ed25519 private key: ${(e as Error).message}`,
      {
        file: keyFile,
      },
    );
  }
}

/** A public key from a .pub file (SPKI PEM) or, failing that, derived from a private key file. */
export function loadPublicKey(file: string): KeyObject {
  if (!existsSync(file)) throw new BulwarkError('BASELINE_NO_KEY', `no public key at ${file}`, { file });
  try {
    const text = readFileSync(file);
    const k = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
    if (k.asymmetricKeyType !== 'ed25519')
      throw new Error(`key type ${k.asymmetricKeyType}, expected ed25519`);
    return k;
  } catch (e) {
    throw new BulwarkError(
      'BASELINE_BAD_KEY',
      `cannot use ${file} as an Ed25519 public key: ${(e as Error).message}`,
      {
        file,
      },
    );
  }
}

/** The message signed for a version: a fixed context string and the hex digest. */
function message(digest: Buffer): Buffer {
  return Buffer.from(`bulwark-baseline-v1:${digest.toString('hex')}`);
}

export function signDigest(key: KeyObject, digest: Buffer): Buffer {
  return sign(null, message(digest), key);
}

export function verifyDigest(pub: KeyObject, digest: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, message(digest), pub, signature);
  } catch {
    return false;
  }
}
