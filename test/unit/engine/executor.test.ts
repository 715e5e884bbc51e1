// The executor, against a recording session: what a plan becomes in apply and in check mode.
import { expect } from 'chai';
import { execute, type ExecOptions } from '../../../src/engine/executor.js';
import type { HostSession } from '../../../src/engine/session.js';
import { definePlan, type Change, type Plan } from '../../../src/modules/types.js';
import { raw } from '../../../src/sh.js';

type Out = { code: number; stdout: string; stderr: string };

function session(outputs: Out[]) {
  const ran: string[] = [];
  const invalidated: string[] = [];
  const would: string[] = [];
  const s = {
    run: async (script: { text?: string }) => {
      ran.push(String((script as { text?: string }).text ?? script));
      return outputs.shift() ?? { code: 0, stdout: '', stderr: '' };
    },
    invalidate: (p: readonly string[]) => invalidated.push(...p),
    wouldInvalidate: (p: readonly string[]) => would.push(...p),
  };
  return { s: s as unknown as HostSession, ran, invalidated, would };
}

const change = (description: string, extra: Partial<Change> = {}): Change => ({
  description,
  script: raw(`: ${description}`),
  invalidates: [`file:/${description}`],
  ...extra,
});
const opts = (over: Partial<Omit<ExecOptions, 'root'>> = {}): ExecOptions => ({
  root: '/nonexistent',
  check: false,
  become: false,
  notify: [],
  kind: 'change',
  noLog: false,
  timeoutS: 30,
  ...over,
});

interface Case {
  name: string;
  plan: Plan;
  check?: boolean;
  outputs?: Out[];
  status: string;
  message?: RegExp;
  execs: number;
  invalidated?: string[];
  would?: string[];
  result?: Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'nothing to change is ok, no exec', plan: definePlan({ summary: 'in sync' }), status: 'ok', message: /in sync/, execs: 0 },
  { name: 'skipped by the module', plan: definePlan({ skipped: true, summary: 'exists' }), status: 'skipped', execs: 0 },
  {
    name: 'apply runs each change and invalidates its facts',
    plan: definePlan({ changes: [change('a'), change('b')], summary: 'write a and b' }),
    status: 'changed',
    message: /write a and b/,
    execs: 2,
    invalidated: ['file:/a', 'file:/b'],
  },
  {
    name: 'check mode runs nothing and says what it would do; the facts are marked as ones it would alter',
    plan: definePlan({ changes: [change('a')], summary: 'write a' }),
    check: true,
    status: 'changed',
    message: /^would write a$/,
    execs: 0,
    would: ['file:/a'],
  },
  {
    name: 'read-only steps run in check mode too, and are ok',
    plan: definePlan({ changes: [change('get', { readOnly: true, parse: (o) => ({ status: Number(o.stdout) }) })] }),
    check: true,
    outputs: [{ code: 0, stdout: '200\n', stderr: '' }],
    status: 'ok',
    execs: 1,
    invalidated: ['file:/get'],
    result: { status: 200, stdout: '200', rc: 0 },
  },
  {
    name: 'a wait on the controller (pause) runs no exec, in check mode too, and is ok',
    plan: definePlan({ changes: [change('pause 0s', { readOnly: true, controllerWaitS: 0, invalidates: [], parse: () => ({ delta: 0 }) })] }),
    check: true,
    status: 'ok',
    execs: 0,
    result: { delta: 0 },
  },
  {
    name: 'a failing change stops the plan: later changes do not run',
    plan: definePlan({ changes: [change('a'), change('b')] }),
    outputs: [{ code: 3, stdout: '', stderr: 'boom\n' }],
    status: 'failed',
    message: /boom/,
    execs: 1,
    invalidated: ['file:/a'],
    result: { rc: 3, stderr: 'boom' },
  },
  {
    name: 'a parser that throws gives no values (host output is data)',
    plan: definePlan({
      changes: [
        change('x', {
          parse: () => {
            throw new Error('bad');
          },
        }),
      ],
    }),
    outputs: [{ code: 0, stdout: 'not json', stderr: '' }],
    status: 'changed',
    execs: 1,
    invalidated: ['file:/x'],
    result: { stdout: 'not json' },
  },
];

describe('engine/executor: one place applies plans', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { s, ran, invalidated, would } = session([...(c.outputs ?? [])]);
      const out = await execute(c.plan, s, opts({ check: c.check ?? false }));
      expect(out.status).to.equal(c.status);
      if (c.message) expect(out.message).to.match(c.message);
      expect(ran).to.have.length(c.execs);
      expect(invalidated).to.deep.equal(c.invalidated ?? []);
      expect(would).to.deep.equal(c.would ?? []);
      if (c.result) expect(out.result).to.include(c.result);
    });
  }

  it('notified handlers are recorded in the first change exec only, and reported once', async () => {
    const { s, ran } = session([]);
    const seen: string[][] = [];
    await execute(definePlan({ changes: [change('a'), change('b')] }), s, opts({ notify: ['restart x'], notified: (n) => seen.push([...n]) }));
    expect(ran[0]).to.include('pending-handlers');
    expect(ran[1]).to.not.include('pending-handlers');
    expect(seen).to.deep.equal([['restart x']]);
  });
});
