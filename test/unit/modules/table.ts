// Table-driven module tests: each case gives args and parsed facts, and states what the
// plan must be — ok, changed, skipped or an error — with script fragments and diffs.
import { expect } from 'chai';
import AjvModule from 'ajv';
import type { Diff, Module, ModuleContext, Plan } from '../../../src/modules/types.js';
import { fakeContext, fakeFacts } from '../helpers.js';

const Ajv = AjvModule.default ?? AjvModule;
// The engine's settings (src/schema/validate.ts): draft-07, all errors, strict.
export const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });

export type Status = 'ok' | 'changed' | 'skipped' | 'error';

export interface Case<A> {
  name: string;
  args: A;
  facts: Record<string, unknown>;
  ctx?: Partial<ModuleContext> & { files?: Record<string, string>; mayChange?: (f: { key: string }) => boolean };
  expect: {
    status: Status;
    /** Every regexp must match the scripts of the plan's changes (joined). */
    scriptMatches?: RegExp[];
    scriptNotMatches?: RegExp[];
    diff?: Diff[];
    error?: RegExp;
    stdin?: string | RegExp;
    invalidates?: string[];
    changes?: number;
    result?: Record<string, unknown>;
    /** Must match the changes' descriptions (joined). */
    description?: RegExp;
  };
}

export function statusOf(plan: Plan): Status {
  if (plan.skipped) return 'skipped';
  return plan.changes.length ? 'changed' : 'ok';
}

export function runTable<A>(module: Module<A>, cases: readonly Case<A>[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const valid = ajv.validate(module.schema, c.args);
      expect(valid, `args must pass the schema: ${ajv.errorsText()}`).to.equal(true);
      const ctx = fakeContext(c.ctx ?? {});
      // facts() must ask for every fact the plan reads: the fake throws on anything else.
      const asked = new Set(module.facts(c.args, ctx).map((f) => f.key));
      const given = fakeFacts(Object.fromEntries(Object.entries(c.facts).filter(([k]) => asked.has(k))));
      let plan: Plan | undefined;
      let error: unknown;
      try {
        plan = module.plan(c.args, given, ctx);
      } catch (e) {
        error = e;
      }
      if (c.expect.status === 'error') {
        expect(error, 'plan should throw').to.be.instanceOf(Error);
        if (c.expect.error) expect((error as Error).message).to.match(c.expect.error);
        return;
      }
      if (error) throw error;
      const p = plan as Plan;
      expect(statusOf(p), p.summary).to.equal(c.expect.status);
      const scripts = p.changes.map((ch) => ch.script.text).join('\n');
      for (const re of c.expect.scriptMatches ?? []) expect(scripts).to.match(re);
      for (const re of c.expect.scriptNotMatches ?? []) expect(scripts).not.to.match(re);
      if (c.expect.diff) expect(p.diffs).to.deep.equal(c.expect.diff);
      if (c.expect.changes !== undefined) expect(p.changes).to.have.length(c.expect.changes);
      if (c.expect.invalidates) expect(p.changes.flatMap((ch) => [...ch.invalidates])).to.include.members(c.expect.invalidates);
      if (c.expect.result) expect(p.result).to.deep.include(c.expect.result);
      if (c.expect.description) expect(p.changes.map((ch) => ch.description).join('\n')).to.match(c.expect.description);
      if (c.expect.stdin !== undefined) {
        const stdin = p.changes.map((ch) => (ch.stdin === undefined ? '' : ch.stdin.toString())).join('');
        if (typeof c.expect.stdin === 'string') expect(stdin).to.equal(c.expect.stdin);
        else expect(stdin).to.match(c.expect.stdin);
      }
      if (c.expect.status !== 'ok') expect(p.summary ?? '', 'a plan that does something says what').not.to.equal('');
    });
  }
}

export interface SchemaCase {
  name: string;
  args: unknown;
  valid: boolean;
  /** For invalid args: a regexp one of the error messages (ours or ajv's) must match. */
  message?: RegExp;
}

/** Messages as the engine shows them: the failing node's errorMessage, else ajv's text. */
export function schemaErrors(schema: object, args: unknown): string[] {
  const validate = ajv.compile(schema);
  if (validate(args)) return [];
  return (validate.errors ?? []).map((e) => {
    const own = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
    const extra = e.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty: string }).additionalProperty)}'` : '';
    return `${e.instancePath} ${own ?? ''} ${e.message ?? ''}${extra}`;
  });
}

export function runSchemaTable(module: Module<unknown> | Module<never>, cases: readonly SchemaCase[]): void {
  for (const c of cases) {
    it(`schema: ${c.name}`, () => {
      const errors = schemaErrors(module.schema, c.args);
      if (c.valid) expect(errors, errors.join('\n')).to.deep.equal([]);
      else {
        expect(errors, 'should be rejected').not.to.deep.equal([]);
        if (c.message)
          expect(
            errors.some((e) => c.message!.test(e)),
            errors.join('\n'),
          ).to.equal(true);
      }
    });
  }
}
