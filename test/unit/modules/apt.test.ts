import apt, { type AptArgs } from '../../../src/modules/apt.js';
import type { PkgState } from '../../../src/facts/pkg.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const inst = (version: string): PkgState => ({ status: 'ii', installed: true, version });
const none: PkgState = { status: '', installed: false };
const rc: PkgState = { status: 'rc', installed: false };

const cases: Case<AptArgs>[] = [
  {
    name: 'absent -> ONE apt-get install for all missing packages, noninteractive',
    args: { name: ['nginx', 'haproxy', 'curl'] },
    facts: { 'pkg:curl,haproxy,nginx': { nginx: none, haproxy: none, curl: inst('7.88') } },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [
        /export DEBIAN_FRONTEND=noninteractive/,
        /apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=300 --no-install-recommends nginx haproxy$/m,
      ],
      diff: [{ label: 'packages', before: 'nginx: absent\nhaproxy: absent\n', after: 'nginx: present\nhaproxy: present\n' }],
      invalidates: ['*'],
    },
  },
  { name: 'present -> ok', args: { name: 'nginx', state: 'present' }, facts: { 'pkg:nginx': { nginx: inst('1.22') } }, expect: { status: 'ok' } },
  {
    name: 'install_recommends: true',
    args: { name: 'nginx', install_recommends: true },
    facts: { 'pkg:nginx': { nginx: none } },
    expect: { status: 'changed', scriptMatches: [/--install-recommends nginx/] },
  },
  { name: 'arch-qualified name', args: { name: 'libc6:amd64' }, facts: { 'pkg:libc6:amd64': { 'libc6:amd64': inst('2.36') } }, expect: { status: 'ok' } },
  {
    name: 'absent state: installed -> remove',
    args: { name: ['nginx', 'apache2'], state: 'absent' },
    facts: { 'pkg:apache2,nginx': { nginx: none, apache2: inst('2.4') } },
    expect: {
      status: 'changed',
      scriptMatches: [/apt-get remove -y -q .* apache2$/m],
      diff: [{ label: 'packages', before: 'apache2: 2.4\n', after: 'apache2: absent\n' }],
    },
  },
  {
    name: 'absent state: not installed -> ok',
    args: { name: 'apache2', state: 'absent' },
    facts: { 'pkg:apache2': { apache2: none } },
    expect: { status: 'ok' },
  },
  // A package dpkg knows but has not fully installed is not "absent": the diff says what it is (issue 17).
  {
    name: 'half-configured (iF) -> install completes it; the diff says half-configured',
    args: { name: 'curl' },
    facts: { 'pkg:curl': { curl: { status: 'iF', installed: false } } },
    expect: {
      status: 'changed',
      scriptMatches: [/apt-get install .* curl$/m],
      diff: [{ label: 'packages', before: 'curl: half-configured (dpkg iF)\n', after: 'curl: present\n' }],
    },
  },
  {
    name: 'unpacked, not configured (iU) -> install',
    args: { name: 'curl' },
    facts: { 'pkg:curl': { curl: { status: 'iU', installed: false } } },
    expect: { status: 'changed', diff: [{ label: 'packages', before: 'curl: unpacked, not configured (dpkg iU)\n', after: 'curl: present\n' }] },
  },
  {
    name: 'removed, config files left (rc) -> install; the diff says so',
    args: { name: 'apache2' },
    facts: { 'pkg:apache2': { apache2: rc } },
    expect: { status: 'changed', diff: [{ label: 'packages', before: 'apache2: config files only (dpkg rc)\n', after: 'apache2: present\n' }] },
  },
  {
    name: 'absent state: removed with config left -> ok without purge',
    args: { name: 'apache2', state: 'absent' },
    facts: { 'pkg:apache2': { apache2: rc } },
    expect: { status: 'ok' },
  },
  {
    name: 'purge: config files left -> purge',
    args: { name: 'apache2', state: 'absent', purge: true },
    facts: { 'pkg:apache2': { apache2: rc } },
    expect: { status: 'changed', scriptMatches: [/apt-get purge .* apache2$/m] },
  },
  {
    name: 'latest: installed older than candidate -> upgrade, with versions in the diff',
    args: { name: 'nginx', state: 'latest' },
    facts: { 'pkg:nginx': { nginx: inst('1.22.1-9') }, 'pkg:nginx#candidate': { nginx: '1.22.1-9+deb12u1' } },
    expect: {
      status: 'changed',
      scriptMatches: [/apt-get install .* nginx$/m],
      diff: [{ label: 'packages', before: 'nginx: 1.22.1-9\n', after: 'nginx: 1.22.1-9+deb12u1\n' }],
    },
  },
  {
    name: 'latest: at candidate -> ok',
    args: { name: 'nginx', state: 'latest' },
    facts: { 'pkg:nginx': { nginx: inst('1.2') }, 'pkg:nginx#candidate': { nginx: '1.2' } },
    expect: { status: 'ok' },
  },
  {
    name: 'update_cache + missing package: update, then install',
    args: { name: 'nginx', update_cache: true },
    facts: { 'pkg:nginx': { nginx: none } },
    expect: {
      status: 'changed',
      changes: 2,
      scriptMatches: [/apt-get update -q[\s\S]*touch \/var\/lib\/apt\/periodic\/update-success-stamp[\s\S]*apt-get install/],
      invalidates: ['apt:cache'],
    },
  },
  {
    name: 'update_cache without cache_valid_time, nothing to install -> ok (a converged host stays ok)',
    args: { name: 'nginx', update_cache: true },
    facts: { 'pkg:nginx': { nginx: inst('1') } },
    expect: { status: 'ok' },
  },
  {
    name: 'cache_valid_time: fresh cache -> ok',
    args: { name: 'nginx', update_cache: true, cache_valid_time: 3600 },
    facts: { 'pkg:nginx': { nginx: inst('1') }, 'apt:cache': 120 },
    expect: { status: 'ok' },
  },
  {
    name: 'cache_valid_time: stale cache -> update is a change of its own',
    args: { name: 'nginx', update_cache: true, cache_valid_time: 3600 },
    facts: { 'pkg:nginx': { nginx: inst('1') }, 'apt:cache': 7200 },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/apt-get update/],
      scriptNotMatches: [/apt-get install/],
      diff: [{ label: 'apt cache', before: 'stale\n', after: 'updated\n' }],
    },
  },
  {
    name: 'cache_valid_time: fresh cache + missing package -> install without a refresh',
    args: { name: 'nginx', update_cache: true, cache_valid_time: 3600 },
    facts: { 'pkg:nginx': { nginx: none }, 'apt:cache': 10 },
    expect: { status: 'changed', changes: 1, scriptNotMatches: [/apt-get update/] },
  },
  {
    name: 'cache_valid_time: never updated (empty lists) -> update',
    args: { update_cache: true, cache_valid_time: 3600 },
    facts: { 'apt:cache': null },
    expect: { status: 'changed', scriptMatches: [/apt-get update/] },
  },
  { name: 'bare update_cache -> always updates', args: { update_cache: true }, facts: {}, expect: { status: 'changed', scriptMatches: [/apt-get update/] } },
  {
    name: 'latest with a stale cache: the candidate may move, so apt-get decides',
    args: { name: 'nginx', state: 'latest', update_cache: true, cache_valid_time: 60 },
    facts: { 'pkg:nginx': { nginx: inst('1.2') }, 'pkg:nginx#candidate': { nginx: '1.2' }, 'apt:cache': 7200 },
    expect: { status: 'changed', changes: 2, scriptMatches: [/apt-get update/, /apt-get install .* nginx$/m] },
  },
];

describe('modules/apt', () => {
  runTable(apt, cases);
  runSchemaTable(apt, [
    { name: 'one name', args: { name: 'nginx' }, valid: true },
    { name: 'a list of names', args: { name: ['nginx', 'haproxy'], state: 'latest' }, valid: true },
    { name: 'update_cache only', args: { update_cache: true, cache_valid_time: 3600 }, valid: true },
    { name: 'nothing', args: {}, valid: false },
    { name: 'empty list', args: { name: [] }, valid: false },
    { name: 'shell in a name', args: { name: 'nginx; rm -rf /' }, valid: false, message: /package name/ },
    { name: 'an option as a name', args: { name: '--allow-unauthenticated' }, valid: false },
    { name: 'bad state', args: { name: 'nginx', state: 'installed' }, valid: false },
    { name: 'unknown key', args: { name: 'nginx', force: true }, valid: false, message: /'force'/ },
    { name: 'cache_valid_time as a string', args: { update_cache: true, cache_valid_time: '3600' }, valid: false },
  ]);
});
