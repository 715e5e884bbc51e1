import { expect } from 'chai';
import { sqlLiteral } from '../../../src/facts/mysql.js';
import mysqlQuery, { bindQuery, type MysqlQueryArgs, optionFile, parseXmlResultSets, queryResults, readFact } from '../../../src/modules/mysql_query.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const RC = 'SELECT ROW_COUNT() AS `plumb_rowcount`, @@warning_count AS `plumb_warnings`;';

const READ: MysqlQueryArgs = { query: ['SELECT * FROM t WHERE id = %(id)s;', 'SHOW TABLES'], named_args: { id: 3 } };

const cases: Case<MysqlQueryArgs>[] = [
  {
    name: 'a write: options then SQL on stdin, root over the socket, nothing on the command line',
    args: { query: 'INSERT INTO t (name) VALUES (%s)', positional_args: ["O'Brien"], login_db: 'app' },
    facts: {},
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/mysql --defaults-file="\$f" --xml --unbuffered/, /umask 077 && mktemp/, /trap 'rm -f "\$f"' EXIT/],
      scriptNotMatches: [/INSERT|Brien|root/],
      stdin: `[client]\nuser="root"\nsocket="/run/mysqld/mysqld.sock"\nprotocol=socket\nconnect-timeout=30\ndefault-character-set=utf8mb4\n@@plumb-end-of-options@@\nUSE \`app\`;\nINSERT INTO t (name) VALUES ('O''Brien');\n${RC}\n`,
      invalidates: ['mysql:*'],
      result: { executed_queries: ["INSERT INTO t (name) VALUES ('O''Brien')"] },
    },
  },
  {
    name: 'reads only, and the batch could not read them: a read-only change in a read-only transaction',
    args: READ,
    facts: { [readFact(READ)!.key]: { ok: false } },
    expect: {
      status: 'changed',
      stdin: /@@plumb-end-of-options@@\nSTART TRANSACTION READ ONLY;\nSELECT \* FROM t WHERE id = 3;\n.*\nSHOW TABLES;\n.*\nROLLBACK;\n$/,
    },
  },
  {
    name: 'reads only, read in the batch: ok with their rows, no exec of its own',
    args: READ,
    facts: { [readFact(READ)!.key]: { ok: true, query_result: [[{ id: '3' }], []], rowcount: [1, 0], executed_queries: ['q1', 'q2'], changed: false } },
    expect: { status: 'ok', result: { query_result: [[{ id: '3' }], []], rowcount: [1, 0] } },
  },
  {
    name: 'single_transaction wraps the statements',
    args: { query: ['DELETE FROM t', 'INSERT INTO t VALUES (1)'], single_transaction: true },
    facts: {},
    expect: { status: 'changed', stdin: /\nSTART TRANSACTION;\nDELETE FROM t;\n.*\nINSERT INTO t VALUES \(1\);\n.*\nCOMMIT;\n$/ },
  },
  {
    name: 'login over TCP with a password: in the option file only',
    args: { query: 'SELECT 1', login_user: 'app', login_password: 'p"a\\ss#1', login_host: '10.0.0.5', login_port: 3307 },
    facts: {},
    expect: {
      status: 'changed',
      scriptNotMatches: [/ss#1/],
      stdin: /^\[client\]\nuser="app"\npassword="p\\"a\\\\ss#1"\nhost="10\.0\.0\.5"\nport=3307\nprotocol=tcp\n/,
    },
  },
  {
    name: 'SELECT ... INTO OUTFILE writes a file: not a read',
    args: { query: "SELECT * FROM t INTO OUTFILE '/tmp/x'" },
    facts: {},
    expect: { status: 'changed', stdin: /@@plumb-end-of-options@@\nSELECT \* FROM t INTO OUTFILE '\/tmp\/x';\n/ },
  },
  {
    name: 'too few positional_args',
    args: { query: 'SELECT %s, %s', positional_args: [1] },
    facts: {},
    expect: { status: 'error', error: /more %s than the 1 positional_args/ },
  },
  {
    name: 'unused positional_args',
    args: { query: 'SELECT %s', positional_args: [1, 2] },
    facts: {},
    expect: { status: 'error', error: /uses 1 of the 2 positional_args/ },
  },
  {
    name: 'unknown named arg',
    args: { query: 'SELECT %(x)s', named_args: { y: 1 } },
    facts: {},
    expect: { status: 'error', error: /named_args has no 'x'[\s\S]*hint: named_args has: y/ },
  },
  {
    name: 'a stray % with arguments',
    args: { query: "SELECT %s LIKE 'a%'", positional_args: ['a'] },
    facts: {},
    expect: { status: 'error', error: /only %s, %\(name\)s and %% are placeholders/ },
  },
];

