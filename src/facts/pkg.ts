// pkg: what dpkg knows about a task's packages, in ONE dpkg-query for all of its names.
// Also the apt candidate versions (for state: latest) and the age of the apt cache.
import { raw, sh, type Shell } from '../sh.js';
import type { Fact, FactMerger } from './types.js';

export interface PkgState {
  /** dpkg's status pair, e.g. "ii" (installed), "rc" (removed, config files left), "un", or "" when dpkg never heard of it. */
  status: string;
  installed: boolean;
  /** Installed version; absent when not installed. */
  version?: string;
}

export type PkgStates = Record<string, PkgState>;

const NOT_KNOWN: PkgState = { status: '', installed: false };

function uniqueSorted(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

// Status letters (2nd of db:Status-Abbrev) that mean "fully installed": i, plus the
// trigger states whose package files are all in place.
const INSTALLED = new Set(['i', 'W', 't']);

function dpkgQuery(names: readonly string[]): Shell {
  return sh`dpkg-query -W -f=${'${Package}\\t${Architecture}\\t${db:Status-Abbrev}\\t${Version}\\n'} ${names}`;
}

/** Every task's packages in one dpkg-query; each fact reads only its own names from the lines. */
export const pkgMerger: FactMerger = {
  kind: 'pkg',
  probe: (args) => dpkgQuery(uniqueSorted(args.flatMap((a) => a.split(' ')))),
  split: (out, code, args) => args.map(() => ({ out, code })),
};

/** dpkg-query prints the found packages and exits 1 if any name is unknown: the code is ignored. */
export function pkgFact(names: readonly string[]): Fact<PkgStates> {
  const ns = uniqueSorted(names);
  return {
    key: `pkg:${ns.join(',')}`,
    probe: dpkgQuery(ns),
    merge: { merger: pkgMerger, arg: ns.join(' ') },
    parse(out: string): PkgStates {
      // A name may match several lines (multi-arch): installed wins.
      const seen = new Map<string, PkgState>();
      const note = (k: string, st: PkgState): void => {
        const prev = seen.get(k);
        if (!prev || (!prev.installed && st.installed)) seen.set(k, st);
      };
      for (const line of out.split('\n')) {
        const [pkg, arch = '', abbrev = '', version = ''] = line.split('\t');
        if (!pkg) continue;
        const status = abbrev.slice(0, 2).trim();
        const installed = INSTALLED.has(abbrev.charAt(1));
        const st: PkgState = installed ? { status, installed, version } : { status, installed };
        note(pkg, st);
        if (arch) note(`${pkg}:${arch}`, st);
      }
      const result: PkgStates = {};
      for (const n of ns) result[n] = seen.get(n) ?? NOT_KNOWN;
      return result;
    },
  };
}

/** The version apt would install now, per name; null when apt has no candidate (unknown package). */
export function aptCandidateFact(names: readonly string[]): Fact<Record<string, string | null>> {
  const ns = uniqueSorted(names);
  return {
    key: `pkg:${ns.join(',')}#candidate`,
    probe: sh`LC_ALL=C apt-cache policy ${ns}`,
    parse(out: string): Record<string, string | null> {
      const found: Record<string, string | null> = {};
      let current: string | undefined;
      for (const line of out.split('\n')) {
        const head = /^(\S+):$/.exec(line);
        if (head) {
          current = head[1];
          continue;
        }
        const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
        if (cand && current !== undefined) found[current] = cand[1] === '(none)' ? null : (cand[1] ?? null);
      }
      const result: Record<string, string | null> = {};
      for (const n of ns) result[n] = found[n] ?? found[n.replace(/:[^:]*$/, '')] ?? null;
      return result;
    },
  };
}

/**
 * Seconds since the apt cache was last updated, or null if it never was (no Packages lists:
 * a fresh container). plumb touches update-success-stamp after each update; the lists
 * directory's mtime covers updates made by other means.
 */
export function aptCacheFact(): Fact<number | null> {
  return {
    key: 'apt:cache',
    probe: raw(`ls /var/lib/apt/lists 2>/dev/null | grep -q '_Packages' || { echo never; exit 0; }
t=0
for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists; do
  if [ -e "$f" ]; then m=$(stat -c %Y "$f"); if [ "$m" -gt "$t" ]; then t=$m; fi; fi
done
echo $(( $(date +%s) - t ))`),
    parse(out: string): number | null {
      const s = out.trim();
      if (!/^-?\d+$/.test(s)) return null;
      return Math.max(0, Number(s));
    },
  };
}
