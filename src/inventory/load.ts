// Inventory loading: Ansible's YAML layout plus group_vars/ and host_vars/ beside the file.
// Precedence (low -> high): all vars < parent group < child group < host vars; within one
// group, inline vars < group_vars/ files. Role defaults, play vars and extra vars are layered
// on top by the engine (see src/playbook/vars.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { formatPos, InputError, type InputProblem, type SourcePos } from '../errors.js';
import { loadYaml, posOf, type YamlPath, type YamlSource } from '../schema/yaml.js';
import { addSchema, validate } from '../schema/validate.js';
import { CONNECTION_VARS, groupSchema, inventorySchema, varsFileSchema } from './schema.js';
import { expandPath, isSecretName, isSecretRef, nestedSecretLeaves, resolveSecret, secretLeaves } from './secrets.js';
import type { Vars } from '../modules/types.js';

addSchema(groupSchema);

export interface Connection {
  address: string;
  port?: number;
  user?: string;
  keyFile?: string;
  become: boolean;
  knownHosts?: string;
}

export interface Host {
  name: string;
  /** Groups the host belongs to, including `all`, shallow to deep. */
  groups: string[];
  vars: Vars;
  secretNames: Set<string>;
  secretValues: string[];
  conn: Connection;
  pos: SourcePos;
}

export interface Group {
  name: string;
  depth: number;
  children: string[];
  /** Hosts directly in this group or in any descendant. */
  hosts: string[];
  pos: SourcePos;
}

export interface Inventory {
  file: string;
  dir: string;
  hosts: Map<string, Host>;
  groups: Map<string, Group>;
}

interface RawGroup {
  name: string;
  depth: number;
  parents: Set<string>;
  children: Set<string>;
  directHosts: Set<string>;
  vars: Array<{ vars: Vars; src: YamlSource; path: YamlPath }>;
  pos: SourcePos;
}

type Layer = { vars: Vars; src: YamlSource; path: YamlPath };

function varFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const ext of ['', '.yml', '.yaml']) {
    const p = join(dir, name + ext);
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ya?ml$/.test(f)) out.push(join(p, f));
    } else if (ext) out.push(p);
  }
  return out;
}

function loadVarFiles(dir: string, name: string, problems: InputProblem[]): Layer[] {
  const layers: Layer[] = [];
  for (const f of varFiles(dir, name)) {
    try {
      const src = loadYaml(f);
      if (src.value === null || src.value === undefined) continue;
      const ps = validate(varsFileSchema, src.value, src);
      if (ps.length) problems.push(...ps);
      else layers.push({ vars: src.value as Vars, src, path: [] });
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
    }
  }
  return layers;
}

function first(vars: Vars, names: readonly string[]): unknown {
  for (const n of names) if (vars[n] !== undefined && vars[n] !== null) return vars[n];
  return undefined;
}

