// Playbook loading: plays, roles and tasks, validated all at once before any connection.
// Layout: a role lives in playbooks/roles/<role>/{tasks,handlers,defaults}.yml and its
// templates in templates/<role>/ (template src is relative to templates/); copy's `src`
// is relative to the project root (the folder that holds playbooks/).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError, type InputProblem } from '../errors.js';
import { modules } from '../modules/index.js';
import type { Vars } from '../modules/types.js';
import { validate } from '../schema/validate.js';
import { type Located, loadYaml, posOf, type YamlPath, type YamlSource } from '../schema/yaml.js';
import { expressionProblem, expressionsIn, hasTemplate } from './expr.js';
import { LEGACY_LOOPS, playbookSchema, playSchema, roleDefaultsSchema, TASK_KEYWORDS, taskKeywordSchema } from './schema.js';

export interface Task {
  name: string;
  module: string;
  /** Raw arguments as written: interpolated per host at run time. */
  args: unknown;
  when: (string | boolean)[];
  notify: string[];
  listen: string[];
  tags: string[];
  loop?: unknown;
  loopVar: string;
  register?: string;
  become?: boolean;
  noLog: boolean;
  ignoreErrors: boolean;
  /** Seconds each of its commands may run (Ansible's `timeout`); 0: no limit; unset: the run's default. */
  timeout?: number;
  role?: string;
  /** `- {role: x, vars: {...}}`: above play vars, below extra vars, for this role's tasks only. */
  roleVars?: Vars;
  /** Task `vars:` with those of its blocks and includes (inner wins), with a role's vars/main.yml: below registered results. */
  vars?: Vars;
  /** The parameters of the include_tasks/include_role it came from (their vars, the loop variable): above registered results and role params, as Ansible's include params. */
  params?: Vars;
  /** Play, block and task `environment:`, given to modules that take one (command, shell). */
  environment?: Vars;
  changedWhen?: (string | boolean)[];
  failedWhen?: (string | boolean)[];
  until?: string;
  retries?: unknown;
  delay?: unknown;
  /** `with_dict` and friends: how the loop's value becomes its items (src/engine/task.ts). */
  loopKind?: LoopKind;
  /** The key the loop was written under (loop, with_items, ...), for positions. */
  loopKey?: string;
  label?: string;
  indexVar?: string;
  pause?: number;
  /** true: never applied, not even by apply; false: run in check mode too (command/shell only). */
  checkMode?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  ignoreUnreachable?: boolean;
  /** sudo -u this user (with become); may hold an expression, interpolated per host. Unset: the host's ansible_become_user, else root. */
  becomeUser?: string;
  /** A failure of this task (not rescued) ends the play on every host of its batch. */
  anyErrorsFatal?: boolean;
  /** At most this many hosts run the task at once. */
  throttle?: number;
  /** The blocks this task is in, outermost first, and in which part of each. */
  frames?: FrameRef[];
  /** include_tasks / include_role: the include this task came from (run when it is reached, per its loop). */
  includedBy?: Task;
  /** Folder relative `src:`, `include_vars` and `with_first_found` resolve against first (a role's or the including file's). */
  dir?: string;
  /** An Ansible-layout role's folder: its templates/ and files/ are searched first. */
  roleDir?: string;
  loc: Located;
}

export type LoopKind = 'items' | 'dict' | 'subelements' | 'first_found';

/** One `block:` (with its `rescue:` and `always:`); a task's FrameRef says which part of it holds the task. */
export interface Frame {
  id: number;
  hasRescue: boolean;
}
export interface FrameRef {
  frame: Frame;
  section: 'block' | 'rescue' | 'always';
}

