import { expect } from 'chai';
import mysqlUser, { parsePrivArg, privStatements, type MysqlUserArgs } from '../../../src/modules/mysql_user.js';
import { nativePasswordHash } from '../../../src/facts/mysql.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const PW = "s3cr'et\\x";
const HASH = nativePasswordHash(PW);
const K = 'mysql:user:repl@10.0.0.3';
const up = (value: object) => ({ available: true, value });
const REPL_PRIV = '*.*:REPLICATION SLAVE,RELOAD,REPLICATION CLIENT/foobar.*:SELECT,LOCK TABLES';
const REPL_HAVE = { '*.*': ['BINLOG MONITOR', 'RELOAD', 'REPLICATION SLAVE'], 'foobar.*': ['LOCK TABLES', 'SELECT'] };
const base: MysqlUserArgs = { name: 'repl', host: '10.0.0.3', password: PW, priv: REPL_PRIV, sql_log_bin: false };

const cases: Case<MysqlUserArgs>[] = [
  {
    name: 'creates a missing user; password only in SQL on stdin, binlog off first',
    args: base,
    facts: { [K]: up({ exists: false }) },
    expect: {
      status: 'changed',
      scriptNotMatches: [/s3cr/, /IDENTIFIED/],
      stdin:
        "SET SESSION sql_log_bin = 0;\nCREATE USER 'repl'@'10.0.0.3' IDENTIFIED BY 's3cr\\'et\\\\x';\n" +
        "GRANT BINLOG MONITOR, RELOAD, REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.3';\n" +
        "GRANT LOCK TABLES, SELECT ON `foobar`.* TO 'repl'@'10.0.0.3';\n",
      invalidates: [K],
      diff: [
        {
          label: 'mysql user repl@10.0.0.3',
          before: 'absent\n',
          after: 'present (password set)\nprivileges:\n  *.*: BINLOG MONITOR, RELOAD, REPLICATION SLAVE\n  foobar.*: LOCK TABLES, SELECT\n',
        },
      ],
    },
  },
  {
    name: 'ok when hash and privileges match (aliases normalised)',
    args: base,
    facts: { [K]: up({ exists: true, plugin: 'mysql_native_password', authString: HASH, privs: REPL_HAVE }) },
    expect: { status: 'ok' },
  },
  {
    name: 'changes a drifted password without showing it or its hash',
    args: base,
    facts: { [K]: up({ exists: true, plugin: 'mysql_native_password', authString: '*0000', privs: REPL_HAVE }) },
    expect: {
      status: 'changed',
      stdin: "SET SESSION sql_log_bin = 0;\nALTER USER 'repl'@'10.0.0.3' IDENTIFIED BY 's3cr\\'et\\\\x';\n",
      diff: [{ label: 'mysql user repl@10.0.0.3 (password)', before: 'password: (current)\n', after: 'password: (new)\n' }],
    },
  },
  {
    name: 'update_password on_create leaves an existing password alone',
    args: { ...base, update_password: 'on_create' },
    facts: { [K]: up({ exists: true, plugin: 'unix_socket', authString: '', privs: REPL_HAVE }) },
    expect: { status: 'ok' },
  },
  {
    name: 'revokes extra privileges and whole extra targets, grants missing ones',
    args: { name: 'repl', host: '10.0.0.3', priv: 'foobar.*:SELECT,INSERT' },
    facts: {
      [K]: up({ exists: true, plugin: 'mysql_native_password', authString: HASH, privs: { 'foobar.*': ['DELETE', 'SELECT'], 'x.*': ['ALL PRIVILEGES'] } }),
    },
    expect: {
      status: 'changed',
      stdin:
        "REVOKE DELETE ON `foobar`.* FROM 'repl'@'10.0.0.3';\nGRANT INSERT ON `foobar`.* TO 'repl'@'10.0.0.3';\n" +
        "REVOKE ALL PRIVILEGES ON `x`.* FROM 'repl'@'10.0.0.3';\n",
    },
  },
  {
    name: 'privileges omitted are not managed',
    args: { name: 'repl', host: '10.0.0.3', password: PW },
    facts: { [K]: up({ exists: true, plugin: 'mysql_native_password', authString: HASH, privs: { 'x.*': ['ALL PRIVILEGES'] } }) },
    expect: { status: 'ok' },
  },
  {
    name: 'drops a user that must be absent',
    args: { name: 'repl', host: '10.0.0.3', state: 'absent' },
    facts: { [K]: up({ exists: true, plugin: 'mysql_native_password', authString: HASH, privs: {} }) },
    expect: { status: 'changed', stdin: "DROP USER 'repl'@'10.0.0.3';\n" },
  },
  { name: 'absent and gone is ok', args: { name: 'repl', host: '10.0.0.3', state: 'absent' }, facts: { [K]: up({ exists: false }) }, expect: { status: 'ok' } },
  {
    name: 'host defaults to localhost',
    args: { name: 'app', priv: { 'foobar.*': ['SELECT'] } },
    facts: { 'mysql:user:app@localhost': up({ exists: false }) },
    expect: { status: 'changed', stdin: "CREATE USER 'app'@'localhost';\nGRANT SELECT ON `foobar`.* TO 'app'@'localhost';\n" },
  },
  {
    name: 'fails on an unavailable server outside check mode',
    args: base,
    facts: { [K]: { available: false, reason: 'the mysql client is not installed' } },
    expect: { status: 'error', error: /not available: the mysql client is not installed/ },
  },
  {
    name: 'check mode on a fresh host would create',
    args: base,
    facts: { [K]: { available: false, reason: 'the mysql client is not installed' } },
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
  {
    name: 'rejects a malformed priv string',
    args: { name: 'x', priv: 'foobar.*' },
    facts: { 'mysql:user:x@localhost': up({ exists: false }) },
    expect: { status: 'error', error: /target:PRIV/ },
  },
  {
    name: 'rejects privilege names that are not words (they go into SQL unquoted)',
    args: { name: 'x', priv: 'foobar.*:SELECT; DROP' },
    facts: { 'mysql:user:x@localhost': up({ exists: false }) },
    expect: { status: 'error', error: /not a privilege name/ },
  },
];

describe('modules/mysql_user', () => {
  runTable(mysqlUser, cases);
  runSchemaTable(mysqlUser, [
    { name: 'full', args: base, valid: true },
    { name: 'priv map', args: { name: 'a', priv: { 'a.*': ['SELECT'], 'b.*': 'ALL' } }, valid: true },
    { name: 'password with a newline', args: { name: 'a', password: 'x\ny' }, valid: false },
    { name: 'unknown key', args: { name: 'a', grants: 'x' }, valid: false, message: /grants/ },
  ]);
  it('marks password as a secret argument', () => expect(mysqlUser.secretArgs).to.include('password'));

  describe('privStatements', () => {
    const A = "'u'@'h'";
    const table: { name: string; have: Record<string, string[]>; want: Record<string, string[]>; sql: string[] }[] = [
      { name: 'same is nothing', have: { 'a.*': ['SELECT'] }, want: { 'a.*': ['SELECT'] }, sql: [] },
      {
        name: 'ALL to specific',
        have: { 'a.*': ['ALL PRIVILEGES'] },
        want: { 'a.*': ['SELECT'] },
        sql: ['REVOKE ALL PRIVILEGES ON `a`.* FROM ' + A, 'GRANT SELECT ON `a`.* TO ' + A],
      },
      { name: 'ALL subsumes listed', have: { 'a.*': ['ALL PRIVILEGES'] }, want: { 'a.*': ['ALL PRIVILEGES', 'SELECT'] }, sql: [] },
      {
        name: 'grant option only',
        have: { 'a.*': ['SELECT'] },
        want: { 'a.*': ['GRANT', 'SELECT'] },
        sql: ['GRANT USAGE ON `a`.* TO ' + A + ' WITH GRANT OPTION'],
      },
      { name: 'drop grant option', have: { 'a.*': ['GRANT', 'SELECT'] }, want: { 'a.*': ['SELECT'] }, sql: ['REVOKE GRANT OPTION ON `a`.* FROM ' + A] },
      { name: 'table target', have: {}, want: { 'a.t': ['SELECT'] }, sql: ['GRANT SELECT ON `a`.`t` TO ' + A] },
    ];
    for (const c of table) it(c.name, () => expect(privStatements(A, c.have, c.want)).to.deep.equal(c.sql));
  });

  it('parses priv strings and maps alike', () => {
    expect(parsePrivArg('*.*:replication client/a.*:all,grant option')).to.deep.equal({ '*.*': ['BINLOG MONITOR'], 'a.*': ['ALL PRIVILEGES', 'GRANT'] });
    expect(parsePrivArg({ 'a.*': 'SELECT, usage' })).to.deep.equal({ 'a.*': ['SELECT'] });
  });
});
