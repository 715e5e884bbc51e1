// find: files under directories matching name patterns, age, size, type and content,
// registered as Ansible's `files` (stat-like dicts with `path`), `matched` and `examined`.
// Read-only: always ok.
import { findFact, type FindProbe, type FoundEntry } from '../facts/find.js';
import { defineModule, definePlan, type Vars } from './types.js';
import { absPathSchema, asList, has, oneOrMany } from './common/schema.js';
import { pyRegExp } from './common/pyre.js';
import { InputError } from '../errors.js';

export interface FindArgs {
  paths?: string | string[];
  path?: string | string[];
  name?: string | string[];
  patterns?: string | string[];
  pattern?: string | string[];
  excludes?: string | string[];
  exclude?: string | string[];
  contains?: string;
  read_whole_file?: boolean;
  file_type?: 'file' | 'directory' | 'link' | 'any';
  recurse?: boolean;
  age?: string;
  age_stamp?: 'atime' | 'ctime' | 'mtime';
  size?: string;
  hidden?: boolean;
  follow?: boolean;
  get_checksum?: boolean;
  use_regex?: boolean;
  depth?: number;
  mode?: string;
  exact_mode?: boolean;
}

const list = (v: string | string[] | undefined): string[] => asList(v).flatMap((s) => (s.includes(',') ? s.split(',') : [s]));

function probeOf(a: FindArgs): FindProbe {
  const recurse = a.recurse ?? false;
  return {
    paths: list(a.paths ?? a.path ?? a.name),
    maxdepth: recurse ? (a.depth ?? null) : 1,
    follow: a.follow ?? false,
    checksum: a.get_checksum ?? false,
    ...(a.contains !== undefined ? { contains: a.contains, wholeFile: a.read_whole_file ?? false } : {}),
  };
}

/** Python's fnmatch as a RegExp over the whole name. */
export function globRegExp(g: string): RegExp {
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = g.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        const body = g.slice(i + 1, j);
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZES: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function threshold(spec: string, units: Record<string, number>, what: string): number {
  const m = /^(-?\d+)([a-z]?)$/.exec(spec.toLowerCase());
  if (!m) throw InputError.one(`find: ${what} ${JSON.stringify(spec)} is not a number with an optional unit (${Object.keys(units).join(', ')})`);
  return Number(m[1]) * (units[m[2] || Object.keys(units)[0]!] ?? NaN);
}

const TYPE: Record<string, string> = { file: 'f', directory: 'd', link: 'l' };

export function selectEntries(a: FindArgs, now: number, entries: FoundEntry[]): FoundEntry[] {
  const match = (pats: string[]) => pats.map((p) => (a.use_regex ? pyRegExp(`^(?:${p})`) : globRegExp(p)));
  const pats = match(list(a.patterns ?? a.pattern));
  const excl = match(list(a.excludes ?? a.exclude));
  const age = a.age !== undefined ? threshold(a.age, UNITS, 'age') : null;
  const size = a.size !== undefined ? threshold(a.size, SIZES, 'size') : null;
  const type = a.file_type ?? 'file';
  return entries.filter((e) => {
    const base = e.path.slice(e.path.lastIndexOf('/') + 1);
    if (type !== 'any' && e.type !== TYPE[type]) return false;
    if (!(a.hidden ?? false) && base.startsWith('.')) return false;
    if (pats.length && !pats.some((r) => r.test(base))) return false;
    if (excl.some((r) => r.test(base))) return false;
    if (age !== null) {
      const d = now - e[a.age_stamp ?? 'mtime'];
      if (age >= 0 ? d < age : d > -age) return false;
    }
    if (size !== null && (size >= 0 ? e.size < size : e.size > -size)) return false;
    if (a.mode !== undefined) {
      const want = parseInt(a.mode, 8);
      const have = parseInt(e.mode, 8);
      if ((a.exact_mode ?? true) ? have !== want : (have & want) !== want) return false;
    }
    if (a.contains !== undefined && e.type === 'f' && !e.contains) return false;
    return true;
  });
}

export function foundDict(e: FoundEntry): Vars {
  const m = parseInt(e.mode, 8);
  return {
    path: e.path,
    mode: e.mode,
    isdir: e.type === 'd',
    isreg: e.type === 'f',
    islnk: e.type === 'l',
    isfifo: e.type === 'p',
    issock: e.type === 's',
    ischr: e.type === 'c',
    isblk: e.type === 'b',
    uid: e.uid,
    gid: e.gid,
    pw_name: e.owner,
    gr_name: e.group,
    size: e.size,
    mtime: e.mtime,
    atime: e.atime,
    ctime: e.ctime,
    inode: e.inode,
    nlink: e.nlink,
    wusr: (m & 0o200) !== 0,
    rusr: (m & 0o400) !== 0,
    xusr: (m & 0o100) !== 0,
    wgrp: (m & 0o20) !== 0,
    rgrp: (m & 0o40) !== 0,
    xgrp: (m & 0o10) !== 0,
    woth: (m & 0o2) !== 0,
    roth: (m & 0o4) !== 0,
    xoth: (m & 0o1) !== 0,
    isuid: (m & 0o4000) !== 0,
    isgid: (m & 0o2000) !== 0,
    ...(e.checksum !== undefined ? { checksum: e.checksum } : {}),
  };
}

const strs = oneOrMany({ type: 'string', minLength: 1 });

export default defineModule<FindArgs>({
  name: 'find',
  schema: {
    type: 'object',
    properties: {
      paths: oneOrMany(absPathSchema),
      path: oneOrMany(absPathSchema),
      name: oneOrMany(absPathSchema),
      patterns: strs,
      pattern: strs,
      excludes: strs,
      exclude: strs,
      contains: { type: 'string', minLength: 1 },
      read_whole_file: { type: 'boolean' },
      file_type: { enum: ['file', 'directory', 'link', 'any'] },
      recurse: { type: 'boolean' },
      age: { type: 'string', pattern: '^-?\\d+[smhdwSMHDW]?$', errorMessage: 'age is a number of seconds, or with a unit s, m, h, d, w ("2d", "-1w")' },
      age_stamp: { enum: ['atime', 'ctime', 'mtime'] },
      size: { type: 'string', pattern: '^-?\\d+[bkmgtBKMGT]?$', errorMessage: 'size is a number of bytes, or with a unit b, k, m, g, t ("10m", "-1k")' },
      hidden: { type: 'boolean' },
      follow: { type: 'boolean' },
      get_checksum: { type: 'boolean' },
      use_regex: { type: 'boolean' },
      depth: { type: 'integer', minimum: 1 },
      mode: { type: 'string', pattern: '^0?[0-7]{3,4}$', errorMessage: 'mode is a quoted octal string such as "0644"' },
      exact_mode: { type: 'boolean' },
    },
    additionalProperties: false,
    oneOf: [has('paths'), has('path'), has('name')],
    errorMessage: 'find needs paths (a directory or a list of them)',
  },
  facts: (args) => [findFact(probeOf(args))],
  plan(args, facts) {
    const l = facts.get(findFact(probeOf(args)));
    const files = selectEntries(args, l.now, l.entries).map(foundDict);
    return definePlan({
      summary: `${files.length} of ${l.entries.length} entries matched`,
      result: { files, matched: files.length, examined: l.entries.length, msg: 'All paths examined', skipped_paths: {} },
    });
  },
});
