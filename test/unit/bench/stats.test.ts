import { expect } from 'chai';
import { growthExponent, speedup, summarize, unionLength } from '../../../bench/lib/stats.js';

describe('bench/stats', () => {
  it('median of an odd and an even count, with min and max', () => {
    expect(summarize([3, 1, 2])).to.deep.equal({ n: 3, median: 2, min: 1, max: 3 });
    expect(summarize([4, 1, 3, 2])).to.deep.equal({ n: 4, median: 2.5, min: 1, max: 4 });
    expect(summarize([])).to.equal(undefined);
  });

  it('speedup is the slow median over the fast one', () => {
    expect(speedup(summarize([30]), summarize([1]))).to.equal(30);
    expect(speedup(undefined, summarize([1]))).to.equal(undefined);
  });

  it('overlapping intervals count once (remote time of parallel hosts)', () => {
    expect(
      unionLength([
        [0, 10],
        [5, 15],
        [20, 25],
      ]),
    ).to.equal(20);
    expect(
      unionLength([
        [0, 10],
        [2, 3],
      ]),
    ).to.equal(10);
    expect(unionLength([])).to.equal(0);
  });

  it('growth exponent: 1 when time grows with hosts, 0 when flat', () => {
    expect(growthExponent(10, 1, 100, 10)).to.be.closeTo(1, 1e-9);
    expect(growthExponent(10, 2, 100, 2)).to.equal(0);
  });
});
