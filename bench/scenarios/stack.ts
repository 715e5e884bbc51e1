// Scenarios 1-5 on the 3-host foobar stack: cold converge (with the parity check of both
// tools' results), no-op converge, audit, drift, and no-op + audit at 50 ms round trip.
// plumb runs the repository's own playbooks/site.yml against the lab's inventory/lab.yml;
// Ansible runs bench/ansible/site.yml against an inventory generated from the same file.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labReset, labUp, type LabStatus } from '../../src/lab/index.js';
import { runPlumb, remoteBusyMs, remotePerHost, type PlumbRun } from '../lib/plumb.js';
import { runAnsible, writeAnsibleInventory, type AnsibleRun } from '../lib/ansible.js';
import { alternate, expectEach, finish, newScenario, toolResult, type ScenarioResult } from '../lib/measure.js';
import { measureFloor } from '../lib/floor.js';
import { compareFingerprints, execCounts, execDelta, fingerprint, sshRun, type Endpoint } from '../lib/hosts.js';
import { ATTRS_ONLY, ANSIBLE_SITE, DRIFT_EDITS, DRIFT_LINE, LAB_INVENTORY, SITE_PLAYBOOK, managedPaths, stateProbes } from '../lib/stack.js';
import { runTimed, tail } from '../lib/proc.js';
import { summarize } from '../lib/stats.js';
import { REPO } from '../lib/paths.js';
import type { Ctx } from '../lib/context.js';

interface Lab {
  status: LabStatus;
  names: string[];
  ansibleInventory: string;
  /** plumb's extra vars: the real addresses when the inventory points at the proxy. */
  plumbExtra: string[];
}

const SECRETS = ['app_db_password', 'mysql_replication_password'].map((n) => path.join(os.homedir(), '.config/plumb/foobar', n));

async function prepare(status: LabStatus, label: string): Promise<Lab> {
  const addresses = Object.fromEntries(status.hosts.map((h) => [h.name, h.address]));
  const ansibleInventory = await writeAnsibleInventory(status.inventory, label, addresses);
  // Through the latency proxy every ansible_host is 127.0.0.1; the stack derives its
  // backends, firewall rules and accounts from it (group_vars stack_addresses).
  const plumbExtra = status.latencyMs > 0 ? [JSON.stringify({ stack_addresses: addresses })] : [];
  return { status, names: status.hosts.map((h) => h.name), ansibleInventory, plumbExtra };
}

function endpoints(lab: Lab): Endpoint[] {
  return lab.status.hosts.map((h) => ({ name: h.name, sshHost: h.sshHost, port: h.port }));
}

// -v adds one event per exec (a line per host on a no-op): it shows where the time went.
const plumbRun = (lab: Lab, mode: 'apply' | 'check', o: { diff?: boolean } = {}): Promise<PlumbRun> =>
  runPlumb({
    mode,
    playbook: SITE_PLAYBOOK,
    inventory: LAB_INVENTORY,
    diff: o.diff,
    verbose: true,
    extraVars: lab.plumbExtra,
    rss: true,
    timeoutMs: 20 * 60_000,
  });

const ansibleRun = (lab: Lab, check: boolean, diff = false): Promise<AnsibleRun> =>
  runAnsible({ playbook: ANSIBLE_SITE, inventory: lab.ansibleInventory, check, diff, timeoutMs: 30 * 60_000 });

async function fingerprints(lab: Lab): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  await Promise.all(
    endpoints(lab).map(async (h) => {
      out[h.name] = await fingerprint(h, lab.status.knownHosts, managedPaths(h.name), ATTRS_ONLY, stateProbes(h.name));
    }),
  );
  return out;
}

/** The secrets plumb generates on first use; Ansible reads the same files. */
async function ensureSecrets(ctx: Ctx): Promise<void> {
  if (SECRETS.every((f) => existsSync(f))) return;
  ctx.progress('creating the stack secrets (plumb inventory resolves them)');
  await runTimed(['node', 'dist/src/cli/main.js', 'inventory', '-i', LAB_INVENTORY], { cwd: REPO });
}

/** Converge with plumb until a run changes nothing (at most 3 runs). */
async function converge(ctx: Ctx, lab: Lab): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const r = await plumbRun(lab, 'apply');
    ctx.progress(`  converge with plumb: ${(r.ms / 1000).toFixed(1)} s, exit ${r.code}, changed ${r.changed}`);
    if (r.code !== 0) throw new Error(`plumb apply failed while converging the stack:\n${tail(r)}`);
    if (r.changed === 0) return;
  }
  throw new Error('plumb apply still changes something after 3 runs: the stack is not idempotent');
}

