// A lab host that reboots itself (`systemctl reboot`: nspawn exits 133) comes back on the same
// disk with a new boot identity, as a VPS does: the launcher (src/lab/nspawn.ts) restarts
// nspawn on exit 133. This is what a reboot module's lab test needs.
import { expect } from 'chai';
import { ensureLab } from './lab-fixture.js';
import { SiteRun, sleep } from './site-run.js';

const HOST = 'web-01';

describe('lab: a host that reboots comes back', function () {
  this.timeout(180_000);
  it('systemctl reboot: ssh answers again within 60 s, with a new boot_id, on the same disk', async () => {
    const site = new SiteRun(await ensureLab());
    const id = () => site.onHost(HOST, 'cat /proc/sys/kernel/random/boot_id', true);
    const before = id();
    expect(before.code).to.equal(0);
    site.onHost(HOST, 'echo kept > /var/tmp/plumb-reboot-marker');
    site.onHost(HOST, 'systemctl reboot', true);
    let after = { code: -1, out: '', err: '' };
    for (let i = 0; i < 60; i++) {
      await sleep(1000);
      after = id();
      if (after.code === 0 && after.out !== before.out) break;
    }
    expect(after.code, after.err).to.equal(0);
    expect(after.out.trim()).to.match(/^[0-9a-f-]{36}$/);
    expect(after.out).to.not.equal(before.out);
    expect(site.onHost(HOST, 'cat /var/tmp/plumb-reboot-marker; rm /var/tmp/plumb-reboot-marker').out).to.equal('kept\n');
  });
});
