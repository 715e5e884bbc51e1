// Bastions (ProxyJump). Where a jump comes from (~/.ssh/config, -J / -o ProxyJump= in
// ansible_ssh_common_args, plumb_proxy_jump) is parsed here; the connections live in a
// JumpPool: one SSH connection per bastion for the whole run, shared by every host behind
// it, each host reached through a forwarded channel (ssh2 forwardOut) on that connection.
// ProxyCommand is refused: it runs an arbitrary local command plumb cannot check.
import type { Duplex } from 'node:stream';
import type { NodeSSH } from 'node-ssh';

export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

export class JumpSpecError extends Error {}

/** One hop as OpenSSH writes it: `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseHop(raw: string): JumpHop {
  let s = raw.trim();
  if (s.startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:\s]+)(?::(\d+))?$/.exec(rest);
  if (!m?.[1] || (user !== undefined && !user)) throw new JumpSpecError(`bad ProxyJump hop ${JSON.stringify(raw)}: expected [user@]host[:port]`);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new JumpSpecError(`bad ProxyJump hop ${JSON.stringify(raw)}: port must be 1-65535`);
  return { ...(user ? { user } : {}), host: m[1], ...(port ? { port } : {}) };
}

/** A ProxyJump value: hops in the order they are connected (`a,b`: a first, then b through a); `none` is no jump. */
export function parseProxyJump(value: string): JumpHop[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map(parseHop);
}

/** Shell-like words of an ssh argument string (quotes and backslashes, no expansion). */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur = `${cur ?? ''}${s[++i]}`;
      else cur = `${cur ?? ''}${c}`;
    } else if (c === '"' || c === "'") {
      q = c;
      cur ??= '';
    } else if (c === '\\' && i + 1 < s.length) cur = (cur ?? '') + s[++i];
    else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + c;
  }
  if (q) throw new JumpSpecError(`unbalanced ${q} in ${JSON.stringify(s)}`);
  if (cur !== undefined) out.push(cur);
  return out;
}

/**
 * The jump in ssh arguments (ansible_ssh_common_args / ansible_ssh_extra_args): `-J spec`,
 * `-Jspec`, `-o ProxyJump=spec`, `-oProxyJump=spec`, `-o 'ProxyJump spec'`. ProxyCommand
 * throws. Other options are not plumb's business here (undefined: no jump given).
 */
export function jumpFromSshArgs(args: string): string | undefined {
  const w = shellWords(args);
  let jump: string | undefined;
  for (let i = 0; i < w.length; i++) {
    const a = w[i]!;
    let opt: string | undefined;
    if (a === '-J' || a === '-o') {
      if (i + 1 >= w.length) throw new JumpSpecError(`${a} needs a value`);
    }
    if (a === '-J') jump = w[++i];
    else if (a.startsWith('-J')) jump = a.slice(2);
    else if (a === '-o') opt = w[++i];
    else if (a.startsWith('-o')) opt = a.slice(2);
    if (opt === undefined) continue;
    const m = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*)$/.exec(opt);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'proxyjump') jump = m[2];
    if (key === 'proxycommand' && m[2]!.trim().toLowerCase() !== 'none') throw new JumpSpecError(proxyCommandRefusal);
  }
  if (jump !== undefined && !jump.trim()) throw new JumpSpecError('ProxyJump needs a value');
  return jump;
}

export const proxyCommandRefusal =
  'ProxyCommand is not supported: plumb does not run a local command to reach a host; use ProxyJump ([user@]bastion[:port]), which plumb runs itself over one shared connection per bastion';

/** One bastion's connection, and why it is gone once it is. */
export interface Bastion {
  label: string;
  ssh: NodeSSH;
  lost?: string;
  /** Called (once) when the bastion's connection goes, before its channels report it. */
  onLost: Set<(why: string) => void>;
}

export function watchBastion(b: Bastion): void {
  const client = b.ssh.connection;
  const lose = (why: string) => {
    if (b.lost) return;
    b.lost = why;
    for (const f of b.onLost) f(why);
  };
  client?.on('error', (e: Error) => lose(/Keepalive timeout/.test(e.message) ? 'the bastion stopped answering keepalives' : e.message));
  client?.on('end', () => lose('connection closed by the bastion'));
  client?.on('close', () => lose('connection to the bastion closed'));
}

/** A channel from the bastion to address:port, used as the next hop's socket. */
export function forward(b: Bastion, address: string, port: number): Promise<Duplex> {
  return new Promise((done, fail) => {
    if (b.lost) return fail(new Error(`bastion ${b.label} is gone: ${b.lost}`));
    const client = b.ssh.connection;
    if (!client) return fail(new Error(`bastion ${b.label} is not connected`));
    client.forwardOut('127.0.0.1', 0, address, port, (err, stream) =>
      err ? fail(new Error(`bastion ${b.label} cannot open a channel to ${address}:${port}: ${err.message}`)) : done(stream),
    );
  });
}

/** The run's bastion connections, keyed by the chain that reaches them; each is made once. */
export class JumpPool {
  private readonly bastions = new Map<string, Promise<Bastion>>();
  /** Logins made to bastions (one per bastion per run, whatever the number of hosts behind it). */
  logins = 0;

  get(key: string, open: () => Promise<Bastion>): Promise<Bastion> {
    let b = this.bastions.get(key);
    if (!b) {
      this.logins++;
      b = open();
      b.catch(() => {}); // awaited by every host behind it
      this.bastions.set(key, b);
    }
    return b;
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.bastions.values());
    this.bastions.clear();
    for (const r of all) if (r.status === 'fulfilled') r.value.ssh.dispose();
  }
}
