import { expect } from 'chai';
import { parseModuleArgs, tokens } from '../../../src/cli/adhoc.js';
import { InputError } from '../../../src/errors.js';

describe('cli/adhoc: -a as Ansible reads it', () => {
  const cases: Array<{ module: string; a: string | undefined; want: unknown }> = [
    { module: 'command', a: undefined, want: {} },
    { module: 'command', a: 'uptime', want: { cmd: 'uptime' } },
    { module: 'command', a: 'ls -l "/srv/a b"', want: { cmd: 'ls -l "/srv/a b"' } },
    { module: 'command', a: 'touch /tmp/x creates=/tmp/x', want: { creates: '/tmp/x', cmd: 'touch /tmp/x' } },
    { module: 'shell', a: 'echo a=b | wc -c', want: { cmd: 'echo a=b | wc -c' } },
    { module: 'apt', a: 'name=nginx state=present', want: { name: 'nginx', state: 'present' } },
    { module: 'apt', a: 'name=nginx,curl update_cache=yes', want: { name: ['nginx', 'curl'], update_cache: true } },
    { module: 'apt', a: 'name=nginx cache_valid_time=3600 install_recommends=No', want: { name: 'nginx', cache_valid_time: 3600, install_recommends: false } },
    { module: 'copy', a: 'content=x dest=/tmp/x', want: { content: 'x', dest: '/tmp/x' } },
    { module: 'copy', a: "content='a b' dest=/tmp/x mode=0644", want: { content: 'a b', dest: '/tmp/x', mode: '0644' } },
    { module: 'copy', a: '{"content": "x", "dest": "/tmp/x"}', want: { content: 'x', dest: '/tmp/x' } },
    { module: 'copy', a: '{content: x, dest: /tmp/x}', want: { content: 'x', dest: '/tmp/x' } },
  ];
  for (const c of cases) it(`${c.module} -a ${JSON.stringify(c.a)}`, () => expect(parseModuleArgs(c.module, c.a)).to.deep.equal(c.want));

  const bad: Array<{ module: string; a: string; message: RegExp }> = [
    { module: 'nope', a: 'x=1', message: /unknown module/ },
    { module: 'apt', a: 'nme=nginx', message: /'nme=nginx' is not one of its arguments/ },
    { module: 'apt', a: 'nginx', message: /'nginx' is not one of its arguments/ },
    { module: 'copy', a: "content='x dest=/tmp/x", message: /unterminated '/ },
    { module: 'copy', a: '[1, 2]', message: /is not one of its arguments/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.module} -a ${JSON.stringify(c.a)}`, () => {
      expect(() => parseModuleArgs(c.module, c.a)).to.throw(InputError, c.message);
    });
  }

  it('tokens keep the raw text of free-form words', () => {
    expect(tokens(`a "b c" k='v w'`)).to.deep.equal([{ raw: 'a' }, { raw: '"b c"' }, { raw: "k='v w'", key: 'k', value: 'v w' }]);
  });
});
