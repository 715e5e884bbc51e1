// ini_file (community.general): one option of one section set or removed, a section
// ensured or removed. Without `section` the option goes before the first section, as
// Ansible's does for a section left null.
import { defineModule, type Plan } from './types.js';
import { editFacts, editPath, editSchema, liveText, missing, onePath, planEdit, splitLines, type EditArgs } from './common/edit.js';
import { has } from './common/schema.js';

export interface IniFileArgs extends EditArgs {
  section?: string | null;
  option?: string;
  key?: string;
  value?: string | number | boolean | null;
  values?: string[];
  state?: 'present' | 'absent';
  exclusive?: boolean;
  no_extra_spaces?: boolean;
  ignore_spaces?: boolean;
  allow_no_value?: boolean;
  modify_inactive_option?: boolean;
  create?: boolean;
  follow?: boolean;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isHeader = (l: string) => /^\s*\[[^\]]*\]/.test(l);

export function editIni(text: string, a: IniFileArgs): string {
  const lines = splitLines(text).map((l) => (l.endsWith('\n') ? l : `${l}\n`));
  const option = a.option ?? a.key;
  const present = (a.state ?? 'present') === 'present';
  const sep = a.no_extra_spaces ? '=' : ' = ';
  const values = a.values !== undefined ? a.values : a.value !== undefined && a.value !== null ? [String(a.value)] : [];
  const wantLines = option === undefined ? [] : values.length ? values.map((v) => `${option}${sep}${v}\n`) : a.allow_no_value ? [`${option}\n`] : [];
  // The section: [start, end) of its body; no section means the lines before the first header.
  let start = 0;
  let end: number;
  let headerAt = -1;
  if (a.section === undefined || a.section === null) {
    end = lines.findIndex(isHeader);
    if (end === -1) end = lines.length;
  } else {
    headerAt = lines.findIndex((l) => l.trim() === `[${a.section}]`);
    if (headerAt === -1) {
      if (!present || (option !== undefined && !wantLines.length)) return text;
      if (lines.length && lines[lines.length - 1]!.trim() !== '') lines.push('\n');
      return [...lines, `[${a.section}]\n`, ...wantLines].join('');
    }
    start = headerAt + 1;
    end = lines.findIndex((l, i) => i >= start && isHeader(l));
    if (end === -1) end = lines.length;
  }
  if (option === undefined) {
    if (present) return text;
    if (headerAt === -1) return text;
    lines.splice(headerAt, end - headerAt);
    return lines.join('');
  }
  const active = new RegExp(`^[ \\t]*${esc(option)}[ \\t]*(=|$)`);
  const inactive = new RegExp(`^[#;][ \\t]*${esc(option)}[ \\t]*(=|$)`);
  const norm = (l: string) => (a.ignore_spaces ? l.replace(/\s+/g, '') : l);
  const body = lines.slice(start, end);
  const hits = body.map((l, i) => (active.test(l) ? i : -1)).filter((i) => i >= 0);
  let out: string[];
  if (!present) {
    const drop = new Set(
      values.length
        ? hits.filter((i) => values.some((v) => norm(body[i]!) === norm(`${option}${sep}${v}\n`) || norm(body[i]!) === norm(`${option}=${v}\n`)))
        : hits,
    );
    out = body.filter((_l, i) => !drop.has(i));
  } else {
    out = [...body];
    const flat = (l: string) => norm(l).replace(/\s/g, '');
    const keep = wantLines.filter((w) => !hits.some((i) => flat(body[i]!) === flat(w)));
    const stale = hits.filter((i) => !wantLines.some((w) => flat(w) === flat(body[i]!)));
    for (const i of stale) {
      const w = keep.shift();
      if (w !== undefined) out[i] = w;
      else if (a.exclusive ?? true) out[i] = '\u0000';
    }
    if (keep.length && (a.modify_inactive_option ?? true)) {
      const j = body.findIndex((l) => inactive.test(l));
      if (j >= 0) out[j] = keep.shift()!;
    }
    if (keep.length) {
      let at = out.length;
      while (at > 0 && out[at - 1]!.trim() === '') at--;
      out.splice(at, 0, ...keep);
    }
    out = out.filter((l) => l !== '\u0000');
  }
  lines.splice(start, end - start, ...out);
  return lines.join('');
}

export default defineModule<IniFileArgs>({
  name: 'ini_file',
  schema: {
    type: 'object',
    properties: {
      ...editSchema,
      section: { type: ['string', 'null'] },
      option: { type: 'string', minLength: 1 },
      key: { type: 'string', minLength: 1 },
      value: { type: ['string', 'number', 'boolean', 'null'] },
      values: { type: 'array', items: { type: 'string' } },
      state: { enum: ['present', 'absent'] },
      exclusive: { type: 'boolean' },
      no_extra_spaces: { type: 'boolean' },
      ignore_spaces: { type: 'boolean' },
      allow_no_value: { type: 'boolean' },
      modify_inactive_option: { type: 'boolean' },
      create: { type: 'boolean' },
      follow: { type: 'boolean' },
    },
    additionalProperties: false,
    allOf: [onePath('path', 'dest'), { not: has('value', 'values'), errorMessage: 'value and values are mutually exclusive' }],
  },
  facts: (args) => editFacts(editPath(args)),
  plan(args, facts, ctx): Plan {
    const path = editPath(args);
    const { st, text } = liveText(path, facts);
    if (text === null && (args.state ?? 'present') === 'absent') return { changes: [], diffs: [], summary: `${path} does not exist` };
    if (text === null && args.create === false) {
      return missing(path, ctx, 'create defaults to true; set it or create the file first');
    }
    const after = editIni(text ?? '', args);
    const what =
      (args.option ?? args.key) ? `option ${args.section ?? ''}${args.section ? '.' : ''}${args.option ?? args.key}` : `section ${args.section ?? ''}`;
    return planEdit(args, path, st, text, after, `${what} ${(args.state ?? 'present') === 'present' ? 'set' : 'removed'}`);
  },
});
