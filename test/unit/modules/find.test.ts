import { expect } from 'chai';
import find, { globRegExp, type FindArgs } from '../../../src/modules/find.js';
import { findFact } from '../../../src/facts/find.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const e = (path: string, over = {}) => ({
  path,
  type: 'f',
  mode: '0644',
  uid: 0,
  gid: 0,
  owner: 'root',
  group: 'root',
  size: 100,
  mtime: 1000,
  atime: 1000,
  ctime: 1000,
  inode: 1,
  nlink: 1,
  ...over,
});
const listing = {
  now: 1000 + 3 * 86400,
  entries: [
    e('/var/log/a.log'),
    e('/var/log/b.gz', { size: 5000 }),
    e('/var/log/.hidden.log'),
    e('/var/log/sub', { type: 'd', mode: '0755' }),
    e('/var/log/new.log', { mtime: 1000 + 3 * 86400 - 60 }),
  ],
};
const key = (a: { recurse?: boolean; follow?: boolean; checksum?: boolean }) =>
  `cmd:find:${JSON.stringify({ paths: ['/var/log'], maxdepth: a.recurse ? null : 1, follow: a.follow ?? false, checksum: a.checksum ?? false })}`;
const paths = (ps: string[]) => ({ files: ps.map((p) => listing.entries.find((x) => x.path === p)).map((x) => ({ path: x!.path })) });

const cases: Case<FindArgs>[] = [
  {
    name: 'patterns (glob), hidden excluded, files only; matched and examined',
    args: { paths: '/var/log', patterns: '*.log' },
    facts: { [key({})]: listing },
    expect: { status: 'ok', result: { matched: 2, examined: 5 } },
  },
  { name: 'age: older than 2 days', args: { paths: ['/var/log'], age: '2d' }, facts: { [key({})]: listing }, expect: { status: 'ok', result: { matched: 2 } } },
  { name: 'size: at least 1k', args: { paths: '/var/log', size: '1k' }, facts: { [key({})]: listing }, expect: { status: 'ok', result: { matched: 1 } } },
  {
    name: 'directories, recurse',
    args: { paths: '/var/log', file_type: 'directory', recurse: true },
    facts: { [key({ recurse: true })]: listing },
    expect: { status: 'ok', result: { matched: 1 } },
  },
  {
    name: 'use_regex and excludes, hidden: true',
    args: { paths: '/var/log', patterns: ['.*\\.log$'], use_regex: true, excludes: 'new*', hidden: true },
    facts: { [key({})]: listing },
    expect: { status: 'ok', result: { matched: 2 } },
  },
];

describe('modules/find', () => {
  runTable(find, cases);
  it('files are stat-like dicts with path', () => {
    const p = find.plan({ paths: '/var/log', patterns: 'a.*' }, { get: () => listing as never }, {} as never);
    expect(p.result?.files).to.have.length(1);
    expect((p.result!.files as Record<string, unknown>[])[0]).to.deep.include({ ...paths(['/var/log/a.log']).files[0], isreg: true, mode: '0644', size: 100 });
  });
  it('glob: [!...] and ?', () => {
    expect(globRegExp('[!a]?.log').test('bc.log')).to.equal(true);
    expect(globRegExp('[!a]?.log').test('ac.log')).to.equal(false);
  });
  it('one find process per task, maxdepth 1 unless recurse', () => {
    expect(findFact({ paths: ['/x'], maxdepth: 1, follow: false, checksum: false }).probe.text).to.match(/find -P \/x -mindepth 1 -maxdepth 1 -printf/);
  });
  runSchemaTable(find, [
    // geerlingguy.php-versions / docs: find paths, patterns, age, recurse
    { name: 'docs example', args: { paths: '/tmp', age: '2d', recurse: true, patterns: ['*.old', '*.log'] }, valid: true },
    { name: 'bad age', args: { paths: '/tmp', age: 'two days' }, valid: false, message: /age is a number/ },
    { name: 'relative path', args: { paths: 'tmp' }, valid: false },
  ]);
});
