// What the commands do: load and check the input, run a playbook, show the inventory.
// main.ts imports this only when a command runs, so `plumb --help` and option errors load
// commander alone; and validate never loads the reporters or the SSH transport.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { checkReferences, hostVars, playHosts, type RunOptions, runPlaybook, tagFilter } from '../engine/run.js';
import { gatheredStandIns } from '../engine/play.js';
import { localFile, prepareTask } from '../engine/task.js';
import { formatPos, InputError, type InputProblem, UndefinedVariableError } from '../errors.js';
import { type AnsibleCfg, loadAnsibleCfg } from './ansible-cfg.js';
import { defaultUser, type Inventory, loadInventory } from '../inventory/load.js';
import { PatternError, resolvePattern } from '../inventory/pattern.js';
import { isSecretName, REDACTED } from '../inventory/secrets.js';
import { Vault, VaultError, vaultSources } from '../inventory/vault.js';
import type { Vars } from '../modules/types.js';
import { loadPlaybook } from '../playbook/load.js';
import { renderFile, templatePath } from '../render/ejs.js';
import type { Emit } from '../report/events.js';
import { Redactor } from '../report/redact.js';
import { loadYaml, posOf, RESERVED_KEYS, reservedKeyMessage, reservedKeyPaths } from '../schema/yaml.js';

/** -i (repeatable) and the vault password options. */
export interface InventoryFlags {
  inventory?: string[];
  vaultPasswordFile?: string[];
  vaultId?: string[];
  /** Not an option: the ansible.cfg this run read (withAnsibleCfg), whose values sit under the command line's. */
  ansibleCfg?: AnsibleCfg;
}

/**
 * Find and read ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ...), once per command, before
 * anything else: its problems are input errors, its unhonoured options are named on stderr.
 */
export function withAnsibleCfg<F extends InventoryFlags & { verbose?: boolean }>(flags: F, env: NodeJS.ProcessEnv = process.env): F {
  const { cfg, warning } = loadAnsibleCfg(env);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  if (!cfg) return flags;
  if (flags.verbose) {
    process.stderr.write(`using ${cfg.file}\n`);
    if (cfg.noEffect.length) process.stderr.write(`${cfg.file}: no effect in plumb (one connection per host already): ${cfg.noEffect.join(', ')}\n`);
  }
  for (const w of cfg.warnings) process.stderr.write(`warning: ${w}\n`);
  return { ...flags, ansibleCfg: cfg };
}

export function loadInventoryFlags(flags: InventoryFlags): Inventory {
  const cfg = flags.ansibleCfg;
  // -i replaces ansible.cfg's inventory, as in Ansible.
  const sources = flags.inventory?.length ? flags.inventory : cfg?.inventory;
  if (!sources?.length)
    throw InputError.one('no inventory given', undefined, 'pass -i FILE, -i DIR or -i host1,host2, (or set inventory in [defaults] of ansible.cfg)');
  let vault: Vault;
  try {
    // vault_password_file is Ansible's DEFAULT_VAULT_PASSWORD_FILE, which ANSIBLE_VAULT_PASSWORD_FILE overrides.
    const env =
      cfg?.vaultPasswordFile && !process.env.ANSIBLE_VAULT_PASSWORD_FILE ? { ...process.env, ANSIBLE_VAULT_PASSWORD_FILE: cfg.vaultPasswordFile } : process.env;
    vault = new Vault(vaultSources(flags.vaultId, flags.vaultPasswordFile, env));
  } catch (e) {
    if (e instanceof VaultError) throw InputError.one(e.message, undefined, e.hint);
    throw e;
  }
  const inv = loadInventory(sources, { vault });
  // ansible.cfg's connection settings are the lowest level: any inventory variable wins.
  if (cfg)
    for (const h of inv.hosts.values()) {
      if (h.conn.local) continue;
      if (cfg.privateKeyFile !== undefined) h.conn.keyFile ??= cfg.privateKeyFile;
      if (cfg.proxyJump !== undefined) h.conn.proxyJump ??= cfg.proxyJump;
      if (cfg.becomeUser !== undefined) h.conn.becomeUser ??= cfg.becomeUser;
    }
  return inv;
}

