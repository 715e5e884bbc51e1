// stat: what Ansible's stat module reports about a path (type, mode, ids and names, size,
// times, inode, link target, a checksum), every path of a host in one `stat` per follow
// mode and one checksum process per algorithm. Key "file:PATH#stat": a write to the path
// invalidates it like any file fact.
import { raw, script, sh } from '../sh.js';
import type { Fact, FactMerger, RawFact } from './types.js';

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface StatInfo {
  exists: boolean;
  path: string;
  /** The rest only when it exists. */
  type?: string;
  rawMode?: number;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  inode?: number;
  dev?: number;
  nlink?: number;
  atime?: number;
  mtime?: number;
  ctime?: number;
  linkTarget?: string;
  linkSource?: string;
  checksum?: string;
}

const FIELDS = 14;
const FORMAT = '%n\\0%F\\0%f\\0%u\\0%g\\0%U\\0%G\\0%s\\0%i\\0%d\\0%h\\0%.9X\\0%.9Y\\0%.9Z\\0';

// Args are "<L|P><algo|->:<path>": follow or not, the checksum algorithm or none.
const parseArg = (a: string) => ({ follow: a[0] === 'L', algo: a.slice(1, a.indexOf(':')), path: a.slice(a.indexOf(':') + 1) });

export const statMerger: FactMerger = {
  kind: 'stat',
  probe(args) {
    const parsed = args.map(parseArg);
    const plain = [...new Set(parsed.filter((a) => !a.follow).map((a) => a.path))];
    const follow = [...new Set(parsed.filter((a) => a.follow).map((a) => a.path))];
    const algos = [...new Set(parsed.map((a) => a.algo).filter((x) => x !== '-'))];
    return script(
      raw(`printf '@P\\0'`),
      plain.length > 0 && sh`stat --printf=${FORMAT} -- ${plain}`,
      raw(`printf '@L\\0'`),
      follow.length > 0 && sh`stat -L --printf=${FORMAT} -- ${follow}`,
      raw(`printf '@links\\0'`),
      sh`for p in ${[...new Set(parsed.map((a) => a.path))]}; do if [ -L "$p" ]; then printf '%s\\0' "$p"; readlink -z -- "$p" || printf '\\0'; readlink -fz -- "$p" || printf '\\0'; fi; done`,
      ...algos.map((algo) =>
        script(
          sh`printf '@sum:%s\\0' ${algo}`,
          sh`set --; for p in ${[...new Set(parsed.filter((a) => a.algo === algo).map((a) => a.path))]}; do if [ -f "$p" ] && [ -r "$p" ]; then set -- "$@" "$p"; fi; done`,
          raw(`[ $# -eq 0 ] || ${algo}sum -z -- "$@"`),
        ),
      ),
    );
  },
  split(out, _code, args) {
    const t = out.split('\0');
    const recs = (from: string, to: string): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      let i = t.indexOf(from) + 1;
      while (i > 0 && i + FIELDS - 1 < t.length && t[i] !== to) {
        m.set(t[i]!, t.slice(i, i + FIELDS));
        i += FIELDS;
      }
      return m;
    };
    const plain = recs('@P', '@L');
    const follow = recs('@L', '@links');
    const links = new Map<string, [string, string]>();
    for (let i = t.indexOf('@links') + 1; i > 0 && i + 2 < t.length && !t[i]!.startsWith('@sum:'); i += 3) links.set(t[i]!, [t[i + 1]!, t[i + 2]!]);
    const sums = new Map<string, string>();
    let algo = '';
    for (const tok of t) {
      if (tok.startsWith('@sum:')) algo = tok.slice(5);
      else if (algo && / {2}/.test(tok)) sums.set(`${algo}:${tok.slice(tok.indexOf('  ') + 2)}`, tok.slice(0, tok.indexOf('  ')));
    }
    return args.map((arg): RawFact => {
      const a = parseArg(arg);
      const rec = (a.follow ? follow : plain).get(a.path);
      if (!rec) return { out: '', code: 1 };
      const l = links.get(a.path);
      return { out: JSON.stringify({ rec, link: l ?? null, sum: sums.get(`${a.algo}:${a.path}`) ?? null }), code: 0 };
    });
  },
};

export function statFact(path: string, opts: { follow?: boolean; checksum?: ChecksumAlgorithm | null } = {}): Fact<StatInfo> {
  const arg = `${opts.follow ? 'L' : 'P'}${opts.checksum ?? '-'}:${path}`;
  return {
    key: `file:${path}#stat:${arg.slice(0, arg.indexOf(':'))}`,
    merge: { merger: statMerger, arg },
    probe: statMerger.probe([arg]),
    parse(out, code): StatInfo {
      // Alone in its batch, the probe prints the merged format for one path: split it the same way.
      const data = out.startsWith('@P') ? statMerger.split(out, code, [arg])[0]!.out : code === 0 ? out : '';
      if (data === '') return { exists: false, path };
      const { rec, link, sum } = JSON.parse(data) as { rec: string[]; link: [string, string] | null; sum: string | null };
      const [
        ,
        type = '',
        hex = '0',
        uid = '0',
        gid = '0',
        owner = '',
        group = '',
        size = '0',
        inode = '0',
        dev = '0',
        nlink = '0',
        at = '0',
        mt = '0',
        ct = '0',
      ] = rec;
      return {
        exists: true,
        path,
        type,
        rawMode: parseInt(hex, 16),
        uid: Number(uid),
        gid: Number(gid),
        owner,
        group,
        size: Number(size),
        inode: Number(inode),
        dev: Number(dev),
        nlink: Number(nlink),
        atime: Number(at),
        mtime: Number(mt),
        ctime: Number(ct),
        ...(link ? { linkTarget: link[0], linkSource: link[1] } : {}),
        ...(sum ? { checksum: sum } : {}),
      };
    },
  };
}
