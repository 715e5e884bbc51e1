import slurp, { type SlurpArgs } from '../../../src/modules/slurp.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const P = '/etc/machine-id';
const cases: Case<SlurpArgs>[] = [
  {
    name: 'content base64 with encoding and source',
    args: { src: P },
    facts: withText(P, textFile('abc\n')),
    expect: { status: 'ok', result: { content: 'YWJjCg==', encoding: 'base64', source: P } },
  },
  { name: 'alias path', args: { path: P }, facts: withText(P, textFile('')), expect: { status: 'ok', result: { content: '' } } },
  { name: 'missing: error', args: { src: P }, facts: withText(P, absent), expect: { status: 'error', error: /file not found/ } },
];
describe('modules/slurp', () => {
  runTable(slurp, cases);
  runSchemaTable(slurp, [
    { name: 'docs example', args: { src: '/var/run/sshd.pid' }, valid: true },
    { name: 'both src and path', args: { src: P, path: P }, valid: false },
  ]);
});
