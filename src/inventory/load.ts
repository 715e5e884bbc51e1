// Inventory loading, as Ansible (2.14) loads it. Sources: YAML and INI files, a directory
// (every inventory file in it, sorted; hidden files, group_vars/, host_vars/ and Ansible's
// ignored extensions skipped), or a comma list (`h1,h2,`); any number of them. Beside each
// source (its folder, or the directory itself) group_vars/ and host_vars/ are read as
// Ansible's host_group_vars plugin reads them.
// Precedence, low -> high (Ansible's VARIABLE_PRECEDENCE default): inline vars of `all`,
// then every other group's inline vars, then group_vars/all, then group_vars/<group>, then
// the host's inline vars, then host_vars/<host>. Groups merge by depth, then
// ansible_group_priority, then name in code-point order. Role defaults, play vars and extra
// vars are layered on top by the engine (src/engine/run.ts hostVars()).
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { isPair, isScalar, type ScalarTag, visit } from 'yaml';
import { formatPos, InputError, type InputProblem, type SourcePos } from '../errors.js';
import type { Vars } from '../modules/types.js';
import { addSchema, validate } from '../schema/validate.js';
import { loadYaml, posOf, type YamlPath, type YamlSource } from '../schema/yaml.js';
import { JumpSpecError, jumpFromSshArgs, parseProxyJump } from '../ssh/jump.js';
import { type RawGroup, RawInventory, setVar, type VarSet, varSet } from './build.js';
import { readHostKey, splitHostPort } from './hostrange.js';
import { parseIni } from './ini.js';
import { CONNECTION_VARS, groupSchema, inventorySchema, varsFileSchema } from './schema.js';
import { expandPath, isSecretName, isSecretRef, nestedSecretLeaves, resolveSecret, secretLeaves } from './secrets.js';
import { isVaultText, Vault, VaultError, Vaulted } from './vault.js';

addSchema(groupSchema);

export interface Connection {
  address: string;
  port?: number;
  user?: string;
  keyFile?: string;
  become: boolean;
  knownHosts?: string;
  /** Bastions, as ProxyJump writes them (plumb_proxy_jump, or -J / -o ProxyJump= in ansible_ssh_common_args). */
  proxyJump?: string;
  /** The passphrase of an encrypted private key (a secret). */
  keyPassphrase?: string;
  /** Whom become makes the tasks run as, when no become_user keyword says (default root). */
  becomeUser?: string;
  /** sudo's password for become (a secret: sent on stdin, never on a command line). */
  becomePassword?: string;
  /** ansible_connection: local: tasks run on this machine, no SSH. */
  local?: boolean;
}

export interface Host {
  name: string;
  /** Groups the host belongs to, including `all`, in merge order (shallow to deep). */
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
  priority: number;
  children: string[];
  /** Hosts directly in this group or in any descendant. */
  hosts: string[];
  /** Hosts declared in this group itself. */
  direct: string[];
  pos: SourcePos;
}

export interface Inventory {
  /** The first source, resolved (where relative paths in variables are anchored). */
  file: string;
  dir: string;
  sources: string[];
  hosts: Map<string, Host>;
  groups: Map<string, Group>;
}

export interface LoadOptions {
  vault?: Vault;
}

type Layer = VarSet;

const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: (v) => v instanceof Vaulted,
  resolve: (s) => new Vaulted(s),
};

/** Ansible's IGNORED_ALWAYS and default INVENTORY_IGNORE_EXTS, for files in a directory source. */
const IGNORED_IN_DIR = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;
const YAML_EXTS = ['.yml', '.yaml', '.json'];

/** Code-point order, as Python sorts names (localeCompare would not). */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Replace every Vaulted leaf by its plaintext; collect the plaintexts. */
function unvault(v: unknown, vault: Vault, what: string, out: string[]): unknown {
  if (v instanceof Vaulted) {
    const plain = vault.decrypt(v.text, what);
    out.push(...secretLeaves(plain));
    return plain;
  }
  if (Array.isArray(v)) return v.map((x) => unvault(x, vault, what, out));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unvault(x, vault, what, out)]));
  return v;
}

