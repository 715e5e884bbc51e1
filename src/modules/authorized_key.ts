// authorized_key (ansible.posix): SSH public keys in a user's authorized_keys, added,
// replaced (same key, other options or comment) or removed; `exclusive` removes every other
// key. The diff names keys by type and comment, never by their body.
import { TaskError } from '../errors.js';
import { raw, sh } from '../sh.js';
import { authorizedKeysFact } from '../facts/authorized_keys.js';
import { defineModule, definePlan, type Diff, type Plan } from './types.js';
import { parentDir, PROBES, writeScript } from './common/put-file.js';
import { splitLines } from './common/edit.js';
import { steps } from './common/steps.js';

export interface AuthorizedKeyArgs {
  user: string;
  key: string;
  path?: string;
  manage_dir?: boolean;
  state?: 'present' | 'absent';
  key_options?: string;
  exclusive?: boolean;
  validate_certs?: boolean;
  comment?: string;
  follow?: boolean;
}

const TYPES =
  /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|ssh-[a-z0-9-]+-cert-v01@openssh\.com|ecdsa-sha2-nistp\d+-cert-v01@openssh\.com)$/;

export interface AuthKey {
  options: string | null;
  type: string;
  body: string;
  comment: string;
}

/** One authorized_keys line: [options] type base64 [comment]. Options may hold quoted spaces. */
export function parseKey(line: string): AuthKey | null {
  const l = line.trim();
  if (l === '' || l.startsWith('#')) return null;
  // Tokenize respecting double quotes in the options field.
  const words: string[] = [];
  let cur = '';
  let q = false;
  for (const c of l) {
    if (c === '"') q = !q;
    if (!q && /\s/.test(c)) {
      if (cur) words.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) words.push(cur);
  const t = words.findIndex((w) => TYPES.test(w));
  if (t < 0 || words[t + 1] === undefined) return null;
  return { options: t > 0 ? words.slice(0, t).join(' ') : null, type: words[t]!, body: words[t + 1]!, comment: words.slice(t + 2).join(' ') };
}

const render = (k: AuthKey) => `${k.options ? `${k.options} ` : ''}${k.type} ${k.body}${k.comment ? ` ${k.comment}` : ''}`;
const label = (k: AuthKey) => `${k.options ? '[options] ' : ''}${k.type} ${k.comment || '(no comment)'}`;

/** The new file text, and the keys named for the diff. */
export function editKeys(text: string, a: AuthorizedKeyArgs): { text: string; before: string[]; after: string[] } {
  const wanted = a.key
    .split('\n')
    .map(parseKey)
    .filter((k): k is AuthKey => k !== null)
    .map((k) => ({
      ...k,
      options: a.key_options ?? k.options,
      comment: a.comment ?? k.comment,
    }));
  const present = (a.state ?? 'present') === 'present';
  const lines = splitLines(text).map((l) => (l.endsWith('\n') ? l : `${l}\n`));
  const parsed = lines.map((l) => parseKey(l));
  const out: string[] = [];
  const placed = new Set<string>();
  lines.forEach((l, i) => {
    const k = parsed[i];
    if (!k) {
      if (!(a.exclusive && present)) out.push(l);
      return;
    }
    const w = wanted.find((x) => x.body === k.body);
    if (!w) {
      if (!(a.exclusive && present)) out.push(l);
      return;
    }
    if (!present || placed.has(w.body)) return;
    placed.add(w.body);
    out.push(`${render(w)}\n`);
  });
  if (present) for (const w of wanted) if (!placed.has(w.body)) out.push(`${render(w)}\n`);
  const names = (t: string) =>
    splitLines(t)
      .map(parseKey)
      .filter((k): k is AuthKey => k !== null)
      .map(label);
  const result = out.join('');
  return { text: result, before: names(text), after: names(result) };
}

export default defineModule<AuthorizedKeyArgs>({
  name: 'authorized_key',
  secretArgs: [],
  schema: {
    type: 'object',
    properties: {
      user: { type: 'string', pattern: '^[a-z_][a-z0-9_.-]*\\$?$', errorMessage: 'user is a login name' },
      key: {
        type: 'string',
        minLength: 1,
        pattern: '^(?![a-z]+://)',
        errorMessage: 'key is the public key text (plumb does not download keys from URLs: read them with a lookup on the controller)',
      },
      path: { type: 'string', pattern: '^(/|~/)', errorMessage: 'path is absolute or starts with ~/' },
      manage_dir: { type: 'boolean' },
      state: { enum: ['present', 'absent'] },
      key_options: { type: 'string' },
      exclusive: { type: 'boolean' },
      validate_certs: { type: 'boolean' },
      comment: { type: 'string', pattern: '^[^\\n]*$' },
      follow: { type: 'boolean' },
    },
    required: ['user', 'key'],
    additionalProperties: false,
  },
  facts: (args) => [authorizedKeysFact(args.user, args.path)],
  plan(args, facts, ctx): Plan {
    const st = facts.get(authorizedKeysFact(args.user, args.path));
    if (st.kind === 'no-user') {
      if (ctx.mayChange(authorizedKeysFact(args.user, args.path))) {
        return definePlan({
          changes: [{ description: `add keys for ${args.user} (the user may be created by an earlier task)`, script: sh`exit 1`, invalidates: [] }],
          summary: `add keys for ${args.user} (the user may be created by an earlier task)`,
        });
      }
      throw new TaskError(`Failed to lookup user ${args.user}`, 'create the user first (user: task)');
    }
    if (!keysIn(args.key).length) throw new TaskError('key holds no valid public key', 'give a line such as "ssh-ed25519 AAAA... comment"');
    const r = editKeys(st.content, args);
    if (r.text === st.content && (st.exists || (args.state ?? 'present') === 'absent'))
      return definePlan({ summary: 'in sync', result: { user: args.user, keyfile: st.file } });
    const manage = args.manage_dir ?? true;
    const dir = parentDir(st.file);
    const own = `${args.user}:${st.group}`;
    const diff: Diff = { label: `${st.file} (keys)`, before: r.before.map((s) => `${s}\n`).join(''), after: r.after.map((s) => `${s}\n`).join('') };
    const c = {
      description: `${(args.state ?? 'present') === 'present' ? 'authorize' : 'remove'} keys for ${args.user}`,
      script: steps(
        manage && !st.dirExists ? sh`mkdir -p -- ${dir}` : null,
        manage ? sh`chown ${own} ${dir}` : null,
        manage ? sh`chmod 0700 ${dir}` : null,
        raw(writeScript({ dest: st.file }, st.mode ?? '0600', own, st.exists).text),
      ),
      stdin: r.text,
      invalidates: [`user:${args.user}`, `file:${st.file}`, PROBES],
    };
    return definePlan({ changes: [c], diffs: [diff], summary: c.description, result: { user: args.user, keyfile: st.file } });
  },
});

function keysIn(key: string): AuthKey[] {
  return key
    .split('\n')
    .map(parseKey)
    .filter((k): k is AuthKey => k !== null);
}
