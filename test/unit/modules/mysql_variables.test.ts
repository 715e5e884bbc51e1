import { expect } from 'chai';
import mysqlVariables, { canonicalValue, sqlValue, type MysqlVariablesArgs } from '../../../src/modules/mysql_variables.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const v = (value: string, dynamic = true, type = 'BOOLEAN') => ({ available: true, value: { exists: true, value, dynamic, type } });
const down = { available: false, reason: "ERROR 2002 (HY000): Can't connect to local server through socket" };
const K = (name: string) => `mysql:variable:${name}`;

const cases: Case<MysqlVariablesArgs>[] = [
  {
    name: 'a writable replica (SET GLOBAL read_only = 0) -> SET GLOBAL, SQL on stdin, read_only=OFF -> read_only=ON',
    args: { variable: 'read_only', value: 'ON' },
    facts: { [K('read_only')]: v('OFF') },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/^mysql --no-defaults --protocol=socket --socket=\/run\/mysqld\/mysqld\.sock --user=root/m],
      scriptNotMatches: [/SET GLOBAL/],
      stdin: 'SET GLOBAL read_only = ON;\n',
      invalidates: [K('read_only')],
      diff: [{ label: 'mysql variables', before: 'read_only=OFF\n', after: 'read_only=ON\n' }],
    },
  },
  {
    name: 'same value -> ok',
    args: { variable: 'read_only', value: 'ON' },
    facts: { [K('read_only')]: v('ON') },
    expect: { status: 'ok', result: { value: 'ON', dynamic: true } },
  },
  {
    name: 'booleans: 1, yes, true and YAML true are ON',
    args: { variable: 'gtid_strict_mode', value: true },
    facts: { [K('gtid_strict_mode')]: v('ON') },
    expect: { status: 'ok' },
  },
  { name: 'booleans: 0 is OFF', args: { variable: 'read_only', value: 0 }, facts: { [K('read_only')]: v('OFF') }, expect: { status: 'ok' } },
  {
    name: 'a name in capitals is the same variable',
    args: { variable: 'READ_ONLY', value: 'on' },
    facts: { [K('read_only')]: v('ON') },
    expect: { status: 'ok' },
  },
  {
    name: 'numbers compare as numbers',
    args: { variable: 'server_id', value: 2 },
    facts: { [K('server_id')]: v('2', true, 'BIGINT UNSIGNED') },
    expect: { status: 'ok' },
  },
  {
    name: 'sizes with a unit (1M)',
    args: { variable: 'max_allowed_packet', value: '16M' },
    facts: { [K('max_allowed_packet')]: v('16777216', true, 'BIGINT UNSIGNED') },
    expect: { status: 'ok' },
  },
  {
    name: 'a number drifted -> SET GLOBAL with the bare number',
    args: { variable: 'server_id', value: 2 },
    facts: { [K('server_id')]: v('7', true, 'BIGINT UNSIGNED') },
    expect: { status: 'changed', stdin: 'SET GLOBAL server_id = 2;\n', diff: [{ label: 'mysql variables', before: 'server_id=7\n', after: 'server_id=2\n' }] },
  },
  {
    name: 'enums compare without case',
    args: { variable: 'binlog_format', value: 'row' },
    facts: { [K('binlog_format')]: v('ROW', true, 'ENUM') },
    expect: { status: 'ok' },
  },
  {
    name: 'an enum drifted -> SET GLOBAL with a quoted string',
    args: { variable: 'binlog_format', value: 'ROW' },
    facts: { [K('binlog_format')]: v('MIXED', true, 'ENUM') },
    expect: { status: 'changed', stdin: "SET GLOBAL binlog_format = 'ROW';\n" },
  },
  {
    name: 'not dynamic (log_slave_updates) -> changed, nothing run: the restart it notifies fixes it',
    args: { variable: 'log_slave_updates', value: 'ON' },
    facts: { [K('log_slave_updates')]: v('OFF', false) },
    expect: {
      status: 'changed',
      scriptNotMatches: [/mysql|SET/],
      diff: [{ label: 'mysql variables', before: 'log_slave_updates=OFF\n', after: 'log_slave_updates=ON\n' }],
    },
  },
  {
    name: 'a string value is quoted',
    args: { variable: 'init_connect', value: "SET NAMES 'utf8mb4'" },
    facts: { [K('init_connect')]: v('', true, 'VARCHAR') },
    expect: { status: 'changed', stdin: "SET GLOBAL init_connect = 'SET NAMES \\'utf8mb4\\'';\n" },
  },
  {
    name: 'no value: reads it, changes nothing (result for register)',
    args: { variable: 'read_only' },
    facts: { [K('read_only')]: v('ON') },
    expect: { status: 'ok', result: { value: 'ON' } },
  },
  {
    name: 'unknown variable -> error',
    args: { variable: 'super_read_only', value: 'ON' },
    facts: { [K('super_read_only')]: { available: true, value: { exists: false, value: '', dynamic: false, type: '' } } },
    expect: { status: 'error', error: /no variable super_read_only/ },
  },
  {
    name: 'server down -> error naming the reason',
    args: { variable: 'read_only', value: 'ON' },
    facts: { [K('read_only')]: down },
    expect: { status: 'error', error: /MariaDB is not available: ERROR 2002/ },
  },
  {
    name: 'server not running yet in check mode -> would set',
    args: { variable: 'read_only', value: 'ON' },
    facts: { [K('read_only')]: down },
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
  {
    name: 'mode persist -> error (MariaDB has no SET PERSIST)',
    args: { variable: 'read_only', value: 'ON', mode: 'persist' },
    facts: { [K('read_only')]: v('ON') },
    expect: { status: 'error', error: /SET PERSIST/ },
  },
  {
    name: 'another socket',
    args: { variable: 'read_only', value: 'ON', login_unix_socket: '/run/other.sock' },
    facts: { [K('read_only')]: v('OFF') },
    expect: { status: 'changed', scriptMatches: [/--socket=\/run\/other\.sock/] },
  },
];

