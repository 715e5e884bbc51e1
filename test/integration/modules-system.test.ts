// The system modules on a real lab host: a small playbook of package, hostname, timezone,
// systemd, wait_for, uri, setup, service_facts and package_facts. First apply changes, second is ok with
// 0 changed, and check after a drift reports it with the host untouched. Resets web-02.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labExecCount } from '../../src/lab/index.js';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, runBookOn, recapOf, SiteRun, type Run } from './site-run.js';

const HOST = 'web-02';
const PLAYBOOK = `- hosts: ${HOST}
  become: true
  tasks:
    - name: ufw installed (package, as in geerlingguy.firewall's "Ensure ufw is installed")
      package:
        name: ufw
        state: present
    - name: hostname
      hostname:
        name: modsys-web
    - name: timezone
      timezone:
        name: Europe/Paris
    - name: ufw stopped and disabled (systemd)
      systemd:
        name: ufw
        state: stopped
        enabled: false
    - name: sshd answers (wait_for)
      wait_for:
        port: 22
        timeout: 10
    - name: the test's HTTP server answers (uri)
      uri:
        url: http://127.0.0.1:8765/hostname
        return_content: true
      register: page
    - name: facts
      setup: {}
    - name: services
      service_facts: {}
    - name: packages
      package_facts:
        manager: auto
    - name: the facts reach later tasks
      copy:
        dest: /etc/modsys-facts
        content: "cpus={{ ansible_processor_vcpus }} os={{ ansible_distribution }} ssh={{ ansible_facts.services['ssh.service'].state }} ufw={{ ansible_facts.packages['ufw'][0].version }}\\n"
`;

describe('system modules on the lab', function () {
  this.timeout(600_000);
  let site: SiteRun;
  let book: string;
  const run = (verb: 'apply' | 'check'): Run => runBookOn(site.lab, verb, book, HOST);

  before(async () => {
    site = new SiteRun(await ensureLab());
    await resetHosts([HOST]);
    const dir = mkdtempSync(join(tmpdir(), 'plumb-modsys-'));
    book = join(dir, 'system.yml');
    writeFileSync(book, PLAYBOOK);
    // The only server uri talks to: started by this test on the host's loopback, gone with the reset.
    site.onHost(
      HOST,
      'systemd-run --unit=modsys-http python3 -m http.server 8765 --bind 127.0.0.1 -d /etc && for i in 1 2 3 4 5 6 7 8 9 10; do bash -c "exec 3<>/dev/tcp/127.0.0.1/8765" 2>/dev/null && break; sleep 0.3; done',
    );
  });
  after(async () => {
    await resetHosts([HOST]);
  });

  it('first apply changes, second is ok with 0 changed, check reports a drift and leaves the host untouched', () => {
    const first = run('apply');
    expect(first.code, failures(first) + first.stderr).to.be.oneOf([0, 2]);
    expect(changed(first)).to.include.members([
      `${HOST}: ufw installed (package, as in geerlingguy.firewall's "Ensure ufw is installed")`,
      `${HOST}: hostname`,
      `${HOST}: timezone`,
      `${HOST}: ufw stopped and disabled (systemd)`,
    ]);
    expect(site.onHost(HOST, 'hostname').out.trim()).to.equal('modsys-web');
    expect(site.onHost(HOST, 'readlink /etc/localtime').out.trim()).to.equal('/usr/share/zoneinfo/Europe/Paris');
    const facts = site.onHost(HOST, 'cat /etc/modsys-facts').out;
    expect(facts).to.match(/^cpus=\d+ os=Debian ssh=running ufw=\d/);

    const before = labExecCount(HOST);
    const second = run('apply');
    expect(second.code, failures(second)).to.equal(0);
    expect(changed(second)).to.deep.equal([]);
    const execs = labExecCount(HOST) - before;
    process.stderr.write(`      [modsys] no-op apply: ${execs} exec(s) on ${HOST}, recap execs ${String(recapOf(second)[HOST]?.execs)}\n`);
    // 1 for facts (wait_for's and uri's reads among them: facts/live.ts), 1 for the task that
    // reads setup's facts (its own facts come after setup ran). Measured: 2 (4 before live reads).
    expect(execs).to.be.at.most(2);

    site.onHost(HOST, 'hostname drifted && echo drifted > /etc/hostname && ln -sfn /usr/share/zoneinfo/UTC /etc/localtime');
    const hash = site.onHost(HOST, 'sha256sum /etc/hostname /etc/modsys-facts; readlink /etc/localtime; hostname').out;
    const check = run('check');
    expect(changed(check)).to.include.members([`${HOST}: hostname`, `${HOST}: timezone`]);
    expect(site.onHost(HOST, 'sha256sum /etc/hostname /etc/modsys-facts; readlink /etc/localtime; hostname').out).to.equal(hash);
  });
});
