// Host keys as Ansible reads them: `host:port` (or `[v6::addr]:port`) splits off the port,
// and `www[01:50].example.com`, `db-[a:f]`, `n[1:10:2]` expand to one host each.
// Ported from Ansible's parsing/utils/addresses.py and plugins/inventory/__init__.py, so
// the same key names the same hosts in both tools.

export class HostRangeError extends Error {}

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alnumRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const v6c = `(?:[0-9a-f]{1,4}|${hexRange})`;
const v4c = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
const label = String.raw`(?:[\p{L}\p{N}_]|${alnumRange})(?:[\p{L}\p{N}_-]|${alnumRange})*(?<![_-])`;

const bracketedHostPort = /^\[(.+)\]:([0-9]+)$/;
const hostPort = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const ipv4 = new RegExp(`^(?:${v4c}\\.){3}${v4c}$`, 'i');
const ipv6 = new RegExp(
  '^(?:' +
    [
      `(?:${v6c}:){7}${v6c}`,
      `(?:${v6c}:){1,6}:`,
      `(?:${v6c}:)(?::${v6c}){1,6}`,
      `(?:${v6c}:){2}(?::${v6c}){1,5}`,
      `(?:${v6c}:){3}(?::${v6c}){1,4}`,
      `(?:${v6c}:){4}(?::${v6c}){1,3}`,
      `(?:${v6c}:){5}(?::${v6c}){1,2}`,
      `(?:${v6c}:){6}(?::${v6c})`,
      `:(?::${v6c}){1,6}`,
      `${v6c}?::`,
      `(?:0:){6}(?:${v6c}\\.){3}${v6c}`,
      `::(?:ffff:)?(?:${v6c}\\.){3}${v6c}`,
      `(?:0:){5}ffff:(?:${v6c}\\.){3}${v6c}`,
    ].join('|') +
    ')$',
  'i',
);
const hostname = new RegExp(`^${label}(?:\\.${label})*$`, 'iu');

/** Split `host:port`; a key Ansible cannot read as an address is kept whole, as Ansible does. */
export function splitHostPort(key: string): { pattern: string; port?: number } {
  let address = key;
  let port: number | undefined;
  for (const re of [bracketedHostPort, hostPort]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  if (![ipv4, ipv6, hostname].some((re) => re.test(address))) return { pattern: key };
  return { pattern: address, port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Expand every `[begin:end(:step)]` in a host key, left to right, as Ansible does. */
export function expandHostRange(line: string): string[] {
  const open = line.indexOf('[');
  if (open < 0) return [line];
  const close = line.indexOf(']', open);
  if (close < 0) throw new HostRangeError(`host range in '${line}' is not closed with ]`);
  const head = line.slice(0, open);
  const tail = line.slice(close + 1);
  const bounds = line.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostRangeError('host range must be begin:end or begin:end:step');
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (!end) throw new HostRangeError('host range must specify end value');
  if (!Number.isInteger(step) || step < 1) throw new HostRangeError(`host range step must be a positive integer, got '${bounds[2]}'`);
  let fill = (x: string | number) => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    if (beg.length !== end.length) throw new HostRangeError('host range must specify equal-length begin and end formats');
    fill = (x) => String(x).padStart(beg.length, '0');
  }
  let seq: Array<string | number>;
  const ib = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new HostRangeError('host range must have begin <= end');
    seq = [];
    for (let i = ib; i <= ie; i += step) seq.push(LETTERS[i]!);
  } else {
    const b = Number(beg);
    const e = Number(end);
    if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) throw new HostRangeError(`host range [${bounds.join(':')}] must be numeric or single letters`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(i);
  }
  return seq.flatMap((x) => expandHostRange(head + fill(x) + tail));
}

/** A host key (pattern, maybe with a port) to its host names and port. */
export function hostsOfKey(key: string): { names: string[]; port?: number } {
  const { pattern, port } = splitHostPort(key);
  return { names: pattern.includes('[') ? expandHostRange(pattern) : [pattern], port };
}

/** hostsOfKey for a reader that collects problems: a bad range becomes its message. */
export function readHostKey(key: string): { names: string[]; port?: number } | { error: string } {
  try {
    return hostsOfKey(key);
  } catch (e) {
    if (!(e instanceof HostRangeError)) throw e;
    return { error: `host '${key}': ${e.message}` };
  }
}
