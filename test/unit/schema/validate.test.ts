import { expect } from 'chai';
import { validate } from '../../../src/schema/validate.js';
import { loadYaml } from '../../../src/schema/yaml.js';

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    port: { type: 'integer', minimum: 1 },
    enabled: { type: 'boolean' },
    mode: { type: 'string', pattern: '^[0-7]{4}$', errorMessage: 'mode must be a quoted octal string such as "0644"' },
    state: { enum: ['present', 'absent'] },
    serial: {
      anyOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^[0-9]+%$' },
      ],
      errorMessage: "'serial' must be a positive integer or a percentage",
    },
    tags: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    nested: { type: 'object', properties: { deep: { type: 'array', items: { type: 'integer' } } }, additionalProperties: false },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

function check(text: string) {
  const src = loadYaml('/v.yml', text);
  return validate(schema, src.value, src).map((p) => ({ at: `${p.pos!.line}:${p.pos!.col}`, message: p.message, hint: p.hint }));
}

describe('schema/validate', () => {
  it('valid input has no problems', () => {
    expect(check('name: a\nport: 22\nenabled: true\nmode: "0644"\nstate: present\nserial: "30%"\ntags: [a]\n')).to.deep.equal([]);
  });

  const cases: Array<{ name: string; text: string; want: { at: string; message: RegExp | string; hint?: RegExp } }> = [
    {
      name: 'unknown key: at the key, listing allowed keys',
      text: 'name: a\nprot: 22\n',
      want: { at: '2:1', message: "unknown key 'prot'", hint: /allowed keys here: name, port/ },
    },
    { name: 'missing required key', text: 'port: 22\n', want: { at: '1:1', message: "missing required key 'name'" } },
    {
      name: 'yes is a string, with a YAML 1.2 hint',
      text: 'name: a\nenabled: yes\n',
      want: { at: '2:10', message: `'enabled' must be boolean, got "yes"`, hint: /write true or false/ },
    },
    {
      name: 'mode: 0644 (the integer 644): quote what was written',
      text: 'name: a\nmode: 0644\n',
      want: { at: '2:7', message: 'mode must be a quoted octal string such as "0644"', hint: /quote it: "0644"/ },
    },
    {
      name: 'mode: 644: quote it',
      text: 'name: a\nmode: 644\n',
      want: { at: '2:7', message: 'mode must be a quoted octal string such as "0644"', hint: /quote it: "644"/ },
    },
    {
      name: 'a number in a list where strings are wanted',
      text: 'name: a\ntags: [a, 0755]\n',
      want: { at: '2:11', message: /must be string/, hint: /quote it: "0755"/ },
    },
    { name: 'enum', text: 'name: a\nstate: gone\n', want: { at: '2:8', message: `'state' must be one of "present", "absent", got "gone"` } },
    { name: 'minimum', text: 'name: a\nport: 0\n', want: { at: '2:7', message: /'port' must be >= 1/ } },
    { name: 'deep item type', text: 'name: a\nnested:\n  deep: [1, x]\n', want: { at: '3:13', message: `'1' must be integer, got "x"` } },
    { name: 'deep unknown key', text: 'name: a\nnested:\n  other: 1\n', want: { at: '3:3', message: "unknown key 'other'" } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ps = check(c.text);
      expect(ps, JSON.stringify(ps)).to.have.length(1);
      expect(ps[0]!.at).to.equal(c.want.at);
      if (typeof c.want.message === 'string') expect(ps[0]!.message).to.equal(c.want.message);
      else expect(ps[0]!.message).to.match(c.want.message);
      if (c.want.hint) expect(ps[0]!.hint).to.match(c.want.hint);
    });
  }

  it('an anyOf with its own errorMessage reports that one message, not each branch', () => {
    expect(check('name: a\nserial: abc\n')).to.deep.equal([{ at: '2:9', message: "'serial' must be a positive integer or a percentage", hint: undefined }]);
    expect(check('name: a\nserial: 0\n')).to.deep.equal([{ at: '2:9', message: "'serial' must be a positive integer or a percentage", hint: undefined }]);
  });

  it('an anyOf without errorMessage reports the specific branch errors', () => {
    const ps = check('name: a\ntags: [a, 1]\n');
    expect(ps.map((p) => p.at)).to.include('2:11');
    expect(ps.every((p) => !/anyOf|must match a schema/.test(p.message))).to.equal(true);
  });

  it('an anyOf whose every branch wants another type reports one message naming them all', () => {
    expect(check('name: a\ntags: {a: 1}\n')).to.deep.equal([{ at: '2:7', message: "'tags' must be string or array, got a mapping", hint: undefined }]);
  });

  it('collects every problem in one pass', () => {
    const ps = check('prot: 1\nenabled: no\nmode: 644\nstate: x\n');
    expect(ps.map((p) => p.at)).to.have.members(['1:1', '1:1', '2:10', '3:7', '4:8']);
  });

  it('prefixes the context', () => {
    const src = loadYaml('/v.yml', 'a: {dest: 1}\n');
    const ps = validate({ type: 'object', properties: { dest: { type: 'string' } } }, (src.value as { a: unknown }).a, src, ['a'], 'copy');
    expect(ps[0]!.message).to.equal("copy: 'dest' must be string, got 1");
    expect(ps[0]!.pos).to.include({ line: 1, col: 11 });
  });
});
