import blockinfile, { type BlockinfileArgs } from '../../../src/modules/blockinfile.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const P = '/etc/hosts';
const f = (t: string) => withText(P, textFile(t));
const B = '# BEGIN ANSIBLE MANAGED BLOCK\n';
const E = '# END ANSIBLE MANAGED BLOCK\n';

const cases: Case<BlockinfileArgs>[] = [
  {
    name: 'no block yet: appended at EOF between Ansible markers',
    args: { path: P, block: '10.0.0.1 db' },
    facts: f('127.0.0.1 localhost\n'),
    expect: {
      status: 'changed',
      stdin: `127.0.0.1 localhost\n${B}10.0.0.1 db\n${E}`,
      diff: [{ label: P, before: '127.0.0.1 localhost\n', after: `127.0.0.1 localhost\n${B}10.0.0.1 db\n${E}` }],
    },
  },
  { name: 'same block: ok', args: { path: P, block: 'a\nb\n' }, facts: f(`x\n${B}a\nb\n${E}y\n`), expect: { status: 'ok' } },
  {
    name: 'changed block is replaced in place',
    args: { path: P, block: 'c' },
    facts: f(`x\n${B}a\n${E}y\n`),
    expect: { status: 'changed', stdin: `x\n${B}c\n${E}y\n` },
  },
  {
    name: 'custom marker with {mark}, marker_begin/marker_end',
    args: { path: P, block: 'c', marker: '// {mark} plumb', marker_begin: 'START', marker_end: 'STOP' },
    facts: f(''),
    expect: { status: 'changed', stdin: '// START plumb\nc\n// STOP plumb\n' },
  },
  { name: 'insertbefore BOF', args: { path: P, block: 'c', insertbefore: 'BOF' }, facts: f('x\n'), expect: { status: 'changed', stdin: `${B}c\n${E}x\n` } },
  {
    name: 'insertafter a regexp (its last match)',
    args: { path: P, block: 'c', insertafter: '^x' },
    facts: f('x\nx2\ny\n'),
    expect: { status: 'changed', stdin: `x\nx2\n${B}c\n${E}y\n` },
  },
  {
    name: 'state absent removes block and markers',
    args: { path: P, state: 'absent' },
    facts: f(`x\n${B}a\n${E}y\n`),
    expect: { status: 'changed', stdin: 'x\ny\n' },
  },
  { name: 'an empty block means absent', args: { path: P, block: '' }, facts: f(`${B}a\n${E}`), expect: { status: 'changed', stdin: '' } },
  { name: 'absent and no block: ok', args: { path: P, state: 'absent' }, facts: f('x\n'), expect: { status: 'ok' } },
  {
    name: 'missing file without create: error',
    args: { path: P, block: 'a' },
    facts: withText(P, absent),
    expect: { status: 'error', error: /does not exist/ },
  },
  {
    name: 'missing file with create',
    args: { path: P, block: 'a', create: true },
    facts: withText(P, absent),
    expect: { status: 'changed', stdin: `${B}a\n${E}` },
  },
  {
    name: 'prepend_newline and append_newline',
    args: { path: P, block: 'a', insertafter: '^x', prepend_newline: true, append_newline: true },
    facts: f('x\ny\n'),
    expect: { status: 'changed', stdin: `x\n\n${B}a\n${E}\ny\n` },
  },
];

describe('modules/blockinfile', () => {
  runTable(blockinfile, cases);
  runSchemaTable(blockinfile, [
    // geerlingguy.ntp-like /etc/hosts block; Ansible docs example
    { name: 'docs example: dest, block, marker', args: { dest: P, block: '192.168.0.1 host1', marker: '# {mark} ANSIBLE MANAGED BLOCK host1' }, valid: true },
    { name: 'marker without {mark}', args: { path: P, block: 'a', marker: '# managed' }, valid: false, message: /must contain \{mark\}/ },
    { name: 'unknown key', args: { path: P, block: 'a', lines: 'b' }, valid: false, message: /'lines'/ },
  ]);
});
