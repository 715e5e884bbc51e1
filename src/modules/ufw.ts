// ufw: the firewall's settings (enabled, default policies, logging) or one rule. Rules are
// planned from ufw's own files (facts/ufw.ts), so they are managed while ufw is inactive;
// `state: enabled` also holds the kernel to them: a firewall that is configured on but not
// running (or running without its rules) is drift. Enabling is refused unless the ports
// sshd listens on are allowed: plumb never locks itself out.
import { sh, type Shell } from '../sh.js';
import { TaskError } from '../errors.js';
import { ufwFact, type UfwLive, type UfwPolicy, type UfwRule, type UfwState } from '../facts/ufw.js';
import { has } from './common/schema.js';
import { defineModule, definePlan, type Change, type Diff, type Plan } from './types.js';
import { steps } from './common/steps.js';
import { PROBES } from './common/put-file.js';

type Policy = 'allow' | 'deny' | 'reject';

export interface UfwArgs {
  state?: 'enabled' | 'disabled' | 'reloaded';
  default_incoming?: Policy;
  default_outgoing?: Policy;
  default_routed?: Policy;
  logging?: 'on' | 'off' | 'low' | 'medium' | 'high' | 'full';
  rule?: 'allow' | 'deny' | 'reject' | 'limit';
  port?: string | number;
  /** vrrp: IP protocol 112 (keepalived), with no port. */
  proto?: 'tcp' | 'udp' | 'vrrp' | 'any';
  from?: string;
  to?: string;
  direction?: 'in' | 'out';
  comment?: string;
  delete?: boolean;
}

const SETTINGS = ['state', 'default_incoming', 'default_outgoing', 'default_routed', 'logging'] as const;
const RULE_ONLY = ['port', 'proto', 'from', 'to', 'direction', 'comment', 'delete'] as const;
const POLICY = { enum: ['allow', 'deny', 'reject'] } as const;
const ADDR = {
  type: 'string',
  pattern: '^(any|[0-9.]+(/[0-9]{1,2})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?)$',
  errorMessage: "an address is 'any', an IPv4/IPv6 address or a CIDR such as 10.0.0.0/8",
} as const;

// ---- addresses and ports, normalized the way ufw writes them into user.rules

function isV6(a: string): boolean {
  return a.includes(':');
}

function v4Network(addr: string, bits: number): string {
  const parts = addr.split('.').map(Number);
  const n = (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  return [net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join('.');
}

/** 'any' -> 0.0.0.0/0 or ::/0; host masks dropped; host bits of a network cleared. */
export function normalizeAddr(a: string | undefined, v6: boolean): string {
  if (a === undefined || a === 'any') return v6 ? '::/0' : '0.0.0.0/0';
  const [addr = '', bitsText] = a.toLowerCase().split('/');
  if (v6) return bitsText === undefined || bitsText === '128' ? addr : `${addr}/${bitsText}`;
  if (bitsText === undefined || bitsText === '32') return addr;
  return `${v4Network(addr, Number(bitsText))}/${bitsText}`;
}

/** ufw stores a port list sorted ('443,80' is written '80,443'). */
export function normalizePorts(p: string): string {
  return p
    .split(',')
    .sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]) || a.localeCompare(b))
    .join(',');
}

/** Does a rule's dport ('22', '80,443', '6000:6007', 'any') cover `port`? */
function portCovers(dport: string, port: number): boolean {
  if (dport === 'any') return true;
  return dport.split(',').some((p) => {
    const [lo = '', hi] = p.split(':');
    return hi === undefined ? Number(lo) === port : Number(lo) <= port && port <= Number(hi);
  });
}

function wantedRule(args: UfwArgs): UfwRule {
  const v6 = isV6(args.from ?? '') || isV6(args.to ?? '');
  return {
    action: args.rule ?? 'allow',
    log: '',
    route: false,
    proto: args.proto ?? 'any',
    dport: args.port === undefined ? 'any' : normalizePorts(String(args.port)),
    dst: normalizeAddr(args.to, v6),
    sport: 'any',
    src: normalizeAddr(args.from, v6),
    direction: args.direction ?? 'in',
    dapp: '',
    sapp: '',
    comment: args.comment ?? '',
    v6,
  };
}

