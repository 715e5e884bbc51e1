// sys: host-wide read-only probes for the system modules: hostname, timezone, locales,
// kernel modules, alternatives, mounts, debconf, every unit and every package (the
// *_facts modules) and the setup facts. Each is one probe in the host's batched exec.
import { raw, sh } from '../sh.js';
import type { Fact } from './types.js';

function lines(out: string): string[] {
  return out.split('\n').filter((l) => l !== '');
}

/** `key=value` lines into a map; later keys win. Host output is data: only split, never evaluated. */
export function keyValues(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of out.split('\n')) {
    const eq = l.indexOf('=');
    if (eq > 0) m.set(l.slice(0, eq), l.slice(eq + 1));
  }
  return m;
}

export interface HostnameState {
  current: string;
  /** /etc/hostname's first line ('' when missing). */
  file: string;
}

export const hostnameFact: Fact<HostnameState> = {
  key: 'sys:hostname',
  probe: raw('printf \'current=%s\\n\' "$(cat /proc/sys/kernel/hostname)"; printf \'file=%s\\n\' "$(head -n1 /etc/hostname 2>/dev/null)"'),
  parse(out) {
    const kv = keyValues(out);
    return { current: kv.get('current') ?? '', file: kv.get('file') ?? '' };
  },
};

export interface TimezoneState {
  /** Zone named by the /etc/localtime link ('' when it is no link into zoneinfo). */
  link: string;
  /** /etc/timezone's content (Debian keeps both). */
  file: string;
  /** Whether the zone's file exists on the host. */
  known: Record<string, boolean>;
}

export function timezoneFact(zone: string): Fact<TimezoneState> {
  return {
    key: `sys:timezone:${zone}`,
    probe: sh`printf 'link=%s\n' "$(readlink /etc/localtime | sed -n 's|.*/zoneinfo/||p')"; printf 'file=%s\n' "$(head -n1 /etc/timezone 2>/dev/null)"; if [ -f /usr/share/zoneinfo/${zone} ]; then echo known=1; fi`,
    parse(out) {
      const kv = keyValues(out);
      return { link: kv.get('link') ?? '', file: kv.get('file') ?? '', known: { [zone]: kv.get('known') === '1' } };
    },
  };
}

export interface LocaleState {
  /** `locale -a`, normalised (en_US.utf8 -> en_US.UTF-8 compares equal via normLocale). */
  available: string[];
  /** Lines of /etc/locale.gen that are not commented out, first word only. */
  enabled: string[];
  /** Whether /etc/locale.gen and locale-gen exist (package locales). */
  tool: boolean;
}

/** en_US.UTF-8, en_US.utf8 and en_US.UTF8 are one locale. */
export function normLocale(n: string): string {
  return n.replace(/\.(utf-?8)$/i, '.utf8').replace(/\.utf-?8@/i, '.utf8@');
}

export const localeFact: Fact<LocaleState> = {
  key: 'sys:locales',
  probe: raw(
    "if command -v locale-gen >/dev/null && [ -f /etc/locale.gen ]; then echo tool=1; fi; locale -a 2>/dev/null | sed 's/^/a=/'; sed -n 's/^[[:space:]]*\\([^#[:space:]][^[:space:]]*\\).*/e=\\1/p' /etc/locale.gen 2>/dev/null",
  ),
  parse(out) {
    const ls = lines(out);
    return {
      tool: ls.includes('tool=1'),
      available: ls.filter((l) => l.startsWith('a=')).map((l) => normLocale(l.slice(2))),
      enabled: ls.filter((l) => l.startsWith('e=')).map((l) => normLocale(l.slice(2))),
    };
  },
};

export interface KmodState {
  loaded: boolean;
  /** Content of /etc/modules-load.d/<name>.conf ('' when missing). */
  persist: string;
  /** Content of /etc/modprobe.d/<name>.conf ('' when missing). */
  options: string;
}

export function kmodFact(name: string): Fact<KmodState> {
  return {
    key: `sys:kmod:${name}`,
    // Built into the kernel counts as loaded (as Ansible's modprobe reads modules.builtin);
    // /sys/module/NAME is there for a loaded module and for a built-in one with parameters
    // (a kernel without module support has neither /proc/modules nor modules.builtin).
    probe: sh`if grep -q ${`^${name.replace(/-/g, '_')} `} /proc/modules 2>/dev/null || [ -d ${`/sys/module/${name.replace(/-/g, '_')}`} ] || grep -Eq ${`/${name.replace(/[-_]/g, '[-_]')}\\.ko(\\.[a-z]+)?$`} "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then echo loaded; fi; echo @@p; cat /etc/modules-load.d/${`${name}.conf`} 2>/dev/null; echo @@o; cat /etc/modprobe.d/${`${name}.conf`} 2>/dev/null`,
    parse(out) {
      const [head = '', rest = ''] = out.split('@@p\n');
      const [persist = '', options = ''] = rest.split('@@o\n');
      return { loaded: head.includes('loaded'), persist, options };
    },
  };
}

export interface AltState {
  /** Selected path ('' when the link group does not exist). */
  value: string;
  /** auto or manual. */
  status: string;
  /** Paths registered in the group. */
  paths: string[];
  /** The group's generic link ('' when the group does not exist). */
  link?: string;
  /** Each registered path's priority, when --query printed one. */
  priorities?: Record<string, number>;
}

