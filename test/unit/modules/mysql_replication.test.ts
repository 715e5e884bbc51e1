import { expect } from 'chai';
import mysqlReplication, {
  gtidPrefixProblems,
  optionValue,
  sha256Hex,
  STDIN_SEPARATOR,
  type MysqlReplicationArgs,
} from '../../../src/modules/mysql_replication.js';
import type { ReplicaState } from '../../../src/facts/mysql_replication.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const K = 'mysql:replication';
const PW = 'p"w\\1';
const args: MysqlReplicationArgs = { primary_host: '10.9.0.2', user: 'repl', password: PW, seed_databases: ['foobar'] };
const fresh: ReplicaState = {
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
  serverId: 2,
  passwordSha256: '',
};
const healthy: ReplicaState = {
  ...fresh,
  configured: true,
  primaryHost: '10.9.0.2',
  primaryPort: 3306,
  user: 'repl',
  ioRunning: 'Yes',
  sqlRunning: 'Yes',
  usingGtid: 'Slave_Pos',
  connectRetry: 60,
  secondsBehind: 0,
  gtidSlavePos: '0-1-42',
  gtidBinlogPos: '0-1-42',
  passwordSha256: sha256Hex(PW),
};
const up = (v: Partial<ReplicaState>) => ({ available: true, value: { ...healthy, ...v } });
const CHANGE =
  "CHANGE MASTER TO MASTER_HOST = '10.9.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = 'p\"w\\\\1', MASTER_USE_GTID = slave_pos;\nSTART SLAVE;\n";

const cases: Case<MysqlReplicationArgs>[] = [
  {
    name: 'a fresh replica is seeded from a consistent dump, then started; secrets on stdin only',
    args,
    facts: { [K]: { available: true, value: fresh } },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [
        /mysqldump --defaults-file="\$d\/primary.cnf" --single-transaction --gtid --master-data=1 .*--databases foobar > "\$d\/seed.sql"/,
        /STOP SLAVE; RESET SLAVE ALL; RESET MASTER;/,
        /echo 'SET SESSION sql_log_bin = 0;'; cat "\$d\/seed.sql"; \} \| mysql /,
        /umask 077/,
        /Slave_IO_Running/,
      ],
      scriptNotMatches: [/p"w/, /10\.9\.0\.2/],
      stdin: `[client]\nhost="10.9.0.2"\nport=3306\nuser="repl"\npassword="p\\"w\\\\1"\n${STDIN_SEPARATOR}\n${CHANGE}`,
      invalidates: ['mysql:*'],
      diff: [
        {
          label: 'replication',
          before: 'not replicating\n',
          after: 'primary: 10.9.0.2:3306 user=repl using_gtid=Slave_Pos\nio_thread: Yes\nsql_thread: Yes\nseeded: foobar\n',
        },
      ],
    },
  },
  {
    name: 'a healthy replica is left alone (no reseed, no restart)',
    args,
    facts: { [K]: up({}) },
    expect: { status: 'ok', result: { io_running: 'Yes', sql_running: 'Yes', gtid_slave_pos: '0-1-42' } },
  },
  {
    name: 'an IO thread still connecting is not drift',
    args,
    facts: { [K]: up({ ioRunning: 'Connecting', lastIoErrno: 2003, lastIoError: "Can't connect" }) },
    expect: { status: 'ok' },
  },
  {
    name: 'stopped threads without an error are started, not reseeded',
    args,
    facts: { [K]: up({ ioRunning: 'No', sqlRunning: 'No' }) },
    expect: { status: 'changed', scriptMatches: [/-e 'START SLAVE;'/], scriptNotMatches: [/mysqldump/, /RESET/] },
  },
  {
    name: 'a changed password repoints without reseeding',
    args,
    facts: { [K]: up({ passwordSha256: sha256Hex('old') }) },
    expect: { status: 'changed', stdin: CHANGE, scriptNotMatches: [/mysqldump/, /RESET/] },
  },
  {
    name: 'another primary or file/position replication is repointed to GTID',
    args,
    facts: { [K]: up({ primaryHost: '10.9.0.9', usingGtid: 'No' }) },
    expect: { status: 'changed', stdin: CHANGE },
  },
  {
    name: 'an SQL thread error fails the task instead of a blind restart or reseed',
    args,
    facts: { [K]: up({ sqlRunning: 'No', lastSqlErrno: 1062, lastSqlError: 'Duplicate entry' }) },
    expect: { status: 'error', error: /SQL thread stopped with error 1062: Duplicate entry[\s\S]*RESET SLAVE ALL/ },
  },
  {
    name: 'nothing to seed: point at the primary and start from its first GTID',
    args: { ...args, seed_databases: [], connect_retry: 10 },
    facts: { [K]: { available: true, value: fresh } },
    expect: { status: 'changed', stdin: CHANGE.replace('slave_pos;', 'slave_pos, MASTER_CONNECT_RETRY = 10;'), scriptNotMatches: [/mysqldump/] },
  },
  {
    name: 'check mode on a host without MariaDB would seed',
    args,
    facts: { [K]: { available: false, reason: 'the mysql client is not installed' } },
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
  {
    name: "a former primary whose history is a prefix of the primary's rejoins with MASTER_DEMOTE_TO_SLAVE, no reseed",
    args: { ...args, primary_gtid_state: '0-1-100,0-2-150' },
    facts: { [K]: { available: true, value: { ...fresh, serverId: 1, gtidBinlogState: '0-1-100', gtidBinlogPos: '0-1-100' } } },
    expect: {
      status: 'changed',
      stdin: CHANGE.replace('slave_pos;', 'slave_pos, MASTER_DEMOTE_TO_SLAVE = 1;'),
      scriptNotMatches: [/mysqldump/, /RESET/],
    },
  },
  {
    name: 'a former primary with transactions the primary never had is refused, with the steps to reseed',
    args: { ...args, primary_gtid_state: '0-1-100,0-2-150' },
    facts: { [K]: { available: true, value: { ...fresh, serverId: 1, gtidBinlogState: '0-1-101' } } },
    expect: {
      status: 'error',
      error: /cannot rejoin: 0-1-101: the primary has server 1's transactions in domain 0 only up to 0-1-100[\s\S]*RESET SLAVE ALL; RESET MASTER/,
    },
  },
  {
    name: 'a fresh replica (no history of its own) is seeded even when the primary state is given',
    args: { ...args, primary_gtid_state: '0-1-100' },
    facts: { [K]: { available: true, value: fresh } },
    expect: { status: 'changed', scriptMatches: [/mysqldump/] },
  },
  {
    name: 'apply on a host without MariaDB fails with the reason',
    args,
    facts: { [K]: { available: false, reason: 'the mysql client is not installed' } },
    expect: { status: 'error', error: /not installed/ },
  },
];

