// Fakes for unit tests: facts given as parsed values, and a context with no host behind it.
import type { Fact, FactResults } from '../../src/facts/types.js';
import type { ModuleContext, Vars } from '../../src/modules/types.js';

/** Facts keyed by fact key. A plan that asks for a fact the case did not give fails loudly. */
export function fakeFacts(byKey: Record<string, unknown>): FactResults {
  return {
    get<T>(fact: Fact<T>): T {
      if (!(fact.key in byKey)) throw new Error(`test case gives no fact ${fact.key}`);
      return byKey[fact.key] as T;
    },
  };
}

export function fakeContext(over: Partial<ModuleContext> & { files?: Record<string, string>; vars?: Vars } = {}): ModuleContext {
  const files = over.files ?? {};
  return {
    host: 'test-host',
    diff: false,
    become: true,
    user: 'root',
    vars: {},
    mayChange: () => false,
    renderTemplate: (src) => {
      const t = files[src];
      if (t === undefined) throw new Error(`no template ${src}`);
      return t;
    },
    readLocal: (src) => {
      const t = files[src];
      if (t === undefined) throw new Error(`no file ${src}`);
      return Buffer.from(t);
    },
    ...over,
  };
}
