import { expect } from 'chai';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authoritiesFor, fingerprint, hostToken, keyType, knownTypes, recordHostKey, verifyHostKey } from '../../../src/ssh/known-hosts.js';
import { removeTree, tree } from '../../fixtures/tree.js';

/** An SSH public key blob: string type, then key material (random here; only bytes are compared). */
function blob(type: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, randomBytes(32)]);
}
const b64 = (b: Buffer): string => b.toString('base64');

/** OpenSSH HashKnownHosts form: |1|base64(salt)|base64(HMAC-SHA1(salt, token)). */
function hashed(token: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
}

describe('ssh/known-hosts', () => {
  const ed = blob('ssh-ed25519');
  const ed2 = blob('ssh-ed25519');
  const rsa = blob('ssh-rsa');
  const other = blob('ssh-ed25519');
  let dir: string;
  let file: string;
  before(() => {
    dir = tree({
      known_hosts:
        [
          '# comment line',
          '',
          `web1.example,10.0.0.1 ssh-ed25519 ${b64(ed)}`,
          `[10.0.0.2]:2222 ssh-ed25519 ${b64(ed)} comment here`,
          `${hashed('secret-host')} ssh-ed25519 ${b64(ed2)}`,
          `${hashed('[10.0.0.3]:2200')} ssh-ed25519 ${b64(ed2)}`,
          `rsa-only ssh-rsa ${b64(rsa)}`,
          `*.lab,!bad.lab ssh-ed25519 ${b64(other)}`,
          `@revoked revoked-host ssh-ed25519 ${b64(ed)}`,
          `revoked-host ssh-ed25519 ${b64(ed)}`,
          `@cert-authority *.example ssh-ed25519 ${b64(ed2)}`,
          'garbage-line-without-fields',
        ].join('\n') + '\n',
    });
    file = join(dir, 'known_hosts');
  });
  after(() => removeTree(dir));

  it('hostToken: bare for port 22, [host]:port otherwise', () => {
    expect(hostToken('10.0.0.1', 22)).to.equal('10.0.0.1');
    expect(hostToken('10.0.0.1', 2222)).to.equal('[10.0.0.1]:2222');
  });

  it('keyType reads the blob type', () => {
    expect(keyType(ed)).to.equal('ssh-ed25519');
    expect(keyType(rsa)).to.equal('ssh-rsa');
    expect(keyType(Buffer.alloc(2))).to.equal('unknown');
  });

  const cases: Array<{ name: string; token: string; key: () => Buffer; want: string; line?: number }> = [
    { name: 'plain host, first of a comma list', token: 'web1.example', key: () => ed, want: 'match' },
    { name: 'plain host, second of a comma list', token: '10.0.0.1', key: () => ed, want: 'match' },
    { name: 'unknown host', token: 'stranger', key: () => ed, want: 'unknown' },
    { name: 'same type, different key', token: 'web1.example', key: () => ed2, want: 'changed', line: 3 },
    { name: 'known host offering a type we have no record of', token: 'rsa-only', key: () => ed, want: 'changed', line: 7 },
    { name: '[host]:port token', token: '[10.0.0.2]:2222', key: () => ed, want: 'match' },
    { name: '[host]:port is not the bare host', token: '10.0.0.2', key: () => ed, want: 'unknown' },
    { name: 'bare host is not [host]:port', token: '[10.0.0.1]:2222', key: () => ed, want: 'unknown' },
    { name: '[host]:port with a changed key', token: '[10.0.0.2]:2222', key: () => ed2, want: 'changed', line: 4 },
    { name: 'hashed entry', token: 'secret-host', key: () => ed2, want: 'match' },
    { name: 'hashed entry, changed key', token: 'secret-host', key: () => ed, want: 'changed', line: 5 },
    { name: 'hashed [host]:port entry', token: '[10.0.0.3]:2200', key: () => ed2, want: 'match' },
    { name: 'hashed entry does not match another host', token: 'secret-hos', key: () => ed2, want: 'unknown' },
    { name: 'glob pattern', token: 'a.lab', key: () => other, want: 'match' },
    { name: 'negated pattern', token: 'bad.lab', key: () => other, want: 'unknown' },
    { name: '@revoked key is refused even though it is also listed', token: 'revoked-host', key: () => ed, want: 'revoked', line: 9 },
    { name: '@cert-authority lines are not host keys', token: 'x.example', key: () => ed2, want: 'unknown' },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.want}`, () => {
      const v = verifyHostKey([file], c.token, c.key());
      expect(v.result).to.equal(c.want);
      if (c.line !== undefined) expect(v).to.include({ file, line: c.line });
    });
  }

  it('changed reports the known type', () => {
    expect(verifyHostKey([file], 'web1.example', ed2)).to.deep.equal({ result: 'changed', file, line: 3, knownType: 'ssh-ed25519' });
  });

  it('missing files are skipped; later files are consulted', () => {
    expect(verifyHostKey([join(dir, 'nope'), file], 'web1.example', ed).result).to.equal('match');
  });

  it('knownTypes lists the key types on record for a host', () => {
    expect(knownTypes([file], 'rsa-only')).to.deep.equal(['ssh-rsa']);
    expect(knownTypes([file], 'revoked-host')).to.deep.equal(['ssh-ed25519']);
    expect(knownTypes([file], 'stranger')).to.deep.equal([]);
  });

  it('authoritiesFor: the @cert-authority and @revoked keys whose patterns match the host', () => {
    expect(authoritiesFor([file], 'x.example')).to.deep.equal({ authorities: [{ type: 'ssh-ed25519', blob: ed2 }], revoked: [] });
    expect(authoritiesFor([file], 'revoked-host')).to.deep.equal({ authorities: [], revoked: [{ type: 'ssh-ed25519', blob: ed }] });
    expect(authoritiesFor([file], 'stranger')).to.deep.equal({ authorities: [], revoked: [] });
  });

  it('recordHostKey appends a line (creating the file 0600) that then matches', () => {
    const f = join(dir, 'sub', 'recorded_hosts');
    const key = blob('ecdsa-sha2-nistp256');
    expect(verifyHostKey([f], '[127.0.0.1]:2201', key).result).to.equal('unknown');
    recordHostKey(f, '[127.0.0.1]:2201', key);
    expect(verifyHostKey([f], '[127.0.0.1]:2201', key).result).to.equal('match');
    expect(verifyHostKey([f], '127.0.0.1', key).result).to.equal('unknown');
    recordHostKey(f, 'other', ed);
    expect(readFileSync(f, 'utf8')).to.equal(`[127.0.0.1]:2201 ecdsa-sha2-nistp256 ${b64(key)}\nother ssh-ed25519 ${b64(ed)}\n`);
  });

  it('fingerprint is OpenSSH SHA256 without padding', () => {
    expect(fingerprint(ed)).to.equal('SHA256:' + createHash('sha256').update(ed).digest('base64').replace(/=+$/, ''));
    expect(fingerprint(ed)).not.to.match(/=$/);
  });
});
