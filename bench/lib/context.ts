// What every scenario gets: the options, progress output (stderr; stdout is the table),
// and the results being collected (saved after each scenario, so a failure keeps the rest).
import type { BenchResults } from './results.js';
import type { ScenarioResult } from './measure.js';

export interface Options {
  only: Set<string>;
  runs: number;
  coldRuns: number;
  scaleHosts: number[];
  scaleAnsibleRuns: number;
  /** Host counts at which Ansible runs the scale playbook too. */
  scaleAnsibleHosts: number[];
  /** Time budget for Ansible's runs of one scale scenario (at least one run). */
  scaleAnsibleBudgetS: number;
  ansible: boolean;
  waitMinutes: number;
}

export interface Ctx {
  opts: Options;
  progress: (msg: string) => void;
  results: BenchResults;
  add: (s: ScenarioResult) => Promise<void>;
  finding: (text: string) => void;
  /**
   * Register an undo (restore hand-edited files, the plain lab) that must also run when the
   * bench is interrupted; returns the function that unregisters it once done normally.
   */
  onAbort: (undo: () => Promise<void>) => () => void;
}

export const SCENARIOS = ['startup', 'cold', 'noop', 'audit', 'drift', 'latency', 'scale'] as const;
