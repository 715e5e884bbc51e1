// Everything the engine has to say, as data. The engine emits these and never prints;
// reporters (listr.ts, lines.ts, json.ts) turn them into output. Events are already
// redacted: secret values never reach a reporter.
import type { Diff } from '../modules/types.js';

export type Status = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostRecap {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: boolean;
  /** Failures a block's rescue took (Ansible's `rescued`); absent when none. */
  rescued?: number;
  /** SSH execs made for this host (facts, changes, handlers). */
  execs: number;
  durationMs: number;
}

/** A line a playbook asked for in the recap (debug's `recap: true`), once per distinct message. */
export interface RecapNote {
  message: string;
  /** The hosts it came from, in inventory order. */
  hosts: string[];
}

export type PlumbEvent =
  | { type: 'run'; mode: 'apply' | 'check'; playbook: string; hosts: string[] }
  | { type: 'play'; play: string; hosts: string[] }
  | { type: 'task_start'; host: string; play: string; task: string; handler: boolean }
  | {
      type: 'task';
      host: string;
      play: string;
      task: string;
      handler: boolean;
      status: Status;
      /** What was (or in check mode would be) done, or why it failed. */
      message?: string;
      item?: string;
      diff?: Diff[];
      /** What a command printed (command, shell and other modules that run one), redacted; absent under no_log. */
      output?: { rc: number; stdout: string; stderr: string };
      durationMs: number;
    }
  | { type: 'exec'; host: string; command: string; code: number; durationMs: number; purpose: 'facts' | 'change' | 'handlers' | 'connect' }
  | { type: 'host_done'; host: string; play: string }
  | {
      type: 'recap';
      mode: 'apply' | 'check';
      hosts: Record<string, HostRecap>;
      durationMs: number;
      /** Notes for the recap (redacted); absent when the run has none. */
      notes?: RecapNote[];
    };

export type Emit = (e: PlumbEvent) => void;
