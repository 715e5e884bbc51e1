// Play keywords on the lab (issue 11): remote_user connects as a user the inventory does not
// name, become_user runs a change as another user through sudo -u, and any_errors_fatal
// stops the other web server before its next task and the later play. A user `kwuser` with
// passwordless sudo is made on both web servers for the test and removed after.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { ensureLab } from './lab-fixture.js';
import { ROOT, SiteRun } from './site-run.js';

const CLI = resolve(ROOT, 'dist/src/cli/main.js');
const WEB = ['web-01', 'web-02'];

describe('play keywords on the lab: remote_user, become_user, any_errors_fatal', function () {
  this.timeout(300_000);
  let site: SiteRun;
  let dir: string;

  const plumb = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args, '-i', join(dir, 'inv.yml')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };

  before(async () => {
    const lab = await ensureLab();
    site = new SiteRun(lab);
    dir = mkdtempSync(join(tmpdir(), 'plumb-keywords-'));
    for (const h of WEB)
      site.onHost(
        h,
        'id kwuser >/dev/null 2>&1 || useradd -m -s /bin/sh kwuser; mkdir -p ~kwuser/.ssh; cp /root/.ssh/authorized_keys ~kwuser/.ssh/; chown -R kwuser ~kwuser/.ssh; ' +
          "echo 'kwuser ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/plumb-kw; chmod 0440 /etc/sudoers.d/plumb-kw; rm -rf /tmp/plumb-kw; mkdir -m 1777 /tmp/plumb-kw",
      );
    // No ansible_user: the plays' remote_user says whom to connect as.
    const hosts = WEB.map((h) => `    ${h}:\n      ansible_host: ${site.addr(h)}\n`).join('');
    writeFileSync(
      join(dir, 'inv.yml'),
      `all:\n  vars:\n    ansible_ssh_private_key_file: ${lab.keyFile}\n    plumb_known_hosts: ${lab.knownHosts}\n  hosts:\n${hosts}`,
    );
  });
  after(() => {
    for (const h of WEB) site.onHost(h, 'userdel -r kwuser 2>/dev/null; rm -rf /etc/sudoers.d/plumb-kw /tmp/plumb-kw', true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('remote_user connects as kwuser; become_user runs a change as nobody; become alone as root', () => {
    writeFileSync(
      join(dir, 'users.yml'),
      `- hosts: web-01
  remote_user: kwuser
  vars: {other: nobody}
  tasks:
    - name: as whom the connection is
      command: id -un
      register: conn
      changed_when: false
    - name: as whom become_user runs
      command: id -un
      register: as_other
      changed_when: false
      become: true
      become_user: "{{ other }}"
    - name: a file written by nobody
      copy: { content: "{{ conn.stdout }} {{ as_other.stdout }}\\n", dest: /tmp/plumb-kw/by-nobody }
      become: true
      become_user: nobody
    - name: a root-only file
      copy: { content: "root\\n", dest: /root/plumb-kw-root, mode: "0600" }
      become: true
`,
    );
    const r = plumb('apply', join(dir, 'users.yml'));
    expect(r.code, r.out).to.equal(0);
    expect(site.onHost('web-01', 'cat /tmp/plumb-kw/by-nobody; stat -c %U /tmp/plumb-kw/by-nobody /root/plumb-kw-root').out).to.equal(
      'kwuser nobody\nnobody\nroot\n',
    );
    const again = plumb('apply', join(dir, 'users.yml'));
    expect(again.code, again.out).to.equal(0);
    expect(again.out, again.out).to.match(/^web-01 +\d+ +0 +0 /m);
    site.onHost('web-01', 'rm -f /root/plumb-kw-root', true);
  });

  it('any_errors_fatal: web-01 fails, web-02 stops before its next task, the later play never starts; exit 1', () => {
    writeFileSync(
      join(dir, 'fatal.yml'),
      `- hosts: all
  remote_user: kwuser
  any_errors_fatal: true
  tasks:
    - name: fails on web-01, takes a while on web-02
      shell: "if [ {{ inventory_hostname }} = web-01 ]; then exit 3; fi; sleep 2"
    - name: next
      copy: { content: "x\\n", dest: /tmp/plumb-kw/next }
- hosts: web-02
  tasks:
    - name: later play
      copy: { content: "x\\n", dest: /tmp/plumb-kw/later }
`,
    );
    const r = plumb('apply', join(dir, 'fatal.yml'));
    expect(r.code, r.out).to.equal(1);
    expect(r.out).to.match(/play stopped: web-01 failed 'fails on web-01, takes a while on web-02' \(any_errors_fatal\)/);
    for (const h of WEB) expect(site.onHost(h, 'ls /tmp/plumb-kw').out, h).to.not.match(/next|later/);
  });

  it('two plays naming different remote users for one host: refused before anything connects', () => {
    writeFileSync(
      join(dir, 'conflict.yml'),
      '- hosts: web-01\n  remote_user: kwuser\n  tasks:\n    - command: "true"\n- hosts: web-01\n  remote_user: root\n  tasks:\n    - command: "true"\n',
    );
    const r = plumb('check', join(dir, 'conflict.yml'));
    expect(r.code, r.out).to.equal(1);
    expect(r.out).to.match(/conflict\.yml:6:\d+: remote_user root for web-01, but play 'web-01' connects to it as kwuser/);
    expect(r.out).to.match(/nothing was run/);
  });
});
