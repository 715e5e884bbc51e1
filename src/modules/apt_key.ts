// apt_key: Ansible's arguments, without apt-key (deprecated by Debian, gone in Debian 13).
// The key becomes a keyring file of its own: `keyring` (for a repository's signed-by=), or,
// given only an `id`, /etc/apt/trusted.gpg.d/ID.gpg, which apt trusts for every source as
// apt-key did. An armored key is de-armored on the controller (apt reads a .gpg keyring as
// binary), and its fingerprint is checked against `id`. `url` and `keyserver` are refused:
// a download is get_url's (tested, with a checksum), never hidden in this module.
import { createHash } from 'node:crypto';
import { TaskError } from '../errors.js';
import { sh } from '../sh.js';
import { fileFact } from '../facts/file.js';
import type { Fact } from '../facts/types.js';
import { defineModule, definePlan, type Plan } from './types.js';
import { planContent, PROBES, sha256 } from './common/put-file.js';
import { absPathSchema, has } from './common/schema.js';
import { steps } from './common/steps.js';

export interface AptKeyArgs {
  id?: string;
  data?: string;
  file?: string;
  url?: string;
  keyserver?: string;
  keyring?: string;
  state?: 'present' | 'absent';
  validate_certs?: boolean;
}

const ARMOR_BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

/** An ASCII-armored block's binary content (RFC 4880 section 6.2), or null if not armored. */
export function dearmor(text: string): Buffer | null {
  const lines = text.split(/\r?\n/);
  const begin = lines.findIndex((l) => l.trim() === ARMOR_BEGIN);
  if (begin === -1) return null;
  let i = begin + 1;
  // Armor headers ("Version: ...", "Comment: ...") end at the first blank line.
  while (i < lines.length && lines[i]!.trim() !== '' && /^[A-Za-z-]+: /.test(lines[i]!)) i++;
  const body: string[] = [];
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.startsWith('-----END') || (l.startsWith('=') && l.length === 5)) break;
    body.push(l);
  }
  return Buffer.from(body.join(''), 'base64');
}

/** The v4 fingerprint (hex, upper case) of the first public-key packet, or null if there is none such. */
export function fingerprint(key: Buffer): string | null {
  let at = 0;
  while (at < key.length) {
    const b = key[at]!;
    if ((b & 0x80) === 0) return null;
    let tag: number;
    let len: number;
    let head: number;
    if (b & 0x40) {
      tag = b & 0x3f;
      const o1 = key[at + 1] ?? 0;
      if (o1 < 192) [len, head] = [o1, 2];
      else if (o1 < 224) [len, head] = [((o1 - 192) << 8) + (key[at + 2] ?? 0) + 192, 3];
      else if (o1 === 255) [len, head] = [key.readUInt32BE(at + 2), 6];
      else return null;
    } else {
      tag = (b >> 2) & 0x0f;
      const t = b & 3;
      if (t === 0) [len, head] = [key[at + 1] ?? 0, 2];
      else if (t === 1) [len, head] = [key.readUInt16BE(at + 1), 3];
      else if (t === 2) [len, head] = [key.readUInt32BE(at + 1), 5];
      else return null;
    }
    const body = key.subarray(at + head, at + head + len);
    if (tag === 6) {
      if (body[0] !== 4) return null;
      const pre = Buffer.from([0x99, (len >> 8) & 0xff, len & 0xff]);
      return createHash('sha1').update(pre).update(body).digest('hex').toUpperCase();
    }
    at += head + len;
  }
  return null;
}

const normId = (id: string): string => id.replace(/^0x/i, '').replace(/\s+/g, '').toUpperCase();

export const keyringOf = (a: AptKeyArgs): string => a.keyring ?? `/etc/apt/trusted.gpg.d/${normId(a.id ?? '')}.gpg`;

/** The bytes the keyring file must hold: binary for .gpg, the armored text for .asc. */
export function keyBytes(raw: Buffer, keyring: string): Buffer {
  const text = raw.toString('utf8');
  if (keyring.endsWith('.asc')) {
    if (!text.includes(ARMOR_BEGIN))
      throw new TaskError(`${keyring} is an .asc keyring but the key is not ASCII-armored`, 'name the keyring NAME.gpg for a binary key');
    return raw;
  }
  return dearmor(text) ?? raw;
}