/** Same traffic selector (ufw updates such a rule in place rather than adding another). */
function sameSelector(a: UfwRule, b: UfwRule): boolean {
  return (
    !a.route &&
    !b.route &&
    a.v6 === b.v6 &&
    a.proto === b.proto &&
    a.dport === b.dport &&
    a.dst === b.dst &&
    a.sport === b.sport &&
    a.src === b.src &&
    a.direction === b.direction &&
    a.dapp === b.dapp &&
    a.sapp === b.sapp
  );
}

export function describeRule(r: UfwRule): string {
  const proto = r.proto === 'any' ? '' : `/${r.proto}`;
  const port = r.dport === 'any' ? (proto ? `proto ${r.proto}` : 'any port') : `port ${r.dport}${proto}`;
  return `${r.action}${r.log ? ` (${r.log})` : ''} ${r.direction} ${port} from ${r.src} to ${r.dst}${r.comment ? ` # ${r.comment}` : ''}\n`;
}

function ruleCommand(args: UfwArgs, del: boolean): Shell {
  const words: string[] = [];
  if (del) words.push('delete');
  words.push(args.rule ?? 'allow', args.direction ?? 'in');
  if (args.proto !== undefined && args.proto !== 'any') words.push('proto', args.proto);
  words.push('from', args.from ?? 'any', 'to', args.to ?? 'any');
  if (args.port !== undefined) words.push('port', String(args.port));
  // ufw matches a delete without the comment; passing it could make the match fail.
  if (!del && args.comment !== undefined) words.push('comment', args.comment);
  return sh`ufw ${words}`;
}

/** sshd ports no allow/limit rule lets in (IPv4 rules decide: that is how plumb connects in the lab and most clouds). */
function unguardedSshPorts(rules: readonly UfwRule[], ports: readonly number[]): number[] {
  return ports.filter(
    (port) =>
      !rules.some(
        (r) =>
          !r.route &&
          !r.v6 &&
          (r.action === 'allow' || r.action === 'limit') &&
          (r.direction === 'in' || r.direction.startsWith('in_')) &&
          (r.proto === 'tcp' || r.proto === 'any') &&
          portCovers(r.dport, port),
      ),
  );
}

function lockoutError(ports: number[]): TaskError {
  return new TaskError(
    `refusing to enable ufw: no rule allows ssh (port ${ports.join(', ')}/tcp) in, so this host would lock plumb out`,
    `add a rule task before this one, e.g. ufw: { rule: limit, port: '${ports[0] ?? 22}', proto: tcp }`,
  );
}

interface SettingsText {
  enabled?: boolean;
  active?: boolean;
  loaded?: number;
  live_incoming?: string;
  live_outgoing?: string;
  live_routed?: string;
  incoming?: string;
  outgoing?: string;
  routed?: string;
  logging?: string;
}

function settingsText(s: SettingsText): string {
  return (
    (s.enabled !== undefined ? `state=${s.enabled ? 'enabled' : 'disabled'}\n` : '') +
    (s.active !== undefined ? `state=${s.active ? 'active' : 'inactive'}\n` : '') +
    (s.loaded !== undefined ? `loaded_rules=${s.loaded}\n` : '') +
    (['incoming', 'outgoing', 'routed'] as const).map((d) => (s[`live_${d}`] !== undefined ? `policy_in_force_${d}=${s[`live_${d}`]}\n` : '')).join('') +
    (s.incoming !== undefined ? `default_incoming=${s.incoming}\n` : '') +
    (s.outgoing !== undefined ? `default_outgoing=${s.outgoing}\n` : '') +
    (s.routed !== undefined ? `default_routed=${s.routed}\n` : '') +
    (s.logging !== undefined ? `logging=${s.logging}\n` : '')
  );
}

type Installed = Extract<UfwState, { installed: true }>;

/** Chain policies in force that differ from ufw's files (a reject policy is DROP plus a REJECT rule). */
function policyDrift(st: Installed, live: UfwLive): { dir: 'incoming' | 'outgoing' | 'routed'; live: string; want: string }[] {
  const file = { incoming: st.defaultIncoming, outgoing: st.defaultOutgoing, routed: st.defaultRouted };
  return (['incoming', 'outgoing', 'routed'] as const)
    .map((dir) => ({ dir, live: live.policies[dir], want: file[dir] === 'reject' ? 'deny' : file[dir] }))
    .filter((d) => d.live !== '' && d.live !== d.want);
}

