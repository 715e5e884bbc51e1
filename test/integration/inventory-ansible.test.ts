// Differential test: every inventory under test/fixtures/inventories/<name>/ is loaded by
// `plumb inventory --list` and by Ansible's own `ansible-inventory --list` (Debian's
// ansible-core, installed by scripts/test.sh and .ci/run; plumb never calls Ansible), and
// hosts, groups (direct hosts and children) and every variable of every host are compared.
// `--host` is compared for the first host of each case.
//
// The one deliberate difference allowed everywhere: plumb reads YAML as YAML 1.2, Ansible as
// YAML 1.1, so an unquoted `yes` is the string "yes" in plumb and true in Ansible (and 0644
// is 644, not 420). Such a value is accepted only when it is exactly that: the same scalar
// read by the two YAML versions. Each one is listed in the test's output.
// A case with "refused" in its case.json is one Ansible loads (with a warning) and plumb
// refuses: the test checks that Ansible loads it and that plumb's error matches.
// No lab is needed; this file is under test/integration because it needs ansible-core.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadInventory } from '../../src/inventory/load.js';
import { REDACTED } from '../../src/inventory/secrets.js';
import { ansibleEnv } from './ansible-core.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const CORPUS = join(ROOT, 'test/fixtures/inventories');

interface Case {
  /** -i arguments, relative to the case's folder (a comma list is passed as it is). */
  sources: string[];
  /** Where the inventory comes from: "repository path", or "plumb" for our own. */
  from: string;
  format: 'ini' | 'yaml' | 'mixed' | 'list';
  /** plumb refuses this inventory on purpose: a regex its error must match. */
  refused?: string;
  why?: string;
}

type Listing = Record<string, unknown> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };

