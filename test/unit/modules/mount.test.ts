import { expect } from 'chai';
import mount, { editFstab, fstabLine, sameSource, type MountArgs } from '../../../src/modules/mount.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const P = '/mnt/plumb';
const head = '# /etc/fstab: static file system information.\n';
const line = 'tmpfs /mnt/plumb tmpfs size=1m 0 0\n';
const args: MountArgs = { path: P, src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted' };
const facts = (fstab: string | null, mounted?: { src: string; fstype: string }) => ({
  ...withText('/etc/fstab', fstab === null ? absent : textFile(fstab)),
  [`sys:mount:${P}`]: mounted ? { mounted } : {},
});
const tmpfs = { src: 'tmpfs', fstype: 'tmpfs' };

const cases: Case<MountArgs>[] = [
  {
    name: 'mounted: fstab line added, then mounted (mount point made)',
    args,
    facts: facts(head),
    expect: {
      status: 'changed',
      changes: 2,
      stdin: head + line,
      scriptMatches: [/mkdir -p -- \/mnt\/plumb\nmount -t tmpfs -o size=1m -- tmpfs \/mnt\/plumb/],
      diff: [
        { label: '/etc/fstab', before: head, after: head + line },
        { label: `mount ${P}`, before: 'not mounted\n', after: 'mounted tmpfs (tmpfs)\n' },
      ],
    },
  },
  { name: 'mounted and in fstab: ok', args, facts: facts(head + line, tmpfs), expect: { status: 'ok' } },
  {
    name: 'the same entry with other blanks, dump/passno left out: ok',
    args,
    facts: facts(`tmpfs\t/mnt/plumb  tmpfs size=1m\n`, tmpfs),
    expect: { status: 'ok' },
  },
  {
    name: 'options changed: the line replaced, and a remount',
    args: { ...args, opts: 'size=2m' },
    facts: facts(head + line, tmpfs),
    expect: {
      status: 'changed',
      changes: 2,
      stdin: `${head}tmpfs /mnt/plumb tmpfs size=2m 0 0\n`,
      scriptMatches: [/mount -o remount,size=2m -- \/mnt\/plumb/],
    },
  },
  {
    name: 'mounted from another source: unmounted and mounted again',
    args: { ...args, src: '/srv/data', fstype: 'none', opts: 'bind' },
    facts: facts('/srv/data /mnt/plumb none bind 0 0\n', tmpfs),
    expect: { status: 'changed', scriptMatches: [/umount -- \/mnt\/plumb\nmkdir/] },
  },
  {
    name: 'present: fstab only, nothing mounted',
    args: { ...args, state: 'present' },
    facts: facts(head),
    expect: { status: 'changed', changes: 1, scriptNotMatches: [/mount -t/] },
  },
  {
    name: 'boot: false is noauto',
    args: { ...args, state: 'present', boot: false },
    facts: facts(''),
    expect: { status: 'changed', stdin: 'tmpfs /mnt/plumb tmpfs size=1m,noauto 0 0\n' },
  },
  {
    name: 'unmounted: umount, fstab untouched',
    args: { path: P, state: 'unmounted' },
    facts: facts(null, tmpfs),
    expect: { status: 'changed', changes: 1, scriptMatches: [/^set -e\numount -- \/mnt\/plumb$/] },
  },
  { name: 'unmounted and not mounted: ok', args: { path: P, state: 'unmounted' }, facts: facts(null), expect: { status: 'ok' } },
  {
    name: 'absent: line removed and unmounted',
    args: { path: P, state: 'absent' },
    facts: facts(head + line, tmpfs),
    expect: { status: 'changed', changes: 2, stdin: head, scriptMatches: [/umount -- \/mnt\/plumb/] },
  },
  { name: 'absent and gone: ok', args: { path: P, state: 'absent' }, facts: facts(head), expect: { status: 'ok' } },
  {
    name: 'remounted: always a change',
    args: { path: P, state: 'remounted' },
    facts: facts(null, tmpfs),
    expect: { status: 'changed', scriptMatches: [/mount -o remount -- \/mnt\/plumb/] },
  },
  { name: 'remounted but not mounted: error', args: { path: P, state: 'remounted' }, facts: facts(null), expect: { status: 'error', error: /not mounted/ } },
  { name: 'ephemeral: mounted, fstab not read', args: { ...args, state: 'ephemeral' }, facts: facts(null), expect: { status: 'changed', changes: 1 } },
];

describe('modules/mount', () => {
  runTable(mount, cases);
  runSchemaTable(mount, [
    // geerlingguy.nfs-style / Ansible docs "Mount DVD read-only"
    { name: "ansible.posix's example", args: { path: '/mnt/dvd', src: '/dev/sr0', fstype: 'iso9660', opts: 'ro,noauto', state: 'present' }, valid: true },
    { name: 'mounted without src', args: { path: P, fstype: 'tmpfs', state: 'mounted' }, valid: false, message: /need src and fstype/ },
    { name: 'state required', args: { path: P, src: 'tmpfs', fstype: 'tmpfs' }, valid: false },
    { name: 'opts with a blank', args: { path: P, src: 'a', fstype: 'b', opts: 'a b', state: 'present' }, valid: false, message: /without blanks/ },
  ]);
  it('fstab fields escape blanks; other lines are kept', () => {
    expect(fstabLine({ path: '/mnt/my disk', src: 'LABEL=x', fstype: 'ext4', state: 'present' })).to.equal('LABEL=x /mnt/my\\040disk ext4 defaults 0 0\n');
    expect(editFstab('a /x t o 0 0\n/dev/b /mnt/my\\040disk ext4 ro 0 0\n', '/mnt/my disk', null)).to.equal('a /x t o 0 0\n');
  });
  it('sources: a device named by UUID is taken as the same, a bind by its root', () => {
    expect(sameSource('/dev/sda1', 'UUID=abc')).to.equal(true);
    expect(sameSource('/dev/sda1[/srv/data]', '/srv/data')).to.equal(true);
    expect(sameSource('tmpfs', 'other')).to.equal(false);
  });
});
