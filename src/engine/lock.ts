// The per-host run lock of `apply`: two runs never change one host at the same time.
//
// The lock is a one-line record on the host (/var/lib/plumb/apply.lock, or under $HOME
// without root) naming its holder twice over:
// - on the host: the boot id, PID and start time of the sshd session process the holding
//   run's exec runs under. That process lives exactly as long as the run's SSH connection,
//   so a run that ends, is killed (kill -9) or loses its link frees the lock without any
//   release exec: a record whose process is gone (or is another process now) is free;
// - for people and for the controller: run id, controller hostname, user, PID, start time,
//   and the controller's boot id and PID start time, so a later run on the same controller
//   can see that a holder whose sshd session lingers on the host (its link was cut, the
//   host has not noticed yet) is in fact dead, and take the lock over.
// Check-and-set runs under flock(1), so two runs never both take a free lock. The take step
// is the opening part of the run's first exec on each host (the facts exec), so a no-op
// apply still costs one exec per host. `check` never takes it.
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { PlumbError } from '../errors.js';
import { raw, script, sh, type Shell } from '../sh.js';

/** Who runs this apply, as the lock record names it. */
export interface LockOwner {
  run: string;
  host: string;
  user: string;
  pid: number;
  since: string;
  /** The controller's boot id and this process's start time (Linux), to tell a dead holder from a live one. */
  boot: string;
  start: string;
}

/** A lock record read back from a host: the owner's fields as written. */
export type LockHolder = Partial<Record<keyof LockOwner, string>>;

export type LockOutcome = { status: 'taken' } | { status: 'held'; holder: LockHolder };

/** A host's lock is held by another run that is still alive. */
export class HostLocked extends PlumbError {
  override name = 'HostLocked';
  constructor(
    readonly host: string,
    readonly holder: LockHolder,
    waitedS: number,
  ) {
    super(
      `${host} is locked by another apply: ${describeHolder(holder)}${waitedS ? ` (waited ${waitedS} s)` : ''}\n  hint: let it finish, or wait longer with --lock-timeout; a run that lost its link keeps the lock until sshd on the host drops its session (sshd_config ClientAliveInterval bounds that)`,
    );
  }
}

export function describeHolder(h: LockHolder): string {
  return `run ${h.run ?? '?'} of ${h.user ?? '?'}@${h.host ?? '?'}, pid ${h.pid ?? '?'}, started ${h.since ?? '?'}`;
}

function procStart(pid: number | 'self'): string {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(') ') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export function lockOwner(now = new Date()): LockOwner {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry: keep 'unknown'
  }
  return {
    run: randomBytes(4).toString('hex'),
    host: hostname(),
    user,
    pid: process.pid,
    since: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    boot: bootId(),
    start: procStart('self'),
  };
}

/** A holder that ran on this controller and whose process is gone (or is another process now). */
export function holderGone(h: LockHolder, self: LockOwner = lockOwner()): boolean {
  if (!h.boot || !h.pid || h.host !== self.host || h.boot !== self.boot) return false;
  const pid = Number(h.pid);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return !!h.start && procStart(pid) !== h.start;
}

// Where the record lives: as the pending handlers (root: /var/lib/plumb, else under $HOME).
const DIR = raw(`plk_d=/var/lib/plumb; [ -w /var/lib ] || plk_d="$HOME/.local/state/plumb"; [ -d "$plk_d" ] || mkdir -p "$plk_d"; plk_f="$plk_d/apply.lock"`);

// plk_me: "boot pid start" of the nearest sshd ancestor (the SSH session); without one (a
// local transport), of the shell's parent. Reads /proc with the shell's own `read`: no fork.
const SESSION = raw(
  [
    'IFS= read -r plk_boot 2>/dev/null < /proc/sys/kernel/random/boot_id || plk_boot=-',
    'plk_me=; plk_p=$$; plk_i=0',
    'while [ "$plk_i" -lt 16 ] && IFS= read -r plk_st 2>/dev/null < "/proc/$plk_p/stat"; do',
    '  plk_c=${plk_st#*\\(}; plk_c=${plk_c%\\)*}; set -- ${plk_st##*) }',
    '  case $plk_c in sshd|sshd-session) plk_me="$plk_boot $plk_p ${20}"; break ;; esac',
    '  [ "$2" -gt 1 ] 2>/dev/null || break',
    '  plk_p=$2; plk_i=$((plk_i + 1))',
    'done',
    'if [ -z "$plk_me" ] && IFS= read -r plk_st 2>/dev/null < "/proc/$PPID/stat"; then set -- ${plk_st##*) }; plk_me="$plk_boot $PPID ${20}"; fi',
  ].join('\n'),
);

