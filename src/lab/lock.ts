// One lab operation at a time on this machine (tests in several processes may all call
// ensureLab). The lock is a directory holding the owner's PID; a lock whose owner is dead
// is stale and taken over. Re-entrant within one process.
import { promises as fsp, mkdirSync } from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from './paths.js';
import { isAlive } from './proc.js';
import { LabError, sleep } from './run.js';

const LOCK = path.join(STATE_DIR, 'lock');
let depth = 0;

async function acquire(timeoutMs: number, onWait: () => void): Promise<void> {
  mkdirSync(STATE_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      await fsp.mkdir(LOCK);
      await fsp.writeFile(path.join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await fsp.readFile(path.join(LOCK, 'pid'), 'utf8').catch(() => '')) || 0);
    if (owner && !isAlive(owner)) {
      await fsp.rm(LOCK, { recursive: true, force: true });
      continue;
    }
    if (!owner) {
      // Being created right now, or left half-made by a killed process: give it a moment.
      const st = await fsp.stat(LOCK).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 5000) await fsp.rm(LOCK, { recursive: true, force: true });
    }
    if (Date.now() > deadline) throw new LabError(`timed out waiting for the lab lock held by PID ${owner}`);
    if (!told) {
      told = true;
      onWait();
    }
    await sleep(500);
  }
}

export async function withLabLock<T>(fn: () => Promise<T>, onProgress: (m: string) => void = () => {}): Promise<T> {
  if (depth === 0) await acquire(30 * 60_000, () => onProgress('waiting for another lab operation to finish'));
  depth++;
  try {
    return await fn();
  } finally {
    depth--;
    if (depth === 0) await fsp.rm(LOCK, { recursive: true, force: true });
  }
}
