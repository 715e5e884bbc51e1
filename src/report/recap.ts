// The recap table that ends every run: one row per host.
import type { HostRecap } from './events.js';

export function formatRecap(hosts: Record<string, HostRecap>, durationMs: number): string {
  const names = Object.keys(hosts);
  const w = Math.max(4, ...names.map((n) => n.length));
  const head = `${'HOST'.padEnd(w)}  ${['ok', 'changed', 'failed', 'skipped', 'unreach', 'execs', 'time'].map((c) => c.padStart(7)).join(' ')}`;
  const rows = names.map((n) => {
    const r = hosts[n]!;
    const cells = [r.ok, r.changed, r.failed, r.skipped, r.unreachable ? 1 : 0, r.execs].map((x) => String(x).padStart(7));
    return `${n.padEnd(w)}  ${cells.join(' ')} ${`${(r.durationMs / 1000).toFixed(2)}s`.padStart(7)}`;
  });
  return ['', 'RECAP', head, ...rows, `total ${(durationMs / 1000).toFixed(2)}s`].join('\n');
}
