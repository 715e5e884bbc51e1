import { expect } from 'chai';
import tempfile, { type TempfileArgs } from '../../../src/modules/tempfile.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const cases: Case<TempfileArgs>[] = [
  {
    name: "a file in the temp dir with Ansible's prefix",
    args: {},
    facts: {},
    expect: { status: 'changed', scriptMatches: [/^mktemp +--tmpdir --suffix='' -- ansible\.XXXXXXXX$/] },
  },
  {
    name: 'a directory with path and suffix',
    args: { state: 'directory', path: '/var/tmp', suffix: '.build' },
    facts: {},
    expect: { status: 'changed', scriptMatches: [/mktemp -d --tmpdir=\/var\/tmp --suffix=\.build -- ansible\.XXXXXXXX/] },
  },
];
describe('modules/tempfile', () => {
  runTable(tempfile, cases);
  it("the path is registered from mktemp's output", () => {
    const c = tempfile.plan(
      {},
      {
        get: () => {
          throw new Error('no facts');
        },
      },
      {} as never,
    ).changes[0]!;
    expect(c.parse!({ code: 0, stdout: '/tmp/ansible.AbCdEfGh\n', stderr: '' })).to.deep.equal({ path: '/tmp/ansible.AbCdEfGh' });
  });
  runSchemaTable(tempfile, [
    { name: 'docs example', args: { state: 'directory', suffix: 'build' }, valid: true },
    { name: 'a prefix with a slash', args: { prefix: 'a/b' }, valid: false, message: /no \// },
  ]);
});
