import service, { type ServiceArgs } from '../../../src/modules/service.js';
import type { ServiceState } from '../../../src/facts/svc.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const unit = (active: string, unitFile: string, over: Partial<Extract<ServiceState, { kind: 'unit' }>> = {}): ServiceState => ({
  kind: 'unit',
  load: 'loaded',
  active,
  sub: active === 'active' ? 'running' : 'dead',
  unitFile,
  needReload: false,
  mainPid: active === 'active' ? 100 : 0,
  ...over,
});
const notFound: ServiceState = { kind: 'unit', load: 'not-found', active: 'inactive', sub: 'dead', unitFile: '', needReload: false, mainPid: 0 };
const K = 'svc:nginx';
// 2026-12-02T06:00:00Z in hundredths of a second; main PID 100 started then, its worker 5 s later.
const T0 = Date.UTC(2026, 11, 2, 6, 0, 0) / 10;
const age = {
  'proc:starts': new Map([
    [100, { ppid: 1, start: T0 }],
    [101, { ppid: 100, start: T0 + 300 }],
    [102, { ppid: 100, start: T0 + 500 }],
    [200, { ppid: 1, start: T0 + 9000 }],
  ]),
  'file:/etc/app.conf#mtime': T0 + 1000,
  'file:/etc/app.d/x#mtime': undefined,
};

