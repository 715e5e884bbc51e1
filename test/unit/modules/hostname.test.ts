import hostname, { type HostnameArgs } from '../../../src/modules/hostname.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const cases: Case<HostnameArgs>[] = [
  { name: 'already set -> ok', args: { name: 'web1' }, facts: { 'sys:hostname': { current: 'web1', file: 'web1' } }, expect: { status: 'ok' } },
  {
    name: 'differs -> /etc/hostname and the kernel name, with a diff',
    args: { name: 'web1' },
    facts: { 'sys:hostname': { current: 'debian', file: 'debian' } },
    expect: {
      status: 'changed',
      scriptMatches: [/> \/etc\/hostname/, /^hostname web1$/m],
      diff: [{ label: 'hostname', before: 'hostname=debian\n/etc/hostname=debian\n', after: 'hostname=web1\n/etc/hostname=web1\n' }],
    },
  },
  { name: 'only the file lags -> changed', args: { name: 'web1' }, facts: { 'sys:hostname': { current: 'web1', file: '' } }, expect: { status: 'changed' } },
];
describe('modules/hostname', () => {
  runTable(hostname, cases);
  runSchemaTable(hostname, [
    { name: 'name required', args: {}, valid: false, message: /name/ },
    { name: 'no shell in a name', args: { name: 'a;b' }, valid: false, message: /hostname/ },
    { name: 'unknown key', args: { name: 'a', foo: 1 }, valid: false, message: /foo/ },
  ]);
});
