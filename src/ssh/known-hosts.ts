// Host key verification against OpenSSH known_hosts files. ssh2 accepts ANY key unless a
// verifier says otherwise, so every connection goes through verifyHostKey(). Unknown keys
// are refused unless --accept-new-host-keys; a changed key is always refused.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash, createHmac } from 'node:crypto';
import { dirname } from 'node:path';

export interface KnownKey {
  type: string;
  blob: Buffer;
}

export type Verdict =
  | { result: 'match' }
  | { result: 'unknown' }
  | { result: 'changed'; file: string; line: number; knownType: string }
  | { result: 'revoked'; file: string; line: number };

export function hostToken(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  return re.test(s);
}

function hostMatches(field: string, token: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
  }
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), token)) return false;
    } else if (globMatch(p, token)) matched = true;
  }
  return matched;
}

interface Entry {
  file: string;
  line: number;
  marker?: string;
  key: KnownKey;
}

function entriesFor(files: readonly string[], token: string): Entry[] {
  const out: Entry[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((raw, i) => {
        const line = raw.trim();
        if (!line || line.startsWith('#')) return;
        const parts = line.split(/\s+/);
        const marker = parts[0]?.startsWith('@') ? parts.shift() : undefined;
        const [hosts, type, b64] = parts;
        if (!hosts || !type || !b64) return;
        if (!hostMatches(hosts, token)) return;
        out.push({ file, line: i + 1, marker, key: { type, blob: Buffer.from(b64, 'base64') } });
      });
  }
  return out;
}

/** Key types already known for this host, so the client can prefer them (as OpenSSH does). */
export function knownTypes(files: readonly string[], token: string): string[] {
  return [
    ...new Set(
      entriesFor(files, token)
        .filter((e) => !e.marker)
        .map((e) => e.key.type),
    ),
  ];
}

/** The @cert-authority and @revoked keys for this host: host certificates are checked against them (host-cert.ts). */
export function authoritiesFor(files: readonly string[], token: string): { authorities: KnownKey[]; revoked: KnownKey[] } {
  const entries = entriesFor(files, token);
  const keys = (marker: string) => entries.filter((e) => e.marker === marker).map((e) => e.key);
  return { authorities: keys('@cert-authority'), revoked: keys('@revoked') };
}

export function verifyHostKey(files: readonly string[], token: string, blob: Buffer): Verdict {
  const type = keyType(blob);
  const entries = entriesFor(files, token);
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.blob.equals(blob));
  if (revoked) return { result: 'revoked', file: revoked.file, line: revoked.line };
  const plain = entries.filter((e) => !e.marker);
  if (plain.some((e) => e.key.blob.equals(blob))) return { result: 'match' };
  const sameType = plain.find((e) => e.key.type === type);
  if (sameType) return { result: 'changed', file: sameType.file, line: sameType.line, knownType: type };
  // A known host offering a key of a type we have no record of is treated as changed too:
  // OpenSSH would only ever have negotiated a known type.
  const other = plain[0];
  if (other) return { result: 'changed', file: other.file, line: other.line, knownType: other.key.type };
  return { result: 'unknown' };
}

export function recordHostKey(file: string, token: string, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${token} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

/** OpenSSH-style fingerprint: SHA256:base64(sha256(blob)) without padding. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
