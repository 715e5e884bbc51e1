// file: what is at a path (absent, file, directory or link), its mode, owner, group,
// sha256 computed on the host, and optionally its content (for --diff).
import { createHash } from 'node:crypto';
import { quote, raw, script, sh, type Shell } from '../sh.js';
import type { Fact, FactMerger, RawFact } from './types.js';

export type FileState =
  | { kind: 'absent' }
  | { kind: 'file'; mode: string; owner: string; group: string; size: number; sha256: string; content?: Buffer }
  | { kind: 'directory'; mode: string; owner: string; group: string }
  | { kind: 'link'; target: string; mode: string; owner: string; group: string };

/** Files larger than this are compared by hash only; their diff says so. */
export const MAX_DIFF_BYTES = 1024 * 1024;

export function normalizeMode(m: string): string {
  return m.padStart(4, '0');
}

export function fileFact(path: string, withContent = false): Fact<FileState> {
  const p = quote(path);
  const content = withContent ? `\n  if [ "$(stat -c %s ${p})" -le ${MAX_DIFF_BYTES} ]; then base64 -w0 < ${p}; fi` : '';
  return {
    key: withContent ? `file:${path}#content` : `file:${path}`,
    ...mergeable(withContent ? 'c' : 's', path),
    probe: raw(`if [ -L ${p} ]; then stat --printf='link\\n%a\\n%U\\n%G\\n' ${p}; readlink ${p}
elif [ -d ${p} ]; then stat --printf='directory\\n%a\\n%U\\n%G\\n' ${p}
elif [ -e ${p} ]; then stat --printf='file\\n%a\\n%U\\n%G\\n%s\\n' ${p}; sha256sum < ${p} | cut -c1-64${content}
else echo absent; fi`),
    parse(out: string): FileState {
      const [kind, mode = '', owner = '', group = '', ...rest] = out.split('\n');
      if (kind === 'directory') return { kind, mode: normalizeMode(mode), owner, group };
      if (kind === 'link') return { kind, mode: normalizeMode(mode), owner, group, target: rest[0] ?? '' };
      if (kind === 'file') {
        const [size = '0', sha256 = '', b64] = rest;
        const st: FileState = { kind, mode: normalizeMode(mode), owner, group, size: Number(size), sha256 };
        if (withContent && b64 !== undefined && b64 !== '') st.content = Buffer.from(b64, 'base64');
        else if (withContent && Number(size) === 0) st.content = Buffer.alloc(0);
        return st;
      }
      return { kind: 'absent' };
    },
  };
}

/** Only whether something (file, directory, link, even dangling) is at a path: cheap, no hashing. */
export function pathExistsFact(path: string): Fact<boolean> {
  const p = quote(path);
  return {
    key: `file:${path}#exists`,
    ...mergeable('e', path),
    probe: raw(`[ -e ${p} ] || [ -L ${p} ]`),
    parse: (_out: string, code: number): boolean => code === 0,
  };
}

// ---------------------------------------------------------------------------------------
// Merged probe: every path of a host in one `stat`, one `sha256sum` and (for --diff) one
// `cat | base64`, instead of three to five processes per path. Fields are NUL-separated, so
// any path survives. Args are "<s|c|e>:<path>": stat only, stat and content, exists only.

/** Only absolute paths merge: `find` would take a relative one starting with "-" as an option. */
function mergeable(how: 's' | 'c' | 'e', path: string): Pick<Fact<unknown>, 'merge'> {
  return path.startsWith('/') ? { merge: { merger: fileMerger, arg: `${how}:${path}` } } : {};
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];
const pathOf = (arg: string): string => arg.slice(2);

interface Stat {
  type: string;
  mode: string;
  owner: string;
  group: string;
  size: number;
}

const isRegular = (st: Stat | undefined): boolean => st?.type.startsWith('regular') === true;

/** The paths whose content is read, in order: regular files small enough to diff. */
function contentPaths(args: readonly string[], stats: Map<string, Stat>): string[] {
  return unique(args.filter((a) => a.startsWith('c:')).map(pathOf)).filter((p) => {
    const st = stats.get(p);
    return isRegular(st) && st!.size <= MAX_DIFF_BYTES;
  });
}

