// Playbook loading: plays, roles and tasks, validated all at once before any connection.
// Layout: a role lives in playbooks/roles/<role>/{tasks,handlers,defaults}.yml and its
// templates in templates/<role>/ (template src is relative to templates/); copy's `src`
// is relative to the project root (the folder that holds playbooks/).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, type InputProblem } from '../errors.js';
import { loadYaml, posOf, type Located, type YamlPath, type YamlSource } from '../schema/yaml.js';
import { validate } from '../schema/validate.js';
import { modules } from '../modules/index.js';
import type { Vars } from '../modules/types.js';
import { expressionProblem, expressionsIn, hasTemplate } from './expr.js';
import { playbookSchema, playSchema, roleDefaultsSchema, TASK_KEYWORDS, taskKeywordSchema } from './schema.js';

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
  loc: Located;
}

export interface Play {
  name: string;
  hosts: string;
  vars: Vars;
  roleDefaults: Vars;
  become: boolean;
  serial?: number | string;
  maxFailPercentage?: number;
  forceHandlers: boolean;
  tasks: Task[];
  handlers: Task[];
  loc: Located;
}

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
  return problems.filter((p) => !skip.some((s) => p.pos && posOf(src, [...path, ...s.split('/').slice(1)]).line === p.pos.line && posOf(src, [...path, ...s.split('/').slice(1)]).col === p.pos.col));
}

/** Every expression of a task parses and uses only what expressions may (before any host is known). */
function checkExpressions(t: Vars, module: string, src: YamlSource, path: YamlPath): InputProblem[] {
  const found = [
    ...expressionsIn(t[module], [module]),
    ...expressionsIn(t.loop, ['loop']),
    ...(typeof t.when === 'string' ? [{ path: ['when'], expr: t.when }] : Array.isArray(t.when) ? t.when.flatMap((w, i) => (typeof w === 'string' ? [{ path: ['when', i], expr: w }] : [])) : []),
  ];
  const problems: InputProblem[] = [];
  for (const { path: sub, expr } of found) {
    const p = expressionProblem(expr, `task '${typeof t.name === 'string' ? t.name : module}'`);
    if (p) problems.push({ pos: posOf(src, [...path, ...sub]), ...p });
  }
  return problems;
}

function loadTasks(src: YamlSource, base: YamlPath, items: unknown[], problems: InputProblem[], role?: string, handler = false): Task[] {
  const tasks: Task[] = [];
  items.forEach((raw, i) => {
    const path = [...base, i];
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ pos: posOf(src, path), message: 'a task must be a mapping', hint: 'write "- name: ...\\n  module: {args}"' });
      return;
    }
    const t = raw as Vars;
    const moduleKeys = Object.keys(t).filter((k) => !(TASK_KEYWORDS as readonly string[]).includes(k));
    const known = moduleKeys.filter((k) => k in modules || k === 'meta');
    for (const k of moduleKeys.filter((k) => !known.includes(k))) {
      problems.push({
        pos: posOf(src, [...path, k], true),
        message: `unknown module or task key '${k}'`,
        hint: `modules: ${[...Object.keys(modules), 'meta'].sort().join(', ')}; task keys: ${TASK_KEYWORDS.join(', ')}`,
      });
    }
    if (known.length !== 1) {
      if (known.length > 1) problems.push({ pos: posOf(src, path), message: `a task has exactly one module, found ${known.join(' and ')}`, hint: 'split it into two tasks' });
      else if (!moduleKeys.length) problems.push({ pos: posOf(src, path), message: 'task has no module', hint: `add one of: ${Object.keys(modules).sort().join(', ')}` });
      return;
    }
    const module = known[0]!;
    const kw: Vars = {};
    for (const k of TASK_KEYWORDS) if (k in t) kw[k] = t[k];
    problems.push(...validate(taskKeywordSchema, kw, src, path));
    if ('listen' in t && !handler) problems.push({ pos: posOf(src, [...path, 'listen'], true), message: "'listen' is only valid on handlers" });
    const args = normalizeArgs(module, t[module]);
    if (module === 'meta') {
      if (args !== 'flush_handlers') problems.push({ pos: posOf(src, [...path, 'meta']), message: `unknown meta action ${JSON.stringify(args)}`, hint: 'the only meta action is flush_handlers' });
    } else {
      problems.push(...checkArgs(module, args, src, [...path, module]));
      problems.push(...checkExpressions(t, module, src, path));
    }
    const name = typeof t.name === 'string' ? t.name : `${module}${typeof args === 'object' && args ? ` ${Object.values(args as Vars).filter((v) => typeof v === 'string').slice(0, 1).join('')}` : ''}`;
    tasks.push({
      name,
      module,
      args,
      when: t.when === undefined ? [] : Array.isArray(t.when) ? (t.when as (string | boolean)[]) : [t.when as string | boolean],
      notify: list(t.notify),
      listen: list(t.listen),
      tags: list(t.tags),
      loop: t.loop,
      loopVar: typeof t.loop_var === 'string' ? t.loop_var : 'item',
      register: typeof t.register === 'string' ? t.register : undefined,
      become: typeof t.become === 'boolean' ? t.become : undefined,
      noLog: t.no_log === true,
      ignoreErrors: t.ignore_errors === true,
      timeout: typeof t.timeout === 'number' ? t.timeout : undefined,
      role,
      loc: { src, path },
    });
  });
  return tasks;
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

