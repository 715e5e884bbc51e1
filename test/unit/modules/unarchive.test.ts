import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { FileState } from '../../../src/facts/file.js';
import { textFile } from './edit-fixtures.js';
import unarchive, { archiveKind, globMatches, tarMembers, type UnarchiveArgs } from '../../../src/modules/unarchive.js';
import { removeTree, tree } from '../../fixtures/tree.js';
import { runSchemaTable, runTable, type Case } from './table.js';

// A real tar.gz built by GNU tar, read back on the controller.
const dir = tree({ 'app/one.txt': 'one\n', 'app/sub/two.txt': 'two\n' });
execFileSync('tar', ['-czf', join(dir, 'a.tgz'), '-C', dir, 'app']);
execFileSync('tar', ['-cf', join(dir, 'a.tar'), '-C', dir, 'app']);
const tgz = readFileSync(join(dir, 'a.tgz'));
after(() => removeTree(dir));

const D = '/srv/www';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const f = textFile;
const dirSt: FileState = { kind: 'directory', mode: '0755', owner: 'root', group: 'root' };
const ctx = { readLocal: () => tgz };
const inSync = {
  [`file:${D}`]: dirSt,
  [`file:${D}/app`]: dirSt,
  [`file:${D}/app/sub`]: dirSt,
  [`file:${D}/app/one.txt`]: f('one\n'),
  [`file:${D}/app/sub/two.txt`]: f('two\n'),
};
const tardiff = (src: string) => `cmd:unarchive:${src}:${D}:0`;

