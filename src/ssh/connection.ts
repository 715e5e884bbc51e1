// The real transport: one node-ssh connection per host for the whole run, host keys
// verified, ~/.ssh/config honoured, bounded retries, every exec counted. stdout/stderr are
// collected as bytes (node-ssh trims text by default, which breaks hashes and diffs).
// A lost connection is the host's UNREACHABLE result, never a crash: node-ssh listens for
// the client's 'error' only until a channel opens, so this file listens for the whole
// connection, and keepalives bound how long a cut link goes unnoticed.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import SSHConfig from 'ssh-config';
import type { ClientChannel } from 'ssh2';
import { CommandTimeout, UnreachableError } from '../errors.js';
import type { Connection } from '../inventory/load.js';
import { fingerprint, hostToken, keyType, knownTypes, recordHostKey, verifyHostKey, type Verdict } from './known-hosts.js';
import type { ExecOptions, ExecResult, Transport } from './transport.js';

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
}

export const defaultSshOptions: SshOptions = { acceptNewHostKeys: false, connectTimeoutMs: 10_000, attempts: 3, keepaliveIntervalMs: 5_000, keepaliveCountMax: 3 };

/** How long past a command's own timeout (enforced on the host) the controller still waits for its answer. */
export const DEADLINE_GRACE_S = 15;

interface Resolved {
  address: string;
  port: number;
  user: string;
  keyFiles: string[];
  knownHosts: string[];
  recordTo: string;
}

function sshConfigFor(alias: string, file: string): Record<string, string | string[]> {
  if (!existsSync(file)) return {};
  try {
    return SSHConfig.parse(readFileSync(file, 'utf8')).compute(alias);
  } catch {
    return {};
  }
}

const tilde = (p: string): string => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