describe('modules/mysql_variables', () => {
  runTable(mysqlVariables, cases);
  runSchemaTable(mysqlVariables, [
    { name: 'variable and value', args: { variable: 'read_only', value: 'ON' }, valid: true },
    { name: 'numeric value', args: { variable: 'server_id', value: 2, mode: 'global' }, valid: true },
    { name: 'variable is required', args: { value: 'ON' }, valid: false, message: /variable/ },
    { name: 'a name is a word (no SQL)', args: { variable: 'read_only = 0; DROP', value: 'ON' }, valid: false, message: /server variable name/ },
    { name: 'mode enum', args: { variable: 'read_only', value: 'ON', mode: 'session' }, valid: false },
    {
      name: 'unknown key (no password argument: root over the socket)',
      args: { variable: 'read_only', login_password: 'x' },
      valid: false,
      message: /login_password/,
    },
  ]);
  const canon: [string, string, string][] = [
    ['yes', 'BOOLEAN', 'ON'],
    ['0', 'BOOLEAN', 'OFF'],
    ['1K', 'INT UNSIGNED', '1024'],
    ['row', 'ENUM', 'ROW'],
    ['/var/lib/mysql/X', 'VARCHAR', '/var/lib/mysql/X'],
  ];
  for (const [value, type, want] of canon) it(`canonical ${type} ${value} -> ${want}`, () => expect(canonicalValue(value, type)).to.equal(want));
  it('SQL values: keywords and numbers bare, strings quoted', () => {
    expect(sqlValue('on', 'BOOLEAN')).to.equal('ON');
    expect(sqlValue('2', 'BIGINT UNSIGNED')).to.equal('2');
    expect(sqlValue('ROW', 'ENUM')).to.equal("'ROW'");
  });
});
