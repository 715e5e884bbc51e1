import { expect } from 'chai';
import { RawInventory } from '../../../src/inventory/build.js';
import { parseIni, shlexSplit } from '../../../src/inventory/ini.js';

function parse(text: string): RawInventory {
  const inv = new RawInventory({ file: 'hosts', line: 1, col: 1 });
  parseIni(inv, 'hosts', text);
  return inv;
}

describe('inventory/ini', () => {
  it('sections, host vars, group vars, children and comments', () => {
    const inv = parse(
      ['# comment', '; also a comment', 'top', '[web]', 'w1 a=1 b="x y"', 'w[2:3]', '[web:vars]', 'port = 80', '[prod:children]', 'web', ''].join('\n'),
    );
    expect([...inv.hosts.keys()]).to.deep.equal(['top', 'w1', 'w2', 'w3']);
    expect([...inv.groups.get('web')!.hosts]).to.deep.equal(['w1', 'w2', 'w3']);
    expect([...inv.groups.get('ungrouped')!.hosts]).to.deep.equal(['top']);
    expect(inv.hosts.get('w1')!.vars.vars).to.deep.equal({ a: 1, b: 'x y' });
    expect(inv.groups.get('web')!.vars.vars).to.deep.equal({ port: 80 });
    expect([...inv.groups.get('prod')!.children]).to.deep.equal(['web']);
    expect(inv.problems).to.deep.equal([]);
  });

  it('a child named before its group is declared is linked when the group appears', () => {
    const inv = parse('[dc:children]\nprod\n[prod:children]\nweb\n[web]\nw1\n');
    expect([...inv.groups.get('dc')!.children]).to.deep.equal(['prod']);
    expect([...inv.groups.get('prod')!.children]).to.deep.equal(['web']);
    expect(inv.problems).to.deep.equal([]);
  });

  it('ansible_group_priority sets the group priority and is not a variable', () => {
    const inv = parse('[a]\nh1\n[a:vars]\nansible_group_priority=7\nx=1\n');
    expect(inv.groups.get('a')!.priority).to.equal(7);
    expect(inv.groups.get('a')!.vars.vars).to.deep.equal({ x: 1 });
  });

  const bad: Array<[string, string, RegExp, number]> = [
    ['an unknown section type', '[web:hosts2]\nw1\n', /unknown type/, 1],
    ['a section with a space', '[web servers]\n', /invalid section entry/, 1],
    ['a host var without =', '[web]\nw1 novalue\n', /expected key=value host variable/, 2],
    ['a group var without =', '[web]\nw1\n[web:vars]\njustaword\n', /expected key=value/, 4],
    ['a child never declared', '[prod:children]\nghost\n', /never defined: ghost/, 2],
    ['vars for a group never declared', '[ghost:vars]\nx=1\n', /never defined: ghost/, 1],
    ['an unclosed quote', '[web]\nw1 a="x\n', /no closing quotation/, 2],
    ['a YAML file read as INI', '---\nall:\n', /looks like a YAML file/, 1],
    ['a bad range', '[web]\nw[1:2:3:4]\n', /begin:end/, 2],
  ];
  for (const [name, text, msg, line] of bad) {
    it(`${name} is an error at its line`, () => {
      const inv = parse(text);
      expect(inv.problems.map((p) => p.message).join('\n')).to.match(msg);
      expect(inv.problems[0]!.pos).to.include({ line });
    });
  }

  const shlex: Array<[string, string[]]> = [
    ['a b  c', ['a', 'b', 'c']],
    ['k="x y" j=\'1 2\'', ['k=x y', 'j=1 2']],
    ['a\\ b', ['a b']],
    ['k="say \\"hi\\""', ['k=say "hi"']],
    ['h1 url=http://x/#frag more', ['h1', 'url=http://x/']],
    ['h1 # comment', ['h1']],
    ['e=""', ['e=']],
  ];
  for (const [line, want] of shlex) it(`shlex: ${line}`, () => expect(shlexSplit(line)).to.deep.equal(want));
});
