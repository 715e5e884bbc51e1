// Scenario 7, startup: `plumb validate` of the site playbook (schemas, references and
// templates, no connection), the floor of every cron-driven audit; Ansible's nearest
// equivalent is `ansible-playbook --syntax-check`. One warm-up run each is discarded.
import path from 'node:path';
import { runPlumb } from '../lib/plumb.js';
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
  await ctx.add(finish(s));
}
