// lineinfile: one line present (replacing the line a regexp or search_string matches, else
// inserted after/before a matching line, or at EOF/BOF) or absent, as Ansible's does.
import { TaskError } from '../errors.js';
import { defineModule, type Plan } from './types.js';
import { editFacts, editPath, editSchema, liveText, missing, onePath, planEdit, splitLines, type EditArgs } from './common/edit.js';
import { pyRegExp, expandTemplate } from './common/pyre.js';
import { has } from './common/schema.js';

export interface LineinfileArgs extends EditArgs {
  name?: string;
  destfile?: string;
  regexp?: string;
  regex?: string;
  search_string?: string;
  state?: 'present' | 'absent';
  line?: string;
  value?: string;
  backrefs?: boolean;
  insertafter?: string;
  insertbefore?: string;
  create?: boolean;
  firstmatch?: boolean;
}

export interface LineResult {
  text: string;
  msg: string;
  /** Lines removed (state: absent). */
  found?: number;
}

/** The edit itself, pure over text: Ansible's present() and absent(). */
export function editLines(text: string, a: LineinfileArgs): LineResult {
  const lines = splitLines(text);
  const regexp = a.regexp ?? a.regex;
  const re = regexp !== undefined ? pyRegExp(regexp) : null;
  const line = a.line ?? a.value;
  const bare = (l: string) => l.replace(/\r?\n$/, '');
  // Python's $ matches before a final newline, JavaScript's does not: match the bare line.
  const matches = (l: string): RegExpExecArray | boolean =>
    re ? (re.exec(bare(l)) ?? false) : a.search_string !== undefined ? l.includes(a.search_string) : bare(l) === line;

  if ((a.state ?? 'present') === 'absent') {
    const kept = lines.filter((l) => !matches(l));
    const found = lines.length - kept.length;
    return { text: kept.join(''), msg: found ? `${found} line(s) removed` : '', found };
  }
  if (line === undefined) throw new TaskError('lineinfile with state: present needs line', 'add line: (or state: absent)');
  const insRe =
    a.insertafter !== undefined && a.insertafter !== 'EOF' && a.insertafter !== 'BOF'
      ? pyRegExp(a.insertafter)
      : a.insertbefore !== undefined && a.insertbefore !== 'BOF'
        ? pyRegExp(a.insertbefore)
        : null;
  let found = -1;
  let match: RegExpExecArray | boolean = false;
  let ins = -1;
  for (const [i, l] of lines.entries()) {
    const m = matches(l);
    if (m) {
      found = i;
      match = m;
      if (a.firstmatch) break;
    }
    if (found === -1 && insRe && insRe.test(bare(l))) {
      ins = a.insertafter !== undefined ? i + 1 : i;
      if (a.firstmatch) break;
    }
  }
  const out = [...lines];
  if (found !== -1) {
    const wanted = (a.backrefs && typeof match !== 'boolean' ? expandTemplate(line, match) : line) + '\n';
    if (out[found] === wanted) return { text, msg: '' };
    out[found] = wanted;
    return { text: out.join(''), msg: 'line replaced' };
  }
  if (a.backrefs) return { text, msg: '' }; // no match: nothing safe to write
  // A regexp that matches nothing while the exact line is already there is in sync
  // (otherwise every run would add the line again).
  if ((re || a.search_string !== undefined) && lines.some((l) => bare(l) === line)) return { text, msg: '' };
  const withLine = line + '\n';
  if (a.insertbefore === 'BOF' || a.insertafter === 'BOF') {
    if (bare(out[0] ?? '\u0000') === line) return { text, msg: '' };
    out.unshift(withLine);
  } else if (a.insertafter === 'EOF' || ins === -1) {
    const last = out[out.length - 1];
    if (last !== undefined && !last.endsWith('\n')) out[out.length - 1] = `${last}\n`;
    out.push(withLine);
  } else if (a.insertafter !== undefined) {
    const at = ins === out.length ? out[ins - 1] : out[ins];
    if (at !== undefined && bare(at) === line) return { text, msg: '' };
    if (ins === out.length && out[ins - 1] !== undefined && !out[ins - 1]!.endsWith('\n')) out[ins - 1] += '\n';
    out.splice(ins, 0, withLine);
  } else {
    out.splice(ins, 0, withLine);
  }
  return { text: out.join(''), msg: 'line added' };
}

export default defineModule<LineinfileArgs>({
  name: 'lineinfile',
  schema: {
    type: 'object',
    properties: {
      ...editSchema,
      name: editSchema.path,
      destfile: editSchema.path,
      regexp: { type: 'string', minLength: 1 },
      regex: { type: 'string', minLength: 1 },
      search_string: { type: 'string', minLength: 1 },
      state: { enum: ['present', 'absent'] },
      line: { type: 'string' },
      value: { type: 'string' },
      backrefs: { type: 'boolean' },
      insertafter: { type: 'string', minLength: 1 },
      insertbefore: { type: 'string', minLength: 1 },
      create: { type: 'boolean' },
      firstmatch: { type: 'boolean' },
    },
    additionalProperties: false,
    allOf: [
      onePath('path', 'dest', 'destfile', 'name'),
      {
        if: { not: { ...has('state'), properties: { state: { const: 'absent' } } } },
        then: { anyOf: [has('line'), has('value')], errorMessage: 'lineinfile needs line (or state: absent)' },
        else: {
          anyOf: [has('line'), has('value'), has('regexp'), has('regex'), has('search_string')],
          errorMessage: 'state: absent needs line, regexp or search_string',
        },
      },
      { not: { anyOf: [has('insertafter', 'insertbefore')] }, errorMessage: 'insertafter and insertbefore are mutually exclusive' },
      { not: { anyOf: [has('regexp', 'search_string'), has('regex', 'search_string')] }, errorMessage: 'regexp and search_string are mutually exclusive' },
      {
        if: { ...has('backrefs'), properties: { backrefs: { const: true } } },
        then: { anyOf: [has('regexp'), has('regex')], errorMessage: 'backrefs: true needs regexp' },
      },
    ],
  },
  facts: (args) => editFacts(lineinfilePath(args)),
  plan(args, facts, ctx): Plan {
    const path = lineinfilePath(args);
    const { st, text } = liveText(path, facts);
    if (text === null) {
      if ((args.state ?? 'present') === 'absent') return { changes: [], diffs: [], summary: `${path} does not exist`, result: { found: 0 } };
      if (!args.create) return missing(path, ctx, 'set create: true to create it, or create it first');
      if (args.backrefs) return { changes: [], diffs: [], summary: `${path} does not exist; backrefs has nothing to match` };
    }
    const r = editLines(text ?? '', args);
    return planEdit(args, path, st, text, r.text, r.msg || 'edit', r.found !== undefined ? { found: r.found } : {});
  },
});

function lineinfilePath(a: LineinfileArgs): string {
  return a.destfile ?? editPath(a);
}
