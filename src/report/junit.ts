// --junit FILE: a JUnit XML report for CI, as the Surefire/Jenkins schema reads it. One
// <testsuite> per host, one <testcase> per task of that host (loop items folded into their
// task, the worst item wins). In `check`, a task that would change is a <failure> (Ansible's
// junit callback calls this fail_on_change: a drift job needs no output parsing); a failed
// task and an unreachable host are <error>s. The diff goes in the failure's text. Events are
// already redacted by the engine, so no secret reaches the file.
import type { PlumbEvent, Status } from './events.js';
import { unified } from './diff.js';

interface Case {
  play: string;
  name: string;
  /** One status per event (loop item) of the task. */
  seen: Status[];
  messages: string[];
  diffs: string[];
  ms: number;
}

const RANK: Record<Status, number> = { ok: 0, skipped: 0, changed: 1, failed: 2, unreachable: 3 };

/** The task's status: its worst item; skipped only when every item was. */
function statusOf(c: Case): Status {
  const worst = c.seen.reduce<Status>((w, s) => (RANK[s] > RANK[w] ? s : w), 'ok');
  return worst === 'ok' && c.seen.length > 0 && c.seen.every((s) => s === 'skipped') ? 'skipped' : worst;
}

/** XML 1.0 cannot hold most control characters even as references: they are dropped. */
function esc(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

export interface JunitReport {
  emit: (e: PlumbEvent) => void;
  /** The XML document, once the recap was seen (undefined before). */
  xml: () => string | undefined;
}

export function junitReporter(opts: { now?: () => Date } = {}): JunitReport {
  const started = (opts.now ?? (() => new Date()))();
  const cases = new Map<string, Case[]>();
  let mode: 'apply' | 'check' = 'apply';
  let title = 'plumb';
  let doc: string | undefined;

  const caseOf = (host: string, play: string, name: string): Case => {
    const list = cases.get(host) ?? [];
    cases.set(host, list);
    // Consecutive events of one task (its loop items) fold into one case.
    const last = list[list.length - 1];
    if (last && last.play === play && last.name === name) return last;
    const c: Case = { play, name, seen: [], messages: [], diffs: [], ms: 0 };
    list.push(c);
    return c;
  };

  const outcome = (c: Case): string => {
    const status = statusOf(c);
    const text = esc([...c.messages, ...c.diffs].join('\n'));
    const message = esc(c.messages[0]?.split('\n')[0] ?? status);
    if (status === 'failed') return `<error type="failed" message="${message}">${text}</error>`;
    if (status === 'unreachable') return `<error type="unreachable" message="${message}">${text}</error>`;
    if (status === 'changed' && mode === 'check') return `<failure type="drift" message="${message}">${text}</failure>`;
    if (status === 'skipped') return `<skipped message="${message}"/>`;
    return text ? `<system-out>${text}</system-out>` : '';
  };

  const render = (hosts: string[], durationMs: number): string => {
    const suites: string[] = [];
    let tests = 0;
    let failures = 0;
    let errors = 0;
    for (const host of hosts) {
      const list = cases.get(host) ?? [];
      const st = list.map(statusOf);
      const f = st.filter((x) => x === 'changed' && mode === 'check').length;
      const e = st.filter((x) => x === 'failed' || x === 'unreachable').length;
      const s = st.filter((x) => x === 'skipped').length;
      tests += list.length;
      failures += f;
      errors += e;
      const body = list.map((c) => {
        const inner = outcome(c);
        const attrs = `classname="${esc(`${host}.${c.play}`)}" name="${esc(c.name)}" time="${secs(c.ms)}"`;
        return inner ? `    <testcase ${attrs}>${inner}</testcase>` : `    <testcase ${attrs}/>`;
      });
      const time = secs(list.reduce((n, c) => n + c.ms, 0));
      suites.push(
        `  <testsuite name="${esc(host)}" hostname="${esc(host)}" tests="${list.length}" failures="${f}" errors="${e}" skipped="${s}" time="${time}" timestamp="${started.toISOString().slice(0, 19)}">`,
        ...body,
        '  </testsuite>',
      );
    }
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="${esc(title)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${secs(durationMs)}">`,
      ...suites,
      '</testsuites>',
      '',
    ].join('\n');
  };

  return {
    emit: (e) => {
      switch (e.type) {
        case 'run':
          mode = e.mode;
          title = `plumb ${e.mode} ${e.playbook}`;
          break;
        case 'task': {
          const c = caseOf(e.host, e.play, `${e.handler ? 'handler: ' : ''}${e.task}`);
          c.seen.push(e.status);
          if (e.message && (e.status !== 'ok' || mode === 'apply')) c.messages.push(`${e.item !== undefined ? `(item=${e.item}) ` : ''}${e.message}`);
          for (const d of e.diff ?? []) c.diffs.push(unified(d));
          c.ms = Math.max(c.ms, e.durationMs); // an item's time counts from its task's start
          break;
        }
        case 'recap':
          doc = render(Object.keys(e.hosts), e.durationMs);
          break;
        default:
          break;
      }
    },
    xml: () => doc,
  };
}
