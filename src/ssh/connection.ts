// The real transport: one node-ssh connection per host for the whole run, host keys
// verified, ~/.ssh/config honoured, bounded retries, every exec counted. stdout/stderr are
// collected as bytes (node-ssh trims text by default, which breaks hashes and diffs).
// A lost connection is the host's UNREACHABLE result, never a crash: node-ssh listens for
// the client's 'error' only until a channel opens, so this file listens for the whole
// connection, and keepalives bound how long a cut link goes unnoticed.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import SSHConfig from 'ssh-config';
import ssh2, { type ClientChannel } from 'ssh2';

const { utils } = ssh2;
import { CommandTimeout, UnreachableError } from '../errors.js';
import type { Connection } from '../inventory/load.js';
import { authoritiesFor, fingerprint, hostToken, keyType, knownTypes, recordHostKey, verifyHostKey, type Verdict } from './known-hosts.js';
import { certifiedHostKey, HostCertError, plainAlgorithms, tcp, type OpenSshCert } from './host-cert.js';
import type { ExecOptions, ExecResult, Transport } from './transport.js';
import { forward, JumpPool, JumpSpecError, parseProxyJump, proxyCommandRefusal, watchBastion, type Bastion } from './jump.js';

export interface SshOptions {
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  /** Attempts for network-level failures (refused, timeout). Auth and host key failures never retry. */
  attempts: number;
  sshConfigFile?: string;
  /**
   * A keepalive every this many ms; after keepaliveCountMax unanswered ones in a row the
   * connection is dropped: a cut link is UNREACHABLE within (keepaliveCountMax + 1) intervals.
   */
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  onExec?: (host: string, command: string, result: ExecResult, ms: number) => void;
  /** The run's bastion connections (one per bastion, shared by the hosts behind it); closed by the run. */
  jumps?: JumpPool;
  /** Advice worth showing once (e.g. a user certificate plumb cannot offer); the CLI prints it. */
  onNotice?: (text: string) => void;
}

export const defaultSshOptions: SshOptions = {
  acceptNewHostKeys: false,
  connectTimeoutMs: 10_000,
  attempts: 3,
  keepaliveIntervalMs: 5_000,
  keepaliveCountMax: 3,
};

/** How long past a command's own timeout (enforced on the host) the controller still waits for its answer. */
export const DEADLINE_GRACE_S = 15;

export interface Resolved {
  address: string;
  port: number;
  user: string;
  keyFiles: string[];
  knownHosts: string[];
  recordTo: string;
  /** Bastions to go through, first one connected first (ProxyJump). */
  jumps: Resolved[];
  /** Per-host overrides from ~/.ssh/config (ConnectTimeout, ServerAlive*, StrictHostKeyChecking accept-new). */
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  acceptNew?: boolean;
  /** IdentitiesOnly yes: only the configured keys, not whatever ssh-agent holds. */
  identitiesOnly?: boolean;
  /** For encrypted key files. */
  passphrase?: string;
}

/** ~/.ssh/config for one alias, keys lower-cased (OpenSSH keywords are case-insensitive), first value wins. */
export type SshConfigValues = Map<string, string[]>;

export function sshConfigFor(alias: string, file: string): SshConfigValues {
  const out: SshConfigValues = new Map();
  if (!existsSync(file)) return out;
  let parsed: Record<string, string | string[]>;
  try {
    parsed = SSHConfig.parse(readFileSync(file, 'utf8')).compute(alias);
  } catch (e) {
    throw new SshConfigError(`${file}: cannot parse: ${(e as Error).message}`);
  }
  for (const [k, v] of Object.entries(parsed)) {
    const key = k.toLowerCase();
    const vals = Array.isArray(v) ? v : [v];
    // IdentityFile (and CertificateFile) accumulate across blocks; everything else: first one wins.
    if (key === 'identityfile' || key === 'certificatefile') out.set(key, [...(out.get(key) ?? []), ...vals]);
    else if (!out.has(key)) out.set(key, vals);
  }
  return out;
}

/** A ~/.ssh/config setting plumb cannot honour: refused by name, never silently ignored. */
export class SshConfigError extends Error {}

/** Why user certificates are refused (ssh2 1.x writes the key algorithm into the signature too, which a certificate cannot have). */
const NO_USER_CERTS =
  'ssh2, the SSH library plumb uses, cannot offer user certificates (github.com/mscdex/ssh2/issues/551); authorize the key itself on the host (authorized_keys), or remove CertificateFile for this host';

/**
 * Keywords that change where or how ssh connects and that plumb does not implement. Others
 * (ciphers, forwarding, ControlMaster, ...) do not change which host plumb reaches or how it
 * authenticates, and are left to OpenSSH.
 */
