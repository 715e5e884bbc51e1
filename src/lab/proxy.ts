// The latency proxy (`--latency MS`). This kernel has no netem, so one small Node process
// listens on 127.0.0.1, one port per host, forwards each connection to the host's sshd and
// holds every chunk for MS/2 in each direction: a round trip gains MS. Chunks keep their
// order (one FIFO per direction, released by a timer), half-closes are delayed the same way,
// and a full queue pauses the sending socket.
//
// Run as `node dist/src/lab/proxy.js CONFIG.json`; the lab spawns it detached and records
// its PID. The functions at the bottom are what the lab calls.
import net from 'node:net';
import { openSync, readFileSync, realpathSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from './fs.js';
import { procRef, stopProcess, type ProcRef } from './proc.js';
import { LabError, sleep } from './run.js';

export interface ProxyRoute {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
}

export interface ProxyConfig {
  delayMs: number;
  routes: ProxyRoute[];
}

const HIGH_WATER = 4 * 1024 * 1024;

/** One direction: from `src` to `dst`, each chunk released `delay` ms after it arrived. */
function pipeDelayed(src: net.Socket, dst: net.Socket, delay: number): void {
  const queue: { at: number; chunk: Buffer | null }[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && (queue[0]?.at ?? 0) <= now) {
      const item = queue.shift()!;
      if (item.chunk === null) {
        dst.end();
        continue;
      }
      queued -= item.chunk.length;
      if (!dst.destroyed) dst.write(item.chunk);
    }
    if (queued < HIGH_WATER && src.isPaused()) src.resume();
    const head = queue[0];
    if (head) timer = setTimeout(pump, Math.max(0, head.at - Date.now()));
  };
  const push = (chunk: Buffer | null): void => {
    queue.push({ at: Date.now() + delay, chunk });
    if (chunk) queued += chunk.length;
    if (queued >= HIGH_WATER) src.pause();
    if (!timer) timer = setTimeout(pump, delay);
  };
  src.on('data', (c: Buffer) => push(c));
  src.on('end', () => push(null));
  // An error or reset tears the other side down after the same delay.
  src.on('close', () => setTimeout(() => dst.destroy(), delay + 5));
}

export function serve(config: ProxyConfig): Promise<net.Server[]> {
  const half = config.delayMs / 2;
  return Promise.all(
    config.routes.map(
      (r) =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer({ allowHalfOpen: true }, (client) => {
            client.setNoDelay(true);
            const upstream = net.connect({ host: r.targetHost, port: r.targetPort, allowHalfOpen: true });
            upstream.setNoDelay(true);
            client.on('error', () => upstream.destroy());
            upstream.on('error', () => client.destroy());
            pipeDelayed(client, upstream, half);
            pipeDelayed(upstream, client, half);
          });
          server.once('error', reject);
          server.listen(r.listenPort, r.listenHost, () => resolve(server));
        }),
    ),
  );
}

// ---- machine side: start and stop the proxy process -------------------------------------

export interface ProxyState extends ProcRef {
  delayMs: number;
  configFile: string;
}

async function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startProxy(config: ProxyConfig, configFile: string, logFile: string): Promise<ProxyState> {
  await writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), configFile], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LabError('could not start the latency proxy');
  const ref = procRef(pid);
  if (!ref) throw new LabError(`the latency proxy exited at once; see ${logFile}`);
  for (let i = 0; i < 100; i++) {
    const open = await Promise.all(config.routes.map((r) => portOpen(r.listenHost, r.listenPort)));
    if (open.every(Boolean)) return { ...ref, delayMs: config.delayMs, configFile };
    await sleep(50);
  }
  await stopProcess(ref, { timeoutMs: 2000 });
  throw new LabError(`the latency proxy did not open its ports; see ${logFile}`);
}

export async function stopProxy(p: ProcRef): Promise<void> {
  await stopProcess(p, { timeoutMs: 3000 });
}

// ---- entry point when run as a process ---------------------------------------------------

function isMain(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: proxy.js CONFIG.json\n');
    process.exit(2);
  }
  const config = JSON.parse(readFileSync(file, 'utf8')) as ProxyConfig;
  serve(config).then(
    () => process.stdout.write(`plumb lab proxy: ${config.routes.length} routes, +${config.delayMs} ms round trip\n`),
    (e: unknown) => {
      process.stderr.write(`plumb lab proxy: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
  process.on('SIGTERM', () => process.exit(0));
}
