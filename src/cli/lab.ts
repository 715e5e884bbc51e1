// `plumb lab ...`: the local lab of real Debian hosts (see src/lab/index.ts). This file only
// parses options and prints; the lab itself never prints.
import type { Command } from 'commander';
import type { LabStatus } from '../lab/index.js';

// Imported when a lab command runs: the lab is ~20 modules no other command needs.
const lab = () => import('../lab/index.js');

function progress(msg: string): void {
  process.stderr.write(`lab: ${msg}\n`);
}

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${v}`);
    return n;
  };
}

function printStatus(title: string, s: LabStatus): void {
  const lines = [`${title}: ${s.running ? 'running' : s.hosts.length ? 'NOT running (stale state; run `plumb lab up` or `plumb lab down`)' : 'down'}`];
  if (s.hosts.length > 0) {
    const shown = s.hosts.length > 12 ? [...s.hosts.slice(0, 5), undefined, ...s.hosts.slice(-3)] : s.hosts;
    for (const h of shown) {
      lines.push(h ? `  ${h.name.padEnd(8)} ${h.address.padEnd(13)} ssh ${h.sshHost}:${h.port}` : `  ... (${s.hosts.length} hosts)`);
    }
    if (s.release) lines.push(`  release:     Debian ${s.release}`);
    if (s.latencyMs > 0) lines.push(`  latency: +${s.latencyMs} ms round trip (through the proxy on 127.0.0.1)`);
    lines.push(`  inventory:   ${s.inventory}`, `  key:         ${s.keyFile}`, `  known_hosts: ${s.knownHosts}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function timed(what: string, fn: () => Promise<void>): Promise<void> {
  const t = Date.now();
  await fn();
  progress(`${what} in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

export function registerLab(program: Command): void {
  const cmd = program.command('lab').description('local lab: real Debian 12 or 13 hosts in namespaces on this machine (root)');

  cmd
    .command('up')
    .description('start lb-01, web-01, web-02 (or --hosts N lightweight hosts) and write the inventory')
    .option('--hosts <n>', 'start N lightweight sshd-only hosts (1..100) instead; inventory/lab-fleet.yml', int('--hosts'))
    .option('--latency <ms>', 'add this round-trip delay to every SSH connection (userspace proxy)', int('--latency'))
    .option('--release <n>', 'Debian release of the hosts: 12 (bookworm) or 13 (trixie); default $PLUMB_LAB_RELEASE, else 12')
    .option('--ha', 'the load balancer pair: also lb-02 (.12), floating address .10, one shared certificate')
    .action(async (o: { hosts?: number; latency?: number; release?: string; ha?: boolean }) => {
      await timed('up', async () => {
        const s = await (await lab()).labUp({ hosts: o.hosts, latencyMs: o.latency, release: o.release, ha: o.ha }, progress);
        printStatus(o.hosts ? 'fleet' : 'lab', s);
      });
    });

  cmd
    .command('down')
    .description('stop every lab host and remove their namespaces, veths, bridge, mounts and processes')
    .option('--purge', "also delete the hosts' disks and keys (the rootfs cache stays)")
    .option('--fleet', 'only the --hosts fleet (the 3-host lab keeps running)')
    .action(async (o: { purge?: boolean; fleet?: boolean }) => {
      await timed('down', async () => (await lab()).labDown(progress, { purge: o.purge, only: o.fleet ? 'fleet' : undefined }));
    });

  cmd
    .command('status')
    .description('show what is running')
    .action(async () => {
      const { labStatus, labFleetStatus } = await lab();
      printStatus('lab', await labStatus());
      const f = await labFleetStatus();
      if (f.hosts.length > 0) printStatus('fleet', f);
    });

  cmd
    .command('reset')
    .argument('[hosts...]', 'hosts to reset (default: lb-01 web-01 web-02)')
    .description('give hosts a fresh disk: stop, wipe the overlay upper layer, boot again (host keys kept)')
    .action(async (hosts: string[]) => {
      await timed('reset', async () => (await lab()).labReset(hosts, progress));
    });
}