const REFUSED: Record<string, string> = {
  proxycommand: proxyCommandRefusal,
  include:
    'Include is not supported in the ssh config plumb reads: put the Host blocks plumb needs in the file itself, or point plumb at a file without Include',
  hostkeyalias: 'HostKeyAlias is not supported: plumb looks host keys up by the address it connects to',
  globalknownhostsfile: 'GlobalKnownHostsFile is not supported: use UserKnownHostsFile or plumb_known_hosts',
  certificatefile: `CertificateFile is not supported: ${NO_USER_CERTS}`,
};

const tilde = (p: string): string => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

function seconds(key: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new SshConfigError(`${key} ${v}: expected a whole number of seconds`);
  return Number(v);
}

export function resolveConnection(
  conn: Connection,
  defaultUser: string,
  sshConfigFile = join(homedir(), '.ssh', 'config'),
  hop?: { inheritKeys: string[]; inheritKnown: string[] },
): Resolved {
  const cfg = sshConfigFor(conn.address, sshConfigFile);
  const one = (k: string): string | undefined => cfg.get(k)?.[0];
  for (const k of Object.keys(REFUSED)) {
    if (k === 'proxycommand' && (conn.proxyJump !== undefined || one('proxycommand')?.toLowerCase() === 'none')) continue;
    if (cfg.has(k)) throw new SshConfigError(`${sshConfigFile} (Host ${conn.address}): ${REFUSED[k]}`);
  }
  const identity = cfg.get('identityfile') ?? [];
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
  const keyFiles = conn.keyFile
    ? [conn.keyFile]
    : identity.length
      ? identity.map(tilde)
      : hop?.inheritKeys.length
        ? hop.inheritKeys
        : defaults.filter((f) => existsSync(f));
  const userKnown = join(homedir(), '.ssh', 'known_hosts');
  const cfgKnown = one('userknownhostsfile');
  const configured = cfgKnown && cfgKnown.toLowerCase() !== 'none' ? cfgKnown.split(/\s+/).map(tilde) : undefined;
  const knownHosts = conn.knownHosts ? [conn.knownHosts] : (configured ?? (hop ? hop.inheritKnown : [userKnown, '/etc/ssh/ssh_known_hosts']));
  const strict = one('stricthostkeychecking')?.toLowerCase();
  if (strict !== undefined && !['yes', 'ask', 'accept-new', 'no', 'off'].includes(strict))
    throw new SshConfigError(`StrictHostKeyChecking ${strict}: expected yes, ask, accept-new or no`);
  const jumpSpec = conn.proxyJump ?? one('proxyjump');
  const jumps: Resolved[] = [];
  for (const h of jumpSpec === undefined ? [] : parseProxyJump(jumpSpec)) {
    // Each bastion is looked up in the ssh config under its own name, as OpenSSH does; keys
    // and known_hosts it has no setting for are the target's.
    jumps.push(
      resolveConnection({ address: h.host, port: h.port, user: h.user, become: false }, defaultUser, sshConfigFile, {
        inheritKeys: keyFiles,
        inheritKnown: knownHosts,
      }),
    );
  }
  const alive = seconds('ServerAliveInterval', one('serveraliveinterval'));
  const aliveMax = one('serveralivecountmax');
  const timeout = seconds('ConnectTimeout', one('connecttimeout'));
  return {
    address: one('hostname')?.replace(/%h/g, conn.address) ?? conn.address,
    port: conn.port ?? (one('port') ? Number(one('port')) : 22),
    user: conn.user ?? one('user') ?? defaultUser,
    keyFiles,
    knownHosts,
    recordTo: conn.knownHosts ?? configured?.[0] ?? (hop ? hop.inheritKnown[0]! : userKnown),
    jumps: jumps.flatMap((j) => [...j.jumps, { ...j, jumps: [] }]),
    ...(timeout ? { connectTimeoutMs: timeout * 1000 } : {}),
    ...(alive ? { keepaliveIntervalMs: alive * 1000 } : {}),
    ...(aliveMax && /^\d+$/.test(aliveMax) ? { keepaliveCountMax: Number(aliveMax) } : {}),
    // "no" in OpenSSH also accepts CHANGED keys; plumb never does, so it is accept-new here.
    ...(strict === 'accept-new' || strict === 'no' || strict === 'off' ? { acceptNew: true } : {}),
    ...(one('identitiesonly')?.toLowerCase() === 'yes' ? { identitiesOnly: true } : {}),
    ...(conn.keyPassphrase !== undefined ? { passphrase: conn.keyPassphrase } : {}),
  };
}

