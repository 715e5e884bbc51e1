import { expect } from 'chai';
import { evaluate, ExpressionError, operatorVars } from '../../../src/playbook/expr.js';
import type { Vars } from '../../../src/modules/types.js';

// Each helper with Ansible's own edge cases: [expression, what Ansible's filter gives].
describe('playbook/helpers: Ansible filters as functions', () => {
  const vars: Vars = operatorVars({
    web: { port: 8080, tls: null },
    empty_list: [],
    empty_map: {},
    nothing: null,
    zero: 0,
    words: ['b', 'a', 'b', 'c'],
    users: [
      { name: 'ann', admin: true },
      { name: 'bob', admin: false },
    ],
    templated: '{{ missing_inner }}',
    text: 'Hello World',
  });

  const cases: Array<[string, unknown]> = [
    // default (d): only an undefined value is replaced, unless the third argument is true
    ["d(nope, 'y')", 'y'],
    ['d(nope)', ''],
    ["d(nope.deeper.still, 'y')", 'y'],
    ['d(web.port, 80)', 8080],
    ['d(web.missing, 80)', 80],
    ["d(web.tls, 'off')", null], // None is defined in Ansible: kept
    ["d(web.tls, 'off', true)", 'off'],
    // version: Ansible's version test, LooseVersion ordering (numbers as numbers)
    ["version('9.2p1', '8.5', '>=')", true],
    ["version('8.10', '8.9', 'gt')", true], // not text order
    ["version('1.0', '1.0.0', '<')", true],
    ["version('2.14.18', '2.14.18')", true],
    ["version('2.14', '2.14.1', 'ne')", true],
    ["version('1.0a', '1.0', '>')", true],
    ["version('1.0', '1.0b', '<')", true],
    ["version(6, '5.9', 'ge')", true],
    ["version('5.8', '5.9', '>=')", false],
    ["d(empty_list, ['x'], true)", ['x']], // Python: an empty list is false
    ["d(empty_map, 'x', true)", 'x'],
    ['d(zero, 5, true)', 5],
    ['d(zero, 5)', 0],
    ["d(text.nope, 'y')", 'y'], // an attribute a string lacks is undefined in Jinja
    ["d(templated, 'y')", 'y'], // a variable whose own template is undefined
    ["d(words[9], 'y')", 'y'],
    ["d(nope, d(also_nope, 'z'))", 'z'],
    // bool: yes/no/on/off/true/false/1/0 any case
    ...(['yes', 'Yes', 'ON', 'true', 'True', '1', 'y', ' yes '].map((s) => [`bool(${JSON.stringify(s)})`, true]) as Array<[string, unknown]>),
    ...(['no', 'NO', 'off', 'false', 'False', '0', 'n', ''].map((s) => [`bool(${JSON.stringify(s)})`, false]) as Array<[string, unknown]>),
    ['bool(true)', true],
    ['bool(1)', true],
    ['bool(0)', false],
    ['bool(null)', false],
    // int: Ansible's int(), then int(float()), else the default
    ['int("42")', 42],
    ['int(" 42 ")', 42],
    ['int("3.7")', 3],
    ['int("-3.7")', -3],
    ['int("42px")', 0],
    ['int("42px", 7)', 7],
    ['int(null)', 0],
    ['int(true)', 1],
    ['int(9.99)', 9],
    ['int("ff", 0, 16)', 255],
    ['int("0x1A", 0, 16)', 26],
    ['int("0b101", 0, 2)', 5],
    ['int("1_000")', 1000],
    ['float("1.5")', 1.5],
    ['float("x")', 0],
    ['float("x", 2.5)', 2.5],
    ['float("inf")', Infinity],
    // string: Python's str()
    ['string(true)', 'True'],
    ['string(null)', 'None'],
    ['string(8080)', '8080'],
    // length, first, last
    ['length(words)', 4],
    ['length("abc")', 3],
    ['length(web)', 2],
    ['first(words)', 'b'],
    ['first("abc")', 'a'],
    ['first(empty_list)', undefined],
    ['last(words)', 'c'],
    // join: '' by default, scalars as Python writes them
    ['join(words)', 'babc'],
    ["join(words, ', ')", 'b, a, b, c'],
    ["join([1, true, null], '-')", '1-True-None'],
    // text
    ['lower(text)', 'hello world'],
    ['upper(text)', 'HELLO WORLD'],
    ['trim("  x \\n")', 'x'],
    ['trim("xxhixx", "x")', 'hi'],
    ['split("a,b,,c", ",")', ['a', 'b', '', 'c']],
    ['split("  a  b c ")', ['a', 'b', 'c']],
    ['split("a,b,c", ",", 1)', ['a', 'b,c']],
    ['split("a b  c", null, 1)', ['a', 'b  c']],
    ['replace("aaa", "a", "b")', 'bbb'],
    ['replace("aaa", "a", "b", 2)', 'bba'],
    // regular expressions: Python's syntax
    ["regex_replace('hello world', 'o', '0')", 'hell0 w0rld'],
    ["regex_replace('web-01', '^(\\\\w+)-(\\\\d+)$', '\\\\2-\\\\1')", '01-web'],
    ["regex_replace('web-01', '(?P<n>\\\\d+)', '<\\\\g<n>>')", 'web-<01>'],
    ["regex_replace('ABC', 'b', 'x', true)", 'AxC'],
    ["regex_replace('a$b', '\\\\$', '$$')", 'a$$b'],
    ["regex_replace('aaa', 'a', 'b', false, false, 1)", 'baa'],
    ["regex_replace('x', /X/i, 'y')", 'y'],
    ["regex_replace('(?i)ABC', 'x', 'y')", '(?i)ABC'],
    ["regex_replace('ABC', '(?i)b', 'y')", 'AyC'],
    ["regex_search('server 10.0.0.5:80', '\\\\d+\\\\.\\\\d+\\\\.\\\\d+\\\\.\\\\d+')", '10.0.0.5'],
    ["regex_search('abc', 'x')", null],
    ["regex_search('key=value', '(\\\\w+)=(\\\\w+)', '\\\\2', '\\\\1')", ['value', 'key']],
    ["regex_search('key=value', '(?P<k>\\\\w+)=', '\\\\g<k>')", ['key']],
    ["regex_findall('a1b22c333', '\\\\d+')", ['1', '22', '333']],
    ["regex_findall('k1=v1 k2=v2', '(\\\\w+)=')", ['k1', 'k2']],
    [
      "regex_findall('k1=v1 k2=v2', '(\\\\w+)=(\\\\w+)')",
      [
        ['k1', 'v1'],
        ['k2', 'v2'],
      ],
    ],
    ["regex_escape('1.2.3.4')", '1\\.2\\.3\\.4'],
    // lists: first occurrence order, deep equality
    ['unique(words)', ['b', 'a', 'c']],
    ['unique([{ a: 1 }, { a: 1 }, [1], [1]])', [{ a: 1 }, [1]]],
    ["union(['a', 'b'], ['b', 'c'])", ['a', 'b', 'c']],
    ["intersect(['a', 'b', 'b'], ['b', 'c'])", ['b']],
    ["difference(['a', 'b', 'a'], ['b'])", ['a']],
    ["symmetric_difference(['a', 'b'], ['b', 'c'])", ['a', 'c']],
    ['flatten([1, [2, [3, null]], null])', [1, 2, 3, null]],
    ['flatten([1, [2, [3]]], 1)', [1, 2, [3]]],
    // mappings
    ['combine({ a: 1, b: { x: 1 } }, { b: { y: 2 } })', { a: 1, b: { y: 2 } }],
    ['combine({ a: 1, b: { x: 1 } }, { b: { y: 2 } }, true)', { a: 1, b: { x: 1, y: 2 } }],
    ['combine({ a: [1] }, { a: [2] })', { a: [2] }],
    ["combine({ a: [1, 2] }, { a: [2, 3] }, false, 'append')", { a: [1, 2, 2, 3] }],
    ["combine({ a: [1, 2] }, { a: [2, 3] }, false, 'append_rp')", { a: [1, 2, 3] }],
    ["combine({ a: [1] }, { a: [2] }, false, 'prepend')", { a: [2, 1] }],
    ["combine({ a: [1] }, { a: [2] }, false, 'keep')", { a: [1] }],
    ['combine([{ a: 1 }, { b: 2 }])', { a: 1, b: 2 }],
    ['combine({ a: 1 }, { a: 2 }, { a: 3 })', { a: 3 }],
    [
      'dict2items({ a: 1, b: 2 })',
      [
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ],
    ],
    ["dict2items({ a: 1 }, 'k', 'v')", [{ k: 'a', v: 1 }]],
    ['items2dict([{ key: "a", value: 1 }])', { a: 1 }],
    ["items2dict([{ name: 'a', v: 1 }], 'name', 'v')", { a: 1 }],
    // JSON and YAML as Ansible writes them
    ['to_json({ a: 1, b: [1, "x"] })', '{"a": 1, "b": [1, "x"]}'],
    ['to_json("x")', '"x"'],
    ['to_nice_json({ b: 1, a: [1] })', '{\n    "a": [\n        1\n    ],\n    "b": 1\n}'],
    ['to_nice_json({}, 2)', '{}'],
    ['from_json(\'{"a": [1, 2]}\')', { a: [1, 2] }],
    ['to_yaml({ a: [1, 2] })', 'a:\n  - 1\n  - 2\n'],
    ["from_yaml('a: [1, 2]\\nb: yes')", { a: [1, 2], b: 'yes' }],
    // base64, paths, hashes
    ["b64encode('plumb:é')", 'cGx1bWI6w6k='],
    ["b64decode('cGx1bWI6w6k=')", 'plumb:é'],
    ["basename('/etc/nginx/nginx.conf')", 'nginx.conf'],
    ["basename('/etc/nginx/')", ''],
    ["dirname('/etc/nginx/nginx.conf')", '/etc/nginx'],
    ["dirname('nginx.conf')", ''],
    ["dirname('/nginx.conf')", '/'],
    ["hash('plumb')", '5f74da46e5ee65934df6cfbc1ed135455b97f783'],
    ["hash('plumb', 'sha256')", '7b8a3f1af073c9b72ea0631011b870e4cd2938bede9fadadccdf876136c0bb1c'],
    ["checksum('plumb')", '5f74da46e5ee65934df6cfbc1ed135455b97f783'],
    // ternary: Python truthiness, and the none value
    ["ternary(true, 'yes', 'no')", 'yes'],
    ["ternary(empty_list, 'yes', 'no')", 'no'],
    ["ternary(nothing, 'yes', 'no', 'none')", 'none'],
    ["ternary(nothing, 'yes', 'no')", 'no'],
    ['mandatory(web.port)', 8080],
    // variables win over helpers; vars.x is the lenient read that templates use too
    ["vars.nope ?? 'y'", 'y'],
    ['vars.web.port ?? 1', 8080],
    ["vars['web'].port", 8080],
  ];
  for (const [expr, want] of cases) {
    it(`${expr} -> ${JSON.stringify(want)}`, () => expect(evaluate(expr, vars)).to.deep.equal(want));
  }

  it('a variable named like a helper is the variable', () => {
    expect(evaluate('int', { int: 'mine' })).to.equal('mine');
  });

  const refused: Array<[string, RegExp]> = [
    ["bool('enabled')", /bool\(\) got "enabled", which is neither true nor false/], // Ansible: silently false
    ['bool(2)', /neither true nor false/],
    ['length(nothing)', /length\(\) takes a string, a list or a mapping, got null/],
    ["mandatory(web.missing, 'set web.missing')", /^set web\.missing$/],
    ['mandatory(web.missing)', /mandatory variable not defined/],
    ["hash('x', 'crc32')", /unknown algorithm 'crc32'/],
    ["combine({}, {}, false, 'merge')", /unknown list_merge 'merge'/],
    ['combine(1)', /combine\(\) takes mappings/],
    ['from_json(\'{"__proto__": {"x": 1}}\')', /'__proto__' is not allowed/],
    ["from_yaml('constructor: 1')", /'constructor' is not allowed/],
    ["from_json('{')", /from_json\(\)/],
    ["b64decode('***')", /not base64/],
    ["regex_replace('x', '(', '')", /invalid regular expression/],
    ["dict2items({ a: 1 }, '__proto__')", /'__proto__' is not allowed/],
    ["items2dict([{ key: 'toString', value: 1 }])", /may not define 'toString'/],
    ['d(nope.constructor, 1)', /'constructor' is not allowed/],
    ["d(process, 'y')", /'process' is not available/], // lenient is for undefined names, not controller globals
    ['join(web)', /join\(\) takes a list, got mapping/],
    ["version('1.0', '2', '~=')", /operator '~=' is not one of/],
    ["version(web, '2')", /version\(\) compares two version strings, got mapping/],
    ["version('1', '2', 'lt', true)", /compares loosely only/],
    ["version('1', '2', 'lt', false, 'semver')", /compares loosely only/],
  ];
  for (const [expr, message] of refused) {
    it(`refused: ${expr}`, () => expect(() => evaluate(expr, vars)).to.throw(ExpressionError, message));
  }

  it('helpers never reach the controller: none of them is the real global or module', () => {
    for (const name of ['hash', 'to_yaml', 'b64encode', 'basename']) expect(() => evaluate(`${name}.constructor`, vars)).to.throw(ExpressionError);
  });
});
