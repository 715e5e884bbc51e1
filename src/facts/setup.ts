// setup: the ansible_* facts roles use most, read in one probe of the host's batched exec
// and parsed into Ansible's names. Only gathered when a task (setup) asks for them.
import { raw } from '../sh.js';
import type { Fact } from './types.js';
import { keyValues } from './sys.js';
import type { Vars } from '../modules/types.js';

const PROBE = raw(`. /etc/os-release 2>/dev/null
printf 'id=%s\\nversion_id=%s\\ncodename=%s\\nname=%s\\n' "$ID" "$VERSION_ID" "$VERSION_CODENAME" "$NAME"
printf 'debian_version=%s\\n' "$(cat /etc/debian_version 2>/dev/null)"
printf 'arch=%s\\nkernel=%s\\nsystem=%s\\n' "$(uname -m)" "$(uname -r)" "$(uname -s)"
printf 'vcpus=%s\\n' "$(nproc 2>/dev/null)"
printf 'sockets=%s\\n' "$(grep '^physical id' /proc/cpuinfo 2>/dev/null | sort -u | wc -l)"
printf 'memtotal=%s\\nmemfree=%s\\nswaptotal=%s\\n' "$(awk '/^MemTotal:/{print $2}' /proc/meminfo)" "$(awk '/^MemAvailable:/{print $2}' /proc/meminfo)" "$(awk '/^SwapTotal:/{print $2}' /proc/meminfo)"
printf 'hostname=%s\\n' "$(cat /proc/sys/kernel/hostname)"
printf 'fqdn=%s\\n' "$(timeout 2 hostname -f 2>/dev/null)"
printf 'pid1=%s\\n' "$(cat /proc/1/comm 2>/dev/null)"
printf 'virt=%s\\n' "$(systemd-detect-virt 2>/dev/null)"
printf 'route=%s\\n' "$(ip -4 route show default 2>/dev/null | head -n1)"
ip -4 -o addr show scope global 2>/dev/null | awk '{print "addr=" $2 " " $4}'`);

function int(v: string | undefined): number {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/** Ansible's distribution names for the IDs Debian and its derivatives use. */
const DISTRIBUTION: Record<string, string> = {
  debian: 'Debian',
  ubuntu: 'Ubuntu',
  linuxmint: 'Linux Mint',
  raspbian: 'Debian',
  devuan: 'Devuan',
  kali: 'Kali',
  pop: 'Pop!_OS',
};

/** The facts, without the ansible_ prefix (as under ansible_facts). */
export function parseSetup(out: string): Vars {
  const kv = keyValues(out);
  const addrs = out
    .split('\n')
    .filter((l) => l.startsWith('addr='))
    .map((l) => {
      const [dev = '', cidr = ''] = l.slice(5).split(' ');
      const [address = '', prefix = '32'] = cidr.split('/');
      return { interface: dev, address, prefix };
    });
  const route = kv.get('route') ?? '';
  const dev = /\bdev (\S+)/.exec(route)?.[1];
  const gw = /\bvia (\S+)/.exec(route)?.[1];
  const primary = dev ? addrs.find((a) => a.interface === dev) : undefined;
  const id = kv.get('id') ?? '';
  const version = kv.get('version_id') ?? '';
  // Debian testing has no VERSION_ID: Ansible then reads /etc/debian_version.
  const full = id === 'debian' ? (kv.get('debian_version') ?? version) : version;
  const vcpus = int(kv.get('vcpus')) || 1;
  const memKb = int(kv.get('memtotal'));
  const fqdn = kv.get('fqdn') || (kv.get('hostname') ?? '');
  const pid1 = kv.get('pid1') ?? '';
  return {
    distribution: DISTRIBUTION[id] ?? kv.get('name') ?? id,
    distribution_version: full,
    distribution_major_version: (full.split('.')[0] ?? '') || version,
    distribution_release: kv.get('codename') ?? '',
    os_family: 'Debian',
    system: kv.get('system') ?? 'Linux',
    kernel: kv.get('kernel') ?? '',
    architecture: kv.get('arch') ?? '',
    machine: kv.get('arch') ?? '',
    processor_vcpus: vcpus,
    processor_count: int(kv.get('sockets')) || 1,
    processor_nproc: vcpus,
    memtotal_mb: Math.floor(memKb / 1024),
    memfree_mb: Math.floor(int(kv.get('memfree')) / 1024),
    swaptotal_mb: Math.floor(int(kv.get('swaptotal')) / 1024),
    hostname: (kv.get('hostname') ?? '').split('.')[0] ?? '',
    nodename: kv.get('hostname') ?? '',
    fqdn,
    domain: fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '',
    service_mgr: pid1 === 'systemd' ? 'systemd' : pid1 || 'unknown',
    virtualization_type: kv.get('virt') && kv.get('virt') !== 'none' ? kv.get('virt') : '',
    virtualization_role: kv.get('virt') && kv.get('virt') !== 'none' ? 'guest' : '',
    // No default route (an isolated host): {} as in Ansible.
    default_ipv4: primary ? { address: primary.address, interface: primary.interface, prefix: primary.prefix, gateway: gw ?? '' } : {},
    all_ipv4_addresses: addrs.map((a) => a.address),
  };
}

export const setupFact: Fact<Vars> = { key: 'sys:setup', probe: PROBE, parse: parseSetup };
