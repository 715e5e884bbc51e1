import { expect } from 'chai';
import mysqlTopology, { liveRole, topologyProblems, type MysqlTopologyArgs } from '../../../src/modules/mysql_topology.js';
import type { ReplicaState } from '../../../src/facts/mysql_replication.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const K = 'mysql:replication';
const addresses = { 'web-01': '10.0.0.21', 'web-02': '10.0.0.22' };
const base: ReplicaState = {
  configured: false,
  primaryHost: '',
  primaryPort: 0,
  user: '',
  ioRunning: 'No',
  sqlRunning: 'No',
  usingGtid: 'No',
  connectRetry: 0,
  lastIoErrno: 0,
  lastIoError: '',
  lastSqlErrno: 0,
  lastSqlError: '',
  secondsBehind: null,
  gtidSlavePos: '',
  gtidBinlogPos: '',
  gtidBinlogState: '',
  readOnly: true,
  serverId: 1,
  passwordSha256: '',
};
const primary = { available: true, value: { ...base, readOnly: false, gtidBinlogState: '0-1-5' } };
const fenced = { available: true, value: base };
const replicaOf = (addr: string) => ({ available: true, value: { ...base, configured: true, primaryHost: addr, ioRunning: 'Yes', sqlRunning: 'Yes' } });
const on = (server: string): MysqlTopologyArgs => ({ server, primary: 'web-01', addresses });

const cases: Case<MysqlTopologyArgs>[] = [
  { name: 'the inventory primary, live primary: ok', args: on('web-01'), facts: { [K]: primary }, expect: { status: 'ok' } },
  { name: 'a replica of the inventory primary: ok', args: on('web-02'), facts: { [K]: replicaOf('10.0.0.21') }, expect: { status: 'ok' } },
  {
    name: 'no MariaDB yet (fresh host) or not running: no claim, ok',
    args: on('web-02'),
    facts: { [K]: { available: false, reason: 'the mysql client is not installed' } },
    expect: { status: 'ok' },
  },
  {
    name: 'the inventory primary fresh or restarted, read_only from its config: ok (the role sets it OFF)',
    args: on('web-01'),
    facts: { [K]: fenced },
    expect: { status: 'ok' },
  },
  {
    name: 'another server freshly installed (writable, Debian defaults, no GTID history): no claim, ok',
    args: on('web-02'),
    facts: { [K]: { available: true, value: { ...base, readOnly: false } } },
    expect: { status: 'ok' },
  },
  {
    name: 'a promoted replica that has written nothing yet (history only in gtid_slave_pos) is a live primary',
    args: on('web-02'),
    facts: { [K]: { available: true, value: { ...base, readOnly: false, gtidSlavePos: '0-1-5' } } },
    expect: { status: 'changed', scriptMatches: [/exit 1$/], description: /web-02 is a live primary/ },
  },
  { name: 'another server read_only, replicating from nobody (fenced): ok', args: on('web-02'), facts: { [K]: fenced }, expect: { status: 'ok' } },
  {
    name: 'after a failover: web-02 takes writes, the inventory says web-01: apply fails naming the live primary and what to edit',
    args: on('web-02'),
    facts: { [K]: primary },
    expect: {
      status: 'changed',
      scriptMatches: [/exit 1$/],
      description:
        /web-02 is a live primary, but the inventory's primary is web-01[\s\S]*mysql_role: primary in host_vars\/web-02.yml[\s\S]*host_vars\/web-01.yml[\s\S]*switchover.yml -e new_primary=web-01/,
    },
  },
  {
    name: 'after a switchover, before the edit: the inventory primary replicates from web-02: fails naming web-02',
    args: on('web-01'),
    facts: { [K]: replicaOf('10.0.0.22') },
    expect: {
      status: 'changed',
      scriptMatches: [/exit 1$/],
      description: /web-01, the inventory's primary, replicates from web-02[\s\S]*web-02 is the live primary/,
    },
  },
  {
    name: 'the refusing step is drift in check (the executor runs nothing there), with the live role',
    args: on('web-02'),
    facts: { [K]: primary },
    expect: {
      status: 'changed',
      scriptMatches: [/exit 1$/],
      diff: [{ label: 'database roles', before: 'web-02: primary (read_only OFF, replicates from nobody)\n', after: 'web-02: replica of web-01\n' }],
    },
  },
];

describe('modules/mysql_topology', () => {
  runTable(mysqlTopology, cases);
  runSchemaTable(mysqlTopology, [
    { name: 'minimal', args: { server: 'web-01', primary: 'web-01' }, valid: true },
    { name: 'no primary (no host has mysql_role: primary)', args: { server: 'web-01' }, valid: false },
    { name: 'unknown key', args: { server: 'web-01', primary: 'web-01', demote: true }, valid: false },
  ]);
  it('a replica names its primary by host; an unknown address as it is', () => {
    expect(liveRole(replicaOf('10.0.0.21').value, addresses)).to.deep.equal({ kind: 'replica', of: 'web-01' });
    expect(liveRole(replicaOf('10.9.9.9').value, addresses)).to.deep.equal({ kind: 'replica', of: '10.9.9.9' });
  });
  it('two live primaries: the one the inventory does not name is the problem', () => {
    const live = new Map([
      ['web-01', liveRole(primary.value)],
      ['web-02', liveRole(primary.value)],
    ]);
    expect(topologyProblems('web-01', live)).to.deep.equal(["web-02 is a live primary, but the inventory's primary is web-01"]);
  });
});
