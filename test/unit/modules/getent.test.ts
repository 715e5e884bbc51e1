import getent, { type GetentArgs } from '../../../src/modules/getent.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const k = (db: string, key = '') => `cmd:getent::${db}:${key}`;
const cases: Case<GetentArgs>[] = [
  {
    name: 'passwd by key into ansible_facts.getent_passwd',
    args: { database: 'passwd', key: 'alice' },
    facts: { [k('passwd', 'alice')]: { code: 0, lines: ['alice:x:1000:1000:Alice:/home/alice:/bin/bash'] } },
    expect: { status: 'ok', result: { ansible_facts: { getent_passwd: { alice: ['x', '1000', '1000', 'Alice', '/home/alice', '/bin/bash'] } } } },
  },
  {
    name: 'hosts split on whitespace',
    args: { database: 'hosts' },
    facts: { [k('hosts')]: { code: 0, lines: ['127.0.0.1       localhost', '::1 localhost ip6-localhost'] } },
    expect: { status: 'ok', result: { ansible_facts: { getent_hosts: { '127.0.0.1': ['localhost'], '::1': ['localhost', 'ip6-localhost'] } } } },
  },
  {
    name: 'missing key fails (fail_key defaults to true)',
    args: { database: 'passwd', key: 'nobody2' },
    facts: { [k('passwd', 'nobody2')]: { code: 2, lines: [] } },
    expect: { status: 'error', error: /could not be found/ },
  },
  {
    name: 'missing key with fail_key: false is null',
    args: { database: 'passwd', key: 'nobody2', fail_key: false },
    facts: { [k('passwd', 'nobody2')]: { code: 2, lines: [] } },
    expect: { status: 'ok', result: { ansible_facts: { getent_passwd: { nobody2: null } } } },
  },
];
describe('modules/getent', () => {
  runTable(getent, cases);
  runSchemaTable(getent, [
    // geerlingguy.docker users / common role: getent passwd then getent_passwd[user][4]
    { name: 'common role: database and key', args: { database: 'passwd', key: 'deploy', split: ':' }, valid: true },
    { name: 'missing database', args: { key: 'x' }, valid: false },
  ]);
});
