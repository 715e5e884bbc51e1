import { expect } from 'chai';
import { aptCacheFact, aptCandidateFact, pkgFact } from '../../../src/facts/pkg.js';
import { slots } from '../../../src/facts/batch.js';
import { gather, gatherAll } from './local.js';

describe('facts/pkg', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const cases: { name: string; params: string[]; stdout: string; code: number; expected: unknown }[] = [
    {
      name: 'installed, unknown, removed with config',
      params: ['nginx', 'nosuch', 'apache2'],
      stdout: 'nginx\tamd64\tii \t1.22.1-9\napache2\tamd64\trc \t2.4.57\n',
      code: 1,
      expected: {
        apache2: { status: 'rc', installed: false },
        nginx: { status: 'ii', installed: true, version: '1.22.1-9' },
        nosuch: { status: '', installed: false },
      },
    },
    {
      name: 'held package counts as installed',
      params: ['x'],
      stdout: 'x\tall\thi \t1\n',
      code: 0,
      expected: { x: { status: 'hi', installed: true, version: '1' } },
    },
    { name: 'half-configured is not installed', params: ['x'], stdout: 'x\tall\tiF \t1\n', code: 0, expected: { x: { status: 'iF', installed: false } } },
    {
      name: 'reinst-required error flag',
      params: ['x'],
      stdout: 'x\tall\tiiR\t1\n',
      code: 0,
      expected: { x: { status: 'ii', installed: true, version: '1' } },
    },
    {
      name: 'multi-arch: bare name and name:arch',
      params: ['libc6', 'libc6:i386'],
      stdout: 'libc6\ti386\tun \t\nlibc6\tamd64\tii \t2.36\n',
      code: 0,
      expected: { libc6: { status: 'ii', installed: true, version: '2.36' }, 'libc6:i386': { status: 'un', installed: false } },
    },
    { name: 'no output at all', params: ['a'], stdout: '', code: 1, expected: { a: { status: '', installed: false } } },
  ];
  for (const c of cases) it(`parse: ${c.name}`, () => expect(pkgFact(c.params).parse(c.stdout, c.code)).to.deep.equal(c.expected));

  it('one key and one dpkg-query for all names, sorted and deduplicated', () => {
    const f = pkgFact(['nginx', 'curl', 'nginx']);
    expect(f.key).to.equal('pkg:curl,nginx');
    expect(f.probe.text.match(/dpkg-query/g)).to.have.length(1);
  });

  it('parse candidates from apt-cache policy', () => {
    const out = 'nginx:\n  Installed: (none)\n  Candidate: 1.22.1-9\n  Version table:\n     1.22.1-9 500\nfoo:\n  Installed: (none)\n  Candidate: (none)\n';
    expect(aptCandidateFact(['nginx', 'foo', 'bar']).parse(out, 0)).to.deep.equal({ bar: null, foo: null, nginx: '1.22.1-9' });
  });
  it('parse the cache age', () => {
    expect(aptCacheFact().parse('never\n', 0)).to.equal(null);
    expect(aptCacheFact().parse('42\n', 0)).to.equal(42);
  });

  describe('probes run for real', () => {
    it('dpkg-query: an installed package and a missing one in one call', () => {
      const st = gather(pkgFact(['dpkg', 'plumb-no-such-package']));
      expect(st.dpkg).to.include({ installed: true, status: 'ii' });
      expect(st.dpkg?.version).to.match(/^\d/);
      expect(st['plumb-no-such-package']).to.deep.equal({ status: '', installed: false });
    });
    it("merged: several tasks' packages in one dpkg-query, each fact with only its own names", () => {
      const facts = [pkgFact(['dpkg', 'plumb-no-such-package']), pkgFact(['coreutils']), pkgFact(['dpkg'])];
      expect(slots(facts)).to.have.length(1);
      expect(gatherAll(facts)).to.deep.equal(facts.map((f) => gather(f)));
      expect(Object.keys(gatherAll(facts)[1] as object)).to.deep.equal(['coreutils']);
    });
    it('apt-cache policy: a candidate for dpkg, none for a missing package', () => {
      const c = gather(aptCandidateFact(['dpkg', 'plumb-no-such-package']));
      expect(c.dpkg).to.be.a('string');
      expect(c['plumb-no-such-package']).to.equal(null);
    });
    it('cache age: a number of seconds or null', () => {
      const age = gather(aptCacheFact());
      expect(age === null || (typeof age === 'number' && age >= 0)).to.equal(true);
    });
  });
});
