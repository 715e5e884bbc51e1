// The controller-side write of a change (fetch): atomic (temp file in the same directory,
// fsync, rename) and contained: the path, joined to its root, must stay inside the root,
// symbolic links included, or nothing is written.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TaskError } from '../errors.js';
import type { LocalWrite } from '../modules/types.js';

const inside = (root: string, p: string): boolean => {
  const r = relative(root, p);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
};

/** A controller path as a task gives it: `~/` is the operator's home, a relative path is under `base` (the project root). */
export function controllerPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return resolve(base, p);
}

/** Where `w` lands, or a TaskError when it would leave its root. `base` resolves relative roots. */
export function localTarget(w: Pick<LocalWrite, 'root' | 'path'>, base: string): { root: string; file: string } {
  if (w.path.split(/[\\/]/).includes('..') || isAbsolute(w.path) || w.path.includes('\0'))
    throw new TaskError(`refusing to write ${JSON.stringify(w.path)}: it would leave ${w.root}`);
  const root = controllerPath(w.root, base);
  const file = resolve(root, w.path);
  if (!inside(root, file)) throw new TaskError(`refusing to write ${file}: it is not inside ${root}`);
  return { root, file };
}

export function writeLocal(w: LocalWrite, base: string): string {
  const { root, file } = localTarget(w, base);
  mkdirSync(dirname(file), { recursive: true });
  // A link among the directories (made by anyone) must not carry the write elsewhere.
  const realRoot = realpathSync(root);
  const realDir = realpathSync(dirname(file));
  if (realDir !== realRoot && !inside(realRoot, realDir)) throw new TaskError(`refusing to write ${file}: ${dirname(file)} resolves outside ${root}`);
  const tmp = join(dirname(file), `.plumb.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, w.content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof TaskError) throw e;
    throw new TaskError(`cannot write ${file}: ${(e as Error).message}`);
  }
  return file;
}

/** sha1 of a controller file, undefined when absent (or not a regular file). */
export function localSha1(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return createHash('sha1').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}
