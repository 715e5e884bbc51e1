// Running machine-side commands for the lab. Arguments are always argv arrays (no shell)
// unless a script is built with sh`` from src/sh.ts. Nothing here prints.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { PlumbError } from '../errors.js';
import { REPO_ROOT } from './paths.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class LabError extends PlumbError {
  override name = 'LabError';
}

/**
 * Commands the lab runs on this machine, and the Debian package that provides each: the
 * `lab` lines of scripts/prereqs.txt, the list the demo and test scripts install from.
 */
function labTools(): [string, string][] {
  let text: string;
  try {
    text = readFileSync(path.join(REPO_ROOT, 'scripts', 'prereqs.txt'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f): f is [string, string, string] => f.length === 3 && !f[0]!.startsWith('#') && f[2] === 'lab')
    .map(([cmd, pkg]) => [cmd, pkg]);
}

/** True when `cmd` is an executable file on PATH (a file check: nothing is spawned). */
function onPath(cmd: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Fails with the apt-get line to run when a command the lab needs is missing. */
export function checkTools(): void {
  const missing = labTools().filter(([cmd]) => !onPath(cmd));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
  throw new LabError(
    `the lab needs ${missing.map(([cmd]) => cmd).join(', ')}, not found on PATH\n` +
      `  fix: apt-get install --no-install-recommends ${pkgs}   (or run \`npm run demo\`, which installs them)`,
  );
}

export class LabCommandError extends LabError implements RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(
    readonly argv: readonly string[],
    r: RunResult,
  ) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n');
    super(`lab command failed (exit ${r.code}): ${argv.join(' ')}${tail ? `\n${tail}` : ''}`);
    this.code = r.code;
    this.stdout = r.stdout;
    this.stderr = r.stderr;
  }
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFail?: boolean;
  timeoutMs?: number;
  /** Called with each output line (stdout and stderr) as it arrives. */
  onLine?: (line: string) => void;
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new LabError('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const feed = (chunk: string): void => {
      if (!opts.onLine) return;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onLine(l);
    };
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      feed(d);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      feed(d);
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new LabError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const r = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (r.code !== 0 && !opts.allowFail) reject(new LabCommandError(argv, r));
      else resolve(r);
    });
  });
}

/** Run and return stdout; rejects on failure. */
export async function out(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  return (await run(argv, opts)).stdout;
}

/** True when the command exits 0. */
export async function ok(argv: readonly string[]): Promise<boolean> {
  return (await run(argv, { allowFail: true })).code === 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run fn over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
