import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { serviceFact } from '../../../src/facts/svc.js';
import { gather } from './local.js';

describe('facts/svc', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const cases: { name: string; stdout: string; code: number; expected: unknown }[] = [
    {
      name: 'running and enabled',
      stdout: 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n',
      code: 0,
      expected: { kind: 'unit', load: 'loaded', active: 'active', sub: 'running', unitFile: 'enabled', needReload: false },
    },
    {
      name: 'properties in systemd order, unit file changed on disk',
      stdout: 'NeedDaemonReload=yes\nUnitFileState=disabled\nSubState=dead\nActiveState=inactive\nLoadState=loaded\n',
      code: 0,
      expected: { kind: 'unit', load: 'loaded', active: 'inactive', sub: 'dead', unitFile: 'disabled', needReload: true },
    },
    {
      name: 'not found (systemctl show still exits 0)',
      stdout: 'LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNeedDaemonReload=no\n',
      code: 0,
      expected: { kind: 'unit', load: 'not-found', active: 'inactive', sub: 'dead', unitFile: '', needReload: false },
    },
    {
      name: 'no systemd',
      stdout: 'System has not been booted with systemd as init system (PID 1). Can\'t operate.\nFailed to connect to bus: Host is down\n',
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
});
