// apt_repository: one one-line-style source ("deb [opts] URI suite comp...") present in, or
// absent from, apt's sources, as Ansible's: a line already in any .list file (or in
// sources.list) counts, a commented-out copy is enabled again, a new line goes to its own
// file in sources.list.d. Every file is written atomically (copy's write) with its exact diff;
// after a change the cache is updated (update_cache, default true, as in Ansible).
import { TaskError } from '../errors.js';
import { sh } from '../sh.js';
import { aptSourcesFact, SOURCES_DIR, type AptSources } from '../facts/apt_sources.js';
import type { FileState } from '../facts/file.js';
import { defineModule, definePlan, type Change, type Diff, type Plan } from './types.js';
import { UPDATE } from './apt.js';
import { planContent, PROBES } from './common/put-file.js';
import { splitLines } from './common/edit.js';
import { modeSchema } from './common/schema.js';
import { steps } from './common/steps.js';

export interface AptRepositoryArgs {
  repo: string;
  state?: 'present' | 'absent';
  filename?: string;
  update_cache?: boolean;
  'update-cache'?: boolean;
  update_cache_retries?: number;
  update_cache_retry_max_delay?: number;
  mode?: string;
  validate_certs?: boolean;
  codename?: string;
  install_python_apt?: boolean;
}

const TYPES = new Set(['deb', 'deb-src']);

interface SourceLine {
  valid: boolean;
  enabled: boolean;
  /** The source with runs of whitespace made one space (how Ansible compares them). */
  source: string;
  comment: string;
}

/** Ansible's parse of one sources.list line. */
export function parseSourceLine(line: string): SourceLine {
  let l = line.trim();
  let enabled = true;
  if (l.startsWith('#')) {
    enabled = false;
    l = l.slice(1);
  }
  let comment = '';
  const i = l.indexOf('#');
  if (i > 0) {
    comment = l.slice(i + 1).trim();
    l = l.slice(0, i);
  }
  const chunks = l.trim().split(/\s+/).filter(Boolean);
  const valid = chunks.length > 0 && TYPES.has(chunks[0]!);
  return { valid, enabled, source: valid ? chunks.join(' ') : l.trim(), comment };
}

/** Ansible's file name for a source: the URI without scheme, options and credentials, as word_word. */
export function suggestFilename(source: string): string {
  const line = source.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '');
  const parts = line.split(/\s+/).filter((p) => p && !TYPES.has(p));
  const first = (parts[0] ?? '').replace(/^[^@]*@/, '');
  return first
    .replace(/[^a-zA-Z0-9]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .join('_');
}

export function targetFile(a: AptRepositoryArgs, source: string): string {
  return `${SOURCES_DIR}/${a.filename ?? suggestFilename(source)}.list`;
}

const withNl = (l: string) => (l.endsWith('\n') ? l : `${l}\n`);

/**
 * The sources files as they must be: path -> new text (null: delete the file). Only files
 * that change are in the result; lines other than the repository's are kept byte for byte.
 */
