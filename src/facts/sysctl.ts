// sysctl: a kernel parameter's live value, read from /proc/sys with the shell's own `read`
// (no fork per key); every key of a host in one loop.
import { raw, script, sh } from '../sh.js';
import type { Fact, FactMerger } from './types.js';

/** null: no such key on this kernel (or not readable). */
export type SysctlValue = string | null;

/** net.ipv4.ip_forward -> net/ipv4/ip_forward; a '/' in a name stands for a '.' (eth0/100). */
export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`;
}

/** Ansible compares values with runs of whitespace made one space. */
export function normalizeSysctl(v: string): string {
  return v.trim().split(/\s+/).join(' ');
}

const MISSING = '\u0001';

export const sysctlMerger: FactMerger = {
  kind: 'sysctl',
  probe: (args) =>
    script(sh`for f in ${args.map(sysctlPath)}; do`, raw(`  if { read -r v < "$f"; } 2>/dev/null; then printf '%s\\0' "$v"; else printf '\\001\\0'; fi`), raw('done')),
  split: (out, _code, args) => {
    const parts = out.split('\0');
    return args.map((_a, i) => (parts[i] === undefined || parts[i] === MISSING ? { out: '', code: 1 } : { out: parts[i]!, code: 0 }));
  },
};

export function sysctlFact(name: string): Fact<SysctlValue> {
  return {
    key: `sysctl:${name}`,
    merge: { merger: sysctlMerger, arg: name },
    probe: sysctlMerger.probe([name]),
    parse: (out, code) => (code === 0 ? out.replace(/\n$/, '') : null),
  };
}
