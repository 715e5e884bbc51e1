import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import command, { splitCommand, type CommandArgs } from '../../../src/modules/command.js';
import shell, { type ShellArgs } from '../../../src/modules/shell.js';
import { fakeContext, fakeFacts } from '../helpers.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const commandCases: Case<CommandArgs>[] = [
  {
    name: 'no guard -> would run (changed), never silently skipped in check mode',
    args: { cmd: 'systemctl daemon-reload' },
    facts: {},
    expect: { status: 'changed', scriptMatches: [/^exec systemctl daemon-reload$/m], invalidates: ['*'], result: { cmd: ['systemctl', 'daemon-reload'] } },
  },
  {
    name: 'quoted words stay one argument',
    args: { cmd: `echo 'a b' "c \\"d\\"" e\\ f` },
    facts: {},
    expect: { status: 'changed', scriptMatches: [/^exec echo 'a b' 'c "d"' 'e f'$/m] },
  },
  {
    name: 'argv is quoted word by word',
    args: { argv: ['mysql', '-e', 'SELECT 1; DROP x'] },
    facts: {},
    expect: { status: 'changed', scriptMatches: [/^exec mysql -e 'SELECT 1; DROP x'$/m] },
  },
  {
    name: 'creates exists -> skipped',
    args: { cmd: 'tar xf /tmp/a.tgz', creates: '/opt/a' },
    facts: { 'file:/opt/a#exists': true },
    expect: { status: 'skipped' },
  },
  {
    name: 'creates missing -> runs',
    args: { cmd: 'tar xf /tmp/a.tgz', creates: '/opt/a', chdir: '/opt' },
    facts: { 'file:/opt/a#exists': false },
    expect: { status: 'changed', scriptMatches: [/^cd -- \/opt \|\| exit 125$/m, /exec tar xf \/tmp\/a\.tgz/] },
  },
  { name: 'removes missing -> skipped', args: { cmd: 'rm /tmp/x', removes: '/tmp/x' }, facts: { 'file:/tmp/x#exists': false }, expect: { status: 'skipped' } },
  { name: 'removes present -> runs', args: { cmd: 'rm /tmp/x', removes: '/tmp/x' }, facts: { 'file:/tmp/x#exists': true }, expect: { status: 'changed' } },
  { name: 'unless succeeds -> ok', args: { cmd: 'useradd x', unless: 'id x' }, facts: { 'cmd::id x': true }, expect: { status: 'ok' } },
  { name: 'unless fails -> runs', args: { cmd: 'useradd x', unless: 'id x' }, facts: { 'cmd::id x': false }, expect: { status: 'changed' } },
  {
    name: 'environment travels on stdin (base64), never in the script',
    args: { cmd: 'mysql -e status', environment: { MYSQL_PWD: 's3cret' }, stdin: 'input\n' },
    facts: {},
    expect: { status: 'changed', scriptNotMatches: [/s3cret/, /czNjcmV0/], stdin: `MYSQL_PWD=${Buffer.from('s3cret').toString('base64')}\n\ninput\n` },
  },
  {
    name: 'a pipe in command -> error pointing at shell',
    args: { cmd: 'cat /etc/passwd | grep root' },
    facts: {},
    expect: { status: 'error', error: /use shell:/ },
  },
  { name: 'a $VAR in command -> error', args: { cmd: 'echo $HOME' }, facts: {}, expect: { status: 'error', error: /\$ expansion/ } },
  { name: 'a glob in command -> error', args: { cmd: 'rm /tmp/*.log' }, facts: {}, expect: { status: 'error', error: /'\*'/ } },
];

