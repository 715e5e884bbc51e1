// Host certificates (`@cert-authority` lines in known_hosts). ssh2 knows no certificate
// algorithms (its serverHostKey list refuses them), so the certificate is fetched by a
// probe of our own: a plaintext SSH key exchange that offers only *-cert-v01 host key
// algorithms and stops at the server's KEX reply, whose host key is the certificate. The
// certificate is checked here (host type, a trusted CA's signature verified with
// node:crypto, the name plumb connects to among its principals, validity now, no critical
// options, nothing @revoked); the real connection then negotiates the plain key it
// certifies, and ssh2 checks that the host holds that key's private half.
// The probe needs no proof from the host: the certificate is public, and the CA's
// signature is what binds the key to the host's name.
import { createECDH, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { fingerprint, type KnownKey } from './known-hosts.js';

/** A certificate plumb will not accept, with the reason in words. */
export class HostCertError extends Error {}

export interface OpenSshCert {
  /** The certificate's own algorithm, e.g. ssh-ed25519-cert-v01@openssh.com. */
  certType: string;
  /** The certified public key, as a plain SSH key blob (what the real connection is offered). */
  key: Buffer;
  serial: bigint;
  /** 1: user, 2: host. */
  kind: number;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  validBefore: bigint;
  criticalOptions: string[];
  /** The signing CA's public key blob. */
  caKey: Buffer;
  signature: Buffer;
  /** The bytes the CA signed: everything up to and including the CA key. */
  signed: Buffer;
}

/** Per certificate type: the plain key type, and how many length-prefixed fields its key has. */
const CERT_TYPES: Record<string, { keyType: string; fields: number }> = {
  'ssh-ed25519-cert-v01@openssh.com': { keyType: 'ssh-ed25519', fields: 1 },
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': { keyType: 'ecdsa-sha2-nistp256', fields: 2 },
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': { keyType: 'ecdsa-sha2-nistp384', fields: 2 },
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': { keyType: 'ecdsa-sha2-nistp521', fields: 2 },
  'ssh-rsa-cert-v01@openssh.com': { keyType: 'ssh-rsa', fields: 2 },
};

/** Host key algorithms the probe offers, in OpenSSH's order; rsa-sha2-* name the RSA certificate too. */
export const CERT_HOST_KEY_ALGOS = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
];

/** The plain host key algorithms that present a key of this type (for the real connection). */
export function plainAlgorithms(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'] : [keyType];
}

/** SSH wire-format reader (RFC 4251 strings, uint32, uint64), bounds-checked. */
class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new HostCertError(`${this.what}: truncated`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A string with its length prefix, as it appears in the buffer. */
  raw(): Buffer {
    const start = this.pos;
    this.bytes();
    return this.buf.subarray(start, this.pos);
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
  end(): boolean {
    return this.pos === this.buf.length;
  }
}

const sshString = (b: Buffer | string): Buffer => {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};

function stringList(b: Buffer, what: string): string[] {
  const r = new Reader(b, what);
  const out: string[] = [];
  while (!r.end()) out.push(r.text());
  return out;
}

/** Critical options are (name, data) pairs; only the names matter here. */
function optionNames(b: Buffer): string[] {
  const r = new Reader(b, 'certificate options');
  const out: string[] = [];
  while (!r.end()) {
    out.push(r.text());
    r.bytes();
  }
  return out;
}

/** An OpenSSH certificate blob (PROTOCOL.certkeys). */
export function parseCertificate(blob: Buffer): OpenSshCert {
  const r = new Reader(blob, 'host certificate');
  const certType = r.text();
  const spec = CERT_TYPES[certType];
  if (!spec) throw new HostCertError(`unsupported certificate type ${certType}`);
  r.bytes(); // nonce
  const fields: Buffer[] = [];
  for (let i = 0; i < spec.fields; i++) fields.push(r.raw());
  const key = Buffer.concat([sshString(spec.keyType), ...fields]);
  const serial = r.u64();
  const kind = r.u32();
  const keyId = r.text();
  const principals = stringList(r.bytes(), 'certificate principals');
  const validAfter = r.u64();
  const validBefore = r.u64();
  const criticalOptions = optionNames(r.bytes());
  r.bytes(); // extensions
  r.bytes(); // reserved
  const caKey = r.bytes();
  const signed = blob.subarray(0, r.pos);
  const signature = r.bytes();
  if (!r.end()) throw new HostCertError('host certificate: trailing data');
  return { certType, key, serial, kind, keyId, principals, validAfter, validBefore, criticalOptions, caKey, signature, signed };
}

const b64url = (b: Buffer): string => b.toString('base64url');
const unsigned = (b: Buffer): Buffer => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

const CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', size: 66, hash: 'sha512' },
};

