import lineinfile, { type LineinfileArgs } from '../../../src/modules/lineinfile.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const P = '/etc/ssh/sshd_config';
const f = (t: string) => withText(P, textFile(t));
const d = (before: string, after: string) => [{ label: P, before, after }];

const cases: Case<LineinfileArgs>[] = [
  {
    name: 'regexp matches: the line is replaced, with the exact diff',
    args: { path: P, regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no' },
    facts: f('Port 22\n#PermitRootLogin yes\n'),
    expect: {
      status: 'changed',
      stdin: 'Port 22\nPermitRootLogin no\n',
      diff: d('Port 22\n#PermitRootLogin yes\n', 'Port 22\nPermitRootLogin no\n'),
      scriptMatches: [/mv -f "\$tmp" \/etc\/ssh\/sshd_config/],
    },
  },
  {
    name: 'already there: ok',
    args: { path: P, regexp: '^PermitRootLogin', line: 'PermitRootLogin no' },
    facts: f('PermitRootLogin no\n'),
    expect: { status: 'ok' },
  },
  {
    name: 'regexp matches nothing but the exact line is there: ok',
    args: { path: P, regexp: '^Nope', line: 'Port 22' },
    facts: f('Port 22\n'),
    expect: { status: 'ok' },
  },
  {
    name: 'the last match is replaced; firstmatch takes the first',
    args: { path: P, regexp: '^a=', line: 'a=9', firstmatch: true },
    facts: f('a=1\na=2\n'),
    expect: { status: 'changed', stdin: 'a=9\na=2\n' },
  },
  {
    name: 'no match: appended at EOF (a missing final newline is added first)',
    args: { path: P, line: 'x=1' },
    facts: f('a=1'),
    expect: { status: 'changed', stdin: 'a=1\nx=1\n' },
  },
  {
    name: 'insertafter a regexp',
    args: { path: P, line: 'x=1', insertafter: '^\\[main\\]' },
    facts: f('[main]\na=1\n[other]\n'),
    expect: { status: 'changed', stdin: '[main]\nx=1\na=1\n[other]\n' },
  },
  {
    name: 'insertbefore a regexp',
    args: { path: P, line: 'x=1', insertbefore: '^\\[other\\]' },
    facts: f('[main]\n[other]\n'),
    expect: { status: 'changed', stdin: '[main]\nx=1\n[other]\n' },
  },
  {
    name: 'insertbefore BOF',
    args: { path: P, line: '# managed', insertbefore: 'BOF' },
    facts: f('a\n'),
    expect: { status: 'changed', stdin: '# managed\na\n' },
  },
  {
    name: 'insertafter with no match falls back to EOF',
    args: { path: P, line: 'x', insertafter: '^nomatch' },
    facts: f('a\n'),
    expect: { status: 'changed', stdin: 'a\nx\n' },
  },
  {
    name: 'insertafter: the line already follows the anchor: ok',
    args: { path: P, line: 'x', insertafter: '^a' },
    facts: f('a\nx\n'),
    expect: { status: 'ok' },
  },
  {
    name: 'backrefs expand groups (\\1 and \\g<name>)',
    args: { path: P, regexp: '^(?P<k>ListenAddress) (.*)$', line: '\\g<k> 127.0.0.1 # was \\2', backrefs: true },
    facts: f('ListenAddress 0.0.0.0\n'),
    expect: { status: 'changed', stdin: 'ListenAddress 127.0.0.1 # was 0.0.0.0\n' },
  },
  {
    name: 'backrefs with no match leave the file alone',
    args: { path: P, regexp: '^Nope (.*)', line: '\\1', backrefs: true },
    facts: f('a\n'),
    expect: { status: 'ok' },
  },
  {
    name: 'search_string replaces the line holding it',
    args: { path: P, search_string: 'Port 22', line: 'Port 2222' },
    facts: f('  Port 22\n'),
    expect: { status: 'changed', stdin: 'Port 2222\n' },
  },
  {
    name: 'state absent by regexp removes every match and reports found',
    args: { path: P, regexp: '^#', state: 'absent' },
    facts: f('#a\nb\n#c\n'),
    expect: { status: 'changed', stdin: 'b\n', result: { found: 2 } },
  },
  { name: 'state absent on a missing file: ok', args: { path: P, line: 'x', state: 'absent' }, facts: withText(P, absent), expect: { status: 'ok' } },
  {
    name: 'missing file with create: false is an error',
    args: { path: P, line: 'x' },
    facts: withText(P, absent),
    expect: { status: 'error', error: /Destination \/etc\/ssh\/sshd_config does not exist/ },
  },
  {
    name: 'missing file in check mode after an earlier task may create it: would change',
    args: { path: P, line: 'x' },
    facts: withText(P, absent),
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
  {
    name: 'create: true makes the file with mode and owner',
    args: { dest: P, line: 'x', create: true, mode: '0600', owner: 'root' },
    facts: withText(P, absent),
    expect: { status: 'changed', stdin: 'x\n', scriptMatches: [/chmod 0600 "\$tmp"/, /chown root "\$tmp"/], diff: d('', 'x\n') },
  },
  {
    name: 'validate and backup as copy does them',
    args: { path: P, line: 'x', validate: 'sshd -t -f %s', backup: true },
    facts: f('a\n'),
    expect: { status: 'changed', scriptMatches: [/sshd -t -f "\$tmp"/, /cp -p \/etc\/ssh\/sshd_config/] },
  },
  {
    name: 'line in place but the mode drifted: chmod only',
    args: { path: P, line: 'a', mode: '0600' },
    facts: f('a\n'),
    expect: { status: 'changed', scriptMatches: [/chmod 0600 \/etc\/ssh\/sshd_config/], scriptNotMatches: [/mktemp/] },
  },
  {
    name: 'a directory is refused',
    args: { path: P, line: 'x' },
    facts: withText(P, { kind: 'directory', mode: '0755', owner: 'root', group: 'root' }),
    expect: { status: 'error', error: /not a regular file/ },
  },
];

describe('modules/lineinfile', () => {
  runTable(lineinfile, cases);
  runSchemaTable(lineinfile, [
    // geerlingguy.security, tasks/ssh.yml
    {
      name: 'geerlingguy.security ssh task',
      args: { dest: P, regexp: '^PasswordAuthentication', line: 'PasswordAuthentication no', state: 'present', validate: 'sshd -T -f %s', mode: '0644' },
      valid: true,
    },
    { name: 'neither line nor state: absent', args: { path: P, regexp: 'x' }, valid: false, message: /needs line/ },
    { name: 'state: absent with nothing to match', args: { path: P, state: 'absent' }, valid: false, message: /needs line, regexp or search_string/ },
    { name: 'unknown key', args: { path: P, line: 'x', lines: 'y' }, valid: false, message: /additional properties 'lines'/ },
    { name: 'insertafter and insertbefore', args: { path: P, line: 'x', insertafter: 'a', insertbefore: 'b' }, valid: false, message: /mutually exclusive/ },
    { name: 'backrefs without regexp', args: { path: P, line: 'x', backrefs: true }, valid: false, message: /backrefs: true needs regexp/ },
    { name: 'no path', args: { line: 'x' }, valid: false, message: /exactly one/ },
    { name: 'create as a string', args: { path: P, line: 'x', create: 'yes' }, valid: false },
  ]);
});
