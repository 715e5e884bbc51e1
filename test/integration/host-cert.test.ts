// Host certificates: a CA made here signs lb-01's and web-01's ed25519 host keys
// (ssh-keygen -s ca -h -n ADDRESS), sshd serves them (HostCertificate, reloaded), and
// plumb connects with a known_hosts holding only an `@cert-authority` line: directly, and
// to web-01 through lb-01 as a bastion (the probe runs over the forwarded channel). A
// certificate from another CA, or for another name, is refused by name. sshd is put back
// as it was afterwards (the drop-in and the certificates removed, reloaded).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ensureLab, plumbCli } from './lab-fixture.js';
import { SiteRun } from './site-run.js';

const DROPIN = '/etc/ssh/sshd_config.d/plumb-hostcert-test.conf';
const CERT = '/etc/ssh/ssh_host_ed25519_key-cert.pub';
const HOSTS = ['lb-01', 'web-01'];

describe('host certificates (@cert-authority)', function () {
  this.timeout(300_000);
  let site: SiteRun;
  let dir: string;
  let knownHosts: string;

  const keygen = (...args: string[]) => {
    const r = spawnSync('ssh-keygen', ['-q', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')}: ${r.stderr}`);
  };
  /** Sign `host`'s ed25519 host key with `ca` for `principal`, and have its sshd serve the certificate. */
  const certify = (host: string, ca: string, principal: string) => {
    const pub = join(dir, `${host}.pub`);
    writeFileSync(pub, site.onHost(host, 'cat /etc/ssh/ssh_host_ed25519_key.pub').out);
    keygen('-s', join(dir, ca), '-h', '-I', `${host}-test`, '-n', principal, pub);
    const cert = readFileSync(join(dir, `${host}-cert.pub`), 'utf8').trim();
    site.onHost(host, `cat > ${CERT} <<'EOF'\n${cert}\nEOF\necho 'HostCertificate ${CERT}' > ${DROPIN}\nsshd -t && systemctl reload ssh`);
  };
  const run = (...flags: string[]) => plumbCli(['run', 'all', '-i', join(dir, 'inv.yml'), '-a', 'true', ...flags]);

  before(async () => {
    const lab = await ensureLab();
    site = new SiteRun(lab);
    dir = mkdtempSync(join(tmpdir(), 'plumb-hostcert-'));
    keygen('-t', 'ed25519', '-N', '', '-C', 'plumb-test-ca', '-f', join(dir, 'ca'));
    keygen('-t', 'ed25519', '-N', '', '-C', 'plumb-test-other-ca', '-f', join(dir, 'other-ca'));
    knownHosts = join(dir, 'known_hosts');
    // Only the CA: no host key of either host is on record.
    const net = site.addr('lb-01').replace(/\.\d+$/, '.*');
    writeFileSync(knownHosts, `@cert-authority ${net} ${readFileSync(join(dir, 'ca.pub'), 'utf8')}`);
    const host = (name: string, extra = '') =>
      `    ${name}:\n      ansible_host: ${site.addr(name)}\n      ansible_user: root\n      ansible_ssh_private_key_file: ${lab.keyFile}\n      plumb_known_hosts: ${knownHosts}\n${extra}`;
    writeFileSync(join(dir, 'inv.yml'), `all:\n  hosts:\n${host('lb-01')}${host('web-01', `      plumb_proxy_jump: root@${site.addr('lb-01')}\n`)}`);
  });
  after(() => {
    for (const h of HOSTS) site?.onHost(h, `rm -f ${DROPIN} ${CERT}; systemctl reload ssh`, true);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a host without a certificate is refused as unknown, saying it offers none', () => {
    const r = run('-l', 'lb-01');
    expect(r.code, r.out).to.equal(1);
    expect(r.out).to.match(
      /unknown host key for \S+: ssh-ed25519 SHA256:\S+ is not in .* \(known_hosts trusts a host CA for it, but the host offers no certificate\)/,
    );
  });

  it('accepts hosts whose keys the CA signed, directly and through a bastion', () => {
    for (const h of HOSTS) certify(h, 'ca', site.addr(h));
    const r = run();
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/lb-01 \| CHANGED \| rc=0/);
    expect(r.out).to.match(/web-01 \| CHANGED \| rc=0/);
    expect(readFileSync(knownHosts, 'utf8').trim().split('\n'), 'nothing recorded').to.have.length(1);
  });

  it('refuses a certificate from another CA', () => {
    certify('lb-01', 'other-ca', site.addr('lb-01'));
    const r = run('-l', 'lb-01');
    expect(r.code, r.out).to.equal(1);
    expect(r.out).to.match(
      /lb-01: host certificate of \S+ refused: certificate \\?"lb-01-test\\?" \(serial 0\) is signed by a CA that known_hosts does not trust for this host/,
    );
  });

  it('refuses a certificate for another name', () => {
    certify('lb-01', 'ca', 'lb-01.elsewhere.example');
    const r = run('-l', 'lb-01');
    expect(r.code, r.out).to.equal(1);
    // The ad-hoc output is JSON, so the quotes around the host's own text are escaped there.
    expect(r.out).to.include(`is for \\"lb-01.elsewhere.example\\", not for ${site.addr('lb-01')}, the name plumb connects to`);
  });
});
