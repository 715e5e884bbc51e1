import { expect } from 'chai';
import ufw, { normalizeAddr, type UfwArgs } from '../../../src/modules/ufw.js';
import { parseTuple, type UfwLive, type UfwState } from '../../../src/facts/ufw.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const rule = (line: string, v6 = false) => parseTuple(`### tuple ### ${line}`, v6)!;
// The kernel runs what the files say unless a case says otherwise (live).
const POLICIES = { incoming: 'deny', outgoing: 'allow', routed: 'deny' };
const live = (active: boolean, loadedRules = 3, fileRules = 3, policies: Partial<typeof POLICIES> = {}): UfwLive => ({
  active,
  loadedRules,
  fileRules,
  policies: { ...POLICIES, ...policies },
});
const state = (over: Partial<Extract<UfwState, { installed: true }>> = {}): UfwState => ({
  installed: true,
  readable: true,
  enabled: false,
  defaultIncoming: 'deny',
  defaultOutgoing: 'allow',
  defaultRouted: 'deny',
  logging: 'low',
  ipv6: true,
  rules: [],
  sshPorts: [22],
  live: live(over.enabled ?? false),
  ...over,
});
const ssh = rule('limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in');
const web = rule('allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 in comment=776562');
const K = 'ufw:state';
const vrrp = rule('allow vrrp any 0.0.0.0/0 any 10.0.0.12 in comment=76727270');

