// Writing what was measured: bench/results/<date>.json (this run), bench/results/latest.json
// (this run merged over the previous latest, so a partial `--only` run keeps the other
// scenarios' last figures, each with its own date), the table, and the scale chart.
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from './paths.js';
import type { ScenarioResult } from './measure.js';
import { renderTable, type Row } from './table.js';
import { scaleChart, type Series } from './svg.js';

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  machine: Record<string, unknown>;
  scenarios: ScenarioResult[];
  findings: string[];
}

export function rows(scenarios: readonly ScenarioResult[]): Row[] {
  return scenarios.map((s) => ({
    scenario: s.title,
    hosts: s.hosts,
    plumb: s.plumb?.summary,
    ansible: s.ansible?.summary,
    ratio: s.ratio,
    plumbExecs: s.plumb?.execsPerHost,
    ansibleExecs: s.ansible?.execsPerHost,
    plumbRssMb: s.plumb?.rssMb?.median,
    floor: s.floor?.median,
    note: `load ${s.load[0]?.toFixed(1)}${s.notes.length ? `; ${s.notes.length} note(s)` : ''}`,
  }));
}

export function table(res: BenchResults): string {
  return renderTable(rows(res.scenarios));
}

function stamp(iso: string): string {
  return iso.slice(0, 16).replace(/:/g, '');
}

/** Scenarios of `prev` that this run did not measure, followed by this run's, in a stable order. */
export function merge(prev: BenchResults | undefined, cur: BenchResults): BenchResults {
  const ids = new Set(cur.scenarios.map((s) => s.id));
  const kept = (prev?.scenarios ?? []).filter((s) => !ids.has(s.id));
  const order = (s: ScenarioResult): number => {
    const i = ORDER.findIndex((p) => s.id.startsWith(p));
    return i === -1 ? ORDER.length : i;
  };
  const scenarios = [...kept, ...cur.scenarios].sort((a, b) => order(a) - order(b) || a.hosts - b.hosts || a.id.localeCompare(b.id));
  return { ...cur, scenarios, findings: cur.findings.length ? cur.findings : (prev?.findings ?? []) };
}

const ORDER = ['startup', 'cold', 'noop', 'audit', 'drift', 'latency-noop', 'latency-audit', 'scale-check', 'scale-apply'];

export function scaleSvg(res: BenchResults): string | undefined {
  const pick = (prefix: string, tool: 'plumb' | 'ansible'): Series['points'] =>
    res.scenarios
      .filter((s) => s.id.startsWith(prefix) && s[tool]?.summary)
      .map((s) => {
        const m = s[tool]!.summary!;
        return { hosts: s.hosts, median: m.median / 1000, min: m.min / 1000, max: m.max / 1000 };
      });
  const series: Series[] = [
    { label: 'plumb check', color: '#1f77b4', points: pick('scale-check', 'plumb') },
    { label: 'plumb apply (no-op)', color: '#2ca02c', points: pick('scale-apply', 'plumb') },
    { label: 'ansible --check', color: '#d62728', dashed: true, points: pick('scale-check', 'ansible') },
    { label: 'ansible (no-op)', color: '#ff7f0e', dashed: true, points: pick('scale-apply', 'ansible') },
  ].filter((s) => s.points.length > 0);
  if (series.length === 0) return undefined;
  const when = res.scenarios.find((s) => s.id.startsWith('scale'))?.measuredAt.slice(0, 10) ?? '';
  return scaleChart('20-task playbook on N lightweight lab hosts', `median of runs, whiskers min-max; ${String(res.machine.cpus)} cores; ${when}`, series);
}

export async function writeResults(cur: BenchResults): Promise<{ file: string; latest: BenchResults }> {
  await fsp.mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${stamp(cur.startedAt)}.json`);
  await fsp.writeFile(file, JSON.stringify(cur, null, 2) + '\n');
  const latestFile = path.join(RESULTS_DIR, 'latest.json');
  const prev = existsSync(latestFile) ? (JSON.parse(readFileSync(latestFile, 'utf8')) as BenchResults) : undefined;
  const latest = merge(prev, cur);
  await fsp.writeFile(latestFile, JSON.stringify(latest, null, 2) + '\n');
  const svg = scaleSvg(latest);
  if (svg) await fsp.writeFile(path.join(RESULTS_DIR, 'scale.svg'), svg);
  return { file, latest };
}