/** `inline`: a playbook made by plumb itself (`plumb run`), with the project root it resolves files against. */
export function loadPlaybook(file: string, inline?: { text: string; root: string }): Playbook {
  const path = inline ? file : resolve(file);
  const src = loadYaml(path, inline?.text);
  const problems: InputProblem[] = [];
  const pbDir = inline ? join(inline.root, 'playbooks') : dirname(path);
  const root = inline ? inline.root : dirname(pbDir);
  const templatesDir = join(root, 'templates');
  problems.push(...validate(playbookSchema, src.value ?? null, src));
  if (problems.length) throw new InputError(problems);

  const plays: Play[] = [];
  (src.value as unknown[]).forEach((raw, i) => {
    problems.push(...validate(playSchema, raw, src, [i]));
    // Keep going after a play-level problem, so its tasks' problems are reported in the same run.
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return;
    const p = raw as Vars;
    const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
    const tasks: Task[] = [];
    const handlers: Task[] = [];
    let roleDefaults: Vars = {};
    const playTags = list(p.tags);
    listOf(p.roles).forEach((r, ri) => {
      const spec = typeof r === 'string' ? { role: r } : (r as { role: string; tags?: unknown; when?: string });
      if (typeof spec?.role !== 'string' || !spec.role) return; // reported by the play schema
      const dir = join(pbDir, 'roles', spec.role);
      if (!existsSync(dir)) {
        problems.push({ pos: posOf(src, [i, 'roles', ri]), message: `role '${spec.role}' not found (looked in ${dir})`, hint: 'create playbooks/roles/<role>/tasks.yml or fix the name' });
        return;
      }
      const roleTags = list(spec.tags);
      const t = loadList(join(dir, 'tasks.yml'), problems);
      if (t) {
        const loaded = loadTasks(t.src, [], t.items, problems, spec.role);
        for (const task of loaded) {
          task.tags.push(...roleTags, spec.role);
          if (spec.when) task.when.unshift(spec.when);
        }
        tasks.push(...loaded);
      }
      const h = loadList(join(dir, 'handlers.yml'), problems);
      const roleHandlers = h ? loadTasks(h.src, [], h.items, problems, spec.role, true) : [];
      handlers.push(...roleHandlers);
      const params = typeof r === 'object' ? (r as { vars?: Vars }).vars : undefined;
      if (params) for (const task of [...tasks.filter((x) => x.role === spec.role && !x.roleVars), ...roleHandlers]) task.roleVars = params;
      const dfile = join(dir, 'defaults.yml');
      if (existsSync(dfile)) {
        try {
          const d = loadYaml(dfile);
          const dp = validate(roleDefaultsSchema, d.value, d);
          problems.push(...dp);
          if (!dp.length && d.value) roleDefaults = { ...roleDefaults, ...(d.value as Vars) };
        } catch (e) {
          if (e instanceof InputError) problems.push(...e.problems);
          else throw e;
        }
      }
    });
    tasks.push(...loadTasks(src, [i, 'tasks'], listOf(p.tasks), problems));
    handlers.push(...loadTasks(src, [i, 'handlers'], listOf(p.handlers), problems, undefined, true));
    for (const t of tasks) t.tags.push(...playTags);

    // Every notify must name a handler (by name or listen), or the restart would silently never happen.
    const handlerNames = new Set(handlers.flatMap((h) => [h.name, ...h.listen]));
    for (const t of tasks) {
      for (const n of t.notify) {
        if (!handlerNames.has(n)) {
          problems.push({ pos: posOf(t.loc.src, [...t.loc.path, 'notify']), message: `notify '${n}' names no handler in play '${String(p.name ?? p.hosts)}'`, hint: handlerNames.size ? `handlers: ${[...handlerNames].join(', ')}` : 'add a handlers.yml to the role or handlers: to the play' });
        }
      }
    }
    plays.push({
      name: typeof p.name === 'string' ? p.name : String(p.hosts),
      hosts: String(p.hosts),
      vars: (p.vars as Vars) ?? {},
      roleDefaults,
      become: p.become === true,
      serial: p.serial as number | string | undefined,
      maxFailPercentage: p.max_fail_percentage as number | undefined,
      forceHandlers: p.force_handlers === true,
      tasks,
      handlers,
      loc: { src, path: [i] },
    });
  });
  if (problems.length) throw new InputError(problems);
  return { file: path, root, templatesDir, plays };
}
