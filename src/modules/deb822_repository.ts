// deb822_repository: a repository as a deb822 .sources file in /etc/apt/sources.list.d,
// written as Ansible's module writes it (same file name, fields in the same order and
// spelling), so a file Ansible wrote is taken over unchanged. Atomic write with its exact
// diff. A signed_by URL is refused: the key is downloaded by a get_url task, and signed_by
// names the file it wrote.
import { TaskError } from '../errors.js';
import { sh } from '../sh.js';
import { fileFact, pathExistsFact } from '../facts/file.js';
import { defineModule, definePlan, type Change, type Diff, type Plan } from './types.js';
import { UPDATE } from './apt.js';
import { planContent, PROBES } from './common/put-file.js';
import { liveText } from './common/edit.js';
import { modeSchema } from './common/schema.js';
import { steps } from './common/steps.js';

type List = string | string[];

export interface Deb822Args {
  name: string;
  state?: 'present' | 'absent';
  types?: List;
  uris?: List;
  suites?: List;
  components?: List;
  architectures?: List;
  languages?: List;
  targets?: List;
  signed_by?: string;
  enabled?: boolean;
  trusted?: boolean;
  allow_insecure?: boolean;
  allow_weak?: boolean;
  allow_downgrade_to_insecure?: boolean;
  by_hash?: boolean;
  check_date?: boolean;
  check_valid_until?: boolean;
  pdiffs?: boolean;
  date_max_future?: number;
  inrelease_path?: string;
  mode?: string;
  install_python_debian?: boolean;
  /** Not Ansible's (its module never updates the cache): run apt-get update after a change. */
  update_cache?: boolean;
}

/** The deb822 fields, in the order Ansible writes them (its parameters, sorted by name). */
const FIELDS = [
  'allow_downgrade_to_insecure',
  'allow_insecure',
  'allow_weak',
  'architectures',
  'by_hash',
  'check_date',
  'check_valid_until',
  'components',
  'date_max_future',
  'enabled',
  'inrelease_path',
  'languages',
  'name',
  'pdiffs',
  'signed_by',
  'suites',
  'targets',
  'trusted',
  'types',
  'uris',
] as const;

export const KEYRINGS_DIR = '/etc/apt/keyrings';

/** Ansible's slug: lower case, runs of _ and blanks made '-', anything else but [a-z0-9-] dropped. */
export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[_\s]+/g, '-')
    .replace(/[^a-z0-9-]+/g, '');
}

export const sourcesFile = (name: string): string => `/etc/apt/sources.list.d/${slugOf(name)}.sources`;

function fieldName(k: string): string {
  if (k === 'name') return 'X-Repolib-Name';
  if (k === 'uris') return 'URIs';
  return k
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('-');
}

/** Ansible's list arguments accept a string, split on commas. */
const asItems = (v: List): string[] => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean);

function multiline(v: string): string {
  const lines = v
    .trim()
    .split('\n')
    .map((l) => l.trim() || '.');
  return `\n${lines.map((l) => `    ${l}`).join('\n')}`;
}

/** The .sources file's text for these arguments. */
export function renderDeb822(a: Deb822Args): string {
  const out: string[] = [];
  const values = { ...a, types: a.types ?? ['deb'] } as Record<string, unknown>;
  for (const k of FIELDS) {
    const v = values[k];
    if (v === undefined || v === null) continue;
    let s: string;
    if (typeof v === 'boolean') s = v ? 'yes' : 'no';
    else if (typeof v === 'number') s = String(v);
    else if (k === 'signed_by' || k === 'name' || k === 'inrelease_path') s = String(v);
    else s = asItems(v as List).join(' ');
    if (s.includes('\n')) s = multiline(s);
    out.push(s.startsWith('\n') ? `${fieldName(k)}:${s}\n` : `${fieldName(k)}: ${s}\n`);
  }
  return out.join('');
}

const LIST = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
};

