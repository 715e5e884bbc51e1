// For tests that run the site playbook on the lab and inject faults by hand: plumb as an
// operator runs it (sync or in the background), a command on a host through the machine's
// OpenSSH, and a bounded request loop against the load balancer. Shared by reload.test.ts
// and services.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { sshArgs, type LabStatus } from '../../src/lab/index.js';
import type { HostRecap } from '../../src/report/events.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const PLAYBOOK = resolve(ROOT, 'playbooks/site.yml');
export const DOMAIN = 'www.foobar.com';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  events: Array<Record<string, unknown>>;
}

export type TaskEvent = {
  host: string;
  task: string;
  status: string;
  handler?: boolean;
  message?: string;
  diff?: { label: string; before: string; after: string }[];
};

export class SiteRun {
  constructor(readonly lab: LabStatus) {}

  addr(name: string): string {
    const h = this.lab.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab has no ${name}`);
    return h.address;
  }

  /** A command on a lab host (as root); throws on a non-zero exit unless allowFail. */
  onHost(name: string, cmd: string, allowFail = false): { code: number; out: string; err: string } {
    const h = this.lab.hosts.find((x) => x.name === name)!;
    const args = sshArgs({ host: h.sshHost, port: h.port, knownHosts: this.lab.knownHosts });
    const r = spawnSync(args[0]!, [...args.slice(1), '--', cmd], { encoding: 'utf8', timeout: 60_000 });
    const res = { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
    if (!allowFail && res.code !== 0) throw new Error(`${name}: ${cmd}: exit ${res.code}\n${res.err}${res.out}`);
    return res;
  }

  private argv(verb: 'apply' | 'check', flags: string[]): string[] {
    return [CLI, verb, PLAYBOOK, '-i', this.lab.inventory, '--json', ...flags];
  }

  private static parse(code: number | null, stdout: string, stderr: string): Run {
    const events = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code: code ?? -1, stdout, stderr, events };
  }

  plumb(verb: 'apply' | 'check', ...flags: string[]): Run {
    const r = spawnSync(process.execPath, this.argv(verb, flags), { cwd: ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
    return SiteRun.parse(r.status, r.stdout ?? '', r.stderr ?? '');
  }

  /** plumb in the background, so the test's event loop stays free (a request loop runs meanwhile). */
  plumbAsync(verb: 'apply' | 'check', ...flags: string[]): Promise<Run> {
    return new Promise((done) => {
      const p = spawn(process.execPath, this.argv(verb, flags), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => done(SiteRun.parse(code, out, err)));
    });
  }

  /**
   * HTTPS requests from the machine to lb-01, one after another, until `stop()` or `max`
   * requests or 60 s, whichever comes first. Resolves to the counts.
   */
  requestLoop(max = 600): { stop: () => void; result: Promise<{ ok: number; failed: number }> } {
    const lb = this.addr('lb-01');
    const loop = `ok=0; bad=0; i=0; while [ $i -lt ${max} ] && [ ! -e "$STOP" ]; do
      if curl -sk -o /dev/null -f --max-time 3 --resolve ${DOMAIN}:443:${lb} https://${DOMAIN}/health; then ok=$((ok+1)); else bad=$((bad+1)); fi
      i=$((i+1)); sleep 0.02; done; echo "$ok $bad"`;
    const stopFile = resolve(ROOT, `.reload-loop-stop-${process.pid}-${Date.now()}`);
    const p = spawn('timeout', ['60', 'sh', '-c', loop], { env: { ...process.env, STOP: stopFile }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const result = new Promise<{ ok: number; failed: number }>((done) =>
      p.on('close', () => {
        spawnSync('rm', ['-f', stopFile]);
        const [ok = 0, failed = 0] = out.trim().split(' ').map(Number);
        done({ ok, failed });
      }),
    );
    return { stop: () => spawnSync('touch', [stopFile]), result };
  }
}

export function recapOf(r: Run): Record<string, HostRecap> {
  const e = r.events.find((x) => x.type === 'recap');
  if (!e) throw new Error(`no recap (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return e.hosts as Record<string, HostRecap>;
}

export function tasks(r: Run): TaskEvent[] {
  return r.events.filter((e) => e.type === 'task') as unknown as TaskEvent[];
}

export function failures(r: Run): string {
  return (
    tasks(r)
      .filter((e) => e.status === 'failed' || e.status === 'unreachable')
      .map((e) => `${e.host} / ${e.task}: ${String(e.message)}`)
      .join('\n') || r.stderr.slice(-3000)
  );
}

/** "host: task" of every changed task (handlers marked), sorted. */
export function changed(r: Run): string[] {
  return tasks(r)
    .filter((e) => e.status === 'changed')
    .map((e) => `${e.host}: ${e.handler ? 'handler ' : ''}${e.task}`)
    .sort();
}

/** `plumb apply|check BOOK --json --limit HOST [ARGS]` on the lab's inventory, events parsed. */
export function runBookOn(lab: LabStatus, verb: 'apply' | 'check', book: string, host: string, args: string[] = []): Run {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'dist/src/cli/main.js'), verb, book, '-i', lab.inventory, '--json', '--limit', host, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const events = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', events };
}

/**
 * Run argv under a pseudo-terminal (python's pty), type `answer` and Enter when `prompt`
 * shows. The answer reaches python in its environment, never on a command line.
 */
export function underPty(argv: string[], prompt: string, answer: string, env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
  const driver = [
    'import os, pty, select, sys',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    os.execv(sys.argv[1], sys.argv[1:])',
    "buf, sent = b'', False",
    'while True:',
    '    r, _, _ = select.select([fd], [], [], 120)',
    '    if not r: break',
    '    try: d = os.read(fd, 4096)',
    '    except OSError: break',
    '    if not d: break',
    '    buf += d',
    "    if not sent and os.environ['PTY_PROMPT'].encode() in buf:",
    "        os.write(fd, (os.environ['PTY_ANSWER'] + '\\r').encode()); sent = True",
    '_, st = os.waitpid(pid, 0)',
    "sys.stdout.write(buf.decode('utf8', 'replace'))",
    'sys.exit(os.waitstatus_to_exitcode(st))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', driver, ...argv], {
    cwd: ROOT,
    env: { ...env, PTY_PROMPT: prompt, PTY_ANSWER: answer },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