const RETRYABLE = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|Timed out while waiting for handshake|EAI_AGAIN/;

export class SshTransport implements Transport {
  execCount = 0;
  /** Why the connection is gone, once it is: every exec then fails at once. */
  private lost?: Error;
  /** Execs in flight, failed together when the connection goes. */
  private readonly inFlight = new Set<(e: Error) => void>();

  private constructor(
    readonly host: string,
    private ssh: NodeSSH,
    private readonly opts: SshOptions,
    /** How this host is reached: kept so that reconnect() opens the same connection again. */
    private readonly resolved: Resolved,
    readonly via?: Bastion,
    /** Bastions this transport opened itself (no run-wide pool), closed with it. */
    private readonly ownJumps?: JumpPool,
  ) {
    via?.onLost.add((why) => {
      if (!this.lost) this.fail(new Error(`bastion ${via.label} lost: ${why}`));
    });
    this.watch(ssh);
  }

  /** Fail every exec in flight, and the ones after, with why the connection went. */
  private fail(e: Error): void {
    this.lost = e;
    for (const fail of this.inFlight) fail(e);
    this.inFlight.clear();
  }

  private watch(ssh: NodeSSH): void {
    const client = ssh.connection;
    if (!client) throw new UnreachableError(this.host, 'connection closed during the handshake');
    const via = this.via;
    const lose = (e: Error) => {
      // A connection replaced by reconnect() says nothing about the new one.
      if (this.lost || this.ssh !== ssh) return;
      // Behind a bastion, a lost bastion is the reason, not the channel it closed.
      if (via?.lost) e = new Error(`bastion ${via.label} lost: ${via.lost}`, { cause: e });
      this.fail(e);
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('connection closed by the host')));
    client.on('close', () => lose(new Error('connection closed')));
  }

  async reconnect(): Promise<void> {
    const old = this.ssh;
    const fresh = await openClient(this.host, this.resolved, this.opts, this.via);
    this.ssh = fresh;
    this.lost = undefined;
    this.watch(fresh);
    old.dispose();
  }

  private unreachable(e: unknown): UnreachableError {
    const msg = String((e as Error)?.message ?? e);
    const why = /Keepalive timeout/.test(msg)
      ? `the host stopped answering (${this.opts.keepaliveCountMax} keepalives ${this.opts.keepaliveIntervalMs / 1000} s apart went unanswered)`
      : msg;
    return new UnreachableError(this.host, `connection lost: ${why}`, undefined, { cause: e });
  }

  static async connect(host: string, conn: Connection, defaultUser: string, opts: SshOptions = defaultSshOptions): Promise<SshTransport> {
    let r: Resolved;
    try {
      r = resolveConnection(conn, defaultUser, opts.sshConfigFile);
    } catch (e) {
      if (e instanceof SshConfigError || e instanceof JumpSpecError) throw new UnreachableError(host, e.message);
      throw e;
    }
    // Without a run-wide pool (a lone connect), this connection owns its bastions.
    const own = r.jumps.length && !opts.jumps ? new JumpPool() : undefined;
    const pool = opts.jumps ?? own;
    let via: Bastion | undefined;
    let chain = '';
    for (const hop of r.jumps) {
      const token = `${hop.user}@${hostToken(hop.address, hop.port)}`;
      chain = chain ? `${chain},${token}` : token;
      const before = via;
      const label = chain;
      try {
        via = await pool!.get(chain, async () => {
          const b: Bastion = { label, ssh: await openClient(label, hop, opts, before), onLost: new Set() };
          watchBastion(b);
          return b;
        });
      } catch (e) {
        await own?.close();
        const inner = e instanceof UnreachableError ? e.message.replace(`${label}: `, '') : String((e as Error).message ?? e);
        throw new UnreachableError(host, `through bastion ${label}: ${inner}`, undefined, { cause: e });
      }
    }
    try {
      return new SshTransport(host, await openClient(host, r, opts, via), opts, r, via, own);
    } catch (e) {
      await own?.close();
      throw e;
    }
  }

  async exec(command: string, stdin?: string | Buffer, opts: ExecOptions = {}): Promise<ExecResult> {
    this.execCount++;
    if (this.lost) throw this.unreachable(this.lost);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const started = Date.now();
    let channel: ClientChannel | undefined;
    let timer: NodeJS.Timeout | undefined;
    let fail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    this.inFlight.add(fail);
    let r;
    try {
      const running = this.ssh.execCommand(command, {
        stdin: stdin === undefined ? undefined : Readable.from([typeof stdin === 'string' ? Buffer.from(stdin) : stdin]),
        noTrim: true,
        onChannel: (ch) => (channel = ch),
        onStdout: (c) => out.push(c),
        onStderr: (c) => err.push(c),
      });
      running.catch(() => {}); // it may settle after the race below is lost: not unhandled
      if (opts.timeoutS) {
        const limit = opts.timeoutS;
        // The host stops the command itself at `limit`; this only covers a host that does not answer.
        timer = setTimeout(
          () => {
            channel?.close();
            fail(new CommandTimeout(limit, false));
          },
          (limit + DEADLINE_GRACE_S) * 1000,
        );
      }
      r = await Promise.race([running, failed]);
    } catch (e) {
      if (e instanceof CommandTimeout) throw e;
      throw this.unreachable(e);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(fail);
    }
    // A channel closed because its connection went down ends without an exit status.
    if (this.lost && r.code === null) throw this.unreachable(this.lost);
    const result: ExecResult = {
      code: r.code ?? (r.signal ? 128 : 255),
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
    this.opts.onExec?.(this.host, command, result, Date.now() - started);
    return result;
  }

  async close(): Promise<void> {
    this.ssh.dispose();
    await this.ownJumps?.close();
  }
}