const cases: Case<UfwArgs>[] = [
  // rules
  {
    name: 'rule absent -> ufw allow, with a rule diff',
    args: { rule: 'allow', port: '443', proto: 'tcp', comment: 'https' },
    facts: { [K]: state({ rules: [ssh] }) },
    expect: {
      status: 'changed',
      scriptMatches: [/^ufw allow in proto tcp from any to any port 443 comment https$/m],
      diff: [{ label: 'ufw rules', before: '', after: 'allow in port 443/tcp from 0.0.0.0/0 to 0.0.0.0/0 # https\n' }],
      invalidates: ['ufw:state'],
    },
  },
  {
    name: 'VRRP (IP protocol 112) from a peer, no port -> ufw allow proto vrrp',
    args: { rule: 'allow', proto: 'vrrp', from: '10.0.0.12', comment: 'vrrp' },
    facts: { [K]: state({ rules: [ssh] }) },
    expect: {
      status: 'changed',
      scriptMatches: [/^ufw allow in proto vrrp from 10\.0\.0\.12 to any comment vrrp$/m],
      diff: [{ label: 'ufw rules', before: '', after: 'allow in proto vrrp from 10.0.0.12 to 0.0.0.0/0 # vrrp\n' }],
    },
  },
  {
    name: 'the same VRRP rule present -> ok',
    args: { rule: 'allow', proto: 'vrrp', from: '10.0.0.12', comment: 'vrrp' },
    facts: { [K]: state({ rules: [ssh, vrrp] }) },
    expect: { status: 'ok' },
  },
  {
    name: 'identical rule present -> ok (works while ufw is inactive)',
    args: { rule: 'allow', port: '80,443', proto: 'tcp', comment: 'web' },
    facts: { [K]: state({ rules: [ssh, web] }) },
    expect: { status: 'ok' },
  },
  {
    name: "a port list matches ufw's sorted form",
    args: { rule: 'allow', port: '443,80', proto: 'tcp', comment: 'web' },
    facts: { [K]: state({ rules: [web] }) },
    expect: { status: 'ok' },
  },
  {
    name: 'no comment where the rule has one -> update (ufw replaces it, clearing the comment)',
    args: { rule: 'allow', port: '80,443', proto: 'tcp' },
    facts: { [K]: state({ rules: [web] }) },
    expect: { status: 'changed' },
  },
  { name: 'limit 22/tcp present -> ok', args: { rule: 'limit', port: '22', proto: 'tcp' }, facts: { [K]: state({ rules: [ssh] }) }, expect: { status: 'ok' } },
  {
    name: 'same selector, other action -> update (ufw replaces it in place)',
    args: { rule: 'deny', port: '80,443', proto: 'tcp', comment: 'web' },
    facts: { [K]: state({ rules: [web] }) },
    expect: {
      status: 'changed',
      scriptMatches: [/ufw deny in proto tcp/],
      diff: [
        {
          label: 'ufw rules',
          before: 'allow in port 80,443/tcp from 0.0.0.0/0 to 0.0.0.0/0 # web\n',
          after: 'deny in port 80,443/tcp from 0.0.0.0/0 to 0.0.0.0/0 # web\n',
        },
      ],
    },
  },
  {
    name: 'comment drift -> update',
    args: { rule: 'allow', port: '80,443', proto: 'tcp', comment: 'http' },
    facts: { [K]: state({ rules: [web] }) },
    expect: { status: 'changed' },
  },
  {
    name: 'source CIDR is normalized like ufw writes it',
    args: { rule: 'allow', port: '3306', proto: 'tcp', from: '10.0.0.7/8' },
    facts: { [K]: state({ rules: [rule('allow tcp 3306 0.0.0.0/0 any 10.0.0.0/8 in')] }) },
    expect: { status: 'ok' },
  },
  {
    name: 'a /32 host equals the bare address',
    args: { rule: 'allow', port: '3306', proto: 'tcp', from: '10.0.0.7/32' },
    facts: { [K]: state({ rules: [rule('allow tcp 3306 0.0.0.0/0 any 10.0.0.7 in')] }) },
    expect: { status: 'ok' },
  },
  {
    name: 'an IPv6 source is matched in user6.rules',
    args: { rule: 'allow', port: '22', proto: 'tcp', from: 'fd00::/8' },
    facts: { [K]: state({ rules: [rule('allow tcp 22 ::/0 any fd00::/8 in', true)] }) },
    expect: { status: 'ok' },
  },
  {
    name: 'port range',
    args: { rule: 'allow', port: '6000:6007', proto: 'udp' },
    facts: { [K]: state() },
    expect: { status: 'changed', scriptMatches: [/ufw allow in proto udp from any to any port 6000:6007/] },
  },
  {
    name: 'port range without proto -> error',
    args: { rule: 'allow', port: '6000:6007' },
    facts: { [K]: state() },
    expect: { status: 'error', error: /needs proto tcp or udp/ },
  },
  {
    name: 'delete an existing rule (its comment does not matter)',
    args: { rule: 'allow', port: '80,443', proto: 'tcp', delete: true },
    facts: { [K]: state({ rules: [ssh, web] }) },
    expect: { status: 'changed', scriptMatches: [/^ufw delete allow in proto tcp from any to any port 80,443$/m] },
  },
  {
    name: 'delete a rule that is not there -> ok',
    args: { rule: 'allow', port: '8080', proto: 'tcp', delete: true },
    facts: { [K]: state({ rules: [web] }) },
    expect: { status: 'ok' },
  },
  {
    name: 'deleting the only ssh rule while enabled -> error',
    args: { rule: 'limit', port: '22', proto: 'tcp', delete: true },
    facts: { [K]: state({ enabled: true, rules: [ssh, web] }) },
    expect: { status: 'error', error: /ssh/ },
  },
  // settings
  {
    name: 'enable with an ssh rule -> defaults then --force enable, with a settings diff',
    args: { state: 'enabled', default_incoming: 'deny', default_outgoing: 'allow', logging: 'on' },
    facts: { [K]: state({ rules: [ssh], defaultIncoming: 'allow' }) },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/ufw default deny incoming\n(.*\n)*ufw --force enable/],
      diff: [{ label: 'ufw', before: 'state=disabled\ndefault_incoming=allow\n', after: 'state=enabled\ndefault_incoming=deny\n' }],
    },
  },
  {
    name: 'already enabled with the same settings -> ok',
    args: { state: 'enabled', default_incoming: 'deny', logging: 'low' },
    facts: { [K]: state({ enabled: true, rules: [ssh] }) },
    expect: { status: 'ok' },
  },
  {
    name: 'enable without an ssh rule -> refused (no lockout)',
    args: { state: 'enabled' },
    facts: { [K]: state({ rules: [web] }) },
    expect: { status: 'error', error: /refusing to enable ufw[\s\S]*hint: add a rule/ },
  },
  {
    name: 'sshd on 2222: a rule for 22 is not enough',
    args: { state: 'enabled' },
    facts: { [K]: state({ rules: [ssh], sshPorts: [2222] }) },
    expect: { status: 'error', error: /port 2222/ },
  },
  {
    name: 'a range covering the ssh port counts',
    args: { state: 'enabled' },
    facts: { [K]: state({ rules: [rule('allow tcp 2000:3000 0.0.0.0/0 any 0.0.0.0/0 in')], sshPorts: [2222] }) },
    expect: { status: 'changed' },
  },
  {
    name: 'default incoming allow: enabling cannot lock out',
    args: { state: 'enabled', default_incoming: 'allow' },
    facts: { [K]: state() },
    expect: { status: 'changed' },
  },
  {
    name: 'check mode: rules pending from earlier tasks -> would enable',
    args: { state: 'enabled' },
    facts: { [K]: state() },
    ctx: { mayChange: () => true },
    expect: { status: 'changed', scriptMatches: [/ufw --force enable/] },
  },
  { name: 'disable', args: { state: 'disabled' }, facts: { [K]: state({ enabled: true }) }, expect: { status: 'changed', scriptMatches: [/^ufw disable$/m] } },
  // the running firewall (issue 17): ENABLED=yes in ufw.conf is not a firewall
  {
    name: 'enabled in ufw.conf but nothing loaded (ufw reinstalled, ufw-init stop) -> start it: state=inactive -> state=active',
    args: { state: 'enabled' },
    facts: { [K]: state({ enabled: true, rules: [ssh], live: live(false, 0, 3) }) },
    expect: {
      status: 'changed',
      scriptMatches: [/^ufw --force disable >\/dev\/null\n(.*\n)*ufw --force enable$/m],
      diff: [{ label: 'ufw', before: 'state=inactive\n', after: 'state=active\n' }],
      invalidates: ['ufw:state'],
    },
  },
  {
    name: 'configured on, not running, no ssh rule -> refused (starting it would lock plumb out)',
    args: { state: 'enabled' },
    facts: { [K]: state({ enabled: true, rules: [web], live: live(false, 0, 3) }) },
    expect: { status: 'error', error: /refusing to enable ufw/ },
  },
  {
    name: 'running with fewer rules than its files (a flushed chain) -> ufw reload (enable would not reload)',
    args: { state: 'enabled' },
    facts: { [K]: state({ enabled: true, rules: [ssh], live: live(true, 2, 5) }) },
    expect: { status: 'changed', scriptMatches: [/^ufw reload$/m], diff: [{ label: 'ufw', before: 'loaded_rules=2\n', after: 'loaded_rules=5\n' }] },
  },
  {
    name: 'running with INPUT accepting (iptables -P INPUT ACCEPT) while ufw says deny -> ufw reload',
    args: { state: 'enabled' },
    facts: { [K]: state({ enabled: true, rules: [ssh], live: live(true, 3, 3, { incoming: 'allow' }) }) },
    expect: {
      status: 'changed',
      scriptMatches: [/^ufw reload$/m],
      diff: [{ label: 'ufw', before: 'policy_in_force_incoming=allow\n', after: 'policy_in_force_incoming=deny\n' }],
    },
  },
  {
    name: "a reject policy is DROP in force (plus ufw's REJECT rule) -> ok",
    args: { state: 'enabled' },
    facts: { [K]: state({ enabled: true, rules: [ssh], defaultIncoming: 'reject', live: live(true) }) },
    expect: { status: 'ok' },
  },
  {
    name: 'a settings task without state does not judge the running firewall',
    args: { default_incoming: 'deny' },
    facts: { [K]: state({ enabled: true, rules: [ssh], live: live(false, 0, 3) }) },
    expect: { status: 'ok' },
  },
  {
    name: 'kernel tables unreadable (live null) -> ufw.conf decides, as before',
    args: { state: 'enabled' },
    facts: { [K]: state({ enabled: true, rules: [ssh], live: null }) },
    expect: { status: 'ok' },
  },
  {
    name: 'disabled in ufw.conf but still loaded -> ufw disable: state=active -> state=inactive',
    args: { state: 'disabled' },
    facts: { [K]: state({ enabled: false, live: live(true, 3, 3) }) },
    expect: { status: 'changed', scriptMatches: [/^ufw disable$/m], diff: [{ label: 'ufw', before: 'state=active\n', after: 'state=inactive\n' }] },
  },
  { name: 'disabled and not loaded -> ok', args: { state: 'disabled' }, facts: { [K]: state() }, expect: { status: 'ok' } },
  {
    name: 'logging drift',
    args: { logging: 'medium' },
    facts: { [K]: state() },
    expect: { status: 'changed', scriptMatches: [/ufw logging medium/], diff: [{ label: 'ufw', before: 'logging=low\n', after: 'logging=medium\n' }] },
  },
  { name: 'ufw not installed -> error', args: { state: 'enabled' }, facts: { [K]: { installed: false } }, expect: { status: 'error', error: /not installed/ } },
  {
    name: 'ufw not installed yet in check mode (apt pending) -> would change',
    args: { rule: 'allow', port: '22', proto: 'tcp' },
    facts: { [K]: { installed: false } },
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
  {
    name: 'rules unreadable without become -> error',
    args: { rule: 'allow', port: '22' },
    facts: { [K]: state({ readable: false }) },
    expect: { status: 'error', error: /become/ },
  },
];