export interface Play {
  name: string;
  hosts: string;
  vars: Vars;
  roleDefaults: Vars;
  become: boolean;
  serial?: BatchSize | BatchSize[];
  /** Ansible's `order`: the order hosts are taken in (batches follow it). */
  order: HostOrder;
  /** Connection user for hosts whose inventory sets none (ansible_user wins, as in Ansible). */
  remoteUser?: string;
  maxFailPercentage?: number;
  /** A host's failure ends the play (and the run) for every host. */
  anyErrorsFatal: boolean;
  forceHandlers: boolean;
  /** gather_facts: true: the setup facts (ansible_*) in the host's first exec, host variables from the run's start. */
  gatherFacts?: boolean;
  /** pre_tasks, roles, tasks and post_tasks, flattened: blocks and includes expanded, in run order. */
  tasks: Task[];
  handlers: Task[];
  loc: Located;
}

export type BatchSize = number | `${number}%`;
export type HostOrder = 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';

export interface Playbook {
  file: string;
  root: string;
  templatesDir: string;
  plays: Play[];
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Paths (relative to `base`) of string values holding {{ }}: their type is only known at run time. */
function templatedPaths(v: unknown, base: string[] = [], out: string[] = []): string[] {
  if (typeof v === 'string' && hasTemplate(v)) out.push('/' + base.join('/'));
  else if (Array.isArray(v)) v.forEach((x, i) => templatedPaths(x, [...base, String(i)], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) templatedPaths(x, [...base, k], out);
  return out;
}

export function normalizeArgs(module: string, args: unknown): unknown {
  const m = modules[module];
  if (m?.freeForm && typeof args === 'string') return { [m.freeForm]: args };
  return args ?? {};
}

/** Validate module args; values with {{ }} are checked again after interpolation. */
export function checkArgs(module: string, args: unknown, src: YamlSource, path: YamlPath, atRunTime = false): InputProblem[] {
  const m = modules[module];
  if (!m) return [];
  const skip = atRunTime ? [] : templatedPaths(args);
  const problems = validate(m.schema, args, src, path, module);
  if (!skip.length) return problems;
  return problems.filter(
    (p) =>
      !skip.some(
        (s) =>
          p.pos && posOf(src, [...path, ...s.split('/').slice(1)]).line === p.pos.line && posOf(src, [...path, ...s.split('/').slice(1)]).col === p.pos.col,
      ),
  );
}

/** Every expression of a task parses and uses only what expressions may (before any host is known). */
function checkExpressions(t: Vars, module: string, src: YamlSource, path: YamlPath): InputProblem[] {
  const found = [
    ...expressionsIn(t[module], [module]),
    ...expressionsIn(t.loop, ['loop']),
    ...(typeof t.when === 'string'
      ? [{ path: ['when'], expr: t.when }]
      : Array.isArray(t.when)
        ? t.when.flatMap((w, i) => (typeof w === 'string' ? [{ path: ['when', i], expr: w }] : []))
        : []),
  ];
  const problems: InputProblem[] = [];
  for (const { path: sub, expr } of found) {
    const p = expressionProblem(expr, `task '${typeof t.name === 'string' ? t.name : module}'`);
    if (p) problems.push({ pos: posOf(src, [...path, ...sub]), ...p });
  }
  return problems;
}

/**
 * Collections whose modules plumb implements under their short names: `ansible.builtin.copy`
 * is `copy`, `community.mysql.mysql_query` is `mysql_query`. Any other dotted name stays
 * unknown (and is reported as such).
 */
const COLLECTIONS = ['ansible.builtin', 'ansible.posix', 'community.general', 'community.mysql'];

/** A task key's module name: the FQCN of a known collection maps to its short name. */
export function shortName(key: string): string {
  const dot = key.lastIndexOf('.');
  return dot > 0 && COLLECTIONS.includes(key.slice(0, dot)) ? key.slice(dot + 1) : key;
}

/** Keys that stand where a module would and that the engine runs itself (src/engine/actions.ts). */
export const ACTIONS = ['meta', 'set_fact', 'debug', 'assert', 'fail', 'include_vars', 'include_tasks', 'import_tasks', 'include_role', 'import_role'] as const;
const INCLUDES = ['include_tasks', 'import_tasks', 'include_role', 'import_role'];

/** What a block, an import or a role hands down to the tasks inside it. */
export interface Inherit {
  when: (string | boolean)[];
  tags: string[];
  become?: boolean;
  vars?: Vars;
  params?: Vars;
  environment?: Vars;
  ignoreErrors?: boolean;
  noLog?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  checkMode?: boolean;
  becomeUser?: string;
  anyErrorsFatal?: boolean;
  frames: FrameRef[];
  role?: string;
  roleDir?: string;
  dir: string;
  includedBy?: Task;
  /** Files being imported, to refuse a cycle. */
  chain: string[];
}

let frameIds = 0;
const conds = (v: unknown): (string | boolean)[] => (v === undefined ? [] : Array.isArray(v) ? (v as (string | boolean)[]) : [v as string | boolean]);
const merged = (a: Vars | undefined, b: unknown): Vars | undefined => (b && typeof b === 'object' ? { ...a, ...(b as Vars) } : a);

/** Where an included or imported task file is: beside the including file, then in the role's tasks/. */
function taskFile(name: string, inh: Inherit): string {
  if (isAbsolute(name)) return name;
  const cands = [join(inh.dir, name), ...(inh.roleDir ? [join(inh.roleDir, 'tasks', name)] : [])];
  return cands.find((c) => existsSync(c)) ?? cands[0]!;
}

function loadTasks(
  src: YamlSource,
  base: YamlPath,
  items: unknown[],
  problems: InputProblem[],
  role?: string,
  handler = false,
  inherit?: Inherit,
  roles?: RoleSink,
): Task[] {
  const inh: Inherit = inherit ?? { when: [], tags: [], frames: [], role, dir: dirname(src.file), chain: [src.file] };
  const tasks: Task[] = [];
  items.forEach((raw, i) => {
    const path = [...base, i];
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ pos: posOf(src, path), message: 'a task must be a mapping', hint: 'write "- name: ...\\n  module: {args}"' });
      return;
    }
    const t = raw as Vars;
    const kw: Vars = {};
    for (const k of TASK_KEYWORDS) if (k in t) kw[k] = t[k];
    const here: Inherit = {
      ...inh,
      when: [...inh.when, ...conds(t.when)],
      tags: [...list(t.tags), ...inh.tags],
      become: typeof t.become === 'boolean' ? t.become : inh.become,
      vars: merged(inh.vars, t.vars),
      environment: merged(inh.environment, t.environment),
      ignoreErrors: typeof t.ignore_errors === 'boolean' ? t.ignore_errors : inh.ignoreErrors,
      noLog: typeof t.no_log === 'boolean' ? t.no_log : inh.noLog,
      delegateTo: typeof t.delegate_to === 'string' ? t.delegate_to : inh.delegateTo,
      runOnce: typeof t.run_once === 'boolean' ? t.run_once : inh.runOnce,
      checkMode: typeof t.check_mode === 'boolean' ? t.check_mode : inh.checkMode,
      becomeUser: typeof t.become_user === 'string' ? t.become_user : inh.becomeUser,
      anyErrorsFatal: typeof t.any_errors_fatal === 'boolean' ? t.any_errors_fatal : inh.anyErrorsFatal,
    };
    if ('block' in t) {
      // A block is not a task: its keywords go down to the tasks inside (Ansible's inheritance).
      problems.push(...validate(taskKeywordSchema, kw, src, path));
      for (const k of Object.keys(t).filter((k) => k !== 'block' && !(TASK_KEYWORDS as readonly string[]).includes(k)))
        problems.push({
          pos: posOf(src, [...path, k], true),
          message: `unknown block key '${k}'`,
          hint: 'a block holds block:, rescue:, always: and task keywords (when, become, tags, vars, ...)',
        });
      const frame: Frame = { id: ++frameIds, hasRescue: Array.isArray(t.rescue) && t.rescue.length > 0 };
      for (const section of ['block', 'rescue', 'always'] as const) {
        const list = t[section];
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
          problems.push({ pos: posOf(src, [...path, section]), message: `'${section}' must be a list of tasks` });
          continue;
        }
        tasks.push(...loadTasks(src, [...path, section], list, problems, role, handler, { ...here, frames: [...inh.frames, { frame, section }] }, roles));
      }
      return;
    }
    for (const k of ['rescue', 'always'] as const)
      if (k in t) problems.push({ pos: posOf(src, [...path, k], true), message: `'${k}' belongs to a block`, hint: 'write block: [...] beside it' });
    const moduleKeys = Object.keys(t).filter((k) => !(TASK_KEYWORDS as readonly string[]).includes(k));
    const known = moduleKeys.filter((k) => shortName(k) in modules || (ACTIONS as readonly string[]).includes(shortName(k)));
    for (const k of moduleKeys.filter((k) => !known.includes(k))) {
      problems.push({
        pos: posOf(src, [...path, k], true),
        message: `unknown module or task key '${k}'`,
        hint: `modules: ${[...Object.keys(modules), ...ACTIONS].sort().join(', ')}; task keys: ${TASK_KEYWORDS.join(', ')}`,
      });
    }
    if (known.length !== 1) {
      if (known.length > 1)
        problems.push({ pos: posOf(src, path), message: `a task has exactly one module, found ${known.join(' and ')}`, hint: 'split it into two tasks' });
      else if (!moduleKeys.length)
        problems.push({ pos: posOf(src, path), message: 'task has no module', hint: `add one of: ${Object.keys(modules).sort().join(', ')}` });
      return;
    }
    // The key as written (`community.mysql.mysql_query`) locates arguments in the YAML; the module is its short name.
    const key = known[0]!;
    const module = shortName(key);
    problems.push(...validate(taskKeywordSchema, kw, src, path));
    if ('listen' in t && !handler) problems.push({ pos: posOf(src, [...path, 'listen'], true), message: "'listen' is only valid on handlers" });
    const legacy = LEGACY_LOOPS.filter((k) => k in t);
    if (legacy.length + ('loop' in t ? 1 : 0) > 1)
      problems.push({ pos: posOf(src, path), message: `a task has one loop, found ${['loop', ...legacy].filter((k) => k in t).join(' and ')}` });
    const loopKey = legacy[0];
    const loopKind: LoopKind | undefined =
      loopKey === 'with_dict'
        ? 'dict'
        : loopKey === 'with_subelements'
          ? 'subelements'
          : loopKey === 'with_first_found'
            ? 'first_found'
            : loopKey
              ? 'items'
              : undefined;
    const lc = (t.loop_control ?? {}) as Vars;
    if (t.check_mode === false && !['command', 'shell'].includes(module))
      problems.push({
        pos: posOf(src, [...path, 'check_mode']),
        message: `check_mode: false runs the task for real in check mode, which plumb allows only for command and shell (that only read)`,
        hint: 'remove it: every other module plans in check mode without changing anything',
      });
    let args = normalizeArgs(module, t[key]);
    if (t.args && typeof t.args === 'object' && args && typeof args === 'object') args = { ...(t.args as Vars), ...(args as Vars) };
    if (module === 'meta') {
      if (args !== 'flush_handlers')
        problems.push({
          pos: posOf(src, [...path, 'meta']),
          message: `unknown meta action ${JSON.stringify(args)}`,
          hint: 'the only meta action is flush_handlers',
        });
    } else if (module in modules) {
      problems.push(...checkArgs(module, args, src, [...path, key]));
      problems.push(...checkExpressions(t, key, src, path));
    }
    const name =
      typeof t.name === 'string'
        ? t.name
        : `${module}${
            typeof args === 'string'
              ? ` ${args}`
              : typeof args === 'object' && args
                ? ` ${Object.values(args as Vars)
                    .filter((v) => typeof v === 'string')
                    .slice(0, 1)
                    .join('')}`
                : ''
          }`;
    const task: Task = {
      name,
      module,
      args,
      when: here.when,
      notify: list(t.notify),
      listen: list(t.listen),
      tags: here.tags,
      loop: loopKey ? t[loopKey] : t.loop,
      loopVar: typeof lc.loop_var === 'string' ? lc.loop_var : typeof t.loop_var === 'string' ? t.loop_var : 'item',
      register: typeof t.register === 'string' ? t.register : undefined,
      become: here.become,
      noLog: here.noLog === true,
      ignoreErrors: here.ignoreErrors === true,
      timeout: typeof t.timeout === 'number' ? t.timeout : undefined,
      role: inh.role,
      vars: here.vars,
      params: inh.params,
      environment: here.environment,
      changedWhen: 'changed_when' in t ? conds(t.changed_when) : undefined,
      failedWhen: 'failed_when' in t ? conds(t.failed_when) : undefined,
      until: typeof t.until === 'string' ? t.until : undefined,
      retries: t.retries,
      delay: t.delay,
      loopKind,
      loopKey,
      label: typeof lc.label === 'string' ? lc.label : undefined,
      indexVar: typeof lc.index_var === 'string' ? lc.index_var : undefined,
      pause: typeof lc.pause === 'number' ? lc.pause : undefined,
      checkMode: here.checkMode,
      delegateTo: here.delegateTo,
      runOnce: here.runOnce,
      ignoreUnreachable: t.ignore_unreachable === true,
      becomeUser: here.becomeUser,
      anyErrorsFatal: here.anyErrorsFatal,
      throttle: typeof t.throttle === 'number' ? t.throttle : undefined,
      frames: inh.frames.length ? inh.frames : undefined,
      includedBy: inh.includedBy,
      dir: inh.dir,
      roleDir: inh.roleDir,
      loc: { src, path },
    };
    if (!INCLUDES.includes(module)) {
      tasks.push(task);
      return;
    }
    // Imports are static: their tasks take the import's keywords. Includes are dynamic: the
    // include is a task of its own, and its `when` and loop decide, when reached, how often
    // its tasks run (src/engine/play.ts); their file is still read and checked now.
    const dynamic = module.startsWith('include');
    const spec = (typeof args === 'string' ? (module.endsWith('role') ? { name: args } : { file: args }) : (args as Vars)) ?? {};
    const sub: Inherit = dynamic
      ? { ...inh, when: [], tags: here.tags, vars: here.vars, params: merged(inh.params, t.vars), frames: inh.frames, includedBy: task, chain: inh.chain }
      : { ...here, frames: inh.frames };
    if (dynamic && ('loop' in t || loopKey)) sub.vars = { ...sub.vars };
    let children: Task[] = [];
    if (module.endsWith('tasks')) {
      const file = typeof spec.file === 'string' ? spec.file : typeof args === 'string' ? args : undefined;
      if (!file || hasTemplate(file)) {
        problems.push({
          pos: posOf(src, [...path, key]),
          message: `${module} needs a file name without {{ }}`,
          hint: 'plumb reads every task file before the run, so a name computed per host cannot be found; use when: on static includes',
        });
        return;
      }
      const f = taskFile(file, inh);
      if (inh.chain.includes(f)) {
        problems.push({ pos: posOf(src, [...path, key]), message: `${module} of ${file} includes itself` });
        return;
      }
      const l = loadList(f, problems);
      if (!l) {
        if (!existsSync(f))
          problems.push({
            pos: posOf(src, [...path, key]),
            message: `task file not found: ${f}`,
            hint: "the path is relative to the including file (or the role's tasks/)",
          });
        return;
      }
      children = loadTasks(l.src, [], l.items, problems, inh.role, handler, { ...sub, dir: dirname(f), chain: [...inh.chain, f] }, roles);
    } else {
      const rname = typeof spec.name === 'string' ? spec.name : undefined;
      if (!rname || !roles) {
        problems.push({ pos: posOf(src, [...path, key]), message: rname ? `${module} is only valid in a play` : `${module} needs name:` });
        return;
      }
      children =
        roles.load(
          rname,
          { ...sub, vars: merged(sub.vars, spec.vars), params: dynamic ? merged(sub.params, spec.vars) : sub.params },
          typeof spec.tasks_from === 'string' ? spec.tasks_from : 'main',
          posOf(src, [...path, key]),
        ) ?? [];
    }
    if (dynamic) tasks.push(task);
    tasks.push(...children);
  });
  return tasks;
}

