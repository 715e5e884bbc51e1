import { expect } from 'chai';
import stat, { type StatArgs } from '../../../src/modules/stat.js';
import { statFact, statMerger } from '../../../src/facts/stat.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const P = '/etc/app.conf';
const info = {
  exists: true,
  path: P,
  type: 'regular file',
  rawMode: 0o100640,
  uid: 0,
  gid: 4,
  owner: 'root',
  group: 'adm',
  size: 3,
  inode: 7,
  dev: 1,
  nlink: 1,
  atime: 1,
  mtime: 2,
  ctime: 3,
  checksum: 'a9993e364706816aba3e25717850c26c9cd0d89d',
};

const cases: Case<StatArgs>[] = [
  {
    name: 'a file: Ansible field names, sha1 checksum',
    args: { path: P },
    facts: { [`file:${P}#stat:Psha1`]: info },
    expect: {
      status: 'ok',
      result: {
        stat: {
          exists: true,
          path: P,
          mode: '0640',
          isreg: true,
          isdir: false,
          islnk: false,
          uid: 0,
          gid: 4,
          pw_name: 'root',
          gr_name: 'adm',
          size: 3,
          inode: 7,
          dev: 1,
          nlink: 1,
          atime: 1,
          mtime: 2,
          ctime: 3,
          wusr: true,
          rusr: true,
          xusr: false,
          wgrp: false,
          rgrp: true,
          xgrp: false,
          woth: false,
          roth: false,
          xoth: false,
          isuid: false,
          isgid: false,
          isblk: false,
          ischr: false,
          isfifo: false,
          issock: false,
          checksum: 'a9993e364706816aba3e25717850c26c9cd0d89d',
        },
      },
    },
  },
  {
    name: 'missing: exists false only',
    args: { path: P },
    facts: { [`file:${P}#stat:Psha1`]: { exists: false, path: P } },
    expect: { status: 'ok', result: { stat: { exists: false } } },
  },
  {
    name: 'get_checksum: false, follow, alias dest',
    args: { dest: P, get_checksum: false, follow: true },
    facts: { [`file:${P}#stat:L-`]: { ...info, type: 'directory', rawMode: 0o40755, checksum: undefined } },
    expect: { status: 'ok' },
  },
];

describe('modules/stat', () => {
  runTable(stat, cases);
  it('stat facts of several paths merge into one stat process per follow mode', () => {
    const probe = statMerger.probe(['Psha1:/a', 'P-:/b', 'Lsha256:/c']).text;
    expect(probe.match(/stat --printf/g)).to.have.length(1);
    expect(probe.match(/stat -L --printf/g)).to.have.length(1);
    expect(probe)
      .to.match(/sha1sum -z/)
      .and.to.match(/sha256sum -z/);
  });
  it('splits the merged output back per path, with link target and checksum', () => {
    const rec = (p: string, t: string) => [p, t, '81a4', '0', '0', 'root', 'root', '3', '7', '1', '1', '1.5', '2.5', '3.5'];
    const out = ['@P', ...rec('/a', 'regular file'), ...rec('/l', 'symbolic link'), '@L', '@links', '/l', '/a', '/a', '@sum:sha1', 'abc  /a', ''].join('\0');
    const parts = statMerger.split(out, 0, ['Psha1:/a', 'P-:/l', 'P-:/missing']);
    const a = statFact('/a', { checksum: 'sha1' }).parse(parts[0]!.out, parts[0]!.code);
    expect(a).to.deep.include({ exists: true, size: 3, mtime: 2.5, checksum: 'abc' });
    expect(statFact('/l').parse(parts[1]!.out, parts[1]!.code)).to.deep.include({ linkTarget: '/a' });
    expect(statFact('/missing').parse(parts[2]!.out, parts[2]!.code)).to.deep.equal({ exists: false, path: '/missing' });
  });
  runSchemaTable(stat, [
    // geerlingguy.docker / geerlingguy.mysql: stat then when: x.stat.exists
    { name: 'geerlingguy.mysql: stat path, register', args: { path: '/root/.my.cnf' }, valid: true },
    { name: 'checksum_algorithm', args: { path: P, checksum_algorithm: 'sha256', get_mime: false }, valid: true },
    { name: 'unknown algorithm', args: { path: P, checksum_algorithm: 'crc32' }, valid: false },
    { name: 'no path', args: {}, valid: false, message: /stat needs path/ },
  ]);
});
