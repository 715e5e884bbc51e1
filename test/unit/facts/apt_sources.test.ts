import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { aptSourcesFact, SOURCES_DIR, SOURCES_LIST } from '../../../src/facts/apt_sources.js';
import { gather } from './local.js';

// The lab test (test/integration/modules-apt-mount.test.ts) runs the same probe on a Debian
// host with sources files; here it runs on the controller, whatever files it has.
describe('facts/apt_sources', function () {
  this.timeout(60_000);
  it('runs for real on this machine: every sources file with its path, mode, owner and content, as stat and the disk say', () => {
    const files = gather(aptSourcesFact);
    const onDisk = [
      SOURCES_LIST,
      ...(existsSync(SOURCES_DIR)
        ? readdirSync(SOURCES_DIR)
            .filter((f) => f.endsWith('.list'))
            .map((f) => `${SOURCES_DIR}/${f}`)
        : []),
    ].filter((p) => existsSync(p) && (lstatSync(p).isFile() || lstatSync(p).isSymbolicLink()));
    expect([...files.keys()].sort()).to.deep.equal(onDisk.sort());
    for (const [path, st] of files) {
      const s = lstatSync(path);
      if (st.kind === 'absent') throw new Error(`${path} listed as absent`);
      expect(st.mode, path).to.equal(`0${(s.mode & 0o7777).toString(8)}`);
      expect(st.owner, path).to.match(/^[a-z_][a-z0-9_-]*$/);
      if (st.kind === 'file') expect(st.content?.toString('utf8'), path).to.equal(readFileSync(path, 'utf8'));
    }
  });
});
