// Running the tools under measurement: wall time from spawn to exit (process start
// included, as an operator or a cron job sees it), exit code, output, and optionally the
// peak RSS through GNU time. Every child is bounded by a timeout and killed by its own PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /** Measure peak RSS with /usr/bin/time -f %M (adds a fork of `time`, well under 1 ms). */
  rss?: boolean;
  /** Called with each complete stdout line and the ms since spawn when it arrived. */
  onLine?: (line: string, atMs: number) => void;
}

export interface Timed {
  argv: string[];
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the measured process in kB, when `rss` was asked. */
  rssKb?: number;
  timedOut: boolean;
}

const active = new Set<ChildProcess>();

/** Kill the children still running (an interrupted bench), each by its own PID. */
export function killActive(): void {
  for (const c of active) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGTERM');
}

export function runTimed(argv: string[], opts: RunOptions = {}): Promise<Timed> {
  let rssDir: string | undefined;
  let full = argv;
  if (opts.rss) {
    rssDir = mkdtempSync(path.join(tmpdir(), 'plumb-bench-'));
    full = ['/usr/bin/time', '-f', '%M', '-o', path.join(rssDir, 'rss'), ...argv];
  }
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const since = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
    const child = spawn(full[0]!, full.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    active.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let partial = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      if (!opts.onLine) return;
      const at = since();
      const text = partial + b.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onLine(l, at);
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(
      () => {
        timedOut = true;
        if (child.pid !== undefined) child.kill('SIGKILL');
      },
      opts.timeoutMs ?? 30 * 60_000,
    );
    child.on('error', (e) => {
      active.delete(child);
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const ms = since();
      active.delete(child);
      clearTimeout(timer);
      if (partial && opts.onLine) opts.onLine(partial, ms);
      let rssKb: number | undefined;
      if (rssDir) {
        try {
          // GNU time writes "Command exited with non-zero status N" before the figure.
          const lines = readFileSync(path.join(rssDir, 'rss'), 'utf8').trim().split('\n');
          const v = Number(lines[lines.length - 1]);
          if (Number.isFinite(v)) rssKb = v;
        } catch {
          /* no figure */
        }
        rmSync(rssDir, { recursive: true, force: true });
      }
      resolve({
        argv,
        code: code ?? (signal ? 128 : -1),
        ms,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        rssKb,
        timedOut,
      });
    });
  });
}

/** The last `n` characters of a process's output, for error messages. */
export function tail(r: Timed, n = 1500): string {
  const s = (r.stderr.trim() ? r.stderr : r.stdout).trim();
  return s.length > n ? `...${s.slice(-n)}` : s;
}
