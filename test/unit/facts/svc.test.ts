import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configLoadedAt, mtimeFact, mtimeMerger, processTableFact, serviceFact, svcMerger, type ProcessTable } from '../../../src/facts/svc.js';
import { slots } from '../../../src/facts/batch.js';
import { gather, gatherAll } from './local.js';

describe('facts/svc', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const cases: { name: string; stdout: string; code: number; expected: unknown }[] = [
    {
      name: 'running and enabled',
      stdout: 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n',
      code: 0,
      expected: { kind: 'unit', load: 'loaded', active: 'active', sub: 'running', unitFile: 'enabled', needReload: false, mainPid: 0 },
    },
    {
      name: 'properties in systemd order, unit file changed on disk',
      stdout: 'NeedDaemonReload=yes\nUnitFileState=disabled\nSubState=dead\nActiveState=inactive\nLoadState=loaded\n',
      code: 0,
      expected: { kind: 'unit', load: 'loaded', active: 'inactive', sub: 'dead', unitFile: 'disabled', needReload: true, mainPid: 0 },
    },
    {
      name: 'not found (systemctl show still exits 0)',
      stdout: 'LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNeedDaemonReload=no\n',
      code: 0,
      expected: { kind: 'unit', load: 'not-found', active: 'inactive', sub: 'dead', unitFile: '', needReload: false, mainPid: 0 },
    },
    {
      name: 'no systemd',
      stdout: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n",
      code: 1,
      expected: { kind: 'no-systemd', message: "System has not been booted with systemd as init system (PID 1). Can't operate." },
    },
  ];
  for (const c of cases) it(`parse: ${c.name}`, () => expect(serviceFact('nginx').parse(c.stdout, c.code)).to.deep.equal(c.expected));

  it('runs for real: a unit state, or no-systemd on a host without it', function () {
    if (spawnSync('sh', ['-c', 'command -v systemctl']).status !== 0) this.skip();
    const st = gather(serviceFact('plumb-no-such-unit'));
    if (st.kind === 'unit') expect(st.load).to.equal('not-found');
    else expect(st.message).to.not.equal('');
  });

  describe('merged: several units in one systemctl show', () => {
    // A stand-in systemctl on PATH, shaped like systemd 252's: blocks in argument order,
    // and exit 1 without the block of a name it rejects.
    let dir = '';
    let oldPath = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'plumb-systemctl-'));
      writeFileSync(
        join(dir, 'systemctl'),
        `#!/bin/sh
[ -n "$PLUMB_NO_SYSTEMD" ] && { echo 'System has not been booted with systemd as init system (PID 1). Can'"'"'t operate.' >&2; exit 1; }
shift 4; rc=0; first=1
for u; do
  case "$u" in *' '*) echo "Invalid unit name "$u"" >&2; rc=1; continue;; esac
  [ -n "$first" ] || echo; first=
  case "$u" in nginx) printf 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n';;
  *) printf 'LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNeedDaemonReload=no\n';; esac
done
exit $rc
`,
      );
      chmodSync(join(dir, 'systemctl'), 0o755);
      oldPath = process.env.PATH ?? '';
      process.env.PATH = `${dir}:${oldPath}`;
    });
    after(() => {
      process.env.PATH = oldPath;
      delete process.env.PLUMB_NO_SYSTEMD;
      rmSync(dir, { recursive: true, force: true });
    });
    const nginx = { kind: 'unit', load: 'loaded', active: 'active', sub: 'running', unitFile: 'enabled', needReload: false, mainPid: 0 };
    const missing = { kind: 'unit', load: 'not-found', active: 'inactive', sub: 'dead', unitFile: '', needReload: false, mainPid: 0 };

    it('one probe; each unit gets its own block', () => {
      const facts = [serviceFact('nginx'), serviceFact('nope'), serviceFact('nginx')];
      expect(slots(facts)).to.have.length(1);
      expect(gatherAll(facts)).to.deep.equal([nginx, missing, nginx]);
    });
    it('a name systemctl rejects: every unit is asked alone, and only that one fails', () => {
      const got = gatherAll([serviceFact('nginx'), serviceFact('bad name'), serviceFact('nope')]) as { kind: string }[];
      expect(got[0]).to.deep.equal(nginx);
      expect(got[1]).to.include({ kind: 'no-systemd' });
      expect(got[2]).to.deep.equal(missing);
    });
    it("no systemd: every unit says so, with systemctl's message", () => {
      process.env.PLUMB_NO_SYSTEMD = '1';
      try {
        const got = gatherAll([serviceFact('nginx'), serviceFact('nope')]);
        expect(got).to.have.length(2);
        for (const st of got)
          expect(st)
            .to.deep.include({ kind: 'no-systemd' })
            .and.have.property('message')
            .that.match(/not been booted/);
      } finally {
        delete process.env.PLUMB_NO_SYSTEMD;
      }
    });
    it('split: fewer blocks than units (exit 0) fails every unit with a reason instead of misaligning', () => {
      const got = svcMerger.split('@all\nLoadState=loaded\n', 0, ['a', 'b']);
      expect(got.map((r) => serviceFact('a').parse(r.out, r.code))).to.deep.equal([
        { kind: 'no-systemd', message: 'systemctl show answered 1 units of 2' },
        { kind: 'no-systemd', message: 'systemctl show answered 1 units of 2' },
      ]);
    });
  });

  describe('when a service loaded its configuration, and when its files were written', () => {
    it('parse: MainPID', () => {
      expect(serviceFact('x').parse('LoadState=loaded\nActiveState=active\nMainPID=591\n', 0)).to.deep.include({ mainPid: 591 });
    });
    it('the process table, for real: this process, its parent, start times near now', () => {
      const t = gather(processTableFact);
      const me = t.get(process.pid);
      expect(me, 'this test process is listed').to.not.equal(undefined);
      expect(me!.ppid).to.equal(process.ppid);
      // Start times are btime (whole seconds) plus ticks: within a few seconds of the truth.
      const startedCentis = (Date.now() - process.uptime() * 1000) / 10;
      expect(Math.abs(me!.start - startedCentis)).to.be.lessThan(300);
    });
    it('parse: the process table skips lines it cannot read', () => {
      expect([...processTableFact.parse('1 0 100\n\n591 1 250\ngarbage\n', 0)]).to.deep.equal([
        [1, { ppid: 0, start: 100 }],
        [591, { ppid: 1, start: 250 }],
      ]);
    });
    const table: ProcessTable = new Map([
      [591, { ppid: 1, start: 1000 }],
      [903, { ppid: 591, start: 1500 }],
      [1138, { ppid: 591, start: 2500 }],
      [7, { ppid: 1, start: 9000 }],
    ]);
    const loaded: { name: string; main: number; workers: boolean; expected: number | undefined }[] = [
      { name: 'restart: the main process', main: 591, workers: false, expected: 1000 },
      { name: 'reload: the youngest worker', main: 591, workers: true, expected: 2500 },
      { name: 'reload without workers: the main process', main: 7, workers: true, expected: 9000 },
      { name: 'no main process', main: 0, workers: false, expected: undefined },
    ];
    for (const c of loaded) it(`configLoadedAt: ${c.name}`, () => expect(configLoadedAt(table, c.main, c.workers)).to.equal(c.expected));
    it('mtimes for real, merged into one stat: files, a link itself, a missing path', () => {
      const dir = mkdtempSync(join(tmpdir(), 'plumb mtime '));
      try {
        writeFileSync(join(dir, 'a'), 'x');
        spawnSync('touch', ['-d', '@1796192473.25', join(dir, 'a')]);
        spawnSync('ln', ['-s', join(dir, 'a'), join(dir, 'l')]);
        spawnSync('touch', ['-h', '-d', '@1700000000', join(dir, 'l')]);
        const facts = [mtimeFact(join(dir, 'a')), mtimeFact(join(dir, 'l')), mtimeFact(join(dir, 'missing'))];
        expect(slots(facts)).to.have.length(1);
        expect(gatherAll(facts)).to.deep.equal([179619247325, 170000000000, undefined]);
        expect(gather(mtimeFact(join(dir, 'a'))), 'alone, unmerged').to.equal(179619247325);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    it('split: a path stat could not read is undefined, the others keep theirs', () => {
      const got = mtimeMerger.split('/a\x001.50\x00/c\x002.00\x00', 1, ['/a', '/b', '/c']);
      expect(got.map((r) => mtimeFact('/x').parse(r.out, r.code))).to.deep.equal([150, undefined, 200]);
    });
  });
});
