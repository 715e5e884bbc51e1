// replace: every match of a (multiline) regexp replaced, optionally only between `after`
// and `before`, as Ansible's re.subn does. No match is ok, not a failure.
import { defineModule, type Plan } from './types.js';
import { editFacts, editPath, editSchema, liveText, onePath, planEdit, type EditArgs } from './common/edit.js';
import { expandTemplate, pyRegExp } from './common/pyre.js';
import { TaskError } from '../errors.js';

export interface ReplaceArgs extends EditArgs {
  name?: string;
  regexp: string;
  replace?: string;
  after?: string;
  before?: string;
  encoding?: string;
}

export function replaceIn(text: string, a: ReplaceArgs): { text: string; count: number } {
  let start = 0;
  let end = text.length;
  if (a.after !== undefined) {
    const m = pyRegExp(a.after, 's').exec(text);
    if (m) start = m.index + m[0].length;
  }
  if (a.before !== undefined) {
    const m = pyRegExp(a.before, 's').exec(text.slice(start));
    if (m) end = start + m.index;
  }
  const section = text.slice(start, end);
  let count = 0;
  const re = pyRegExp(a.regexp, 'gm');
  const out = section.replace(re, (...args: unknown[]) => {
    count++;
    const groups = args.findIndex((x) => typeof x === 'number');
    const m = args.slice(0, groups) as string[] as unknown as RegExpMatchArray;
    const named = args[args.length - 1];
    if (typeof named === 'object' && named !== null) (m as { groups?: Record<string, string> }).groups = named as Record<string, string>;
    return expandTemplate(a.replace ?? '', m);
  });
  return { text: text.slice(0, start) + out + text.slice(end), count };
}

export default defineModule<ReplaceArgs>({
  name: 'replace',
  schema: {
    type: 'object',
    properties: {
      ...editSchema,
      name: editSchema.path,
      regexp: { type: 'string', minLength: 1 },
      replace: { type: 'string' },
      after: { type: 'string', minLength: 1 },
      before: { type: 'string', minLength: 1 },
      encoding: { const: 'utf-8', errorMessage: 'plumb edits utf-8 text only' },
    },
    required: ['regexp'],
    additionalProperties: false,
    allOf: [onePath('path', 'dest', 'name')],
  },
  facts: (args) => editFacts(editPath(args)),
  plan(args, facts): Plan {
    const path = editPath(args);
    const { st, text } = liveText(path, facts);
    if (text === null) throw new TaskError(`Path ${path} does not exist !`, 'create it first (replace never creates a file)');
    const r = replaceIn(text, args);
    return planEdit(args, path, st, text, r.text, `${r.count} replacements made`);
  },
});
