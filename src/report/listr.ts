// The live TTY view, on listr2's own renderers: one listr2 task per host, whose title is
// the host, the task it is on and its counts, and whose output bar shows only its latest
// result while it runs. Nothing in the live region repeats: each result, failure and diff
// is printed once, after the live region is cleared, and the recap comes last.
//
// listr2's default renderer redraws its region in place, which works only while the region
// fits the terminal; with more hosts than rows, listr2's own fallback (its simple renderer:
// one line per event) is chosen through `fallbackRendererCondition`. Output that is not a
// TTY never loads listr2 at all (src/cli picks the plain lines reporter): listr2 costs about
// 20 ms of startup, which a no-op run cannot spare.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { PlumbEvent } from './events.js';
import { unified } from './diff.js';
import { formatRecap } from './recap.js';

interface HostView {
  task?: ListrTaskWrapper<unknown, never, never>;
  done: () => void;
  fail: (e: Error) => void;
  counts: { ok: number; changed: number; failed: number; skipped: number };
  current: string;
}

export interface Screen {
  rows: number;
}

/** Rows the default renderer's region needs: a title and an output bar per host, and a margin. */
export function fitsScreen(hosts: number, screen: Screen): boolean {
  return hosts * 2 + 2 <= screen.rows;
}

/** The title of a host's line: its name, what it is doing, and its counts so far. */
export function hostTitle(host: string, width: number, current: string, c: HostView['counts']): string {
  const counts = `[ok ${c.ok}, changed ${c.changed}${c.failed ? `, failed ${c.failed}` : ''}${c.skipped ? `, skipped ${c.skipped}` : ''}]`;
  return `${host.padEnd(width)}  ${counts}  ${current}`;
}

/** One line per changed, failed or unreachable result, as it is printed after the live view. */
export function resultLine(e: Extract<PlumbEvent, { type: 'task' }>, width: number): string | undefined {
  if (e.status !== 'changed' && e.status !== 'failed' && e.status !== 'unreachable') return undefined;
  const mark = e.status === 'changed' ? '~' : '✖';
  const what = `${e.handler ? 'handler: ' : ''}${e.task}${e.item !== undefined ? ` (item=${e.item})` : ''}`;
  const msg = e.message ? `: ${e.status === 'changed' ? e.message.split('\n')[0] : e.message.split('\n').join('\n    ')}` : '';
  return `${mark} ${e.host.padEnd(width)}  ${e.status === 'changed' ? '' : `${e.status.toUpperCase()} `}${what}${msg}`;
}

export function listrReporter(write: (s: string) => void, screen: Screen): { emit: (e: PlumbEvent) => void; finished: () => Promise<void> } {
  const views = new Map<string, HostView>();
  const log: string[] = [];
  let width = 0;
  let live = true;
  let running: Promise<unknown> = Promise.resolve();

  const refresh = (host: string): void => {
    const v = views.get(host);
    if (v?.task) v.task.title = hostTitle(host, width, v.current, v.counts);
  };

  const emit = (e: PlumbEvent): void => {
    switch (e.type) {
      case 'run': {
        width = Math.max(0, ...e.hosts.map((h) => h.length));
        live = fitsScreen(e.hosts.length, screen);
        const list = new Listr(
          e.hosts.map((h) => ({
            title: h,
            task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
              new Promise<void>((done, fail) => {
                views.set(h, { task, done, fail, counts: { ok: 0, changed: 0, failed: 0, skipped: 0 }, current: 'connecting' });
                refresh(h);
              }),
            rendererOptions: { outputBar: 1, persistentOutput: false },
          })),
          {
            concurrent: true,
            exitOnError: false,
            renderer: 'default',
            // Cleared at the end: the results, then the recap, are printed once below.
            rendererOptions: { collapseErrors: true, clearOutput: true, formatOutput: 'truncate' },
            fallbackRenderer: 'simple',
            fallbackRendererCondition: !live,
          },
        );
        running = list.run().catch(() => undefined);
        break;
      }
      case 'task_start': {
        const v = views.get(e.host);
        if (v) {
          v.current = `${e.handler ? 'handler: ' : ''}${e.task}`;
          refresh(e.host);
        }
        break;
      }
      case 'task': {
        const v = views.get(e.host);
        if (v && e.status !== 'unreachable') v.counts[e.status]++;
        // Live: the host's output bar shows its latest result, and the result is printed in
        // full once the region is gone. Fallback: the simple renderer prints each output once.
        const show = (text: string): void => {
          if (live) log.push(text);
          if (v?.task) v.task.output = live ? text.split('\n')[0]! : text;
        };
        const line = resultLine(e, width);
        if (line) show(line);
        for (const d of e.diff ?? []) show(`--- ${e.host}: ${e.task}\n${unified(d).trimEnd()}`);
        if (v) {
          refresh(e.host);
          if (e.status === 'unreachable') v.fail(new Error(`${e.host}: unreachable: ${e.message ?? ''}`));
        }
        break;
      }
      case 'recap':
        for (const [h, r] of Object.entries(e.hosts)) {
          const v = views.get(h);
          if (!v) continue;
          v.current = r.failed || r.unreachable ? 'failed' : 'done';
          refresh(h);
          if (r.failed || r.unreachable) v.fail(new Error(`${h}: ${r.failed} failed${r.unreachable ? ', unreachable' : ''}`));
          else v.done();
        }
        log.push(formatRecap(e.hosts, e.durationMs, e.notes));
        break;
      default:
        break;
    }
  };

  return {
    emit,
    finished: async () => {
      await running;
      if (log.length) write(log.join('\n') + '\n');
    },
  };
}
