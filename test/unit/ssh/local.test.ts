import { expect } from 'chai';
import { LocalTransport } from '../../../src/ssh/local.js';

describe('ssh/local: ansible_connection: local', () => {
  it('runs a command line through /bin/sh with stdin, keeps output untrimmed and the exit code', async () => {
    const t = new LocalTransport('control');
    const r = await t.exec('cat; echo " err " >&2; exit 3', 'from stdin\n');
    expect(r).to.deep.equal({ code: 3, stdout: 'from stdin\n', stderr: ' err \n' });
    expect(t.execCount).to.equal(1);
  });

  it("gives commands a small environment, not plumb's", async () => {
    process.env.PLUMB_TEST_LOCAL_SECRET = 'do-not-pass';
    try {
      const r = await new LocalTransport('control').exec('echo "[$PLUMB_TEST_LOCAL_SECRET]"; test -n "$PATH" && echo path');
      expect(r.stdout).to.equal('[]\npath\n');
    } finally {
      delete process.env.PLUMB_TEST_LOCAL_SECRET;
    }
  });

  it('reports each exec to onExec, as the SSH transport does for -v', async () => {
    const seen: string[] = [];
    await new LocalTransport('control', (h, c, r) => seen.push(`${h} ${c} ${r.code}`)).exec('true');
    expect(seen).to.deep.equal(['control true 0']);
  });
});
