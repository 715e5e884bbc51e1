import { expect } from 'chai';
import { Redactor, REDACTED } from '../../../src/report/redact.js';

describe('report/redact', () => {
  const r = new Redactor();
  r.add(['hunter22', 'hunter22-extended', 'ab', '', 'tok']);

  const cases: Array<[string, string]> = [
    ['password is hunter22.', `password is ${REDACTED}.`],
    ['hunter22hunter22', `${REDACTED}${REDACTED}`],
    ['longest first: hunter22-extended', `longest first: ${REDACTED}`],
    ['short values are not masked: ab abc', 'short values are not masked: ab abc'],
    ['3 chars are: tok', `3 chars are: ${REDACTED}`],
    ['nothing here', 'nothing here'],
    ['multi\nline hunter22\n', `multi\nline ${REDACTED}\n`],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(want)}`, () => expect(r.redact(input)).to.equal(want));
  }

  it('has() reports whether a text holds a secret (ignoring short values)', () => {
    expect(r.has('x hunter22 y')).to.equal(true);
    expect(r.has('ab')).to.equal(false);
    expect(r.has('')).to.equal(false);
  });

  it('redactDeep masks strings in nested objects and lists, and leaves other values alone', () => {
    const input = { a: 'hunter22', b: [{ c: 'x hunter22-extended y', n: 5 }, 'tok'], d: { e: { f: ['deep hunter22'] } }, g: null, h: true };
    expect(r.redactDeep(input)).to.deep.equal({
      a: REDACTED,
      b: [{ c: `x ${REDACTED} y`, n: 5 }, REDACTED],
      d: { e: { f: [`deep ${REDACTED}`] } },
      g: null,
      h: true,
    });
    expect(input.a, 'the input is not mutated').to.equal('hunter22');
  });

  it('values added later are masked too', () => {
    const r2 = new Redactor();
    expect(r2.redact('late-secret')).to.equal('late-secret');
    r2.add(['late-secret']);
    expect(r2.redact('a late-secret b')).to.equal(`a ${REDACTED} b`);
  });

  it('overlapping secrets mask fully whichever is longer', () => {
    const r3 = new Redactor();
    r3.add(['abc', 'zzabczz']);
    expect(r3.redact('zzabczz abc')).to.equal(`${REDACTED} ${REDACTED}`);
  });

  it('a secret containing regex characters is matched literally', () => {
    const r4 = new Redactor();
    r4.add(['p.a$s*(1)']);
    expect(r4.redact('x p.a$s*(1) y pXa$s*(1)')).to.equal(`x ${REDACTED} y pXa$s*(1)`);
  });
});
