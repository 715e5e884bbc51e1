// The one executor: a module's plan and a host session in, the task's outcome out. Modules
// only plan; whether this is a check run is decided here and nowhere else: in check mode a
// plan that changes something is reported as what it would do (and the facts it would alter
// are marked as such for the plans after it), and only read-only steps (uri GET, wait_for)
// run. Redaction, no_log and the recap shape the outcome's events after it (play.ts, report/).
import { CommandError, TaskError, UnreachableError } from '../errors.js';
import type { Change, Diff, Plan, Vars } from '../modules/types.js';
import type { Status } from '../report/events.js';
import { recordPending } from './handlers.js';
import { writeLocal } from './local-write.js';
import type { Become, HostSession } from './session.js';

export interface Outcome {
  status: Status;
  message?: string;
  diffs: Diff[];
  result: Vars;
  /** Something ran (a command, an action): its result can be judged by changed_when/failed_when/until. */
  ran?: boolean;
  /** delegate_to: the host it ran on. */
  delegate?: string;
}

export interface ExecOptions {
  /** Plan only (check mode, or the task's `check_mode: true`). */
  check: boolean;
  become: Become;
  /** Handler names to record as pending on the host in the exec of the first change. */
  notify: readonly string[];
  /** Which recap counter the execs go to. */
  kind: 'change' | 'handlers';
  noLog: boolean;
  timeoutS: number;
  /** Called once the notified names are recorded on the host. */
  notified?(names: readonly string[]): void;
  /** The project root: where a change's controller-side write (fetch) may land, relative paths from. */
  root: string;
}

type Output = { code: number; stdout: string; stderr: string };

/**
 * A command's registered output as Ansible gives it: stdout and stderr without their
 * trailing newlines (so `out.stdout == 'yes'` ports), and their lines.
 */
export function outputOf(r: Output): Vars {
  const stdout = r.stdout.replace(/[\r\n]+$/, '');
  const stderr = r.stderr.replace(/[\r\n]+$/, '');
  const lines = (t: string) => (t === '' ? [] : t.split(/\r?\n/));
  return { rc: r.code, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr) };
}

/** A change's parsed output (data from the host: parsed, never evaluated); a parser that throws gives nothing. */
function parsed(c: Change, out: Output): Vars {
  if (!c.parse) return {};
  try {
    return c.parse(out);
  } catch {
    return {};
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * After a reboot was started: new connections until one reads another boot identity and the
 * test command succeeds. The old connection is expected to die; a host that is not back in
 * time is unreachable, as Ansible reports it.
 */
async function awaitReboot(s: HostSession, before: string, r: NonNullable<Change['reboot']>, o: ExecOptions): Promise<Vars> {
  const started = Date.now();
  const deadline = started + r.timeoutS * 1000;
  let why = 'no connection yet';
  await sleep(2000);
  while (Date.now() < deadline) {
    try {
      await s.reconnect();
      const boot = await s.run(r.bootCommand, o.become, o.kind, undefined, false, r.connectTimeoutS);
      const now = boot.stdout.trim();
      if (boot.code === 0 && now && now !== before) {
        const test = await s.run(r.testCommand, o.become, o.kind, undefined, false, r.connectTimeoutS);
        if (test.code === 0) {
          await sleep(r.postDelayS * 1000);
          return { rebooted: true, elapsed: Math.round((Date.now() - started) / 1000) };
        }
        why = `the test command exited ${test.code}`;
      } else why = boot.code === 0 ? 'the host has not rebooted yet (same boot id)' : `the boot id command exited ${boot.code}`;
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      why = e.message;
    }
    await sleep(2000);
  }
  throw new UnreachableError(s.host.name, `not back ${r.timeoutS} s after the reboot (${why})`, 'raise reboot_timeout, or look at the host console');
}

/** Apply (or, in check mode, only report) a plan on a host. */
export async function execute(plan: Plan, s: HostSession, o: ExecOptions): Promise<Outcome> {
  if (plan.skipped) return { status: 'skipped', message: plan.summary, diffs: [], result: plan.result ?? {} };
  if (!plan.changes.length) return { status: 'ok', message: plan.summary, diffs: [], result: plan.result ?? {} };
  // Only reads (uri GET, wait_for, a probe a later plan needs): run in check mode too, and ok.
  const reads = plan.changes.every((c) => c.readOnly === true);
  if (o.check && !reads) {
    for (const c of plan.changes) s.wouldInvalidate(c.invalidates);
    return {
      status: 'changed',
      message: `would ${plan.summary ?? plan.changes.map((c) => c.description).join('; ')}`,
      diffs: plan.diffs,
      result: plan.result ?? {},
    };
  }
  let last: Output = { code: 0, stdout: '', stderr: '' };
  let values: Vars = {};
  // A change whose parse says `changed: false` found nothing to do (see Change.parse).
  let anyChanged = false;
  const notify = reads ? [] : o.notify;
  for (const [n, c] of plan.changes.entries()) {
    if (c.controllerWaitS !== undefined) {
      await sleep(c.controllerWaitS * 1000);
      values = { ...values, ...parsed(c, last) };
      anyChanged = true;
      continue;
    }
    const record = n === 0 && notify.length > 0;
    try {
      last = await s.run(record ? recordPending(notify, c.script, c.refusedExit) : c.script, o.become, o.kind, c.stdin, o.noLog, o.timeoutS);
    } catch (e) {
      if (e instanceof UnreachableError) return { status: 'unreachable', message: e.message, diffs: plan.diffs, result: {} };
      if (e instanceof TaskError) return { status: 'failed', message: e.message, diffs: [], result: {} };
      throw e;
    }
    if (record) o.notified?.(notify);
    s.invalidate(c.invalidates);
    if (last.code !== 0) {
      const err = new CommandError({ command: c.description, ...last });
      return { status: 'failed', message: err.message, diffs: plan.diffs, result: { ...outputOf(last), ...parsed(c, last) }, ran: true };
    }
    if (c.reboot) {
      try {
        values = { ...values, ...(await awaitReboot(s, last.stdout.split('\n')[0]!.trim(), c.reboot, o)) };
      } catch (e) {
        if (e instanceof UnreachableError) return { status: 'unreachable', message: e.message, diffs: plan.diffs, result: {} };
        throw e;
      }
    }
    const own = parsed(c, last);
    if (own['changed'] !== false) anyChanged = true;
    values = { ...values, ...own };
    // The controller-side step (fetch): its failure (a checksum mismatch, a path leaving its
    // root) fails the task like a failed command.
    if (c.local) {
      try {
        writeLocal(c.local(last), o.root);
      } catch (e) {
        if (e instanceof TaskError) return { status: 'failed', message: e.message, diffs: plan.diffs, result: values, ran: true };
        throw e;
      }
    }
  }
  return {
    status: reads || !anyChanged ? 'ok' : 'changed',
    message: plan.summary ?? plan.changes.map((c) => c.description).join('; '),
    diffs: plan.diffs,
    // A change that writes on the controller printed the file: its output is not a result.
    result: { ...(plan.result ?? {}), ...(plan.changes.some((c) => c.local) ? {} : outputOf(last)), ...values },
    ran: true,
  };
}