export const fileMerger: FactMerger = {
  kind: 'file',
  probe(args) {
    const paths = unique(args.map(pathOf));
    const content = unique(args.filter((a) => a.startsWith('c:')).map(pathOf));
    const regularOf = (ps: string[]): Shell => sh`set --; for p in ${ps}; do if [ -f "$p" ] && [ ! -L "$p" ]; then set -- "$@" "$p"; fi; done`;
    return script(
      raw(`printf '@stat\\0'`),
      sh`stat --printf=${'%n\\0%F\\0%a\\0%U\\0%G\\0%s\\0'} -- ${paths}`,
      raw(`printf '@links\\0'`),
      sh`for p in ${paths}; do if [ -L "$p" ]; then printf '%s\\0' "$p"; readlink -z -- "$p" || printf '\\0'; fi; done`,
      raw(`printf '@sha\\0'`),
      regularOf(paths),
      raw(`[ $# -eq 0 ] || sha256sum -z -- "$@"`),
      content.length > 0 && raw(`printf '@content\\0'`),
      content.length > 0 && regularOf(content),
      content.length > 0 && raw(`[ $# -eq 0 ] || find "$@" -maxdepth 0 -type f -size -${MAX_DIFF_BYTES + 1}c -exec cat -- {} + | base64 -w0`),
    );
  },
  split(out, _code, args) {
    const tokens = out.split('\0');
    let i = tokens.indexOf('@stat') + 1;
    const stats = new Map<string, Stat>();
    while (i > 0 && i + 5 < tokens.length && tokens[i] !== '@links') {
      const [name = '', type = '', mode = '', owner = '', group = '', size = '0'] = tokens.slice(i, i + 6);
      stats.set(name, { type, mode, owner, group, size: Number(size) });
      i += 6;
    }
    i++;
    const targets = new Map<string, string>();
    while (i + 1 < tokens.length && tokens[i] !== '@sha') {
      targets.set(tokens[i]!, tokens[i + 1]!);
      i += 2;
    }
    i++;
    const hashes = new Map<string, string>();
    while (i < tokens.length && tokens[i] !== '@content') {
      const t = tokens[i]!;
      if (t.length > 66) hashes.set(t.slice(66), t.slice(0, 64));
      i++;
    }
    const contents = splitContent(tokens[i + 1] ?? '', contentPaths(args, stats), stats, hashes);
    return args.map((arg): RawFact => {
      const path = pathOf(arg);
      const st = stats.get(path);
      if (arg.startsWith('e:')) return { out: '', code: st ? 0 : 1 };
      if (!st) return { out: 'absent\n', code: 0 };
      const head = `${st.mode}\n${st.owner}\n${st.group}\n`;
      if (st.type === 'symbolic link') return { out: `link\n${head}${targets.get(path) ?? ''}\n`, code: 0 };
      if (st.type === 'directory') return { out: `directory\n${head}`, code: 0 };
      const body = contents.get(path);
      const b64 = arg.startsWith('c:') && body !== undefined ? body.toString('base64') : '';
      return { out: `file\n${head}${st.size}\n${hashes.get(path) ?? ''}\n${b64}`, code: 0 };
    });
  },
};

/**
 * Cut the concatenated content back into files by their stat sizes. A file that changed
 * between the stat and the read shows up as a length or hash mismatch: its content is left
 * out (the diff then says the content could not be shown) rather than guessed.
 */
function splitContent(b64: string, paths: string[], stats: Map<string, Stat>, hashes: Map<string, string>): Map<string, Buffer> {
  const all = Buffer.from(b64, 'base64');
  const result = new Map<string, Buffer>();
  const total = paths.reduce((n, p) => n + stats.get(p)!.size, 0);
  if (all.length !== total) return result;
  let at = 0;
  for (const p of paths) {
    const size = stats.get(p)!.size;
    const body = all.subarray(at, at + size);
    at += size;
    if (createHash('sha256').update(body).digest('hex') === hashes.get(p)) result.set(p, body);
  }
  return result;
}
