// The policy directory as PolicyService's store. A policy received over gRPC becomes one YAML file
// in the directory the agent loads and watches: `grpc.ksp.<namespace>.<name>.yaml` for
// KubeArmorPolicy, `grpc.hsp.<name>.yaml` for KubeArmorHostPolicy (namespaces have no dots, so the
// names cannot collide). Writes are atomic — a hidden temporary file in the same directory, fsync,
// rename, fsync of the directory — so the agent's watcher sees the old file or the new one, never a
// half-written one. Policies the user wrote as files are never replaced or removed through here.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Diagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import { findPolicyFiles, parsePolicyText, type LoadResult, type PolicyKind } from '../policy/index.js';
import { ENVELOPE_FILE } from './policy-envelope.js';
import type { PolicyDeleteResult, PolicyPutResult, PolicyRef, PolicyStore } from './types.js';

/** Validates policy text like a policy file (the policy stage's parsePolicyText). */
export type PolicyValidator = (text: string, file: string) => LoadResult;

export interface DirectoryPolicyStoreOptions {
  /** Default: the policy stage's parsePolicyText, exactly what validates policy files. */
  validate?: PolicyValidator;
  /** Mode of written files (default 0o640). */
  fileMode?: number;
}

export const MANAGED_PREFIX = 'grpc.';

export function policyFileName(ref: PolicyRef): string {
  return ref.scope === 'host'
    ? `${MANAGED_PREFIX}hsp.${ref.name}.yaml`
    : `${MANAGED_PREFIX}ksp.${ref.namespace ?? 'default'}.${ref.name}.yaml`;
}

function kindOf(ref: PolicyRef): PolicyKind {
  return ref.scope === 'host' ? 'KubeArmorHostPolicy' : 'KubeArmorPolicy';
}

type Refusal = { ok: false; status: 'invalid' | 'failure'; errors: Diagnostic[] };

function refuse(
  status: Refusal['status'],
  name: 'API_POLICY_CONFLICT' | 'API_POLICY_WRITE',
  message: string,
  fix: string,
): Refusal {
  const e = codes[name];
  return {
    ok: false,
    status,
    errors: [{ code: e.code, level: e.level, file: ENVELOPE_FILE, line: 0, col: 0, field: '', message, fix }],
  };
}

export class DirectoryPolicyStore implements PolicyStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly options: DirectoryPolicyStoreOptions = {},
  ) {
    this.validate = options.validate ?? parsePolicyText;
  }

  private readonly validate: PolicyValidator;

  /** Runs operations one at a time, so a conflict check and its write are not interleaved. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** A user-written file (not one of ours) that defines the same policy, if any. */
  private async userFileDefining(ref: PolicyRef): Promise<string | null> {
    const { files } = findPolicyFiles([this.dir]);
    const ours = join(this.dir, policyFileName(ref));
    for (const file of files) {
      if (file === ours || file.startsWith(join(this.dir, MANAGED_PREFIX))) continue;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      const res = this.validate(text, file);
      const hit = res.policies.some(
        (p) =>
          p.kind === kindOf(ref) &&
          p.name === ref.name &&
          (ref.scope === 'host' || p.namespace === ref.namespace),
      );
      if (hit) return file;
    }
    return null;
  }

  put(ref: PolicyRef, yaml: string): Promise<PolicyPutResult> {
    return this.serial(async () => {
      const res = this.validate(yaml, ENVELOPE_FILE);
      if (!res.ok || res.errors.length > 0) return { ok: false, status: 'invalid', errors: res.errors };
      const mine = res.policies.filter((p) => p.kind === kindOf(ref) && p.name === ref.name);
      if (res.policies.length !== 1 || mine.length !== 1) {
        const why = 'the document must define exactly the one policy the request names';
        return refuse('invalid', 'API_POLICY_CONFLICT', why, 'send one policy per request');
      }
      const clash = await this.userFileDefining(ref);
      if (clash) {
        const why = `policy ${ref.name} is already defined by ${clash}`;
        return refuse('invalid', 'API_POLICY_CONFLICT', why, `edit ${clash} instead, or rename the policy`);
      }
      const file = join(this.dir, policyFileName(ref));
      const created = !existsSync(file);
      try {
        await this.writeAtomic(file, yaml);
      } catch (e) {
        const why = `cannot write ${file}: ${(e as Error).message}`;
        return refuse('failure', 'API_POLICY_WRITE', why, `check that ${this.dir} exists and is writable`);
      }
      return { ok: true, created, file };
    });
  }

  /** Hidden temporary file in the same directory (loaders skip dot files), fsync, rename, fsync dir. */
  private async writeAtomic(file: string, text: string): Promise<void> {
    const tmp = join(this.dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const fh = await open(tmp, 'wx', this.options.fileMode ?? 0o640);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
      await this.syncDir();
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
  }

  delete(ref: PolicyRef): Promise<PolicyDeleteResult> {
    return this.serial(async () => {
      const file = join(this.dir, policyFileName(ref));
      try {
        await unlink(file);
        await this.syncDir();
        return { ok: true, existed: true, file };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          const why = `cannot remove ${file}: ${(e as Error).message}`;
          return refuse('failure', 'API_POLICY_WRITE', why, `check the permissions of ${this.dir}`);
        }
      }
      const clash = await this.userFileDefining(ref);
      if (clash) {
        const why = `policy ${ref.name} is defined by ${clash}, not through PolicyService`;
        return refuse('invalid', 'API_POLICY_CONFLICT', why, `remove it from ${clash}`);
      }
      return { ok: true, existed: false, file };
    });
  }

  /** Makes a rename or unlink durable (the directory entry itself). */
  private async syncDir(): Promise<void> {
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
