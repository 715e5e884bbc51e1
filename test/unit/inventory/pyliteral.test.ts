import { expect } from 'chai';
import { iniValue } from '../../../src/inventory/pyliteral.js';

// What Python's ast.literal_eval gives (Ansible's INI typing), or the text itself when it fails.
describe('inventory/pyliteral: INI values as Python literals', () => {
  const cases: Array<[string, unknown]> = [
    ['5', 5],
    ['-3', -3],
    ['1.5', 1.5],
    ['1e3', 1000],
    ['3.', 3],
    ['0x1F', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['1_000', 1000],
    ['010', '010'],
    ['0', 0],
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', 'true'],
    ['yes', 'yes'],
    ['"5"', '5'],
    ["'single'", 'single'],
    ['"tab\\there"', 'tab\there'],
    ['r"raw\\n"', 'raw\\n'],
    ["b'bytes'", 'bytes'],
    ["'a' 'b'", 'ab'],
    ['[1, 2, "three"]', [1, 2, 'three']],
    ['(1, 2)', [1, 2]],
    ['(1,)', [1]],
    ['(1)', 1],
    ['{"a": {"b": None}}', { a: { b: null } }],
    ['{1, 2}', [1, 2]],
    ['7 # a comment', 7],
    ['seven # not a literal', 'seven # not a literal'],
    ['hello world', 'hello world'],
    ['host-01.internal', 'host-01.internal'],
    ['{k:1}', '{k:1}'],
    ['1j', '1j'],
    ['/usr/bin', '/usr/bin'],
    ['', ''],
    ['[1, 2', '[1, 2'],
  ];
  for (const [text, want] of cases) it(`${JSON.stringify(text)} -> ${JSON.stringify(want)}`, () => expect(iniValue(text)).to.deep.equal(want));
});