const shellCases: Case<ShellArgs>[] = [
  {
    name: 'runs the line as one quoted argument to /bin/sh',
    args: { cmd: 'cat /etc/passwd | grep -c root > /tmp/n' },
    facts: {},
    expect: { status: 'changed', scriptMatches: [/^exec \/bin\/sh -c 'cat \/etc\/passwd \| grep -c root > \/tmp\/n'$/m] },
  },
  {
    name: 'executable',
    args: { cmd: 'echo ${BASH_VERSION}', executable: '/bin/bash' },
    facts: {},
    expect: { status: 'changed', scriptMatches: [/^exec \/bin\/bash -c 'echo \$\{BASH_VERSION\}'$/m] },
  },
  {
    name: 'creates exists -> skipped',
    args: { cmd: 'make install', creates: '/usr/local/bin/x' },
    facts: { 'file:/usr/local/bin/x#exists': true },
    expect: { status: 'skipped' },
  },
  {
    name: 'unless with chdir is probed in that directory',
    args: { cmd: 'git pull', chdir: '/srv/app', unless: 'git diff --quiet' },
    facts: { 'cmd:/srv/app:git diff --quiet': true },
    expect: { status: 'ok' },
  },
  { name: 'check mode reports would run', args: { cmd: 'echo hi' }, facts: {}, expect: { status: 'changed' } },
];

describe('modules/command', () => {
  runTable(command, commandCases);
  runSchemaTable(command, [
    { name: 'cmd', args: { cmd: 'ls /' }, valid: true },
    { name: 'argv', args: { argv: ['ls', '/'] }, valid: true },
    { name: 'both cmd and argv', args: { cmd: 'ls', argv: ['ls'] }, valid: false, message: /exactly one of cmd/ },
    { name: 'neither', args: { chdir: '/tmp' }, valid: false },
    { name: 'unknown key', args: { cmd: 'ls', warn: false }, valid: false, message: /'warn'/ },
    { name: 'environment value as number', args: { cmd: 'ls', environment: { A: 1 } }, valid: false, message: /must be strings/ },
    { name: 'environment bad name', args: { cmd: 'ls', environment: { 'A-B': 'x' } }, valid: false },
    { name: 'executable is shell-only', args: { cmd: 'ls', executable: '/bin/bash' }, valid: false, message: /'executable'/ },
  ]);
  it('splitCommand handles quotes and escapes', () => {
    expect(splitCommand(`a  'b c'  "d\\\\e"f g\\ h ''`)).to.deep.equal(['a', 'b c', 'd\\ef', 'g h', '']);
    expect(() => splitCommand(`echo 'x`)).to.throw(/unterminated/);
    expect(splitCommand(`echo 'a|b' "x>y" '$HOME'`)).to.deep.equal(['echo', 'a|b', 'x>y', '$HOME']);
  });
});

describe('modules/shell', () => {
  runTable(shell, shellCases);
  runSchemaTable(shell, [
    { name: 'cmd', args: { cmd: 'ls | wc -l' }, valid: true },
    { name: 'no cmd', args: { chdir: '/tmp' }, valid: false },
    { name: 'relative executable', args: { cmd: 'ls', executable: 'bash' }, valid: false },
  ]);
});

describe('command/shell scripts run for real (local /bin/sh)', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-cmd-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(plan: ReturnType<typeof shell.plan>): { code: number; out: string } {
    const ch = plan.changes[0]!;
    const r = spawnSync('/bin/sh', ['-c', ch.script.text], { input: ch.stdin ?? '', encoding: 'utf8' });
    return { code: r.status ?? -1, out: r.stdout };
  }

  it('environment values (newlines, quotes, trailing newline) reach the command; the rest of stdin stays its stdin', () => {
    const value = `p'a"s$s\nline2\n`;
    const plan = shell.plan(
      { cmd: 'printf "%s|" "$SECRET" "$OTHER"; cat; pwd', chdir: dir, environment: { SECRET: value, OTHER: '' }, stdin: 'from stdin\n' },
      fakeFacts({}),
      fakeContext(),
    );
    expect(plan.changes[0]!.script.text).not.to.include('line2');
    const r = run(plan);
    expect(r.code).to.equal(0);
    expect(r.out).to.equal(`${value}||from stdin\n${dir}\n`);
  });

  it('command exec keeps the exit code and passes argv untouched', () => {
    const plan = command.plan({ argv: ['sh', '-c', 'printf "%s" "$1"; exit 7', 'x', '$HOME; `id`'] }, fakeFacts({}), fakeContext());
    const r = run(plan);
    expect(r.code).to.equal(7);
    expect(r.out).to.equal('$HOME; `id`');
  });

  it('a missing chdir fails the change', () => {
    const r = run(command.plan({ cmd: 'true', chdir: join(dir, 'nope') }, fakeFacts({}), fakeContext()));
    expect(r.code).to.equal(125);
  });
});
