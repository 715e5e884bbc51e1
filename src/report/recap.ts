// The recap table that ends every run: one row per host.
import type { HostRecap, RecapNote } from './events.js';

export function formatRecap(hosts: Record<string, HostRecap>, durationMs: number, notes: RecapNote[] = []): string {
  const names = Object.keys(hosts);
  const w = Math.max(4, ...names.map((n) => n.length));
  const head = `${'HOST'.padEnd(w)}  ${['ok', 'changed', 'failed', 'skipped', 'unreach', 'execs', 'time'].map((c) => c.padStart(7)).join(' ')}`;
  const rows = names.map((n) => {
    const r = hosts[n]!;
    const cells = [r.ok, r.changed, r.failed, r.skipped, r.unreachable ? 1 : 0, r.execs].map((x) => String(x).padStart(7));
    return `${n.padEnd(w)}  ${cells.join(' ')} ${`${(r.durationMs / 1000).toFixed(2)}s`.padStart(7)}`;
  });
  return ['', 'RECAP', head, ...rows, `total ${(durationMs / 1000).toFixed(2)}s`, ...notes.map(formatNote)].join('\n');
}

/** `note (lb-01, lb-02): message`; a message of several lines keeps them, indented. */
export function formatNote(n: RecapNote): string {
  return `note (${n.hosts.join(', ')}): ${n.message.split('\n').join('\n    ')}`;
}

/** Group per-host notes by message: one per distinct message, in order of first appearance (hosts in the order given). */
export function collectNotes(perHost: [host: string, notes: readonly string[]][]): RecapNote[] {
  const byMessage = new Map<string, string[]>();
  for (const [host, notes] of perHost)
    for (const m of notes) {
      const hosts = byMessage.get(m) ?? [];
      if (!hosts.includes(host)) hosts.push(host);
      byMessage.set(m, hosts);
    }
  return [...byMessage].map(([message, hosts]) => ({ message, hosts }));
}
