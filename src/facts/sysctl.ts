// sysctl: a kernel parameter's live value, read from /proc/sys; every key of a host in one grep.
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

// dash's `read` stops after the first byte of a /proc/sys file (its byte-wise reads see EOF at
// offset 1), so every key is read by ONE grep: "path:value" lines, missing files left out.
export const sysctlMerger: FactMerger = {
  kind: 'sysctl',
  probe: (args) => script(sh`grep -s -H -- '' ${args.map(sysctlPath)}`, raw('true')),
  split: (out, _code, args) => {
    const values = new Map<string, string>();
    for (const line of out.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0 && !values.has(line.slice(0, i))) values.set(line.slice(0, i), line.slice(i + 1));
    }
    return args.map((a) => {
      const v = values.get(sysctlPath(a));
      return v === undefined ? { out: '', code: 1 } : { out: v, code: 0 };
    });
  },
};

export function sysctlFact(name: string): Fact<SysctlValue> {
  return {
    key: `sysctl:${name}`,
    merge: { merger: sysctlMerger, arg: name },
    probe: sysctlMerger.probe([name]),
    // Merged, `out` is this key's value; alone in its batch, it is grep's own "path:value" output.
    parse: (out, code) => {
      const r = out === '' || out.startsWith('/proc/sys/') ? sysctlMerger.split(out, code, [name])[0]! : { out, code };
      return r.code === 0 ? r.out : null;
    },
  };
}
