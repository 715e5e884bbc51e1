// ufw:state — ufw's configuration read from its own files (user.rules holds every rule as a
// "### tuple ###" line whether or not the firewall is enabled, which `ufw status` does not
// show), AND the firewall the kernel runs: `iptables -S` / `ip6tables -S` (3 ms each, where
// `ufw status` costs a Python start). A config that says ENABLED=yes proves nothing: after
// `apt-get remove ufw` or `ufw-init stop` the file stays and no rule is loaded.
import { raw, script, sh } from '../sh.js';
import type { Fact } from './types.js';

export type UfwPolicy = 'allow' | 'deny' | 'reject';

export interface UfwRule {
  action: string; // allow | deny | reject | limit
  log: string; // '' | log | log-all
  route: boolean;
  proto: string; // tcp | udp | any | ...
  dport: string; // '22', '80,443', '6000:6007', 'any'
  dst: string; // '0.0.0.0/0', '::/0', '10.0.0.0/8', ...
  sport: string;
  src: string;
  direction: string; // 'in', 'out', 'in_eth0', ...
  dapp: string; // '' unless an application profile rule
  sapp: string;
  comment: string; // decoded
  v6: boolean; // from user6.rules
}

export type UfwState =
  | { installed: false }
  | {
      installed: true;
      /** False when /etc/ufw/user.rules exists but cannot be read (no become). */
      readable: boolean;
      enabled: boolean;
      defaultIncoming: UfwPolicy;
      defaultOutgoing: UfwPolicy;
      defaultRouted: UfwPolicy;
      logging: string; // off | low | medium | high | full
      ipv6: boolean;
      rules: UfwRule[];
      /**
       * Ports sshd listens on: its config (sshd -T, else sshd_config, else 22), and the port
       * this very connection came in on ($SSH_CONNECTION): sshd may not have been restarted
       * since its config changed, and that live port is the one plumb must not lock out.
       */
      sshPorts: number[];
      /** The running firewall; null when the kernel's tables cannot be read (no become). */
      live: UfwLive | null;
    };

/** What the kernel runs, read the way `ufw status` decides "active" (its ufw-user-input chain). */
export interface UfwLive {
  /** ufw's chains exist and INPUT jumps to them (IPv4, and IPv6 when IPV6=yes). */
  active: boolean;
  /** Rules loaded in ufw's user chains (ufw-user-*, ufw6-user-*). */
  loadedRules: number;
  /** Rules user.rules/user6.rules hold for those chains: what a (re)load puts there. */
  fileRules: number;
  /** The IPv4 chain policies in force ('' when not printed), as ufw names them: ACCEPT is allow, DROP deny. */
  policies: { incoming: string; outgoing: string; routed: string };
}

// $r is a root prefix: "" on hosts, a temp dir in tests.
const PROBE = `if ! command -v ufw >/dev/null 2>&1 && [ ! -x "$r/usr/sbin/ufw" ]; then echo @missing; exit 0; fi
echo @conf; cat "$r/etc/ufw/ufw.conf" 2>/dev/null
echo @default; cat "$r/etc/default/ufw" 2>/dev/null
for v in 4 6; do
  f="$r/etc/ufw/user.rules"; [ $v = 6 ] && f="$r/etc/ufw/user6.rules"
  echo "@rules$v"
  if [ ! -e "$f" ]; then :; elif [ -r "$f" ]; then grep -E '^(### tuple ###|-[AI] ufw6?-user-)' "$f"; else echo @unreadable; fi
done
for v in 4 6; do
  t=iptables; p=ufw; [ $v = 6 ] && { t=ip6tables; p=ufw6; }
  echo "@live$v"
  { "\${r:+$r/usr/sbin/}$t" -S 2>/dev/null || echo '!noaccess'; } | grep -E "^(!noaccess|-P [A-Z]+ |-N $p-user-input|-A INPUT -j $p-before-logging-input|-A $p-user-)"
done
echo @sshd
{ [ -z "$r" ] && { sshd -T 2>/dev/null || /usr/sbin/sshd -T 2>/dev/null; } | grep -i '^port '; } ||
  grep -iE '^[[:space:]]*Port[[:space:]]+[0-9]+' "$r/etc/ssh/sshd_config" 2>/dev/null
echo @conn
[ -z "$r" ] && [ -n "\${SSH_CONNECTION:-}" ] && printf '%s\n' "\${SSH_CONNECTION##* }"
:`;

function kv(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const r = /^\s*([A-Z_0-9]+)\s*=\s*"?([^"#]*?)"?\s*(#.*)?$/.exec(line);
    if (r?.[1] !== undefined) m.set(r[1], r[2] ?? '');
  }
  return m;
}

function policy(v: string | undefined, dflt: UfwPolicy): UfwPolicy {
  switch ((v ?? '').toUpperCase()) {
    case 'ACCEPT':
      return 'allow';
    case 'DROP':
      return 'deny';
    case 'REJECT':
      return 'reject';
    default:
      return dflt;
  }
}

function hexDecode(h: string): string {
  return /^[0-9a-fA-F]*$/.test(h) && h.length % 2 === 0 ? Buffer.from(h, 'hex').toString('utf8') : h;
}

