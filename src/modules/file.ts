// file: what is at a path — a directory, a symlink, an (existing) file, an empty file
// created by touch, or nothing — and its owner, group and mode.
import { sh } from '../sh.js';
import { steps } from './common/steps.js';
import { TaskError } from '../errors.js';
import { fileFact, normalizeMode, type FileState } from '../facts/file.js';
import { defineModule, definePlan, type Change, type Plan } from './types.js';
import { attrsMatch, ownerSpec, parentDir, pathInvalidates, setAttrsNoFollow } from './common/put-file.js';
import { absPathSchema, fileAttrSchema, has } from './common/schema.js';

export interface FileArgs {
  path: string;
  state?: 'file' | 'directory' | 'absent' | 'link' | 'touch';
  /** Link target (state: link). */
  src?: string;
  owner?: string;
  group?: string;
  mode?: string;
  /** state: link may replace an existing regular file (never a directory). */
  force?: boolean;
}

// Removing these (or anything directly under /) is never what a task meant.
const PROTECTED = new Set([
  '/usr/bin',
  '/usr/sbin',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/include',
  '/usr/share',
  '/usr/local',
  '/usr/src',
  '/var/lib',
  '/var/log',
  '/var/cache',
  '/var/spool',
  '/var/backups',
  '/var/mail',
  '/var/tmp',
  '/etc/ssh',
  '/etc/systemd',
  '/etc/apt',
  '/etc/default',
  '/etc/init.d',
  '/etc/pam.d',
  '/etc/security',
  '/etc/sudoers.d',
  '/etc/ssl',
  '/lib/systemd',
  '/usr/lib/systemd',
]);

export function normalizePath(p: string): string {
  return p.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
}

export function isProtectedPath(p: string): boolean {
  const n = normalizePath(p);
  return n.split('/').length <= 2 || PROTECTED.has(n);
}

/** The path and each of its ancestors: mkdir -p can create any of them. */
function withAncestors(path: string): string[] {
  const keys: string[] = [];
  for (let p = path; p !== '/'; p = parentDir(p)) keys.push(`file:${p}`);
  return keys;
}

function describe(st: FileState): string {
  switch (st.kind) {
    case 'absent':
      return 'state=absent\n';
    case 'link':
      return `state=link\ntarget=${st.target}\nowner=${st.owner}\ngroup=${st.group}\n`;
    default:
      return `state=${st.kind}\nowner=${st.owner}\ngroup=${st.group}\nmode=${st.mode}\n`;
  }
}

function describeWanted(kind: string, args: FileArgs, st: FileState, extra = ''): string {
  const same = st.kind === kind || (kind === 'file' && st.kind === 'file');
  const cur = same && st.kind !== 'absent' ? st : undefined;
  const owner = args.owner ?? cur?.owner;
  const group = args.group ?? cur?.group;
  const mode = args.mode !== undefined ? normalizeMode(args.mode) : cur && 'mode' in cur && kind !== 'link' ? cur.mode : undefined;
  return (
    `state=${kind}\n${extra}` +
    (owner !== undefined ? `owner=${owner}\n` : '') +
    (group !== undefined ? `group=${group}\n` : '') +
    (mode !== undefined ? `mode=${mode}\n` : '')
  );
}

/** chown/chmod lines for attributes that were asked for, never through a symlink (-h: a link's own owner). */
function setAttrs(args: FileArgs, link = false): (ReturnType<typeof sh> | null)[] {
  const chown = ownerSpec(args.owner, args.group);
  if (link) return [chown !== null ? sh`chown -h ${chown} ${args.path}` : null];
  if (chown === null && args.mode === undefined) return [];
  return setAttrsNoFollow(args.path, chown, args.mode);
}

function change(description: string, lines: (ReturnType<typeof sh> | null)[], invalidates: string[]): Change {
  return { description, script: steps(...lines), invalidates };
}

function planned(args: FileArgs, st: FileState, kind: string, c: Change, extra = ''): Plan {
  return definePlan({
    changes: [c],
    diffs: [{ label: args.path, before: describe(st), after: describeWanted(kind, args, st, extra) }],
    summary: c.description,
  });
}

