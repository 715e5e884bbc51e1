import { expect } from 'chai';
import { unified } from '../../../src/report/diff.js';

describe('report/diff', () => {
  it('a unified diff labelled before/after, without the ==== banner', () => {
    const out = unified({ label: '/etc/app.conf', before: 'a=1\nb=2\n', after: 'a=1\nb=3\n' });
    expect(out).to.equal(['--- /etc/app.conf (before)', '+++ /etc/app.conf (after)', '@@ -1,2 +1,2 @@', ' a=1', '-b=2', '+b=3', ''].join('\n'));
  });

  it('creating a file shows every line added', () => {
    const out = unified({ label: '/x', before: '', after: 'one\ntwo\n' });
    expect(out).to.match(/^\+one$/m);
    expect(out).to.match(/^\+two$/m);
    expect(out).not.to.match(/^-(?!-- )/m);
  });

  it('no change: headers only', () => {
    const out = unified({ label: '/x', before: 'same\n', after: 'same\n' });
    expect(out).not.to.match(/@@/);
  });
});
