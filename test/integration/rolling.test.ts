// Rolling changes with no failed request (issue 14, acceptance 5), on the converged 3-host
// stack: a change that restarts Gunicorn and reloads Nginx on both web servers runs one web
// server at a time (serial: 1), each taken out of HAProxy's rotation before its app restarts
// and brought back once it answers, under a bounded request loop: 0 failed requests. A drain
// survives an HAProxy reload (server-state-file). A run that stopped with a web server out of
// rotation is finished by the next run, which says so. Puts the stack's values back.
import { expect } from 'chai';
import { ensureLab } from './lab-fixture.js';
import { changed, failures, SiteRun, sleep, tasks } from './site-run.js';

const MARKER = '/var/lib/misc/foobar-out-of-rotation';
const SOCK = '/run/haproxy/admin.sock';
// The gunicorn_bind change: the unit (restart foobar-app) and Nginx's upstream (reload nginx).
const CHANGE = ['-e', JSON.stringify({ gunicorn_bind: '127.0.0.1:8001' })];

describe('rolling changes behind HAProxy (issue 14, acceptance 5)', function () {
  this.timeout(900_000);
  let site: SiteRun;
  /** web/<host>'s status on lb-01 (UP, DRAIN, DOWN...), from HAProxy's own stats. */
  const status = (host: string): string =>
    site.onHost('lb-01', `echo "show stat" | socat stdio ${SOCK} | awk -F, -v n=${host} '$1 == "web" && $2 == n { print $18 }'`).out.trim();
  const appPid = (host: string): string => site.onHost(host, 'systemctl show -p MainPID --value foobar-app').out.trim();

  before(async () => {
    site = new SiteRun(await ensureLab());
    const r = site.plumb('apply');
    expect(r.code, `the stack converges first:\n${failures(r)}`).to.equal(0);
    const again = site.plumb('apply');
    expect(changed(again), 'a no-op re-run drains nothing').to.deep.equal([]);
  });

  after(() => {
    site.onHost('lb-01', `for h in web-01 web-02; do echo "set server web/$h state ready" | socat stdio ${SOCK}; done`, true);
    site.plumb('apply');
  });

  it('a change that restarts Gunicorn and reloads Nginx on both web servers fails no request', async () => {
    const pids: Record<string, string> = { 'web-01': appPid('web-01'), 'web-02': appPid('web-02') };
    const loop = site.requestLoop(2500);
    await sleep(500);
    const r = await site.plumbAsync('apply', ...CHANGE);
    await sleep(500);
    loop.stop();
    const served = await loop.result;
    process.stdout.write(`      [rolling] ${served.ok} requests served, ${served.failed} failed during the change\n`);
    expect(r.code, failures(r)).to.equal(0);
    expect(served.failed, 'failed requests').to.equal(0);
    expect(served.ok).to.be.above(50);
    for (const h of ['web-01', 'web-02']) {
      expect(changed(r)).to.include.members([
        `${h}: handler Out of rotation (marker)`,
        `${h} -> lb-01: handler Out of rotation on every load balancer`,
        `${h}: handler restart foobar-app`,
        `${h}: handler reload nginx`,
        `${h}: handler The app answers through Nginx again`,
        `${h} -> lb-01: handler Back in rotation on every load balancer`,
        `${h}: handler Back in rotation (marker)`,
      ]);
      expect(appPid(h)).to.not.equal(pids[h]);
      expect(status(h)).to.equal('UP');
      expect(site.onHost(h, `test -e ${MARKER} && echo left || echo gone`).out.trim()).to.equal('gone');
    }
    // One at a time: web-01 is back in rotation before web-02 leaves it.
    const order = tasks(r)
      .filter((t) => t.status === 'changed' && /rotation on every/.test(t.task))
      .map((t) => `${t.host} ${t.task.startsWith('Out') ? 'out' : 'back'}`);
    expect(order).to.deep.equal(['web-01 -> lb-01 out', 'web-01 -> lb-01 back', 'web-02 -> lb-01 out', 'web-02 -> lb-01 back']);
    const clean = site.plumb('check', ...CHANGE);
    expect(clean.code, failures(clean)).to.equal(0);
  });

  it('a web server out of rotation stays out across an HAProxy reload', () => {
    site.onHost('lb-01', `echo "set server web/web-02 state drain" | socat stdio ${SOCK}`);
    expect(status('web-02')).to.equal('DRAIN');
    site.onHost('lb-01', 'systemctl reload haproxy && sleep 1');
    expect(status('web-02')).to.equal('DRAIN');
    site.onHost('lb-01', `echo "set server web/web-02 state ready" | socat stdio ${SOCK}`);
    expect(status('web-02')).to.equal('UP');
  });

  it('a run that stopped with a web server out of rotation: the next run says so and brings it back, failing no request', async () => {
    // What a run killed between its drain and its restart leaves: the marker, the drain, the owed restart.
    site.onHost('web-01', `echo x > ${MARKER}; mkdir -p /var/lib/plumb; echo 'restart foobar-app' >> /var/lib/plumb/pending-handlers`);
    site.onHost('lb-01', `echo "set server web/web-01 state drain" | socat stdio ${SOCK}`);
    const loop = site.requestLoop(2500);
    await sleep(300);
    const r = await site.plumbAsync('apply', ...CHANGE);
    loop.stop();
    const served = await loop.result;
    expect(r.code, failures(r)).to.equal(0);
    expect(served.failed, 'failed requests').to.equal(0);
    const said = tasks(r).find((t) => t.host === 'web-01' && t.task === 'An earlier run left this web server out of rotation');
    expect(said?.message).to.match(/earlier run stopped after taking web-01 out of rotation/);
    expect(changed(r)).to.include.members([
      'web-01: handler restart foobar-app',
      'web-01 -> lb-01: handler Back in rotation on every load balancer',
      'web-01: handler Back in rotation (marker)',
    ]);
    expect(changed(r).filter((c) => c.startsWith('web-02'))).to.deep.equal([]);
    expect(status('web-01')).to.equal('UP');
    expect(site.onHost('web-01', `test -e ${MARKER} && echo left || echo gone`).out.trim()).to.equal('gone');
  });
});