/** Ansible once on the plumb-converged stack; plumb must still find it in sync afterwards. */
async function ansibleAgrees(ctx: Ctx, lab: Lab, notes: string[]): Promise<void> {
  const a = await ansibleRun(lab, false);
  ctx.progress(`  ansible on the plumb-converged stack: ${(a.ms / 1000).toFixed(1)} s, exit ${a.code}, changed ${a.changed}`);
  if (a.code !== 0) {
    notes.push(`ansible failed on the converged stack (exit ${a.code}): ${tail(a, 400)}`);
    ctx.finding(`Ansible port fails on the plumb-converged stack: ${tail(a, 600)}`);
  } else if (a.changed > 0) {
    const changedTasks = [...a.stdout.matchAll(/^changed: \[([^\]]+)\].*$/gm)].map((m) => m[0]).slice(0, 10);
    notes.push(`ansible changed ${a.changed} task(s) on the plumb-converged stack: ${changedTasks.join('; ')}`);
  }
  const p = await plumbRun(lab, 'check');
  if (p.code !== 0) {
    notes.push(`after Ansible's run, plumb check exits ${p.code} (changed ${p.changed}): the tools disagree; re-converging with plumb`);
    await converge(ctx, lab);
  }
}

export async function startLab(ctx: Ctx, latencyMs: number): Promise<Lab> {
  ctx.progress(latencyMs ? `lab up with ${latencyMs} ms round trip` : 'lab up (plain)');
  const status = await labUp(latencyMs ? { latencyMs } : {});
  if (!status.running) throw new Error('the lab did not come up');
  return prepare(status, latencyMs ? `lab-latency${latencyMs}` : 'lab');
}

// ---- 1: cold converge --------------------------------------------------------------------