describe('mysql_query module', () => {
  runTable(mysqlQuery, cases);
  runSchemaTable(mysqlQuery, [
    { name: 'a string query', args: { query: 'SELECT 1' }, valid: true },
    { name: 'a list of queries', args: { query: ['SELECT 1', 'SELECT 2'] }, valid: true },
    { name: 'query is required', args: { login_db: 'x' }, valid: false },
    { name: 'query is not a number', args: { query: 5 }, valid: false, message: /an SQL statement or a list/ },
    { name: 'positional and named are exclusive', args: { query: 'SELECT %s', positional_args: [1], named_args: { a: 1 } }, valid: false },
    { name: 'an argument is not an object', args: { query: 'SELECT %s', positional_args: [{ a: 1 }] }, valid: false },
    { name: 'unknown key', args: { query: 'SELECT 1', config_file: '/root/.my.cnf' }, valid: false, message: /config_file/ },
    { name: 'port range', args: { query: 'SELECT 1', login_port: 70000 }, valid: false },
  ]);

  describe('sqlLiteral: every bound value is one literal, whatever sql_mode', () => {
    const table: [unknown, string][] = [
      ['plain', "'plain'"],
      ["O'Brien", "'O''Brien'"],
      ["'; DROP TABLE t; --", "'''; DROP TABLE t; --'"],
      ['', "''"],
      // Backslashes and control characters: hex, so neither escaping rule can reinterpret them.
      ['a\\', "_utf8mb4 X'615C'"],
      ["\\'", "_utf8mb4 X'5C27'"],
      ['nul\0byte', "_utf8mb4 X'6E756C0062797465'"],
      ['two\nlines', "_utf8mb4 X'74776F0A6C696E6573'"],
      ['ctrl-z\x1a', "_utf8mb4 X'6374726C2D7A1A'"],
      ['émoji 🐬', "'émoji 🐬'"],
      ['é\\🐬', "_utf8mb4 X'C3A95CF09F90AC'"],
      [42, '42'],
      [-1.5, '-1.5'],
      [true, '1'],
      [false, '0'],
      [null, 'NULL'],
    ];
    for (const [v, want] of table) it(`${JSON.stringify(v)} -> ${want}`, () => expect(sqlLiteral(v)).to.equal(want));
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, { a: 1 }, [1], undefined])
      it(`refuses ${String(bad)}`, () => expect(() => sqlLiteral(bad)).to.throw(/cannot bind/));
  });

  it('binds %s, %(name)s and %% as the Python driver does; no arguments leaves % alone', () => {
    expect(bindQuery('SELECT %s, %s, 100%%', ["it's", 2])).to.equal("SELECT 'it''s', 2, 100%");
    expect(bindQuery('SELECT %(a)s + %(a)s', undefined, { a: 1 })).to.equal('SELECT 1 + 1');
    expect(bindQuery("SELECT 'a%' LIKE 'a%%'")).to.equal("SELECT 'a%' LIKE 'a%%'");
  });

  it('the option file escapes quotes, backslashes and newlines', () => {
    expect(optionFile({ query: 'x', login_password: 'a"b\\c\nd' })).to.include('password="a\\"b\\\\c\\nd"\n');
  });

  const XML = `<?xml version="1.0"?>

<resultset statement="SELECT id, name FROM t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <row>
	<field name="id">1</field>
	<field name="name">O'Brien &amp; &lt;co&gt;</field>
  </row>
  <row>
	<field name="id">2</field>
	<field name="name" xsi:nil="true" />
  </row>
</resultset>
<?xml version="1.0"?>

<resultset statement="SELECT ROW_COUNT() ..." xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <row>
	<field name="plumb_rowcount">-1</field>
	<field name="plumb_warnings">0</field>
  </row>
</resultset>
`;
  const rc = (n: number, w = 0) =>
    `<resultset statement="x"><row><field name="plumb_rowcount">${n}</field><field name="plumb_warnings">${w}</field></row></resultset>\n`;

  it('parses --xml result sets: NULL, entities, row order', () => {
    expect(parseXmlResultSets(XML)[0]).to.deep.equal([
      { id: '1', name: "O'Brien & <co>" },
      { id: '2', name: null },
    ]);
  });

  const results: [string, string, string[], object][] = [
    ['a SELECT: rows, rowcount = rows returned, not changed', XML, ['SELECT id, name FROM t'], { rowcount: [2], changed: false }],
    ['an INSERT of one row is changed', rc(1), ['INSERT INTO t VALUES (1)'], { query_result: [[]], rowcount: [1], changed: true }],
    ['an UPDATE of no row is not changed', rc(0), ['UPDATE t SET a = 1 WHERE 0'], { rowcount: [0], changed: false }],
    ['CREATE TABLE is changed', rc(0), ['CREATE TABLE t (a INT)'], { changed: true }],
    ['CREATE TABLE IF NOT EXISTS with an "already exists" note is not', rc(0, 1), ['CREATE TABLE IF NOT EXISTS t (a INT)'], { changed: false }],
    [
      'a failed second statement: only the first counted as executed',
      rc(1),
      ['INSERT INTO t VALUES (1)', 'INSERT INTO nope VALUES (1)'],
      { executed_queries: ['INSERT INTO t VALUES (1)'], rowcount: [1] },
    ],
  ];
  for (const [name, xml, queries, want] of results) it(name, () => expect(queryResults(xml, queries)).to.deep.include(want));
});

describe('mysql_query: the batched read (facts/live.ts)', () => {
  it('reads with no password are a live fact: statements on stdin of mysql through the printf builtin, no option file', () => {
    const f = readFact(READ)!;
    expect(f.key).to.match(/^live:mysql_query:/);
    expect(f.probe.text).to.match(/^printf '%s' '.*START TRANSACTION READ ONLY;/s);
    expect(f.probe.text).to.match(/\| mysql --no-defaults --user=root --socket=\/run\/mysqld\/mysqld\.sock --protocol=socket/);
    expect(f.parse('', 1)).to.deep.equal({ ok: false });
  });
  for (const [name, args] of [
    ['a password', { query: 'SELECT 1', login_password: 'pw' }],
    ['a write', { query: 'DELETE FROM t' }],
    ['INTO OUTFILE', { query: "SELECT 1 INTO OUTFILE '/tmp/x'" }],
  ] as const)
    it(`no batched read with ${name}`, () => expect(readFact(args as MysqlQueryArgs)).to.equal(undefined));
});