// plk_alive BOOT PID START: that process still runs (same boot, same start time).
const ALIVE = raw(
  [
    'plk_alive() {',
    '  [ -n "$1" ] && [ "$1" = "$plk_boot" ] || return 1',
    '  plk_want=$3',
    '  IFS= read -r plk_st 2>/dev/null < "/proc/$2/stat" || return 1',
    '  set -- ${plk_st##*) }',
    '  [ "${20}" = "$plk_want" ]',
    '}',
  ].join('\n'),
);

function ownerWords(o: LockOwner): string[] {
  return (['run', 'host', 'user', 'pid', 'since', 'boot', 'start'] as const).map((k) => `${k}=${String(o[k]).replace(/\s/g, '_') || '-'}`);
}

/**
 * The take step: under flock, take the lock when it is free, dead, already ours, or held by
 * `steal` (a run the controller saw is dead); else poll each second for up to `waitS`. Prints
 * one marker line; when the lock stays held the script exits 75 there (nothing after it runs).
 */
export function takeLock(owner: LockOwner, nonce: string, waitS: number, steal?: string): Shell {
  const mark = `@@plumb:${nonce}:lock:`;
  return script(
    DIR,
    SESSION,
    ALIVE,
    sh`plk_rec=${ownerWords(owner).join(' ')}; plk_ours=${`run=${owner.run}`}; plk_steal=${steal ? `run=${steal}` : '-'}; plk_wait=${Math.max(0, Math.floor(waitS))}; plk_n=0`,
    raw(
      [
        'while :; do',
        '  plk_state=held; plk_old=',
        '  exec 9>>"$plk_f.guard"',
        '  flock -w 30 9 || { printf \'%s\\n\' "plumb: cannot lock $plk_f.guard" >&2; exit 1; }',
        '  if [ -s "$plk_f" ]; then IFS= read -r plk_old < "$plk_f" || true; fi',
        '  set -- $plk_old',
        '  if [ -z "$plk_old" ] || [ "$4" = "$plk_ours" ] || [ "$4" = "$plk_steal" ] || ! plk_alive "$1" "$2" "$3"; then',
        '    printf \'%s\\n\' "$plk_me $plk_rec" > "$plk_f"; plk_state=taken',
        '  fi',
        '  exec 9>&-',
        '  [ "$plk_state" = taken ] || [ "$plk_n" -ge "$plk_wait" ] && break',
        '  sleep 1; plk_n=$((plk_n + 1))',
        'done',
        'set --',
      ].join('\n'),
    ),
    sh`printf '%s%s %s %s\n' ${mark} "$plk_state" "$plk_n" "$plk_old"`,
    raw('[ "$plk_state" = taken ] || exit 75'),
  );
}

/** Drop the lock if this run still holds it (only when a run gives its locks back to queue up). */
export function releaseLock(owner: LockOwner): Shell {
  return script(
    DIR,
    sh`plk_ours=${`run=${owner.run}`}`,
    raw(
      [
        'exec 9>>"$plk_f.guard"; flock -w 30 9 || exit 1',
        'plk_old=; if [ -s "$plk_f" ]; then IFS= read -r plk_old < "$plk_f" || true; fi',
        'set -- $plk_old',
        '[ "$4" != "$plk_ours" ] || : > "$plk_f"',
      ].join('\n'),
    ),
  );
}

/** The take step's answer in an exec's stdout, and how long it waited; undefined when it did not run. */
export function parseLock(stdout: string, nonce: string): (LockOutcome & { waitedS: number }) | undefined {
  const mark = `@@plumb:${nonce}:lock:`;
  const at = stdout.indexOf(mark);
  if (at < 0) return undefined;
  const line = stdout.slice(at + mark.length, stdout.indexOf('\n', at) < 0 ? undefined : stdout.indexOf('\n', at));
  const [state, waited, ...rec] = line.split(' ');
  const waitedS = Number(waited) || 0;
  if (state === 'taken') return { status: 'taken', waitedS };
  const holder: LockHolder = {};
  for (const w of rec.slice(3)) {
    const eq = w.indexOf('=');
    if (eq > 0) holder[w.slice(0, eq) as keyof LockOwner] = w.slice(eq + 1);
  }
  return { status: 'held', holder, waitedS };
}

