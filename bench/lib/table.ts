// The printed table: one row per scenario, both tools side by side. Pure: rows in, text out.
import type { Summary } from './stats.js';

export interface Row {
  scenario: string;
  hosts: number;
  plumb?: Summary;
  ansible?: Summary;
  /** Ansible median / plumb median. */
  ratio?: number;
  /** Exec round trips per host counted on the host (median over runs of the per-run max). */
  plumbExecs?: number;
  ansibleExecs?: number;
  /** plumb's peak RSS, MB (median). */
  plumbRssMb?: number;
  /** Median of bench/floor.ts: node start plus one SSH connection and one exec per host. */
  floor?: number;
  note?: string;
}

export function fmtSec(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(1);
}

export function fmtSummary(s: Summary | undefined): string {
  if (!s) return '-';
  return `${fmtSec(s.median)} (${fmtSec(s.min)}-${fmtSec(s.max)}) n=${s.n}`;
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined) return '-';
  return r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(1)}x`;
}

export function renderTable(rows: readonly Row[]): string {
  const head = [
    'scenario',
    'hosts',
    'plumb s median (min-max)',
    'ansible s median (min-max)',
    'ansible/plumb',
    'floor s',
    'execs/host plumb',
    'execs/host ansible',
    'plumb RSS MB',
    'note',
  ];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.hosts),
    fmtSummary(r.plumb),
    fmtSummary(r.ansible),
    fmtRatio(r.ratio),
    r.floor === undefined ? '-' : fmtSec(r.floor),
    r.plumbExecs === undefined ? '-' : String(r.plumbExecs),
    r.ansibleExecs === undefined ? '-' : String(r.ansibleExecs),
    r.plumbRssMb === undefined ? '-' : r.plumbRssMb.toFixed(0),
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}
