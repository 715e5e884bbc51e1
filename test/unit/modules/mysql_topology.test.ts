import { expect } from 'chai';
import mysqlTopology, { parseLive, topologyProblems, type MysqlTopologyArgs } from '../../../src/modules/mysql_topology.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const addresses = { 'web-01': '10.0.0.21', 'web-02': '10.0.0.22' };
const primary = 'read_only=0 primary=';
const replicaOf1 = 'read_only=1 primary=10.0.0.21';
const replicaOf2 = 'read_only=1 primary=10.0.0.22';
const fenced = 'read_only=1 primary=';
const at = (p1: string, p2: string): MysqlTopologyArgs => ({
  primary: 'web-01',
  addresses,
  servers: [
    { host: 'web-01', probe: p1 },
    { host: 'web-02', probe: p2 },
  ],
});

const cases: Case<MysqlTopologyArgs>[] = [
  { name: 'as the inventory says: ok', args: at(primary, replicaOf1), facts: {}, expect: { status: 'ok' } },
  { name: 'fresh hosts (no MariaDB yet): ok', args: at('absent', 'absent'), facts: {}, expect: { status: 'ok' } },
  {
    name: 'a fresh or restarted primary, read_only from its config: ok (the role sets it OFF)',
    args: at(fenced, replicaOf1),
    facts: {},
    expect: { status: 'ok' },
  },
  { name: 'the old primary dead, unreachable: ok as far as can be seen', args: at('unknown', replicaOf1), facts: {}, expect: { status: 'ok' } },
  {
    name: 'after a failover (web-02 promoted, web-01 back read_only): apply fails naming the live primary and what to edit',
    args: at(fenced, primary),
    facts: {},
    expect: {
      status: 'error',
      error:
        /web-02 is a live primary, but the inventory's primary is web-01[\s\S]*mysql_role: primary in host_vars\/web-02.yml[\s\S]*switchover.yml -e new_primary=web-01/,
    },
  },
  {
    name: 'after a switchover, before the edit (web-01 replicates from web-02): fails',
    args: at(replicaOf2, primary),
    facts: {},
    expect: { status: 'error', error: /web-01, the inventory's primary, replicates from web-02; web-02 is a live primary/ },
  },
  {
    name: 'in check, the same is drift (changed, with the live roles), nothing run',
    args: at(fenced, primary),
    facts: {},
    ctx: { check: true },
    expect: {
      status: 'changed',
      scriptMatches: [/^:$/],
      diff: [
        {
          label: 'database roles',
          before: 'web-01: read_only, replicates from nobody\nweb-02: primary (read_only OFF, replicates from nobody)\n',
          after: 'web-01: primary\nweb-02: replica of web-01\n',
        },
      ],
    },
  },
];

describe('modules/mysql_topology', () => {
  runTable(mysqlTopology, cases);
  runSchemaTable(mysqlTopology, [
    { name: 'minimal', args: { primary: 'web-01', servers: [] }, valid: true },
    { name: 'no primary (no host has mysql_role: primary)', args: { servers: [] }, valid: false },
    { name: 'unknown key', args: { primary: 'web-01', servers: [], demote: true }, valid: false },
  ]);
  it('parses the probe; an address is named by its host', () => {
    expect(parseLive(replicaOf1, addresses)).to.deep.equal({ kind: 'replica', of: 'web-01' });
    expect(parseLive('read_only=1 primary=10.9.9.9', addresses)).to.deep.equal({ kind: 'replica', of: '10.9.9.9' });
    expect(parseLive('down').kind).to.equal('unknown');
  });
  it('two live primaries are both named', () => {
    const live = new Map([
      ['web-01', parseLive(primary)],
      ['web-02', parseLive(primary)],
    ]);
    expect(topologyProblems('web-01', live)).to.deep.equal(["web-02 is a live primary, but the inventory's primary is web-01"]);
  });
});
