// npm run bench: plumb against Ansible on the same lab hosts (issue 5). Prints one table
// (stdout; progress goes to stderr), writes bench/results/<date>.json and latest.json, and
// the scale chart bench/results/scale.svg. Not part of npm test: these are figures, not
// pass/fail checks, and they need the lab and a quiet machine.
//
//   node dist/bench/run.js [--only startup,noop,...] [--runs 5] [--cold-runs 2]
//                          [--scale-hosts 10,50,100] [--scale-ansible-hosts 10,50]
//                          [--scale-ansible-runs 3] [--scale-ansible-budget 600] [--no-ansible]
//
// The lab (this PLUMB_LAB_SLOT's) may be shared with integration tests run in the same slot: lab scenarios wait until no
// integration test runs, switch the lab to the latency proxy only for scenario 5, and
// always restore the plain lab (and the fleet's previous size) before exiting.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { labUp } from '../src/lab/index.js';
import { SLOT } from '../src/lab/paths.js';
import { SCENARIOS, type Ctx, type Options } from './lib/context.js';
import { writeResults, table, type BenchResults } from './lib/results.js';
import { ansibleVersion } from './lib/ansible.js';
import { killActive, runTimed } from './lib/proc.js';
import { startup } from './scenarios/startup.js';
import { audit, cold, drift, latency, noop, ready, startLab, type Lab } from './scenarios/stack.js';
import { scale } from './scenarios/scale.js';

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      runs: { type: 'string', default: '5' },
      'cold-runs': { type: 'string', default: '2' },
      'scale-hosts': { type: 'string', default: '10,50,100' },
      'scale-ansible-runs': { type: 'string', default: '3' },
      'scale-ansible-hosts': { type: 'string', default: '10,50' },
      'scale-ansible-budget': { type: 'string', default: '600' },
      'no-ansible': { type: 'boolean', default: false },
      'wait-minutes': { type: 'string', default: '30' },
    },
  });
  const int = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer ${min}..${max}, got ${v}`);
    return n;
  };
  const only = new Set(
    (values.only ?? SCENARIOS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
  return {
    only,
    runs: int('runs', values.runs, 1, 50),
    coldRuns: int('cold-runs', values['cold-runs'], 1, 10),
    scaleHosts: values['scale-hosts'].split(',').map((v) => int('scale-hosts', v, 1, 100)),
    scaleAnsibleRuns: int('scale-ansible-runs', values['scale-ansible-runs'], 0, 50),
    scaleAnsibleHosts: values['scale-ansible-hosts']
      .split(',')
      .filter(Boolean)
      .map((v) => int('scale-ansible-hosts', v, 1, 100)),
    scaleAnsibleBudgetS: int('scale-ansible-budget', values['scale-ansible-budget'], 1, 36_000),
    ansible: !values['no-ansible'],
    waitMinutes: int('wait-minutes', values['wait-minutes'], 0, 600),
  };
}

/** A process's PLUMB_LAB_SLOT (0 when unset), from its environment; undefined if unreadable. */
function slotOf(pid: string): number | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    const v = env.find((e) => e.startsWith('PLUMB_LAB_SLOT='))?.slice('PLUMB_LAB_SLOT='.length);
    return v ? Number(v) : 0;
  } catch {
    return undefined;
  }
}

/**
 * Integration test processes (any checkout) on this slot's lab: they reset and converge it.
 * Those of other slots use other labs (they only load the machine, which the results record).
 */
async function integrationTests(): Promise<string[]> {
  const r = await runTimed(['ps', '-eo', 'pid=,args=']);
  return r.stdout
    .split('\n')
    .filter((l) => /mocha/.test(l) && /integration/.test(l) && !/\bgrep\b/.test(l))
    .map((l) => l.trim())
    .filter((l) => {
      const slot = slotOf(l.split(/\s+/)[0] ?? '');
      return slot === undefined || slot === SLOT;
    });
}

async function waitQuiet(ctx: Ctx): Promise<void> {
  const deadline = Date.now() + ctx.opts.waitMinutes * 60_000;
  for (;;) {
    const busy = await integrationTests();
    if (busy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`integration tests still running after ${ctx.opts.waitMinutes} min:\n${busy.join('\n')}`);
    ctx.progress(`waiting: integration tests use the lab (${busy[0]?.slice(0, 100)})`);
    await new Promise((r) => setTimeout(r, 20_000));
  }
}

async function machine(): Promise<Record<string, unknown>> {
  const cpu = os.cpus();
  return {
    hostname: os.hostname(),
    cpus: cpu.length,
    cpuModel: cpu[0]?.model,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    node: process.version,
    ansible: await ansibleVersion().catch(() => 'not installed'),
  };
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const progress = (msg: string): void => {
    process.stderr.write(`bench: ${msg}\n`);
  };
  const results: BenchResults = { startedAt: new Date().toISOString(), machine: await machine(), scenarios: [], findings: [] };
  const ctx: Ctx = {
    opts,
    progress,
    results,
    add: async (s) => {
      results.scenarios.push(s);
      for (const n of s.notes) progress(`  note: ${n}`);
      await writeResults(results);
    },
    finding: (t) => {
      results.findings.push(t);
      progress(`finding: ${t}`);
    },
    onAbort: () => () => false,
  };
  const undos = new Set<() => Promise<void>>();
  ctx.onAbort = (undo) => {
    undos.add(undo);
    return () => undos.delete(undo);
  };
  let aborting = false;
  const abort = (signal: string): void => {
    if (aborting) return;
    aborting = true;
    progress(`${signal}: stopping the runs in progress and undoing what the bench changed (${undos.size} step(s))`);
    killActive();
    void (async () => {
      for (const undo of [...undos].reverse()) await undo().catch((e: unknown) => progress(`undo failed: ${(e as Error).message}`));
      process.exit(130);
    })();
  };
  process.on('SIGINT', () => abort('SIGINT'));
  process.on('SIGTERM', () => abort('SIGTERM'));
  const want = (s: string): boolean => opts.only.has(s);
  let failed = false;
  const guard = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      ctx.finding(`${what} aborted: ${(e as Error).message}`);
    }
  };

  // Each lab scenario starts only when no integration test uses the lab, and says so when
  // one started while it ran (its figures are then disturbed, and so may be the test).
  const onLab = async (what: string, fn: () => Promise<void>): Promise<void> => {
    await waitQuiet(ctx);
    const before = results.scenarios.length;
    await guard(what, fn);
    const busy = await integrationTests();
    if (busy.length > 0) {
      for (const s of results.scenarios.slice(before)) s.notes.push(`integration tests started while this ran: figures disturbed (${busy[0]?.slice(0, 80)})`);
      await writeResults(results);
    }
  };

  if (want('startup')) await guard('startup', () => startup(ctx));

  const stackScenarios = ['cold', 'noop', 'audit', 'drift', 'latency'].filter(want);
  if (stackScenarios.length > 0) {
    let switched = false;
    const plain = async (): Promise<void> => {
      ctx.progress('restoring the plain lab (no latency proxy)');
      await labUp({});
    };
    const done = ctx.onAbort(async () => {
      if (switched) await plain();
    });
    try {
      // After a cold converge, Ansible has already run on plumb's converged stack.
      let agreed = want('cold');
      const warm = (fn: (lab: Lab) => Promise<unknown>) => async (): Promise<void> => {
        const lab = await ready(ctx, !agreed);
        agreed = true;
        await fn(lab);
      };
      if (want('cold')) await onLab('cold', async () => cold(ctx, await startLab(ctx, 0)));
      if (want('noop'))
        await onLab(
          'noop',
          warm((lab) => noop(ctx, lab)),
        );
      if (want('audit'))
        await onLab(
          'audit',
          warm((lab) => audit(ctx, lab)),
        );
      if (want('drift'))
        await onLab(
          'drift',
          warm((lab) => drift(ctx, lab)),
        );
      if (want('latency')) {
        await onLab('latency', async () => {
          await ready(ctx, false);
          switched = true;
          await latency(ctx, 50);
        });
      }
    } finally {
      done();
      if (switched) await plain();
    }
  }

  if (want('scale')) await onLab('scale', () => scale(ctx));

  results.finishedAt = new Date().toISOString();
  const { file, latest } = await writeResults(results);
  const load = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  process.stdout.write(
    `\nplumb vs Ansible, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${String(results.machine.cpus)} cores, load at end ${load}\n`,
  );
  process.stdout.write(`${table(results)}\n`);
  const phases = results.scenarios
    .filter((s) => s.plumb?.phases)
    .map((s) => {
      const p = s.plumb!.phases!;
      return `- ${s.title} (${s.hosts} hosts): ${p.beforeFirstExecMs} ms to the first remote command (start, validation, connect), ${p.remoteBusyMs} ms with a remote command running, ${p.afterLastExecMs} ms after the last`;
    });
  if (phases.length) process.stdout.write(`\nwhere plumb's time went (medians):\n${phases.join('\n')}\n`);
  const notes = results.scenarios.flatMap((s) => s.notes.map((n) => `- ${s.title}: ${n}`));
  if (notes.length) process.stdout.write(`\nnotes:\n${notes.join('\n')}\n`);
  if (results.findings.length) process.stdout.write(`\nfindings:\n${results.findings.map((f) => `- ${f}`).join('\n')}\n`);
  process.stdout.write(
    `\nwrote ${file}, bench/results/latest.json (${latest.scenarios.length} scenarios)${latest.scenarios.some((s) => s.id.startsWith('scale')) ? ', bench/results/scale.svg' : ''}\n`,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
