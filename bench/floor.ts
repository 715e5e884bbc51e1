// The physical floor of any agentless run, measured on the same hosts: a node process that
// does nothing but open one SSH connection per host (all in parallel), run `true` once,
// and exit. No playbook, no facts, no plan. plumb's time minus this is plumb's own cost.
//
//   node dist/bench/floor.js INVENTORY      -> prints {"hosts": N, "ms": ..., "failed": 0}
//
// It reads the inventory with plumb's loader (addresses, ports, user, key, known_hosts) and
// checks host keys against known_hosts like both tools do.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { loadInventory } from '../src/inventory/load.js';

const { Client } = ssh2;

function knownKeys(file: string | undefined): Set<string> {
  const keys = new Set<string>();
  if (!file) return keys;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3 && !line.startsWith('#')) keys.add(f[2]!);
  }
  return keys;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const file = process.argv[2];
  if (!file) throw new Error('usage: floor.js INVENTORY');
  const inv = loadInventory(file);
  const hosts = [...inv.hosts.values()];
  let failed = 0;
  // Every host of a lab shares one key and one known_hosts file: read each file once.
  const keyCache = new Map<string, Buffer>();
  const knownCache = new Map<string, Set<string>>();
  await Promise.all(
    hosts.map(
      (h) =>
        new Promise<void>((resolve) => {
          const keyFile = h.conn.keyFile ?? '';
          let key = keyCache.get(keyFile);
          if (!key) keyCache.set(keyFile, (key = readFileSync(keyFile)));
          const knownFile = h.conn.knownHosts ?? '';
          let known = knownCache.get(knownFile);
          if (!known) knownCache.set(knownFile, (known = knownKeys(h.conn.knownHosts)));
          const c = new Client();
          const fail = (): void => {
            failed++;
            c.end();
            resolve();
          };
          c.on('error', fail);
          c.on('ready', () => {
            c.exec('true', (err, ch) => {
              if (err) return fail();
              ch.resume();
              ch.stderr.resume();
              ch.on('close', () => {
                c.end();
                resolve();
              });
            });
          });
          c.connect({
            host: h.conn.address,
            port: h.conn.port ?? 22,
            username: h.conn.user ?? 'root',
            privateKey: key,
            readyTimeout: 60_000,
            hostVerifier: (raw: Buffer) => known.size === 0 || known.has(raw.toString('base64')),
          });
        }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ hosts: hosts.length, ms: Math.round(performance.now() - t0), failed })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
