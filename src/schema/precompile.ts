// Build step (npm run build): compile every JSON schema plumb validates against into one
// standalone ESM module, so `plumb validate` and every run skip ajv's code generation at
// startup. Run as `node dist/src/schema/precompile.js`; writes validators.generated.cjs
// beside validate.js. Validators are keyed by schema content, so a stale file is harmless.
import { writeFileSync } from 'node:fs';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { newAjv, schemaKey } from './validate.js';
import { groupSchema, inventorySchema, varsFileSchema } from '../inventory/schema.js';
import { playbookSchema, playSchema, roleDefaultsSchema, taskKeywordSchema } from '../playbook/schema.js';
import { modules } from '../modules/index.js';

const schemas: object[] = [
  inventorySchema,
  varsFileSchema,
  playbookSchema,
  playSchema,
  roleDefaultsSchema,
  taskKeywordSchema,
  ...Object.values(modules).map((m) => m.schema),
];
const ajv = newAjv({ code: { source: true } });
ajv.addSchema(groupSchema);
const refs: Record<string, string> = {};
for (const s of schemas) {
  const key = schemaKey(s);
  if (refs[`k${key}`]) continue;
  ajv.addSchema(s, `k${key}`);
  refs[`k${key}`] = `k${key}`; // export name -> schema id
}
type Standalone = (a: typeof ajv, refs: Record<string, string>) => string;
const standalone = ((standaloneCode as unknown as { default?: Standalone }).default ?? standaloneCode) as unknown as Standalone;
const code = standalone(ajv, refs);
// CommonJS: ajv's standalone output requires its runtime helpers. One `validators` object,
// keyed by schema content, is what validate.ts looks up.
const out = new URL('./validators.generated.cjs', import.meta.url);
writeFileSync(
  out,
  `${code}\nexports.validators = { ${Object.keys(refs)
    .map((k) => `"${k.slice(1)}": exports.${k}`)
    .join(', ')} };\n`,
);
process.stdout.write(`precompiled ${Object.keys(refs).length} schema validators\n`);
