// The bind pre-check of a reload or restart (src/modules/common/reload.ts): the awk that
// compares the addresses a configuration listens on with the sockets other processes hold,
// run for real on data tables of `ss -Hltnp` lines. The whole script is run on the lab
// (test/integration/reload.test.ts).
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { CONFLICTS_AWK } from '../../../src/modules/common/reload.js';

const SSHD = 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=35,fd=3))';
const SSHD6 = 'LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=35,fd=4))';
const EXPORTER = 'LISTEN 0 4096 *:9100 *:* users:(("prometheus-node",pid=495,fd=3))';
const OWN = 'LISTEN 0 4096 0.0.0.0:443 0.0.0.0:* users:(("haproxy",pid=903,fd=9))';
const LOCAL = 'LISTEN 0 4096 127.0.0.1%lo:8080 0.0.0.0:* users:(("other",pid=77,fd=5))';
const NOPID = 'LISTEN 0 128 0.0.0.0:25 0.0.0.0:*';

interface Case {
  name: string;
  wanted: string[];
  listeners: string[];
  /** PIDs of the service itself: its sockets are no conflict. */
  own?: string[];
  conflicts: string[];
  /** `ip -o addr` addresses (none: the address check is skipped). */
  local?: string[];
  nonlocal?: Record<string, number>;
}

const cases: Case[] = [
  {
    name: 'a specific address on a port sshd holds on 0.0.0.0',
    wanted: ['127.0.0.1:22'],
    listeners: [SSHD],
    conflicts: ['127.0.0.1:22 is in use by sshd (pid 35)'],
  },
  { name: "the service's own sockets are no conflict", wanted: [':443', '*:443'], listeners: [OWN], own: ['/proc/903'], conflicts: [] },
  { name: 'another process on the same port and address', wanted: [':443'], listeners: [OWN], conflicts: ['0.0.0.0:443 is in use by haproxy (pid 903)'] },
  {
    name: 'a dual-stack * listener covers IPv4 and IPv6',
    wanted: ['127.0.0.1:9100', '[::1]:9100', 'ipv6@:::9100'],
    listeners: [EXPORTER],
    conflicts: [
      '127.0.0.1:9100 is in use by prometheus-node (pid 495)',
      '[::1]:9100 is in use by prometheus-node (pid 495)',
      '[::]:9100 is in use by prometheus-node (pid 495)',
    ],
  },
  { name: 'an IPv6-only [::] listener does not cover IPv4', wanted: ['10.0.0.1:22'], listeners: [SSHD6], conflicts: [] },
  { name: 'nginx "listen 22" means every IPv4 address', wanted: ['22'], listeners: [SSHD6, SSHD], conflicts: ['0.0.0.0:22 is in use by sshd (pid 35)'] },
  {
    name: 'a wildcard wanted address meets a specific listener (with its %interface)',
    wanted: ['*:8080'],
    listeners: [LOCAL],
    conflicts: ['0.0.0.0:8080 is in use by other (pid 77)'],
  },
  { name: 'different specific addresses do not overlap', wanted: ['10.0.0.1:8080'], listeners: [LOCAL], conflicts: [] },
  { name: 'other ports do not matter', wanted: ['127.0.0.1:8404', ':80'], listeners: [SSHD, EXPORTER], conflicts: [] },
  {
    name: 'unix sockets, ranges, variables and abstract names are skipped',
    wanted: ['/run/x.sock', 'unix@/run/y', 'abns@z', ':22-23', '"${PORT}"', 'unix:/run/n.sock', 'fd@3'],
    listeners: [SSHD],
    conflicts: [],
  },
  {
    name: 'a specific address the host does not have',
    wanted: ['10.99.99.99:8404', '10.0.0.5:80', '127.0.0.2:1', '[::1]:2'],
    listeners: [],
    local: ['10.0.0.5/24', '127.0.0.1/8', '::1/128'],
    conflicts: ['10.99.99.99:8404 is not an address of this host'],
  },
  {
    name: 'an IPv6 address the host does not have',
    wanted: ['[fd00::9]:443', '[fd00::1]:443'],
    listeners: [],
    local: ['fd00::1/64'],
    conflicts: ['[fd00::9]:443 is not an address of this host'],
  },
  {
    name: 'non-local binds allowed (a keepalived floating address)',
    wanted: ['10.99.99.99:8404'],
    listeners: [],
    local: ['10.0.0.5/24'],
    nonlocal: { 4: 1, 6: 0 },
    conflicts: [],
  },
  { name: 'a listener whose process ss cannot show is not judged', wanted: [':25'], listeners: [NOPID], conflicts: [] },
];

describe('modules/common/reload: bind conflicts before a reload', () => {
  for (const c of cases) {
    it(c.name, () => {
      const input =
        [
          `P 1 ${(c.own ?? []).join(' ')}`,
          ...(c.local ?? []).map((a) => `A ${a}`),
          ...Object.entries(c.nonlocal ?? {}).map(([f, v]) => `N ${f} ${v}`),
          ...c.wanted.map((w) => `W ${w}`),
          ...c.listeners.map((l) => `L ${l}`),
        ].join('\n') + '\n';
      const r = spawnSync('awk', [CONFLICTS_AWK], { input, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      expect(
        r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.trim()),
      ).to.deep.equal(c.conflicts);
    });
  }
});
