// getent: a name service database read into ansible_facts.getent_<database>, keyed by the
// first field, as Ansible's does: `getent_passwd.alice[4]` is alice's home. Read-only.
import { TaskError } from '../errors.js';
import { getentFact } from '../facts/getent.js';
import { defineModule, definePlan } from './types.js';

export interface GetentArgs {
  database: string;
  key?: string;
  service?: string;
  split?: string;
  fail_key?: boolean;
}

const COLON = ['passwd', 'shadow', 'group', 'gshadow'];

export function getentDict(database: string, lines: string[], split?: string): Record<string, string[] | null> {
  const sep = split ?? (COLON.includes(database) ? ':' : null);
  const out: Record<string, string[] | null> = {};
  for (const l of lines) {
    const f = sep === null ? l.trim().split(/\s+/) : l.split(sep);
    const [k = '', ...rest] = f;
    if (!(k in out)) out[k] = rest;
  }
  return out;
}

export default defineModule<GetentArgs>({
  name: 'getent',
  schema: {
    type: 'object',
    properties: {
      database: { type: 'string', pattern: '^[a-z_]+$', errorMessage: 'database is a name such as passwd, group or hosts' },
      key: { type: 'string' },
      service: { type: 'string', minLength: 1 },
      split: { type: 'string', minLength: 1 },
      fail_key: { type: 'boolean' },
    },
    required: ['database'],
    additionalProperties: false,
  },
  facts: (args) => [getentFact(args.database, args.key || undefined, args.service)],
  plan(args, facts) {
    const r = facts.get(getentFact(args.database, args.key || undefined, args.service));
    const dict = getentDict(args.database, r.lines, args.split);
    if (r.code === 2) {
      if (args.fail_key ?? true)
        throw new TaskError(
          `One or more supplied key could not be found in the database.`,
          `key ${args.key ?? ''} is not in ${args.database}; set fail_key: false to accept that`,
        );
      for (const k of (args.key ?? '').split(/\s+/).filter(Boolean)) dict[k] = null;
    } else if (r.code === 1) throw new TaskError(`getent: unknown database ${args.database}`);
    else if (r.code === 3) throw new TaskError(`getent: enumeration is not supported on ${args.database}`, 'give a key');
    else if (r.code !== 0) throw new TaskError(`getent ${args.database} failed (exit ${r.code})`);
    return definePlan({ summary: `read ${args.database}`, result: { ansible_facts: { [`getent_${args.database}`]: dict } } });
  },
});
