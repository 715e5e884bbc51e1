// The live TTY view: one listr2 task per host whose title shows the task it is on, and
// whose output keeps the changes and failures. The recap and diffs print after it ends.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { PlumbEvent } from './events.js';
import { unified } from './diff.js';
import { formatRecap } from './recap.js';

interface HostView {
  task?: ListrTaskWrapper<unknown, never, never>;
  done: () => void;
  fail: (e: Error) => void;
  counts: { ok: number; changed: number; failed: number; skipped: number };
  lines: string[];
  title: string;
}

export function listrReporter(write: (s: string) => void): { emit: (e: PlumbEvent) => void; finished: () => Promise<void> } {
  const views = new Map<string, HostView>();
  const after: string[] = [];
  let running: Promise<unknown> = Promise.resolve();

  const refresh = (host: string): void => {
    const v = views.get(host);
    if (!v?.task) return;
    const c = v.counts;
    v.task.title = `${host}  ${v.title}  [ok ${c.ok}, changed ${c.changed}${c.failed ? `, failed ${c.failed}` : ''}${c.skipped ? `, skipped ${c.skipped}` : ''}]`;
    v.task.output = v.lines.slice(-6).join('\n');
  };

  const emit = (e: PlumbEvent): void => {
    switch (e.type) {
      case 'run': {
        const list = new Listr(
          e.hosts.map((h) => ({
            title: h,
            task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
              new Promise<void>((done, fail) => {
                const v: HostView = { task, done, fail, counts: { ok: 0, changed: 0, failed: 0, skipped: 0 }, lines: [], title: 'connecting' };
                views.set(h, v);
                refresh(h);
              }),
            rendererOptions: { persistentOutput: true, outputBar: 6 },
          })),
          { concurrent: true, exitOnError: false, renderer: 'default', rendererOptions: { collapseErrors: false } },
        );
        running = list.run().catch(() => undefined);
        break;
      }
      case 'task_start': {
        const v = views.get(e.host);
        if (v) {
          v.title = `${e.handler ? 'handler: ' : ''}${e.task}`;
          refresh(e.host);
        }
        break;
      }
      case 'task': {
        const v = views.get(e.host);
        if (v) {
          if (e.status !== 'unreachable') v.counts[e.status]++;
          if (e.status === 'changed' || e.status === 'failed' || e.status === 'unreachable') {
            v.lines.push(`${e.status === 'changed' ? '~' : '✖'} ${e.task}${e.message ? `: ${e.message.split('\n')[0]}` : ''}`);
          }
          refresh(e.host);
          if (e.status === 'unreachable') v.fail(new Error(e.message ?? 'unreachable'));
        }
        if (e.status === 'failed' || e.status === 'unreachable') after.push(`${e.status.toUpperCase()} ${e.host} ${e.task}: ${e.message ?? ''}`);
        for (const d of e.diff ?? []) after.push(`--- ${e.host}: ${e.task}\n${unified(d)}`);
        break;
      }
      case 'recap':
        for (const [h, r] of Object.entries(e.hosts)) {
          const v = views.get(h);
          if (!v) continue;
          v.title = r.failed || r.unreachable ? 'failed' : 'done';
          refresh(h);
          if (r.failed || r.unreachable) v.fail(new Error(`${h}: ${r.failed} failed${r.unreachable ? ', unreachable' : ''}`));
          else v.done();
        }
        after.push(formatRecap(e.hosts, e.durationMs));
        break;
      default:
        break;
    }
  };

  return {
    emit,
    finished: async () => {
      await running;
      if (after.length) write(after.join('\n') + '\n');
    },
  };
}
