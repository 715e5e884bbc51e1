// Which files a service reads, as the play says: the paths written by every task that
// notifies a handler restarting or reloading that service (template/copy `dest`, file
// `path`), and which of the two the handler does. Nothing beyond Ansible's own keywords: the
// notify edges a playbook already has are the declaration. The service module compares
// these files' mtimes with the start of the process holding the configuration.
import type { Play, Task } from '../playbook/load.js';
import type { ServiceInputs } from '../modules/types.js';
import type { Prepared } from './task.js';

interface Entry {
  /** Each file and what applies it: a restart when any task writing it notifies one. */
  files: Map<string, 'restarted' | 'reloaded'>;
  /** Handler names and listen topics that restart the unit, and those that reload it. */
  restarts: Set<string>;
  reloads: Set<string>;
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
      const e = units.get(unitKey(a.name)) ?? { files: new Map(), restarts: new Set<string>(), reloads: new Set<string>() };
      [h.name, ...h.listen].forEach((t) => (a.state === 'restarted' ? e.restarts : e.reloads).add(t));
      units.set(unitKey(a.name), e);
    }
  }
  for (const t of play.tasks) {
    if (!['template', 'copy', 'file'].includes(t.module)) continue;
    for (const e of units.values()) {
      const restart = t.notify.some((n) => e.restarts.has(n));
      if (!restart && !t.notify.some((n) => e.reloads.has(n))) continue;
      for (const a of argsOf(prepare(t))) {
        const path = t.module === 'file' ? (a.state === 'absent' ? undefined : a.path) : a.dest;
        // A restart applies everything a reload does: one restarting writer makes it a restart.
        if (typeof path === 'string' && e.files.get(path) !== 'restarted') e.files.set(path, restart ? 'restarted' : 'reloaded');
      }
    }
  }
  return units;
}

/** The module's view: the files a restart applies, those a reload applies, and whether either is owed already. */
export function inputsOf(map: Map<string, Entry>, unit: string, notified: ReadonlySet<string>): ServiceInputs | undefined {
  const e = map.get(unitKey(unit));
  if (!e?.files.size) return undefined;
  const of = (verb: string) =>
    [...e.files]
      .filter(([, v]) => v === verb)
      .map(([f]) => f)
      .sort();
  return { restart: of('restarted'), reload: of('reloaded'), owed: [...e.restarts, ...e.reloads].some((t) => notified.has(t)) };
}
