// ansible.cfg, read as Ansible reads it: found by ANSIBLE_CONFIG, ./ansible.cfg (not in a
// world-writable directory), ~/.ansible.cfg, then /etc/ansible/ansible.cfg; parsed as Python's
// configparser does with Ansible's settings (`;` inline comments, %-interpolation). Only the
// options plumb honours are turned into values; every other one is named once, never dropped
// silently. The values are defaults that commands.ts applies under the command line.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type InputProblem, InputError, type SourcePos } from '../errors.js';
import { ansibleBoolean } from '../inventory/load.js';
import { USER_NAME_PATTERN } from '../playbook/schema.js';
import { JumpSpecError, jumpFromSshArgs, parseProxyJump, shellWords } from '../ssh/jump.js';

export interface IniValue {
  value: string;
  pos: SourcePos;
}

/** Sections in file order; keys lower-cased (configparser's optionxform). */
export type Ini = Map<string, Map<string, IniValue>>;

const SECTION = /^\[(?<name>.+)\]/;

/**
 * configparser.ConfigParser(inline_comment_prefixes=(';',)).read(): `#` and `;` comment
 * lines, `;` after whitespace ends a value, `key = value` or `key: value` (the first of = or
 * :), indented lines continue the value, `%%` is a `%` and `%(name)s` another option of the
 * section (or [DEFAULT]). Duplicate sections or options are errors, as with strict=True.
 */
export function parseIni(file: string, text: string): Ini {
  const problems: InputProblem[] = [];
  const ini: Ini = new Map();
  let section: Map<string, IniValue> | undefined;
  let sectionName = '';
  let cur: { key: string; lines: string[]; indent: number } | undefined;
  const flush = () => {
    if (!cur || !section) return;
    while (cur.lines.length > 1 && cur.lines[cur.lines.length - 1] === '') cur.lines.pop();
    section.get(cur.key)!.value = cur.lines.join('\n');
    cur = undefined;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const at = (col: number): SourcePos => ({ file, line, col });
    const stripped = raw.trim();
    let end = raw.length;
    if (stripped.startsWith('#') || stripped.startsWith(';')) end = 0;
    else {
      for (let k = raw.indexOf(';'); k !== -1; k = raw.indexOf(';', k + 1))
        if (k === 0 || /\s/.test(raw[k - 1]!)) {
          end = k;
          break;
        }
    }
    const value = raw.slice(0, end).trim();
    const indent = raw.length - raw.trimStart().length;
    if (!value) {
      // A blank line may sit inside a multi-line value; a comment line never does.
      if (end === raw.length && cur) cur.lines.push('');
      return;
    }
    if (cur && indent > cur.indent) {
      cur.lines.push(value);
      return;
    }
    flush();
    const m = SECTION.exec(value);
    if (m) {
      sectionName = m.groups!.name!;
      if (ini.has(sectionName)) {
        problems.push({ pos: at(indent + 1), message: `section [${sectionName}] appears twice`, hint: 'merge the two sections into one' });
        section = new Map();
      } else {
        section = new Map();
        ini.set(sectionName, section);
      }
      return;
    }
    if (!section) {
      problems.push({ pos: at(indent + 1), message: 'option before any [section]', hint: 'start the file with a section header such as [defaults]' });
      return;
    }
    const d = value.search(/[=:]/);
    const key = d < 0 ? '' : value.slice(0, d).trim().toLowerCase();
    if (d < 0 || !key) {
      problems.push({
        pos: at(indent + 1),
        message: d < 0 ? `expected key = value, got ${JSON.stringify(value)}` : 'an option needs a name before = or :',
        hint: 'write `key = value` (or `key: value`); a continuation line must be indented more than its key; start a comment with # or ;',
      });
      return;
    }
    if (section.has(key)) {
      problems.push({
        pos: at(indent + 1),
        message: `[${sectionName}] ${key} is set twice (first at line ${section.get(key)!.pos.line})`,
        hint: 'remove one of them',
      });
      return;
    }
    const v = value.slice(d + 1).trim();
    section.set(key, { value: v, pos: at(indent + 1) });
    cur = { key, lines: [v], indent };
  });
  flush();
  // %-interpolation (BasicInterpolation), done for every value so a bad % is reported at once.
  const defaults = ini.get('DEFAULT');
  for (const [name, sec] of ini) {
    for (const [key, v] of sec) {
      const lookup = (k: string) => sec.get(k) ?? defaults?.get(k);
      let reported = false; // one problem per value
      const expand = (s: string, depth: number): string =>
        s.replace(/%(%|\(([^)]*)\)s|)/g, (all, what: string, ref: string | undefined) => {
          if (what === '%') return '%';
          const target = ref === undefined ? undefined : lookup(ref.toLowerCase());
          if (ref === undefined || !target || depth > 10) {
            if (reported) return all;
            reported = true;
            problems.push({
              pos: v.pos,
              message:
                ref === undefined
                  ? `[${name}] ${key}: a lone % (ansible.cfg values use Python's %-interpolation)`
                  : `[${name}] ${key}: %(${ref})s names ${depth > 10 ? 'a loop of options' : `no option of [${name}] or [DEFAULT]`}`,
              hint: 'write %% for a literal %',
            });
            return all;
          }
          return expand(target.value, depth + 1);
        });
      v.value = expand(v.value, 0);
    }
  }
  if (problems.length) throw new InputError(problems);
  return ini;
}