function planSettings(args: UfwArgs, st: Installed, pending: boolean): Plan {
  const cmds: Shell[] = [];
  const what: string[] = [];
  const before: SettingsText = {};
  const after: SettingsText = {};
  const policy = (want: Policy | undefined, have: UfwPolicy, dir: 'incoming' | 'outgoing' | 'routed', key: 'incoming' | 'outgoing' | 'routed'): void => {
    if (want === undefined || want === have) return;
    cmds.push(sh`ufw default ${want} ${dir}`);
    what.push(`default ${want} ${dir}`);
    before[key] = have;
    after[key] = want;
  };
  policy(args.default_incoming, st.defaultIncoming, 'incoming', 'incoming');
  policy(args.default_outgoing, st.defaultOutgoing, 'outgoing', 'outgoing');
  policy(args.default_routed, st.defaultRouted, 'routed', 'routed');
  if (args.logging !== undefined) {
    const want = args.logging === 'on' ? 'low' : args.logging;
    if (want !== st.logging) {
      cmds.push(sh`ufw logging ${want}`);
      what.push(`logging ${want}`);
      before.logging = st.logging;
      after.logging = want;
    }
  }
  // What the kernel runs decides, not ENABLED=yes alone (null: tables unreadable, trust the file).
  const live = st.live;
  const running = st.enabled && (live?.active ?? true);
  const willBeEnabled = args.state === 'enabled' || (args.state !== 'disabled' && st.enabled);
  const incoming = args.default_incoming ?? st.defaultIncoming;
  const closing = willBeEnabled && incoming !== 'allow' && (!running || st.defaultIncoming === 'allow');
  if (closing && !pending) {
    const open = unguardedSshPorts(st.rules, st.sshPorts);
    if (open.length) throw lockoutError(open);
  }
  // Starting goes through `ufw disable` first: it flushes whatever ufw chains the kernel
  // still holds (a network namespace or a kernel outlives the disk: `ufw enable` alone
  // loads the files on top of them, and the chains then hold rules twice).
  if (args.state === 'enabled' && !st.enabled) {
    cmds.push(sh`ufw --force disable >/dev/null`, sh`ufw --force enable`);
    what.push('enable ufw');
    before.enabled = false;
    after.enabled = true;
  } else if (args.state === 'enabled' && live && !live.active) {
    // Configured on, not running (ufw removed and reinstalled, ufw-init stop, a flush).
    cmds.push(sh`ufw --force disable >/dev/null`, sh`ufw --force enable`);
    what.push('start ufw (enabled in ufw.conf, but no rules loaded)');
    before.active = false;
    after.active = true;
  } else if (args.state === 'enabled' && live && (live.loadedRules !== live.fileRules || policyDrift(st, live).length)) {
    // Running, but not what its files say (a flushed chain, `iptables -P INPUT ACCEPT`):
    // `ufw enable` would not reload them, `ufw reload` does.
    cmds.push(sh`ufw reload`);
    what.push('reload ufw (the running firewall is not what its files say)');
    if (live.loadedRules !== live.fileRules) {
      before.loaded = live.loadedRules;
      after.loaded = live.fileRules;
    }
    for (const d of policyDrift(st, live)) {
      before[`live_${d.dir}`] = d.live;
      after[`live_${d.dir}`] = d.want;
    }
  } else if (args.state === 'disabled' && (st.enabled || live?.active === true)) {
    cmds.push(sh`ufw disable`);
    what.push('disable ufw');
    if (st.enabled) {
      before.enabled = true;
      after.enabled = false;
    } else {
      before.active = true;
      after.active = false;
    }
  } else if (args.state === 'reloaded') {
    cmds.push(sh`ufw reload`);
    what.push('reload ufw');
  }
  if (!cmds.length) return definePlan({ summary: 'in sync' });
  const description = what.join(', ');
  const diffs: Diff[] = settingsText(after) ? [{ label: 'ufw', before: settingsText(before), after: settingsText(after) }] : [];
  return definePlan({ changes: [{ description, script: steps(...cmds), invalidates: ['ufw:state', PROBES] }], diffs, summary: description });
}

