// Ansible's modules take Python regular expressions. The common syntax is the same in
// JavaScript; the Python-only spellings roles use are translated here: named groups
// (?P<n>...), (?P=n), \A and \Z. Replacement templates use \1, \g<1>, \g<name>.
import { InputError } from '../../errors.js';

export function pyRegExp(src: string, flags = ''): RegExp {
  const js = src
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '(?<![\\s\\S])')
    .replace(/\\Z/g, '(?![\\s\\S])');
  try {
    return new RegExp(js, flags);
  } catch (e) {
    throw InputError.one(`invalid regular expression ${JSON.stringify(src)}: ${(e as Error).message}`);
  }
}

/** Python's match.expand / re.sub template: \1, \g<1>, \g<name>, and \n \t \\ escapes. */
export function expandTemplate(template: string, m: RegExpExecArray | RegExpMatchArray): string {
  return template.replace(/\\(?:g<([A-Za-z_0-9]+)>|(\d{1,2})|(.))/g, (_all, g: string | undefined, d: string | undefined, c: string | undefined) => {
    if (g !== undefined) return (/^\d+$/.test(g) ? m[Number(g)] : m.groups?.[g]) ?? '';
    if (d !== undefined) return m[Number(d)] ?? '';
    if (c === 'n') return '\n';
    if (c === 't') return '\t';
    if (c === '\\') return '\\';
    return `\\${c ?? ''}`;
  });
}
