// The floor under every run of a scenario: bench/floor.ts (a node process that opens one SSH
// connection per host, runs `true`, and exits), timed from spawn to exit like the tools.
import path from 'node:path';
import { REPO } from './paths.js';
import { runTimed } from './proc.js';
import { summarize, type Summary } from './stats.js';

const FLOOR_CLI = path.join(REPO, 'dist', 'bench', 'floor.js');

export async function measureFloor(inventory: string, runs: number, progress: (msg: string) => void): Promise<Summary | undefined> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runTimed(['node', FLOOR_CLI, inventory], { cwd: REPO, timeoutMs: 5 * 60_000 });
    const out = JSON.parse(r.stdout.trim() || '{}') as { failed?: number };
    if (r.code !== 0 || out.failed !== 0) throw new Error(`floor run failed (exit ${r.code}): ${r.stderr.slice(-400)}`);
    ms.push(r.ms);
  }
  const s = summarize(ms);
  if (s) progress(`  floor (node + 1 SSH connection + 1 exec of true per host): ${(s.median / 1000).toFixed(2)} s median`);
  return s;
}
