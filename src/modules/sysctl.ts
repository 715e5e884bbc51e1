// sysctl (ansible.posix): a kernel parameter in a sysctl file and, when `reload`, in the
// running kernel. The live value is a fact: a kernel whose value differs from the file is
// drift, reported by check and fixed by apply with `sysctl -w`.
import { TaskError } from '../errors.js';
import { sh } from '../sh.js';
import { fileFact } from '../facts/file.js';
import { normalizeSysctl, sysctlFact } from '../facts/sysctl.js';
import { defineModule, definePlan, type Change, type Plan } from './types.js';
import { editSchema, liveText, planEdit, splitLines } from './common/edit.js';
import { steps } from './common/steps.js';
import { absPathSchema, has } from './common/schema.js';
import { PROBES } from './common/put-file.js';

export interface SysctlArgs {
  name?: string;
  key?: string;
  value?: string | number | boolean;
  val?: string | number | boolean;
  state?: 'present' | 'absent';
  ignoreerrors?: boolean;
  reload?: boolean;
  sysctl_file?: string;
  sysctl_set?: boolean;
  validate?: string;
  backup?: boolean;
}

/**
 * Ansible's default file is /etc/sysctl.conf; on Debian 12 /etc/sysctl.d/99-sysctl.conf is a
 * link to it and both are the distribution's. A file of plumb's own keeps them untouched.
 */
export const DEFAULT_SYSCTL_FILE = '/etc/sysctl.d/90-plumb.conf';

const wantedValue = (v: string | number | boolean | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);

/** The file with `name` set to `value` (null: removed); Ansible's format is name=value. */
export function editSysctl(text: string, name: string, value: string | null): string {
  const lines = splitLines(text).map((l) => (l.endsWith('\n') ? l : `${l}\n`));
  const isKey = (l: string) => {
    const m = /^\s*([^#;=\s][^=]*?)\s*=/.exec(l);
    return m !== null && m[1] === name;
  };
  const out: string[] = [];
  let done = false;
  for (const l of lines) {
    if (!isKey(l)) out.push(l);
    else if (value !== null && !done) {
      const cur = l.slice(l.indexOf('=') + 1).trim();
      out.push(normalizeSysctl(cur) === normalizeSysctl(value) ? l : `${name}=${value}\n`);
      done = true;
    }
  }
  if (value !== null && !done) out.push(`${name}=${value}\n`);
  return out.join('');
}

const nameOf = (a: SysctlArgs) => a.name ?? a.key ?? '';

export default defineModule<SysctlArgs>({
  name: 'sysctl',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_./-]*$', errorMessage: 'name is a sysctl key such as net.ipv4.ip_forward' },
      key: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_./-]*$' },
      value: { type: ['string', 'number', 'boolean'] },
      val: { type: ['string', 'number', 'boolean'] },
      state: { enum: ['present', 'absent'] },
      ignoreerrors: { type: 'boolean' },
      reload: { type: 'boolean' },
      sysctl_file: absPathSchema,
      sysctl_set: { type: 'boolean' },
      validate: editSchema.validate,
      backup: { type: 'boolean' },
    },
    additionalProperties: false,
    allOf: [
      { oneOf: [has('name'), has('key')], errorMessage: 'sysctl needs name (the key)' },
      {
        if: { not: { ...has('state'), properties: { state: { const: 'absent' } } } },
        then: { anyOf: [has('value'), has('val')], errorMessage: 'state: present needs value' },
      },
    ],
  },
  facts: (args) => [fileFact(args.sysctl_file ?? DEFAULT_SYSCTL_FILE, true), sysctlFact(nameOf(args))],
  plan(args, facts): Plan {
    const name = nameOf(args);
    const file = args.sysctl_file ?? DEFAULT_SYSCTL_FILE;
    const present = (args.state ?? 'present') === 'present';
    const value = present ? (wantedValue(args.value ?? args.val) ?? '') : null;
    const live = facts.get(sysctlFact(name));
    if (live === null && !args.ignoreerrors) throw new TaskError(`this kernel has no sysctl ${name}`, 'check the name, or set ignoreerrors: true');
    const { st, text } = liveText(file, facts);
    const after = editSysctl(text ?? '', name, value);
    const filePlan = text === null && value === null ? definePlan({}) : planEdit(args, file, st, text, after, `${name} ${present ? 'set' : 'removed'}`);
    const applyLive = present && ((args.reload ?? true) || (args.sysctl_set ?? false));
    const liveDrift = applyLive && live !== null && value !== null && normalizeSysctl(live) !== normalizeSysctl(value);
    const changes: Change[] = [...filePlan.changes];
    const diffs = [...filePlan.diffs];
    if (liveDrift) {
      diffs.push({ label: `sysctl ${name} (running kernel)`, before: `${live}\n`, after: `${value}\n` });
      changes.push({
        description: `set ${name}=${value ?? ''} in the running kernel`,
        script: steps(args.ignoreerrors ? sh`sysctl -e -q -w ${`${name}=${value ?? ''}`} || true` : sh`sysctl -q -w ${`${name}=${value ?? ''}`}`),
        invalidates: [`sysctl:${name}`, PROBES],
      });
    }
    if (!changes.length) return definePlan({ summary: 'in sync' });
    return definePlan({ changes, diffs, summary: changes.map((c) => c.description).join('; ') });
  },
});
