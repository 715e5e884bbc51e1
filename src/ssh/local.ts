// ansible_connection: local: the control machine itself, without SSH. The same Transport as
// SshTransport: one exec is one `/bin/sh -c` of the command line plus its stdin, so modules,
// the batched fact probe and exec counts are the same as for a remote host. The child gets
// a small environment (not plumb's), so nothing plumb was given in its environment leaks
// into the commands it runs.
import { spawn } from 'node:child_process';
import { UnreachableError } from '../errors.js';
import type { ExecResult, Transport } from './transport.js';

const KEEP_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

export class LocalTransport implements Transport {
  execCount = 0;
  constructor(
    readonly host: string,
    private readonly onExec?: (host: string, command: string, result: ExecResult, ms: number) => void,
  ) {}

  exec(command: string, stdin?: string | Buffer): Promise<ExecResult> {
    this.execCount++;
    const started = Date.now();
    const env: NodeJS.ProcessEnv = {};
    for (const k of KEEP_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
    return new Promise((done, fail) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', (e) => fail(new UnreachableError(this.host, `cannot run /bin/sh on this machine: ${e.message}`)));
      child.on('close', (code, signal) => {
        const result = { code: code ?? (signal ? 128 : 255), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        this.onExec?.(this.host, command, result, Date.now() - started);
        done(result);
      });
      child.stdin.on('error', () => {}); // a command that does not read its stdin closes the pipe early
      child.stdin.end(stdin ?? '');
    });
  }

  async close(): Promise<void> {}
}
