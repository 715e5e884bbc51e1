// Talking to lab hosts outside the measured windows: exec counts (read on the machine from
// each host's own exec log), fingerprints of the managed files (one ssh per host), and the
// hand edits of the drift scenario. ssh goes through the lab's strict-host-key arguments.
import { labExecCount, sshArgs } from '../../src/lab/index.js';
import { runTimed } from './proc.js';

export interface Endpoint {
  name: string;
  sshHost: string;
  port: number;
}

export function execCounts(names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, labExecCount(n)]));
}

/** Execs per host between two snapshots. */
export function execDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(before).map((n) => [n, (after[n] ?? 0) - (before[n] ?? 0)]));
}

export async function sshRun(h: Endpoint, knownHosts: string, command: string, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runTimed([...sshArgs({ host: h.sshHost, port: h.port, knownHosts }), '--', command], { input, timeoutMs: 120_000 });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/**
 * One line per path: sha256 (or `dir`, `link -> target`, `missing`), owner:group and mode;
 * then one line per probe: its label (no spaces) and its output on one line (state that
 * is not a file: services, accounts, grants; a probe hashes whatever is sensitive). `attrsOnly` paths (generated secrets such as a
 * self-signed key) are compared without their content.
 */
export function fingerprintScript(paths: readonly string[], attrsOnly: readonly string[] = [], probes: Readonly<Record<string, string>> = {}): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = paths.map((p) => {
    const content = attrsOnly.includes(p) ? 'echo "(content not compared)"' : `sha256sum < ${q(p)} | cut -c1-64`;
    return (
      `if [ -L ${q(p)} ]; then echo ${q(p)} "link -> $(readlink ${q(p)})" "$(stat -c '%U:%G' ${q(p)})"; ` +
      `elif [ -d ${q(p)} ]; then echo ${q(p)} dir "$(stat -c '%U:%G %a' ${q(p)})"; ` +
      `elif [ -e ${q(p)} ]; then echo ${q(p)} "$(${content})" "$(stat -c '%U:%G %a' ${q(p)})"; else echo ${q(p)} missing; fi`
    );
  });
  for (const [label, cmd] of Object.entries(probes)) {
    lines.push(`echo ${q(label)} "$( { ${cmd} ; } 2>&1 | tr '\\n' ' ')"`);
  }
  return lines.join('\n');
}

export async function fingerprint(
  h: Endpoint,
  knownHosts: string,
  paths: readonly string[],
  attrsOnly: readonly string[] = [],
  probes: Readonly<Record<string, string>> = {},
): Promise<Record<string, string>> {
  const r = await sshRun(h, knownHosts, 'sh -s', fingerprintScript(paths, attrsOnly, probes));
  const out: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out[line.slice(0, sp)] = line.slice(sp + 1);
  }
  return out;
}

/** Paths whose fingerprints differ between two tools' results, with both sides. */
export function compareFingerprints(
  a: Record<string, Record<string, string>>,
  b: Record<string, Record<string, string>>,
): { host: string; path: string; a: string; b: string }[] {
  const diffs: { host: string; path: string; a: string; b: string }[] = [];
  for (const host of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const fa = a[host] ?? {};
    const fb = b[host] ?? {};
    for (const p of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
      if (fa[p] !== fb[p]) diffs.push({ host, path: p, a: fa[p] ?? '(none)', b: fb[p] ?? '(none)' });
    }
  }
  return diffs;
}
