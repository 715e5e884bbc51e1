// A host's directories on the machine: upper/work layers of its overlay root, the merged
// mount point, kept identity (host keys, machine-id) and logs.
import path from 'node:path';
import type { HostSpec } from './paths.js';

export interface HostLayout {
  upper: string;
  work: string;
  merged: string;
  hostKeys: string;
  machineId: string;
  log: string;
  /** Image hash the upper layer was made on; a new image means a fresh upper. */
  imageFile: string;
}

export function layout(h: HostSpec): HostLayout {
  return {
    upper: path.join(h.dir, 'upper'),
    work: path.join(h.dir, 'work'),
    merged: path.join(h.dir, 'merged'),
    hostKeys: path.join(h.dir, 'hostkeys'),
    machineId: path.join(h.dir, 'machine-id'),
    log: path.join(h.dir, 'console.log'),
    imageFile: path.join(h.dir, 'image'),
  };
}

export function overlayOptions(rootfs: string, l: HostLayout): string {
  return `lowerdir=${rootfs},upperdir=${l.upper},workdir=${l.work}`;
}
