// What the monitoring and backup tests do to the converged stack on the lab: run plumb with
// the site playbook (or another one), run commands on a host over the machine's OpenSSH,
// and poll for a condition with a bounded wait. Shared by monitoring.test.ts and
// backup.test.ts so both talk to the lab the same way.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { sshArgs } from '../../src/lab/index.js';
import type { HostRecap } from '../../src/report/events.js';
import { ensureLab } from './lab-fixture.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
export const SITE = resolve(ROOT, 'playbooks/site.yml');

export interface LabHostLike {
  name: string;
  address: string;
  sshHost?: string;
  port: number;
}
export interface Lab {
  hosts: LabHostLike[];
  inventory: string;
  knownHosts: string;
}
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  events: Array<Record<string, unknown>>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StackOps {
  /** -e arguments every run gets (the hosts' real addresses behind the latency proxy). */
  readonly base: string[];

  constructor(readonly lab: Lab) {
    this.base = lab.hosts.some((h) => h.sshHost !== undefined && h.sshHost !== h.address)
      ? ['-e', JSON.stringify({ stack_addresses: Object.fromEntries(lab.hosts.map((h) => [h.name, h.address])) })]
      : [];
  }

  static async open(): Promise<StackOps> {
    return new StackOps((await ensureLab()) as unknown as Lab);
  }

  addr(h: string): string {
    const x = this.lab.hosts.find((y) => y.name === h);
    if (!x) throw new Error(`lab has no ${h}`);
    return x.address;
  }

  /** Run a shell command on a lab host (strict host keys); stdin optional. */
  on(h: string, cmd: string, opts: { allowFail?: boolean; input?: string; timeoutMs?: number } = {}): { code: number; out: string; err: string } {
    const x = this.lab.hosts.find((y) => y.name === h);
    if (!x) throw new Error(`lab has no ${h}`);
    const args = sshArgs({ host: x.sshHost ?? x.address, port: x.port, knownHosts: this.lab.knownHosts });
    const r = spawnSync(args[0]!, [...args.slice(1), '--', cmd], {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 120_000,
      input: opts.input,
      maxBuffer: 64 * 1024 * 1024,
    });
    const res = { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
    if (!opts.allowFail && res.code !== 0) throw new Error(`${h}: ${cmd}: exit ${res.code}\n${res.err}${res.out}`);
    return res;
  }

  /** plumb apply|check PLAYBOOK -i lab --json, plus flags. */
  plumb(verb: 'apply' | 'check', playbook: string, ...flags: string[]): Run {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, verb, playbook, '-i', this.lab.inventory, '--json', ...this.base, ...flags], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const events = (r.stdout ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t0, events };
  }
}

export function recapOf(r: Run): Record<string, HostRecap> {
  const e = r.events.find((x) => x.type === 'recap');
  if (!e) throw new Error(`no recap (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return e.hosts as Record<string, HostRecap>;
}

export function failures(r: Run): string {
  return (
    r.events
      .filter((e) => e.type === 'task' && (e.status === 'failed' || e.status === 'unreachable'))
      .map((e) => `${String(e.host)} / ${String(e.task)}: ${String(e.message)}`)
      .join('\n') || r.stderr.slice(-3000)
  );
}

/** Tasks (not handlers) that changed, as "host: task". */
export function changedTasks(r: Run): string[] {
  return r.events
    .filter((e) => e.type === 'task' && e.status === 'changed' && e.handler !== true)
    .map((e) => `${String(e.host)}: ${String(e.task)}${e.item === undefined ? '' : ` (${String(e.item)})`}`)
    .sort();
}

/** Poll `probe` every `everyMs` until it returns a value other than undefined, for at most `limitMs`. */
export async function waitFor<T>(what: string, limitMs: number, probe: () => T | undefined, everyMs = 1000): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Inside a describe(): each case builds on the previous one, so after a failure the rest
 * are skipped. (Mocha's own this.bail() would also skip the suite after a failure in an
 * EARLIER file.)
 */
export function stepwise(): void {
  let broken = false;
  beforeEach(function () {
    if (broken) this.skip();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') broken = true;
  });
}