export default defineModule<AptKeyArgs>({
  name: 'apt_key',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^(0x)?[0-9A-Fa-f ]{8,50}$', errorMessage: 'id is a key id or fingerprint in hex' },
      data: { type: 'string', minLength: 1 },
      file: absPathSchema,
      url: { type: 'string' },
      keyserver: { type: 'string' },
      keyring: {
        ...absPathSchema,
        allOf: [
          ...absPathSchema.allOf,
          { type: 'string', pattern: '\\.(gpg|asc)$', errorMessage: 'keyring must end in .gpg (binary) or .asc (armored): apt decides by the name' },
        ],
      },
      state: { enum: ['present', 'absent'] },
      validate_certs: { type: 'boolean' },
    },
    additionalProperties: false,
    allOf: [
      {
        anyOf: [has('keyring'), has('id')],
        errorMessage: 'apt_key writes a keyring file: give keyring (e.g. /etc/apt/keyrings/NAME.gpg, then signed-by= it) or id',
      },
      {
        not: {
          anyOf: [has('data', 'file'), has('data', 'url'), has('file', 'url'), has('data', 'keyserver'), has('file', 'keyserver'), has('url', 'keyserver')],
        },
        errorMessage: 'data, file, url and keyserver are mutually exclusive',
      },
    ],
  },
  facts(args): Fact<unknown>[] {
    const list: Fact<unknown>[] = [fileFact(keyringOf(args))];
    if (args.file && (args.state ?? 'present') === 'present') list.push(fileFact(args.file, true));
    return list;
  },
  plan(args, facts): Plan {
    const keyring = keyringOf(args);
    const st = facts.get(fileFact(keyringOf(args)));
    const result = { keyring, id: args.id ?? null };
    if ((args.state ?? 'present') === 'absent') {
      if (st.kind === 'absent') return definePlan({ summary: `${keyring} is absent`, result });
      if (st.kind !== 'file') throw new TaskError(`${keyring} is a ${st.kind}`, 'keyring names a keyring file');
      const c = { description: `remove ${keyring}`, script: steps(sh`rm -f -- ${keyring}`), invalidates: [`file:${keyring}`, PROBES] };
      return definePlan({ changes: [c], diffs: [{ label: keyring, before: `sha256 ${st.sha256}\n`, after: '' }], summary: c.description, result });
    }
    if (args.url !== undefined)
      throw new TaskError(
        `apt_key does not download keys (url ${args.url})`,
        `download it with get_url (url: ${args.url}, dest: /etc/apt/keyrings/NAME.asc, checksum: ...) and name that file in the repository's signed-by=`,
      );
    if (args.keyserver !== undefined)
      throw new TaskError('apt_key does not query keyservers', 'export the key once, and give it as data: or file: with keyring:');
    let raw: Buffer;
    if (args.data !== undefined) raw = Buffer.from(args.data, 'utf8');
    else if (args.file !== undefined) {
      const f = facts.get(fileFact(args.file, true));
      if (f.kind !== 'file' || !f.content)
        throw new TaskError(`${args.file} is not a readable key file on the host`, 'check the path (file: is a path on the host, as in Ansible)');
      raw = f.content;
    } else if (st.kind === 'file') return definePlan({ summary: `${keyring} is present`, result });
    else throw new TaskError(`no key for ${keyring}`, 'give the key as data: (or file: on the host)');
    const bytes = keyBytes(raw, keyring);
    const fpr = fingerprint(keyring.endsWith('.asc') ? (dearmor(raw.toString('utf8')) ?? raw) : bytes);
    if (args.id && fpr && !fpr.endsWith(normId(args.id)))
      throw new TaskError(`the key given is ${fpr}, not ${normId(args.id)}`, 'check id, or the key data (a subkey id does not name the key)');
    const p = planContent({ dest: keyring, mode: '0644' }, bytes, st);
    const out = { ...result, fingerprint: fpr };
    if (!p.changes.length) return definePlan({ summary: 'in sync', result: out });
    // A keyring is binary: the diff names the content by hash and key fingerprint.
    const diffs = p.diffs.map((d) =>
      d.label === keyring
        ? { label: keyring, before: st.kind === 'file' ? `sha256 ${st.sha256}\n` : '', after: `sha256 ${sha256(bytes)} (key ${fpr ?? 'unknown'})\n` }
        : d,
    );
    return { ...p, diffs, result: out };
  },
});
