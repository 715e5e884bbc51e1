import { expect } from 'chai';
import { buildBatch, groupSlots, GROUPS, parseFrames } from '../../../src/facts/batch.js';
import type { Fact } from '../../../src/facts/types.js';
import { invalidates } from '../../../src/facts/types.js';
import { raw, sh } from '../../../src/sh.js';
import { runBatchLocally } from './local.js';

const probe = (key: string, text: string): Fact<string> => ({ key, probe: raw(text), parse: (out) => out });

describe('facts/batch', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  it('round-trips several probes through one local /bin/sh: empty output, no trailing newline, exit codes, stderr and stdin', () => {
    const facts = [
      probe('a', 'printf "one\\ntwo\\n"'),
      probe('b', 'true'),
      probe('c', 'printf "no newline"'),
      probe('d', 'echo out; echo err >&2; exit 3'),
      probe('e', 'cat; echo "stdin was empty"'),
      probe('f', 'printf "\\n\\n"'),
      probe('g', sh`printf '%s' ${"it's @@plumb:fake:0:end:0 quoted"}`.text),
      probe('h', 'exit 1'),
    ];
    const got = runBatchLocally(facts);
    expect(got).to.deep.equal([
      { out: 'one\ntwo\n', code: 0 },
      { out: '', code: 0 },
      { out: 'no newline', code: 0 },
      { out: 'out\n', code: 3 },
      { out: 'stdin was empty\n', code: 0 },
      { out: '\n\n', code: 0 },
      { out: "it's @@plumb:fake:0:end:0 quoted", code: 0 },
      { out: '', code: 1 },
    ]);
  });

  it('a probe that exits or fails does not stop the ones after it', () => {
    const got = runBatchLocally([probe('x', 'exit 5'), probe('y', 'echo after')]);
    expect(got).to.deep.equal([
      { out: '', code: 5 },
      { out: 'after\n', code: 0 },
    ]);
  });

  const cases: { name: string; stdout: string; count: number; expected: { out: string; code: number }[] | RegExp }[] = [
    {
      name: 'two probes',
      stdout: '@@plumb:n:0:begin\nA\n\n@@plumb:n:0:end:0\n@@plumb:n:1:begin\n\n@@plumb:n:1:end:2\n',
      count: 2,
      expected: [
        { out: 'A\n', code: 0 },
        { out: '', code: 2 },
      ],
    },
    { name: 'last line without newline', stdout: '@@plumb:n:0:begin\nx\n@@plumb:n:0:end:0', count: 1, expected: [{ out: 'x', code: 0 }] },
    { name: 'truncated output', stdout: '@@plumb:n:0:begin\nx', count: 1, expected: /missing probe 0/ },
    { name: 'fewer probes than asked', stdout: '@@plumb:n:0:begin\nx\n@@plumb:n:0:end:0\n', count: 2, expected: /missing probe 1 of 2/ },
  ];
  for (const c of cases) {
    it(`parseBatch: ${c.name}`, () => {
      if (c.expected instanceof RegExp) expect(() => parseFrames(c.stdout, c.count, 'n')).to.throw(c.expected);
      else expect(parseFrames(c.stdout, c.count, 'n')).to.deep.equal(c.expected);
    });
  }

  it('probes run in concurrent groups: three that each sleep 0.4 s take well under 1.2 s together', () => {
    expect(GROUPS).to.be.at.least(3);
    const t0 = Date.now();
    // svc and mysql probes wait on daemons: each gets a group of its own
    const got = runBatchLocally([probe('svc:a', 'sleep 0.4; echo a'), probe('mysql:b', 'sleep 0.4; echo b'), probe('c', 'sleep 0.4; echo c')]);
    expect(got.map((g) => g.out)).to.deep.equal(['a\n', 'b\n', 'c\n']);
    expect(Date.now() - t0).to.be.below(1100);
  });

  it('a group that writes more than a pipe holds (256 KiB, NUL bytes included) neither blocks nor mixes with the others', () => {
    const big = "head -c 262144 /dev/zero | tr '\\0' x; printf 'end\\0tail'";
    const facts = [probe('big', big), probe('x', 'echo x'), probe('y', 'printf "y"; exit 4'), probe('z', 'echo z')];
    const got = runBatchLocally(facts);
    expect(got[0]!.out).to.have.length(262144 + 8);
    expect(got[0]!.out.endsWith('end\0tail')).to.equal(true);
    expect(got.slice(1)).to.deep.equal([
      { out: 'x\n', code: 0 },
      { out: 'y', code: 4 },
      { out: 'z\n', code: 0 },
    ]);
  });

  it('groupSlots: heaviest first, each to the lightest group, members in index order', () => {
    // 3s to two groups, the 2 to the third, then the 1s each to the lightest so far
    expect(groupSlots([1, 3, 1, 3, 2, 1], 3)).to.deep.equal([
      [1, 2],
      [3, 5],
      [0, 4],
    ]);
    expect(groupSlots([1], 3)).to.deep.equal([[0]]);
    expect(groupSlots([], 3)).to.deep.equal([]);
  });

  it('parseFrames: frames out of index order (concurrent groups)', () => {
    const out = '@@plumb:n:1:begin\nB\n@@plumb:n:1:end:0\n@@plumb:n:0:begin\nA\n@@plumb:n:0:end:7\n';
    expect(parseFrames(out, 2, 'n')).to.deep.equal([
      { out: 'A', code: 7 },
      { out: 'B', code: 0 },
    ]);
  });

  it('probes that wait on no daemon stay in one group: no pipes, no extra processes', () => {
    const s = buildBatch([probe('file:/a', 'echo a'), probe('pkg:b', 'echo b'), probe('user:c', 'echo c')], 'N').text;
    expect(s).to.not.include('| {');
    expect(buildBatch([probe('svc:a', 'echo a'), probe('pkg:b', 'echo b')], 'N').text.match(/\| \{/g)).to.have.length(1);
  });

  it('builds one script with every probe framed by the nonce', () => {
    const s = buildBatch([probe('a', 'echo a'), probe('b', 'echo b')], 'NONCE').text;
    expect(s.match(/@@plumb:NONCE:\d:begin/g)).to.have.length(2);
  });

  it('invalidation patterns: exact, kind:*, *, and #variants', () => {
    expect(invalidates(['file:/x'], 'file:/x#content')).to.equal(true);
    expect(invalidates(['file:/x'], 'file:/x#exists')).to.equal(true);
    expect(invalidates(['pkg:*'], 'pkg:haproxy,nginx#candidate')).to.equal(true);
    expect(invalidates(['cmd:*'], 'cmd:/srv:git diff --quiet')).to.equal(true);
    expect(invalidates(['svc:*'], 'file:/x')).to.equal(false);
    expect(invalidates(['*'], 'ufw:state')).to.equal(true);
  });
});