function vaultProblem(e: unknown, pos: SourcePos | undefined): InputProblem {
  if (e instanceof VaultError) return { pos, message: e.message, hint: e.hint };
  throw e;
}

class Loader {
  readonly raw: RawInventory;
  readonly varDirs: string[] = [];
  private readonly fileCache = new Map<string, Layer[]>();
  /** Without passwords, a vaulted value is an error saying how to give one. */
  private readonly vault: Vault;
  constructor(opts: LoadOptions, first: SourcePos) {
    this.raw = new RawInventory(first);
    this.vault = opts.vault ?? new Vault([]);
  }

  get problems(): InputProblem[] {
    return this.raw.problems;
  }

  /** Read a file, decrypting a whole-file vault. `secret` tells whether it was encrypted. */
  private read(file: string): { text: string; secret: boolean } | null {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      this.problems.push({ message: `cannot read ${file}: ${(e as Error).message}`, hint: 'check the path' });
      return null;
    }
    if (!isVaultText(text)) return { text, secret: false };
    try {
      return { text: this.vault.decrypt(text, file), secret: true };
    } catch (e) {
      this.problems.push(vaultProblem(e, { file, line: 1, col: 1 }));
      return null;
    }
  }

  private yaml(file: string, text: string): YamlSource | null {
    try {
      return loadYaml(file, text, [vaultTag]);
    } catch (e) {
      if (e instanceof InputError) this.problems.push(...e.problems);
      else throw e;
      return null;
    }
  }

  source(source: string, top: boolean): void {
    if (source.includes(',') && !existsSync(source)) return this.hostList(source);
    const path = resolve(source);
    if (!existsSync(path)) {
      this.problems.push({ message: `inventory source ${source} does not exist`, hint: 'give a file, a directory or a comma list (host1,host2,)' });
      return;
    }
    if (statSync(path).isDirectory()) {
      if (top) this.addVarDir(path);
      const before = this.raw.hosts.size;
      const skippedIni: string[] = [];
      for (const f of readdirSync(path).sort(byCodePoint)) {
        if (IGNORED_IN_DIR.test(f)) {
          if (f.endsWith('.ini') && !f.startsWith('.')) skippedIni.push(f);
          continue;
        }
        this.source(join(path, f), false);
      }
      // Ansible skips *.ini inside a directory too, silently; say so when that left nothing.
      if (top && this.raw.hosts.size === before && skippedIni.length) {
        this.problems.push({
          message: `-i ${source}: no hosts in this directory (${skippedIni.join(', ')} skipped: *.ini files inside a directory source are not read, as in Ansible)`,
          hint: `pass the file itself: -i ${join(source, skippedIni[0]!)}`,
        });
      }
      return;
    }
    if (top) this.addVarDir(dirname(path));
    this.file(path, top);
  }

  private addVarDir(dir: string): void {
    if (!this.varDirs.includes(dir)) this.varDirs.push(dir);
  }

  private hostList(source: string): void {
    const pos = { file: '-i', line: 1, col: 1 };
    for (const h of source
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const { pattern, port } = splitHostPort(h);
      this.raw.host(pattern, pos, 'ungrouped', port);
    }
  }

  private file(path: string, top: boolean): void {
    const ext = extname(path).toLowerCase();
    const r = this.read(path);
    if (!r) return;
    if (r.text.startsWith('#!')) {
      this.problems.push({
        pos: { file: path, line: 1, col: 1 },
        message: 'this looks like an inventory script; plumb does not run inventory scripts',
        hint: 'write its output to a YAML or INI file and pass that',
      });
      return;
    }
    if (YAML_EXTS.includes(ext)) return this.yamlInventory(path, r.text, r.secret, top);
    if (ext === '') {
      // Ansible tries YAML first for a file without an extension, then INI.
      let yamlProblems: InputProblem[] = [];
      try {
        const v = loadYaml(path, r.text, [vaultTag]).value;
        if (v && typeof v === 'object' && !Array.isArray(v)) return this.yamlInventory(path, r.text, r.secret, top);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        yamlProblems = e.problems;
      }
      // A YAML inventory with a mistake in it would only confuse as INI: report the YAML error.
      const firstLine = r.text.split(/\r?\n/).find((l) => l.trim() && !/^\s*[#;]/.test(l)) ?? '';
      if (yamlProblems.length && /^(---|[\w.-]+:\s*(#.*)?$)/.test(firstLine.trim())) {
        this.problems.push(...yamlProblems);
        return;
      }
    }
    parseIni(this.raw, path, r.text);
    if (r.secret) this.markAllSecret();
  }

  private markAllSecret(): void {
    // An encrypted INI inventory: every value in it is secret.
    for (const h of this.raw.hosts.values()) for (const k of Object.keys(h.vars.vars)) h.vars.secretKeys.add(k);
    for (const g of this.raw.groups.values()) for (const k of Object.keys(g.vars.vars)) g.vars.secretKeys.add(k);
  }

  private yamlInventory(path: string, text: string, secret: boolean, top: boolean): void {
    const src = this.yaml(path, text);
    if (!src) return;
    if (src.value === null || src.value === undefined) {
      if (top)
        this.problems.push({
          pos: posOf(src, []),
          message: 'the inventory is empty',
          hint: 'start it with `all:` and put hosts under `all.hosts` or `all.children.<group>.hosts`',
        });
      return;
    }
    if (typeof src.value !== 'object' || Array.isArray(src.value)) {
      this.problems.push({
        pos: posOf(src, []),
        message: 'the inventory is not a mapping',
        hint: 'start it with `all:` and put hosts under `all.hosts` or `all.children.<group>.hosts`',
      });
      return;
    }
    if ('plugin' in src.value) {
      this.problems.push({
        pos: posOf(src, ['plugin'], true),
        message: 'this is an inventory plugin configuration; plumb reads only static YAML and INI inventories',
        hint: 'run `ansible-inventory -i FILE --list -y` once and keep its output as a static inventory',
      });
      return;
    }
    sectionStrings(src.value as Record<string, unknown>);
    const ps = validate(inventorySchema, src.value, src);
    ps.push(...numericNames(src));
    if (ps.length) {
      this.problems.push(...ps);
      return;
    }
    const raw = this.raw;
    const setVars = (vars: Vars, p: YamlPath, set: (k: string, v: unknown, pos: () => SourcePos, s: { whole: boolean; values: string[] }) => void): void => {
      for (const [k, v] of Object.entries(vars)) {
        const pos = () => posOf(src, [...p, k], true);
        const values: string[] = [];
        let value = v;
        try {
          value = unvault(v, this.vault, `variable '${k}'`, values);
        } catch (e) {
          this.problems.push(vaultProblem(e, pos()));
          continue;
        }
        if (secret) values.push(...secretLeaves(value));
        set(k, value, pos, { whole: secret || v instanceof Vaulted, values });
      }
    };
    const walk = (name: string, node: unknown, p: YamlPath): string => {
      const g = raw.group(name, posOf(src, p, true));
      if (!node || typeof node !== 'object') return name;
      const n = node as { hosts?: Record<string, Vars | null> | null; vars?: Vars | null; children?: Record<string, unknown> | null };
      // Ansible reads a group's keys in the order written.
      for (const key of Object.keys(n)) {
        if (key === 'vars' && n.vars) setVars(n.vars, [...p, 'vars'], (k, v, pos, s) => raw.setGroupVar(g, k, v, pos, s));
        else if (key === 'children' && n.children) {
          for (const [c, cn] of Object.entries(n.children)) raw.addChild(name, walk(c, cn, [...p, 'children', c]));
        } else if (key === 'hosts' && n.hosts) {
          for (const [hk, hv] of Object.entries(n.hosts)) {
            const hp = [...p, 'hosts', hk];
            const read = readHostKey(hk);
            if ('error' in read) {
              this.problems.push({ pos: posOf(src, hp, true), message: read.error });
              continue;
            }
            for (const h of read.names) {
              const host = raw.host(h, posOf(src, hp, true), name, read.port);
              if (hv) setVars(hv, hp, (k, v, pos, s) => raw.setHostVar(host, k, v, pos, s));
            }
          }
        }
      }
      return name;
    };
    for (const [name, node] of Object.entries(src.value as Record<string, unknown>)) walk(name, node, [name]);
  }

  /** group_vars/<name> or host_vars/<name> in one folder, as Ansible finds them (read once). */
  varFilesIn(dir: string, name: string): Layer[] {
    const key = `${dir}\0${name}`;
    const cached = this.fileCache.get(key);
    if (cached) return cached;
    const layers: Layer[] = [];
    for (const f of findVarsFiles(dir, name)) {
      const r = this.read(f);
      if (!r) continue;
      const src = this.yaml(f, r.text);
      if (!src || src.value === null || src.value === undefined) continue;
      const ps = validate(varsFileSchema, src.value, src);
      if (Array.isArray(src.value)) ps.push({ pos: posOf(src, []), message: 'a vars file must be a mapping of name: value' });
      if (ps.length) {
        this.problems.push(...ps);
        continue;
      }
      const set = varSet();
      for (const [k, v] of Object.entries(src.value as Vars)) {
        const pos = () => posOf(src, [k], true);
        const values: string[] = [];
        try {
          const value = unvault(v, this.vault, `variable '${k}'`, values);
          if (r.secret) values.push(...secretLeaves(value));
          setVar(set, k, value, pos, { whole: r.secret || v instanceof Vaulted, values });
        } catch (e) {
          this.problems.push(vaultProblem(e, pos()));
        }
      }
      layers.push(set);
    }
    this.fileCache.set(key, layers);
    return layers;
  }
}

/** As Ansible's YAML plugin: `hosts: web1` (or `children: web`) is `{web1: null}`. */
function sectionStrings(groups: Record<string, unknown>): void {
  for (const g of Object.values(groups)) {
    if (!g || typeof g !== 'object' || Array.isArray(g)) continue;
    const n = g as Record<string, unknown>;
    for (const k of ['hosts', 'children', 'vars']) if (typeof n[k] === 'string') n[k] = { [n[k] as string]: null };
    if (n.children && typeof n.children === 'object' && !Array.isArray(n.children)) sectionStrings(n.children as Record<string, unknown>);
  }
}

/**
 * Ansible's DataLoader.find_vars_files: `<name>` (a file, or a folder read recursively) is
 * looked for first, then `<name>.yml`, `.yaml`, `.json`; the first that exists is the only one
 * read. In a folder: sorted, hidden files and `~` backups skipped, subfolders without an
 * extension descended, files with no extension or a YAML/JSON one read.
 */
export function findVarsFiles(dir: string, name: string): string[] {
  if (name.startsWith('/')) return [];
  for (const ext of ['', ...YAML_EXTS]) {
    const p = join(dir, name + ext);
    if (!existsSync(p)) continue;
    return statSync(p).isDirectory() ? dirVarsFiles(p) : [p];
  }
  return [];
}

function dirVarsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort(byCodePoint)) {
    if (f.startsWith('.') || f.endsWith('~')) continue;
    const p = join(dir, f);
    const ext = extname(f);
    const st = statSync(p);
    if (st.isDirectory() && !ext) out.push(...dirVarsFiles(p));
    else if (st.isFile() && (!ext || YAML_EXTS.includes(ext))) out.push(p);
  }
  return out;
}

/**
 * Host and group names YAML reads as numbers (`010:`, `1.10:`). Ansible refuses them ("must
 * be a string"); plumb does too, rather than renaming the host to 10 or 1.1.
 */
function numericNames(src: YamlSource): InputProblem[] {
  const out: InputProblem[] = [];
  visit(src.doc, {
    Pair(_k, pair, path) {
      if (!isScalar(pair.key) || typeof pair.key.value === 'string') return;
      // The keys above this pair: [group, (children, group)*, hosts|children] names a host or group.
      const keys = path.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
      const last = keys[keys.length - 1];
      const structural =
        keys.length === 0 || (keys.length % 2 === 0 && keys.every((k, i) => i % 2 === 0 || k === 'children' || (i === keys.length - 1 && k === 'hosts')));
      if (!structural) return;
      const [from, to] = pair.key.range ?? [0, 0];
      const p = src.lines.linePos(from);
      const text = src.text?.slice(from, to) ?? String(pair.key.value);
      out.push({
        pos: { file: src.file, line: p.line, col: p.col },
        message: `${last === 'hosts' ? 'host' : 'group'} name ${text} is read as a number, not a name`,
        hint: `quote it: "${text}":`,
      });
    },
  });
  return out;
}

function first(vars: Vars, names: readonly string[]): unknown {
  for (const n of names) if (vars[n] !== undefined && vars[n] !== null) return vars[n];
  return undefined;
}

/** Load one or more inventory sources into one inventory, as `ansible-inventory -i A -i B` does. */
export function loadInventory(sources: string | readonly string[], opts: LoadOptions = {}): Inventory {
  const list = typeof sources === 'string' ? [sources] : [...sources];
  if (!list.length) throw InputError.one('no inventory given', undefined, 'pass -i FILE, -i DIR or -i host1,host2,');
  const firstPath = list[0]!.includes(',') && !existsSync(list[0]!) ? resolve('.') : resolve(list[0]!);
  const L = new Loader(opts, { file: firstPath, line: 1, col: 1 });
  for (const s of list) L.source(s, true);
  const problems = L.problems;
  if (problems.length) throw new InputError(problems);
  const raw = L.raw;

  // Ansible's reconcile_inventory: a group with no parent is a child of all; a host in no
  // group but all is in ungrouped, and a host in another group is not.
  for (const g of raw.groups.values()) if (g.name !== 'all' && g.parents.size === 0) raw.addChild('all', g.name);
  const ungrouped = raw.groups.get('ungrouped')!;
  const inSomeGroup = new Set<string>();
  for (const g of raw.groups.values()) if (g.name !== 'all' && g.name !== 'ungrouped') g.hosts.forEach((h) => inSomeGroup.add(h));
  for (const h of raw.hosts.keys()) {
    if (inSomeGroup.has(h)) ungrouped.hosts.delete(h);
    else ungrouped.hosts.add(h);
  }
  raw.groups.get('all')!.hosts.clear();

  // Depth: longest path from `all`; a cycle is an input error.
  const depth = new Map<string, number>();
  const depthOf = (g: RawGroup, seen: string[]): number => {
    if (seen.includes(g.name)) {
      problems.push({ pos: g.pos, message: `group cycle: ${[...seen, g.name].join(' -> ')}`, hint: 'a group cannot be its own ancestor' });
      return 0;
    }
    const known = depth.get(g.name);
    if (known !== undefined) return known;
    let d = 0;
    for (const p of g.parents) {
      const pg = raw.groups.get(p);
      if (pg) d = Math.max(d, depthOf(pg, [...seen, g.name]) + 1);
    }
    depth.set(g.name, d);
    return d;
  };
  for (const g of raw.groups.values()) depthOf(g, []);
  if (problems.length) throw new InputError(problems);

  const members = new Map<string, Set<string>>();
  const membersOf = (g: RawGroup): Set<string> => {
    let m = members.get(g.name);
    if (m) return m;
    m = new Set(g.hosts);
    members.set(g.name, m);
    for (const c of g.children) for (const h of membersOf(raw.groups.get(c)!)) m.add(h);
    return m;
  };
  for (const g of raw.groups.values()) membersOf(g);
  members.set('all', new Set(raw.hosts.keys()));

  const ordered = [...raw.groups.values()].sort((a, b) => depth.get(a.name)! - depth.get(b.name)! || a.priority - b.priority || byCodePoint(a.name, b.name));
  const dir = L.varDirs[0] ?? dirname(firstPath);

  // A problem in a group's var shows up once, naming the hosts it affects, not once per host.
  const perHost = new Map<string, { problem: InputProblem; hosts: string[]; named: boolean }>();
  const hostProblem = (host: string, problem: InputProblem, named: boolean): void => {
    const key = `${formatPos(problem.pos)}\n${problem.message}`;
    const seen = perHost.get(key);
    if (seen) seen.hosts.push(host);
    else perHost.set(key, { problem, hosts: [host], named });
  };
  const allGroup = raw.groups.get('all')!;
  const hosts = new Map<string, Host>();
  for (const [name, rh] of raw.hosts) {
    const hostGroups = ordered.filter((g) => members.get(g.name)!.has(name));
    const others = hostGroups.filter((g) => g.name !== 'all');
    const layers: Layer[] = [
      allGroup.vars,
      ...others.map((g) => g.vars),
      ...L.varDirs.flatMap((d) => L.varFilesIn(join(d, 'group_vars'), 'all')),
      ...L.varDirs.flatMap((d) => others.flatMap((g) => L.varFilesIn(join(d, 'group_vars'), g.name))),
      rh.vars,
      ...L.varDirs.flatMap((d) => L.varFilesIn(join(d, 'host_vars'), name)),
    ];
    const vars: Vars = {};
    // Where each variable was last set; its line is looked up only for a problem to report.
    const where = new Map<string, Layer>();
    const secretNames = new Set<string>();
    const secretValues: string[] = [];
    for (const l of layers) {
      for (const [k, v] of Object.entries(l.vars)) {
        vars[k] = v;
        where.set(k, l);
      }
      secretValues.push(...l.secretValues);
    }
    for (const [k, l] of where) if (l.secretKeys.has(k)) secretNames.add(k);
    const posOfVar = (k: string): SourcePos => where.get(k)?.where.get(k)?.() ?? rh.pos;
    const explicit = new Set<string>(Array.isArray(vars.plumb_secret_vars) ? (vars.plumb_secret_vars as unknown[]).map(String) : []);
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
    hosts.set(name, { name, groups: hostGroups.map((g) => g.name), vars, secretNames, secretValues, conn, pos: rh.pos });
  }
  for (const { problem, hosts: hs, named } of perHost.values()) {
    const who = hs.length > 5 ? `${hs.slice(0, 5).join(', ')} and ${hs.length - 5} more` : hs.join(', ');
    problems.push(named ? { ...problem, message: `${who}: ${problem.message}` } : problem);
  }
  if (problems.length) throw new InputError(problems);

  const order = [...raw.hosts.keys()];
  const out = new Map<string, Group>();
  for (const g of ordered) {
    const m = members.get(g.name)!;
    out.set(g.name, {
      name: g.name,
      depth: depth.get(g.name)!,
      priority: g.priority,
      children: [...g.children],
      hosts: order.filter((h) => m.has(h)),
      direct: [...g.hosts],
      pos: g.pos,
    });
  }
  const file = list[0]!.includes(',') && !existsSync(list[0]!) ? firstPath : realpathOr(firstPath);
  return { file, dir, sources: list, hosts, groups: out };
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Ansible's boolean(): the spellings it accepts for a boolean setting. */
export function ansibleBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['y', 'yes', 'on', '1', 'true', 't'].includes(s)) return true;
  if (['n', 'no', 'off', '0', 'false', 'f'].includes(s)) return false;
  return undefined;
}

