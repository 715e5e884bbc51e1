import systemd, { type SystemdArgs } from '../../../src/modules/systemd.js';
import type { ServiceState } from '../../../src/facts/svc.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const unit = (active: string, unitFile: string, load = 'loaded'): ServiceState => ({
  kind: 'unit',
  load,
  active,
  sub: active === 'active' ? 'running' : 'dead',
  unitFile,
  needReload: false,
  mainPid: active === 'active' ? 100 : 0,
});
const cases: Case<SystemdArgs>[] = [
  {
    name: 'started+enabled as service does -> ok',
    args: { name: 'nginx', state: 'started', enabled: true },
    facts: { 'svc:nginx': unit('active', 'enabled') },
    expect: { status: 'ok' },
  },
  {
    name: 'stop and disable',
    args: { name: 'ufw', state: 'stopped', enabled: false },
    facts: { 'svc:ufw': unit('active', 'enabled') },
    expect: { status: 'changed', scriptMatches: [/systemctl stop -- ufw/, /systemctl disable -- ufw/] },
  },
  {
    name: 'masked: true on an unmasked unit -> mask',
    args: { name: 'apache2', masked: true },
    facts: { 'svc:apache2': unit('inactive', 'disabled') },
    expect: {
      status: 'changed',
      scriptMatches: [/systemctl mask -- apache2/],
      diff: [{ label: 'systemd apache2', before: 'masked=false\n', after: 'masked=true\n' }],
    },
  },
  {
    name: 'masked: true on a masked unit -> ok',
    args: { name: 'apache2', masked: true },
    facts: { 'svc:apache2': unit('inactive', 'masked', 'masked') },
    expect: { status: 'ok' },
  },
  {
    name: 'unmask then start',
    args: { name: 'nginx', masked: false, state: 'started' },
    facts: { 'svc:nginx': unit('inactive', 'masked', 'masked') },
    expect: { status: 'changed', scriptMatches: [/systemctl unmask -- nginx/, /systemctl start -- nginx/], changes: 2 },
  },
  { name: 'bare daemon_reload, no stale unit -> ok', args: { daemon_reload: true }, facts: { 'svc:#stale': [] }, expect: { status: 'ok' } },
  {
    name: 'bare daemon_reload with a stale unit -> reload',
    args: { daemon_reload: true },
    facts: { 'svc:#stale': ['app.service'] },
    expect: { status: 'changed', scriptMatches: [/systemctl daemon-reload/] },
  },
  {
    name: 'masked with state started -> error',
    args: { name: 'x', masked: true, state: 'started' },
    facts: { 'svc:x': unit('inactive', 'disabled') },
    expect: { status: 'error', error: /contradicts/ },
  },
];
describe('modules/systemd', () => {
  runTable(systemd, cases);
  runSchemaTable(systemd, [
    { name: 'copied from geerlingguy.docker: name, state, enabled', args: { name: 'docker', state: 'started', enabled: true }, valid: true },
    { name: 'user scope refused with a reason', args: { name: 'x', scope: 'user' }, valid: false, message: /system units only/ },
    { name: 'nothing to do', args: {}, valid: false },
  ]);
});
