// getent: entries of a name service database (passwd, group, hosts, services, ...). Key
// "cmd:getent:...": any change may alter a database (a user created, a package adding one),
// so every change invalidates it, as it does the operator's own probes.
import { sh } from '../sh.js';
import type { Fact } from './types.js';

export interface GetentResult {
  /** getent's exit code: 0 found, 1 bad arguments, 2 key not found, 3 enumeration not supported. */
  code: number;
  lines: string[];
}

export function getentFact(database: string, key?: string, service?: string): Fact<GetentResult> {
  return {
    key: `cmd:getent:${service ?? ''}:${database}:${key ?? ''}`,
    probe: sh`getent ${service !== undefined ? ['-s', service] : []} -- ${database} ${key !== undefined ? key.split(/\s+/).filter(Boolean) : []}`,
    parse: (out, code) => ({ code, lines: out.split('\n').filter((l) => l !== '') }),
  };
}
