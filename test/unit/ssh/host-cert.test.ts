import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  CERT_HOST_KEY_ALGOS,
  checkHostCertificate,
  fetchHostCertificate,
  HostCertError,
  packet,
  parseCertificate,
  plainAlgorithms,
  tcp,
} from '../../../src/ssh/host-cert.js';
import type { KnownKey } from '../../../src/ssh/known-hosts.js';
import { removeTree, tree } from '../../fixtures/tree.js';

// Certificates made by the real ssh-keygen, so the parser and verifier are checked against
// OpenSSH's own encoding and signatures, not against a builder of ours.

const blobOf = (pubLine: string): Buffer => Buffer.from(pubLine.trim().split(/\s+/)[1]!, 'base64');
const known = (pubLine: string): KnownKey => {
  const [type, b64] = pubLine.trim().split(/\s+/);
  return { type: type!, blob: Buffer.from(b64!, 'base64') };
};

describe('ssh/host-cert', function () {
  this.timeout(60_000);
  let dir: string;
  const keygen = (...args: string[]) => {
    const r = spawnSync('ssh-keygen', ['-q', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')}: ${r.stderr}`);
  };
  const pub = (name: string) => readFileSync(join(dir, `${name}.pub`), 'utf8');
  let n = 0;
  /** Sign host key `host` with CA `ca`: the certificate blob. */
  const sign = (ca: string, host: string, ...args: string[]): Buffer => {
    const copy = join(dir, `c${n++}`);
    copyFileSync(join(dir, `${host}.pub`), `${copy}.pub`);
    keygen('-s', join(dir, ca), '-I', `id-${n}`, ...args, `${copy}.pub`);
    return blobOf(readFileSync(`${copy}-cert.pub`, 'utf8'));
  };

  before(() => {
    dir = tree({});
    for (const [name, t] of [
      ['ca_ed', ['-t', 'ed25519']],
      ['ca_rsa', ['-t', 'rsa', '-b', '2048']],
      ['ca_ec256', ['-t', 'ecdsa', '-b', '256']],
      ['ca_ec384', ['-t', 'ecdsa', '-b', '384']],
      ['ca_ec521', ['-t', 'ecdsa', '-b', '521']],
      ['ca_other', ['-t', 'ed25519']],
      ['host_ed', ['-t', 'ed25519']],
      ['host_rsa', ['-t', 'rsa', '-b', '2048']],
      ['host_ec', ['-t', 'ecdsa', '-b', '256']],
    ] as const)
      keygen(...t, '-N', '', '-C', name, '-f', join(dir, name));
  });
  after(() => removeTree(dir));

  const NOW = Date.now() / 1000;
  const cases: Array<{
    name: string;
    ca: string;
    host: string;
    args?: string[];
    trust?: string[];
    revoked?: string[];
    principal?: string;
    mangle?: (b: Buffer) => Buffer;
    user?: boolean;
    want: 'ok' | RegExp;
  }> = [
    { name: 'ed25519 CA, ed25519 host key', ca: 'ca_ed', host: 'host_ed', want: 'ok' },
    { name: 'RSA CA (rsa-sha2-512), ed25519 host key', ca: 'ca_rsa', host: 'host_ed', want: 'ok' },
    { name: 'RSA CA signing with rsa-sha2-256', ca: 'ca_rsa', host: 'host_ed', args: ['-t', 'rsa-sha2-256', '-n', '10.0.0.5'], want: 'ok' },
    {
      name: 'RSA CA signing with SHA-1 (ssh-rsa) is refused',
      ca: 'ca_rsa',
      host: 'host_ed',
      args: ['-t', 'ssh-rsa', '-n', '10.0.0.5'],
      want: /signed with ssh-rsa/,
    },
    { name: 'ECDSA P-256 CA', ca: 'ca_ec256', host: 'host_ed', want: 'ok' },
    { name: 'ECDSA P-384 CA', ca: 'ca_ec384', host: 'host_ed', want: 'ok' },
    { name: 'ECDSA P-521 CA', ca: 'ca_ec521', host: 'host_ed', want: 'ok' },
    { name: 'RSA host key', ca: 'ca_ed', host: 'host_rsa', want: 'ok' },
    { name: 'ECDSA host key', ca: 'ca_ec256', host: 'host_ec', want: 'ok' },
    { name: 'one of several principals', ca: 'ca_ed', host: 'host_ed', args: ['-n', 'a.example,10.0.0.5,b'], principal: '10.0.0.5', want: 'ok' },
    { name: 'one of several trusted CAs', ca: 'ca_ed', host: 'host_ed', trust: ['ca_other', 'ca_ed'], want: 'ok' },
    {
      name: 'another CA',
      ca: 'ca_other',
      host: 'host_ed',
      trust: ['ca_ed'],
      want: /signed by a CA that known_hosts does not trust for this host \(SHA256:\S+; trusted: ssh-ed25519 SHA256:/,
    },
    { name: 'another principal', ca: 'ca_ed', host: 'host_ed', args: ['-n', 'other.example'], want: /is for "other\.example", not for 10\.0\.0\.5/ },
    { name: 'a prefix of the name is not the name', ca: 'ca_ed', host: 'host_ed', args: ['-n', '10.0.0.50'], want: /is for "10\.0\.0\.50"/ },
    { name: 'no principals', ca: 'ca_ed', host: 'host_ed', args: [], want: /names no principals; plumb requires 10\.0\.0\.5/ },
    { name: 'a user certificate', ca: 'ca_ed', host: 'host_ed', user: true, want: /is a user certificate/ },
    { name: 'expired', ca: 'ca_ed', host: 'host_ed', args: ['-n', '10.0.0.5', '-V', '20200101:20200102'], want: /expired at 2020-01-0/ },
    { name: 'not yet valid', ca: 'ca_ed', host: 'host_ed', args: ['-n', '10.0.0.5', '-V', '+52w:+53w'], want: /is not valid before 20/ },
    { name: 'valid window including now', ca: 'ca_ed', host: 'host_ed', args: ['-n', '10.0.0.5', '-V', '-1d:+1d'], want: 'ok' },
    { name: 'CA key @revoked', ca: 'ca_ed', host: 'host_ed', revoked: ['ca_ed'], want: /its CA key SHA256:\S+ is marked @revoked/ },
    { name: 'certified key @revoked', ca: 'ca_ed', host: 'host_ed', revoked: ['host_ed'], want: /the host key it certifies is marked @revoked/ },
    {
      name: 'a tampered principal breaks the signature',
      ca: 'ca_ed',
      host: 'host_ed',
      args: ['-n', '10.0.0.4'],
      mangle: (b) => Buffer.from(b.toString('latin1').replace('10.0.0.4', '10.0.0.5'), 'latin1'),
      want: /the CA signature \(SHA256:\S+\) does not verify/,
    },
    { name: 'a truncated certificate', ca: 'ca_ed', host: 'host_ed', mangle: (b) => b.subarray(0, b.length - 10), want: /truncated/ },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.want === 'ok' ? 'accepted' : c.want.source}`, () => {
      // A host certificate (-h) for -n 10.0.0.5 unless the case says otherwise.
      let cert = sign(c.ca, c.host, ...(c.user ? [] : ['-h']), ...(c.args ?? ['-n', '10.0.0.5']));
      if (c.mangle) cert = c.mangle(cert);
      const check = () =>
        checkHostCertificate(cert, {
          authorities: (c.trust ?? [c.ca]).map((k) => known(pub(k))),
          revoked: (c.revoked ?? []).map((k) => known(pub(k))),
          principal: c.principal ?? '10.0.0.5',
          now: NOW,
        });
      if (c.want === 'ok') expect(check().key.equals(blobOf(pub(c.host)))).to.equal(true);
      else expect(check).to.throw(HostCertError, c.want);
    });
  }

  it('parses the fields ssh-keygen wrote', () => {
    const cert = parseCertificate(sign('ca_ed', 'host_ed', '-h', '-n', 'a,b', '-z', '42', '-V', '20300101:20300201'));
    expect(cert).to.include({ certType: 'ssh-ed25519-cert-v01@openssh.com', kind: 2, serial: 42n });
    expect(cert.keyId).to.match(/^id-\d+$/);
    expect(cert.principals).to.deep.equal(['a', 'b']);
    expect(cert.validAfter < cert.validBefore).to.equal(true);
    expect(cert.caKey.equals(blobOf(pub('ca_ed')))).to.equal(true);
    expect(cert.criticalOptions).to.deep.equal([]);
  });

  it('plainAlgorithms: the algorithms that present the certified key', () => {
    expect(plainAlgorithms('ssh-ed25519')).to.deep.equal(['ssh-ed25519']);
    expect(plainAlgorithms('ssh-rsa')).to.deep.equal(['rsa-sha2-512', 'rsa-sha2-256']);
    expect(plainAlgorithms('ecdsa-sha2-nistp384')).to.deep.equal(['ecdsa-sha2-nistp384']);
  });

  describe('the probe (against a fake sshd on loopback)', () => {
    const str = (s: string | Buffer) => {
      const b = typeof s === 'string' ? Buffer.from(s) : s;
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length);
      return Buffer.concat([l, b]);
    };
    const kexinit = (hostKeys: string[]) =>
      Buffer.concat([
        Buffer.from([20]),
        Buffer.alloc(16),
        ...[
          'curve25519-sha256,ecdh-sha2-nistp256',
          hostKeys.join(','),
          'aes128-ctr',
          'aes128-ctr',
          'hmac-sha2-256',
          'hmac-sha2-256',
          'none',
          'none',
          '',
          '',
        ].map(str),
        Buffer.alloc(5),
      ]);
    /** The client's packets as (type, payload), after its version line. */
    const clientPackets = (data: Buffer): Buffer[] => {
      let b = data.subarray(data.indexOf(0x0a) + 1);
      const out: Buffer[] = [];
      while (b.length >= 4 && b.length >= 4 + b.readUInt32BE(0)) {
        const len = b.readUInt32BE(0);
        out.push(b.subarray(5, 4 + len - b[4]!));
        b = b.subarray(4 + len);
      }
      return out;
    };
    let server: Server;
    let port: number;
    let behave: (s: Socket, data: Buffer) => void;
    const seen: Buffer[] = [];
    before(async () => {
      server = createServer((s) => {
        let data = Buffer.alloc(0);
        s.on('data', (d: Buffer) => {
          data = Buffer.concat([data, d]);
          seen.length = 0;
          seen.push(data);
          behave(s, data);
        });
        s.on('error', () => {});
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    const cert = () => sign('ca_ed', 'host_ed', '-h', '-n', '127.0.0.1');
    const serve =
      (hostKeys: string[], reply?: Buffer, banner = '') =>
      (s: Socket, data: Buffer) => {
        const pk = clientPackets(data);
        if (pk.length === 1) s.write(Buffer.concat([Buffer.from(`${banner}SSH-2.0-fake\r\n`), packet(kexinit(hostKeys))]));
        if (pk.length === 2 && reply) s.write(packet(Buffer.concat([Buffer.from([31]), str(reply), str(Buffer.alloc(32)), str('sig')])));
      };

    it('offers only certificate host key algorithms and returns the host key of the KEX reply', async () => {
      const c = cert();
      behave = serve(['ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com'], c, 'a pre-version line\r\n');
      const got = await fetchHostCertificate(await tcp('127.0.0.1', port, 2000), 2000);
      expect(got?.equals(c)).to.equal(true);
      const [init, ecdh] = clientPackets(seen[0]!);
      const lists = init!.subarray(17);
      const kex = lists.readUInt32BE(0);
      const hk = lists.subarray(4 + kex + 4, 4 + kex + 4 + lists.readUInt32BE(4 + kex)).toString();
      expect(hk.split(',')).to.deep.equal(CERT_HOST_KEY_ALGOS);
      expect(ecdh![0]).to.equal(30);
      expect(ecdh!.readUInt32BE(1)).to.equal(32); // an X25519 public key
    });

    it('undefined when the host offers no certificate', async () => {
      behave = serve(['ssh-ed25519', 'rsa-sha2-512']);
      expect(await fetchHostCertificate(await tcp('127.0.0.1', port, 2000), 2000)).to.equal(undefined);
    });

    it('a host that never answers is a timeout', async () => {
      behave = () => {};
      const sock = await tcp('127.0.0.1', port, 2000);
      await fetchHostCertificate(sock, 300).then(
        () => expect.fail('resolved'),
        (e: Error) => expect(e.message).to.match(/Timed out while waiting for handshake/),
      );
    });

    it('a host that closes the connection is an error', async () => {
      behave = (s) => s.end('SSH-2.0-fake\r\n');
      await fetchHostCertificate(await tcp('127.0.0.1', port, 2000), 2000).then(
        () => expect.fail('resolved'),
        (e: Error) => expect(e.message).to.match(/connection closed during the certificate probe/),
      );
    });
  });
});
