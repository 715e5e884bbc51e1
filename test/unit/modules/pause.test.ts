import { expect } from 'chai';
import pause, { type PauseArgs } from '../../../src/modules/pause.js';
import type { Plan } from '../../../src/modules/types.js';
import { fakeContext, fakeFacts } from '../helpers.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const cases: Case<PauseArgs>[] = [
  {
    name: 'seconds: one change, described',
    args: { seconds: 5 },
    facts: {},
    expect: { status: 'changed', changes: 1, description: /^pause 5s$/, invalidates: [] },
  },
  { name: 'minutes: counted in seconds', args: { minutes: 2 }, facts: {}, expect: { status: 'changed', changes: 1, description: /^pause 120s$/ } },
  {
    name: 'a prompt is shown in the description only',
    args: { seconds: 3, prompt: 'Wait for the LB to drain' },
    facts: {},
    expect: { status: 'changed', description: /^pause 3s: Wait for the LB to drain$/ },
  },
  {
    name: 'seconds: 0 is a pause of nothing, still one wait',
    args: { seconds: 0 },
    facts: {},
    expect: { status: 'changed', changes: 1, description: /^pause 0s$/ },
  },
];

const planOf = (args: PauseArgs, mayChange = false): Plan => pause.plan(args, fakeFacts({}), fakeContext({ mayChange: () => mayChange }));

describe('modules/pause', () => {
  runTable(pause, cases);
  it('reads no facts: the host is not probed', () => {
    expect(pause.facts({ seconds: 1 }, fakeContext())).to.deep.equal([]);
  });
  for (const [args, secs] of [
    [{ seconds: 7 }, 7],
    [{ minutes: 3 }, 180],
    [{ minutes: 0 }, 0],
  ] as [PauseArgs, number][]) {
    it(`a controller wait of ${secs}s for ${JSON.stringify(args)}: read-only, invalidates nothing, no host script`, () => {
      const p = planOf(args);
      expect(p.changes).to.have.length(1);
      const c = p.changes[0]!;
      expect(c.controllerWaitS).to.equal(secs);
      expect(c.readOnly).to.equal(true);
      expect(c.invalidates).to.deep.equal([]);
      // The executor skips the exec for a controller wait; the script is a no-op all the same.
      expect(c.script.text.trim()).to.equal(':');
      expect(c.stdin).to.equal(undefined);
      expect(p.diffs ?? []).to.deep.equal([]);
    });
  }
  it('check mode plans the same wait (Ansible pauses in check mode too)', () => {
    expect(planOf({ seconds: 4 }, true).changes[0]).to.deep.include({ controllerWaitS: 4, readOnly: true });
  });
  it('the registered result: delta, user_input and stdout as in Ansible', () => {
    const r = planOf({ seconds: 2 }).changes[0]!.parse!({ code: 0, stdout: '', stderr: '' });
    expect(r).to.have.all.keys('delta', 'user_input', 'stdout');
    expect(r).to.deep.include({ user_input: '', stdout: 'Paused for 2 seconds' });
    expect(r['delta']).to.be.a('number').within(0, 2);
  });
  runSchemaTable(pause, [
    // Ansible docs examples (ansible.builtin.pause); the keypress ones are refused on purpose.
    { name: 'docs: pause for 5 minutes to build app cache', args: { minutes: 5 }, valid: true },
    {
      name: 'docs: a helpful reminder of what to look out for post-update',
      args: { prompt: 'Make sure org.foo.FooOverload exception is not present' },
      valid: false,
      message: /pause needs seconds or minutes/,
    },
    { name: 'docs: pause to get some sensitive input', args: { prompt: 'Enter a secret', echo: false }, valid: false, message: /does not wait for a keypress/ },
    { name: 'docs: pause for 10 seconds', args: { seconds: 10 }, valid: true },
    { name: 'seconds with a prompt (shown as a message)', args: { seconds: 10, prompt: 'draining', echo: true }, valid: true },
    { name: 'no args at all', args: {}, valid: false, message: /pause needs seconds or minutes/ },
    { name: 'seconds and minutes both: refused (Ansible drops the seconds in silence)', args: { seconds: 30, minutes: 1 }, valid: false, message: /not both/ },
    { name: 'negative seconds', args: { seconds: -1 }, valid: false },
    { name: 'fractional minutes', args: { minutes: 0.5 }, valid: false },
    { name: 'seconds as a string', args: { seconds: '10' }, valid: false },
    { name: 'unknown key', args: { seconds: 1, timeout: 5 }, valid: false, message: /timeout/ },
  ]);
});