/** Which ansible.cfg Ansible would read, and why it skipped ./ansible.cfg if it did. */
export function findAnsibleCfg(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  home: string = homedir(),
): { file?: string; warning?: string } {
  const fromEnv = env.ANSIBLE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    let f = expandPath(fromEnv, cwd, env, home);
    if (existsSync(f) && statSync(f).isDirectory()) f = join(f, 'ansible.cfg');
    // Ansible falls through to the next place without a word; plumb says so: the operator meant this file.
    if (!existsSync(f))
      throw InputError.one(`ANSIBLE_CONFIG=${fromEnv}: no such file`, undefined, 'point ANSIBLE_CONFIG at an ansible.cfg, or unset it to use ./ansible.cfg');
    return { file: f };
  }
  let warning: string | undefined;
  const here = join(cwd, 'ansible.cfg');
  if (existsSync(here)) {
    if (statSync(cwd).mode & 0o002)
      warning = `${cwd} is world-writable: ignoring its ansible.cfg, as Ansible does (anyone could have written it); use ANSIBLE_CONFIG=${here} if you trust it`;
    else return { file: here };
  }
  for (const f of [join(home, '.ansible.cfg'), '/etc/ansible/ansible.cfg']) if (existsSync(f)) return { file: f, ...(warning ? { warning } : {}) };
  return warning ? { warning } : {};
}

/** Ansible's unfrackpath for a config value: ~ and $VARS expanded, relative to the cfg file's directory. */
function expandPath(p: string, base: string, env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  let s = p.replace(/\$(?:\{(\w+)\}|(\w+))/g, (all, a?: string, b?: string) => env[(a ?? b)!] ?? all);
  if (s === '~' || s.startsWith('~/')) s = join(home, s.slice(1));
  return isAbsolute(s) ? resolve(s) : resolve(base, s);
}

export interface AnsibleCfg {
  file: string;
  inventory?: string[];
  remoteUser?: string;
  privateKeyFile?: string;
  forks?: number;
  rolesPath?: string[];
  vaultPasswordFile?: string;
  /** false: host_key_checking = False (unknown keys recorded, as --accept-new-host-keys). */
  hostKeyChecking?: boolean;
  timeoutS?: number;
  proxyJump?: string;
  become?: boolean;
  becomeUser?: string;
  becomeAskPass?: boolean;
  /** Options that mean nothing for plumb's one connection per host, for the -v line. */
  noEffect: string[];
  /** "file:line: [section] option has no effect in plumb", once each. */
  warnings: string[];
}

/** Options with no effect because plumb keeps one connection per host and sends no module files. */
const NO_EFFECT: Record<string, string[]> = {
  ssh_connection: [
    'pipelining',
    'control_path',
    'control_path_dir',
    'control_persist',
    'controlpersist',
    'scp_if_ssh',
    'transfer_method',
    'sftp_batch_mode',
    'ssh_executable',
    'usetty',
  ],
  defaults: [],
  privilege_escalation: [],
};

/** ssh -o options in ssh_args that are about OpenSSH's connection sharing or compression. */
const SSH_NO_EFFECT = new Set(['controlmaster', 'controlpersist', 'controlpath']);

type Reader = (v: IniValue, section: string, key: string) => void;