/** The marker's line, cut out of stdout so the rest parses as if the step were not there. */
export function stripLock(stdout: string, nonce: string): string {
  const mark = `@@plumb:${nonce}:lock:`;
  const at = stdout.indexOf(mark);
  if (at < 0) return stdout;
  const nl = stdout.indexOf('\n', at);
  return stdout.slice(0, at) + (nl < 0 ? '' : stdout.slice(nl + 1));
}

/** What the lock phase needs from the run (src/engine/run.ts). */
export interface LockPhase {
  hosts: string[];
  owner: LockOwner;
  /** --lock-timeout: how long a run waits, in all, for hosts another run holds. */
  waitS: number;
  /** The host's session, or null when it is unreachable (already reported). */
  session: (name: string) => Promise<LockSession | null>;
  /** The host's first exec (its facts, with the take step in front): may throw HostLocked. */
  first: (name: string, s: LockSession) => Promise<void>;
  /** Whether that exec runs with become (where the record lives). */
  become: (name: string, s: LockSession) => boolean;
  pool: (items: string[], fn: (name: string) => Promise<void>) => Promise<void>;
}

/** The slice of HostSession the lock phase uses. */
export interface LockSession {
  lock?: { owner: LockOwner; waitS: number; steal?: string };
  locked?: { become: boolean };
  gather(facts: readonly never[], become: boolean): Promise<void>;
  run(script: Shell, become: boolean, purpose: 'facts'): Promise<unknown>;
  invalidate(patterns: readonly string[]): void;
}

/**
 * Before any change, lock every host of the run (in each host's first exec, all hosts at
 * once). A host held by a dead run of this controller is taken over. A host held by a live
 * run: the run gives back what it took and queues up, host by host in name order, for up to
 * waitS in all, so two runs started together end with one holding every host instead of each
 * holding some. Returns the hosts still held (empty: every reachable host is locked); errors
 * other than HostLocked are left for the run to meet again and report. The facts gathered
 * before queuing are marked stale: the holder may have changed the host meanwhile.
 */
export async function lockHosts(p: LockPhase): Promise<{ held: HostLocked[]; queued: boolean }> {
  const deadline = Date.now() + p.waitS * 1000;
  const held = new Map<string, HostLocked>();
  const attempt = async (name: string, s: LockSession, steal?: string): Promise<void> => {
    // On another error the request stays: the run meets the error again, or takes the lock then.
    s.lock = { owner: p.owner, waitS: 0, steal };
    try {
      await p.first(name, s);
      held.delete(name);
    } catch (e) {
      if (!(e instanceof HostLocked)) return;
      held.set(name, e);
      s.lock = undefined;
    }
  };
  const sessions = new Map<string, LockSession>();
  await p.pool(p.hosts, async (name) => {
    const s = await p.session(name);
    if (!s) return;
    sessions.set(name, s);
    await attempt(name, s);
  });
  // A holder that ran here and whose process is gone: take over its lock (its sshd session
  // can outlive it on the host for a while when its link was cut).
  await Promise.all([...held].filter(([, e]) => holderGone(e.holder, p.owner)).map(([name, e]) => attempt(name, sessions.get(name)!, e.holder.run)));
  if (!held.size || p.waitS <= 0) return { held: [...held.values()], queued: false };

  await Promise.all(
    [...sessions.values()]
      .filter((s) => s.locked)
      .map(async (s) => {
        // A host that fails here fails again, and is reported, when the run reaches it.
        await s.run(releaseLock(p.owner), s.locked!.become, 'facts').catch(() => {});
        s.locked = undefined;
      }),
  );
  for (const s of sessions.values()) s.invalidate(['*']);
  for (const name of [...sessions.keys()].sort()) {
    const s = sessions.get(name)!;
    s.lock = { owner: p.owner, waitS: Math.max(0, Math.ceil((deadline - Date.now()) / 1000)) };
    try {
      await s.gather([], p.become(name, s));
      held.delete(name);
    } catch (e) {
      if (!(e instanceof HostLocked)) continue;
      s.lock = undefined;
      held.set(name, e);
      return { held: [...held.values()], queued: true };
    }
  }
  return { held: [], queued: true };
}