export function editSources(files: ReadonlyMap<string, string>, a: AptRepositoryArgs): Map<string, string | null> {
  const want = parseSourceLine(a.repo);
  const out = new Map<string, string | null>();
  const present = (a.state ?? 'present') === 'present';
  let found = false;
  for (const [path, text] of files) {
    const lines = splitLines(text);
    let touched = false;
    const kept: string[] = [];
    for (const l of lines) {
      const p = parseSourceLine(l);
      if (!p.valid || p.source !== want.source) kept.push(l);
      else if (present) {
        found = true;
        if (p.enabled) kept.push(l);
        else {
          kept.push(`${p.source}${p.comment ? ` # ${p.comment}` : ''}\n`);
          touched = true;
        }
      } else if (p.enabled) touched = true;
      else kept.push(l);
    }
    if (touched) out.set(path, kept.length ? kept.join('') : null);
  }
  if (present && !found) {
    const path = targetFile(a, want.source);
    const text = files.get(path) ?? '';
    out.set(path, `${text === '' ? '' : withNl(text)}${want.source}\n`);
  }
  return out;
}

function texts(sources: AptSources): Map<string, string> {
  const m = new Map<string, string>();
  for (const [p, st] of sources) if (st.kind === 'file' && st.content) m.set(p, st.content.toString('utf8'));
  return m;
}

export default defineModule<AptRepositoryArgs>({
  name: 'apt_repository',
  schema: {
    type: 'object',
    properties: {
      repo: {
        type: 'string',
        pattern: '^\\s*(deb|deb-src)\\s',
        errorMessage:
          'repo is a one-line source: "deb [options] URI suite [component...]" (a ppa: needs Launchpad, which plumb does not reach; give the deb line)',
      },
      state: { enum: ['present', 'absent'] },
      filename: {
        type: 'string',
        pattern: '^[A-Za-z0-9_.-]+$',
        errorMessage: 'filename is a file name in /etc/apt/sources.list.d without ".list" (added, as in Ansible)',
      },
      update_cache: { type: 'boolean' },
      'update-cache': { type: 'boolean' },
      update_cache_retries: { type: 'integer', minimum: 0 },
      update_cache_retry_max_delay: { type: 'integer', minimum: 0 },
      mode: modeSchema,
      validate_certs: { type: 'boolean' },
      codename: { type: 'string' },
      install_python_apt: { type: 'boolean' },
    },
    required: ['repo'],
    additionalProperties: false,
  },
  facts: () => [aptSourcesFact],
  plan(args, facts): Plan {
    const sources = facts.get(aptSourcesFact);
    const want = parseSourceLine(args.repo);
    if (!want.valid) throw new TaskError(`Invalid repository string: ${args.repo}`, 'give a line such as "deb http://deb.example.org/debian bookworm main"');
    const edits = editSources(texts(sources), args);
    const target = targetFile(args, want.source);
    const changes: Change[] = [];
    const diffs: Diff[] = [];
    const added: string[] = [];
    const removed: string[] = [];
    for (const [path, after] of edits) {
      const st: FileState = sources.get(path) ?? { kind: 'absent' };
      if (st.kind === 'link')
        throw new TaskError(`${path} is a symbolic link`, 'plumb does not edit through links: point the task at the file itself (filename:)');
      const before = st.kind === 'file' ? (st.content?.toString('utf8') ?? '') : '';
      if (after === null) {
        removed.push(path);
        diffs.push({ label: path, before, after: '' });
        changes.push({ description: `remove ${path}`, script: steps(sh`rm -f -- ${path}`), invalidates: [`file:${path}`, PROBES] });
        continue;
      }
      if (st.kind === 'absent') added.push(path);
      const mode = path === target ? (args.mode ?? (st.kind === 'absent' ? '0644' : undefined)) : undefined;
      const p = planContent({ dest: path, mode }, Buffer.from(after, 'utf8'), st);
      changes.push(...p.changes);
      diffs.push(...p.diffs);
    }
    // mode drift of the repository's own file, when its line is already there.
    if (!edits.has(target) && args.mode !== undefined && (args.state ?? 'present') === 'present') {
      const st = sources.get(target);
      if (st?.kind === 'file' && st.content && parseSourceLineIn(st.content.toString('utf8'), want.source)) {
        const p = planContent({ dest: target, mode: args.mode }, st.content, st);
        changes.push(...p.changes);
        diffs.push(...p.diffs);
      }
    }
    const result = { repo: args.repo, state: args.state ?? 'present', sources_added: added, sources_removed: removed };
    if (!changes.length) return definePlan({ summary: 'in sync', result });
    if (edits.size && (args.update_cache ?? args['update-cache'] ?? true)) {
      changes.push({ description: 'update apt cache', script: UPDATE, invalidates: ['apt:cache', 'pkg:*'] });
    }
    const what = (args.state ?? 'present') === 'present' ? `add ${want.source}` : `remove ${want.source}`;
    return definePlan({ changes, diffs, summary: edits.size ? what : changes.map((c) => c.description).join('; '), result });
  },
});

function parseSourceLineIn(text: string, source: string): boolean {
  return splitLines(text).some((l) => {
    const p = parseSourceLine(l);
    return p.valid && p.enabled && p.source === source;
  });
}