/** Loads a role's tasks for include_role/import_role, adding its handlers and defaults to the play. */
export interface RoleSink {
  load(name: string, inh: Inherit, tasksFrom: string, pos: ReturnType<typeof posOf>): Task[] | null;
}

function loadList(file: string, problems: InputProblem[]): { src: YamlSource; items: unknown[] } | null {
  if (!existsSync(file)) return null;
  try {
    const src = loadYaml(file);
    if (src.value === null || src.value === undefined) return { src, items: [] };
    if (!Array.isArray(src.value)) {
      problems.push({ pos: posOf(src, []), message: `${file} must be a YAML list of tasks` });
      return null;
    }
    return { src, items: src.value };
  } catch (e) {
    if (e instanceof InputError) problems.push(...e.problems);
    else throw e;
    return null;
  }
}

/** A YAML mapping file (role defaults or vars, vars_files), or null with the problem recorded. */
export function loadVarsFile(file: string, problems: InputProblem[]): Vars | null {
  try {
    const d = loadYaml(file);
    const dp = validate(roleDefaultsSchema, d.value, d);
    problems.push(...dp);
    return dp.length ? null : ((d.value as Vars | null) ?? {});
  } catch (e) {
    if (e instanceof InputError) problems.push(...e.problems);
    else throw e;
    return null;
  }
}

