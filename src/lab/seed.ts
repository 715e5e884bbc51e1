// A host's identity, written into its overlay upper layer while it is not mounted: hostname,
// /etc/hosts, machine-id, host keys, root's authorized_keys, the key-only sshd drop-in and
// the exec-counting wrapper. Directories are created with the lower layer's modes, so the
// merged view keeps the image's permissions (sshd's StrictModes cares about /root).
import { promises as fsp, existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { EXEC_WRAPPER, EXEC_WRAPPER_PATH } from './execlog.js';
import { readIfExists } from './fs.js';

export interface SeedInput {
  name: string;
  rootfs: string;
  upper: string;
  /** Directory with ssh_host_*_key files, kept across resets. */
  hostKeys: string;
  /** File holding this host's machine-id, kept across resets. */
  machineIdFile: string;
  clientPublicKey: string;
  /** name -> address, for /etc/hosts. */
  peers: ReadonlyArray<{ name: string; address: string }>;
  /** Only these host keys (fleet hosts have just ed25519). */
  hostKeyFiles?: string[];
}

async function mkdirLike(upper: string, lower: string, rel: string): Promise<void> {
  let cur = '';
  for (const part of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    const u = path.join(upper, cur);
    if (existsSync(u)) continue;
    const l = path.join(lower, cur);
    const st = existsSync(l) ? statSync(l) : undefined;
    await fsp.mkdir(u, { mode: st ? st.mode & 0o7777 : 0o755 });
    await fsp.chmod(u, st ? st.mode & 0o7777 : 0o755);
  }
}

async function put(s: SeedInput, rel: string, data: string | Buffer, mode: number): Promise<void> {
  await mkdirLike(s.upper, s.rootfs, path.dirname(rel));
  const f = path.join(s.upper, rel);
  await fsp.writeFile(f, data, { mode });
  await fsp.chmod(f, mode);
}

export async function ensureMachineId(file: string): Promise<string> {
  const have = (await readIfExists(file))?.trim();
  if (have && /^[0-9a-f]{32}$/.test(have)) return have;
  const id = randomBytes(16).toString('hex');
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, `${id}\n`);
  return id;
}

export function sshdDropIn(hostKeyFiles?: string[]): string {
  return [
    '# Written by `plumb lab up`: key-only root login; every exec is counted on the host.',
    ...(hostKeyFiles ?? []).map((f) => `HostKey /etc/ssh/${f}`),
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UseDNS no',
    `ForceCommand ${EXEC_WRAPPER_PATH}`,
    '',
  ].join('\n');
}

/** Write the full seed into a fresh upper layer. */
export async function seedUpper(s: SeedInput): Promise<void> {
  await fsp.mkdir(s.upper, { recursive: true });
  const hosts = [
    '127.0.0.1\tlocalhost',
    '::1\t\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\t\tip6-allnodes',
    'ff02::2\t\tip6-allrouters',
    '',
    '# plumb lab hosts',
    ...s.peers.map((p) => `${p.address}\t${p.name}`),
    '',
  ].join('\n');
  await put(s, 'etc/hostname', `${s.name}\n`, 0o644);
  await put(s, 'etc/hosts', hosts, 0o644);
  await put(s, 'etc/machine-id', `${await ensureMachineId(s.machineIdFile)}\n`, 0o444);
  const keyFiles = s.hostKeyFiles ?? (await fsp.readdir(s.hostKeys)).filter((f) => /^ssh_host_\w+_key$/.test(f));
  for (const k of keyFiles) {
    await put(s, `etc/ssh/${k}`, await fsp.readFile(path.join(s.hostKeys, k)), 0o600);
    await put(s, `etc/ssh/${k}.pub`, await fsp.readFile(path.join(s.hostKeys, `${k}.pub`)), 0o644);
  }
  await put(s, 'etc/ssh/sshd_config.d/plumb-lab.conf', sshdDropIn(s.hostKeyFiles), 0o644);
  await put(s, EXEC_WRAPPER_PATH.slice(1), EXEC_WRAPPER, 0o755);
  await put(s, 'root/.ssh/authorized_keys', `${s.clientPublicKey}\n`, 0o600);
  await fsp.chmod(path.join(s.upper, 'root/.ssh'), 0o700);
}

/** Before every boot of an existing upper: make sure the current client key may log in. */
export async function ensureAuthorized(s: SeedInput): Promise<void> {
  const f = path.join(s.upper, 'root/.ssh/authorized_keys');
  const have = (await readIfExists(f)) ?? '';
  if (have.split('\n').some((l) => l.trim() === s.clientPublicKey)) return;
  await put(s, 'root/.ssh/authorized_keys', `${have}${have && !have.endsWith('\n') ? '\n' : ''}${s.clientPublicKey}\n`, 0o600);
}