export async function cold(ctx: Ctx, lab: Lab): Promise<void> {
  await ensureSecrets(ctx);
  const s = newScenario('cold', 'cold converge (fresh hosts)', lab.names.length);
  const plumbSamples: ScenarioResult['plumb'] = { samples: [] };
  const ansibleSamples: ScenarioResult['plumb'] = { samples: [] };
  const overhead: Record<string, unknown>[] = [];
  const parity: unknown[] = [];
  const ansibleApt: Record<string, number>[] = [];
  const reset = async (): Promise<void> => {
    const t = Date.now();
    await labReset([]);
    ctx.progress(`  labReset: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
  for (let i = 0; i < ctx.opts.coldRuns; i++) {
    let ansibleFp: Record<string, Record<string, string>> | undefined;
    if (ctx.opts.ansible) {
      await reset();
      const before = execCounts(lab.names);
      const load1 = +os.loadavg()[0]!.toFixed(2);
      const a = await ansibleRun(lab, false);
      const d = Object.values(execDelta(before, execCounts(lab.names)));
      ansibleSamples.samples.push({ ms: a.ms, code: a.code, changed: a.changed, failed: a.failed, execsMax: Math.max(...d), execsMin: Math.min(...d), load1 });
      ansibleApt.push(await aptTransactions(lab));
      ctx.progress(
        `  ansible cold ${i + 1}/${ctx.opts.coldRuns}: ${(a.ms / 1000).toFixed(1)} s, exit ${a.code}, changed ${a.changed}, execs/host ${Math.min(...d)}-${Math.max(...d)}, apt installs/host ${JSON.stringify(ansibleApt.at(-1))}`,
      );
      if (a.code !== 0) s.notes.push(`ansible cold run ${i + 1} failed: ${tail(a, 600)}`);
      ansibleFp = await fingerprints(lab);
    }
    // plumb last, so the scenarios after this one start from plumb's converged stack.
    await reset();
    const before = execCounts(lab.names);
    const load1 = +os.loadavg()[0]!.toFixed(2);
    const p = await plumbRun(lab, 'apply');
    const d = Object.values(execDelta(before, execCounts(lab.names)));
    plumbSamples.samples.push({
      ms: p.ms,
      code: p.code,
      changed: p.changed,
      failed: p.failed,
      execsMax: Math.max(...d),
      execsMin: Math.min(...d),
      rssKb: p.rssKb,
      load1,
    });
    const busy = remoteBusyMs(p);
    const aptInstalls = await aptTransactions(lab);
    const aptUpdates: Record<string, number> = {};
    for (const e of p.execs) if (/apt-get update\b/.test(e.command)) aptUpdates[e.host] = (aptUpdates[e.host] ?? 0) + 1;
    const o = {
      run: i + 1,
      wallMs: Math.round(p.ms),
      remoteBusyMs: Math.round(busy),
      overheadMs: Math.round(p.ms - busy),
      overheadPct: +(((p.ms - busy) / p.ms) * 100).toFixed(1),
      remotePerHostMs: Object.fromEntries(Object.entries(remotePerHost(p)).map(([k, v]) => [k, Math.round(v)])),
      execEvents: p.execs.length,
      aptInstallsPerHost: aptInstalls,
      aptUpdatesPerHost: aptUpdates,
    };
    overhead.push(o);
    ctx.progress(
      `  plumb cold ${i + 1}/${ctx.opts.coldRuns}: ${(p.ms / 1000).toFixed(1)} s, exit ${p.code}, changed ${p.changed}, execs/host ${Math.min(...d)}-${Math.max(...d)}, remote busy ${(busy / 1000).toFixed(1)} s, overhead ${o.overheadPct}%`,
    );
    if (p.code !== 0) s.notes.push(`plumb cold run ${i + 1} failed: ${tail(p, 600)}`);
    const plumbFp = await fingerprints(lab);
    if (ansibleFp) {
      const diffs = compareFingerprints(plumbFp, ansibleFp);
      parity.push({ run: i + 1, differences: diffs });
      ctx.progress(`  parity: ${diffs.length === 0 ? 'identical managed files and state' : `${diffs.length} difference(s)`}`);
      for (const df of diffs) ctx.progress(`    ${df.host} ${df.path}: plumb ${df.a} | ansible ${df.b}`);
    }
  }
  s.plumb = toolResult(plumbSamples.samples);
  if (ctx.opts.ansible) s.ansible = toolResult(ansibleSamples.samples);
  const pct = summarize(overhead.map((o) => Number(o.overheadPct)));
  s.extra = { overhead, parity, overheadPct: pct, ansibleAptInstallsPerHost: ansibleApt };
  s.notes.push(`plumb overhead (wall minus the time any remote command ran): median ${pct?.median}% (min ${pct?.min}%, max ${pct?.max}%)`);
  if (ctx.opts.coldRuns < 5) s.notes.push(`${ctx.opts.coldRuns} run(s) per tool: each cold converge takes about a minute plus a host reset`);
  const lastParity = parity[parity.length - 1] as { differences: unknown[] } | undefined;
  if (lastParity) s.notes.push(`parity: ${lastParity.differences.length} difference(s) between the tools' managed files and state`);
  await ctx.add(finish(s));
  await ansibleAgreesIfWanted(ctx, lab, s.notes);
}

/** apt-get install transactions on each host since its reset: counted in the host's own /var/log/apt/history.log. */
async function aptTransactions(lab: Lab): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(
    endpoints(lab).map(async (h) => {
      const r = await sshRun(
        h,
        lab.status.knownHosts,
        "grep -Ec '^Commandline: (/usr/bin/)?apt-get( .*)? install ' /var/log/apt/history.log 2>/dev/null || true",
      );
      out[h.name] = Number(r.stdout.trim() || '0');
    }),
  );
  return out;
}

async function ansibleAgreesIfWanted(ctx: Ctx, lab: Lab, notes: string[]): Promise<void> {
  if (ctx.opts.ansible) await ansibleAgrees(ctx, lab, notes);
}

/**
 * Before each warm scenario: the plain lab up (someone may have taken it down or reset it
 * meanwhile) and the stack converged; the first time, also Ansible's run on it (both tools
 * must agree before their no-op runs are compared).
 */
export async function ready(ctx: Ctx, checkAnsible: boolean): Promise<Lab> {
  await ensureSecrets(ctx);
  const lab = await startLab(ctx, 0);
  const p = await plumbRun(lab, 'check');
  if (p.code !== 0) await converge(ctx, lab);
  if (checkAnsible) {
    const notes: string[] = [];
    await ansibleAgreesIfWanted(ctx, lab, notes);
    for (const n of notes) ctx.finding(n);
  }
  return lab;
}

// ---- 2, 3, 5: no-op converge and audit -----------------------------------------------------

export async function noop(ctx: Ctx, lab: Lab, id = 'noop', title = 'no-op converge'): Promise<void> {
  const s = newScenario(id, title, lab.names.length);
  ctx.progress(`${title}: plumb apply vs ansible-playbook`);
  const plumb = { run: () => plumbRun(lab, 'apply') };
  const ansible = ctx.opts.ansible ? { run: () => ansibleRun(lab, false) } : undefined;
  await alternate(1, [], plumb, ansible, (m) => ctx.progress(`${m} (warm-up, discarded)`));
  const r = await alternate(ctx.opts.runs, lab.names, plumb, ansible, ctx.progress);
  s.plumb = toolResult(r.plumb);
  s.floor = await measureFloor(LAB_INVENTORY, ctx.opts.runs, ctx.progress);
  expectEach(r.plumb, 'plumb', { code: [0], changed: 0 }, s.notes);
  if (ansible) {
    s.ansible = toolResult(r.ansible);
    expectEach(r.ansible, 'ansible', { code: [0], changed: 0 }, s.notes);
  }
  await ctx.add(finish(s));
}

export async function audit(
  ctx: Ctx,
  lab: Lab,
  id = 'audit',
  title = 'audit: check --diff',
  expect: { code: number[]; changed?: number } = { code: [0], changed: 0 },
): Promise<ScenarioResult> {
  const s = newScenario(id, title, lab.names.length);
  ctx.progress(`${title}: plumb check --diff vs ansible-playbook --check --diff`);
  const plumb = { run: () => plumbRun(lab, 'check', { diff: true }) };
  const ansible = ctx.opts.ansible ? { run: () => ansibleRun(lab, true, true) } : undefined;
  await alternate(1, [], plumb, ansible, (m) => ctx.progress(`${m} (warm-up, discarded)`));
  const r = await alternate(ctx.opts.runs, lab.names, plumb, ansible, ctx.progress);
  s.plumb = toolResult(r.plumb);
  s.floor = await measureFloor(LAB_INVENTORY, ctx.opts.runs, ctx.progress);
  expectEach(r.plumb, 'plumb', expect, s.notes);
  if (ansible) {
    s.ansible = toolResult(r.ansible);
    expectEach(r.ansible, 'ansible', { code: [0], changed: expect.changed }, s.notes);
  }
  await ctx.add(finish(s));
  return s;
}

// ---- 4: drift ----------------------------------------------------------------------------

const BACKUP = '/root/.plumb-bench-drift.bak';

export async function drift(ctx: Ctx, lab: Lab): Promise<void> {
  const eps = new Map(endpoints(lab).map((e) => [e.name, e]));
  const sh = (p: string): string => `'${p.replace(/'/g, `'\\''`)}'`;
  const restore = async (): Promise<void> => {
    for (const e of DRIFT_EDITS) {
      const r = await sshRun(eps.get(e.host)!, lab.status.knownHosts, `if [ -e ${BACKUP} ]; then mv ${BACKUP} ${sh(e.path)}; fi`);
      if (r.code !== 0) ctx.finding(`drift restore on ${e.host} failed: ${r.stderr}`);
    }
  };
  const done = ctx.onAbort(restore);
  ctx.progress(`drift: hand-editing ${DRIFT_EDITS.map((e) => `${e.host}:${e.path}`).join(', ')}`);
  try {
    for (const e of DRIFT_EDITS) {
      const r = await sshRun(eps.get(e.host)!, lab.status.knownHosts, `cp -p ${sh(e.path)} ${BACKUP} && printf '%s\\n' ${sh(DRIFT_LINE)} >> ${sh(e.path)}`);
      if (r.code !== 0) throw new Error(`drift edit on ${e.host} failed: ${r.stderr}`);
    }
    // Each edit is one template task that would change, and its handler would run.
    const s = await audit(ctx, lab, 'drift', 'drift: audit, 3 files hand-edited', { code: [2] });
    const found = s.plumb?.samples[0]?.changed;
    s.notes.push(`plumb reports ${found} would-change result(s) (tasks and notified handlers); ansible ${s.ansible?.samples[0]?.changed ?? '-'}`);
  } finally {
    done();
    await restore();
  }
  const after = await plumbRun(lab, 'check');
  if (after.code !== 0) {
    ctx.finding(`after restoring the drift edits plumb check exits ${after.code}; re-converging`);
    await converge(ctx, lab);
  }
}

// ---- 5: 50 ms round trip -----------------------------------------------------------------

export async function latency(ctx: Ctx, ms: number): Promise<void> {
  const lab = await startLab(ctx, ms);
  const p = await plumbRun(lab, 'check');
  if (p.code !== 0) throw new Error(`at ${ms} ms the stack is not in sync for plumb (exit ${p.code}, changed ${p.changed}):\n${tail(p)}`);
  await noop(ctx, lab, 'latency-noop', `no-op converge, +${ms} ms RTT`);
  await audit(ctx, lab, 'latency-audit', `audit: check --diff, +${ms} ms RTT`);
}

export type { Lab };