/** A plain SSH public key blob as a node:crypto key, with its type. */
export function publicKeyOf(blob: Buffer): { type: string; key: KeyObject; curve?: (typeof CURVES)[string] } {
  const r = new Reader(blob, 'CA key');
  const type = r.text();
  if (type === 'ssh-ed25519') return { type, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(r.bytes()) }, format: 'jwk' }) };
  if (type === 'ssh-rsa') {
    const e = unsigned(r.bytes());
    const n = unsigned(r.bytes());
    return { type, key: createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' }) };
  }
  const curve = CURVES[type.replace(/^ecdsa-sha2-/, '')];
  if (type.startsWith('ecdsa-sha2-') && curve) {
    r.bytes(); // curve name, again
    const q = r.bytes();
    if (q[0] !== 4 || q.length !== 1 + 2 * curve.size) throw new HostCertError(`${type} CA key: only uncompressed points are supported`);
    const x = q.subarray(1, 1 + curve.size);
    const y = q.subarray(1 + curve.size);
    return { type, curve, key: createPublicKey({ key: { kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) }, format: 'jwk' }) };
  }
  throw new HostCertError(`unsupported CA key type ${type}`);
}

/** Does the CA key's signature (an SSH signature blob) sign `data`? Refuses SHA-1 RSA, as OpenSSH does. */
export function verifySshSignature(caBlob: Buffer, data: Buffer, sigBlob: Buffer): boolean {
  const ca = publicKeyOf(caBlob);
  const r = new Reader(sigBlob, 'certificate signature');
  const alg = r.text();
  const sig = r.bytes();
  if (ca.type === 'ssh-ed25519') return alg === 'ssh-ed25519' && verify(null, data, ca.key, sig);
  if (ca.type === 'ssh-rsa') {
    const hash = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' }[alg];
    if (!hash) throw new HostCertError(`the CA signed with ${alg}, which plumb (like OpenSSH) does not accept: re-sign with -t rsa-sha2-512`);
    return verify(hash, data, ca.key, sig);
  }
  if (alg !== ca.type || !ca.curve) return false;
  const rs = new Reader(sig, 'ECDSA signature');
  const pad = (b: Buffer) => {
    const u = unsigned(b);
    if (u.length > ca.curve!.size) throw new HostCertError('ECDSA signature: value too large');
    return Buffer.concat([Buffer.alloc(ca.curve!.size - u.length), u]);
  };
  const p1363 = Buffer.concat([pad(rs.bytes()), pad(rs.bytes())]);
  return verify(ca.curve.hash, data, { key: ca.key, dsaEncoding: 'ieee-p1363' }, p1363);
}

export interface CertCheck {
  /** Keys of the @cert-authority lines that match the host. */
  authorities: readonly KnownKey[];
  /** Keys of the @revoked lines that match the host. */
  revoked: readonly KnownKey[];
  /** The name plumb connects to (the address after HostName). */
  principal: string;
  /** Seconds since the epoch. */
  now: number;
}

const FOREVER = 0xffff_ffff_ffff_ffffn;

