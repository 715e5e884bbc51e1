// What `up` created, recorded in <set dir>/state.json so `down`, `status` and a later `up`
// (maybe after a killed run) know what is ours. Cleanup never trusts it alone: it also looks
// for the lab's fixed names (namespaces, veths, bridge, cgroups, mounts under STATE_DIR).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Network } from './paths.js';
import type { ProcRef } from './proc.js';
import type { ProxyState } from './proxy.js';
import { readIfExists, writeFileAtomic } from './fs.js';

export interface HostState {
  name: string;
  group: string;
  address: string;
  proc?: ProcRef;
}

export interface SetState {
  kind: Network['kind'];
  image: string;
  rootfs: string;
  hosts: HostState[];
  latencyMs: number;
  proxy?: ProxyState;
  forwardRule: boolean;
}

function file(net: Network): string {
  return path.join(net.dir, 'state.json');
}

export async function loadState(net: Network): Promise<SetState | undefined> {
  const text = await readIfExists(file(net));
  if (!text) return undefined;
  try {
    return JSON.parse(text) as SetState;
  } catch {
    return undefined;
  }
}

export async function saveState(net: Network, s: SetState): Promise<void> {
  await fsp.mkdir(net.dir, { recursive: true });
  await writeFileAtomic(file(net), `${JSON.stringify(s, null, 2)}\n`);
}

export async function clearState(net: Network): Promise<void> {
  await fsp.rm(file(net), { force: true });
}