/**
 * One authenticated, host-key-checked SSH connection: directly, or through a bastion's
 * forwarded channel (a fresh channel per attempt). Bounded retries for network failures only.
 */
async function openClient(host: string, r: Resolved, opts: SshOptions, via?: Bastion): Promise<NodeSSH> {
  const token = hostToken(r.address, r.port);
  const agent = r.identitiesOnly && r.keyFiles.length ? undefined : process.env.SSH_AUTH_SOCK;
  const keys = usableKeys(host, r, agent !== undefined, opts.onNotice);
  if (!keys.length && !agent) {
    throw new UnreachableError(
      host,
      'no SSH key to authenticate with',
      `set ansible_ssh_private_key_file (or plumb_private_key_file) for ${host}, add IdentityFile to ~/.ssh/config, or start ssh-agent`,
    );
  }
  const connectTimeoutMs = r.connectTimeoutMs ?? opts.connectTimeoutMs;
  // @cert-authority lines for this host: its certificate is fetched and checked first, and
  // the key it certifies is accepted (undefined: not fetched yet; null: the host has none).
  const cas = authoritiesFor(r.knownHosts, token);
  let certified: OpenSshCert | null | undefined;
  let lastError: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    for (const keyFile of keys.length ? keys : [undefined]) {
      let verdict: Verdict | undefined;
      let offered: Buffer | undefined;
      const ssh = new NodeSSH();
      try {
        if (cas.authorities.length && certified === undefined) {
          const open = () => (via ? forward(via, r.address, r.port) : tcp(r.address, r.port, connectTimeoutMs));
          certified = (await certifiedHostKey(open, { ...cas, principal: r.address, now: Date.now() / 1000 }, connectTimeoutMs)) ?? null;
        }
        const known = knownTypes(r.knownHosts, token);
        const preferred = certified ? [...new Set([...plainAlgorithms(keyType(certified.key)), ...known])] : known;
        const sock: Duplex | undefined = via ? await forward(via, r.address, r.port) : undefined;
        await ssh.connect({
          ...(sock ? { sock } : { host: r.address }),
          port: r.port,
          username: r.user,
          privateKey: keyFile ? readFileSync(keyFile, 'utf8') : undefined,
          passphrase: keyFile ? r.passphrase : undefined,
          agent,
          // Key auth only, and no "none" probe first: one round trip fewer per connection.
          authHandler: [...(keyFile ? ['publickey'] : []), ...(agent ? ['agent'] : [])] as never,
          readyTimeout: connectTimeoutMs,
          keepaliveInterval: r.keepaliveIntervalMs ?? opts.keepaliveIntervalMs,
          keepaliveCountMax: r.keepaliveCountMax ?? opts.keepaliveCountMax,
          // Prefer key types we already know for this host, as OpenSSH does, so a host with
          // several keys does not look "changed" just because another type was negotiated.
          algorithms: preferred.length
            ? { serverHostKey: [...preferred, ...DEFAULT_HOST_KEY_ALGOS.filter((a) => !preferred.includes(a))] as never }
            : undefined,
          hostVerifier: (key: Buffer) => {
            offered = key;
            verdict = verifyHostKey(r.knownHosts, token, key);
            if (certified?.key.equals(key) && verdict.result !== 'revoked') verdict = { result: 'match' };
            if (verdict.result === 'unknown' && (opts.acceptNewHostKeys || r.acceptNew)) {
              recordHostKey(r.recordTo, token, key);
              return true;
            }
            return verdict.result === 'match';
          },
        });
        return ssh;
      } catch (e) {
        ssh.dispose();
        lastError = e;
        if (e instanceof HostCertError)
          throw new UnreachableError(
            host,
            `host certificate of ${token} refused: ${e.message}`,
            'plumb refuses to connect; check the CA in known_hosts (@cert-authority) and the certificate on the host (ssh-keygen -L -f)',
          );
        if (verdict && verdict.result !== 'match' && offered)
          throw hostKeyError(host, token, verdict, offered, r.recordTo, cas.authorities.length > 0 && certified === null);
        const msg = String((e as Error).message ?? e);
        if (/authentication methods failed/i.test(msg)) continue; // try the next key
        if (!RETRYABLE.test(msg)) break;
      }
    }
    const msg = String((lastError as Error)?.message ?? lastError);
    if (/authentication methods failed/i.test(msg)) {
      throw new UnreachableError(
        host,
        `authentication failed as ${r.user}@${token}`,
        `check the user and key (${keys.join(', ') || 'ssh-agent'}); plumb uses key authentication only`,
        { cause: lastError },
      );
    }
    if (!RETRYABLE.test(msg) || attempt === opts.attempts) break;
    await new Promise((res) => setTimeout(res, 250 * 2 ** (attempt - 1)));
  }
  const msg = String((lastError as Error)?.message ?? lastError);
  throw new UnreachableError(
    host,
    `cannot connect to ${r.user}@${token}: ${msg}`,
    `is sshd running and reachable? (tried ${opts.attempts} times, ${connectTimeoutMs} ms timeout)`,
    { cause: lastError },
  );
}

