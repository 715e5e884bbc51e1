// Which files a service reads, as the play says: the paths written by every task that
// notifies a handler restarting or reloading that service (template/copy `dest`, file
// `path`), and which of the two the handler does. Nothing beyond Ansible's own keywords: the
// notify edges a playbook already has are the declaration. The service module compares
// these files' mtimes with the start of the process holding the configuration.
import type { Play, Task } from '../playbook/load.js';
import type { ServiceInputs } from '../modules/types.js';
import type { Prepared } from './task.js';

interface Entry {
  files: Set<string>;
  verb: 'restarted' | 'reloaded';
  /** Handler names and listen topics that restart or reload the unit. */
  topics: Set<string>;
}

/** "nginx" and "nginx.service" are the same unit. */
export const unitKey = (unit: string): string => unit.replace(/\.service$/, '');

function argsOf(p: Prepared | undefined): Record<string, unknown>[] {
  if (!p || 'skip' in p) return [];
  return p.instances.map((i) => (i.args && typeof i.args === 'object' ? (i.args as Record<string, unknown>) : {}));
}

/** `prepare` evaluates a task for this host (undefined when it cannot be evaluated yet). */
export function serviceInputMap(play: Play, prepare: (t: Task) => Prepared | undefined): Map<string, Entry> {
  const units = new Map<string, Entry>();
  for (const h of play.handlers) {
    if (h.module !== 'service') continue;
    for (const a of argsOf(prepare(h))) {
      if ((a.state !== 'restarted' && a.state !== 'reloaded') || typeof a.name !== 'string') continue;
      const e = units.get(unitKey(a.name)) ?? { files: new Set<string>(), verb: a.state, topics: new Set<string>() };
      if (a.state === 'restarted') e.verb = 'restarted'; // a restart applies everything a reload does
      [h.name, ...h.listen].forEach((t) => e.topics.add(t));
      units.set(unitKey(a.name), e);
    }
  }
  for (const t of play.tasks) {
    const to = [...units.values()].filter((e) => t.notify.some((n) => e.topics.has(n)));
    if (!to.length || !['template', 'copy', 'file'].includes(t.module)) continue;
    for (const a of argsOf(prepare(t))) {
      const path = t.module === 'file' ? (a.state === 'absent' ? undefined : a.path) : a.dest;
      if (typeof path === 'string') to.forEach((e) => e.files.add(path));
    }
  }
  return units;
}

/** The module's view: the files, the verb, and whether a restart or reload is owed already. */
export function inputsOf(map: Map<string, Entry>, unit: string, notified: ReadonlySet<string>): ServiceInputs | undefined {
  const e = map.get(unitKey(unit));
  if (!e || !e.files.size) return undefined;
  return { files: [...e.files].sort(), verb: e.verb, owed: [...e.topics].some((t) => notified.has(t)) };
}
