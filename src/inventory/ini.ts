// Ansible's INI inventory format, read as Ansible's plugins/inventory/ini.py reads it:
// `[group]` host lines (`host key=value ...`, split like a POSIX shell, values typed as
// Python literals), `[group:vars]` lines (`key = value`, the value typed as a Python
// literal), `[group:children]` lines, and `#` or `;` comments. A child named before its
// group is declared is resolved when the group appears; one never declared is an error.
import type { InputProblem, SourcePos } from '../errors.js';
import { readHostKey } from './hostrange.js';
import { iniValue } from './pyliteral.js';
import type { RawInventory } from './build.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

/** Read one INI inventory file into `inv`; problems are added to inv.problems. */
export function parseIni(inv: RawInventory, file: string, text: string): void {
  const problems: InputProblem[] = [];
  const at = (line: number): SourcePos => ({ file, line, col: 1 });
  const pending = new Map<string, { line: number; state: 'vars' | 'children'; parents: string[] }>();
  let group = 'ungrouped';
  let state = 'hosts';
  const lines = text.split(/\r?\n/);
  for (let n = 1; n <= lines.length; n++) {
    const line = lines[n - 1]!.trim();
    if (!line || line[0] === '#' || line[0] === ';') continue;
    const pos = at(n);
    const m = SECTION.exec(line);
    if (m) {
      group = m[1]!;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) {
        problems.push({
          pos,
          message: `section [${group}:${state}] has unknown type: ${state}`,
          hint: 'sections are [group], [group:vars] or [group:children]',
        });
        state = 'skip';
        continue;
      }
      if (!inv.groups.has(group)) {
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: n, state: 'vars', parents: [] });
        inv.group(group, pos);
      }
      const p = pending.get(group);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(inv, group, pending);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      problems.push({ pos, message: `invalid section entry: '${line}'`, hint: 'a section name has no spaces: [group], [group:vars] or [group:children]' });
      state = 'skip';
      continue;
    }
    if (state === 'skip') continue;
    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        problems.push({ pos, message: `cannot parse host line: ${(e as Error).message}` });
        continue;
      }
      if (!tokens.length) continue;
      const key = tokens[0]!;
      const read = readHostKey(key);
      if ('error' in read) {
        problems.push({ pos, message: read.error });
        continue;
      }
      const { names, port } = read;
      if (key.trim().endsWith(':') && port === undefined) {
        problems.push({ pos, message: `invalid host pattern '${key}': a trailing ':' is reserved for a port` });
        continue;
      }
      if (names.includes('---')) {
        problems.push({ pos, message: `invalid host '---': this looks like a YAML file`, hint: 'name YAML inventories .yml or .yaml' });
        continue;
      }
      const vars: Array<[string, unknown]> = [];
      let bad = false;
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0) {
          problems.push({ pos, message: `expected key=value host variable, got: ${t}` });
          bad = true;
          break;
        }
        vars.push([t.slice(0, eq), iniValue(t.slice(eq + 1))]);
      }
      if (bad) continue;
      for (const name of names) {
        const h = inv.host(name, pos, group, port);
        for (const [k, v] of vars) inv.setHostVar(h, k, v, () => pos);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) {
        problems.push({ pos, message: `expected key=value, got: ${line}`, hint: `[${group}:vars] lines are name=value` });
        continue;
      }
      inv.setGroupVar(inv.groups.get(group)!, line.slice(0, eq).trim(), iniValue(line.slice(eq + 1).trim()), () => pos);
    } else {
      const cm = GROUP_NAME.exec(line);
      if (!cm) {
        problems.push({ pos, message: `expected a group name, got: ${line}` });
        continue;
      }
      const child = cm[1]!;
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (p) p.parents.push(group);
        else pending.set(child, { line: n, state: 'children', parents: [group] });
      } else inv.addChild(group, child);
    }
  }
  for (const [name, p] of pending) {
    problems.push(
      p.state === 'vars'
        ? {
            pos: at(p.line),
            message: `section [${name}:vars] is for a group that is never defined: ${name}`,
            hint: `add a [${name}] or [${name}:children] section`,
          }
        : {
            pos: at(p.line),
            message: `section [${p.parents[p.parents.length - 1]}:children] names a group that is never defined: ${name}`,
            hint: `add a [${name}] section, even an empty one`,
          },
    );
  }
  inv.problems.push(...problems);
}

function addPendingChildren(inv: RawInventory, group: string, pending: Map<string, { state: string; parents: string[] }>): void {
  for (const parent of pending.get(group)?.parents ?? []) {
    inv.addChild(parent, group);
    if (pending.get(parent)?.state === 'children') addPendingChildren(inv, parent, pending);
  }
  pending.delete(group);
}

/** Python's shlex.split(line, comments=True): POSIX quoting, and `#` starts a comment even inside a word. */
export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let tok = '';
  let has = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (has) out.push(tok);
      tok = '';
      has = false;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('no closing quotation');
      tok += line.slice(i + 1, end);
      has = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('no closing quotation');
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          tok += line[i + 1];
          i += 2;
        } else {
          tok += d;
          i++;
        }
      }
      has = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('no escaped character');
      tok += line[i + 1];
      has = true;
      i += 2;
    } else {
      tok += c;
      has = true;
      i++;
    }
  }
  if (has) out.push(tok);
  return out;
}
