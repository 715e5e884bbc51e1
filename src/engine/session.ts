// One host's session for the whole run: its connection, its variables and registered
// results, its fact cache, and the one place a script becomes a remote command line.
import { CommandError, CommandTimeout, InternalError, TaskError, UnreachableError } from '../errors.js';
import { buildBatch, newNonce, parseBatch } from '../facts/batch.js';
import { isLive } from '../facts/live.js';
import { type Fact, type FactResults, invalidates } from '../facts/types.js';
import type { Host } from '../inventory/load.js';
import type { Vars } from '../modules/types.js';
import type { Emit, HostRecap } from '../report/events.js';
import type { Redactor } from '../report/redact.js';
import { quote, type Shell, script } from '../sh.js';
import type { ExecResult, Transport } from '../ssh/transport.js';
import { HostLocked, type LockOwner, parseLock, stripLock, takeLock } from './lock.js';

/**
 * The remote command line for a script: never holds secrets (the guard below enforces it).
 * With a time limit, coreutils' timeout(1) stops the script's whole process group on the
 * host: SIGTERM at `timeoutS`, SIGKILL 10 s later.
 */
export function commandLine(script: Shell, become: Become, user: string, timeoutS = 0, becomePassword = false): string {
  const body = quote(`LC_ALL=C; export LC_ALL\n${script.text}`);
  const run = timeoutS > 0 ? `timeout -k 10 ${timeoutS} /bin/sh -c ${body}` : `/bin/sh -c ${body}`;
  const target = becomeTarget(become);
  if (target === undefined || target === user) return run;
  // sudo -u: become_user (root may become anyone without a password).
  const sudo = target === 'root' ? 'sudo' : `sudo -u ${quote(target)}`;
  if (!becomePassword || user === 'root') return `${sudo} -n -- ${run}`;
  return `/bin/sh -c ${quote(withSudoPassword(run, sudo))}`;
}

/** become: false (as the connection's user), true (root), or the user to become (become_user). */
export type Become = boolean | string;
export const becomeTarget = (b: Become): string | undefined => (b === true ? 'root' : b === false ? undefined : b);

/** Exit code and stderr marker of a become password that sudo refused. */
export const BAD_BECOME_PASSWORD = { code: 97, marker: 'plumb: sudo refused the become password' };

/**
 * sudo with a password, the password being the first line of stdin (the read builtin takes
 * exactly that line; the command's own stdin follows untouched). The password is checked
 * first on its own (sudo -v fed only that line), so a wrong one fails at once instead of
 * sudo reading the command's stdin as further attempts; then the command's sudo reads the
 * same line (-k: it always asks, whatever -v cached) and passes the rest through. printf is
 * a builtin: the password is in no argv.
 * A user who needs no password (NOPASSWD) gets plain `sudo -n`, the line dropped.
 */
function withSudoPassword(run: string, sudo: string): string {
  return [
    'IFS= read -r PLUMB_BECOME_PW || exit 96',
    `if ${sudo} -n true 2>/dev/null; then unset PLUMB_BECOME_PW; exec ${sudo} -n -- ${run}; fi`,
    `printf '%s\n' "$PLUMB_BECOME_PW" | sudo -S -p '' -v 2>/dev/null || { echo '${BAD_BECOME_PASSWORD.marker}' >&2; exit ${BAD_BECOME_PASSWORD.code}; }`,
    `{ printf '%s\n' "$PLUMB_BECOME_PW"; unset PLUMB_BECOME_PW; exec cat; } | ${sudo} -k -S -p '' -- ${run}`,
  ].join('\n');
}

/** Exit codes of timeout(1) when it stopped the command (TERM, then KILL). */
const TIMED_OUT = new Set([124, 137]);

/** apply's lock on this host, taken by the next facts exec (src/engine/lock.ts). */
export interface LockRequest {
  owner: LockOwner;
  waitS: number;
  /** A run id the controller saw is dead: its lock may be taken over. */
  steal?: string;
}

