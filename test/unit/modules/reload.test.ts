// The bind pre-check of a reload or restart (src/modules/common/reload.ts): the awk that
// compares the addresses a configuration listens on with the sockets other processes hold,
// run for real on data tables of `ss -Hltnp` lines; and the confirmation after the signal,
// the generated script run against a stub systemctl. The whole script is run on the lab
// (test/integration/reload.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CONFIRM_TENTHS, CONFLICTS_AWK, reloadScript, restartScript, SETTLE_TENTHS } from '../../../src/modules/common/reload.js';

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

// The confirmation after the signal, for units that are neither HAProxy nor Nginx: the whole
// generated script run by sh against a stub systemctl that answers each `show -p ActiveState
// -p MainPID` poll with the next line of a table (the last line repeats), and a stub sleep
// (no wait). The stubs use shell builtins only: 300 polls take about a second. The main PID is one no process has, so the bind pre-check is skipped.
interface Confirm {
  name: string;
  verb: 'reload' | 'restart';
  /** The unit's Type= (simple, exec and idle must stay up SETTLE_TENTHS). */
  type: string;
  /** "ActiveState MainPID", one per poll after the signal. */
  polls: string[];
  /** What `systemctl reload|restart` says and exits with when it fails. */
  refused?: string;
  code: number;
  message?: RegExp;
  /** How many polls it took (a unit without readiness is watched until it held SETTLE_TENTHS). */
  polled?: number;
}

const MAIN = 999_990;
const cycling = Array.from({ length: 2 * CONFIRM_TENTHS }, (_, i) => (i % 2 ? 'activating 0' : `active ${MAIN + i}`));
const confirms: Confirm[] = [
  { name: 'restart: a simple unit that stays up', verb: 'restart', type: 'simple', polls: [`active ${MAIN}`], code: 0, polled: SETTLE_TENTHS + 1 },
  {
    name: 'restart: a simple unit that dies after systemd called it started',
    verb: 'restart',
    type: 'simple',
    polls: [`active ${MAIN}`, `active ${MAIN}`, `active ${MAIN}`, 'failed 0'],
    code: 5,
    message: /^plumb-t is failed 0\.3 s after the restart$/m,
  },
  {
    name: 'restart: an exec unit that Restart= keeps starting again never settles',
    verb: 'restart',
    type: 'exec',
    polls: cycling,
    code: 5,
    message: new RegExp(`^plumb-t did not become active within ${CONFIRM_TENTHS / 10} s of the restart \\(last: a`, 'm'),
  },
  {
    name: 'restart: a simple unit up again under a new main process, then stable',
    verb: 'restart',
    type: 'simple',
    polls: ['activating 0', `active ${MAIN}`, 'activating 0', `active ${MAIN + 1}`],
    code: 0,
    polled: 3 + SETTLE_TENTHS + 1,
  },
  {
    name: 'restart: a notify unit active at once (systemd waited for READY)',
    verb: 'restart',
    type: 'notify',
    polls: [`active ${MAIN}`, 'failed 0'],
    code: 0,
    polled: 1,
  },
  {
    name: 'restart: a notify unit failed at once',
    verb: 'restart',
    type: 'notify',
    polls: ['failed 0'],
    code: 5,
    message: /^plumb-t is failed 0\.0 s after the restart$/m,
  },
  {
    name: 'restart refused by systemd',
    verb: 'restart',
    type: 'simple',
    polls: ['failed 0'],
    refused: 'Job for plumb-t.service failed because the control process exited with error code.',
    code: 1,
    message: /^Job for plumb-t\.service failed.*\nthe restart of plumb-t failed: systemctl restart exited 1$/m,
  },
  { name: 'reload: a simple unit that keeps its main process', verb: 'reload', type: 'simple', polls: [`active ${MAIN}`], code: 0, polled: SETTLE_TENTHS + 1 },
  {
    name: 'reload: ExecReload fails',
    verb: 'reload',
    type: 'simple',
    polls: [`active ${MAIN}`],
    refused: 'Job for plumb-t.service failed because the control process exited with error code.',
    code: 1,
    message: /^Job for plumb-t\.service failed.*\nthe reload of plumb-t failed: systemctl reload exited 1$/m,
  },
  {
    name: 'reload: a simple unit whose main process died of the reload and was started again',
    verb: 'reload',
    type: 'simple',
    polls: [`active ${MAIN}`, `active ${MAIN}`, `active ${MAIN + 7}`],
    code: 5,
    message: new RegExp(`^the reload of plumb-t did not take: its main process ${MAIN} is gone \\(0\\.2 s after the reload\\), now ${MAIN + 7}$`, 'm'),
  },
  {
    name: 'reload: a unit stopped by its reload',
    verb: 'reload',
    type: 'forking',
    polls: ['inactive 0'],
    code: 5,
    message: /^plumb-t is inactive 0\.0 s after the reload$/m,
  },
  { name: 'reload: a forking unit active after it', verb: 'reload', type: 'forking', polls: [`active ${MAIN}`], code: 0, polled: 1 },
];

const STUB = `#!/bin/sh
case "$*" in
  "show -p MainPID --value -- "*) echo "$MAIN0" ;;
  "show -p Type --value -- "*) echo "$TYPE" ;;
  "show -p ActiveState -p MainPID -- "*)
    n=0; [ -e "$D/n" ] && read -r n < "$D/n"; n=$((n + 1)); echo $n > "$D/n"
    i=0; while read -r l; do line=$l; i=$((i + 1)); [ $i -ge $n ] && break; done < "$D/polls"
    set -- $line; echo "MainPID=$2"; echo "ActiveState=$1" ;;
  reload*|restart*) if [ -n "$REFUSED" ]; then echo "$REFUSED" >&2; exit 1; fi ;;
  *) echo "stub systemctl: unexpected $*" >&2; exit 99 ;;
esac
`;

describe('modules/common/reload: the confirmation after the signal', () => {
  let bin: string;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), 'plumb-reload-'));
    writeFileSync(join(bin, 'systemctl'), STUB, { mode: 0o755 });
    writeFileSync(join(bin, 'journalctl'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(join(bin, 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  for (const c of confirms) {
    it(c.name, () => {
      const d = mkdtempSync(join(bin, 'case-'));
      writeFileSync(join(d, 'polls'), c.polls.join('\n') + '\n');
      const text = (c.verb === 'reload' ? reloadScript : restartScript)('plumb-t').text;
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, D: d, MAIN0: String(MAIN), TYPE: c.type, REFUSED: c.refused ?? '' };
      const r = spawnSync('sh', ['-c', text], { env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).to.equal(c.code);
      if (c.message) expect(r.stderr).to.match(c.message);
      else expect(r.stderr).to.equal('');
      if (c.polled !== undefined) expect(Number(readFileSync(join(d, 'n'), 'utf8')), 'polls').to.equal(c.polled);
    });
  }
});
