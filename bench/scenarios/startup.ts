// Scenario 7, startup: `plumb validate` of the site playbook (schemas, references and
// templates, no connection), the floor of every cron-driven audit; Ansible's nearest
// equivalent is `ansible-playbook --syntax-check`. One warm-up run each is discarded.
import path from 'node:path';
import { PLUMB_CLI, runPlumb } from '../lib/plumb.js';
import { runTimed } from '../lib/proc.js';
import { summarize } from '../lib/stats.js';
import { REPO } from '../lib/paths.js';
import { runAnsible } from '../lib/ansible.js';
import { alternate, expectEach, finish, newScenario, toolResult } from '../lib/measure.js';
import { ANSIBLE_DIR } from '../lib/paths.js';
import { ANSIBLE_SITE, SITE_PLAYBOOK } from '../lib/stack.js';
import type { Ctx } from '../lib/context.js';

export async function startup(ctx: Ctx): Promise<void> {
  const s = newScenario('startup', 'startup: validate site.yml', 0);
  ctx.progress('startup: plumb validate vs ansible-playbook --syntax-check');
  const plumb = { run: () => runPlumb({ mode: 'validate', playbook: SITE_PLAYBOOK, inventory: 'inventory/hosts.yml', rss: true }) };
  const ansible = ctx.opts.ansible
    ? { run: () => runAnsible({ playbook: ANSIBLE_SITE, inventory: path.join(ANSIBLE_DIR, 'hosts.example.yml'), syntaxCheck: true }) }
    : undefined;
  await alternate(1, [], plumb, ansible, () => {});
  const r = await alternate(Math.max(ctx.opts.runs, 10), [], plumb, ansible, ctx.progress);
  s.plumb = toolResult(r.plumb);
  expectEach(r.plumb, 'plumb', { code: [0] }, s.notes);
  if (ansible) {
    s.ansible = toolResult(r.ansible);
    expectEach(r.ansible, 'ansible', { code: [0] }, s.notes);
  }
  s.notes.push('ansible side: ansible-playbook --syntax-check (it has no template/variable check without connecting)');

  // Where plumb's startup goes: node itself, the CLI alone (`--version`: commander, no
  // command module), and validate's own work (loading what it needs, YAML, schemas,
  // references, templates).
  const median = async (argv: string[]): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < Math.max(ctx.opts.runs, 10); i++) ms.push((await runTimed(argv, { cwd: REPO })).ms);
    return summarize(ms)!.median;
  };
  const nodeMs = await median(['node', '-e', '']);
  const versionMs = await median(['node', PLUMB_CLI, '--version']);
  const validateMs = s.plumb.summary?.median ?? 0;
  s.extra = { breakdownMs: { node: Math.round(nodeMs), cli: Math.round(versionMs - nodeMs), validate: Math.round(validateMs - versionMs) } };
  s.notes.push(
    `plumb validate ${Math.round(validateMs)} ms = node start ${Math.round(nodeMs)} + the CLI (commander) ${Math.round(versionMs - nodeMs)} + validate's modules and work ${Math.round(validateMs - versionMs)} (medians)`,
  );
  await ctx.add(finish(s));
}