const cases: Case<ServiceArgs>[] = [
  {
    name: 'stopped+disabled -> start and enable, one exec, with a state diff',
    args: { name: 'nginx', state: 'started', enabled: true },
    facts: { [K]: unit('inactive', 'disabled') },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/^set -e$/m, /systemctl start -- nginx/, /systemctl enable -- nginx/],
      diff: [{ label: 'service nginx', before: 'state=stopped\nenabled=false\n', after: 'state=started\nenabled=true\n' }],
      invalidates: ['*'],
    },
  },
  {
    name: 'running+enabled -> ok',
    args: { name: 'nginx', state: 'started', enabled: true },
    facts: { [K]: unit('active', 'enabled') },
    expect: { status: 'ok' },
  },
  { name: 'static unit counts as enabled', args: { name: 'nginx', enabled: true }, facts: { [K]: unit('active', 'static') }, expect: { status: 'ok' } },
  { name: 'failed counts as stopped', args: { name: 'nginx', state: 'stopped' }, facts: { [K]: unit('failed', 'enabled') }, expect: { status: 'ok' } },
  {
    name: 'drifted: running but should be stopped and disabled',
    args: { name: 'nginx', state: 'stopped', enabled: false },
    facts: { [K]: unit('active', 'enabled') },
    expect: {
      status: 'changed',
      scriptMatches: [/systemctl stop -- nginx/, /systemctl disable -- nginx/],
      diff: [{ label: 'service nginx', before: 'state=started\nenabled=true\n', after: 'state=stopped\nenabled=false\n' }],
    },
  },
  {
    name: 'enabled only: already enabled -> ok (state untouched)',
    args: { name: 'nginx', enabled: true },
    facts: { [K]: unit('inactive', 'enabled') },
    expect: { status: 'ok' },
  },
  {
    name: 'restarted always changes: bind pre-check, restart, then the unit must reach active',
    args: { name: 'nginx', state: 'restarted' },
    facts: { [K]: unit('active', 'enabled') },
    expect: { status: 'changed', scriptMatches: [/^u=nginx; act=restarting$/m, /ss -Hltnp/, /systemctl restart -- "\$u"/, /after the restart/] },
  },
  {
    name: 'reloaded reloads a running service: bind pre-check, reload, then new workers must appear',
    args: { name: 'nginx', state: 'reloaded' },
    facts: { [K]: unit('active', 'enabled') },
    expect: { status: 'changed', scriptMatches: [/^u=nginx; act=reloading$/m, /exit 4/, /systemctl reload -- "\$u"/, /did not take/, /exit 5/] },
  },
  {
    name: 'reloaded starts a stopped service',
    args: { name: 'nginx', state: 'reloaded' },
    facts: { [K]: unit('inactive', 'enabled') },
    expect: { status: 'changed', scriptMatches: [/systemctl start -- nginx/], scriptNotMatches: [/reload/] },
  },
  {
    name: 'unit not found -> error',
    args: { name: 'nginx', state: 'started' },
    facts: { [K]: notFound },
    expect: { status: 'error', error: /unit nginx not found/ },
  },
  {
    name: 'check mode: not found but an earlier unapplied apt install may provide it -> would change',
    args: { name: 'nginx', state: 'started', enabled: true },
    facts: { [K]: notFound },
    ctx: { mayChange: (f) => f.key.startsWith('svc:') },
    expect: {
      status: 'changed',
      diff: [{ label: 'service nginx', before: 'unit not loaded yet\nstate=stopped\nenabled=false\n', after: 'state=started\nenabled=true\n' }],
    },
  },
  {
    name: 'not found with daemon_reload: a new unit file -> daemon-reload then start',
    args: { name: 'app', state: 'started', daemon_reload: true },
    facts: { 'svc:app': { ...notFound } },
    expect: { status: 'changed', scriptMatches: [/systemctl daemon-reload\n(.*\n)*systemctl start -- app/], invalidates: ['*'] },
  },
  {
    name: 'daemon_reload when the unit file changed on disk and its restart is owed: daemon-reload only (the handler restarts)',
    args: { name: 'app', state: 'started', daemon_reload: true },
    facts: { 'svc:app': unit('active', 'enabled', { needReload: true }), ...age },
    ctx: { serviceInputs: () => ({ restart: ['/etc/app.conf'], reload: [], owed: true }) },
    expect: { status: 'changed', scriptMatches: [/systemctl daemon-reload/], scriptNotMatches: [/start/] },
  },
  {
    name: 'running with a unit file changed on disk, nothing owed: older configuration -> daemon-reload, restart',
    args: { name: 'app', state: 'started' },
    facts: { 'svc:app': unit('active', 'enabled', { needReload: true }) },
    expect: {
      status: 'changed',
      scriptMatches: [/^systemctl daemon-reload$/m, /systemctl restart -- "\$u"/],
      diff: [
        {
          label: 'service app',
          before: 'state=started\nconfig=unit file changed on disk, not loaded by systemd (NeedDaemonReload=yes)\n',
          after: 'state=started\nconfig=current\n',
        },
      ],
    },
  },
  {
    name: 'a file it reads was written after the workers started (reload handler): older configuration -> reload',
    args: { name: 'app', state: 'started' },
    facts: { 'svc:app': unit('active', 'enabled'), ...age },
    ctx: { serviceInputs: () => ({ restart: [], reload: ['/etc/app.conf', '/etc/app.d/x'], owed: false }) },
    expect: {
      status: 'changed',
      scriptMatches: [/systemctl reload -- "\$u"/],
      scriptNotMatches: [/systemctl restart/],
      diff: [
        {
          label: 'service app',
          before: 'state=started\nconfig=/etc/app.conf written 2026-12-02T06:00:10Z, after the workers started 2026-12-02T06:00:05Z\n',
          after: 'state=started\nconfig=current\n',
        },
      ],
    },
  },
  {
    name: 'a restart handler compares with the main process: older configuration -> restart',
    args: { name: 'app', state: 'started' },
    facts: { 'svc:app': unit('active', 'enabled'), ...age, 'file:/etc/app.conf#mtime': T0 + 100 * 2 },
    ctx: { serviceInputs: () => ({ restart: ['/etc/app.conf', '/etc/app.d/x'], reload: [], owed: false }) },
    expect: { status: 'changed', scriptMatches: [/systemctl restart -- "\$u"/] },
  },
  {
    name: 'the same file, the restart already owed (notified or pending): in sync here, the handler does it',
    args: { name: 'app', state: 'started' },
    facts: { 'svc:app': unit('active', 'enabled'), ...age },
    ctx: { serviceInputs: () => ({ restart: [], reload: ['/etc/app.conf', '/etc/app.d/x'], owed: true }) },
    expect: { status: 'ok' },
  },
  {
    name: 'files older than the process, a missing one, and a write within the clock slack: in sync',
    args: { name: 'app', state: 'started' },
    facts: { 'svc:app': unit('active', 'enabled'), ...age, 'file:/etc/app.conf#mtime': T0 + 500 + 90 },
    ctx: { serviceInputs: () => ({ restart: [], reload: ['/etc/app.conf', '/etc/app.d/x'], owed: false }) },
    expect: { status: 'ok' },
  },
  {
    name: 'a daemon that reloads in place (no workers): its reload-only files cannot be judged, in sync; its restart files still can',
    args: { name: 'solo', state: 'started' },
    facts: { 'svc:solo': unit('active', 'enabled', { mainPid: 200 }), ...age, 'file:/etc/app.conf#mtime': T0 + 9500 },
    ctx: { serviceInputs: () => ({ restart: ['/etc/app.d/x'], reload: ['/etc/app.conf'], owed: false }) },
    expect: { status: 'ok' },
  },
  {
    name: 'a stopped service is started, never called older',
    args: { name: 'app', state: 'started' },
    facts: { 'svc:app': unit('inactive', 'enabled'), ...age },
    ctx: { serviceInputs: () => ({ restart: [], reload: ['/etc/app.conf', '/etc/app.d/x'], owed: false }) },
    expect: { status: 'changed', scriptMatches: [/systemctl start -- app/], scriptNotMatches: [/reload/] },
  },
  {
    name: 'daemon_reload with nothing stale and nothing to do -> ok',
    args: { name: 'app', state: 'started', daemon_reload: true },
    facts: { 'svc:app': unit('active', 'enabled') },
    expect: { status: 'ok' },
  },
  {
    name: 'masked unit cannot be started',
    args: { name: 'nginx', state: 'started' },
    facts: { [K]: unit('inactive', 'masked', { load: 'masked' }) },
    expect: { status: 'error', error: /masked/ },
  },
  {
    name: 'no systemd -> error',
    args: { name: 'nginx', state: 'started' },
    facts: { [K]: { kind: 'no-systemd', message: 'System has not been booted with systemd' } },
    expect: { status: 'error', error: /systemd/ },
  },
];

describe('modules/service', () => {
  runTable(service, cases);
  runSchemaTable(service, [
    { name: 'name + state', args: { name: 'nginx', state: 'started' }, valid: true },
    { name: 'template unit', args: { name: 'getty@tty1.service', enabled: true }, valid: true },
    { name: 'bad state', args: { name: 'nginx', state: 'running' }, valid: false },
    { name: 'enabled as a string', args: { name: 'nginx', enabled: 'yes' }, valid: false },
    { name: 'unknown key', args: { name: 'nginx', state: 'started', masked: false }, valid: false, message: /'masked'/ },
    { name: 'nothing to do', args: { name: 'nginx' }, valid: false },
    { name: 'shell in the name', args: { name: 'nginx; reboot', state: 'started' }, valid: false },
  ]);
});