export interface RunFlags extends InventoryFlags {
  askBecomePass?: boolean;
  askKeyPassphrase?: boolean;
  limit?: string;
  tags?: string;
  skipTags?: string;
  forks?: string;
  diff?: boolean;
  json?: boolean;
  junit?: string;
  extraVars: string[];
  verbose?: boolean;
  acceptNewHostKeys?: boolean;
  forceHandlers?: boolean;
  connectTimeout?: string;
  startAtTask?: string;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  step?: boolean;
  commandTimeout?: string;
  keepalive?: string;
  lockTimeout?: string;
}

/** A whole number of seconds from an option, or a clear input error. */
function seconds(flag: string, v: string | undefined, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw InputError.one(`${flag} must be a whole number of seconds${min ? ` (at least ${min})` : ''}, got ${v}`);
  return n;
}

export function parseExtraVars(items: string[]): Vars {
  const out: Vars = {};
  for (const item of items) {
    if (item.startsWith('@')) {
      const file = item.slice(1);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw InputError.one(`cannot read extra vars file ${file}: ${(e as Error).message}`);
      }
      const v = loadYaml(file, text).value; // bad YAML is an InputError at file:line:col
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw InputError.one(`extra vars file ${file} must hold a mapping`, { file, line: 1, col: 1 });
      Object.assign(out, v);
    } else if (item.trim().startsWith('{')) {
      let v: unknown;
      try {
        v = JSON.parse(item);
      } catch (e) {
        throw InputError.one(`-e ${item}: invalid JSON: ${(e as Error).message}`);
      }
      const bad = reservedKeyPaths(v)[0];
      if (bad)
        throw InputError.one(
          `-e: ${reservedKeyMessage(bad[bad.length - 1]!)} (at ${bad.join('.')})`,
          undefined,
          'rename the key; __proto__, constructor and prototype are reserved',
        );
      Object.assign(out, v);
    } else {
      for (const pair of item.split(/\s+(?=[A-Za-z_][A-Za-z0-9_]*=)/)) {
        const eq = pair.indexOf('=');
        if (eq < 1) throw InputError.one(`-e ${pair}: expected key=value, @file.yml or a JSON object`);
        if (RESERVED_KEYS.has(pair.slice(0, eq)))
          throw InputError.one(`-e: ${reservedKeyMessage(pair.slice(0, eq))}`, undefined, 'rename the key; __proto__, constructor and prototype are reserved');
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
  }
  return out;
}

/** `playbook`: a file, or one plumb made itself (`plumb run`). */
function load(
  flags: InventoryFlags & Pick<RunFlags, 'limit' | 'extraVars'>,
  playbook: string | { file: string; text: string; root: string },
): { inv: Inventory; book: ReturnType<typeof loadPlaybook>; extra: Vars } {
  // Collect problems from both files before failing, so one run reports everything.
  const problems: InputError['problems'] = [];
  let inv: Inventory | undefined;
  let book: ReturnType<typeof loadPlaybook> | undefined;
  try {
    inv = loadInventoryFlags(flags);
  } catch (e) {
    if (e instanceof InputError) problems.push(...e.problems);
    else throw e;
  }
  try {
    const defaults = { rolesPath: flags.ansibleCfg?.rolesPath, become: flags.ansibleCfg?.become };
    book = typeof playbook === 'string' ? loadPlaybook(playbook, undefined, defaults) : loadPlaybook(playbook.file, playbook, defaults);
  } catch (e) {
    if (e instanceof InputError) problems.push(...e.problems);
    else throw e;
  }
  if (inv && flags.limit) {
    // --limit is not in any file: report it as the command line's fault, not a play's.
    try {
      resolvePattern(inv, flags.limit);
    } catch (e) {
      if (!(e instanceof PatternError)) throw e;
      problems.push({ message: `--limit ${flags.limit}: ${e.message}`, hint: `known groups and hosts: ${e.known.join(', ')}` });
    }
  }
  if (problems.length || !inv || !book) throw new InputError(problems);
  return { inv, book, extra: parseExtraVars(flags.extraVars) };
}

/**
 * Render every template a `template:` task would render, for every host, before any
 * connection: an undefined name in a template is bad input (file:line inside the .ejs),
 * exactly like one in task arguments. Runs after checkReferences, so patterns and
 * arguments are known good. Errors that may depend on registered results (which only
 * exist at run time) are left for the run to report.
 */
function checkTemplates(inv: Inventory, book: ReturnType<typeof loadPlaybook>, opts: Pick<RunOptions, 'limit' | 'extraVars' | 'tags' | 'skipTags'>): void {
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const selected = tagFilter(opts.tags, opts.skipTags);
  const registers = new Set(
    book.plays
      .flatMap((p) => [...p.tasks, ...p.handlers])
      .map((t) => t.register)
      .filter((r): r is string => !!r),
  );
  // gather_facts: the ansible_* names exist at run time; stand-ins here (engine/run.ts).
  const gathered = gatheredStandIns(book);
  for (const play of book.plays) {
    const tasks = [...play.tasks.filter(selected), ...play.handlers];
    const templates = tasks.filter((t) => t.module === 'template');
    if (!templates.length) continue;
    for (const host of playHosts(inv, play, opts.limit)) {
      const vars = hostVars(inv, play, host, opts.extraVars, gathered);
      for (const t of templates) {
        const tv = t.roleVars || t.vars ? hostVars(inv, play, host, opts.extraVars, gathered, t) : vars;
        let prepared;
        try {
          prepared = prepareTask(t, tv);
        } catch {
          continue; // uses a registered result: only known at run time
        }
        if ('skip' in prepared) continue;
        for (const inst of prepared.instances) {
          const src = (inst.args as { src?: unknown }).src;
          if (typeof src !== 'string') continue;
          try {
            renderFile(localFile(t, 'templates', src, templatePath(book.templatesDir, src)), { ...tv, [t.loopVar]: inst.item });
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            if (e instanceof UndefinedVariableError && registers.has(e.variable)) continue;
            if (!(e instanceof UndefinedVariableError) && e.problems.some((p) => p.message.startsWith('template error:'))) continue;
            for (const p of e.problems) {
              const id = `${p.pos?.file}:${p.pos?.line}:${p.message}`;
              if (seen.has(id)) continue;
              seen.add(id);
              const used = posOf(t.loc.src, [...t.loc.path, t.module, 'src']);
              // A problem inside the template points there and names the task; one without a
              // position (template not found, does not compile) points at the task's src.
              problems.push(
                p.pos
                  ? { ...p, message: `${p.message} (task '${t.name}' at ${formatPos(used)}, host ${host})` }
                  : { ...p, pos: used, message: `${p.message} (host ${host})` },
              );
            }
          }
        }
      }
    }
  }
  if (problems.length) throw new InputError(problems);
}

/** A report file is whole or absent: written beside its final name, then renamed. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    throw InputError.one(`cannot write ${file}: ${(e as Error).message}`, undefined, 'check that the report folder exists and is writable');
  }
}

const list = (s?: string): string[] =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];

type Loaded = ReturnType<typeof load>;

export async function run(mode: 'apply' | 'check', playbook: string, cli: RunFlags): Promise<number> {
  const flags = withAnsibleCfg(cli);
  return execute(mode, load(flags, playbook), flags);
}

export interface AdhocFlags extends RunFlags {
  moduleName: string;
  args?: string;
  check?: boolean;
  become?: boolean;
}

/** `plumb run PATTERN -m MODULE -a ARGS`: one task as a one-play playbook, through the same engine. */
export async function adhoc(pattern: string, cli: AdhocFlags): Promise<number> {
  const flags = withAnsibleCfg(cli);
  const { parseModuleArgs, adhocPlaybook } = await import('./adhoc.js');
  const args = parseModuleArgs(flags.moduleName, flags.args);
  const text = adhocPlaybook(pattern, flags.moduleName, args, !!flags.become, flags.args);
  const loaded = load(flags, { file: `plumb run ${pattern} -m ${flags.moduleName}`, text, root: process.cwd() });
  return execute(flags.check ? 'check' : 'apply', loaded, flags, 'adhoc');
}

/**
 * -K and --ask-key-passphrase: one prompt each, before anything connects, for the hosts whose
 * inventory gives no such secret. The value becomes one of the host's secrets, so the
 * redactor masks it like an inventory secret.
 */
async function askSecrets(inv: Inventory, flags: RunFlags): Promise<void> {
  const { askSecret } = await import('./prompt.js');
  const asks = [
    {
      on: flags.askBecomePass ?? flags.ansibleCfg?.becomeAskPass,
      key: 'becomePassword',
      question: 'BECOME password: ',
      instead: 'give ansible_become_password as a secret (secret_env, secret_file or the vault)',
    },
    {
      on: flags.askKeyPassphrase,
      key: 'keyPassphrase',
      question: 'SSH key passphrase: ',
      instead: 'give plumb_private_key_passphrase as a secret, or load the key into ssh-agent',
    },
  ] as const;
  for (const a of asks) {
    if (!a.on) continue;
    const hosts = [...inv.hosts.values()].filter((h) => h.conn[a.key] === undefined);
    if (!hosts.length) continue;
    const value = await askSecret(a.question, a.instead);
    for (const h of hosts) {
      h.conn[a.key] = value;
      if (value) h.secretValues.push(value);
    }
  }
}

async function execute(mode: 'apply' | 'check', { inv, book, extra }: Loaded, flags: RunFlags, output: 'playbook' | 'adhoc' = 'playbook'): Promise<number> {
  const refs = { limit: flags.limit, extraVars: extra, tags: list(flags.tags), skipTags: list(flags.skipTags) };
  if (flags.step) {
    throw InputError.one(
      '--step is not supported',
      undefined,
      'plumb runs each host through its tasks independently, so there is no one next task to confirm; use --start-at-task, --tags or --limit, or `plumb check --diff` to see every change first',
    );
  }
  if (flags.listHosts || flags.listTasks || flags.listTags) {
    const { listing } = await import('./list.js');
    process.stdout.write(listing(inv, book, flags, { ...refs, relPath: relative(process.cwd(), book.file) || book.file }));
    return 0;
  }
  const skipTasks = flags.startAtTask ? (await import('./list.js')).tasksBefore(book, flags.startAtTask) : undefined;
  const references = checkReferences(inv, book, refs);
  checkTemplates(inv, book, refs);
  await askSecrets(inv, flags);
  // Reporters and the transport are imported here, not at the top: listr2, diff and ssh2 are
  // most of plumb's startup cost, and validate, inventory and --help never need them.
  const write = (s: string) => process.stdout.write(s);
  let emit: Emit;
  let finish = async (): Promise<void> => {};
  if (flags.json) emit = (await import('../report/json.js')).jsonReporter(write, !!flags.verbose);
  else if (output === 'adhoc') emit = (await import('../report/adhoc.js')).adhocReporter(write);
  else if (process.stdout.isTTY && (process.stdout.columns ?? 0) > 0 && !flags.verbose && !process.env.CI) {
    const { listrReporter } = await import('../report/listr.js');
    const r = listrReporter(write, { rows: process.stdout.rows ?? 24 });
    emit = r.emit;
    finish = r.finished;
  } else emit = (await import('../report/lines.js')).linesReporter(write, { verbose: !!flags.verbose, showOk: false });
  // --junit needs every diff for its failures; the terminal shows them only with --diff.
  const junit = flags.junit ? (await import('../report/junit.js')).junitReporter() : undefined;
  if (junit) {
    const show = emit;
    emit = (e) => {
      junit.emit(e);
      show(e.type === 'task' && e.diff && !flags.diff ? { ...e, diff: undefined } : e);
    };
  }
  const cfg = flags.ansibleCfg;
  const forks = flags.forks ? Number(flags.forks) : (cfg?.forks ?? Math.min(Math.max(inv.hosts.size, 1), 50));
  if (!Number.isInteger(forks) || forks < 1) throw InputError.one(`--forks must be a positive integer, got ${flags.forks}`);
  const commandTimeoutS = seconds('--command-timeout', flags.commandTimeout, 3600);
  const keepaliveS = seconds('--keepalive', flags.keepalive, 5, 1);
  const lockWaitS = seconds('--lock-timeout', flags.lockTimeout, 10);
  const { SshTransport, defaultSshOptions } = await import('../ssh/connection.js');
  const { JumpPool } = await import('../ssh/jump.js');
  const jumps = new JumpPool();
  const sshOpts = {
    ...defaultSshOptions,
    jumps,
    // host_key_checking = False is accept-new: a changed key is still refused (readAnsibleCfg warns).
    acceptNewHostKeys: !!flags.acceptNewHostKeys || cfg?.hostKeyChecking === false,
    connectTimeoutMs: flags.connectTimeout !== undefined ? Number(flags.connectTimeout) : cfg?.timeoutS !== undefined ? cfg.timeoutS * 1000 : 10000,
    keepaliveIntervalMs: keepaliveS * 1000,
    onNotice: (text: string) => process.stderr.write(`note: ${text}\n`),
  };
  const opts: RunOptions = {
    mode,
    diff: !!flags.diff || !!junit,
    limit: flags.limit,
    tags: list(flags.tags),
    skipTags: list(flags.skipTags),
    forks,
    extraVars: extra,
    forceHandlers: !!flags.forceHandlers,
    skipTasks,
    emit,
    commandTimeoutS,
    references,
    lock: mode === 'apply' ? { waitS: lockWaitS } : undefined,
    connect: async (name, remoteUser) => {
      const h = inv.hosts.get(name)!;
      // ansible_connection: local runs on this machine, no SSH.
      if (h.conn.local) return new (await import('../ssh/local.js')).LocalTransport(name, sshOpts.onExec);
      // A play's remote_user, given only for a host whose inventory names no user (remoteUsers in engine/run.ts), else
      // ansible.cfg's; either beats ~/.ssh/config's User, as in Ansible.
      const user = remoteUser ?? (h.conn.user === undefined ? cfg?.remoteUser : undefined);
      return SshTransport.connect(name, user ? { ...h.conn, user } : h.conn, defaultUser(), sshOpts);
    },
  };
  const result = await runPlaybook(inv, book, opts).finally(() => jumps.close());
  await finish();
  if (junit && flags.junit) writeAtomically(flags.junit, junit.xml() ?? '');
  return result.exitCode;
}

/** `plumb validate`: every check that needs no connection. */
export function validate(playbook: string, cli: InventoryFlags & Pick<RunFlags, 'limit' | 'extraVars'>): number {
  const flags = withAnsibleCfg(cli);
  const { inv, book, extra } = load(flags, playbook);
  checkReferences(inv, book, { limit: flags.limit, extraVars: extra, tags: [], skipTags: [] });
  checkTemplates(inv, book, { limit: flags.limit, extraVars: extra, tags: [], skipTags: [] });
  const tasks = book.plays.reduce((n, pl) => n + pl.tasks.length + pl.handlers.length, 0);
  process.stdout.write(`ok: ${book.plays.length} plays, ${tasks} tasks and handlers, ${inv.hosts.size} hosts\n`);
  return 0;
}

function masked(vars: Vars, secretNames: Set<string>, explicit: Set<string>): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(vars)) out[k] = secretNames.has(k) || isSecretName(k, explicit) ? REDACTED : v;
  return out;
}

