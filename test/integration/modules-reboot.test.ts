// reboot on a real lab host (the lab's launcher brings a host back after `systemctl reboot`,
// as a VPS comes back): check says it would reboot and leaves the host up with the same boot
// id; apply reboots it, waits over a new connection for another boot id, and the tasks after
// it run on the rebooted host in the same run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ensureLab } from './lab-fixture.js';
import { failures, runBookOn, SiteRun, tasks } from './site-run.js';

const HOST = 'web-01';
const PLAYBOOK = `- hosts: ${HOST}
  tasks:
    - name: boot id before
      command: cat /proc/sys/kernel/random/boot_id
      register: before
      changed_when: false
      check_mode: false
    - name: reboot the host
      reboot: { reboot_timeout: 120, post_reboot_delay: 1, test_command: "systemctl is-system-running --wait || true" }
      register: rebooted
    - name: boot id after
      command: cat /proc/sys/kernel/random/boot_id
      register: after
      changed_when: false
      check_mode: false
    - name: it changed
      assert: { that: ["check_mode_run || after.stdout !== before.stdout"] }
`;

describe('reboot on the lab', function () {
  this.timeout(300_000);
  let site: SiteRun;
  let dir: string;
  let book: string;
  const bootId = () => site.onHost(HOST, 'cat /proc/sys/kernel/random/boot_id').out.trim();

  before(async () => {
    site = new SiteRun(await ensureLab());
    dir = mkdtempSync(join(tmpdir(), 'plumb-reboot-'));
    book = join(dir, 'reboot.yml');
    writeFileSync(book, PLAYBOOK);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check says it would reboot and reboots nothing', () => {
    const id = bootId();
    const r = runBookOn(site.lab, 'check', book, HOST, ['-e', '{"check_mode_run": true}']);
    expect(r.code, failures(r)).to.equal(2);
    const t = tasks(r).find((x) => x.task === 'reboot the host');
    expect(t?.status).to.equal('changed');
    expect(t?.message).to.match(/^would reboot/);
    expect(bootId()).to.equal(id);
  });

  it('apply reboots, reconnects, and the next tasks run on the rebooted host', () => {
    const id = bootId();
    const r = runBookOn(site.lab, 'apply', book, HOST, ['-e', '{"check_mode_run": false}']);
    expect(r.code, failures(r) + r.stderr).to.equal(0);
    const t = tasks(r).find((x) => x.task === 'reboot the host');
    expect(t?.status).to.equal('changed');
    expect(tasks(r).find((x) => x.task === 'it changed')?.status).to.equal('ok');
    const now = bootId();
    expect(now).to.match(/^[0-9a-f-]{36}$/);
    expect(now).to.not.equal(id);
  });
});