describe('modules/ufw', () => {
  runTable(ufw, cases);
  runSchemaTable(ufw, [
    { name: 'settings', args: { state: 'enabled', default_incoming: 'deny' }, valid: true },
    { name: 'rule with a numeric port', args: { rule: 'allow', port: 22, proto: 'tcp', from: '10.0.0.0/8' }, valid: true },
    { name: 'rule with a port list', args: { rule: 'allow', port: '80,443', proto: 'tcp' }, valid: true },
    { name: 'rule + settings mixed', args: { rule: 'allow', port: '22', state: 'enabled' }, valid: false, message: /cannot also change settings/ },
    { name: 'a rule matching everything', args: { rule: 'allow' }, valid: false },
    { name: 'a rule with only a source', args: { rule: 'allow', from: '10.0.0.0/8' }, valid: true },
    { name: 'port without rule', args: { port: '22' }, valid: false, message: /ufw needs rule/ },
    { name: 'empty', args: {}, valid: false },
    { name: 'bad port', args: { rule: 'allow', port: 'ssh' }, valid: false, message: /port is a number/ },
    { name: 'bad address', args: { rule: 'allow', port: '22', from: 'example.com' }, valid: false, message: /address/ },
    { name: 'unknown key', args: { rule: 'allow', port: '22', interface: 'eth0' }, valid: false, message: /'interface'/ },
    { name: 'policy typo', args: { default_incoming: 'drop' }, valid: false },
  ]);
  it('normalizes addresses as ufw stores them', () => {
    expect(normalizeAddr(undefined, false)).to.equal('0.0.0.0/0');
    expect(normalizeAddr('any', true)).to.equal('::/0');
    expect(normalizeAddr('192.168.1.77/24', false)).to.equal('192.168.1.0/24');
    expect(normalizeAddr('10.1.2.3/32', false)).to.equal('10.1.2.3');
    expect(normalizeAddr('0.0.0.0/0', false)).to.equal('0.0.0.0/0');
    expect(normalizeAddr('FD00::1/128', true)).to.equal('fd00::1');
  });
});