/**
 * What every session of one run shares: how many changes were applied, and (check mode) how
 * many were planned but not applied, on any host. A live read (facts/live.ts) stands only
 * while `applied` is what it was when the read was made.
 */
export interface RunWorld {
  applied: number;
  unapplied: number;
}

export class HostSession {
  readonly registered: Vars = {};
  /** Redacted notes this host's tasks asked for in the recap (debug's `recap: true`), each once. */
  readonly notes: string[] = [];
  readonly recap: HostRecap = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 0, durationMs: 0 };
  failed = false;
  private readonly facts = new Map<string, unknown>();
  private readonly stale = new Set<string>();
  /** Live facts: world.applied when each was read. */
  private readonly liveAt = new Map<string, number>();
  /** Check mode: invalidations of changes that were planned but not applied. */
  private readonly unapplied: string[] = [];
  /** Set by the run in apply mode: the next gather takes the host's lock first, in the same exec. */
  lock?: LockRequest;
  /** Whether this run holds the host's lock, and as whom (root or not: where the record lives). */
  locked?: { become: boolean };

  constructor(
    readonly host: Host,
    readonly transport: Transport,
    readonly user: string,
    readonly redactor: Redactor,
    readonly emit: Emit,
    /** Default time limit of every exec, in seconds (0: none); a task's `timeout` overrides it. */
    readonly commandTimeoutS = 0,
    readonly world: RunWorld = { applied: 0, unapplied: 0 },
  ) {}

  async run(
    script: Shell,
    become: Become,
    purpose: 'facts' | 'change' | 'handlers',
    stdin?: string | Buffer,
    noLog = false,
    timeoutS = this.commandTimeoutS,
  ): Promise<ExecResult> {
    const target = becomeTarget(become);
    const password = target !== undefined && target !== this.user && this.user !== 'root' ? this.host.conn.becomePassword : undefined;
    const command = commandLine(script, become, this.user, timeoutS, password !== undefined);
    if (this.redactor.has(command)) {
      // Secrets travel on stdin, never argv: argv is visible in `ps` on the host.
      throw new TaskError(
        'refusing to run: the command line would contain a secret value, and command lines are visible in `ps` on the host',
        'pass the secret on stdin (`stdin:`) or in `environment:` (both travel on stdin), or use a module that takes it as an argument',
      );
    }
    const started = Date.now();
    let result: ExecResult;
    try {
      // The become password is the first line of stdin, ahead of the command's own.
      const input = password === undefined ? stdin : Buffer.concat([Buffer.from(`${password}\n`), stdin === undefined ? Buffer.alloc(0) : Buffer.from(stdin)]);
      result = await this.transport.exec(command, input, timeoutS > 0 ? { timeoutS } : undefined);
    } finally {
      this.recap.execs = this.transport.execCount;
    }
    this.emit({
      type: 'exec',
      host: this.host.name,
      purpose,
      command: noLog ? '<hidden by no_log>' : this.redactor.redact(script.text.length > 400 ? `${script.text.slice(0, 400)}…` : script.text),
      code: result.code,
      durationMs: Date.now() - started,
    });
    if (password !== undefined && result.code === BAD_BECOME_PASSWORD.code && result.stderr.includes(BAD_BECOME_PASSWORD.marker)) {
      throw new UnreachableError(
        this.host.name,
        `sudo refused the become password for ${this.user}`,
        'check ansible_become_password (or plumb_become_password) for this host, and that the user may use sudo',
      );
    }
    if (timeoutS > 0 && TIMED_OUT.has(result.code) && Date.now() - started >= timeoutS * 1000 - 50) throw new CommandTimeout(timeoutS, true);
    return result;
  }

  /** A new connection to the host (after a reboot); every fact is probed again. */
  async reconnect(): Promise<void> {
    if (!this.transport.reconnect) throw new TaskError(`${this.host.name}: this connection cannot be opened again`, 'reboot needs an SSH connection');
    await this.transport.reconnect();
    this.invalidate(['*']);
  }

  /** Facts this session still needs: not cached, or invalidated by an applied change. */
  missing(facts: readonly Fact<unknown>[]): Fact<unknown>[] {
    const seen = new Set<string>();
    return facts.filter((f) => {
      if (seen.has(f.key)) return false;
      seen.add(f.key);
      return !this.facts.has(f.key) || this.stale.has(f.key) || (isLive(f.key) && this.liveAt.get(f.key) !== this.world.applied);
    });
  }

  /**
   * Gather facts in ONE exec (no exec at all when nothing is missing). A pending lock request
   * is the opening part of that exec; when the lock stays held, nothing is gathered and this
   * throws HostLocked.
   */
  async gather(facts: readonly Fact<unknown>[], become: boolean): Promise<void> {
    const need = this.missing(facts);
    const lock = this.lock;
    if (!need.length && !lock) return;
    const nonce = newNonce();
    const batch = need.length ? buildBatch(need, nonce) : null;
    let res = await this.run(lock ? script(takeLock(lock.owner, nonce, lock.waitS, lock.steal), batch) : batch!, become, 'facts');
    if (lock) {
      const got = parseLock(res.stdout, nonce);
      if (got?.status === 'held') throw new HostLocked(this.host.name, got.holder, got.waitedS);
      if (!got)
        throw new CommandError(
          { command: 'take the apply lock', code: res.code, stdout: res.stdout, stderr: res.stderr },
          become ? 'taking the apply lock failed (is passwordless sudo allowed?)' : 'taking the apply lock failed',
        );
      this.lock = undefined;
      this.locked = { become };
      res = { ...res, stdout: stripLock(res.stdout, nonce) };
    }
    if (!need.length) return;
    if (res.code !== 0 && !res.stdout.includes(`@@plumb:${nonce}:`)) {
      throw new CommandError(
        { command: 'gather facts', code: res.code, stdout: res.stdout, stderr: res.stderr },
        become ? 'fact gathering failed (is passwordless sudo allowed?)' : 'fact gathering failed',
      );
    }
    const raw = parseBatch(res.stdout, need, nonce);
    need.forEach((f, i) => {
      const r = raw[i]!;
      this.facts.set(f.key, f.parse(r.out, r.code));
      this.stale.delete(f.key);
      if (isLive(f.key)) this.liveAt.set(f.key, this.world.applied);
    });
  }

  /** A fact's value known without probing (derived from other facts, or check mode's assumption of what an unapplied change did). */
  assume<T>(fact: Fact<T>, value: T): void {
    this.facts.set(fact.key, value);
    this.stale.delete(fact.key);
  }

  /** A fact's cached value, or undefined when it was never gathered. */
  peek<T>(fact: Fact<T>): T | undefined {
    return this.facts.get(fact.key) as T | undefined;
  }

  view(): FactResults {
    return {
      get: <T>(fact: Fact<T>): T => {
        if (!this.facts.has(fact.key)) throw new InternalError(`fact ${fact.key} was planned on but never gathered`);
        return this.facts.get(fact.key) as T;
      },
    };
  }

  /** After an applied change: its facts must be probed again before anyone plans on them. */
  invalidate(patterns: readonly string[]): void {
    if (patterns.length > 0) this.world.applied++;
    for (const key of this.facts.keys()) if (invalidates(patterns, key)) this.stale.add(key);
  }

  /** Check mode: remember what a planned-but-unapplied change could have altered. */
  wouldInvalidate(patterns: readonly string[]): void {
    if (patterns.length > 0) this.world.unapplied++;
    this.unapplied.push(...patterns);
  }

  /** A live fact may differ after a change not applied on any host; others, after one on this host. */
  mayChange(fact: Fact<unknown>): boolean {
    return isLive(fact.key) ? this.world.unapplied > 0 : invalidates(this.unapplied, fact.key);
  }

  /** Read these facts again before the next plan (a retry of `until`). */
  forget(facts: readonly Fact<unknown>[]): void {
    for (const f of facts) if (this.facts.has(f.key)) this.stale.add(f.key);
  }
}
