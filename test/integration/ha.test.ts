// The load balancer pair on the HA lab (issue 14, acceptance 1 and 2): a cold apply of four
// fresh hosts, HTTPS on the floating address round-robin over both web servers, a no-op
// re-run; then lb-01 killed hard under a request loop, and HAProxy alone killed on the
// holder, with the failed requests and the outage measured and logged; the address stays
// where it went when lb-01 returns (nopreempt). Loops: at most 60 s and a fixed count,
// only to this slot's lab addresses. The cases run in order on one lab.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureHaLab, ensureLab, killHost, resetHosts } from './lab-fixture.js';
import { SiteRun, recapOf, failures, changed, sleep, DOMAIN } from './site-run.js';
import { LAB_NET, LAB_VIP, hostSpec } from '../../src/lab/paths.js';
import type { LabStatus } from '../../src/lab/index.js';

const HOSTS = ['lb-01', 'lb-02', 'web-01', 'web-02'];

interface Outage {
  ok: number;
  failed: number;
  /** From the first failed request to the first good one after the last failure. */
  outageMs: number;
  /** The requests around the outage, ms from the last good one before it. */
  timeline: string;
}

/**
 * One request at a time to the floating address, timestamped; bounded by count and 60 s. A
 * connection not made within 0.25 s fails the request, so the loop goes on with a new one:
 * a SYN that falls into the hand-over gap (the new holder's VRRP skew time, ~10 ms) would
 * otherwise wait for TCP's first retransmission (1 s) and hide when the service came back.
 */
