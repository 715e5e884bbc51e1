import { expect } from 'chai';
import waitFor, { holdsFact, type WaitForArgs } from '../../../src/modules/wait_for.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const PORT: WaitForArgs = { port: 8000, timeout: 30 };
const PATH: WaitForArgs = { path: '/run/app.pid', state: 'absent' };
const holds = (a: WaitForArgs, v: boolean) => ({ [holdsFact(a).key]: v });

const cases: Case<WaitForArgs>[] = [
  {
    name: 'the port is open already (read in the batch): ok, no exec of its own',
    args: PORT,
    facts: holds(PORT, true),
    expect: { status: 'ok', changes: 0, result: { elapsed: 0, port: 8000 } },
  },
  {
    name: 'the port is closed: a read-only poll until the timeout',
    args: PORT,
    facts: holds(PORT, false),
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/end=\$\(\( \$\(date \+%s\) \+ 30 \)\)/, /dev\/tcp/],
      description: /^wait for 127\.0\.0\.1:8000 started$/,
    },
  },
  {
    name: 'delay: always waits, even when the condition holds',
    args: { ...PORT, delay: 2 },
    facts: holds({ ...PORT, delay: 2 }, true),
    expect: { status: 'changed', scriptMatches: [/^sleep 2$/m] },
  },
  {
    name: 'a path still there, state absent: polls with a negated test',
    args: PATH,
    facts: holds(PATH, false),
    expect: { status: 'changed', scriptMatches: [/! \{ \[ -e \/run\/app\.pid \]; \}/] },
  },
  {
    name: 'check mode, an unapplied change may bring it: would wait, does not poll',
    args: PORT,
    facts: holds(PORT, false),
    ctx: { mayChange: () => true },
    expect: { status: 'changed', description: /not now: a change this check did not apply/ },
  },
];

describe('modules/wait_for', () => {
  runTable(waitFor, cases);
  it('the batched read is a live fact; only a check mode that may be wrong is not read-only', () => {
    expect(holdsFact(PORT).key).to.match(/^live:wait_for:/);
    expect(holdsFact(PORT).key).to.equal(holdsFact({ port: 8000, timeout: 30 }).key);
    expect(holdsFact(PORT).key).not.to.equal(holdsFact({ port: 8001 }).key);
    const ctx = (mayChange: boolean) => ({ mayChange: () => mayChange }) as never;
    const facts = { get: () => false } as never;
    expect(waitFor.plan(PORT, facts, ctx(false)).changes[0]!.readOnly).to.equal(true);
    expect(waitFor.plan(PORT, facts, ctx(true)).changes[0]!.readOnly).to.equal(false);
  });
  runSchemaTable(waitFor, [
    { name: 'docs example', args: { host: '0.0.0.0', port: 8000, delay: 10 }, valid: true },
    { name: 'a host with a space', args: { host: 'a b', port: 1 }, valid: false },
  ]);
});
