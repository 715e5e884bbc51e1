// debconf: one answer in the debconf database, as Ansible's: read with debconf-show (in the
// fact batch), set with debconf-set-selections reading the answer on stdin. A password is
// compared by its hash on the host (debconfPasswordFact): its value is in no command line,
// no fact, no diff and no registered result. Without `question` the task only reads.
import { TaskError } from '../errors.js';
import { raw } from '../sh.js';
import { debconfFact, debconfPasswordFact } from '../facts/sys.js';
import type { Fact } from '../facts/types.js';
import { defineModule, definePlan, type Plan } from './types.js';
import { sha256 } from './common/put-file.js';
import { has } from './common/schema.js';
import { steps } from './common/steps.js';

type Value = string | number | boolean | (string | number)[];

export interface DebconfArgs {
  name?: string;
  pkg?: string;
  question?: string;
  selection?: string;
  setting?: string;
  vtype?: 'boolean' | 'error' | 'multiselect' | 'note' | 'password' | 'seen' | 'select' | 'string' | 'text' | 'title';
  value?: Value;
  answer?: Value;
  unseen?: boolean;
}

const pkgOf = (a: DebconfArgs): string => a.name ?? a.pkg ?? '';
const questionOf = (a: DebconfArgs): string | undefined => a.question ?? a.selection ?? a.setting;
const valueOf = (a: DebconfArgs): Value | undefined => a.value ?? a.answer;

/** The answer as debconf stores it: booleans lower case, a multiselect list joined by ", ". */
export function debconfText(vtype: string, v: Value): string {
  if (Array.isArray(v)) return v.map(String).join(', ');
  return vtype === 'boolean' ? String(v).toLowerCase() : String(v);
}

/** Whether the stored answer already is the wanted one (Ansible's comparison; a multiselect in any order). */
export function sameAnswer(vtype: string, want: Value, have: string): boolean {
  if (vtype === 'multiselect' && Array.isArray(want)) {
    const a = want.map((x) => String(x).trim()).sort();
    const b = have
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .sort();
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (vtype === 'boolean') return debconfText(vtype, want) === have.toLowerCase();
  return debconfText(vtype, want) === have;
}

const NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]*$', errorMessage: 'name is the package whose answers these are' };
const QUESTION = { type: 'string', pattern: '^[^\\s]+$', errorMessage: 'question is a debconf question such as tzdata/Areas (no blanks)' };
const VALUE = { anyOf: [{ type: ['string', 'number', 'boolean'] }, { type: 'array', items: { type: ['string', 'number'] } }] };

export default defineModule<DebconfArgs>({
  name: 'debconf',
  schema: {
    type: 'object',
    properties: {
      name: NAME,
      pkg: NAME,
      question: QUESTION,
      selection: QUESTION,
      setting: QUESTION,
      vtype: { enum: ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'] },
      value: VALUE,
      answer: VALUE,
      unseen: { type: 'boolean' },
    },
    additionalProperties: false,
    allOf: [
      { oneOf: [has('name'), has('pkg')], errorMessage: 'debconf needs name (the package)' },
      {
        if: { anyOf: [has('question'), has('selection'), has('setting'), has('vtype'), has('value'), has('answer')] },
        then: {
          allOf: [{ anyOf: [has('question'), has('selection'), has('setting')] }, has('vtype'), { anyOf: [has('value'), has('answer')] }],
        },
        errorMessage: 'question, vtype and value go together: give all three (or none, to read the answers)',
      },
    ],
  },
  facts(args): Fact<unknown>[] {
    const q = questionOf(args);
    return q !== undefined && args.vtype === 'password' ? [debconfFact(pkgOf(args)), debconfPasswordFact(q)] : [debconfFact(pkgOf(args))];
  },
  plan(args, facts): Plan {
    const pkg = pkgOf(args);
    const prev = facts.get(debconfFact(pkg));
    const q = questionOf(args);
    const value = valueOf(args);
    if (q === undefined || value === undefined || args.vtype === undefined)
      return definePlan({ summary: `${Object.keys(prev).length} answers of ${pkg}`, result: { current: prev } });
    const vtype = args.vtype;
    const text = debconfText(vtype, value);
    if (text.includes('\n')) throw new TaskError(`debconf ${q}: the value holds a newline`, 'debconf-set-selections takes one line per answer');
    const password = vtype === 'password';
    const same = password ? facts.get(debconfPasswordFact(q)) === sha256(Buffer.from(text, 'utf8')) : q in prev && sameAnswer(vtype, value, prev[q] ?? '');
    const shown = (v: string) => (password ? '(password)' : v);
    if (same) return definePlan({ summary: 'in sync', result: { current: { [q]: shown(prev[q] ?? text) } } });
    const before = q in prev ? `${q}: ${shown(prev[q] ?? '')}\n` : '';
    const after = `${q}: ${password ? '(password, changed)' : text}\n`;
    const change = {
      description: `set ${q} (${vtype}) for ${pkg}`,
      // The answer is stdin: a password is in no argv (`ps` shows argv to every user).
      script: steps(raw(args.unseen ? 'debconf-set-selections -u' : 'debconf-set-selections')),
      stdin: `${pkg} ${q} ${vtype} ${text}\n`,
      invalidates: [`sys:debconf:${pkg}`, `sys:debconf:${q}#password`, 'cmd:*'],
    };
    return definePlan({
      changes: [change],
      diffs: [{ label: `debconf ${pkg}`, before, after }],
      summary: change.description,
      result: { current: { [q]: shown(text) }, previous: q in prev ? { [q]: shown(prev[q] ?? '') } : {} },
    });
  },
});