/** Parse one "### tuple ###" line as ufw's backend writes it (with or without app fields). */
export function parseTuple(line: string, v6: boolean): UfwRule | null {
  const body = line.replace(/^### tuple ###\s*/, '').trim();
  if (body === line.trim()) return null;
  const tokens = body.split(/\s+/);
  let comment = '';
  const last = tokens[tokens.length - 1];
  if (last?.startsWith('comment=')) {
    comment = hexDecode(last.slice('comment='.length));
    tokens.pop();
  }
  if (tokens.length < 6) return null;
  const [rawAction = '', proto = '', dport = '', dst = '', sport = '', src = ''] = tokens;
  let dapp = '';
  let sapp = '';
  let direction = 'in';
  if (tokens.length >= 9) {
    dapp = tokens[6] === '-' ? '' : (tokens[6] ?? '').replace(/%20/g, ' ');
    sapp = tokens[7] === '-' ? '' : (tokens[7] ?? '').replace(/%20/g, ' ');
    direction = tokens[8] ?? 'in';
  } else if (tokens.length >= 7) {
    direction = tokens[6] ?? 'in';
  }
  const route = rawAction.startsWith('route:');
  const a = route ? rawAction.slice('route:'.length) : rawAction;
  const us = a.indexOf('_');
  return {
    action: us < 0 ? a : a.slice(0, us),
    log: us < 0 ? '' : a.slice(us + 1),
    route,
    proto,
    dport,
    dst,
    sport,
    src,
    direction,
    dapp,
    sapp,
    comment,
    v6,
  };
}

export function parseUfw(out: string): UfwState {
  const sections = new Map<string, string[]>();
  let cur = '';
  for (const line of out.split('\n')) {
    if (/^@\w+$/.test(line)) {
      cur = line.slice(1);
      sections.set(cur, []);
      continue;
    }
    sections.get(cur)?.push(line);
  }
  if (sections.has('missing') || !sections.has('conf')) return { installed: false };
  const conf = kv((sections.get('conf') ?? []).join('\n'));
  const dflt = kv((sections.get('default') ?? []).join('\n'));
  const r4 = sections.get('rules4') ?? [];
  const r6 = sections.get('rules6') ?? [];
  const rules: UfwRule[] = [];
  for (const [lines, v6] of [
    [r4, false],
    [r6, true],
  ] as const) {
    for (const l of lines) {
      const r = parseTuple(l, v6);
      if (r) rules.push(r);
    }
  }
  const ipv6 = (dflt.get('IPV6') ?? 'yes').toLowerCase() !== 'no';
  const configured = (sections.get('sshd') ?? [])
    .map((l) => /^\s*port\s+(\d+)/i.exec(l)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number);
  const connected = (sections.get('conn') ?? []).filter((l) => /^\d+$/.test(l)).map(Number);
  const ports = [...(configured.length ? configured : [22]), ...connected];
  const level = (conf.get('LOGLEVEL') ?? 'low').toLowerCase();
  return {
    installed: true,
    readable: !sections.has('unreadable'),
    enabled: (conf.get('ENABLED') ?? 'no').toLowerCase() === 'yes',
    defaultIncoming: policy(dflt.get('DEFAULT_INPUT_POLICY'), 'deny'),
    defaultOutgoing: policy(dflt.get('DEFAULT_OUTPUT_POLICY'), 'allow'),
    defaultRouted: policy(dflt.get('DEFAULT_FORWARD_POLICY'), 'deny'),
    logging: level === 'on' ? 'low' : level,
    ipv6,
    rules,
    sshPorts: [...new Set(ports)],
    live: parseLive(sections, ipv6),
  };
}

/** The @live4/@live6 sections (filtered `iptables -S`) against the rule files' chain lines. */
function parseLive(sections: ReadonlyMap<string, string[]>, ipv6: boolean): UfwLive | null {
  const families = ipv6 ? (['4', '6'] as const) : (['4'] as const);
  let active = true;
  let loadedRules = 0;
  let fileRules = 0;
  const policy = (chain: string): string => {
    const target = (sections.get('live4') ?? []).find((l) => l.startsWith(`-P ${chain} `))?.slice(`-P ${chain} `.length);
    return target === 'ACCEPT' ? 'allow' : target === 'DROP' ? 'deny' : (target ?? '').toLowerCase();
  };
  for (const v of families) {
    const lines = sections.get(`live${v}`);
    if (lines === undefined || lines.includes('!noaccess')) return null;
    const p = v === '4' ? 'ufw' : 'ufw6';
    active &&= lines.includes(`-N ${p}-user-input`) && lines.includes(`-A INPUT -j ${p}-before-logging-input`);
    loadedRules += lines.filter((l) => l.startsWith(`-A ${p}-user-`)).length;
    fileRules += (sections.get(`rules${v}`) ?? []).filter((l) => /^-[AI] /.test(l)).length;
  }
  return { active, loadedRules, fileRules, policies: { incoming: policy('INPUT'), outgoing: policy('OUTPUT'), routed: policy('FORWARD') } };
}

/** `root` only exists for tests, to read fixture files instead of /etc. */
export function ufwFact(root = ''): Fact<UfwState> {
  return { key: 'ufw:state', probe: script(sh`r=${root}`, raw(PROBE)), parse: (out: string) => parseUfw(out) };
}
