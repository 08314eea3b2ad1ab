// From files (or text) to validated, normalised policies. Each YAML document is classified:
// a KubeArmor file-policy kind is validated and normalised; `kind: List` (or `<Kind>List`) is
// opened and its items classified; any other kind is skipped with a warning (BW1103). A file
// with any error is rejected whole: none of its policies are returned. Duplicate (kind,
// namespace, name) across accepted files is an error on the later one (BW1015).
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../common/diagnostic.js';
import { showValue } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import { normalisePolicy } from './normalise.js';
import { readDocuments } from './reader.js';
import type { Pos } from './field-path.js';
import { findPolicyFiles } from './sources.js';
import { API_VERSION, POLICY_KINDS } from './types.js';
import type { FileSummary, LoadResult, Policy, PolicyKind } from './types.js';
import { closest } from './closest.js';
import { absField, makeDiag, positionOf } from './doc-context.js';
import type { DocContext } from './doc-context.js';
import { validatePolicy } from './validate.js';

/** Where each accepted policy's metadata.name was written (for BW1015). */
const namePos = new WeakMap<Policy, Pos & { field: string }>();

interface FileResult {
  policies: Policy[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
  skipped: number;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPolicyKind(k: unknown): k is PolicyKind {
  return typeof k === 'string' && (POLICY_KINDS as readonly string[]).includes(k);
}

function describe(ctx: DocContext, kind: unknown, name: unknown): string {
  const n = typeof name === 'string' && name ? ` "${name}"` : '';
  const item = ctx.prefix ? ` ${ctx.prefix}` : '';
  return `document ${ctx.document}${item} (${typeof kind === 'string' ? kind : 'no kind'}${n})`;
}

/** Classifies one mapping (a document, or an item of a List) and handles it. */
function handleObject(ctx: DocContext, value: unknown, out: FileResult, depth: number): void {
  if (!isMapping(value)) {
    out.errors.push(
      makeDiag(ctx, 'POLICY_NOT_OBJECT', '', positionOf(ctx, ''), 'a policy document must be a mapping', {
        found: showValue(value),
        fix: 'write apiVersion, kind, metadata and spec as "key: value" entries',
      }),
    );
    return;
  }
  const kind = value.kind;
  const meta = isMapping(value.metadata) ? value.metadata : {};
  const what = describe(ctx, kind, meta.name);
  const isList =
    typeof kind === 'string' && (kind === 'List' || (kind.endsWith('List') && Array.isArray(value.items)));
  if (isList && depth === 0) {
    if (!Array.isArray(value.items)) {
      out.errors.push(
        makeDiag(
          ctx,
          'POLICY_WRONG_TYPE',
          'items',
          positionOf(ctx, 'items'),
          'items of a List must be a list',
          {
            found: showValue(value.items),
            fix: 'write items as a list of policy documents ("- apiVersion: …")',
          },
        ),
      );
      return;
    }
    value.items.forEach((item, i) => {
      handleObject({ ...ctx, prefix: absField(ctx.prefix, `items[${i}]`) }, item, out, depth + 1);
    });
    return;
  }
  if (isPolicyKind(kind)) {
    if (value.apiVersion !== API_VERSION) {
      out.errors.push(
        makeDiag(
          ctx,
          'POLICY_BAD_API_VERSION',
          'apiVersion',
          positionOf(ctx, 'apiVersion'),
          `${kind} needs apiVersion ${API_VERSION}`,
          {
            found: value.apiVersion === undefined ? 'nothing' : showValue(value.apiVersion),
            fix: `write apiVersion: ${API_VERSION}`,
          },
        ),
      );
      return;
    }
    const v = validatePolicy(ctx, kind, value);
    out.errors.push(...v.errors);
    out.warnings.push(...v.warnings);
    if (v.errors.length > 0) return;
    const n = normalisePolicy(ctx, kind, v.value);
    out.warnings.push(...n.warnings);
    out.policies.push(n.policy);
    namePos.set(n.policy, {
      ...positionOf(ctx, 'metadata.name'),
      field: absField(ctx.prefix, 'metadata.name'),
    });
    return;
  }
  if (kind === undefined && value.spec !== undefined) {
    out.errors.push(
      makeDiag(ctx, 'POLICY_MISSING_FIELD', 'kind', positionOf(ctx, ''), 'required field "kind" is missing', {
        fix: 'add kind: KubeArmorPolicy (or KubeArmorHostPolicy, KubeArmorClusterPolicy)',
      }),
    );
    return;
  }
  out.skipped++;
  const near = typeof kind === 'string' ? closest(kind, POLICY_KINDS) : undefined;
  out.warnings.push(
    makeDiag(
      ctx,
      'POLICY_OTHER_KIND',
      'kind',
      positionOf(ctx, kind === undefined ? '' : 'kind'),
      `${what} skipped: not a KubeArmor file policy`,
      {
        ...(typeof kind === 'string' ? { found: kind } : {}),
        fix:
          near && near !== kind
            ? `if it is meant as a policy, write kind: ${near}`
            : 'nothing to change if the document is for another tool',
      },
    ),
  );
}

function parseFile(text: string, file: string): FileResult {
  const out: FileResult = { policies: [], errors: [], warnings: [], skipped: 0 };
  const read = readDocuments(text, file);
  out.errors.push(...read.errors);
  out.warnings.push(...read.warnings);
  for (const doc of read.documents) {
    const ctx: DocContext = { file, document: doc.index, prefix: '', positions: doc.positions };
    if (doc.value === null) {
      out.skipped++;
      out.warnings.push(
        makeDiag(
          ctx,
          'POLICY_EMPTY_DOCUMENT',
          '',
          positionOf(ctx, ''),
          `document ${doc.index} is empty and skipped`,
          {
            fix: 'remove the stray "---" or the empty document',
          },
        ),
      );
      continue;
    }
    handleObject(ctx, doc.value, out, 0);
  }
  return out;
}

function policyKey(p: Policy): string {
  return `${p.kind}\u0000${p.namespace ?? ''}\u0000${p.name}`;
}

/** Accumulates file results into a LoadResult, checking duplicates against accepted files. */
class Collector {
  readonly result: LoadResult = { ok: true, policies: [], errors: [], warnings: [], files: [] };
  private readonly seen = new Map<string, Policy>();

  add(file: string, r: FileResult): void {
    const errors = [...r.errors];
    if (errors.length === 0) {
      const local = new Map<string, Policy>();
      for (const p of r.policies) {
        const key = policyKey(p);
        const first = this.seen.get(key) ?? local.get(key);
        if (first) {
          const ns = p.namespace !== undefined ? ` in namespace "${p.namespace}"` : '';
          errors.push({
            code: codes.POLICY_DUPLICATE.code,
            level: codes.POLICY_DUPLICATE.level,
            file,
            line: (namePos.get(p) ?? p.pos).line,
            col: (namePos.get(p) ?? p.pos).col,
            field: namePos.get(p)?.field ?? 'metadata.name',
            message: `${p.kind} "${p.name}"${ns} is already defined at ${first.pos.file}:${first.pos.line}`,
            found: p.name,
            fix: 'rename one of them (metadata.name) or remove the duplicate',
            document: p.document,
          });
        } else local.set(key, p);
      }
      if (errors.length === 0) for (const [k, p] of local) this.seen.set(k, p);
    }
    const ok = errors.length === 0;
    if (ok) this.result.policies.push(...r.policies);
    this.result.errors.push(...errors);
    this.result.warnings.push(...r.warnings);
    const summary: FileSummary = {
      file,
      ok,
      policies: ok ? r.policies.length : 0,
      skipped: r.skipped,
      errors: errors.length,
      warnings: r.warnings.length,
    };
    this.result.files.push(summary);
    if (!ok) this.result.ok = false;
  }

  addErrors(errors: Diagnostic[]): void {
    if (errors.length === 0) return;
    this.result.errors.push(...errors);
    this.result.ok = false;
  }
}

/** Parses policy text (one file's content, or a policy received over the API). Never throws. */
export function parsePolicyText(text: string, file: string): LoadResult {
  const c = new Collector();
  c.add(file, parseFile(text, file));
  return c.result;
}

/** Loads files and directories (see sources.ts). Never throws for user mistakes. */
export function loadPolicies(paths: string[]): LoadResult {
  const c = new Collector();
  const sources = findPolicyFiles(paths);
  c.addErrors(sources.errors);
  for (const file of sources.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'error';
      const d: Diagnostic = {
        code: codes.FILE_UNREADABLE.code,
        level: codes.FILE_UNREADABLE.level,
        file,
        line: 0,
        col: 0,
        field: '',
        message: `cannot read the file (${code})`,
        fix: 'check its permissions, or that it is a regular file',
      };
      c.add(file, { policies: [], errors: [d], warnings: [], skipped: 0 });
      continue;
    }
    c.add(file, parseFile(text, file));
  }
  return c.result;
}
