// find: the entries under some directories, one `find` per task with every field Ansible's
// find reports, filtered by the pure plan. Key "cmd:find:...": any change may add or remove
// files under a tree, so every change invalidates it.
import { raw, script, sh } from '../sh.js';
import type { Fact } from './types.js';

export interface FoundEntry {
  path: string;
  /** find's %y: f, d, l, p, s, c, b. */
  type: string;
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  mtime: number;
  atime: number;
  ctime: number;
  inode: number;
  nlink: number;
  checksum?: string;
  /** The content matched `contains`. */
  contains?: boolean;
}

export interface FindListing {
  now: number;
  entries: FoundEntry[];
}

export interface FindProbe {
  paths: string[];
  maxdepth: number | null;
  follow: boolean;
  checksum: boolean;
  /** A PCRE that a file's content must match (grep -P). */
  contains?: string;
  wholeFile?: boolean;
}

const FMT = '%p\\0%y\\0%m\\0%u\\0%g\\0%U\\0%G\\0%s\\0%T@\\0%A@\\0%C@\\0%i\\0%n\\0';
const N = 13;

export function findFact(p: FindProbe): Fact<FindListing> {
  const base = (_: []) => sh`find ${p.follow ? ['-L'] : ['-P']} ${p.paths} -mindepth 1 ${p.maxdepth !== null ? ['-maxdepth', String(p.maxdepth)] : []}`;
  return {
    key: `cmd:find:${JSON.stringify(p)}`,
    probe: script(
      raw(`date +%s; printf '@entries\\0'`),
      raw(`${base([]).text} -printf '${FMT}' 2>/dev/null`),
      p.checksum && raw(`printf '@sum\\0'; ${base([]).text} -type f -exec sha1sum -z {} + 2>/dev/null`),
      p.contains !== undefined &&
        script(raw(`printf '@contains\\0'; ${base([]).text} -type f -exec grep -lZ${p.wholeFile ? 'z' : ''}P`), sh`-e ${p.contains} {} + 2>/dev/null`),
      raw('true'),
    ),
    parse(out): FindListing {
      const nl = out.indexOf('\n');
      const now = Number(out.slice(0, nl));
      const t = out.slice(nl + 1).split('\0');
      const entries: FoundEntry[] = [];
      let i = t.indexOf('@entries') + 1;
      while (i > 0 && i + N - 1 < t.length && !t[i]!.startsWith('@')) {
        const [
          path = '',
          type = '',
          mode = '',
          uid = '0',
          gid = '0',
          owner = '',
          group = '',
          size = '0',
          mt = '0',
          at = '0',
          ct = '0',
          inode = '0',
          nlink = '0',
        ] = t.slice(i, i + N);
        entries.push({
          path,
          type,
          mode: mode.padStart(4, '0'),
          uid: Number(uid),
          gid: Number(gid),
          owner,
          group,
          size: Number(size),
          mtime: Number(mt),
          atime: Number(at),
          ctime: Number(ct),
          inode: Number(inode),
          nlink: Number(nlink),
        });
        i += N;
      }
      const byPath = new Map(entries.map((e) => [e.path, e]));
      let section = '';
      for (; i < t.length; i++) {
        const tok = t[i]!;
        if (tok === '@sum' || tok === '@contains') section = tok;
        else if (section === '@sum' && tok.includes('  ')) {
          const e = byPath.get(tok.slice(tok.indexOf('  ') + 2));
          if (e) e.checksum = tok.slice(0, tok.indexOf('  '));
        } else if (section === '@contains' && tok !== '') {
          const e = byPath.get(tok);
          if (e) e.contains = true;
        }
      }
      if (p.contains !== undefined) for (const e of entries) e.contains ??= false;
      return { now, entries };
    },
  };
}
