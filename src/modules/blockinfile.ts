// blockinfile: a block of lines between two marker lines, inserted, updated or removed,
// as Ansible's does. The default marker is Ansible's, so blocks written by Ansible are
// taken over, not duplicated.
import { defineModule, type Plan } from './types.js';
import { editFacts, editPath, editSchema, liveText, missing, onePath, planEdit, splitLines, type EditArgs } from './common/edit.js';
import { pyRegExp } from './common/pyre.js';
import { has } from './common/schema.js';

export interface BlockinfileArgs extends EditArgs {
  name?: string;
  state?: 'present' | 'absent';
  marker?: string;
  block?: string;
  content?: string;
  insertafter?: string;
  insertbefore?: string;
  create?: boolean;
  marker_begin?: string;
  marker_end?: string;
  append_newline?: boolean;
  prepend_newline?: boolean;
}

/** Ansible's algorithm, pure over text. */
export function editBlock(text: string, a: BlockinfileArgs): string {
  const lines = splitLines(text);
  const marker = a.marker ?? '# {mark} ANSIBLE MANAGED BLOCK';
  const m0 = marker.replace('{mark}', a.marker_begin ?? 'BEGIN');
  const m1 = marker.replace('{mark}', a.marker_end ?? 'END');
  const block = a.block ?? a.content ?? '';
  const present = (a.state ?? 'present') === 'present' && block !== '';
  const blockLines = present ? [`${m0}\n`, ...splitLines(block.endsWith('\n') ? block : `${block}\n`), `${m1}\n`] : [];
  const bare = (l: string) => l.replace(/\r?\n$/, '');
  let n0 = -1;
  let n1 = -1;
  lines.forEach((l, i) => {
    if (bare(l) === m0) n0 = i;
    if (bare(l) === m1) n1 = i;
  });
  let at: number;
  if (n0 === -1 || n1 === -1) {
    if (!present) return text;
    const insertafter = a.insertafter ?? (a.insertbefore === undefined ? 'EOF' : undefined);
    if (insertafter === 'EOF') at = lines.length;
    else if (a.insertbefore === 'BOF') at = 0;
    else {
      const re = pyRegExp((insertafter ?? a.insertbefore)!);
      let hit = -1;
      lines.forEach((l, i) => {
        if (re.test(l.replace(/\r?\n$/, ''))) hit = i;
      });
      at = hit === -1 ? lines.length : insertafter !== undefined ? hit + 1 : hit;
    }
  } else {
    const [lo, hi] = n0 < n1 ? [n0, n1] : [n1, n0];
    lines.splice(lo, hi - lo + 1);
    at = lo;
  }
  if (at > 0 && lines[at - 1] !== undefined && !lines[at - 1]!.endsWith('\n')) lines[at - 1] += '\n';
  const ins = [...blockLines];
  if (present && a.prepend_newline && at > 0 && bare(lines[at - 1] ?? '') !== '') ins.unshift('\n');
  if (present && a.append_newline && at < lines.length && bare(lines[at] ?? '') !== '') ins.push('\n');
  lines.splice(at, 0, ...ins);
  return lines.join('');
}

export default defineModule<BlockinfileArgs>({
  name: 'blockinfile',
  schema: {
    type: 'object',
    properties: {
      ...editSchema,
      name: editSchema.path,
      state: { enum: ['present', 'absent'] },
      marker: { type: 'string', pattern: '\\{mark\\}', errorMessage: 'marker must contain {mark}, or the begin and end lines are the same' },
      block: { type: 'string' },
      content: { type: 'string' },
      insertafter: { type: 'string', minLength: 1 },
      insertbefore: { type: 'string', minLength: 1 },
      create: { type: 'boolean' },
      marker_begin: { type: 'string', minLength: 1 },
      marker_end: { type: 'string', minLength: 1 },
      append_newline: { type: 'boolean' },
      prepend_newline: { type: 'boolean' },
    },
    additionalProperties: false,
    allOf: [
      onePath('path', 'dest', 'name'),
      { not: has('insertafter', 'insertbefore'), errorMessage: 'insertafter and insertbefore are mutually exclusive' },
      { not: has('block', 'content'), errorMessage: 'block and content are the same argument: give one' },
    ],
  },
  facts: (args) => editFacts(editPath(args)),
  plan(args, facts, ctx): Plan {
    const path = editPath(args);
    const { st, text } = liveText(path, facts);
    const present = (args.state ?? 'present') === 'present' && (args.block ?? args.content ?? '') !== '';
    if (text === null) {
      if (!present) return { changes: [], diffs: [], summary: `${path} does not exist` };
      if (!args.create) return missing(path, ctx, 'set create: true to create it, or create it first');
    }
    const after = editBlock(text ?? '', args);
    return planEdit(args, path, st, text, after, present ? 'block inserted' : 'block removed');
  },
});
