import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseTuple, parseUfw, ufwFact } from '../../../src/facts/ufw.js';
import { gather } from './local.js';

const CONF = 'ENABLED=yes\nLOGLEVEL=low\n';
const DEFAULT = '# comment\nIPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\nDEFAULT_FORWARD_POLICY="DROP"\n';
const RULES4 = `*filter
### RULES ###

### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in
-A ufw-user-input -p tcp --dport 22 -j ufw-user-limit

### tuple ### allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 in comment=776562
-A ufw-user-input -p tcp -m multiport --dports 80,443 -j ACCEPT

### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in
### tuple ### deny_log any any 0.0.0.0/0 any 203.0.113.0/24 in_eth0
### tuple ### route:allow tcp 8080 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1
### END RULES ###
`;

describe('facts/ufw', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const tuples: { name: string; line: string; expected: Record<string, unknown> | null }[] = [
    {
      name: 'plain port rule',
      line: '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in',
      expected: { action: 'allow', log: '', proto: 'tcp', dport: '22', src: '0.0.0.0/0', direction: 'in', comment: '', dapp: '' },
    },
    { name: 'hex comment', line: '### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in comment=68747470207331', expected: { comment: 'http s1' } },
    {
      name: 'logged action',
      line: '### tuple ### deny_log-all udp 53 0.0.0.0/0 any 10.0.0.0/8 in',
      expected: { action: 'deny', log: 'log-all', src: '10.0.0.0/8' },
    },
    {
      name: 'application profile',
      line: '### tuple ### allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 Nginx%20Full - in',
      expected: { dapp: 'Nginx Full', sapp: '', direction: 'in', dport: '80,443' },
    },
    { name: 'route rule', line: '### tuple ### route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1', expected: { route: true, action: 'allow' } },
    { name: 'old format without direction', line: '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0', expected: { direction: 'in' } },
    { name: 'not a tuple', line: '-A ufw-user-input -j ACCEPT', expected: null },
  ];
  for (const c of tuples) {
    it(`parse tuple: ${c.name}`, () => {
      const r = parseTuple(c.line, false);
      if (c.expected === null) expect(r).to.equal(null);
      else expect(r).to.deep.include(c.expected);
    });
  }

  const states: { name: string; stdout: string; code: number; expected: Record<string, unknown> }[] = [
    { name: 'not installed', stdout: '@missing\n', code: 0, expected: { installed: false } },
    {
      name: 'inactive, fresh install',
      stdout: `@conf\nENABLED=no\nLOGLEVEL=low\n@default\n${DEFAULT}@rules4\n@rules6\n@sshd\n`,
      code: 0,
      expected: {
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
      },
    },
    {
      name: 'enabled, rules, sshd -T ports',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n@rules6\n### tuple ### limit tcp 22 ::/0 any ::/0 in\n@sshd\nport 22\nport 2222\n`,
      code: 0,
      expected: { enabled: true, sshPorts: [22, 2222] },
    },
    {
      name: 'unreadable rules (no become)',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n@unreadable\n@rules6\n@unreadable\n@sshd\n`,
      code: 0,
      expected: { readable: false },
    },
    {
      name: 'logging on means low; policies ACCEPT/REJECT',
      stdout: '@conf\nENABLED=yes\nLOGLEVEL=on\n@default\nDEFAULT_INPUT_POLICY="REJECT"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\nIPV6=no\n@rules4\n@rules6\n@sshd\n',
      code: 0,
      expected: { logging: 'low', defaultIncoming: 'reject', ipv6: false },
    },
    {
      name: 'live: chains loaded and hooked, rule counts from the files and the kernel',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n-A ufw-user-input -p tcp --dport 22 -j ufw-user-limit\n-A ufw-user-limit -j REJECT\n@rules6\n-A ufw6-user-limit -j REJECT\n@live4\n-N ufw-user-input\n-A INPUT -j ufw-before-logging-input\n-A ufw-user-input -p tcp -m tcp --dport 22 -j ufw-user-limit\n-A ufw-user-limit -j REJECT --reject-with icmp-port-unreachable\n@live6\n-N ufw6-user-input\n-A INPUT -j ufw6-before-logging-input\n-A ufw6-user-limit -j REJECT\n@sshd\n`,
      code: 0,
      expected: { enabled: true, live: { active: true, loadedRules: 3, fileRules: 3, policies: { incoming: '', outgoing: '', routed: '' } } },
    },
    {
      name: 'live: ENABLED=yes but no ufw chain in the kernel (reinstalled, ufw-init stop)',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n@rules6\n@live4\n@live6\n@sshd\n`,
      code: 0,
      expected: { enabled: true, live: { active: false, loadedRules: 0, fileRules: 1, policies: { incoming: '', outgoing: '', routed: '' } } },
    },
    {
      name: 'live: chains exist but INPUT no longer jumps to them (iptables -F INPUT)',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n@rules6\n@live4\n-N ufw-user-input\n@live6\n-N ufw6-user-input\n-A INPUT -j ufw6-before-logging-input\n@sshd\n`,
      code: 0,
      expected: { live: { active: false, loadedRules: 0, fileRules: 0, policies: { incoming: '', outgoing: '', routed: '' } } },
    },
    {
      name: 'live: IPV6=no, ip6tables is not consulted',
      stdout: `@conf\n${CONF}@default\nIPV6=no\n@rules4\n@rules6\n-A ufw6-user-input -j ACCEPT\n@live4\n-P INPUT DROP\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N ufw-user-input\n-A INPUT -j ufw-before-logging-input\n@live6\n!noaccess\n@sshd\n`,
      code: 0,
      expected: { ipv6: false, live: { active: true, loadedRules: 0, fileRules: 0, policies: { incoming: 'deny', outgoing: 'allow', routed: 'deny' } } },
    },
    {
      name: 'sshd config says 2222 but this connection came in on 22 (sshd not restarted): both ports count',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n@rules6\n@sshd\nport 2222\n@conn\n22\n`,
      code: 0,
      expected: { sshPorts: [2222, 22] },
    },
    {
      name: 'no sshd config port, connected on 2200: 22 (the default) and 2200',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n@rules6\n@sshd\n@conn\n2200\n`,
      code: 0,
      expected: { sshPorts: [22, 2200] },
    },
    {
      name: 'live: iptables cannot be read (no become) -> null',
      stdout: `@conf\n${CONF}@default\n${DEFAULT}@rules4\n@rules6\n@live4\n!noaccess\n@live6\n!noaccess\n@sshd\n`,
      code: 0,
      expected: { live: null },
    },
  ];
  for (const c of states) it(`parse: ${c.name}`, () => expect(parseUfw(c.stdout)).to.deep.include(c.expected));

  describe('probe runs for real against fixture files', () => {
    let root = '';
    before(() => {
      root = mkdtempSync(join(tmpdir(), 'plumb-ufw-'));
      for (const d of ['usr/sbin', 'etc/ufw', 'etc/default', 'etc/ssh']) mkdirSync(join(root, d), { recursive: true });
      writeFileSync(join(root, 'usr/sbin/ufw'), '#!/bin/sh\nexit 0\n');
      chmodSync(join(root, 'usr/sbin/ufw'), 0o755);
      // The kernel's view: IPv4 loaded with one user rule, IPv6 not loaded.
      writeFileSync(
        join(root, 'usr/sbin/iptables'),
        "#!/bin/sh\nprintf '%s\\n' '-P INPUT DROP' '-N ufw-user-input' '-A INPUT -j ufw-before-logging-input' '-A ufw-user-input -p tcp -m tcp --dport 22 -j ufw-user-limit'\n",
      );
      writeFileSync(join(root, 'usr/sbin/ip6tables'), "#!/bin/sh\nprintf '%s\\n' '-P INPUT ACCEPT'\n");
      chmodSync(join(root, 'usr/sbin/iptables'), 0o755);
      chmodSync(join(root, 'usr/sbin/ip6tables'), 0o755);
      writeFileSync(join(root, 'etc/ufw/ufw.conf'), CONF);
      writeFileSync(join(root, 'etc/default/ufw'), DEFAULT);
      writeFileSync(join(root, 'etc/ufw/user.rules'), RULES4);
      writeFileSync(join(root, 'etc/ufw/user6.rules'), '*filter\n### RULES ###\n\n### tuple ### limit tcp 22 ::/0 any ::/0 in\n### END RULES ###\n');
      writeFileSync(join(root, 'etc/ssh/sshd_config'), '#Port 22\nPort 2222\n');
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    it('reads settings, v4 and v6 tuples and the sshd port from files, without calling ufw', () => {
      const st = gather(ufwFact(root));
      expect(st).to.deep.include({ installed: true, readable: true, enabled: true, defaultIncoming: 'deny', logging: 'low', sshPorts: [2222] });
      // RULES4 has two chain lines; v6 is not loaded, so the firewall is not fully active.
      expect(st).to.deep.include({ live: { active: false, loadedRules: 1, fileRules: 2, policies: { incoming: 'deny', outgoing: '', routed: '' } } });
      if (!st.installed) throw new Error('unreachable');
      expect(st.rules.map((r) => `${r.v6 ? '6' : '4'} ${r.action} ${r.dport} ${r.direction}${r.comment ? ` ${r.comment}` : ''}`)).to.deep.equal([
        '4 limit 22 in',
        '4 allow 80,443 in web',
        '4 allow 22 in',
        '4 deny any in_eth0',
        '4 allow 8080 in_eth0!out_eth1',
        '6 limit 22 in',
      ]);
    });
    it('no ufw binary -> not installed', () => {
      const st = gather(ufwFact(join(root, 'etc')));
      // The real host may have ufw; the fixture root without usr/sbin/ufw only proves the fallback.
      if (st.installed) expect(st.rules).to.deep.equal([]);
      else expect(st).to.deep.equal({ installed: false });
    });
  });
});
