// The live view as a person sees it (issue 11, acceptance 8): a cold apply of the stack in
// a real pseudo-terminal (tmux, 160x50), its screen captured. While it runs, each host has
// one line in the live region; at the end every result is on the screen exactly once and
// the screen ends with the recap.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { quote } from '../../src/sh.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const HOSTS = ['lb-01', 'web-01', 'web-02'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the live view under a pseudo-terminal (issue 11)', function () {
  this.timeout(900_000);
  const session = `plumb-live-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
  let dir = '';

  after(() => {
    tmux('kill-session', '-t', session);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a cold apply of the stack shows each result once and ends with the recap', async () => {
    const lab = await ensureLab();
    await resetHosts(HOSTS);
    dir = mkdtempSync(join(tmpdir(), 'plumb-live-'));
    const exitFile = join(dir, 'exit');
    const cmd = `cd ${quote(ROOT)} && ${quote(process.execPath)} ${quote(CLI)} apply playbooks/site.yml -i ${quote(lab.inventory)}; echo $? > ${quote(exitFile)}; sleep 600`;
    // A clean environment: CI=true would make plumb print plain lines, as it should in CI.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI'));
    const started = spawnSync('tmux', ['-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', '160', '-y', '50', cmd], { encoding: 'utf8', env });
    expect(started.status, started.stderr).to.equal(0);

    // While it runs: the visible screen holds one title line per host (the live region).
    const deadline = Date.now() + 600_000;
    let sawLive = false;
    while (!existsSync(exitFile) && Date.now() < deadline) {
      const screen = tmux('capture-pane', '-t', session, '-p').stdout;
      const titles = HOSTS.map((h) => screen.split('\n').filter((l) => new RegExp(`^\\S ${h}\\s+\\[ok \\d+, changed \\d+`).test(l)).length);
      if (!existsSync(exitFile) && titles.every((n) => n === 1)) sawLive = true;
      expect(
        titles.every((n) => n <= 1),
        `a host's title shows more than once:\n${screen}`,
      ).to.equal(true);
      await sleep(1000);
    }
    expect(readFileSync(exitFile, 'utf8').trim(), 'plumb apply exit code').to.equal('0');
    expect(sawLive, 'the live region (one line per host) was seen while the apply ran').to.equal(true);

    // -J joins lines the terminal wrapped; -S - takes the whole scrollback.
    const all = tmux('capture-pane', '-t', session, '-p', '-J', '-S', '-')
      .stdout.split('\n')
      .map((l) => l.trimEnd());
    const results = all.filter((l) => /^[~✖] /.test(l));
    expect(results.length, 'result lines').to.be.greaterThan(40);
    const dupes = results.filter((l, i) => results.indexOf(l) !== i);
    expect(dupes, 'results shown more than once').to.deep.equal([]);
    for (const h of HOSTS)
      expect(
        results.some((l) => l.startsWith(`~ ${h} `)),
        `results of ${h}`,
      ).to.equal(true);
    // Nothing of the live region is left behind (spinners, titles, output bars).
    expect(
      all.filter((l) => /^\s*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✔❯›]/.test(l)),
      'leftovers of the live region',
    ).to.deep.equal([]);
    // The screen ends with the recap: its header, one line per host, the total.
    const shown = all.filter((l) => l !== '');
    const recapAt = shown.lastIndexOf('RECAP');
    expect(recapAt, 'RECAP').to.be.greaterThan(0);
    const tail = shown.slice(recapAt);
    expect(tail[1]).to.match(/^HOST\s+ok\s+changed/);
    expect(tail.slice(2, 5).map((l) => l.split(/\s+/)[0])).to.deep.equal(HOSTS);
    expect(tail[5]).to.match(/^total \d/);
    // After the total only the recap's notes: the stack sets no alert receiver, so the
    // monitoring play's note says so, once.
    expect(tail.slice(6), `only notes after the recap:\n${tail.join('\n')}`).to.have.lengthOf(1);
    expect(tail[6]).to.match(/^note \(lb-01\): no alert receiver is set/);
  });
});