export function loadInventory(file: string): Inventory {
  const path = resolve(file);
  const src = loadYaml(path);
  const problems: InputProblem[] = [];
  if (src.value === null || typeof src.value !== 'object') {
    throw InputError.one('the inventory is empty or not a mapping', posOf(src, []), 'start it with `all:` and put hosts under `all.hosts` or `all.children.<group>.hosts`');
  }
  problems.push(...validate(inventorySchema, src.value, src));
  if (problems.length) throw new InputError(problems);

  const dir = dirname(path);
  const groups = new Map<string, RawGroup>();
  const hostLayers = new Map<string, Layer[]>();
  const hostPos = new Map<string, SourcePos>();
  const group = (name: string, pos: SourcePos): RawGroup => {
    let g = groups.get(name);
    if (!g) {
      g = { name, depth: 0, parents: new Set(), children: new Set(), directHosts: new Set(), vars: [], pos };
      groups.set(name, g);
    }
    return g;
  };
  group('all', posOf(src, []));

  const walk = (name: string, node: unknown, p: YamlPath, parent: string | null): void => {
    const g = group(name, posOf(src, p, true));
    if (parent && parent !== name) {
      g.parents.add(parent);
      groups.get(parent)?.children.add(name);
    }
    if (!node || typeof node !== 'object') return;
    const n = node as { hosts?: Record<string, Vars | null> | null; vars?: Vars | null; children?: Record<string, unknown> | null };
    if (n.vars) g.vars.push({ vars: n.vars, src, path: [...p, 'vars'] });
    for (const [h, hv] of Object.entries(n.hosts ?? {})) {
      g.directHosts.add(h);
      if (!hostPos.has(h)) hostPos.set(h, posOf(src, [...p, 'hosts', h], true));
      if (hv) {
        const list = hostLayers.get(h) ?? [];
        list.push({ vars: hv, src, path: [...p, 'hosts', h] });
        hostLayers.set(h, list);
      }
    }
    for (const [c, cn] of Object.entries(n.children ?? {})) walk(c, cn, [...p, 'children', c], name);
  };
  for (const [name, node] of Object.entries(src.value as Record<string, unknown>)) walk(name, node, [name], name === 'all' ? null : 'all');

  // Depth: longest path from `all`; a cycle is an input error.
  const depthOf = (g: RawGroup, seen: string[]): number => {
    if (seen.includes(g.name)) {
      problems.push({ pos: g.pos, message: `group cycle: ${[...seen, g.name].join(' -> ')}`, hint: 'a group cannot be its own ancestor' });
      return 0;
    }
    let d = 0;
    for (const p of g.parents) {
      const pg = groups.get(p);
      if (pg) d = Math.max(d, depthOf(pg, [...seen, g.name]) + 1);
    }
    return d;
  };
  for (const g of groups.values()) g.depth = g.name === 'all' ? 0 : depthOf(g, []);
  if (problems.length) throw new InputError(problems);

  // group_vars / host_vars beside the inventory file.
  for (const g of groups.values()) g.vars.push(...loadVarFiles(join(dir, 'group_vars'), g.name, problems));
  for (const h of hostPos.keys()) {
    const layers = hostLayers.get(h) ?? [];
    layers.push(...loadVarFiles(join(dir, 'host_vars'), h, problems));
    hostLayers.set(h, layers);
  }

  const allHostsOf = (g: RawGroup, seen = new Set<string>()): Set<string> => {
    const out = new Set(g.directHosts);
    for (const c of g.children) {
      const cg = groups.get(c);
      if (cg && !seen.has(c)) {
        seen.add(c);
        for (const h of allHostsOf(cg, seen)) out.add(h);
      }
    }
    return out;
  };
  const members = new Map<string, Set<string>>();
  for (const g of groups.values()) members.set(g.name, g.name === 'all' ? new Set(hostPos.keys()) : allHostsOf(g));

  // A problem in a group's var shows up once, naming the hosts it affects, not once per host.
  const perHost = new Map<string, { problem: InputProblem; hosts: string[]; named: boolean }>();
  const hostProblem = (host: string, problem: InputProblem, named: boolean): void => {
    const key = `${formatPos(problem.pos)}\n${problem.message}`;
    const seen = perHost.get(key);
    if (seen) seen.hosts.push(host);
    else perHost.set(key, { problem, hosts: [host], named });
  };
  const hosts = new Map<string, Host>();
  const ordered = [...groups.values()].sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name));
  for (const [name, pos] of hostPos) {
    const hostGroups = ordered.filter((g) => members.get(g.name)?.has(name));
    const layers: Layer[] = [...hostGroups.flatMap((g) => g.vars), ...(hostLayers.get(name) ?? [])];
    const vars: Vars = {};
    // Where each variable was last set; its line is looked up only for a problem to report.
    const where = new Map<string, Layer>();
    for (const l of layers) {
      for (const [k, v] of Object.entries(l.vars)) {
        vars[k] = v;
        where.set(k, l);
      }
    }
    const posOfVar = (k: string): SourcePos => {
      const l = where.get(k);
      return l ? posOf(l.src, [...l.path, k], true) : pos;
    };
    const explicit = new Set<string>(Array.isArray(vars.plumb_secret_vars) ? (vars.plumb_secret_vars as unknown[]).map(String) : []);
    const secretNames = new Set<string>();
    const secretValues: string[] = [];
    for (const [k, v] of Object.entries(vars)) {
      let value = v;
      if (isSecretRef(v)) {
        const r = resolveSecret(v, dir, posOfVar(k), k);
        if (typeof r !== 'string') {
          hostProblem(name, r, false);
          continue;
        }
        value = r;
        vars[k] = r;
        secretNames.add(k);
      }
      if (isSecretName(k, explicit)) secretNames.add(k);
      if (secretNames.has(k)) secretValues.push(...secretLeaves(value));
      else secretValues.push(...nestedSecretLeaves(value, explicit));
    }
    const conn = connectionOf(name, vars, dir, posOfVar, (p) => hostProblem(name, p, true));
    hosts.set(name, { name, groups: hostGroups.map((g) => g.name), vars, secretNames, secretValues, conn, pos });
  }
  for (const { problem, hosts: hs, named } of perHost.values()) {
    const who = hs.length > 5 ? `${hs.slice(0, 5).join(', ')} and ${hs.length - 5} more` : hs.join(', ');
    problems.push(named ? { ...problem, message: `${who}: ${problem.message}` } : problem);
  }
  if (problems.length) throw new InputError(problems);

  const out = new Map<string, Group>();
  for (const g of ordered) {
    out.set(g.name, { name: g.name, depth: g.depth, children: [...g.children], hosts: [...(members.get(g.name) ?? [])], pos: g.pos });
  }
  return { file: path, dir, hosts, groups: out };
}

