import { expect } from 'chai';
import packageFacts, { type PackageFactsArgs } from '../../../src/modules/package_facts.js';
import { packagesFact, type PackageFacts } from '../../../src/facts/sys.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const PKGS: PackageFacts = {
  curl: [{ name: 'curl', version: '7.88.1-10+deb12u8', arch: 'amd64', source: 'apt' }],
  libc6: [
    { name: 'libc6', version: '2.36-9+deb12u9', arch: 'amd64', source: 'apt' },
    { name: 'libc6', version: '2.36-9+deb12u9', arch: 'i386', source: 'apt' },
  ],
};

const cases: Case<PackageFactsArgs>[] = [
  {
    name: 'a read, never a change: ok, packages as ansible_facts.packages',
    args: {},
    facts: { 'pkg:#all': PKGS },
    expect: { status: 'ok', changes: 0, result: { ansible_facts: { packages: PKGS } } },
  },
  {
    name: 'manager apt: the same read',
    args: { manager: 'apt', strategy: 'first' },
    facts: { 'pkg:#all': PKGS },
    expect: { status: 'ok', result: { ansible_facts: { packages: PKGS } } },
  },
  {
    name: 'manager list with auto',
    args: { manager: ['auto'] },
    facts: { 'pkg:#all': {} },
    expect: { status: 'ok', result: { ansible_facts: { packages: {} } } },
  },
];

// `dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n'` on Debian 12.
const DPKG = [
  'ii \tcurl\t7.88.1-10+deb12u8\tamd64',
  'ii \tlibc6\t2.36-9+deb12u9\tamd64',
  'ii \tlibc6\t2.36-9+deb12u9\ti386',
  'hi \tnginx\t1.22.1-9\tamd64',
  'rc \tapache2\t2.4.62-1~deb12u1\tamd64',
  'iU \thalfway\t1.0\tall',
  'un \tnever\t\t',
  'ii \tpython3-six\t1.16.0-4\tall',
  '',
].join('\n');

describe('modules/package_facts', () => {
  runTable(packageFacts, cases);
  it('sets ansible_facts (the engine merges them into the host vars)', () => {
    expect(packageFacts.factNames).to.deep.equal(['ansible_facts']);
    expect(packageFacts.facts({}, {} as never).map((f) => f.key)).to.deep.equal(['pkg:#all']);
  });
  it('fact: installed (and held) packages only; multiarch is several entries under one name', () => {
    const r = packagesFact.parse(DPKG, 0);
    expect(Object.keys(r).sort()).to.deep.equal(['curl', 'libc6', 'nginx', 'python3-six']);
    expect(r['libc6']).to.deep.equal(PKGS.libc6);
    expect(r['nginx']).to.deep.equal([{ name: 'nginx', version: '1.22.1-9', arch: 'amd64', source: 'apt' }]);
    expect(r['python3-six']![0]).to.have.all.keys('name', 'version', 'arch', 'source');
  });
  it('fact: empty output is no packages', () => {
    expect(packagesFact.parse('', 0)).to.deep.equal({});
  });
  it('fact: the probe asks dpkg-query for status, name, version and arch, tab-separated, quoted', () => {
    expect(packagesFact.probe.text).to.equal("dpkg-query -W -f='${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\n'");
  });
  runSchemaTable(packageFacts, [
    // Ansible docs examples (ansible.builtin.package_facts)
    { name: 'docs: gather the package facts', args: { manager: 'auto' }, valid: true },
    { name: 'docs: no args', args: {}, valid: true },
    { name: 'strategy all', args: { manager: ['apt'], strategy: 'all' }, valid: true },
    { name: 'rpm refused: plumb reads Debian packages', args: { manager: 'rpm' }, valid: false, message: /manager is auto or apt/ },
    { name: 'rpm in a list refused', args: { manager: ['apt', 'rpm'] }, valid: false, message: /manager is auto or apt/ },
    { name: 'unknown strategy', args: { strategy: 'last' }, valid: false },
    { name: 'unknown key', args: { manager: 'apt', foo: 1 }, valid: false, message: /foo/ },
  ]);
});