const cases: Case<UnarchiveArgs>[] = [
  { name: 'controller src, every member matches -> ok, nothing sent', args: { src: 'files/a.tgz', dest: D }, facts: inSync, ctx, expect: { status: 'ok' } },
  {
    name: 'controller src, one member differs -> archive on stdin, listed before extracted',
    args: { src: 'files/a.tgz', dest: D },
    facts: { ...inSync, [`file:${D}/app/one.txt`]: f('changed\n') },
    ctx,
    expect: {
      status: 'changed',
      scriptMatches: [/cat > "\$arc"/, /if ! tar -tf "\$arc" >\/dev\/null[^\n]*\n(.*\n)*tar -xf "\$arc" -C \/srv\/www/],
      stdin: tgz.toString(),
      invalidates: [`file:${D}`],
    },
  },
  {
    name: 'controller src, list_files registers the members',
    args: { src: 'files/a.tgz', dest: D, list_files: true },
    facts: inSync,
    ctx,
    expect: { status: 'ok', result: { files: ['app', 'app/one.txt', 'app/sub', 'app/sub/two.txt'] } },
  },
  {
    name: 'owner drift on a member -> changed, chown of the listed members',
    args: { src: 'files/a.tgz', dest: D, owner: 'www-data' },
    facts: inSync,
    ctx,
    expect: { status: 'changed', scriptMatches: [/chown -h www-data "\$p"/] },
  },
  {
    name: 'exclude leaves a member out of the comparison and the extraction',
    args: { src: 'files/a.tgz', dest: D, exclude: 'two.txt' },
    facts: { ...inSync, [`file:${D}/app/sub/two.txt`]: { kind: 'absent' } },
    ctx,
    expect: { status: 'ok' },
  },
  {
    name: 'dest not a directory -> error',
    args: { src: 'files/a.tgz', dest: D },
    facts: { ...inSync, [`file:${D}`]: { kind: 'absent' } },
    ctx,
    expect: { status: 'error', error: /not an existing directory/ },
  },
  {
    name: 'creates exists -> ok without reading dest',
    args: { src: 'files/a.tgz', dest: D, creates: `${D}/app` },
    facts: { [`file:${D}/app#exists`]: true },
    ctx,
    expect: { status: 'ok' },
  },
  {
    name: 'remote src, tar --diff clean -> ok',
    args: { src: '/tmp/a.tgz', dest: D, remote_src: true },
    facts: { [`file:${D}`]: dirSt, [tardiff('/tmp/a.tgz')]: { src: 'present', code: 0, lines: [], files: [] } },
    expect: { status: 'ok' },
  },
  {
    name: 'remote src, tar --diff reports a difference -> extract from the host file, says what differs',
    args: { src: '/tmp/a.tgz', dest: D, remote_src: true, keep_newer: true, extra_opts: ['--strip-components=1'] },
    facts: { [`file:${D}`]: dirSt, [`cmd:unarchive:/tmp/a.tgz:${D}:1`]: { src: 'present', code: 1, lines: ['app/one.txt: Contents differ'], files: [] } },
    expect: { status: 'changed', scriptMatches: [/tar -xf \/tmp\/a\.tgz -C \/srv\/www --keep-newer-files --strip-components=1/], scriptNotMatches: [/cat >/] },
  },
  {
    name: 'remote src, only Uid differs and owner is set -> ok (the task owns them)',
    args: { src: '/tmp/a.tgz', dest: D, remote_src: true, owner: 'app' },
    facts: { [`file:${D}`]: dirSt, [tardiff('/tmp/a.tgz')]: { src: 'present', code: 1, lines: ['app/one.txt: Uid differs'], files: [] } },
    expect: { status: 'ok' },
  },
  {
    name: 'remote src missing -> error',
    args: { src: '/tmp/a.tgz', dest: D, remote_src: true },
    facts: { [`file:${D}`]: dirSt, [tardiff('/tmp/a.tgz')]: { src: 'absent', code: 2, lines: [], files: [] } },
    expect: { status: 'error', error: /not found on the host/ },
  },
  {
    name: 'remote src missing but an earlier change in check mode may create it -> would change',
    args: { src: '/tmp/a.tgz', dest: D, remote_src: true },
    facts: { [`file:${D}`]: dirSt, [tardiff('/tmp/a.tgz')]: { src: 'absent', code: 2, lines: [], files: [] } },
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
  {
    name: 'extra_opts --strip-components=1: members compared where tar puts them',
    args: { src: 'files/a.tgz', dest: D, extra_opts: ['--strip-components=1'] },
    facts: { [`file:${D}`]: dirSt, [`file:${D}/sub`]: dirSt, [`file:${D}/one.txt`]: f('one\n'), [`file:${D}/sub/two.txt`]: f('two\n') },
    ctx,
    expect: { status: 'ok' },
  },
  {
    name: 'remote src with --strip-components: tar --diff strips too',
    args: { src: '/tmp/a.tgz', dest: D, remote_src: true, extra_opts: ['--strip-components', '1'] },
    facts: { [`file:${D}`]: dirSt, [`cmd:unarchive:/tmp/a.tgz:${D}:1`]: { src: 'present', code: 0, lines: [], files: [] } },
    expect: { status: 'ok' },
  },
  {
    name: 'copy: no is remote_src: yes (tar --diff probe)',
    args: { src: '/tmp/a.tgz', dest: D, copy: false },
    facts: { [`file:${D}`]: dirSt, [tardiff('/tmp/a.tgz')]: { src: 'present', code: 0, lines: [], files: [] } },
    expect: { status: 'ok' },
  },
  {
    name: 'remote zip without unzip -> failure naming the package unzip',
    args: { src: '/tmp/a.zip', dest: D, remote_src: true },
    facts: { [`file:${D}`]: dirSt, [tardiff('/tmp/a.zip')]: { src: 'zip', unzip: false, code: 2, lines: [], files: [] } },
    expect: { status: 'error', error: /package unzip/ },
  },
  {
    name: 'zip from the controller -> clear failure naming unzip',
    args: { src: 'files/a.zip', dest: D },
    facts: { [`file:${D}`]: dirSt },
    ctx: { readLocal: () => Buffer.from('PK\x03\x04rest') },
    expect: { status: 'error', error: /zip/ },
  },
];

describe('modules/unarchive', () => {
  it('reads tar and tar.gz members on the controller', () => {
    const want = ['app', 'app/one.txt', 'app/sub', 'app/sub/two.txt'];
    expect(tarMembers(tgz).map((m) => m.path)).to.have.members(want);
    expect(tarMembers(readFileSync(join(dir, 'a.tar'))).map((m) => m.path)).to.have.members(want);
    expect(tarMembers(tgz).find((m) => m.path === 'app/one.txt')).to.include({ type: 'file', size: 4, sha256: sha('one\n') });
  });
  it('detects the kind by content', () => {
    expect(archiveKind(tgz)).to.equal('gzip');
    expect(archiveKind(Buffer.from('BZh91AY'))).to.equal('bzip2');
    expect(archiveKind(Buffer.from('PK\x03\x04'))).to.equal('zip');
  });
  it('exclude globs match a trailing part of the path', () => {
    expect(globMatches('*.txt', 'app/one.txt')).to.equal(true);
    expect(globMatches('sub', 'app/sub/two.txt')).to.equal(true);
    expect(globMatches('one', 'app/one.txt')).to.equal(false);
  });
  runTable(unarchive, cases);
  runSchemaTable(unarchive, [
    { name: 'docs example', args: { src: 'foo.tgz', dest: '/var/lib/foo' }, valid: true },
    // geerlingguy/ansible-role-solr tasks/main.yml "Expand Solr." (expressions given values)
    { name: 'task from geerlingguy.solr (copy: no)', args: { src: '/root/solr-8.11.2.tgz', dest: '/root', copy: false }, valid: true },
    { name: 'remote example', args: { src: '/tmp/foo.zip', dest: '/usr/local/bin', remote_src: true }, valid: true },
    { name: 'remote src must be absolute', args: { src: 'foo.tgz', dest: '/x', remote_src: true }, valid: false, message: /absolute/ },
    { name: 'dest required', args: { src: 'foo.tgz' }, valid: false, message: /dest/ },
    { name: 'copy: no (old roles) takes an absolute host path', args: { src: 'foo.tgz', dest: '/x', copy: false }, valid: false, message: /absolute/ },
    { name: 'copy and remote_src together', args: { src: '/a.tgz', dest: '/x', copy: false, remote_src: true }, valid: false, message: /mutually exclusive/ },
    { name: 'mode quoted', args: { src: 'a', dest: '/x', mode: 644 }, valid: false, message: /quoted octal/ },
  ]);
});