function when(t: bigint): string {
  return t === FOREVER ? 'forever' : new Date(Number(t) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** Check a host certificate as OpenSSH's client does; the certified key on success, HostCertError otherwise. */
export function checkHostCertificate(blob: Buffer, c: CertCheck): OpenSshCert {
  const cert = parseCertificate(blob);
  // Key id and principals come from the host before any signature is checked: shown quoted
  // (JSON), so control characters cannot reach the operator's terminal.
  const id = `certificate ${JSON.stringify(cert.keyId.slice(0, 200))} (serial ${cert.serial})`;
  if (cert.kind !== 2) throw new HostCertError(`${id} is a user certificate, not a host certificate`);
  const ca = `${fingerprint(cert.caKey)}`;
  if (!c.authorities.some((a) => a.blob.equals(cert.caKey))) {
    const trusted = c.authorities.map((a) => `${a.type} ${fingerprint(a.blob)}`).join(', ');
    throw new HostCertError(`${id} is signed by a CA that known_hosts does not trust for this host (${ca}; trusted: ${trusted})`);
  }
  if (!verifySshSignature(cert.caKey, cert.signed, cert.signature)) throw new HostCertError(`${id}: the CA signature (${ca}) does not verify`);
  if (c.revoked.some((k) => k.blob.equals(cert.caKey))) throw new HostCertError(`${id}: its CA key ${ca} is marked @revoked`);
  if (c.revoked.some((k) => k.blob.equals(cert.key))) throw new HostCertError(`${id}: the host key it certifies is marked @revoked`);
  if (!cert.principals.length) throw new HostCertError(`${id} names no principals; plumb requires ${c.principal} among them (sign with -n ${c.principal})`);
  if (!cert.principals.includes(c.principal))
    throw new HostCertError(`${id} is for ${JSON.stringify(cert.principals.join(', ').slice(0, 300))}, not for ${c.principal}, the name plumb connects to`);
  const now = BigInt(Math.floor(c.now));
  if (now < cert.validAfter) throw new HostCertError(`${id} is not valid before ${when(cert.validAfter)}`);
  if (now >= cert.validBefore) throw new HostCertError(`${id} expired at ${when(cert.validBefore)}`);
  if (cert.criticalOptions.length)
    throw new HostCertError(`${id} has critical options plumb does not know: ${JSON.stringify(cert.criticalOptions.join(', ').slice(0, 300))}`);
  return cert;
}

// ---- the probe -------------------------------------------------------------------------

const KEX_ALGOS = ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256'];
const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];
const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'];
const MSG = { DISCONNECT: 1, IGNORE: 2, DEBUG: 4, KEXINIT: 20, KEX_ECDH_INIT: 30, KEX_ECDH_REPLY: 31 } as const;
const MAX_PACKET = 256 * 1024;

/** One unencrypted binary packet (RFC 4253 6): length, padding length, payload, padding. */
export function packet(payload: Buffer): Buffer {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(1 + payload.length + pad);
  head[4] = pad;
  return Buffer.concat([head, payload, randomBytes(pad)]);
}

function kexinit(hostKeyAlgos: readonly string[]): Buffer {
  const list = (l: readonly string[]) => sshString(l.join(','));
  return Buffer.concat([
    Buffer.from([MSG.KEXINIT]),
    randomBytes(16),
    list(KEX_ALGOS),
    list(hostKeyAlgos),
    list(CIPHERS),
    list(CIPHERS),
    list(MACS),
    list(MACS),
    list(['none']),
    list(['none']),
    list([]),
    list([]),
    Buffer.from([0, 0, 0, 0, 0]),
  ]);
}

/** A fresh ephemeral public key for the negotiated key exchange. */
function ephemeral(kex: string): Buffer {
  if (kex.startsWith('curve25519')) {
    const jwk = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    return Buffer.from(jwk.x!, 'base64url');
  }
  return createECDH('prime256v1').generateKeys();
}

/**
 * The host's certificate, read from a key exchange on `sock` that offers only certificate
 * host key algorithms; undefined if the host offers none (it has no HostCertificate). The
 * socket is closed either way.
 */
export function fetchHostCertificate(sock: Duplex, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let identified = false;
    let kex: string | undefined;
    let done = false;
    const finish = (err: Error | undefined, value?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`Timed out while waiting for handshake (reading the host certificate, ${timeoutMs} ms)`)), timeoutMs);
    const onPacket = (payload: Buffer): boolean => {
      const r = new Reader(payload, 'SSH packet');
      const type = r.u8();
      if (type === MSG.IGNORE || type === MSG.DEBUG) return false;
      if (type === MSG.DISCONNECT) {
        r.u32();
        finish(new Error(`the host disconnected: ${r.text()}`));
        return true;
      }
      if (type === MSG.KEXINIT && !kex) {
        r.pos += 16;
        const theirKex = r.text().split(',');
        const theirHostKeys = r.text().split(',');
        if (!CERT_HOST_KEY_ALGOS.some((a) => theirHostKeys.includes(a))) {
          finish(undefined, undefined);
          return true;
        }
        kex = KEX_ALGOS.find((a) => theirKex.includes(a));
        if (!kex) {
          finish(new Error(`no common key exchange for the certificate probe (host offers ${JSON.stringify(theirKex.join(',').slice(0, 300))})`));
          return true;
        }
        sock.write(packet(Buffer.concat([Buffer.from([MSG.KEX_ECDH_INIT]), sshString(ephemeral(kex))])));
        return false;
      }
      if (type === MSG.KEX_ECDH_REPLY && kex) {
        finish(undefined, Buffer.from(r.bytes()));
        return true;
      }
      finish(new Error(`unexpected SSH message ${type} during the certificate probe`));
      return true;
    };
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        if (!identified) {
          // Lines before the version line are allowed (RFC 4253 4.2).
          for (;;) {
            const nl = buf.indexOf(0x0a);
            if (nl < 0) {
              if (buf.length > 8192) return finish(new Error('no SSH version line from the host'));
              return;
            }
            const line = buf.subarray(0, nl).toString('latin1');
            buf = buf.subarray(nl + 1);
            if (line.startsWith('SSH-')) {
              if (!line.startsWith('SSH-2.0-') && !line.startsWith('SSH-1.99-'))
                return finish(new Error(`not an SSH-2 server: ${JSON.stringify(line.trim().slice(0, 200))}`));
              identified = true;
              break;
            }
          }
        }
        while (buf.length >= 4) {
          const len = buf.readUInt32BE(0);
          if (len < 5 || len > MAX_PACKET) return finish(new Error(`bad SSH packet length ${len} during the certificate probe`));
          if (buf.length < 4 + len) return;
          const pad = buf[4]!;
          const payload = buf.subarray(5, 4 + len - pad);
          buf = buf.subarray(4 + len);
          if (onPacket(payload)) return;
        }
      } catch (e) {
        finish(e as Error);
      }
    });
    sock.on('error', (e: Error) => finish(e));
    sock.on('close', () => finish(new Error('connection closed during the certificate probe')));
    sock.write(Buffer.from('SSH-2.0-plumb_certprobe\r\n'));
    sock.write(packet(kexinit(CERT_HOST_KEY_ALGOS)));
  });
}

/** The host key a valid certificate certifies (fetched on a socket from `open`), or undefined if the host has no certificate. */
export async function certifiedHostKey(open: () => Promise<Duplex>, check: CertCheck, timeoutMs: number): Promise<OpenSshCert | undefined> {
  const blob = await fetchHostCertificate(await open(), timeoutMs);
  if (!blob) return undefined;
  try {
    return checkHostCertificate(blob, check);
  } catch (e) {
    if (e instanceof HostCertError) throw e;
    throw new HostCertError(`cannot check the certificate: ${(e as Error).message}`, { cause: e });
  }
}

/** A TCP connection, resolved once connected. */
export function tcp(host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`ETIMEDOUT connecting to ${host}:${port}`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
