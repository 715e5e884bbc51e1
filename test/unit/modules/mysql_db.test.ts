import { expect } from 'chai';
import mysqlDb, { schemaTables, type MysqlDbArgs } from '../../../src/modules/mysql_db.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const K = 'mysql:db:foobar';
const up = (v: object) => ({ available: true, value: { exists: false, tables: [], ...v } });
const down = { available: false, reason: "ERROR 2002 (HY000): Can't connect to local server through socket" };
const SCHEMA = 'CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY);\ncreate table if not exists `tags` (id INT);\n';
const files = { 'app/schema.sql': SCHEMA };

const cases: Case<MysqlDbArgs>[] = [
  {
    name: 'creates a missing database with its schema, SQL on stdin only',
    args: { name: 'foobar', encoding: 'utf8mb4', schema_src: 'app/schema.sql' },
    facts: { [K]: up({}) },
    ctx: { files },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/^mysql --no-defaults --protocol=socket --socket=\/run\/mysqld\/mysqld\.sock --user=root/m],
      scriptNotMatches: [/CREATE/],
      stdin: 'CREATE DATABASE `foobar` CHARACTER SET utf8mb4;\nUSE `foobar`;\n' + SCHEMA + '\n',
      invalidates: [K],
      diff: [{ label: 'mysql database foobar', before: 'absent\n', after: 'present charset=utf8mb4\ntables: items, tags\n' }],
    },
  },
  {
    name: 'ok when the database and every schema table exist',
    args: { name: 'foobar', encoding: 'utf8mb4', schema_src: 'app/schema.sql' },
    facts: { [K]: up({ exists: true, charset: 'utf8mb4', collation: 'utf8mb4_general_ci', tables: ['items', 'other', 'tags'] }) },
    ctx: { files },
    expect: { status: 'ok' },
  },
  {
    name: 'reapplies the schema when a table is missing',
    args: { name: 'foobar', schema_src: 'app/schema.sql' },
    facts: { [K]: up({ exists: true, charset: 'latin1', tables: ['items'] }) },
    ctx: { files },
    expect: { status: 'changed', stdin: 'USE `foobar`;\n' + SCHEMA + '\n' },
  },
  {
    name: 'alters a database whose charset drifted',
    args: { name: 'foobar', encoding: 'utf8mb4' },
    facts: { [K]: up({ exists: true, charset: 'latin1', collation: 'latin1_swedish_ci' }) },
    expect: { status: 'changed', stdin: 'ALTER DATABASE `foobar` CHARACTER SET utf8mb4;\n' },
  },
  {
    name: 'drops a database that must be absent',
    args: { name: 'foobar', state: 'absent' },
    facts: { [K]: up({ exists: true, charset: 'latin1' }) },
    expect: { status: 'changed', stdin: 'DROP DATABASE `foobar`;\n' },
  },
  { name: 'absent and gone is ok', args: { name: 'foobar', state: 'absent' }, facts: { [K]: up({}) }, expect: { status: 'ok' } },
  {
    name: 'fails when the server is unavailable and nothing explains it',
    args: { name: 'foobar' },
    facts: { [K]: down },
    expect: { status: 'error', error: /MariaDB is not available: ERROR 2002[\s\S]*hint: install and start mariadb-server/ },
  },
  {
    name: 'check mode on a fresh host: would create, not fail',
    args: { name: 'foobar' },
    facts: { [K]: down },
    ctx: { mayChange: () => true },
    expect: { status: 'changed', stdin: 'CREATE DATABASE IF NOT EXISTS `foobar`;\n' },
  },
  {
    name: 'an earlier unapplied install explains the missing server',
    args: { name: 'foobar' },
    facts: { [K]: down },
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
  {
    name: 'quotes identifiers',
    args: { name: 'we`ird' },
    facts: { 'mysql:db:we`ird': up({}) },
    expect: { status: 'changed', stdin: 'CREATE DATABASE `we``ird`;\n' },
  },
  {
    name: 'refuses a schema that is not idempotent',
    args: { name: 'foobar', schema_src: 'bad.sql' },
    facts: { [K]: up({}) },
    ctx: { files: { 'bad.sql': 'CREATE TABLE items (id INT);' } },
    expect: { status: 'error', error: /CREATE TABLE items must say IF NOT EXISTS/ },
  },
];

describe('modules/mysql_db', () => {
  runTable(mysqlDb, cases);
  runSchemaTable(mysqlDb, [
    { name: 'name only', args: { name: 'foobar' }, valid: true },
    { name: 'unknown key', args: { name: 'foobar', owner: 'x' }, valid: false, message: /owner/ },
    { name: 'charset must be a word', args: { name: 'foobar', encoding: 'utf8; DROP' }, valid: false },
    { name: 'state enum', args: { name: 'foobar', state: 'gone' }, valid: false },
  ]);
  it('finds the tables a schema creates', () => {
    expect(schemaTables(SCHEMA)).to.deep.equal(['items', 'tags']);
  });
});
