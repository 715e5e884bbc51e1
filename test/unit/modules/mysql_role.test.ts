import { expect } from 'chai';
import mysqlRole, { liveRole, type MysqlRoleArgs } from '../../../src/modules/mysql_role.js';
import type { ReplicaState } from '../../../src/facts/mysql_replication.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const K = 'mysql:replication';
const C = 'mysql:binlog_clients';
const hosts = { 'web-01': '10.9.0.21', 'web-02': '10.9.0.22' };
const primary: MysqlRoleArgs = { role: 'primary', primary: '10.9.0.21', replicas: ['10.9.0.22'], hosts };
const replica: MysqlRoleArgs = { role: 'replica', primary: '10.9.0.21', replicas: ['10.9.0.22'], hosts };
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
  readOnly: true,
  serverId: 1,
  passwordSha256: '',
};
const st = (v: Partial<ReplicaState>, clients: string[] = []) => ({
  [K]: { available: true, value: { ...base, ...v } },
  [C]: { available: true, value: clients },
});
const following = { configured: true, primaryHost: '10.9.0.21', ioRunning: 'Yes', sqlRunning: 'Yes', usingGtid: 'Slave_Pos', gtidBinlogPos: '0-1-9' };

const cases: Case<MysqlRoleArgs>[] = [
  { name: 'primary, fresh (no history): read_only off', args: primary, facts: st({}), expect: { status: 'changed', stdin: 'SET GLOBAL read_only = 0;\n' } },
  {
    name: 'primary, live and writable: ok',
    args: primary,
    facts: st({ readOnly: false, gtidBinlogPos: '0-1-9' }),
    expect: { status: 'ok', result: { live: 'primary' } },
  },
  {
    name: 'primary restarted (history, read_only) with its replica streaming: opened at once',
    args: primary,
    facts: st({ gtidBinlogPos: '0-1-9' }, ['10.9.0.22']),
    expect: { status: 'changed', stdin: 'SET GLOBAL read_only = 0;\n', scriptNotMatches: [/Binlog Dump/] },
  },
  {
    name: 'primary with a history and no replica streaming (fenced?): opens only after they connect, else fails naming what to do',
    args: primary,
    facts: st({ gtidBinlogPos: '0-1-9' }),
    expect: { status: 'changed', stdin: 'SET GLOBAL read_only = 0;\n', scriptMatches: [/Binlog Dump/, /'10\.9\.0\.22'/, /fenced: edit host_vars/] },
  },
  {
    name: 'forced: opened although no replica streams',
    args: { ...primary, force: true },
    facts: st({ gtidBinlogPos: '0-1-9' }),
    expect: { status: 'changed', scriptNotMatches: [/Binlog Dump/] },
  },
  {
    name: 'inventory primary that replicates from another host (after a switchover): refused, never promoted',
    args: primary,
    facts: st({ ...following, primaryHost: '10.9.0.22' }),
    expect: { status: 'error', error: /replicates from web-02 \(10\.9\.0\.22\): the live primary is there[\s\S]*switchover/ },
  },
  { name: 'replica following the primary, read_only: ok', args: replica, facts: st(following), expect: { status: 'ok', result: { live: 'replica' } } },
  {
    name: 'replica made writable by hand: read_only back on',
    args: replica,
    facts: st({ ...following, readOnly: false }),
    expect: { status: 'changed', stdin: 'SET GLOBAL read_only = 1;\n' },
  },
  {
    name: 'inventory replica that is the live primary (promoted by a failover): refused, never demoted',
    args: replica,
    facts: st({ readOnly: false, gtidBinlogPos: '0-1-9,0-2-3' }),
    expect: { status: 'error', error: /is the live primary[\s\S]*not demoting it/ },
  },
  {
    name: 'a fenced former primary listed as replica: left read_only for the rejoin',
    args: replica,
    facts: st({ gtidBinlogPos: '0-1-9' }),
    expect: { status: 'ok', result: { live: 'fenced' } },
  },
  {
    name: 'check mode before MariaDB runs',
    args: primary,
    facts: { [K]: { available: false, reason: 'not installed' }, [C]: { available: false, reason: 'not installed' } },
    ctx: { check: true },
    expect: { status: 'changed' },
  },
];

describe('modules/mysql_role', () => {
  runTable(mysqlRole, cases);
  runSchemaTable(mysqlRole, [
    { name: 'minimal', args: { role: 'primary', primary: '10.0.0.1' }, valid: true },
    { name: 'role is primary or replica', args: { role: 'leader', primary: '10.0.0.1' }, valid: false },
    { name: 'addresses are not SQL', args: { role: 'primary', primary: '10.0.0.1', replicas: ["x') OR 1 --"] }, valid: false },
  ]);
  it('liveRole reads a server by its own state', () => {
    expect(liveRole({ ...base, configured: true, primaryHost: 'a' })).to.deep.equal({ kind: 'replica', follows: 'a' });
    expect(liveRole({ ...base })).to.deep.equal({ kind: 'fresh' });
    expect(liveRole({ ...base, gtidBinlogPos: '0-1-1' })).to.deep.equal({ kind: 'fenced' });
    expect(liveRole({ ...base, gtidBinlogPos: '0-1-1', readOnly: false })).to.deep.equal({ kind: 'primary' });
  });
});
