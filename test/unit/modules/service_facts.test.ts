import { expect } from 'chai';
import serviceFacts from '../../../src/modules/service_facts.js';
import { servicesFact, type ServiceFacts } from '../../../src/facts/sys.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const SVCS: ServiceFacts = {
  'ssh.service': { name: 'ssh.service', state: 'running', status: 'enabled', source: 'systemd' },
  'nginx.service': { name: 'nginx.service', state: 'failed', status: 'enabled', source: 'systemd' },
};

const cases: Case<Record<string, never>>[] = [
  {
    name: 'a read, never a change: ok, units as ansible_facts.services',
    args: {},
    facts: { 'svc:#all': SVCS },
    expect: { status: 'ok', changes: 0, result: { ansible_facts: { services: SVCS } } },
  },
  { name: 'no units: an empty map', args: {}, facts: { 'svc:#all': {} }, expect: { status: 'ok', result: { ansible_facts: { services: {} } } } },
];

// The probe's output on a Debian 12 host (systemd 252): list-units --all --plain --no-legend
// tagged "u", list-unit-files (with the vendor preset column) tagged "f".
const PROBE = [
  'u apparmor.service                 loaded    active   exited  Load AppArmor profiles',
  'u cron.service                     loaded    active   running Regular background program processing daemon',
  'u ● nginx.service                  loaded    failed   failed  A high performance web server and a reverse proxy server',
  'u ntp.service                      not-found inactive dead    ntp.service',
  'u ssh.service                      loaded    active   running OpenBSD Secure Shell server',
  'u user@1000.service                loaded    active   running User Manager for UID 1000',
  'f apparmor.service                 enabled         enabled',
  'f cron.service                     enabled         enabled',
  'f getty@.service                   enabled         enabled',
  'f nginx.service                    enabled         enabled',
  'f rsync.service                    disabled        enabled',
  'f ssh.service                      enabled         enabled',
  'f sshd.service                     alias           -',
  'f user@.service                    static          -',
  'f systemd-networkd.socket          disabled        enabled',
  '',
].join('\n');

describe('modules/service_facts', () => {
  runTable(serviceFacts, cases);
  it('sets ansible_facts and reads the one batched fact', () => {
    expect(serviceFacts.factNames).to.deep.equal(['ansible_facts']);
    expect(serviceFacts.facts({}, {} as never).map((f) => f.key)).to.deep.equal(['svc:#all']);
  });
  it('fact: running, stopped (exited or never started), failed (● marked), unknown (not-found)', () => {
    const r = servicesFact.parse(PROBE, 0);
    const state = (u: string) => r[u]?.state;
    expect(state('cron.service')).to.equal('running');
    expect(state('ssh.service')).to.equal('running');
    expect(state('apparmor.service')).to.equal('stopped');
    expect(state('nginx.service')).to.equal('failed');
    expect(state('ntp.service')).to.equal('unknown');
    expect(state('rsync.service'), 'a unit file with no loaded unit').to.equal('stopped');
  });
  it('fact: status from the unit files; a unit with none is not-found; other unit types left out', () => {
    const r = servicesFact.parse(PROBE, 0);
    expect(r['ssh.service']).to.deep.equal({ name: 'ssh.service', state: 'running', status: 'enabled', source: 'systemd' });
    expect(r['rsync.service']).to.deep.equal({ name: 'rsync.service', state: 'stopped', status: 'disabled', source: 'systemd' });
    expect(r['sshd.service']?.status).to.equal('alias');
    expect(r['user@.service']?.status).to.equal('static');
    expect(r['ntp.service']?.status).to.equal('not-found');
    expect(r['user@1000.service']?.state, 'a template instance').to.equal('running');
    expect(r).not.to.have.property('systemd-networkd.socket');
    for (const v of Object.values(r)) expect(v).to.have.all.keys('name', 'state', 'status', 'source');
  });
  it('fact: no systemd (empty output) is no services', () => {
    expect(servicesFact.parse('', 0)).to.deep.equal({});
  });
  runSchemaTable(serviceFacts, [
    // Ansible docs example (ansible.builtin.service_facts): no arguments.
    { name: 'docs: populate service facts', args: {}, valid: true },
    { name: 'no options at all', args: { name: 'ssh' }, valid: false, message: /name/ },
  ]);
});