function connectionOf(name: string, vars: Vars, dir: string, posOfVar: (name: string) => SourcePos, report: (p: InputProblem) => void): Connection {
  const posFor = (names: readonly string[]): SourcePos => posOfVar(names.find((n) => vars[n] !== undefined) ?? '');
  const address = first(vars, CONNECTION_VARS.host);
  const port = first(vars, CONNECTION_VARS.port);
  const user = first(vars, CONNECTION_VARS.user);
  const keyFile = first(vars, CONNECTION_VARS.keyFile);
  const become = first(vars, CONNECTION_VARS.become);
  const knownHosts = first(vars, CONNECTION_VARS.knownHosts);
  const portNum = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (portNum !== undefined && (typeof portNum !== 'number' || !Number.isInteger(portNum) || portNum < 1 || portNum > 65535)) {
    report({ pos: posFor(CONNECTION_VARS.port), message: `port must be an integer 1-65535, got ${JSON.stringify(port)}` });
  }
  if (become !== undefined && typeof become !== 'boolean') {
    report({ pos: posFor(CONNECTION_VARS.become), message: `become must be true or false, got ${JSON.stringify(become)}`, hint: 'YAML 1.2: yes/no are strings; write true or false' });
  }
  const conn = vars.ansible_connection;
  if (conn !== undefined && !['ssh', 'smart', 'paramiko'].includes(String(conn))) {
    report({ pos: posOfVar('ansible_connection'), message: `ansible_connection=${String(conn)} is not supported; plumb connects over SSH` });
  }
  return {
    address: address === undefined ? name : String(address),
    port: typeof portNum === 'number' ? portNum : undefined,
    user: user === undefined ? undefined : String(user),
    keyFile: keyFile === undefined ? undefined : expandPath(String(keyFile), dir),
    become: become === true,
    knownHosts: knownHosts === undefined ? undefined : expandPath(String(knownHosts), dir),
  };
}

export function defaultUser(): string {
  try {
    return userInfo().username;
  } catch {
    return basename(process.env.HOME ?? 'root');
  }
}
