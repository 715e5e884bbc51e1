// Small filesystem helpers that are careful about mounts: the lab's directories may hold
// leftovers from a killed run, and deleting through a bind mount of /dev would be a disaster.
import { promises as fsp, existsSync, readFileSync } from 'node:fs';
import { run } from './run.js';

/** Mount points at or under dir, deepest first (from /proc/self/mountinfo of the root namespace). */
export function mountsUnder(dir: string): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const p = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`)) found.push(p);
  }
  return found.sort((a, b) => b.length - a.length);
}

/** Unmount everything at or under dir (lazily, so a busy leftover never blocks). */
export async function unmountUnder(dir: string): Promise<number> {
  const mps = mountsUnder(dir);
  for (const mp of mps) await run(['umount', '-l', mp], { allowFail: true });
  return mps.length;
}

/** rm -rf that never crosses into another filesystem, after unmounting anything inside. */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountUnder(dir);
  await run(['rm', '-rf', '--one-file-system', '--', dir]);
}

let writes = 0;

/** Temp file + rename; the temp name is unique per call, so concurrent writers never share one. */
export async function writeFileAtomic(file: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${++writes}`;
  await fsp.writeFile(tmp, data, { mode });
  await fsp.rename(tmp, file);
}

export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
