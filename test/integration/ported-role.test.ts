// A role ported from a public Ansible role: dev-sec's ssh_hardening (ansible-collection-hardening)
// as playbooks/roles/ssh_hardening, in Ansible's role layout. It uses include_tasks (with when),
// include_vars with with_first_found, set_fact with templated names over with_dict,
// loop_control, changed_when, failed_when, check_mode: false, block, assert and the version
// test. On web-02: apply changes it and restarts sshd, a second apply is ok with 0 changed,
// check exits 0; a hand edit is named by check and undone by apply. Resets web-02 after.
import { expect } from 'chai';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, ROOT, runBookOn, type Run, SiteRun } from './site-run.js';
import { join } from 'node:path';

const HOST = 'web-02';
const BOOK = join(ROOT, 'playbooks/ssh-hardening.yml');
// The lab logs in as root with a key: the role's default "no" would lock the test out.
const ARGS = ['-e', '{"ssh_permit_root_login": "prohibit-password"}'];
const DROP_IN = '/etc/ssh/sshd_config.d/10-hardening.conf';
const sshdPid = 'systemctl show -p MainPID --value ssh';

describe('a ported public role (dev-sec ssh_hardening) on the lab', function () {
  this.timeout(600_000);
  let site: SiteRun;
  const run = (verb: 'apply' | 'check', more: string[] = []): Run => runBookOn(site.lab, verb, BOOK, HOST, [...ARGS, ...more]);

  before(async () => {
    site = new SiteRun(await ensureLab());
  });
  after(async () => {
    await resetHosts([HOST]);
  });

  it('changes then is ok, check exits 0, and a hand edit is named by check and undone by apply', () => {
    const pid0 = site.onHost(HOST, sshdPid).out.trim();
    const first = run('apply');
    expect(first.code, failures(first) + first.stderr).to.equal(0);
    expect(changed(first)).to.include.members([
      `${HOST}: Create the sshd hardening drop-in and set permissions to root/600`,
      `${HOST}: Create revoked_keys and set permissions to root/600`,
      `${HOST}: Create ssh_config drop-in and set permissions to root/644`,
      `${HOST}: handler Restart sshd`,
    ]);
    // sshd runs with the drop-in: the OpenSSH 9.2 defaults of crypto_kex.yml (>= 8.5), 0600.
    const live = site.onHost(
      HOST,
      'sshd -T -C user=root,host=localhost,addr=127.0.0.1 | grep -E "^(kexalgorithms|maxauthtries|permitrootlogin|x11forwarding) "; stat -c "%a %U" ' + DROP_IN,
    ).out;
    expect(live).to.match(
      /^kexalgorithms sntrup761x25519-sha512@openssh\.com,curve25519-sha256@libssh\.org,curve25519-sha256,diffie-hellman-group-exchange-sha256$/m,
    );
    expect(live).to.match(/^maxauthtries 2$/m);
    expect(live).to.match(/^permitrootlogin without-password$/m); // sshd -T's name for prohibit-password
    expect(live).to.match(/^x11forwarding no$/m);
    expect(live).to.match(/^600 root$/m);
    const pid1 = site.onHost(HOST, sshdPid).out.trim();
    expect(pid1).to.not.equal(pid0); // the handler restarted sshd
    expect(site.onHost(HOST, "awk '$5 < 2048' /etc/ssh/moduli | wc -l").out.trim()).to.equal('0');

    const second = run('apply'); // a new connection through the hardened sshd
    expect(second.code, failures(second)).to.equal(0);
    expect(changed(second)).to.deep.equal([]);
    expect(site.onHost(HOST, sshdPid).out.trim()).to.equal(pid1);

    const clean = run('check');
    expect(clean.code, failures(clean)).to.equal(0);

    site.onHost(HOST, `sed -i 's/^MaxAuthTries 2$/MaxAuthTries 6/' ${DROP_IN}`);
    const edited = site.onHost(HOST, `sha256sum ${DROP_IN}`).out;
    const drift = run('check', ['--diff']);
    expect(drift.code, failures(drift)).to.equal(2);
    expect(changed(drift)).to.deep.equal([`${HOST}: Create the sshd hardening drop-in and set permissions to root/600`, `${HOST}: handler Restart sshd`]);
    const diff = drift.events.filter((e) => e.type === 'task' && e.status === 'changed').flatMap((e) => (e.diff ?? []) as { before: string; after: string }[]);
    expect(diff.map((d) => d.before).join('')).to.include('MaxAuthTries 6\n');
    expect(diff.map((d) => d.after).join('')).to.include('MaxAuthTries 2\n');
    expect(site.onHost(HOST, `sha256sum ${DROP_IN}`).out).to.equal(edited);

    const fix = run('apply');
    expect(fix.code, failures(fix)).to.equal(0);
    expect(site.onHost(HOST, 'sshd -T -C user=root,host=localhost,addr=127.0.0.1 | grep ^maxauthtries').out.trim()).to.equal('maxauthtries 2');
  });
});
