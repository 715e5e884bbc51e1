// Scenario 6, scale: `check` and no-op `apply` of bench/scale's 20-task playbook on N
// lightweight lab hosts (labUp({hosts: N}) -> inventory/lab-fleet.yml), plumb with --forks N,
// Ansible with forks = 100 (ansible.cfg). plumb's peak RSS is measured with GNU time. The fleet is put back to the size
// it had before the bench (or taken down if the bench brought it up).
import path from 'node:path';
import { labDown, labFleetStatus, labUp } from '../../src/lab/index.js';
import { FLEET_NET } from '../../src/lab/paths.js';
import { runPlumb } from '../lib/plumb.js';
import { closeAnsibleConnections, runAnsible, writeAnsibleInventory } from '../lib/ansible.js';
import { alternate, expectEach, finish, newScenario, toolResult } from '../lib/measure.js';
import { tail } from '../lib/proc.js';
import { growthExponent } from '../lib/stats.js';
import { REPO, SCALE_DIR } from '../lib/paths.js';
import { measureFloor } from '../lib/floor.js';
import type { Ctx } from '../lib/context.js';

const PLAYBOOK = path.join(SCALE_DIR, 'playbooks', 'scale.yml');
const ANSIBLE_PLAYBOOK = 'scale.yml';
// This PLUMB_LAB_SLOT's fleet (inventory/lab-fleet-N.yml outside slot 0).
const FLEET_INVENTORY = path.relative(REPO, FLEET_NET.inventory);

export async function scale(ctx: Ctx): Promise<void> {
  const before = await labFleetStatus();
  const prevSize = before.running ? before.hosts.length : 0;
  const restore = async (): Promise<void> => {
    if (prevSize > 0) {
      ctx.progress(`restoring the fleet to its previous ${prevSize} host(s)`);
      await labUp({ hosts: prevSize });
    } else {
      ctx.progress('taking down the fleet the bench brought up');
      await labDown(undefined, { only: 'fleet' });
    }
  };
  const done = ctx.onAbort(restore);
  try {
    for (const n of ctx.opts.scaleHosts) await scaleAt(ctx, n);
  } finally {
    done();
    await restore();
  }
  const pts = ctx.results.scenarios.filter((s) => s.id.startsWith('scale-check') && s.plumb?.summary);
  const lo = pts.find((s) => s.hosts === Math.min(...pts.map((p) => p.hosts)));
  const hi = pts.find((s) => s.hosts === Math.max(...pts.map((p) => p.hosts)));
  if (lo && hi && lo !== hi) {
    const k = growthExponent(lo.hosts, lo.plumb!.summary!.median, hi.hosts, hi.plumb!.summary!.median);
    hi.notes.push(`plumb check grows as hosts^${k.toFixed(2)} from ${lo.hosts} to ${hi.hosts} hosts (1 = linear)`);
  }
}

async function scaleAt(ctx: Ctx, n: number): Promise<void> {
  ctx.progress(`scale: fleet of ${n} host(s)`);
  const t = Date.now();
  const fleet = await labUp({ hosts: n });
  ctx.progress(`  fleet up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const names = fleet.hosts.map((h) => h.name);
  const inv = await writeAnsibleInventory(fleet.inventory, 'fleet', {});
  const plumb = (mode: 'apply' | 'check') => () =>
    runPlumb({ mode, playbook: PLAYBOOK, inventory: FLEET_INVENTORY, forks: n, verbose: true, rss: true, timeoutMs: 10 * 60_000 });
  const ansible = (check: boolean) => () => runAnsible({ playbook: ANSIBLE_PLAYBOOK, inventory: inv, check, timeoutMs: 30 * 60_000 });

  // Converge first (new hosts), not measured.
  const c = await plumb('apply')();
  ctx.progress(`  converge with plumb: ${(c.ms / 1000).toFixed(1)} s, exit ${c.code}, changed ${c.changed}`);
  if (c.code !== 0) throw new Error(`plumb apply of the scale playbook failed on ${n} hosts:\n${tail(c)}`);
  // Ansible takes minutes per run at scale: it runs at the host counts asked for, within a
  // time budget. Before it is measured it applies once to the plumb-converged fleet (not
  // measured): that checks parity, and hosts new to this fleet size get the python3-apt
  // that Ansible's apt module installs for itself and needs in check mode.
  const useAnsible = ctx.opts.ansible && ctx.opts.scaleAnsibleRuns > 0 && ctx.opts.scaleAnsibleHosts.includes(n);
  if (useAnsible) {
    const a = await ansible(false)();
    ctx.progress(`  ansible on the converged fleet: ${(a.ms / 1000).toFixed(1)} s, exit ${a.code}, changed ${a.changed}`);
    if (a.code !== 0) ctx.finding(`ansible scale playbook fails on ${n} hosts: ${tail(a, 600)}`);
    else if (a.changed > 0) ctx.finding(`ansible changed ${a.changed} task(s) on the plumb-converged fleet of ${n}`);
  }

  const floor = await measureFloor(FLEET_INVENTORY, ctx.opts.runs, ctx.progress);
  for (const mode of ['check', 'apply'] as const) {
    const s = newScenario(`scale-${mode}-${n}`, `scale: ${mode === 'check' ? 'check' : 'no-op apply'}, 20 tasks`, n);
    const pl = { run: plumb(mode) };
    const an = useAnsible ? { run: ansible(mode === 'check') } : undefined;
    // Ansible gets fewer runs at scale (each is long); plumb always gets the full count.
    const r = await alternate(ctx.opts.runs, names, pl, undefined, ctx.progress);
    const ra = an ? await alternate(ctx.opts.scaleAnsibleRuns, names, undefined, an, ctx.progress, ctx.opts.scaleAnsibleBudgetS * 1000) : { ansible: [] };
    s.plumb = toolResult(r.plumb);
    s.floor = floor;
    expectEach(r.plumb, 'plumb', { code: [0], changed: 0 }, s.notes);
    if (an) {
      s.ansible = toolResult(ra.ansible);
      expectEach(ra.ansible, 'ansible', { code: [0], changed: 0 }, s.notes);
      if (ra.ansible.length < 5)
        s.notes.push(`ansible: ${ra.ansible.length} run(s), within a ${ctx.opts.scaleAnsibleBudgetS} s budget (each takes minutes at this host count)`);
    } else if (ctx.opts.ansible) {
      s.notes.push(
        `ansible not run at ${n} hosts (--scale-ansible-hosts ${ctx.opts.scaleAnsibleHosts.join(',')}): about 13 s of this machine per host per run`,
      );
    }
    await ctx.add(finish(s));
  }
  if (useAnsible) {
    const closed = await closeAnsibleConnections();
    if (closed) ctx.progress(`  closed ${closed} ControlPersist connection(s) Ansible kept, before the next fleet size`);
  }
}
