#!/usr/bin/env node
// The plumb command. The only place that prints errors and chooses exit codes:
//   0  in sync (check) / converged without failure (apply)
//   1  failure: bad input (file:line:col), a failed task, or an unreachable host
//   2  check found drift: something would change
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { InputError, PlumbError, formatProblem } from '../errors.js';
import type { AdhocFlags, InventoryFlags, RunFlags } from './commands.js';
import { registerLab } from './lab.js';

// Imported when a command runs: its input loading, checks and engine are most of plumb's
// modules, which `plumb --help` and a mistyped option never need.
const commands = () => import('./commands.js');

const EXIT_CODES = `
Exit codes:
  0  in sync (check) or converged without failure (apply)
  1  failure: invalid inventory/playbook (reported as file:line:col), a failed task, or an unreachable host
  2  check only: drift, at least one task would change

Configuration:
  ansible.cfg gives defaults under the command line (inventory, remote_user, private_key_file, forks,
  roles_path, vault_password_file, host_key_checking, timeout, ssh_args' ProxyJump, become*). Read from
  $ANSIBLE_CONFIG, else ./ansible.cfg (not in a world-writable directory), ~/.ansible.cfg,
  /etc/ansible/ansible.cfg; -v names the file used. See docs/connections.md.`;

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
    .option('-f, --forks <n>', "hosts in parallel (default: ansible.cfg's forks, else all, up to 50)")
    .option('--diff', 'show unified diffs of what changes (or would change)')
    .option('--json', 'NDJSON events on stdout (one per task result, then the recap)')
    .option('--junit <file>', 'also write a JUnit XML report (in check, a task that would change is a failure)')
    .option('-e, --extra-vars <var>', 'key=value, @file.yml or JSON; repeatable', collect, [])
    .option('-v, --verbose', 'show every exec and ok results')
    .option('-K, --ask-become-pass', 'ask for the sudo password on the terminal (for hosts whose inventory gives none)')
    .option('--ask-key-passphrase', 'ask for the private key passphrase on the terminal (for hosts whose inventory gives none)')
    .option('--accept-new-host-keys', 'record unknown host keys (changed keys are always refused)')
    .option('--force-handlers', 'run notified handlers even after a failure')
    .option('--start-at-task <name>', 'start at the first task with this name (role tasks: "role : name"; * and ? are wildcards)')
    .option('--list-hosts', 'list the hosts each play would run on, and exit without connecting')
    .option('--list-tasks', 'list the tasks each play would run, and exit without connecting')
    .option('--list-tags', 'list the tags of the tasks each play would run, and exit without connecting')
    .addOption(new Option('--step', 'not supported: hosts run their tasks independently in plumb; see docs/from-ansible.md').hideHelp())
    .option('--connect-timeout <ms>', "SSH connect timeout per attempt (default: ansible.cfg's timeout, else 10000)")
    .option('--command-timeout <s>', "time limit of every command on a host, in seconds (0: none); a task's timeout: overrides it", '3600')
    .option('--keepalive <s>', 'SSH keepalive interval in seconds: a host that answers none of 3 in a row is unreachable', '5');
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
  addRunOptions(p.command('apply').argument('<playbook>').description('converge the hosts to the playbook'))
    .option('--lock-timeout <s>', 'wait up to this many seconds for hosts another apply holds (0: stop at once)', '10')
    .addHelpText('after', EXIT_CODES)
    .action(async (pb: string, f: RunFlags) =>
      exit(
        await commands()
          .then((c) => c.run('apply', pb, f))
          .catch(report),
      ),
    );
  addRunOptions(p.command('check').argument('<playbook>').description('dry-run audit: plan only, change nothing; exit 2 on drift'))
    .addHelpText('after', EXIT_CODES)
    .action(async (pb: string, f: RunFlags) =>
      exit(
        await commands()
          .then((c) => c.run('check', pb, f))
          .catch(report),
      ),
    );
  addRunOptions(
    p
      .command('run')
      .argument('<pattern>', 'hosts or groups, as --limit takes them')
      .description("ad-hoc: run one module on the matching hosts (Ansible's `ansible` command)")
      .option('-m, --module-name <module>', 'the module to run', 'command')
      .option('-a, --args <args>', 'its arguments: key=value pairs, YAML/JSON, or a command line for command and shell')
      .option('-C, --check', 'plan only, change nothing; exit 2 if it would change')
      .option('-b, --become', 'run as root (sudo -n)')
      .option('--lock-timeout <s>', 'without --check: wait up to this many seconds for hosts an apply holds (0: stop at once)', '10'),
  )
    .addHelpText('after', EXIT_CODES)
    .action(async (pattern: string, f: AdhocFlags) =>
      exit(
        await commands()
          .then((c) => c.adhoc(pattern, f))
          .catch(report),
      ),
    );
  addInventoryOptions(p.command('validate').argument('<playbook>').description('schema and reference checks, no connection'))
    .option('-e, --extra-vars <var>', 'key=value, @file.yml or JSON; repeatable', collect, [])
    .option('-l, --limit <pattern>', 'only these hosts/groups')
    .addHelpText('after', EXIT_CODES)
    .action(async (pb: string, f: RunFlags) =>
      exit(
        await commands()
          .then((c) => c.validate(pb, f))
          .catch(report),
      ),
    );
  addInventoryOptions(
    p.command('inventory').description('show resolved hosts, groups and variables (secrets masked), in ansible-inventory --list / --host JSON'),
  )
    .option('--host <name>', "only this host's variables")
    .option('--list', 'all hosts and groups (default)')
    .action(async (f: InventoryFlags & { host?: string }) =>
      exit(
        await commands()
          .then((c) => c.inventory(f))
          .catch(report),
      ),
    );
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
