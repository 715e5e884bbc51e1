// apt_repository, deb822_repository, apt_key, debconf and mount on a real lab host: the first
// apply changes each, the second is ok with 0 changed, and check after a drift names the drifted
// tasks and leaves the host untouched. The repositories point at a local file: path and the cache
// is not refreshed, so no traffic leaves the host. Resets web-02.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { labExecCount } from '../../src/lab/index.js';
import { TEST_KEY } from '../unit/modules/edit-fixtures.js';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, runBookOn, type Run, SiteRun } from './site-run.js';

const HOST = 'web-02';
const indent = (s: string, n: number) =>
  s
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');

const PLAYBOOK = `- hosts: ${HOST}
  become: true
  tasks:
    - name: signing key (apt_key, as a keyring file)
      apt_key:
        keyring: /etc/apt/keyrings/plumb-test.gpg
        data: |
${indent(TEST_KEY, 10)}
    - name: one-line repository (apt_repository)
      apt_repository:
        repo: "deb [signed-by=/etc/apt/keyrings/plumb-test.gpg] file:/srv/plumb-repo ./"
        filename: plumb-test
        update_cache: false
    - name: deb822 repository
      deb822_repository:
        name: plumb-test2
        types: deb
        uris: file:/srv/plumb-repo2
        suites: ./
        signed_by: /etc/apt/keyrings/plumb-test.gpg
    - name: a debconf answer
      debconf:
        name: tzdata
        question: tzdata/Areas
        vtype: select
        value: Antarctica
    - name: a tmpfs (mount)
      mount:
        path: /mnt/plumb-tmp
        src: tmpfs
        fstype: tmpfs
        opts: size=1m,mode=0755
        state: mounted
`;
const TASKS = ['signing key (apt_key, as a keyring file)', 'one-line repository (apt_repository)', 'deb822 repository', 'a debconf answer', 'a tmpfs (mount)'];
const STATE =
  'sha256sum /etc/apt/keyrings/plumb-test.gpg /etc/apt/sources.list.d/plumb-test.list /etc/apt/sources.list.d/plumb-test2.sources /etc/fstab 2>&1; ' +
  'findmnt -n -o SOURCE,FSTYPE /mnt/plumb-tmp; debconf-show tzdata | grep Areas';

describe('apt source, debconf and mount modules on the lab', function () {
  this.timeout(600_000);
  let site: SiteRun;
  let book: string;
  const run = (verb: 'apply' | 'check'): Run => runBookOn(site.lab, verb, book, HOST);

  before(async () => {
    site = new SiteRun(await ensureLab());
    await resetHosts([HOST]);
    const dir = mkdtempSync(join(tmpdir(), 'plumb-modapt-'));
    book = join(dir, 'apt-mount.yml');
    writeFileSync(book, PLAYBOOK);
  });
  after(async () => {
    await resetHosts([HOST]);
  });

  it('first apply changes, second is ok with 0 changed in one exec, check reports a drift and leaves the host untouched', () => {
    const first = run('apply');
    expect(first.code, failures(first) + first.stderr).to.equal(0);
    expect(changed(first)).to.include.members(TASKS.map((t) => `${HOST}: ${t}`));
    const state = site.onHost(HOST, STATE).out;
    expect(state).to.match(/^tmpfs +tmpfs$/m);
    expect(state).to.match(/tzdata\/Areas: Antarctica/);
    expect(site.onHost(HOST, 'cat /etc/apt/sources.list.d/plumb-test.list').out).to.include('file:/srv/plumb-repo ./');
    expect(site.onHost(HOST, 'grep -c /mnt/plumb-tmp /etc/fstab').out.trim()).to.equal('1');

    const before = labExecCount(HOST);
    const second = run('apply');
    expect(second.code, failures(second)).to.equal(0);
    expect(changed(second)).to.deep.equal([]);
    expect(labExecCount(HOST) - before).to.equal(1);

    site.onHost(HOST, 'umount /mnt/plumb-tmp; rm /etc/apt/sources.list.d/plumb-test.list; echo "tzdata tzdata/Areas select Europe" | debconf-set-selections');
    const drifted = site.onHost(HOST, STATE).out;
    const check = run('check');
    expect(check.code, failures(check)).to.equal(2);
    expect(changed(check)).to.have.members([`${HOST}: one-line repository (apt_repository)`, `${HOST}: a debconf answer`, `${HOST}: a tmpfs (mount)`]);
    expect(site.onHost(HOST, STATE).out).to.equal(drifted);
  });
});