function connectionOf(name: string, vars: Vars, dir: string, posOfVar: (name: string) => SourcePos, report: (p: InputProblem) => void): Connection {
  const posFor = (names: readonly string[]): SourcePos => posOfVar(names.find((n) => vars[n] !== undefined) ?? '');
  const address = first(vars, CONNECTION_VARS.host);
  const port = first(vars, CONNECTION_VARS.port);
  const user = first(vars, CONNECTION_VARS.user);
  const keyFile = first(vars, CONNECTION_VARS.keyFile);
  const becomeRaw = first(vars, CONNECTION_VARS.become);
  const knownHosts = first(vars, CONNECTION_VARS.knownHosts);
  const proxyJump = proxyJumpOf(vars, posOfVar, report);
  const becomePassword = first(vars, CONNECTION_VARS.becomePassword);
  const becomeUser = first(vars, CONNECTION_VARS.becomeUser);
  const keyPassphrase = first(vars, CONNECTION_VARS.keyPassphrase);
  const portNum = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (portNum !== undefined && (typeof portNum !== 'number' || !Number.isInteger(portNum) || portNum < 1 || portNum > 65535)) {
    report({ pos: posFor(CONNECTION_VARS.port), message: `port must be an integer 1-65535, got ${JSON.stringify(port)}` });
  }
  const become = becomeRaw === undefined ? false : ansibleBoolean(becomeRaw);
  if (become === undefined) {
    report({
      pos: posFor(CONNECTION_VARS.become),
      message: `become must be a boolean, got ${JSON.stringify(becomeRaw)}`,
      hint: "write true or false (Ansible's yes/no/on/off are accepted here too)",
    });
  }
  const conn = vars.ansible_connection;
  if (conn !== undefined && !['ssh', 'smart', 'paramiko', 'local'].includes(String(conn))) {
    report({
      pos: posOfVar('ansible_connection'),
      message: `ansible_connection=${String(conn)} is not supported; plumb connects over SSH, or runs on this machine with ansible_connection=local`,
    });
  }
  return {
    address: address === undefined ? name : String(address),
    port: typeof portNum === 'number' ? portNum : undefined,
    // A local connection runs as the user running plumb, as Ansible's does (ansible_user is ignored).
    user: user === undefined || conn === 'local' ? undefined : String(user),
    keyFile: keyFile === undefined ? undefined : expandPath(String(keyFile), dir),
    become: become === true,
    knownHosts: knownHosts === undefined ? undefined : expandPath(String(knownHosts), dir),
    ...(proxyJump !== undefined ? { proxyJump } : {}),
    ...(keyPassphrase !== undefined && keyPassphrase !== null ? { keyPassphrase: String(keyPassphrase) } : {}),
    ...(becomePassword !== undefined && becomePassword !== null ? { becomePassword: String(becomePassword) } : {}),
    ...(becomeUser !== undefined && becomeUser !== null ? { becomeUser: String(becomeUser) } : {}),
    ...(conn === 'local' ? { local: true } : {}),
  };
}

/** The host's bastions: plumb_proxy_jump wins over a jump in the ssh arguments; each is checked here, at load. */
function proxyJumpOf(vars: Vars, posOfVar: (name: string) => SourcePos, report: (p: InputProblem) => void): string | undefined {
  const [own] = CONNECTION_VARS.proxyJump;
  try {
    if (vars[own] !== undefined && vars[own] !== null) {
      const v = String(vars[own]);
      parseProxyJump(v);
      return v;
    }
    for (const name of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
      if (typeof vars[name] !== 'string') continue;
      const j = jumpFromSshArgs(vars[name] as string);
      if (j !== undefined) {
        parseProxyJump(j);
        return j;
      }
    }
  } catch (e) {
    if (!(e instanceof JumpSpecError)) throw e;
    const name = vars[own] !== undefined ? own : vars.ansible_ssh_common_args !== undefined ? 'ansible_ssh_common_args' : 'ansible_ssh_extra_args';
    report({ pos: posOfVar(name), message: `${name}: ${e.message}` });
  }
  return undefined;
}

export function defaultUser(): string {
  try {
    return userInfo().username;
  } catch {
    return basename(process.env.HOME ?? 'root');
  }
}