/** `plumb inventory`: ansible-inventory's --list / --host JSON, secrets masked. */
export function inventory(flags: InventoryFlags & { host?: string }): number {
  const inv = loadInventoryFlags(withAnsibleCfg(flags));
  const explicit = new Set<string>();
  // Secret-named variables are masked whole; any secret value anywhere else (nested under a
  // secret key, or copied into another variable) is masked where it appears.
  const redactor = new Redactor();
  for (const h of inv.hosts.values()) redactor.add(h.secretValues);
  const shown = (h: NonNullable<ReturnType<typeof inv.hosts.get>>): Vars => redactor.redactDeep(masked(h.vars, h.secretNames, explicit));
  if (flags.host) {
    const h = inv.hosts.get(flags.host);
    if (!h) throw InputError.one(`no host '${flags.host}' in ${inv.sources.join(', ')}`, undefined, `hosts: ${[...inv.hosts.keys()].join(', ')}`);
    process.stdout.write(JSON.stringify(shown(h), null, 4) + '\n');
    return 0;
  }
  // As ansible-inventory: a host without variables has no _meta.hostvars entry.
  const withVars = [...inv.hosts].filter(([, h]) => Object.keys(h.vars).length);
  const out: Record<string, unknown> = { _meta: { hostvars: Object.fromEntries(withVars.map(([n, h]) => [n, shown(h)])) } };
  // Ansible's shape: every group with its direct hosts and its children; empty keys and empty groups left out.
  for (const g of inv.groups.values()) {
    const entry = { ...(g.name !== 'all' && g.direct.length ? { hosts: g.direct } : {}), ...(g.children.length ? { children: g.children } : {}) };
    if (Object.keys(entry).length || g.name === 'all') out[g.name] = entry;
  }
  process.stdout.write(JSON.stringify(out, null, 4) + '\n');
  return 0;
}
