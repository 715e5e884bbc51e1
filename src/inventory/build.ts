// The inventory as its sources declare it, before variables are layered: groups with their
// parents, children, direct hosts and inline vars, hosts with their inline vars. The YAML and
// INI readers both fill one of these, in the order Ansible's own parsers do, so a host or a
// variable declared twice ends up as Ansible would have it.
import type { InputProblem, SourcePos } from '../errors.js';
import type { Vars } from '../modules/types.js';

/** Variables from one place (a group's inline vars, one vars file), with where each was set. */
export interface VarSet {
  vars: Vars;
  where: Map<string, () => SourcePos>;
  /** Names whose whole value was vault-encrypted. */
  secretKeys: Set<string>;
  /** Decrypted values found anywhere in these vars. */
  secretValues: string[];
}

export function varSet(): VarSet {
  return { vars: {}, where: new Map(), secretKeys: new Set(), secretValues: [] };
}

export interface RawGroup {
  name: string;
  parents: Set<string>;
  children: Set<string>;
  hosts: Set<string>;
  vars: VarSet;
  /** ansible_group_priority: among groups of one depth, higher merges later (wins). */
  priority: number;
  pos: SourcePos;
}

export interface RawHost {
  name: string;
  vars: VarSet;
  pos: SourcePos;
}

export class RawInventory {
  readonly groups = new Map<string, RawGroup>();
  readonly hosts = new Map<string, RawHost>();
  readonly problems: InputProblem[] = [];

  constructor(pos: SourcePos) {
    this.group('all', pos);
    this.group('ungrouped', pos);
    this.addChild('all', 'ungrouped');
  }

  group(name: string, pos: SourcePos): RawGroup {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, parents: new Set(), children: new Set(), hosts: new Set(), vars: varSet(), priority: 1, pos };
      this.groups.set(name, g);
    }
    return g;
  }

  addChild(parent: string, child: string): void {
    if (parent === child) return;
    this.groups.get(parent)!.children.add(child);
    this.groups.get(child)!.parents.add(parent);
  }

  host(name: string, pos: SourcePos, group?: string, port?: number): RawHost {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: varSet(), pos };
      this.hosts.set(name, h);
      // As Ansible's add_host: a port is taken only where the host first appears.
      if (port !== undefined) this.setHostVar(h, 'ansible_port', port, () => pos);
    }
    if (group) this.groups.get(group)!.hosts.add(name);
    return h;
  }

  setGroupVar(g: RawGroup, key: string, value: unknown, pos: () => SourcePos, secret?: { whole: boolean; values: string[] }): void {
    if (key === 'ansible_group_priority') {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isInteger(n)) this.problems.push({ pos: pos(), message: `ansible_group_priority must be an integer, got ${JSON.stringify(value)}` });
      else g.priority = n;
      return;
    }
    setVar(g.vars, key, value, pos, secret);
  }

  setHostVar(h: RawHost, key: string, value: unknown, pos: () => SourcePos, secret?: { whole: boolean; values: string[] }): void {
    setVar(h.vars, key, value, pos, secret);
  }
}

export function setVar(set: VarSet, key: string, value: unknown, pos: () => SourcePos, secret?: { whole: boolean; values: string[] }): void {
  set.vars[key] = value;
  set.where.set(key, pos);
  if (secret?.whole) set.secretKeys.add(key);
  else set.secretKeys.delete(key);
  if (secret) set.secretValues.push(...secret.values);
}
