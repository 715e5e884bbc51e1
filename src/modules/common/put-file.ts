// Shared by copy and template: plan an atomic, validated file write from desired content
// and the file fact. Writes go to a temp file in the same directory, are validated there,
// fsynced, and only then renamed over the live file. A crash never leaves half a config.
import { createHash } from 'node:crypto';
import { raw, sh, script, type Shell } from '../../sh.js';
import { TaskError } from '../../errors.js';
import { fileFact, MAX_DIFF_BYTES, normalizeMode, type FileState } from '../../facts/file.js';
import type { Fact, FactResults } from '../../facts/types.js';
import { steps } from './steps.js';
import { definePlan, type Change, type Diff, type ModuleContext, type Plan } from '../types.js';

export interface PutFileArgs {
  dest: string;
  owner?: string;
  group?: string;
  mode?: string;
  /** Shell command with %s for the temp file, run before the live file is replaced. */
  validate?: string;
  /** Keep a timestamped copy of the old file before replacing it. */
  backup?: boolean;
}

export function putFileFacts(args: PutFileArgs, ctx: ModuleContext): Fact<unknown>[] {
  return [fileFact(args.dest, ctx.diff)];
}

function isText(b: Buffer): boolean {
  return b.length <= MAX_DIFF_BYTES && !b.includes(0);
}

