// --list-hosts, --list-tasks and --list-tags: what a run would touch, printed in Ansible's
// layout, without connecting to anything. --start-at-task: which tasks a run starts at.
import { InputError } from '../errors.js';
import type { Inventory } from '../inventory/load.js';
import { playHosts, tagFilter } from '../engine/run.js';
import type { Playbook, Task } from '../playbook/load.js';

export interface ListFlags {
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
}

/** A task as Ansible names it in listings and for --start-at-task: `role : name`. */
export function taskLabel(t: Task): string {
  return t.role ? `${t.role} : ${t.name}` : t.name;
}

const fmtTags = (tags: string[]): string => `[${[...new Set(tags)].sort().join(', ')}]`;

export function listing(
  inv: Inventory,
  book: Playbook,
  flags: ListFlags,
  opts: { limit?: string; tags: string[]; skipTags: string[]; relPath: string },
): string {
  const selected = tagFilter(opts.tags, opts.skipTags);
  const out = ['', `playbook: ${opts.relPath}`];
  book.plays.forEach((play, i) => {
    const playTags = [...new Set(play.tasks.flatMap((t) => t.tags))].filter((tag) => play.tasks.every((t) => t.tags.includes(tag)));
    out.push('', `  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: ${fmtTags(playTags)}`);
    if (flags.listHosts) {
      const hosts = playHosts(inv, play, opts.limit);
      out.push(`    pattern: ['${play.hosts}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    const tasks = play.tasks.filter(selected);
    if (flags.listTasks) {
      out.push('    tasks:', ...tasks.map((t) => `      ${taskLabel(t)}\tTAGS: ${fmtTags(t.tags)}`));
    }
    if (flags.listTags) out.push(`      TASK TAGS: ${fmtTags(tasks.flatMap((t) => t.tags))}`);
  });
  return out.join('\n') + '\n';
}

/** Shell-style wildcard (`*`, `?`) to a whole-string match, as Ansible's fnmatch. */
function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/**
 * --start-at-task NAME: the tasks before the first one named NAME (or `role : NAME`, or
 * matching it as a wildcard), in playbook order, are left out of the run. Handlers are not.
 */
export function tasksBefore(book: Playbook, name: string): Set<Task> {
  const re = glob(name);
  const before = new Set<Task>();
  for (const play of book.plays) {
    for (const t of play.tasks) {
      if (t.name === name || taskLabel(t) === name || re.test(t.name) || re.test(taskLabel(t))) return before;
      before.add(t);
    }
  }
  throw InputError.one(
    `--start-at-task: no task named '${name}'`,
    undefined,
    'use a name from --list-tasks (role tasks can be given as "role : name"; * and ? match any text)',
  );
}
