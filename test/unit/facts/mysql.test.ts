import { expect } from 'chai';
import {
  batchRows,
  canonicalTarget,
  mysqlDatabaseFact,
  mysqlUserFact,
  mysqlVariableFact,
  nativePasswordHash,
  parseGrants,
  sqlAccount,
  sqlIdent,
  sqlString,
} from '../../../src/facts/mysql.js';
import { mysqlReplicationFact } from '../../../src/facts/mysql_replication.js';
import { parseBatch, slots } from '../../../src/facts/batch.js';
import type { Fact } from '../../../src/facts/types.js';

describe('facts/mysql', () => {
  describe('probe output parsing', () => {
    const cases: { name: string; fact: { parse(out: string, code: number): unknown }; out: string; code?: number; want: unknown }[] = [
      {
        name: 'database present with tables',
        fact: mysqlDatabaseFact('foobar'),
        out: 'ok\ndb\tfoobar\tutf8mb4\tutf8mb4_general_ci\ntable\titems\ntable\tcarts\n',
        want: { available: true, value: { exists: true, charset: 'utf8mb4', collation: 'utf8mb4_general_ci', tables: ['carts', 'items'] } },
      },
      { name: 'database absent', fact: mysqlDatabaseFact('foobar'), out: 'ok\n\n', want: { available: true, value: { exists: false, tables: [] } } },
      {
        name: 'server down',
        fact: mysqlDatabaseFact('foobar'),
        out: "unavailable\nERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)\n",
        want: { available: false, reason: "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)" },
      },
      {
        name: 'query error after connecting',
        fact: mysqlDatabaseFact('foobar'),
        out: 'ok\nERROR 1142 (42000): SELECT command denied\n',
        code: 1,
        want: { available: false, reason: 'query failed: ERROR 1142 (42000): SELECT command denied' },
      },
      { name: 'user absent', fact: mysqlUserFact('app', 'localhost'), out: 'ok\nabsent\n', want: { available: true, value: { exists: false } } },
      {
        name: 'user present with grants (hash in SHOW GRANTS ignored)',
        fact: mysqlUserFact('repl', '10.0.0.3'),
        out:
          'ok\npresent\tmysql_native_password\t*ABC\n' +
          "GRANT RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `repl`@`10.0.0.3` IDENTIFIED BY PASSWORD '*ABC'\n" +
          'GRANT SELECT, LOCK TABLES ON `foobar`.* TO `repl`@`10.0.0.3`\n',
        want: {
          available: true,
          value: {
            exists: true,
            plugin: 'mysql_native_password',
            authString: '*ABC',
            privs: { '*.*': ['BINLOG MONITOR', 'RELOAD', 'REPLICATION SLAVE'], 'foobar.*': ['LOCK TABLES', 'SELECT'] },
          },
        },
      },
      // Server variables: the running server's value (issue 17), and whether SET GLOBAL can change it.
      {
        name: 'variable, dynamic',
        fact: mysqlVariableFact('read_only'),
        out: 'ok\nREAD_ONLY\tOFF\tNO\tBOOLEAN\n',
        want: { available: true, value: { exists: true, value: 'OFF', dynamic: true, type: 'BOOLEAN' } },
      },
      {
        name: 'variable read only at start',
        fact: mysqlVariableFact('log_bin'),
        out: 'ok\nLOG_BIN\tON\tYES\tBOOLEAN\n',
        want: { available: true, value: { exists: true, value: 'ON', dynamic: false, type: 'BOOLEAN' } },
      },
      {
        name: 'variable with a NULL global value',
        fact: mysqlVariableFact('init_connect'),
        out: 'ok\nINIT_CONNECT\tNULL\tNO\tVARCHAR\n',
        want: { available: true, value: { exists: true, value: '', dynamic: true, type: 'VARCHAR' } },
      },
      {
        name: 'variable this server does not have (super_read_only on MariaDB)',
        fact: mysqlVariableFact('super_read_only'),
        out: 'ok\n\n',
        want: { available: true, value: { exists: false, value: '', dynamic: false, type: '' } },
      },
    ];
    for (const c of cases) it(c.name, () => expect(c.fact.parse(c.out, c.code ?? 0)).to.deep.equal(c.want));
  });

  it('parses SHOW SLAVE STATUS by column name', () => {
    const header = [
      'Slave_IO_State',
      'Master_Host',
      'Master_User',
      'Master_Port',
      'Connect_Retry',
      'Slave_IO_Running',
      'Slave_SQL_Running',
      'Last_IO_Errno',
      'Last_IO_Error',
      'Last_SQL_Errno',
      'Last_SQL_Error',
      'Seconds_Behind_Master',
      'Using_Gtid',
    ];
    const row = ['Waiting for master to send event', '10.9.0.2', 'repl', '3306', '60', 'Yes', 'Yes', '0', '', '0', '', '0', 'Slave_Pos'];
    const out = `ok\nvars\t0-1-42\t0-1-42\t1\t2\t/var/lib/mysql/\t0-1-42\npw\tabc123\n${header.join('\t')}\n${row.join('\t')}\n`;
    expect(mysqlReplicationFact().parse(out, 0)).to.deep.equal({
      available: true,
      value: {
        configured: true,
        primaryHost: '10.9.0.2',
        primaryPort: 3306,
        user: 'repl',
        ioRunning: 'Yes',
        sqlRunning: 'Yes',
        usingGtid: 'Slave_Pos',
        connectRetry: 60,
        lastIoErrno: 0,
        lastIoError: '',
        lastSqlErrno: 0,
        lastSqlError: '',
        secondsBehind: 0,
        gtidSlavePos: '0-1-42',
        gtidBinlogPos: '0-1-42',
        gtidBinlogState: '0-1-42',
        readOnly: true,
        serverId: 2,
        passwordSha256: 'abc123',
      },
    });
  });

  it('a server that never replicated is not configured', () => {
    const st = mysqlReplicationFact().parse('ok\nvars\t\t\t0\t1\t/var/lib/mysql/\npw\t\n\n', 0) as {
      value: { configured: boolean; secondsBehind: unknown; ioRunning: string };
    };
    expect(st.value).to.include({ configured: false, secondsBehind: null, ioRunning: 'No' });
  });

  it('probes are read-only and put no SQL value unquoted', () => {
    const probe = mysqlUserFact("o'neil", 'localhost').probe.text;
    expect(probe).to.include('--no-defaults');
    expect(probe).not.to.match(/\b(CREATE|GRANT|ALTER|DROP|INSERT|SET)\b(?![^']*')/);
    expect(mysqlReplicationFact().probe.text).to.include('SHOW SLAVE STATUS');
  });

  it('quotes SQL strings, identifiers and accounts', () => {
    expect(sqlString("a'b\\c")).to.equal("'a\\'b\\\\c'");
    expect(sqlIdent('a`b')).to.equal('`a``b`');
    expect(sqlAccount('u', '10.0.0.%')).to.equal("'u'@'10.0.0.%'");
    expect(canonicalTarget('`we``ird`.*')).to.equal('we`ird.*');
    expect(batchRows('a\\tb\tc\\\\d\n')).to.deep.equal([['a\tb', 'c\\d']]);
  });

  it('computes the mysql_native_password hash like PASSWORD()', () => {
    // SELECT PASSWORD('pa''ss\\w') on MariaDB 10.11
    expect(nativePasswordHash("pa'ss\\w")).to.equal('*B48836D83F356BCC794A9FFE2A5D39EA7AE1CE40');
  });

  it('drops USAGE and PROXY, keeps WITH GRANT OPTION', () => {
    expect(
      parseGrants([
        'GRANT USAGE ON *.* TO `a`@`%`',
        "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
        'GRANT ALL PRIVILEGES ON `x`.* TO `a`@`%` WITH GRANT OPTION',
      ]),
    ).to.deep.equal({ 'x.*': ['ALL PRIVILEGES', 'GRANT'] });
  });

  describe('merged: every database and account probe in one client start', () => {
    const facts = [
      mysqlDatabaseFact('foobar'),
      mysqlUserFact('foobar', 'localhost'),
      mysqlUserFact('nosuch', 'x'),
      mysqlVariableFact('read_only'),
    ] as Fact<unknown>[];
    // What the client printed on a stack primary (recorded on the lab), framed as the batch frames it.
    const frame = (body: string): string => `@@plumb:n:0:begin\n${body}\n@@plumb:n:0:end:0\n`;
    const parse = (body: string): unknown[] => parseBatch(frame(body), facts, 'n').map((r, i) => facts[i]!.parse(r.out, r.code));

    it('one slot, one client start, statements on stdin (not argv) with --force', () => {
      const ss = slots(facts);
      expect(ss).to.have.length(1);
      const text = ss[0]!.probe.text;
      expect(text.match(/mysql --no-defaults/g)).to.have.length(1);
      expect(text).to.match(/\| mysql .*--force --unbuffered/);
      expect(slots([mysqlDatabaseFact('a'), mysqlDatabaseFact('b', { login_unix_socket: '/run/other.sock' })])).to.have.length(2);
    });
    it('splits rows, an absent account (its SHOW GRANTS error is expected) and grants', () => {
      const body = [
        '@@plumb-mysql:0',
        'db\tfoobar\tutf8mb4\tutf8mb4_unicode_ci',
        'table\titems\t\t',
        '@@plumb-mysql:1',
        'mysql_native_password\t*FC03',
        '@@plumb-mysql:1g',
        "GRANT USAGE ON *.* TO `foobar`@`localhost` IDENTIFIED BY PASSWORD '*FC03'",
        'GRANT SELECT, INSERT ON `foobar`.* TO `foobar`@`localhost`',
        '@@plumb-mysql:2',
        '@@plumb-mysql:2g',
        "ERROR 1141 (42000) at line 1: There is no such grant defined for user 'nosuch' on host 'x'",
        '@@plumb-mysql:3',
        'READ_ONLY\tON\tNO\tBOOLEAN',
        '@@plumb-mysql:end',
      ].join('\n');
      expect(parse(body)).to.deep.equal([
        { available: true, value: { exists: true, charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci', tables: ['items'] } },
        { available: true, value: { exists: true, plugin: 'mysql_native_password', authString: '*FC03', privs: { 'foobar.*': ['INSERT', 'SELECT'] } } },
        { available: true, value: { exists: false } },
        { available: true, value: { exists: true, value: 'ON', dynamic: true, type: 'BOOLEAN' } },
      ]);
    });
    it("no server: every probe is unavailable with the client's reason", () => {
      const reason = "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)";
      for (const st of parse(reason)) expect(st).to.deep.equal({ available: false, reason });
      for (const st of parse('unavailable\nthe mysql client is not installed'))
        expect(st).to.deep.equal({ available: false, reason: 'the mysql client is not installed' });
    });
    it('a failing statement fails only its own probe', () => {
      const body = [
        '@@plumb-mysql:0',
        'ERROR 1044 (42000) at line 1: Access denied',
        '@@plumb-mysql:1',
        '@@plumb-mysql:1g',
        'x',
        '@@plumb-mysql:2',
        '@@plumb-mysql:2g',
        '@@plumb-mysql:end',
      ].join('\n');
      const [db, user1, user2] = parse(body);
      expect(db).to.deep.equal({ available: false, reason: 'query failed: ERROR 1044 (42000) at line 1: Access denied' });
      expect(user1).to.deep.equal({ available: true, value: { exists: false } });
      expect(user2).to.deep.equal({ available: true, value: { exists: false } });
    });
  });
});