export default defineModule<FileArgs>({
  name: 'file',
  schema: {
    type: 'object',
    properties: {
      path: absPathSchema,
      state: { enum: ['file', 'directory', 'absent', 'link', 'touch'] },
      src: { type: 'string', minLength: 1 },
      ...fileAttrSchema,
      force: { type: 'boolean' },
    },
    required: ['path'],
    additionalProperties: false,
    if: { ...has('state'), properties: { state: { const: 'link' } } },
    then: { ...has('src'), not: has('mode'), errorMessage: 'state: link needs src (the link target) and takes no mode' },
    else: { not: has('src'), errorMessage: 'src is only for state: link' },
  },
  facts: (args) => [fileFact(args.path)],
  plan(args, facts, ctx): Plan {
    const fact = fileFact(args.path);
    const st = facts.get(fact);
    const state = args.state ?? 'file';
    const path = args.path;
    const own = pathInvalidates(path);
    const attrsOk =
      st.kind !== 'absent' && attrsMatch(st.kind === 'link' ? { ...st, mode: '' } : st, { ...args, mode: st.kind === 'link' ? undefined : args.mode });

    switch (state) {
      case 'absent': {
        if (st.kind === 'absent' && !ctx.mayChange(fact)) return definePlan({ summary: 'already absent' });
        if (isProtectedPath(path)) throw new TaskError(`refusing to remove ${path}: it is / or a system directory`, 'name the files inside it instead');
        const isDir = st.kind === 'directory';
        const rm =
          st.kind === 'absent' // only reachable when an earlier unapplied change may create it
            ? sh`if [ -d ${path} ] && [ ! -L ${path} ]; then rm -rf -- ${path}; else rm -f -- ${path}; fi`
            : isDir
              ? sh`rm -rf -- ${path}`
              : sh`rm -f -- ${path}`;
        const c = change(`remove ${path}${isDir ? ' (recursively)' : ''}`, [rm], isDir || st.kind === 'absent' ? ['file:*', ...own.slice(1)] : own);
        return definePlan({
          changes: [c],
          diffs: [{ label: path, before: st.kind === 'absent' ? 'state=absent (may be created by an earlier task)\n' : describe(st), after: 'state=absent\n' }],
          summary: c.description,
        });
      }

      case 'directory': {
        if (st.kind === 'file' || st.kind === 'link') {
          throw new TaskError(
            `${path} is a ${st.kind === 'file' ? 'regular file' : 'symlink'}, not a directory`,
            'remove it first (state: absent) if a directory should be there',
          );
        }
        if (st.kind === 'directory') {
          if (attrsOk) return definePlan({ summary: 'in sync' });
          return planned(args, st, 'directory', change(`set attributes of ${path}`, setAttrs(args), own));
        }
        return planned(
          args,
          st,
          'directory',
          change(`create directory ${path}`, [sh`mkdir -p -- ${path}`, ...setAttrs(args)], [...new Set([...withAncestors(path), ...own])]),
        );
      }

      case 'file':
      case 'touch': {
        if (st.kind === 'link' || (state === 'file' && st.kind === 'directory')) {
          throw new TaskError(
            `${path} is a ${st.kind === 'link' ? 'symlink' : 'directory'}, not a regular file`,
            st.kind === 'link' ? 'manage the link target instead' : 'use state: directory',
          );
        }
        if (st.kind === 'absent') {
          if (state === 'touch') return planned(args, st, 'file', change(`create empty file ${path}`, [sh`touch -- ${path}`, ...setAttrs(args)], own));
          // state: file only sets attributes of something that must already be there.
          if (!ctx.mayChange(fact))
            throw new TaskError(
              `${path} does not exist`,
              'state: file only changes attributes; use copy/template to create content, or state: touch for an empty file',
            );
          return planned(args, st, 'file', change(`set attributes of ${path}`, setAttrs(args), own));
        }
        if (attrsOk) return definePlan({ summary: 'in sync' });
        return planned(args, st, st.kind, change(`set attributes of ${path}`, setAttrs(args), own));
      }

      case 'link': {
        const src = args.src ?? '';
        if (st.kind === 'directory') throw new TaskError(`${path} is a directory; refusing to replace it with a link`, 'remove it first with state: absent');
        if (st.kind === 'file' && !args.force)
          throw new TaskError(`${path} is a regular file; refusing to replace it with a link`, 'set force: true to replace it');
        if (st.kind === 'link' && st.target === src) {
          if (attrsOk) return definePlan({ summary: 'in sync' });
          return planned(args, st, 'link', change(`set owner of link ${path}`, setAttrs(args, true), own), `target=${src}\n`);
        }
        const verb = st.kind === 'link' ? `repoint link ${path} -> ${src}` : `link ${path} -> ${src}`;
        // ln -n: replace a link to a directory instead of creating a link inside it.
        return planned(args, st, 'link', change(verb, [sh`ln -sfn -- ${src} ${path}`, ...setAttrs(args, true)], own), `target=${src}\n`);
      }
    }
  },
});