function ansible(cwd: string, args: string[], home: string): { code: number; out: string; err: string } {
  const r = spawnSync('ansible-inventory', args, { cwd, env: ansibleEnv(home), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

function plumb(cwd: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ANSIBLE_VAULT_PASSWORD_FILE: '' }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** The same scalar text read by YAML 1.2 (plumb) and YAML 1.1 (Ansible)? */
function yamlVersionDifference(p: unknown, a: unknown): boolean {
  // The scalar as written is gone; try the texts it may have been (0644 reads as 644 in 1.2).
  for (const text of [p, a, typeof p === 'number' ? `0${p}` : undefined]) {
    if (typeof text !== 'string' && typeof text !== 'number') continue;
    try {
      const v12 = parse(String(text), { version: '1.2' }) as unknown;
      const v11 = parse(String(text), { version: '1.1' }) as unknown;
      if (JSON.stringify(v12) === JSON.stringify(p) && JSON.stringify(v11) === JSON.stringify(a) && JSON.stringify(p) !== JSON.stringify(a)) return true;
    } catch {
      // not a scalar either reads
    }
  }
  return false;
}

/** Differences between plumb's value and Ansible's, YAML-version ones collected apart. */
function diff(p: unknown, a: unknown, path: string, out: { real: string[]; yaml: string[] }): void {
  if (JSON.stringify(p) === JSON.stringify(a)) return;
  if (Array.isArray(p) && Array.isArray(a) && p.length === a.length) return p.forEach((x, i) => diff(x, a[i], `${path}[${i}]`, out));
  if (p && a && typeof p === 'object' && typeof a === 'object' && !Array.isArray(p) && !Array.isArray(a)) {
    const pk = Object.keys(p as object);
    const ak = Object.keys(a as object);
    for (const k of new Set([...pk, ...ak])) {
      const pv = (p as Record<string, unknown>)[k];
      const av = (a as Record<string, unknown>)[k];
      if (!(k in (p as object))) out.real.push(`${path}.${k}: missing in plumb (Ansible: ${JSON.stringify(av)})`);
      else if (!(k in (a as object))) out.real.push(`${path}.${k}: only in plumb (${JSON.stringify(pv)})`);
      else diff(pv, av, `${path}.${k}`, out);
    }
    return;
  }
  if (yamlVersionDifference(p, a)) out.yaml.push(`${path}: plumb ${JSON.stringify(p)} (YAML 1.2), Ansible ${JSON.stringify(a)} (YAML 1.1)`);
  else out.real.push(`${path}: plumb ${JSON.stringify(p)}, Ansible ${JSON.stringify(a)}`);
}

/** Groups as {hosts, children} with sorted lists, empty keys dropped (Ansible's shape). */
function groupsOf(l: Listing): Record<string, { hosts: string[]; children: string[] }> {
  const out: Record<string, { hosts: string[]; children: string[] }> = {};
  for (const [k, v] of Object.entries(l)) {
    if (k === '_meta') continue;
    const g = v as { hosts?: string[]; children?: string[] };
    out[k] = { hosts: [...(g.hosts ?? [])].sort(), children: [...(g.children ?? [])].sort() };
  }
  return out;
}

const cases = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((d) => existsSync(join(CORPUS, d, 'case.json')))
      .sort()
      .map((name) => ({ name, dir: join(CORPUS, name), c: JSON.parse(readFileSync(join(CORPUS, name, 'case.json'), 'utf8')) as Case }))
  : [];

describe('inventory: plumb loads what ansible-inventory loads (differential)', function () {
  this.timeout(300_000);
  let home: string;
  before(() => {
    const v = spawnSync('ansible-inventory', ['--version'], { encoding: 'utf8' });
    if (v.status !== 0) throw new Error("ansible-inventory not found: install Debian's ansible-core (scripts/test.sh does, as root)");
    if (!existsSync(CLI)) throw new Error(`${CLI} missing: npm run build first`);
    home = mkdtempSync(join(tmpdir(), 'plumb-ansible-home-'));
    writeFileSync(join(home, 'ansible.cfg'), '[defaults]\n');
  });
  after(() => home && rmSync(home, { recursive: true, force: true }));

  it('the corpus holds at least 25 inventories, 8 of them INI and 10 from public projects', () => {
    expect(cases.length).to.be.at.least(25);
    expect(cases.filter((x) => x.c.format === 'ini').length).to.be.at.least(8);
    expect(cases.filter((x) => x.c.from !== 'plumb').length).to.be.at.least(10);
  });

  for (const { name, dir, c } of cases) {
    const args = c.sources.flatMap((s) => ['-i', s]);
    it(`${name} (${c.format}, ${c.from})${c.refused ? ': plumb refuses it on purpose' : ''}`, () => {
      const a = ansible(dir, [...args, '--list'], home);
      expect(a.code, `ansible-inventory failed:\n${a.err}`).to.equal(0);
      const p = plumb(dir, ['inventory', ...args, '--list']);
      if (c.refused) {
        expect(p.code, `plumb loaded what it should refuse (${c.why}):\n${p.out}`).to.equal(1);
        expect(p.err).to.match(new RegExp(c.refused));
        return;
      }
      expect(p.code, `plumb inventory failed:\n${p.err}`).to.equal(0);
      const al = JSON.parse(a.out) as Listing;
      const pl = JSON.parse(p.out) as Listing;
      // ansible-inventory lists a host under _meta.hostvars only when it has variables.
      expect(groupsOf(pl), 'groups').to.deep.equal(groupsOf(al));
      expect(Object.keys(pl._meta.hostvars).sort(), 'hosts with variables').to.deep.equal(Object.keys(al._meta.hostvars).sort());
      // Every variable, unmasked, from the loader itself; the CLI's output is checked for its
      // shape and may differ only where it masks a secret.
      const inv = loadInventory(c.sources.map((s) => (s.includes(',') ? s : join(dir, s))));
      const vars = Object.fromEntries([...inv.hosts].filter(([, h]) => Object.keys(h.vars).length).map(([n, h]) => [n, h.vars]));
      const allHosts = new Set(Object.values(groupsOf(al)).flatMap((g) => g.hosts));
      expect([...inv.hosts.keys()].sort(), 'hosts').to.deep.equal([...allHosts].sort());
      const out = { real: [] as string[], yaml: [] as string[] };
      diff(vars, al._meta.hostvars, 'hostvars', out);
      expect(out.real, 'variables that differ').to.deep.equal([]);
      if (out.yaml.length) console.log(`      deliberate (YAML 1.2, not 1.1): ${out.yaml.length} value(s), e.g. ${out.yaml[0]}`);
      const cli = { real: [] as string[], yaml: [] as string[] };
      diff(pl._meta.hostvars, vars, 'plumb inventory --list', cli);
      expect(
        cli.real.filter((d) => !d.includes(REDACTED)),
        'plumb inventory --list shows what the loader loaded, secrets masked',
      ).to.deep.equal([]);
      const first = Object.keys(al._meta.hostvars)[0];
      if (first) {
        const ph = JSON.parse(plumb(dir, ['inventory', ...args, '--host', first]).out) as unknown;
        expect(ph, "--host H is that host's entry in --list").to.deep.equal(pl._meta.hostvars[first]);
        const ah = JSON.parse(ansible(dir, [...args, '--host', first], home).out) as unknown;
        const hout = { real: [] as string[], yaml: [] as string[] };
        diff(vars[first], ah, `--host ${first}`, hout);
        expect(hout.real, 'ansible-inventory --host against plumb').to.deep.equal([]);
      }
    });
  }
});