function vipLoop(max: number): { stop: () => void; result: Promise<Outage> } {
  const loop = `i=0; while [ $i -lt ${max} ] && [ ! -e "$STOP" ]; do
    if curl -sk -o /dev/null -f --connect-timeout 0.25 --max-time 1 --resolve ${DOMAIN}:443:${LAB_VIP} https://${DOMAIN}/health; then r=ok; else r=bad; fi
    echo "$(date +%s%3N) $r"; i=$((i+1)); sleep 0.02; done`;
  const stopFile = path.join('/tmp', `.ha-loop-stop-${process.pid}-${Date.now()}`);
  const p = spawn('timeout', ['60', 'sh', '-c', loop], { env: { ...process.env, STOP: stopFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const result = new Promise<Outage>((done) =>
    p.on('close', () => {
      spawnSync('rm', ['-f', stopFile]);
      const rows = out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [t, r] = l.split(' ');
          return { t: Number(t), ok: r === 'ok' };
        });
      const bad = rows.filter((r) => !r.ok);
      const firstBad = rows.findIndex((r) => !r.ok);
      let lastBad = -1;
      rows.forEach((r, i) => {
        if (!r.ok) lastBad = i;
      });
      const back = rows.slice(lastBad + 1).find((r) => r.ok);
      // The outage starts when the first failed request was sent (its time minus its own duration is unknown; the previous good one bounds it).
      const start = firstBad > 0 ? rows[firstBad - 1]!.t : (rows[0]?.t ?? 0);
      const around = firstBad < 0 ? [] : rows.slice(Math.max(0, firstBad - 2), lastBad + 3);
      const timeline = around.map((r) => `${r.t - start}:${r.ok ? 'ok' : 'bad'}`).join(' ');
      done({ ok: rows.length - bad.length, failed: bad.length, outageMs: firstBad < 0 ? 0 : (back?.t ?? rows[rows.length - 1]!.t) - start, timeline });
    }),
  );
  return { stop: () => spawnSync('touch', [stopFile]), result };
}

describe('the load balancer pair on the HA lab (issue 14)', function () {
  this.timeout(900_000);
  let lab: LabStatus;
  let site: SiteRun;
  const holder = (): string | undefined => ['lb-01', 'lb-02'].find((h) => site.onHost(h, `ip -4 -o addr show dev eth0`, true).out.includes(` ${LAB_VIP}/`));
  const waitHolder = async (ms: number): Promise<string | undefined> => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(250)) {
      const h = holder();
      if (h) return h;
    }
    return undefined;
  };

  before(async () => {
    lab = await ensureHaLab();
    site = new SiteRun(lab);
    expect(lab.hosts.map((h) => h.name)).to.have.members(HOSTS);
  });

  // Back to the default 3-host lab for the files after this one. ip_nonlocal_bind belongs to
  // the host's network namespace, which outlives a fresh disk: set it back by hand.
  after(async () => {
    for (const h of ['lb-01', 'lb-02'])
      spawnSync('ip', ['netns', 'exec', hostSpec(LAB_NET, h, '', '').netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=0']);
    await resetHosts(['lb-01']);
    await ensureLab();
  });

  it('cold apply of four fresh hosts exits 0; the floating address serves HTTPS round robin; a re-run changes nothing', async () => {
    await resetHosts(HOSTS);
    const r = site.plumb('apply');
    expect(r.code, failures(r)).to.equal(0);
    expect(Object.keys(recapOf(r))).to.have.members(HOSTS);
    // Whichever keepalived started first holds it (nopreempt: the later one, even with a higher priority, stays BACKUP).
    expect(await waitHolder(10_000)).to.be.oneOf(['lb-01', 'lb-02']);
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const c = spawnSync('curl', ['-sk', '-f', '--max-time', '3', '--resolve', `${DOMAIN}:443:${LAB_VIP}`, `https://${DOMAIN}/`], { encoding: 'utf8' });
      expect(c.status, c.stderr).to.equal(0);
      served.add((JSON.parse(c.stdout) as { server: string }).server);
    }
    expect([...served]).to.have.members(['web-01', 'web-02']);
    // One certificate on both load balancers.
    const sums = ['lb-01', 'lb-02'].map((h) => site.onHost(h, 'sha256sum < /etc/haproxy/certs/site.pem').out);
    expect(sums[0]).to.equal(sums[1]);
    const again = site.plumb('apply');
    expect(again.code, failures(again)).to.equal(0);
    expect(changed(again)).to.deep.equal([]);
  });

  it('the holder killed hard: the address moves to the other and stays there when the host returns', async () => {
    const dead = holder()!;
    const other = dead === 'lb-01' ? 'lb-02' : 'lb-01';
    expect(dead).to.be.oneOf(['lb-01', 'lb-02']);
    const loop = vipLoop(1500);
    await sleep(3000);
    killHost(dead);
    await sleep(12_000);
    loop.stop();
    const m = await loop.result;
    process.stderr.write(
      `      [ha] ${dead} killed: ${m.failed} of ${m.ok + m.failed} requests failed, service back after ${(m.outageMs / 1000).toFixed(1)} s\n`,
    );
    expect(holder()).to.equal(other);
    expect(m.outageMs).to.be.lessThan(6000);
    // The host back (same disk): it comes up BACKUP and does not take the address back.
    lab = await ensureHaLab();
    site = new SiteRun(lab);
    await sleep(8000);
    expect(site.onHost(dead, 'systemctl is-active keepalived haproxy').out.trim().split('\n')).to.deep.equal(['active', 'active']);
    expect(holder()).to.equal(other);
  });

  it('HAProxy alone killed on the holder: its tracked check gives the address up', async () => {
    const from = holder();
    expect(from).to.be.oneOf(['lb-01', 'lb-02']);
    const loop = vipLoop(1000);
    await sleep(3000);
    // A crash that stays down: with Debian's Restart= systemd may bring HAProxy back before
    // the check sees it gone, and the address would rightly not move (no outage to measure).
    site.onHost(
      from!,
      "mkdir -p /run/systemd/system/haproxy.service.d && printf '[Service]\\nRestart=no\\n' > /run/systemd/system/haproxy.service.d/plumb-test.conf && systemctl daemon-reload",
    );
    const killedAt = Number(site.onHost(from!, 'date +%s%3N; systemctl kill --signal=KILL haproxy.service').out.trim());
    await sleep(8000);
    loop.stop();
    const m = await loop.result;
    // Where the time went: the track file's write, each node's keepalived transitions.
    const to = from === 'lb-01' ? 'lb-02' : 'lb-01';
    const trackedAt = Number(site.onHost(from!, 'stat -c %.3Y /run/plumb-haproxy-down', true).out.trim().replace('.', ''));
    const since = `@${Math.floor(killedAt / 1000) - 1}`;
    const states = (h: string) =>
      site
        .onHost(h, `journalctl -u keepalived --since ${since} -o short-unix --no-pager | grep -E 'STATE|Entering|fault|FAULT' || true`, true)
        .out.trim()
        .split('\n')
        .map((l) => `${h} +${Math.round(Number(l.split(' ')[0]) * 1000 - killedAt)}ms ${l.split(' ').slice(2).join(' ')}`);
    process.stderr.write(
      `      [ha] track file written +${trackedAt - killedAt}ms after the kill\n${[...states(from!), ...states(to)].map((l) => `      [ha] ${l}\n`).join('')}`,
    );
    process.stderr.write(`      [ha] requests: ${m.timeline}\n`);
    process.stderr.write(
      `      [ha] HAProxy killed on ${from}: ${m.failed} of ${m.ok + m.failed} requests failed, service back after ${(m.outageMs / 1000).toFixed(1)} s\n`,
    );
    expect(holder()).to.equal(from === 'lb-01' ? 'lb-02' : 'lb-01');
    // Issue 14's goal: back within 1 s (HAProxy's unit writes the track file as it stops).
    expect(m.outageMs).to.be.lessThan(1000);
    // Put HAProxy back for the next run.
    site.onHost(from!, 'rm -rf /run/systemd/system/haproxy.service.d && systemctl daemon-reload && systemctl start haproxy');
  });
});
