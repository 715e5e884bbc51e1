import pkg, { type PackageArgs } from '../../../src/modules/package.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const cases: Case<PackageArgs>[] = [
  {
    name: 'installed -> ok',
    args: { name: ['curl'], state: 'present' },
    facts: { 'pkg:curl': { curl: { status: 'ii', installed: true, version: '7' } } },
    expect: { status: 'ok' },
  },
  {
    name: 'missing -> apt-get install',
    args: { name: 'curl' },
    facts: { 'pkg:curl': { curl: { status: '', installed: false } } },
    expect: { status: 'changed', scriptMatches: [/apt-get install .* curl/] },
  },
  {
    name: 'state: removed is apt absent',
    args: { name: 'curl', state: 'removed' },
    facts: { 'pkg:curl': { curl: { status: 'ii', installed: true, version: '7' } } },
    expect: { status: 'changed', scriptMatches: [/apt-get remove/] },
  },
];
describe('modules/package', () => {
  runTable(pkg, cases);
  runSchemaTable(pkg, [
    { name: 'copied from geerlingguy.git: name, state', args: { name: ['git'], state: 'present' }, valid: true },
    { name: 'use: dnf refused', args: { name: 'x', use: 'dnf' }, valid: false, message: /Debian/ },
  ]);
});