/** The options plumb honours and ansible.cfg's meaning of each (ansible-config list). */
export function readAnsibleCfg(file: string, text: string, shownAs: string = file, env: NodeJS.ProcessEnv = process.env): AnsibleCfg {
  const ini = parseIni(shownAs, text);
  const dir = dirname(file);
  const out: AnsibleCfg = { file, noEffect: [], warnings: [] };
  const problems: InputProblem[] = [];
  const bad = (v: IniValue, section: string, key: string, what: string, hint?: string) =>
    problems.push({ pos: v.pos, message: `[${section}] ${key} must be ${what}, got ${JSON.stringify(v.value)}`, ...(hint ? { hint } : {}) });
  const bool: (set: (b: boolean) => void) => Reader = (set) => (v, s, k) => {
    const b = ansibleBoolean(v.value);
    if (b === undefined) bad(v, s, k, 'a boolean', 'write yes/no, true/false or 1/0');
    else set(b);
  };
  const user: (set: (u: string) => void) => Reader = (set) => (v, s, k) => {
    if (!new RegExp(USER_NAME_PATTERN).test(v.value)) bad(v, s, k, 'a login name', 'lower-case letters, digits, _ . - (as useradd accepts)');
    else set(v.value);
  };
  const path = (p: string) => expandPath(p, dir, env, env.HOME ?? homedir()); // ~ is $HOME, as Python's expanduser
  const jump: Reader = (v, s, k) => {
    try {
      const j = jumpFromSshArgs(v.value);
      if (j !== undefined) {
        parseProxyJump(j);
        out.proxyJump ??= j;
      }
    } catch (e) {
      if (!(e instanceof JumpSpecError)) throw e;
      problems.push({ pos: v.pos, message: `[${s}] ${k}: ${e.message}` });
    }
  };
  const readers: Record<string, Record<string, Reader>> = {
    defaults: {
      inventory: (v) => {
        out.inventory = v.value
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .map(path);
      },
      remote_user: user((u) => (out.remoteUser = u)),
      private_key_file: (v) => {
        out.privateKeyFile = path(v.value);
      },
      forks: (v, s, k) => {
        const n = Number(v.value);
        if (!/^\d+$/.test(v.value) || n < 1) bad(v, s, k, 'a positive integer');
        else out.forks = n;
      },
      roles_path: (v) => {
        out.rolesPath = v.value
          .split(':')
          .map((x) => x.trim())
          .filter(Boolean)
          .map(path);
      },
      vault_password_file: (v) => {
        out.vaultPasswordFile = path(v.value);
      },
      host_key_checking: (v, s, k) =>
        bool((b) => {
          out.hostKeyChecking = b;
          if (!b)
            warn(
              v,
              `[${s}] ${k} = False: host keys are not checked strictly: an unknown key is recorded without check (as --accept-new-host-keys); a changed key is still refused`,
            );
        })(v, s, k),
      timeout: (v, s, k) => {
        if (!/^\d+$/.test(v.value) || Number(v.value) < 1) bad(v, s, k, 'a whole number of seconds (at least 1)');
        else out.timeoutS = Number(v.value);
      },
    },
    ssh_connection: {
      ssh_args: (v, s, k) => {
        jump(v, s, k);
        // Whatever else ssh_args holds: connection sharing means nothing here; anything else is named.
        const w = shellWords(v.value);
        for (let i = 0; i < w.length; i++) {
          const a = w[i]!;
          if (a === '-J' || a.startsWith('-J')) {
            if (a === '-J') i++;
            continue;
          }
          if (a === '-C') {
            out.noEffect.push(`[${s}] ${k} -C`);
            continue;
          }
          const o = a === '-o' ? w[++i] : a.startsWith('-o') ? a.slice(2) : undefined;
          const name = o === undefined ? undefined : /^\s*([A-Za-z]+)/.exec(o)?.[1]?.toLowerCase();
          if (name === 'proxyjump' || name === 'proxycommand') continue;
          if (name && SSH_NO_EFFECT.has(name)) out.noEffect.push(`[${s}] ${k} -o ${o!.split(/[=\s]/)[0]}`);
          else warn(v, `[${s}] ${k} ${o === undefined ? a : `-o ${o}`} has no effect in plumb (only ProxyJump / -J is read from it)`);
        }
      },
      ssh_common_args: jump,
      ssh_extra_args: jump,
    },
    privilege_escalation: {
      become: bool((b) => (out.become = b)),
      become_user: user((u) => (out.becomeUser = u)),
      become_ask_pass: bool((b) => (out.becomeAskPass = b)),
      become_method: (v, s, k) => {
        if (v.value !== 'sudo') warn(v, `[${s}] ${k} = ${v.value} has no effect in plumb (become is always sudo)`);
      },
    },
  };
  const seen = new Set<string>();
  function warn(v: IniValue, text: string): void {
    const line = `${v.pos.file}:${v.pos.line}: ${text}`;
    if (seen.has(line)) return;
    seen.add(line);
    out.warnings.push(line);
  }
  for (const [section, options] of ini) {
    if (section === 'DEFAULT') continue; // configparser's defaults for every section: read through lookups below
    for (const [key, v] of options) {
      const read = readers[section]?.[key];
      if (read) read(v, section, key);
      else if (NO_EFFECT[section]?.includes(key)) out.noEffect.push(`[${section}] ${key}`);
      else warn(v, `[${section}] ${key} has no effect in plumb`);
    }
    // configparser: a [DEFAULT] option is also an option of every section that does not set it.
    for (const [key, v] of ini.get('DEFAULT') ?? []) {
      if (options.has(key)) continue;
      const read = readers[section]?.[key];
      if (read) read(v, section, key);
    }
  }
  for (const [key, v] of ini.get('DEFAULT') ?? []) {
    if (![...ini.keys()].some((s) => readers[s]?.[key])) warn(v, `[DEFAULT] ${key} has no effect in plumb`);
  }
  if (problems.length) throw new InputError(problems);
  return out;
}

/** Find and read the ansible.cfg of this run (undefined: none). Bad content is an InputError. */
export function loadAnsibleCfg(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  home: string = homedir(),
): { cfg?: AnsibleCfg; warning?: string } {
  const found = findAnsibleCfg(env, cwd, home);
  if (!found.file) return found.warning ? { warning: found.warning } : {};
  let text: string;
  try {
    text = readFileSync(found.file, 'utf8');
  } catch (e) {
    throw InputError.one(`cannot read ${found.file}: ${(e as Error).message}`);
  }
  const rel = relative(cwd, found.file);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : found.file;
  return { cfg: readAnsibleCfg(found.file, text, shown, env), ...(found.warning ? { warning: found.warning } : {}) };
}
