// Shared by the in-place editors (lineinfile, blockinfile, replace, ini_file, sysctl, cron
// with cron_file): the live file is read WITH its content in the fact batch (the plan needs
// the text to compute the new one), the new text is computed in the pure plan, and the
// write is copy's: temp file, validate, backup, rename, owner and mode kept. The diff is
// exact because it is computed from the very text that was read.
import { TaskError } from '../../errors.js';
import { sh } from '../../sh.js';
import { fileFact, type FileState } from '../../facts/file.js';
import type { Fact, FactResults } from '../../facts/types.js';
import { definePlan, type ModuleContext, type Plan, type Vars } from '../types.js';
import { planContent, type PutFileArgs } from './put-file.js';
import { absPathSchema, fileAttrSchema, has } from './schema.js';

/** Ansible's names: `path`, with the older `dest` (and `name`) as aliases. */
export interface EditArgs {
  path?: string;
  dest?: string;
  owner?: string;
  group?: string;
  mode?: string;
  validate?: string;
  backup?: boolean;
  /** Accepted for compatibility; plumb always writes atomically. */
  unsafe_writes?: boolean;
}

export const editSchema = {
  path: absPathSchema,
  dest: absPathSchema,
  ...fileAttrSchema,
  validate: { type: 'string', pattern: '%s', errorMessage: "validate must contain %s (the temp file's path)" },
  backup: { type: 'boolean' },
  unsafe_writes: { type: 'boolean' },
} as const;

/** Schema fragment: exactly one of the path aliases. */
export function onePath(...names: string[]): Record<string, unknown> {
  return { oneOf: names.map((n) => has(n)), errorMessage: `give the file as ${names.join(' or ')} (exactly one)` };
}

export function editPath(args: EditArgs & { name?: string }): string {
  return args.path ?? args.dest ?? args.name ?? '';
}

export function editFacts(path: string): Fact<unknown>[] {
  return [fileFact(path, true)];
}

/** The live text, or null when the file is absent. */
export function liveText(path: string, facts: FactResults): { st: FileState; text: string | null } {
  const st = facts.get(fileFact(path, true));
  if (st.kind === 'absent') return { st, text: null };
  if (st.kind !== 'file') throw new TaskError(`${path} is a ${st.kind}, not a regular file`, 'name the file itself (plumb does not edit through links)');
  if (st.content === undefined)
    throw new TaskError(`${path} is larger than 1 MiB: plumb edits only files it can diff`, 'manage it whole with copy or template');
  if (st.content.includes(0)) throw new TaskError(`${path} is binary`, 'line editors only edit text files');
  return { st, text: st.content.toString('utf8') };
}

/**
 * A missing file for an editor that may not create it. In check mode after an earlier
 * unapplied task that may create it, "would change" instead of a false failure.
 */
export function missing(path: string, ctx: ModuleContext, hint: string): Plan {
  if (ctx.mayChange(fileFact(path, true))) {
    // Only reachable in check mode (an applied change is probed again): never run.
    const c = {
      description: `edit ${path} (an earlier task may create it)`,
      script: sh`echo ${`${path} does not exist`} >&2; exit 1`,
      invalidates: [`file:${path}`],
    };
    return definePlan({ changes: [c], summary: c.description });
  }
  throw new TaskError(`Destination ${path} does not exist`, hint);
}

/** ok when the text is unchanged; otherwise the atomic write with the file's unified diff. */
export function planEdit(args: EditArgs, path: string, st: FileState, before: string | null, after: string, what: string, result: Vars = {}): Plan {
  // Same text can still mean drifted attributes (mode, owner): copy's plan sees both.
  const put: PutFileArgs = { dest: path, owner: args.owner, group: args.group, mode: args.mode, validate: args.validate, backup: args.backup };
  const plan = planContent(put, Buffer.from(after, 'utf8'), st);
  if (!plan.changes.length) return definePlan({ summary: 'in sync', result });
  if (before === after) return { ...plan, result };
  return { ...plan, summary: `${what} in ${path}`, result: { ...result, msg: what } };
}

/** Lines with their endings kept (the last one may have none). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}