/**
 * Key files that exist and can be read: an encrypted one needs the passphrase
 * (plumb_private_key_passphrase); without it the key is left to
 * ssh-agent when one runs (the agent holds it decrypted), else it is a clear error by name.
 */
function usableKeys(host: string, r: Resolved, agent: boolean, notice?: (text: string) => void): string[] {
  const out: string[] = [];
  for (const f of r.keyFiles.filter((k) => existsSync(k))) {
    if (notice && !certHinted.has(f) && existsSync(`${f}-cert.pub`)) {
      certHinted.add(f);
      notice(`${f}-cert.pub is not offered (the key itself is): ${NO_USER_CERTS.replace(', or remove CertificateFile for this host', '')}`);
    }
    const parsed = utils.parseKey(readFileSync(f), r.passphrase);
    if (!(parsed instanceof Error)) out.push(f);
    else if (/no passphrase given|encrypted/i.test(parsed.message) && r.passphrase === undefined) {
      if (!agent)
        throw new UnreachableError(
          host,
          `the private key ${f} is encrypted and no passphrase was given`,
          'set plumb_private_key_passphrase (a secret: secret_env, secret_file or the vault), or add the key to ssh-agent (ssh-add)',
        );
    } else if (/bad passphrase|integrity check failed|decrypt/i.test(parsed.message)) {
      throw new UnreachableError(host, `the passphrase does not decrypt the private key ${f}`, 'check plumb_private_key_passphrase for this host');
    } else out.push(f); // a format ssh2 reads only at connect time: let it say
  }
  return out;
}

/** Keys whose -cert.pub was already pointed out in this run. */
const certHinted = new Set<string>();

const DEFAULT_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function hostKeyError(host: string, token: string, v: Verdict, key: Buffer, recordTo: string, noCert = false): UnreachableError {
  const fp = `${keyType(key)} ${fingerprint(key)}`;
  switch (v.result) {
    case 'changed':
      return new UnreachableError(
        host,
        `HOST KEY CHANGED for ${token}: it now offers ${fp}, but ${v.file}:${v.line} records a different ${v.knownType} key. This can be a man-in-the-middle attack. plumb refuses to connect.`,
        `if the host was really reinstalled, remove the old line (ssh-keygen -R '${token}' -f ${v.file}) and verify the new fingerprint out of band`,
      );
    case 'revoked':
      return new UnreachableError(host, `host key ${fp} for ${token} is marked @revoked in ${v.file}:${v.line}`, 'refusing to connect');
    default:
      return new UnreachableError(
        host,
        `unknown host key for ${token}: ${fp} is not in ${recordTo}${noCert ? ' (known_hosts trusts a host CA for it, but the host offers no certificate)' : ''}`,
        `verify the fingerprint, then rerun with --accept-new-host-keys to record it (or add it with ssh-keyscan)`,
      );
  }
}