function planRule(args: UfwArgs, st: Installed, pending: boolean): Plan {
  const want = wantedRule(args);
  if (want.proto === 'any' && /[,:]/.test(want.dport)) {
    throw new TaskError(`port '${want.dport}' is a list or range: ufw needs proto tcp or udp for it`);
  }
  const same = st.rules.filter((r) => sameSelector(r, want));
  const exact = same.find((r) => r.action === want.action && r.log === '' && (args.delete || r.comment === want.comment));
  let change: Change;
  let diff: Diff;
  if (args.delete) {
    if (!exact) return definePlan({ summary: 'rule already absent' });
    if (st.enabled && (st.live?.active ?? true) && !pending) {
      const rest = st.rules.filter((r) => r !== exact);
      const opened = unguardedSshPorts(rest, st.sshPorts).filter((p) => !unguardedSshPorts(st.rules, st.sshPorts).includes(p));
      const incomingClosed = st.defaultIncoming !== 'allow';
      if (incomingClosed && opened.length) {
        throw new TaskError(
          `refusing to delete the rule that lets ssh (port ${opened.join(', ')}/tcp) in while ufw is enabled`,
          'add another rule for ssh first',
        );
      }
    }
    change = { description: `delete ufw rule: ${describeRule(want).trim()}`, script: ruleCommand(args, true), invalidates: ['ufw:state', PROBES] };
    diff = { label: 'ufw rules', before: describeRule(exact), after: '' };
  } else {
    if (exact) return definePlan({ summary: 'rule present' });
    const verb = same.length ? 'update' : 'add';
    change = { description: `${verb} ufw rule: ${describeRule(want).trim()}`, script: ruleCommand(args, false), invalidates: ['ufw:state', PROBES] };
    diff = { label: 'ufw rules', before: same.map(describeRule).join(''), after: describeRule(want) };
  }
  return definePlan({ changes: [change], diffs: [diff], summary: change.description });
}

export default defineModule<UfwArgs>({
  name: 'ufw',
  schema: {
    type: 'object',
    properties: {
      state: { enum: ['enabled', 'disabled', 'reloaded'] },
      default_incoming: POLICY,
      default_outgoing: POLICY,
      default_routed: POLICY,
      logging: { enum: ['on', 'off', 'low', 'medium', 'high', 'full'] },
      rule: { enum: ['allow', 'deny', 'reject', 'limit'] },
      port: {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: 65535 },
          { type: 'string', pattern: '^[0-9]{1,5}(:[0-9]{1,5})?(,[0-9]{1,5}(:[0-9]{1,5})?)*$' },
        ],
        errorMessage: "port is a number or a string such as '80', '80,443' or '6000:6007'",
      },
      proto: { enum: ['tcp', 'udp', 'vrrp', 'any'] },
      from: ADDR,
      to: ADDR,
      direction: { enum: ['in', 'out'] },
      comment: { type: 'string', pattern: '^[^\\n\\r]*$' },
      delete: { type: 'boolean' },
    },
    additionalProperties: false,
    if: has('rule'),
    then: {
      not: { anyOf: SETTINGS.map((k) => has(k)) },
      // A rule without port, from or to matches all traffic: almost always a mistake.
      anyOf: [has('port'), has('from'), has('to')],
      errorMessage: 'a ufw rule needs port, from or to, and cannot also change settings (state, default_*, logging): use two tasks',
    },
    else: {
      not: { anyOf: RULE_ONLY.map((k) => has(k)) },
      // Only settings keys are left once rule keys are excluded: "at least one of them".
      minProperties: 1,
      errorMessage: 'ufw needs rule (with port/proto/from/to), or settings: state, default_incoming, default_outgoing, default_routed, logging',
    },
  },
  facts: () => [ufwFact()],
  plan(args, facts, ctx): Plan {
    const fact = ufwFact();
    const st = facts.get(fact);
    // Earlier changes not applied yet (check mode): ufw may be installed or rules added by then.
    const pending = ctx.mayChange(fact);
    if (!st.installed) {
      if (!pending) throw new TaskError('ufw is not installed', 'install it first: apt: { name: ufw }');
      const empty: Installed = {
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
        live: { active: false, loadedRules: 0, fileRules: 0, policies: { incoming: '', outgoing: '', routed: '' } },
      };
      return args.rule !== undefined ? planRule(args, empty, true) : planSettings(args, empty, true);
    }
    if (!st.readable) throw new TaskError('cannot read /etc/ufw/user.rules', 'ufw tasks need become: true');
    return args.rule !== undefined ? planRule(args, st, pending) : planSettings(args, st, pending);
  },
});