export function resolveConnection(conn: Connection, defaultUser: string, sshConfigFile = join(homedir(), '.ssh', 'config')): Resolved {
  const cfg = sshConfigFor(conn.address, sshConfigFile);
  const one = (k: string): string | undefined => {
    const v = cfg[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const identity = cfg.IdentityFile === undefined ? [] : Array.isArray(cfg.IdentityFile) ? cfg.IdentityFile : [cfg.IdentityFile];
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
  const keyFiles = conn.keyFile ? [conn.keyFile] : identity.length ? identity.map(tilde) : defaults.filter((f) => existsSync(f));
  const userKnown = join(homedir(), '.ssh', 'known_hosts');
  const knownHosts = conn.knownHosts ? [conn.knownHosts] : [userKnown, '/etc/ssh/ssh_known_hosts'];
  return {
    address: one('HostName') ?? conn.address,
    port: conn.port ?? (one('Port') ? Number(one('Port')) : 22),
    user: conn.user ?? one('User') ?? defaultUser,
    keyFiles,
    knownHosts,
    recordTo: conn.knownHosts ?? userKnown,
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
    private readonly ssh: NodeSSH,
    private readonly opts: SshOptions,
  ) {
    const client = ssh.connection;
    if (!client) throw new UnreachableError(host, 'connection closed during the handshake');
    const lose = (e: Error) => {
      if (this.lost) return;
      this.lost = e;
      for (const fail of this.inFlight) fail(e);
      this.inFlight.clear();
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('connection closed by the host')));
    client.on('close', () => lose(new Error('connection closed')));
  }

  private unreachable(e: unknown): UnreachableError {
    const msg = String((e as Error)?.message ?? e);
    const why = /Keepalive timeout/.test(msg)
      ? `the host stopped answering (${this.opts.keepaliveCountMax} keepalives ${this.opts.keepaliveIntervalMs / 1000} s apart went unanswered)`
      : msg;
    return new UnreachableError(this.host, `connection lost: ${why}`, undefined, { cause: e });
  }

  static async connect(host: string, conn: Connection, defaultUser: string, opts: SshOptions = defaultSshOptions): Promise<SshTransport> {
    const r = resolveConnection(conn, defaultUser, opts.sshConfigFile);
    const token = hostToken(r.address, r.port);
    const keys = r.keyFiles.filter((f) => existsSync(f));
    if (!keys.length && !process.env.SSH_AUTH_SOCK) {
      throw new UnreachableError(host, 'no SSH key to authenticate with', `set ansible_ssh_private_key_file (or plumb_private_key_file) for ${host}, add IdentityFile to ~/.ssh/config, or start ssh-agent`);
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= opts.attempts; attempt++) {
      for (const keyFile of keys.length ? keys : [undefined]) {
        let verdict: Verdict | undefined;
        let offered: Buffer | undefined;
        const ssh = new NodeSSH();
        const preferred = knownTypes(r.knownHosts, token);
        try {
          await ssh.connect({
            host: r.address,
            port: r.port,
            username: r.user,
            privateKey: keyFile ? readFileSync(keyFile, 'utf8') : undefined,
            agent: process.env.SSH_AUTH_SOCK,
            // Key auth only, and no "none" probe first: one round trip fewer per connection.
            authHandler: [...(keyFile ? ['publickey'] : []), ...(process.env.SSH_AUTH_SOCK ? ['agent'] : [])] as never,
            readyTimeout: opts.connectTimeoutMs,
            keepaliveInterval: opts.keepaliveIntervalMs,
            keepaliveCountMax: opts.keepaliveCountMax,
            // Prefer key types we already know for this host, as OpenSSH does, so a host with
            // several keys does not look "changed" just because another type was negotiated.
            algorithms: preferred.length ? { serverHostKey: [...preferred, ...DEFAULT_HOST_KEY_ALGOS.filter((a) => !preferred.includes(a))] as never } : undefined,
            hostVerifier: (key: Buffer) => {
              offered = key;
              verdict = verifyHostKey(r.knownHosts, token, key);
              if (verdict.result === 'unknown' && opts.acceptNewHostKeys) {
                recordHostKey(r.recordTo, token, key);
                return true;
              }
              return verdict.result === 'match';
            },
          });
          return new SshTransport(host, ssh, opts);
        } catch (e) {
          ssh.dispose();
          lastError = e;
          if (verdict && verdict.result !== 'match' && offered) throw hostKeyError(host, token, verdict, offered, r.recordTo);
          const msg = String((e as Error).message ?? e);
          if (/authentication methods failed/i.test(msg)) continue; // try the next key
          if (!RETRYABLE.test(msg)) break;
        }
      }
      const msg = String((lastError as Error)?.message ?? lastError);
      if (/authentication methods failed/i.test(msg)) {
        throw new UnreachableError(host, `authentication failed as ${r.user}@${token}`, `check the user and key (${keys.join(', ') || 'ssh-agent'}); plumb uses key authentication only`, { cause: lastError });
      }
      if (!RETRYABLE.test(msg) || attempt === opts.attempts) break;
      await new Promise((res) => setTimeout(res, 250 * 2 ** (attempt - 1)));
    }
    const msg = String((lastError as Error)?.message ?? lastError);
    throw new UnreachableError(host, `cannot connect to ${r.user}@${token}: ${msg}`, `is sshd running and reachable? (tried ${opts.attempts} times, ${opts.connectTimeoutMs} ms timeout)`, { cause: lastError });
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
        timer = setTimeout(() => {
          channel?.close();
          fail(new CommandTimeout(limit, false));
        }, (limit + DEADLINE_GRACE_S) * 1000);
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
  }
}

const DEFAULT_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function hostKeyError(host: string, token: string, v: Verdict, key: Buffer, recordTo: string): UnreachableError {
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
        `unknown host key for ${token}: ${fp} is not in ${recordTo}`,
        `verify the fingerprint, then rerun with --accept-new-host-keys to record it (or add it with ssh-keyscan)`,
      );
  }
}
