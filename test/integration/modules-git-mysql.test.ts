// git and mysql_query on a real lab host. git and mariadb-server are installed by a playbook
// run (plumb's own apt module, from the lab's local repository). The upstream is a bare
// repository on the same host, cloned over file://, so no traffic leaves the host. Resets web-02.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { labExecCount } from '../../src/lab/index.js';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, runBookOn, type Run, SiteRun } from './site-run.js';

const HOST = 'web-02';
const UP = '/srv/upstream.git';
const DEST = '/srv/app';

const INSTALL = `- hosts: ${HOST}
  become: true
  tasks:
    - name: git and mariadb
      apt:
        name: [git, mariadb-server]
        update_cache: true
`;

const gitBook = (version: string) => `- hosts: ${HOST}
  become: true
  tasks:
    - name: checkout
      ansible.builtin.git:
        repo: file://${UP}
        dest: ${DEST}
        version: ${version}
`;

const MYSQL = `- hosts: ${HOST}
  become: true
  vars:
    want: 'O''Brien \\ 🐬'
  tasks:
    - name: table
      mysql_query:
        query:
          - CREATE DATABASE IF NOT EXISTS plumbq
          - CREATE TABLE IF NOT EXISTS plumbq.people (id INT PRIMARY KEY, name VARCHAR(64))
    - name: insert
      mysql_query:
        login_db: plumbq
        query: INSERT IGNORE INTO people (id, name) VALUES (%s, %s)
        positional_args: [1, "{{ want }}"]
    - name: select
      community.mysql.mysql_query:
        login_db: plumbq
        query: SELECT name FROM people WHERE id = %s
        positional_args: [1]
      register: sel
    - name: mark
      copy:
        dest: /srv/name-ok
        content: "yes\\n"
      when: sel.rowcount[0] == 1 && sel.query_result[0][0].name == want
`;

describe('git and mysql_query modules on the lab', function () {
  this.timeout(600_000);
  let site: SiteRun;
  let dir: string;
  const book = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const run = (verb: 'apply' | 'check', f: string): Run => runBookOn(site.lab, verb, f, HOST);
  const head = (path: string) => site.onHost(HOST, `git --git-dir=${path} rev-parse HEAD`).out.trim();
  const commitUpstream = (msg: string) =>
    site.onHost(
      HOST,
      `set -e; w=$(mktemp -d); git clone -q ${UP} "$w" 2>/dev/null; cd "$w"; echo ${msg} >> file; git add file; ` +
        `git -c user.name=t -c user.email=t@example.org commit -q -m ${msg}; git push -q origin HEAD:main; rm -rf "$w"`,
    );

  before(async () => {
    site = new SiteRun(await ensureLab());
    await resetHosts([HOST]);
    dir = mkdtempSync(join(tmpdir(), 'plumb-modgit-'));
    const inst = run('apply', book('install.yml', INSTALL));
    expect(inst.code, failures(inst) + inst.stderr).to.equal(0);
    site.onHost(HOST, `git init -q --bare -b main ${UP}`);
    commitUpstream('one');
  });
  after(async () => {
    await resetHosts([HOST]);
  });

  it('git: clones, follows the branch, is ok when in sync, 1 exec when pinned, check leaves the host alone, refuses local edits', () => {
    const main = book('git-main.yml', gitBook('main'));
    const first = run('apply', main);
    expect(first.code, failures(first) + first.stderr).to.equal(0);
    expect(changed(first)).to.deep.equal([`${HOST}: checkout`]);
    expect(head(`${DEST}/.git`)).to.equal(head(UP));

    const again = run('apply', main);
    expect(again.code, failures(again)).to.equal(0);
    expect(changed(again), 'fetched, HEAD did not move').to.deep.equal([]);

    commitUpstream('two');
    const moved = head(UP);
    const before = head(`${DEST}/.git`);
    const check = run('check', main);
    expect(check.code, failures(check)).to.equal(2);
    expect(changed(check)).to.deep.equal([`${HOST}: checkout`]);
    expect(head(`${DEST}/.git`), 'check did not move HEAD').to.equal(before);

    const follow = run('apply', main);
    expect(follow.code, failures(follow)).to.equal(0);
    expect(changed(follow)).to.deep.equal([`${HOST}: checkout`]);
    expect(head(`${DEST}/.git`)).to.equal(moved);

    // Pinned to the sha HEAD is at: compared locally, no network, one exec for the whole run.
    const pinned = book('git-pinned.yml', gitBook(moved));
    const n = labExecCount(HOST);
    const noop = run('apply', pinned);
    expect(noop.code, failures(noop)).to.equal(0);
    expect(changed(noop)).to.deep.equal([]);
    expect(labExecCount(HOST) - n).to.equal(1);

    site.onHost(HOST, `echo local-edit >> ${DEST}/file`);
    commitUpstream('three');
    const dirty = run('apply', main);
    expect(dirty.code).to.not.equal(0);
    expect(failures(dirty)).to.match(/local modifications exist in \/srv\/app \(force=no\)/);
    expect(site.onHost(HOST, `tail -1 ${DEST}/file`).out).to.equal('local-edit\n');
    expect(head(`${DEST}/.git`)).to.equal(moved);
  });

  it('mysql_query: creates, inserts a quoted argument, a registered SELECT drives when:, ok on re-run, check runs reads only', () => {
    const m = book('mysql.yml', MYSQL);
    const first = run('apply', m);
    expect(first.code, failures(first) + first.stderr).to.equal(0);
    expect(changed(first)).to.deep.equal([`${HOST}: insert`, `${HOST}: mark`, `${HOST}: table`]);
    const rows = () => site.onHost(HOST, `mysql -N -e "SELECT id, HEX(name) FROM plumbq.people"`).out;
    expect(rows()).to.equal(`1\t${Buffer.from("O'Brien \\ 🐬").toString('hex').toUpperCase()}\n`);

    const second = run('apply', m);
    expect(second.code, failures(second)).to.equal(0);
    expect(changed(second), 'IF NOT EXISTS notes and INSERT IGNORE of no row are ok').to.deep.equal([]);

    site.onHost(HOST, 'rm /srv/name-ok');
    const drifted = rows();
    const check = run('check', m);
    expect(check.code, failures(check)).to.equal(2);
    // The SELECT ran in check mode (a read): its result made `mark` due. The INSERT did not run.
    expect(changed(check)).to.deep.equal([`${HOST}: insert`, `${HOST}: mark`, `${HOST}: table`]);
    expect(rows()).to.equal(drifted);
    expect(site.onHost(HOST, 'test -e /srv/name-ok', true).code).to.equal(1);
  });
});
