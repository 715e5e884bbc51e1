// Every registered module: named after its key, a schema that compiles under the engine's
// strict ajv, rejects unknown keys, and rejects unquoted modes wherever a mode is taken.
import { expect } from 'chai';
import { modules } from '../../../src/modules/index.js';
import { ajv, schemaErrors } from './table.js';

const expected = ['apt', 'command', 'copy', 'file', 'group', 'service', 'shell', 'template', 'ufw', 'user'];

describe('modules/index (registry)', () => {
  it('has every module of the issue', () => {
    expect(Object.keys(modules)).to.include.members(expected);
  });
  for (const [key, m] of Object.entries(modules)) {
    describe(key, () => {
      it('is registered under its own name', () => expect(m.name).to.equal(key));
      it('has a schema that compiles in strict mode with additionalProperties: false', () => {
        expect(() => ajv.compile(m.schema)).not.to.throw();
        expect(m.schema).to.include({ type: 'object', additionalProperties: false });
      });
      it('rejects an unknown key', () => {
        expect(schemaErrors(m.schema, { plumb_bogus_key: 1 }).join('\n')).to.match(/additional properties 'plumb_bogus_key'/);
      });
      const props = (m.schema as { properties?: Record<string, unknown> }).properties ?? {};
      // A file mode (mysql_variables' `mode` is an enum: global, persist, persist_only).
      if ('mode' in props && !('enum' in (props.mode as object))) {
        it('rejects unquoted modes (644 and YAML 1.1 0644 = 420) with the quoted-octal message', () => {
          for (const mode of [644, 420, 755]) expect(schemaErrors(m.schema, { mode }).join('\n')).to.match(/quoted octal string such as "0644"/);
        });
      }
      if (m.freeForm) it('free-form key is a declared property', () => expect(props).to.have.property(m.freeForm!));
    });
  }
});
