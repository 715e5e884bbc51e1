// Shared by copy and template: plan an atomic, validated file write from desired content
// and the file fact. Writes go to a temp file in the same directory, are validated there,
// fsynced, and only then renamed over the live file. A crash never leaves half a config.
import { createHash } from 'node:crypto';
import { raw, sh, script } from '../../sh.js';
import { TaskError } from '../../errors.js';
import { fileFact, MAX_DIFF_BYTES, type FileState } from '../../facts/file.js';
import type { Fact, FactResults } from '../../facts/types.js';
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
  const beforeText =
    before.kind !== 'file' ? '' : before.content && isText(before.content) ? before.content.toString('utf8') : `<binary or large file, sha256 ${before.sha256}>\n`;
  const afterText = isText(after) ? after.toString('utf8') : `<binary or large file, sha256 ${sha256(after)}>\n`;
  return { label: path, before: beforeText, after: afterText };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The atomic write script. `validate` gets the temp path in place of %s. */
function writeScript(args: PutFileArgs, mode: string, owner: string, group: string, exists: boolean): Change['script'] {
  const dir = args.dest.replace(/\/[^/]*$/, '') || '/';
  const validate = args.validate ? raw(args.validate.split('%s').join('"$tmp"')) : null;
  return script(
    raw('set -e'),
    sh`tmp=$(mktemp ${`${dir}/.plumb.XXXXXX`})`,
    raw(`trap 'rm -f "$tmp"' EXIT`),
    raw('cat > "$tmp"'),
    sh`chown ${`${owner}:${group}`} "$tmp"`,
    sh`chmod ${mode} "$tmp"`,
    validate && script(raw('if ! ( '), validate, raw(` ) </dev/null >&2; then echo "validation failed: ${args.validate?.replace(/["\\$`]/g, '\\$&')}" >&2; exit 3; fi`)),
    args.backup && exists ? sh`cp -p ${args.dest} ${args.dest}.$(date +%Y%m%d%H%M%S)~` : null,
    raw('sync "$tmp"'),
    sh`mv -f "$tmp" ${args.dest}`,
    raw('trap - EXIT'),
    sh`sync ${dir} 2>/dev/null || true`,
  );
}

/** Plan for "this path must hold exactly `content` with these attributes". */
export function planPutFile(args: PutFileArgs, content: Buffer, facts: FactResults, ctx: ModuleContext): Plan {
  const st = facts.get(fileFact(args.dest, ctx.diff));
  if (st.kind === 'directory' || st.kind === 'link') {
    // Replacing a directory or following a link silently is how configs get lost.
    throw new TaskError(`${args.dest} is a ${st.kind}; refusing to replace it with a file`, 'remove it first with a file: task (state: absent), or choose another dest');
  }
  const want = sha256(content);
  const exists = st.kind === 'file';
  const mode = args.mode ?? (exists ? st.mode : '0644');
  const owner = args.owner ?? (exists ? st.owner : 'root');
  const group = args.group ?? (exists ? st.group : 'root');
  const contentDrift = !exists || st.sha256 !== want;
  const attrDrift = exists && (st.mode !== mode || st.owner !== owner || st.group !== group);
  if (!contentDrift && !attrDrift) return definePlan({ summary: 'in sync' });

  const diffs: Diff[] = [];
  if (contentDrift) diffs.push(contentDiff(args.dest, st, content));
  if (attrDrift && exists) {
    diffs.push({
      label: `${args.dest} (attributes)`,
      before: `owner=${st.owner} group=${st.group} mode=${st.mode}\n`,
      after: `owner=${owner} group=${group} mode=${mode}\n`,
    });
  }
  const changes: Change[] = contentDrift
    ? [
        {
          description: `${exists ? 'update' : 'create'} ${args.dest}`,
          script: writeScript(args, mode, owner, group, exists),
          stdin: content,
          invalidates: [`file:${args.dest}`],
        },
      ]
    : [
        {
          description: `set attributes of ${args.dest}`,
          script: script(sh`chown ${`${owner}:${group}`} ${args.dest}`, sh`chmod ${mode} ${args.dest}`),
          invalidates: [`file:${args.dest}`],
        },
      ];
  return definePlan({ changes, diffs, summary: changes.map((c) => c.description).join('; ') });
}