export function contentDiff(path: string, before: FileState, after: Buffer): Diff {
  let beforeText = '';
  if (before.kind === 'file') {
    if (before.content && isText(before.content)) beforeText = before.content.toString('utf8');
    else if (before.content || before.size > MAX_DIFF_BYTES) beforeText = `<binary or large file, sha256 ${before.sha256}>\n`;
    else beforeText = `<content not fetched (run with --diff), sha256 ${before.sha256}>\n`;
  }
  const afterText = isText(after) ? after.toString('utf8') : `<binary or large file, sha256 ${sha256(after)}>\n`;
  return { label: path, before: beforeText, after: afterText };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Directories whose files systemd reads: writing there can change what `systemctl show` reports. */
const UNIT_DIRS = /^\/(etc|run|lib|usr\/lib)\/systemd\/(system|user)\//;

/**
 * `unless` probes (cmd:*) are the operator's arbitrary shell: any change may flip them,
 * so every change invalidates them.
 */
export const PROBES = 'cmd:*';

/** What writing `path` can alter, for fact invalidation. */
export function pathInvalidates(path: string): string[] {
  return UNIT_DIRS.test(path) ? [`file:${path}`, 'svc:*', PROBES] : [`file:${path}`, PROBES];
}

export function parentDir(path: string): string {
  return path.replace(/\/+[^/]*\/*$/, '') || '/';
}

/** chown argument for the attributes given: "u:g", "u", ":g", or null for none. */
export function ownerSpec(owner: string | undefined, group: string | undefined): string | null {
  if (owner !== undefined && group !== undefined) return `${owner}:${group}`;
  if (owner !== undefined) return owner;
  if (group !== undefined) return `:${group}`;
  return null;
}

/**
 * chown/chmod of an object that must not be a symlink: a link swapped in after the facts were
 * read would carry the change to its target, outside the managed path. `chown -h` never
 * follows one; chmod cannot be told not to, so the object is checked just before it, in the
 * same command (what remains is the instant between that test and the chmod).
 */
export function setAttrsNoFollow(path: string, chown: string | null, mode: string | undefined): Shell[] {
  return [
    sh`if [ -L ${path} ]; then echo ${`${path} is now a symbolic link: not changing attributes through it`} >&2; exit 1; fi`,
    ...(chown !== null ? [sh`chown -h ${chown} ${path}`] : []),
    ...(mode !== undefined ? [sh`chmod ${normalizeMode(mode)} ${path}`] : []),
  ];
}

/** Does the fact's owner/group satisfy the wanted one? Numeric ids are not resolved: use names. */
export function attrsMatch(st: { mode: string; owner: string; group: string }, want: { mode?: string; owner?: string; group?: string }): boolean {
  return (
    (want.mode === undefined || st.mode === normalizeMode(want.mode)) &&
    (want.owner === undefined || st.owner === want.owner) &&
    (want.group === undefined || st.group === want.group)
  );
}

export function attrLine(a: { mode?: string; owner?: string; group?: string }): string {
  return (
    [
      a.owner !== undefined ? `owner=${a.owner}` : '',
      a.group !== undefined ? `group=${a.group}` : '',
      a.mode !== undefined ? `mode=${normalizeMode(a.mode)}` : '',
    ]
      .filter((s) => s !== '')
      .join(' ') + '\n'
  );
}

/**
 * The atomic write script; stdin is the content. `validate` gets the temp path in place of %s.
 * The temp file is named ".plumb.XXXXXX" so that include globs (conf.d/*.conf) never see it.
 */
export function writeScript(args: PutFileArgs, mode: string, chown: string | null, exists: boolean): Change['script'] {
  // An existing file's ownership carries over by reference (numeric ids, so an owner
  // without a passwd entry survives too); then the attributes the task names.
  const dir = parentDir(args.dest);
  // `validate` is the operator's own shell command; only %s is substituted.
  const validate = args.validate ? raw(args.validate.split('%s').join('"$tmp"')) : null;
  return script(
    raw('set -e'),
    sh`tmp=$(mktemp ${`${dir}/.plumb.XXXXXX`})`,
    raw(`trap 'rm -f "$tmp"' EXIT`),
    raw('cat > "$tmp"'),
    exists ? sh`chown --reference=${args.dest} "$tmp"` : null,
    chown !== null ? sh`chown ${chown} "$tmp"` : null,
    sh`chmod ${mode} "$tmp"`,
    // The validator's own words are the error: a line naming it, its last four lines, its
    // exit code (the engine shows six). REFUSED tells the engine nothing changed.
    validate &&
      script(
        raw('if out=$( ('),
        validate,
        raw(') </dev/null 2>&1); then :; else rc=$?'),
        sh`  echo ${`validate refused the new ${args.dest}: ${args.validate ?? ''}`} >&2`,
        raw(`  printf '%s\n' "$out" | tail -n 4 >&2`),
        raw(`  echo "(exit $rc; the candidate was $tmp)" >&2`),
        raw(`  exit ${REFUSED}`),
        raw('fi'),
      ),
    args.backup && exists ? sh`cp -p ${args.dest} ${args.dest}.$(date +%Y%m%d%H%M%S)~` : null,
    raw('sync "$tmp"'),
    sh`mv -f "$tmp" ${args.dest}`,
    raw('trap - EXIT'),
    sh`sync ${dir} 2>/dev/null || true`,
  );
}

/** writeScript's exit code when `validate` refused the content: nothing was changed. */
export const REFUSED = 3;

/** Plan for "this path must hold exactly `content` with these attributes". */
export function planPutFile(args: PutFileArgs, content: Buffer, facts: FactResults, ctx: ModuleContext): Plan {
  return planContent(args, content, facts.get(fileFact(args.dest, ctx.diff)));
}

/** planPutFile from the file's state already read (line editors read it with its content). */
export function planContent(args: PutFileArgs, content: Buffer, st: FileState): Plan {
  if (st.kind === 'directory' || st.kind === 'link') {
    // Replacing a directory or following a link silently is how configs get lost.
    throw new TaskError(
      `${args.dest} is a ${st.kind}; refusing to replace it with a file`,
      'remove it first with a file: task (state: absent), or choose another dest',
    );
  }
  const exists = st.kind === 'file';
  // Unspecified attributes keep the live file's; a new file gets 0644 and the writer's
  // ownership (root under become).
  const mode = normalizeMode(args.mode ?? (exists ? st.mode : '0644'));
  const owner = args.owner ?? (exists ? st.owner : undefined);
  const group = args.group ?? (exists ? st.group : undefined);
  // Only what the task names is chown'ed; the rest is kept (see writeScript).
  const chown = ownerSpec(args.owner, args.group);
  const contentDrift = !exists || st.sha256 !== sha256(content);
  const attrDrift = exists && !attrsMatch(st, { mode, owner, group });
  if (!contentDrift && !attrDrift) return definePlan({ summary: 'in sync' });

  const diffs: Diff[] = [];
  if (contentDrift) diffs.push(contentDiff(args.dest, st, content));
  if (attrDrift && exists) {
    diffs.push({
      label: `${args.dest} (attributes)`,
      before: attrLine({ owner: st.owner, group: st.group, mode: st.mode }),
      after: attrLine({ owner, group, mode }),
    });
  }
  const invalidates = pathInvalidates(args.dest);
  const changes: Change[] = contentDrift
    ? [
        {
          description: `${exists ? 'update' : 'create'} ${args.dest}`,
          script: writeScript(args, mode, chown, exists),
          stdin: content,
          invalidates,
          refusedExit: args.validate ? REFUSED : undefined,
        },
      ]
    : [
        {
          description: `set attributes of ${args.dest}`,
          script: steps(...setAttrsNoFollow(args.dest, chown, mode)),
          invalidates,
        },
      ];
  return definePlan({ changes, diffs, summary: changes.map((c) => c.description).join('; ') });
}
