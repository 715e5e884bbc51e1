#!/usr/bin/env node
// The plumb command. The only place that prints errors and chooses exit codes:
//   0  in sync (check) / converged without failure (apply)
//   1  failure: bad input (file:line:col), a failed task, or an unreachable host
//   2  check found drift: something would change
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { InputError, PlumbError, formatProblem } from '../errors.js';
import type { InventoryFlags, RunFlags } from './commands.js';
import { registerLab } from './lab.js';

// Imported when a command runs: its input loading, checks and engine are most of plumb's
// modules, which `plumb --help` and a mistyped option never need.
const commands = () => import('./commands.js');

const EXIT_CODES = `
Exit codes:
  0  in sync (check) or converged without failure (apply)
  1  failure: invalid inventory/playbook (reported as file:line:col), a failed task, or an unreachable host
  2  check only: drift, at least one task would change`;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

const INVENTORY_HELP = 'inventory: a YAML or INI file, a directory, or host1,host2, (repeatable)';

/** A repeatable option with no default shown in --help. */
const repeatable = (v: string, prev?: string[]): string[] => [...(prev ?? []), v];

/** -i (repeatable) and the vault password options, on every command that loads an inventory. */
function addInventoryOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <source>', INVENTORY_HELP, repeatable)
    .option('--vault-password-file <file>', 'file holding the Ansible Vault password (repeatable; also ANSIBLE_VAULT_PASSWORD_FILE)', repeatable)
    .option('--vault-id <id>', 'vault id as [label@]password-file (repeatable)', repeatable);
}

function addRunOptions(cmd: Command): Command {
  return addInventoryOptions(cmd)
    .option('-l, --limit <pattern>', 'only these hosts/groups (comma-separated, !x excludes)')
    .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated)')
    .option('--skip-tags <tags>', 'skip tasks with these tags')
    .option('-f, --forks <n>', 'hosts in parallel (default: all, up to 50)')
    .option('--diff', 'show unified diffs of what changes (or would change)')
    .option('--json', 'NDJSON events on stdout (one per task result, then the recap)')
    .option('-e, --extra-vars <var>', 'key=value, @file.yml or JSON; repeatable', collect, [])
    .option('-v, --verbose', 'show every exec and ok results')
    .option('--accept-new-host-keys', 'record unknown host keys (changed keys are always refused)')
    .option('--force-handlers', 'run notified handlers even after a failure')
    .option('--connect-timeout <ms>', 'SSH connect timeout per attempt', '10000');
}

function report(e: unknown): number {
  if (e instanceof InputError) {
    process.stderr.write(`error: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in the input (nothing was run):\n`);
    for (const p of e.problems) process.stderr.write(formatProblem(p).replace(/^/gm, '  ') + '\n');
    return 1;
  }
  if (e instanceof PlumbError) {
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\nThis is a bug in plumb; please report it.\n`);
  return 1;
}

export function program(): Command {
  const p = new Command('plumb')
    .description('Agentless provisioning over SSH: plan from facts, then apply.')
    .version('0.1.0')
    .addHelpText('after', EXIT_CODES)
    .showHelpAfterError();
  const exit = (code: number) => {
    process.exitCode = code;
  };
  addRunOptions(p.command('apply').argument('<playbook>').description('converge the hosts to the playbook')).addHelpText('after', EXIT_CODES).action(async (pb: string, f: RunFlags) => exit(await commands().then((c) => c.run('apply', pb, f)).catch(report)));
  addRunOptions(p.command('check').argument('<playbook>').description('dry-run audit: plan only, change nothing; exit 2 on drift')).addHelpText('after', EXIT_CODES).action(async (pb: string, f: RunFlags) => exit(await commands().then((c) => c.run('check', pb, f)).catch(report)));
  addInventoryOptions(p.command('validate').argument('<playbook>').description('schema and reference checks, no connection'))
    .option('-e, --extra-vars <var>', 'key=value, @file.yml or JSON; repeatable', collect, [])
    .option('-l, --limit <pattern>', 'only these hosts/groups')
    .addHelpText('after', EXIT_CODES)
    .action(async (pb: string, f: RunFlags) => exit(await commands().then((c) => c.validate(pb, f)).catch(report)));
  addInventoryOptions(p.command('inventory').description('show resolved hosts, groups and variables (secrets masked), in ansible-inventory --list / --host JSON'))
    .option('--host <name>', 'only this host\'s variables')
    .option('--list', 'all hosts and groups (default)')
    .action(async (f: InventoryFlags & { host?: string }) => exit(await commands().then((c) => c.inventory(f)).catch(report)));
  registerLab(p);
  p.addOption(new Option('--no-color', 'disable colors').hideHelp());
  return p;
}

const entry = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url)) {
  // A closed pipe (plumb ... | head) is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  program()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      process.exitCode = report(e);
    });
}