/** The first of `names` that exists in `dir`. */
const firstIn = (dir: string, names: string[]): string | undefined => names.map((n) => join(dir, n)).find((f) => existsSync(f));

/** `inline`: a playbook made by plumb itself (`plumb run`), with the project root it resolves files against. */
/** Defaults from ansible.cfg (src/cli/ansible-cfg.ts): roles_path, and [privilege_escalation] become for plays that do not say. */
export interface PlaybookDefaults {
  rolesPath?: readonly string[];
  become?: boolean;
}

export function loadPlaybook(file: string, inline?: { text: string; root: string }, defaults: PlaybookDefaults = {}): Playbook {
  const path = inline ? file : resolve(file);
  const pbDir = inline ? join(inline.root, 'playbooks') : dirname(path);
  const root = inline ? inline.root : dirname(pbDir);
  const templatesDir = join(root, 'templates');
  const problems: InputProblem[] = [];
  const plays = loadPlays(path, inline?.text, pbDir, problems, [path], defaults);
  if (problems.length) throw new InputError(problems);
  return { file: path, root, templatesDir, plays };
}

function loadPlays(path: string, text: string | undefined, pbDir: string, problems: InputProblem[], chain: string[], defaults: PlaybookDefaults): Play[] {
  const src = loadYaml(path, text);
  const bad = validate(playbookSchema, src.value ?? null, src);
  if (bad.length) {
    problems.push(...bad);
    return [];
  }
  const plays: Play[] = [];
  (src.value as unknown[]).forEach((raw, i) => {
    if (raw && typeof raw === 'object' && 'import_playbook' in raw) {
      const name = (raw as Vars).import_playbook;
      const f = typeof name === 'string' ? resolve(dirname(path), name) : '';
      if (!f || !existsSync(f) || chain.includes(f)) {
        problems.push({
          pos: posOf(src, [i, 'import_playbook']),
          message: !f ? 'import_playbook needs a file name' : chain.includes(f) ? `import_playbook ${name} imports itself` : `playbook not found: ${f}`,
        });
        return;
      }
      plays.push(...loadPlays(f, undefined, pbDir, problems, [...chain, f], defaults));
      return;
    }
    problems.push(...validate(playSchema, raw, src, [i]));
    // Keep going after a play-level problem, so its tasks' problems are reported in the same run.
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return;
    const p = raw as Vars;
    const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
    const tasks: Task[] = [];
    const handlers: Task[] = [];
    let roleDefaults: Vars = {};
    let playVars: Vars = {};
    for (const vf of list(p.vars_files)) {
      const f = resolve(dirname(path), vf);
      if (!existsSync(f))
        problems.push({ pos: posOf(src, [i, 'vars_files']), message: `vars file not found: ${f}`, hint: 'vars_files are relative to the playbook' });
      else playVars = { ...playVars, ...loadVarsFile(f, problems) };
    }
    playVars = { ...playVars, ...((p.vars as Vars) ?? {}) };
    const playTags = list(p.tags);
    const env = p.environment && typeof p.environment === 'object' ? (p.environment as Vars) : undefined;
    const base: Inherit = {
      when: [],
      tags: playTags,
      frames: [],
      dir: dirname(path),
      chain: [path],
      environment: env,
      becomeUser: typeof p.become_user === 'string' ? p.become_user : undefined,
      anyErrorsFatal: p.any_errors_fatal === true ? true : undefined,
    };
    const loaded = new Set<string>();
    // A role in plumb's layout (tasks.yml, handlers.yml, defaults.yml) or Ansible's (tasks/main.yml, ...).
    const roles: RoleSink = {
      load(name, inh, tasksFrom, pos) {
        // The playbook's own roles/ first, then ansible.cfg's roles_path, as Ansible searches.
        const looked = [join(pbDir, 'roles', name), ...(defaults.rolesPath ?? []).map((d) => join(d, name))];
        const dir = looked.find((d) => existsSync(d));
        if (!dir) {
          problems.push({
            pos,
            message: `role '${name}' not found (looked in ${looked.join(', ')})`,
            hint: `create playbooks/roles/<role>/tasks.yml (or tasks/main.yml)${defaults.rolesPath ? ' or put it in a roles_path directory' : ''}, or fix the name`,
          });
          return null;
        }
        const ansible = existsSync(join(dir, 'tasks')) && !existsSync(join(dir, 'tasks.yml'));
        const fileOf = (kind: string, stem = 'main') =>
          ansible ? firstIn(join(dir, kind), [stem, `${stem}.yml`, `${stem}.yaml`]) : firstIn(dir, [stem === 'main' ? `${kind}.yml` : `${stem}.yml`]);
        const roleInh: Inherit = { ...inh, role: name, roleDir: ansible ? dir : undefined, dir: ansible ? join(dir, 'tasks') : dir };
        let vars: Vars | undefined = inh.vars;
        const rv = ansible ? fileOf('vars') : undefined;
        // Role vars (vars/main.yml) sit above play vars, as in Ansible; parameters above them.
        if (rv) vars = { ...loadVarsFile(rv, problems), ...vars };
        roleInh.vars = vars;
        const stem = tasksFrom.replace(/\.ya?ml$/, '');
        const tf = fileOf('tasks', stem);
        if (!tf && stem !== 'main')
          problems.push({
            pos,
            message: `role '${name}' has no tasks file '${tasksFrom}' (tasks_from)`,
            hint: ansible ? `create ${join(dir, 'tasks', `${stem}.yml`)} or fix tasks_from` : `create ${join(dir, `${stem}.yml`)} or fix tasks_from`,
          });
        const t = tf ? loadList(tf, problems) : null;
        const out = t
          ? loadTasks(
              t.src,
              [],
              t.items,
              problems,
              name,
              false,
              { ...roleInh, tags: roleInh.tags.includes(name) ? roleInh.tags : [name, ...roleInh.tags], dir: dirname(tf!), chain: [...inh.chain, tf!] },
              roles,
            )
          : [];
        if (!loaded.has(name)) {
          loaded.add(name);
          const hf = fileOf('handlers');
          const h = hf ? loadList(hf, problems) : null;
          if (h) handlers.push(...loadTasks(h.src, [], h.items, problems, name, true, { ...roleInh, when: [], frames: [], dir: dirname(hf!) }));
          const df = fileOf('defaults');
          if (df) roleDefaults = { ...roleDefaults, ...loadVarsFile(df, problems) };
        }
        return out;
      },
    };
    const section = (key: string) => loadTasks(src, [i, key], listOf(p[key]), problems, undefined, false, base, roles);
    const flush = (): Task => ({
      name: 'meta: flush_handlers',
      module: 'meta',
      args: 'flush_handlers',
      when: [],
      notify: [],
      listen: [],
      tags: ['always'],
      loopVar: 'item',
      noLog: false,
      ignoreErrors: false,
      loc: { src, path: [i] },
    });
    const pre = section('pre_tasks');
    tasks.push(...pre);
    if (pre.length) tasks.push(flush());
    listOf(p.roles).forEach((r, ri) => {
      const spec = typeof r === 'string' ? { role: r } : (r as { role?: string; name?: string; tags?: unknown; when?: string; vars?: Vars; become?: boolean });
      const name = spec?.role ?? spec?.name;
      if (typeof name !== 'string' || !name) return; // reported by the play schema
      const inh: Inherit = { ...base, tags: [...list(spec.tags), name, ...base.tags], when: spec.when ? [spec.when] : [], become: spec.become };
      const loadedTasks = roles.load(name, inh, 'main', posOf(src, [i, 'roles', ri]));
      if (!loadedTasks) return;
      // Role parameters: above play vars, for this role's tasks and handlers only.
      if (spec.vars) for (const task of [...loadedTasks, ...handlers.filter((h) => h.role === name && !h.roleVars)]) task.roleVars = spec.vars;
      tasks.push(...loadedTasks);
    });
    tasks.push(...section('tasks'));
    const post = section('post_tasks');
    if (post.length) tasks.push(flush(), ...post);
    handlers.push(...loadTasks(src, [i, 'handlers'], listOf(p.handlers), problems, undefined, true, { ...base, tags: [] }));

    // Every notify must name a handler (by name or listen), or the restart would silently never happen.
    const handlerNames = new Set(handlers.flatMap((h) => [h.name, ...h.listen]));
    for (const t of tasks) {
      for (const n of t.notify) {
        if (!handlerNames.has(n)) {
          problems.push({
            pos: posOf(t.loc.src, [...t.loc.path, 'notify']),
            message: `notify '${n}' names no handler in play '${String(p.name ?? p.hosts)}'`,
            hint: handlerNames.size ? `handlers: ${[...handlerNames].join(', ')}` : 'add a handlers.yml to the role or handlers: to the play',
          });
        }
      }
    }
    plays.push({
      name: typeof p.name === 'string' ? p.name : String(p.hosts),
      hosts: String(p.hosts),
      vars: playVars,
      roleDefaults,
      become: typeof p.become === 'boolean' ? p.become : defaults.become === true,
      serial: p.serial as BatchSize | BatchSize[] | undefined,
      order: (p.order as HostOrder | undefined) ?? 'inventory',
      remoteUser: typeof p.remote_user === 'string' ? p.remote_user : undefined,
      maxFailPercentage: p.max_fail_percentage as number | undefined,
      anyErrorsFatal: p.any_errors_fatal === true,
      forceHandlers: p.force_handlers === true,
      gatherFacts: p.gather_facts === true,
      tasks,
      handlers,
      loc: { src, path: [i] },
    });
  });
  return plays;
}
