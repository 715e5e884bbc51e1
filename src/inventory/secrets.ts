// Secrets: which variables are secret, where their values come from, and redaction.
// A secret is any variable whose name contains password/passphrase/secret/token or
// `pass` as a word (Ansible's ansible_become_pass, ansible_ssh_pass), any name listed in
// `plumb_secret_vars`, any value given as { secret_env } or { secret_file }, and every value
// decrypted from Ansible Vault.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import type { InputProblem, SourcePos } from '../errors.js';

export const REDACTED = '<redacted>';
const SECRET_NAME = /password|passphrase|secret|token|(?:^|_)pass(?:_|$)/i;

export function isSecretName(name: string, explicit: ReadonlySet<string>): boolean {
  // plumb_secret_vars holds variable NAMES, not secrets: masking them would garble output.
  if (name === 'plumb_secret_vars') return false;
  return explicit.has(name) || SECRET_NAME.test(name);
}

type SecretRef = { secret_env: string } | { secret_file: string; create?: boolean };

export function isSecretRef(v: unknown): v is SecretRef {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return (keys.length === 1 && keys[0] === 'secret_env') || (keys.includes('secret_file') && keys.every((k) => k === 'secret_file' || k === 'create'));
}

export function expandPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/** Resolve a secret reference to its value, or a positioned problem. */
export function resolveSecret(ref: SecretRef, baseDir: string, pos: SourcePos, name: string): string | InputProblem {
  if ('secret_env' in ref) {
    const v = process.env[ref.secret_env];
    if (v === undefined) {
      return {
        pos,
        message: `secret '${name}' reads environment variable ${ref.secret_env}, which is not set`,
        hint: `export ${ref.secret_env}=... before running plumb`,
      };
    }
    return v;
  }
  const file = expandPath(ref.secret_file, baseDir);
  if (!existsSync(file)) {
    if (!ref.create) {
      return {
        pos,
        message: `secret '${name}' reads ${file}, which does not exist`,
        hint: 'create the file (mode 0600), or add `create: true` to generate a random secret there',
      };
    }
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    return { pos, message: `secret '${name}': cannot read ${file}: ${(e as Error).message}` };
  }
}

/** Every string leaf of a value (a secret list or mapping hides all its strings). */
export function secretLeaves(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string' || typeof v === 'number') {
    const s = String(v);
    if (s.length >= 3) out.push(s); // masking "1" or "" everywhere would mangle all output
  } else if (Array.isArray(v)) v.forEach((x) => secretLeaves(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => secretLeaves(x, out));
  return out;
}

/** Leaves under secret-named keys nested in a non-secret value ({mysql: {root_password: x}}). */
export function nestedSecretLeaves(v: unknown, explicit: ReadonlySet<string>, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => nestedSecretLeaves(x, explicit, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (isSecretName(k, explicit)) secretLeaves(x, out);
      else nestedSecretLeaves(x, explicit, out);
    }
  }
  return out;
}

/** Replace every occurrence of every secret value. Longest first, so overlapping secrets mask fully. */
export function makeRedactor(secrets: Iterable<string>): (s: string) => string {
  const list = [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (!list.length) return (s) => s;
  return (s) => {
    let out = s;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}
