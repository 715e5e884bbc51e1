// hostVars() layers the run's variables in Ansible's documented order (low -> high):
// role defaults < inventory (group vars < host vars) < play vars < role vars, block vars,
// task vars < registered/set_fact/include_vars < role params < extra vars. docs.ansible.com "Understanding variable precedence".
import { expect } from 'chai';
import { join } from 'node:path';
import { hostVars } from '../../../src/engine/run.js';
import { loadInventory } from '../../../src/inventory/load.js';
import type { Play, Task } from '../../../src/playbook/load.js';
import { removeTree, tree } from '../../fixtures/tree.js';

describe('engine/run hostVars: the precedence chain', () => {
  let dir: string;
  after(() => removeTree(dir));
  const levels = ['role_default', 'group', 'host', 'play', 'task', 'registered', 'role_param', 'extra'] as const;
  // Variable vN is set by levels[0..N]; the highest of those must win.
  const setBy = (level: number) => Object.fromEntries(levels.map((_, n) => [`v${n}`, levels[level]]).filter((_, n) => n >= level));

  it('every level beats the ones below it', () => {
    dir = tree({
      'h.yml': 'web:\n  hosts:\n    h1:\n',
      'group_vars/web.yml':
        Object.entries(setBy(1))
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n') + '\n',
      'host_vars/h1.yml':
        Object.entries(setBy(2))
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n') + '\n',
    });
    const inv = loadInventory(join(dir, 'h.yml'));
    const play = { roleDefaults: setBy(0), vars: setBy(3) } as unknown as Play;
    const task = { vars: setBy(4), roleVars: setBy(6) } as unknown as Task;
    const vars = hostVars(inv, play, 'h1', setBy(7), setBy(5), task);
    expect(levels.map((_, n) => vars[`v${n}`])).to.deep.equal([...levels]);
  });
});