export function alternativesFact(name: string): Fact<AltState> {
  return {
    key: `sys:alt:${name}`,
    probe: sh`LC_ALL=C update-alternatives --query ${name} 2>/dev/null`,
    parse(out) {
      const ls = lines(out);
      const field = (k: string) => ls.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2) ?? '';
      return {
        value: field('Value'),
        status: field('Status'),
        link: field('Link'),
        paths: ls.filter((l) => l.startsWith('Alternative: ')).map((l) => l.slice(13)),
        priorities: Object.fromEntries(
          ls.flatMap((l, i) => {
            const pr = /^Priority: (-?\d+)$/.exec(ls[i + 1] ?? '');
            return l.startsWith('Alternative: ') && pr ? [[l.slice(13), Number(pr[1])]] : [];
          }),
        ),
      };
    },
  };
}

export interface MountEntry {
  src: string;
  path: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

export interface MountState {
  /** The fstab line for the path, if any. */
  fstab?: MountEntry;
  /** Whether something is mounted at the path now, and what. */
  mounted?: { src: string; fstype: string };
}

function fields(l: string): MountEntry {
  const [src = '', path = '', fstype = '', opts = 'defaults', dump = '0', passno = '0'] = l.trim().split(/\s+/);
  return { src, path, fstype, opts, dump, passno };
}

export function mountFact(path: string, fstab: string): Fact<MountState> {
  return {
    key: `sys:mount:${path}`,
    probe: sh`grep -v '^[[:space:]]*#' ${fstab} 2>/dev/null | awk -v p=${path} '$2 == p' | tail -n1; echo @@m; findmnt -rn -o SOURCE,FSTYPE --mountpoint ${path} 2>/dev/null | tail -n1`,
    parse(out) {
      const [tab = '', live = ''] = out.split('@@m\n');
      const st: MountState = {};
      if (tab.trim()) st.fstab = fields(tab);
      const [src, fstype] = live.trim().split(/\s+/);
      if (src) st.mounted = { src, fstype: fstype ?? '' };
      return st;
    },
  };
}

/** debconf's current answers for a package: question -> value. */
export function debconfFact(pkg: string): Fact<Record<string, string>> {
  return {
    key: `sys:debconf:${pkg}`,
    probe: sh`debconf-show ${pkg} 2>/dev/null`,
    parse(out) {
      const r: Record<string, string> = {};
      for (const l of lines(out)) {
        const m = /^[* ] ([^:]+):\s?(.*)$/.exec(l);
        if (m) r[m[1]!] = m[2]!;
      }
      return r;
    },
  };
}

/**
 * The sha256 of a debconf password answer ('' when none is stored), read from debconf's
 * passwords.dat on the host: the answer itself never leaves it, so no fact, log or diff holds it.
 */
export function debconfPasswordFact(question: string): Fact<string> {
  return {
    key: `sys:debconf:${question}#password`,
    probe: sh`if v=$(awk -v q=${question} 'BEGIN { RS = ""; FS = "\n" } { n = 0; h = 0; for (i = 1; i <= NF; i++) { if ($i == "Name: " q) n = 1; if (substr($i, 1, 7) == "Value: ") { v = substr($i, 8); h = 1 } } if (n && h) { printf "%s", v; f = 1 } } END { exit f ? 0 : 1 }' /var/cache/debconf/passwords.dat 2>/dev/null); then printf '%s' "$v" | sha256sum | cut -c1-64; fi`,
    parse: (out) => out.trim(),
  };
}

export interface ServiceFacts {
  [unit: string]: { name: string; state: string; status: string; source: 'systemd' };
}

/** Every service unit with its run state and unit-file state, as Ansible's service_facts names them. */
export const servicesFact: Fact<ServiceFacts> = {
  key: 'svc:#all',
  probe: raw(
    'systemctl list-units --all --type=service --plain --no-legend --no-pager 2>/dev/null | sed "s/^/u /"; systemctl list-unit-files --type=service --plain --no-legend --no-pager 2>/dev/null | sed "s/^/f /"',
  ),
  parse(out) {
    const r: ServiceFacts = {};
    const status = new Map<string, string>();
    for (const l of lines(out)) {
      const [tag, unit = '', a = '', b = '', c = ''] = l.replace(/^(u|f) ●?\s*/, '$1 ').split(/\s+/);
      if (!unit.endsWith('.service')) continue;
      if (tag === 'f') status.set(unit, a);
      // Ansible's states: running, stopped, failed, unknown (sub state "running" is running).
      else
        r[unit] = {
          name: unit,
          state: c === 'running' ? 'running' : b === 'failed' ? 'failed' : a === 'not-found' ? 'unknown' : 'stopped',
          status: '',
          source: 'systemd',
        };
    }
    for (const [unit, st] of status) r[unit] = { ...(r[unit] ?? { name: unit, state: 'stopped', source: 'systemd' as const }), status: st };
    for (const v of Object.values(r)) if (!v.status) v.status = 'not-found';
    return r;
  },
};

export interface PackageFacts {
  [name: string]: { name: string; version: string; arch: string; source: 'apt' }[];
}

/** Every installed package in one dpkg-query, as Ansible's package_facts (manager apt) lists them. */
export const packagesFact: Fact<PackageFacts> = {
  key: 'pkg:#all',
  probe: sh`dpkg-query -W -f=${'${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\n'}`,
  parse(out) {
    const r: PackageFacts = {};
    for (const l of lines(out)) {
      const [st = '', name = '', version = '', arch = ''] = l.split('\t');
      if (st.charAt(1) !== 'i' || !name) continue;
      (r[name] ??= []).push({ name, version, arch, source: 'apt' });
    }
    return r;
  },
};
