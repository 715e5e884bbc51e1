// ProxyJump specs, ssh arguments and the ~/.ssh/config keys that change where and how plumb
// connects: each case is data, parsed without a connection.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConnection } from '../../../src/ssh/connection.js';
import { jumpFromSshArgs, parseProxyJump } from '../../../src/ssh/jump.js';

describe('ssh/jump', () => {
  const hops: Array<[string, unknown]> = [
    ['lb-01', [{ host: 'lb-01' }]],
    ['root@10.0.0.1:2222', [{ user: 'root', host: '10.0.0.1', port: 2222 }]],
    ['a,b@c:23', [{ host: 'a' }, { user: 'b', host: 'c', port: 23 }]],
    ['ssh://ops@bastion:2200', [{ user: 'ops', host: 'bastion', port: 2200 }]],
    ['u@[fe80::1]:22', [{ user: 'u', host: 'fe80::1', port: 22 }]],
    ['none', []],
  ];
  for (const [spec, want] of hops) it(`ProxyJump ${spec}`, () => expect(parseProxyJump(spec)).to.deep.equal(want));
  for (const bad of ['a:b', 'a:99999', '@h', 'a b']) it(`refuses ProxyJump ${bad}`, () => expect(() => parseProxyJump(bad)).to.throw(/bad ProxyJump hop/));

  const args: Array<[string, string | undefined | RegExp]> = [
    ['-J root@lb:22', 'root@lb:22'],
    ['-Jlb', 'lb'],
    ['-o ProxyJump=a,b', 'a,b'],
    ['-oProxyJump=lb -o StrictHostKeyChecking=no', 'lb'],
    ["-o 'ProxyJump lb'", 'lb'],
    ['-o ControlMaster=auto -o ControlPersist=60s', undefined],
    ['-o ProxyCommand="ssh -W %h:%p lb"', /ProxyCommand is not supported/],
    ['-o ProxyCommand=none', undefined],
    ['-J', /needs a value/],
  ];
  for (const [a, want] of args) {
    it(`ansible_ssh_common_args ${a}`, () => {
      if (want instanceof RegExp) expect(() => jumpFromSshArgs(a)).to.throw(want);
      else expect(jumpFromSshArgs(a)).to.equal(want);
    });
  }

  describe('~/.ssh/config', () => {
    let dir: string;
    let cfg: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'plumb-jump-'));
      cfg = join(dir, 'config');
      writeFileSync(join(dir, 'key'), 'x');
      writeFileSync(
        cfg,
        [
          'Host web-*',
          '  proxyjump ops@lb-01:2222',
          '  ConnectTimeout 4',
          '  ServerAliveInterval 7',
          '  ServerAliveCountMax 2',
          'Host lb-01',
          '  HostName 10.0.0.11',
          `  IdentityFile ${join(dir, 'key')}`,
          `  UserKnownHostsFile ${join(dir, 'kh')}`,
          'Host chained',
          '  ProxyJump lb-01,web-09',
          'Match host strict',
          '  StrictHostKeyChecking accept-new',
          '  IdentitiesOnly yes',
          'Host proxied',
          '  ProxyCommand nc %h %p',
          'Host inc',
          '  Include other.conf',
          'Host certified',
          '  CertificateFile ~/.ssh/id_ed25519-cert.pub',
          '',
        ].join('\n'),
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const conn = (address: string, more = {}) => ({ address, become: false, ...more });

    it('a host behind a bastion: the bastion is resolved under its own name, settings per host', () => {
      const r = resolveConnection(conn('web-01', { keyFile: '/k', knownHosts: '/kh' }), 'me', cfg);
      expect(r).to.include({ address: 'web-01', port: 22, user: 'me', connectTimeoutMs: 4000, keepaliveIntervalMs: 7000, keepaliveCountMax: 2 });
      expect(r.jumps).to.have.length(1);
      expect(r.jumps[0]).to.include({ address: '10.0.0.11', port: 2222, user: 'ops', recordTo: join(dir, 'kh') });
      expect(r.jumps[0]!.keyFiles).to.deep.equal([join(dir, 'key')]);
    });
    it('a chain: each hop in order, a hop with its own jump comes after that jump', () => {
      const r = resolveConnection(conn('chained'), 'me', cfg);
      expect(r.jumps.map((j) => `${j.user}@${j.address}:${j.port}`)).to.deep.equal(['me@10.0.0.11:22', 'ops@10.0.0.11:2222', 'me@web-09:22']);
    });
    it('the inventory jump wins over the config, and a bastion inherits the target key and known_hosts', () => {
      const r = resolveConnection(conn('web-01', { proxyJump: 'root@10.9.9.9', keyFile: '/k', knownHosts: '/kh' }), 'me', cfg);
      expect(r.jumps.map((j) => [j.address, j.user, j.keyFiles, j.knownHosts])).to.deep.equal([['10.9.9.9', 'root', ['/k'], ['/kh']]]);
    });
    it('Match host, StrictHostKeyChecking accept-new, IdentitiesOnly', () => {
      expect(resolveConnection(conn('strict'), 'me', cfg)).to.include({ acceptNew: true, identitiesOnly: true });
    });
    const refused: Array<[string, RegExp]> = [
      ['proxied', /ProxyCommand is not supported/],
      ['inc', /Include is not supported/],
      ['certified', /CertificateFile is not supported: ssh2, the SSH library plumb uses, cannot offer user certificates/],
    ];
    for (const [host, why] of refused) it(`refuses ${host}`, () => expect(() => resolveConnection(conn(host), 'me', cfg)).to.throw(why));
    it('ProxyCommand is overridden by an inventory jump', () => {
      expect(resolveConnection(conn('proxied', { proxyJump: 'lb' }), 'me', cfg).jumps).to.have.length(1);
    });
  });
});