export default defineModule<Deb822Args>({
  name: 'deb822_repository',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, pattern: '[A-Za-z0-9]', errorMessage: 'name names the repository (and its file: NAME.sources)' },
      state: { enum: ['present', 'absent'] },
      types: {
        anyOf: [{ enum: ['deb', 'deb-src'] }, { type: 'array', items: { enum: ['deb', 'deb-src'] }, minItems: 1 }],
        errorMessage: 'types is deb and/or deb-src',
      },
      uris: LIST,
      suites: LIST,
      components: LIST,
      architectures: LIST,
      languages: LIST,
      targets: LIST,
      signed_by: { type: 'string', minLength: 1 },
      enabled: { type: 'boolean' },
      trusted: { type: 'boolean' },
      allow_insecure: { type: 'boolean' },
      allow_weak: { type: 'boolean' },
      allow_downgrade_to_insecure: { type: 'boolean' },
      by_hash: { type: 'boolean' },
      check_date: { type: 'boolean' },
      check_valid_until: { type: 'boolean' },
      pdiffs: { type: 'boolean' },
      date_max_future: { type: 'integer', minimum: 0 },
      inrelease_path: { type: 'string' },
      mode: modeSchema,
      install_python_debian: { type: 'boolean' },
      update_cache: { type: 'boolean' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  facts(args) {
    const path = sourcesFile(args.name);
    if ((args.state ?? 'present') === 'absent')
      return [fileFact(path, true), ...['asc', 'gpg'].map((e) => pathExistsFact(`${KEYRINGS_DIR}/${slugOf(args.name)}.${e}`))];
    return [fileFact(path, true)];
  },
  plan(args, facts): Plan {
    const path = sourcesFile(args.name);
    const result = { dest: path, key_filename: null as string | null, repo: null as string | null };
    if ((args.state ?? 'present') === 'absent') {
      const { text } = liveText(path, facts);
      const changes: Change[] = [];
      const diffs: Diff[] = [];
      if (text !== null) {
        diffs.push({ label: path, before: text, after: '' });
        changes.push({ description: `remove ${path}`, script: steps(sh`rm -f -- ${path}`), invalidates: [`file:${path}`, PROBES] });
      }
      for (const e of ['asc', 'gpg']) {
        const key = `${KEYRINGS_DIR}/${slugOf(args.name)}.${e}`;
        if (!facts.get(pathExistsFact(key))) continue;
        diffs.push({ label: key, before: 'present\n', after: 'absent\n' });
        changes.push({ description: `remove ${key}`, script: steps(sh`rm -f -- ${key}`), invalidates: [`file:${key}`, PROBES] });
      }
      if (!changes.length) return definePlan({ summary: `${path} is absent`, result });
      return definePlan({ changes, diffs, summary: changes.map((c) => c.description).join('; '), result });
    }
    if (args.signed_by !== undefined && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(args.signed_by.trim()))
      throw new TaskError(
        `signed_by ${args.signed_by} is a URL: plumb does not download keys inside deb822_repository`,
        `fetch it with get_url (dest: ${KEYRINGS_DIR}/${slugOf(args.name)}.asc) first, and give that path as signed_by`,
      );
    if (!args.uris || !args.suites)
      throw new TaskError(
        'deb822_repository with state: present needs uris and suites',
        'add uris: and suites: (and components: unless the suite is a path ending in /)',
      );
    const repo = renderDeb822(args);
    const { st } = liveText(path, facts);
    const p = planContent({ dest: path, mode: args.mode ?? '0644' }, Buffer.from(repo, 'utf8'), st);
    const out = { ...result, repo, key_filename: args.signed_by?.startsWith('/') ? args.signed_by : null };
    if (!p.changes.length) return definePlan({ summary: 'in sync', result: out });
    const changes = [...p.changes];
    if (args.update_cache) changes.push({ description: 'update apt cache', script: UPDATE, invalidates: ['apt:cache', 'pkg:*'] });
    return definePlan({ changes, diffs: p.diffs, summary: changes.map((c) => c.description).join('; '), result: out });
  },
});
