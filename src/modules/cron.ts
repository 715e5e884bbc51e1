// cron: one job (or environment variable) of a user's crontab or of a file in /etc/cron.d,
// found by its "#Ansible: NAME" marker as Ansible writes it, so jobs Ansible wrote are
// taken over rather than duplicated. cron_file jobs carry the user field.
import { TaskError } from '../errors.js';
import { script, sh } from '../sh.js';
import type { Fact } from '../facts/types.js';
import { defineModule, definePlan, type Plan } from './types.js';
import { liveText, planEdit, splitLines } from './common/edit.js';
import { PROBES } from './common/put-file.js';
import { steps } from './common/steps.js';
import { fileFact } from '../facts/file.js';
import { has } from './common/schema.js';

export interface CronArgs {
  name?: string;
  user?: string;
  job?: string;
  value?: string;
  state?: 'present' | 'absent';
  cron_file?: string;
  backup?: boolean;
  minute?: string | number;
  hour?: string | number;
  day?: string | number;
  dom?: string | number;
  month?: string | number;
  weekday?: string | number;
  dow?: string | number;
  special_time?: 'annually' | 'daily' | 'hourly' | 'monthly' | 'reboot' | 'weekly' | 'yearly';
  disabled?: boolean;
  env?: boolean;
  insertafter?: string;
  insertbefore?: string;
}

export type Crontab = { kind: 'none' } | { kind: 'present'; text: string } | { kind: 'no-crontab-command' };

/** A user's crontab as `crontab -l` prints it. */
export function crontabFact(user: string): Fact<Crontab> {
  return {
    key: `cron:${user}`,
    probe: script(sh`command -v crontab >/dev/null || exit 127`, sh`crontab -l -u ${user} || exit 3`),
    parse: (out, code) => (code === 127 ? { kind: 'no-crontab-command' } : code === 0 ? { kind: 'present', text: out } : { kind: 'none' }),
  };
}

const marker = (name: string) => `#Ansible: ${name}`;

export function cronFilePath(f: string): string {
  return f.startsWith('/') ? f : `/etc/cron.d/${f}`;
}

export function jobLine(a: CronArgs, withUser: string | null): string {
  const job = a.job ?? a.value ?? '';
  const when = a.special_time
    ? `@${a.special_time}`
    : [a.minute ?? '*', a.hour ?? '*', a.day ?? a.dom ?? '*', a.month ?? '*', a.weekday ?? a.dow ?? '*'].map(String).join(' ');
  return `${a.disabled ? '#' : ''}${when} ${withUser !== null ? `${withUser} ` : ''}${job}`;
}

/** The crontab text with the job (or env var) set or removed. */
export function editCron(text: string, a: CronArgs, withUser: string | null): string {
  const lines = splitLines(text).map((l) => (l.endsWith('\n') ? l : `${l}\n`));
  const present = (a.state ?? 'present') === 'present';
  const name = a.name ?? '';
  if (a.env) {
    const i = lines.findIndex((l) => l.startsWith(`${name}=`));
    const want = `${name}=${a.job ?? a.value ?? ''}\n`;
    if (!present) return i < 0 ? text : [...lines.slice(0, i), ...lines.slice(i + 1)].join('');
    if (i >= 0) {
      lines[i] = want;
      return lines.join('');
    }
    const anchor = a.insertafter ?? a.insertbefore;
    let at = 0;
    if (anchor !== undefined) {
      const j = lines.findIndex((l) => l.startsWith(`${anchor}=`));
      if (j >= 0) at = a.insertafter !== undefined ? j + 1 : j;
    }
    lines.splice(at, 0, want);
    return lines.join('');
  }
  const i = lines.findIndex((l) => l.trimEnd() === marker(name));
  if (!present) return i < 0 ? text : [...lines.slice(0, i), ...lines.slice(i + 2)].join('');
  const block = [`${marker(name)}\n`, `${jobLine(a, withUser)}\n`];
  if (i >= 0) lines.splice(i, 2, ...block);
  else lines.push(...block);
  return lines.join('');
}

export default defineModule<CronArgs>({
  name: 'cron',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, pattern: '^[^\\n]*$' },
      user: { type: 'string', minLength: 1 },
      job: { type: 'string', pattern: '^[^\\n]*$', errorMessage: 'job is one line' },
      value: { type: 'string', pattern: '^[^\\n]*$' },
      state: { enum: ['present', 'absent'] },
      cron_file: {
        type: 'string',
        pattern: '^(/etc/cron\\.d/)?[A-Za-z0-9_-]+$',
        errorMessage: 'cron_file is a name in /etc/cron.d made of letters, digits, _ and - (cron ignores files with dots)',
      },
      backup: { type: 'boolean' },
      ...Object.fromEntries(['minute', 'hour', 'day', 'dom', 'month', 'weekday', 'dow'].map((k) => [k, { type: ['string', 'integer'], pattern: '^\\S+$' }])),
      special_time: { enum: ['annually', 'daily', 'hourly', 'monthly', 'reboot', 'weekly', 'yearly'] },
      disabled: { type: 'boolean' },
      env: { type: 'boolean' },
      insertafter: { type: 'string' },
      insertbefore: { type: 'string' },
    },
    required: ['name'],
    additionalProperties: false,
    allOf: [
      {
        if: { not: { ...has('state'), properties: { state: { const: 'absent' } } } },
        then: { anyOf: [has('job'), has('value')], errorMessage: 'state: present needs job' },
      },
      {
        if: has('special_time'),
        then: {
          not: { anyOf: ['minute', 'hour', 'day', 'month', 'weekday'].map((k) => has(k)) },
          errorMessage: 'special_time replaces minute, hour, day, month and weekday',
        },
      },
    ],
  },
  facts: (args) => (args.cron_file !== undefined ? [fileFact(cronFilePath(args.cron_file), true)] : [crontabFact(args.user ?? 'root')]),
  plan(args, facts): Plan {
    const user = args.user ?? 'root';
    const what = `${args.env ? 'variable' : 'job'} ${args.name ?? ''} ${(args.state ?? 'present') === 'present' ? 'set' : 'removed'}`;
    if (args.cron_file !== undefined) {
      const path = cronFilePath(args.cron_file);
      const { st, text } = liveText(path, facts);
      if (text === null && args.state === 'absent') return definePlan({ summary: `${path} does not exist` });
      return planEdit({ path, mode: text === null ? '0644' : undefined, backup: args.backup }, path, st, text, editCron(text ?? '', args, user), what);
    }
    const tab = facts.get(crontabFact(user));
    if (tab.kind === 'no-crontab-command') throw new TaskError('crontab is not installed', 'install the cron package first (apt: name=cron), or use cron_file');
    const before = tab.kind === 'present' ? tab.text : '';
    const after = editCron(before, args, null);
    if (after === before) return definePlan({ summary: 'in sync' });
    const label = `crontab of ${user}`;
    return definePlan({
      changes: [
        {
          description: `${what} in the ${label}`,
          script: steps(
            args.backup && tab.kind === 'present' ? sh`crontab -l -u ${user} > ${`/tmp/crontab.${user}.`}$(date +%Y%m%d%H%M%S)~` : null,
            sh`crontab -u ${user} -`,
          ),
          stdin: after,
          invalidates: [`cron:${user}`, PROBES],
        },
      ],
      diffs: [{ label, before, after }],
      summary: `${what} in the ${label}`,
    });
  },
});