describe('modules/mysql_replication', () => {
  runTable(mysqlReplication, cases);
  describe("gtidPrefixProblems (is the local history a prefix of the primary's?)", () => {
    const table: [string, string, string, number][] = [
      ['no history is a prefix of anything', '', '0-1-5', 0],
      ['same state', '0-1-100', '0-1-100', 0],
      ['the primary went on (its own writes after promotion)', '0-1-100', '0-1-100,0-2-180', 0],
      ['older epochs of another server behind the primary', '0-2-40,0-1-100', '0-2-180,0-1-100', 0],
      ['one transaction past the primary (unacknowledged at the crash)', '0-1-101', '0-1-100,0-2-180', 1],
      ['written locally under its own server_id after the primary moved', '0-1-100,0-3-7', '0-1-100,0-2-180', 1],
      ['what the primary applied from its seed dump counts (its gtid_slave_pos joined)', '0-1-2', '0-2-3,0-1-2', 0],
      ['the highest of a repeated (domain, server) counts', '0-1-9', '0-1-2,0-1-9', 0],
      ['another domain the primary never saw', '0-1-100,1-1-3', '0-1-100', 1],
    ];
    for (const [name, local, primary, n] of table)
      it(name, () => {
        expect(gtidPrefixProblems(local, primary)).to.have.length(n);
      });
  });
  runSchemaTable(mysqlReplication, [
    { name: 'minimal', args: { primary_host: 'db1', user: 'r', password: 'x' }, valid: true },
    { name: 'password required', args: { primary_host: 'db1', user: 'r' }, valid: false },
    { name: 'host must not be shell or SQL', args: { primary_host: "db1'; DROP", user: 'r', password: 'x' }, valid: false },
    { name: 'unknown key', args: { primary_host: 'db1', user: 'r', password: 'x', reset: true }, valid: false },
  ]);
  it('marks password as a secret argument', () => expect(mysqlReplication.secretArgs).to.include('password'));
  it('escapes option file values', () => expect(optionValue('a"b\\c d')).to.equal('"a\\"b\\\\c d"'));
});
