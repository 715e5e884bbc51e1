import { expect } from 'chai';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import { ansibleBoolean, loadInventory, type Inventory, type LoadOptions } from '../../../src/inventory/load.js';
import { Vault, vaultSources } from '../../../src/inventory/vault.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';
import { encryptVault, vaultScalar } from '../../fixtures/vault.js';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const dirs: string[] = [];
function load(files: Record<string, string>): Inventory {
  const dir = tree(files);
  dirs.push(dir);
  return loadInventory(join(dir, 'inventory.yml'));
}
function loadError(files: Record<string, string>): InputError {
  try {
    load(files);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}
after(() => dirs.forEach(removeTree));

describe('inventory/load', () => {
  describe('Ansible YAML layout', () => {
    it('loads all -> children -> hosts/vars with nested groups', () => {
      const inv = load({
        'inventory.yml': yaml`
          all:
            vars:
              env: prod
            hosts:
              bastion:
            children:
              web:
                hosts:
                  web1:
                  web2:
                    http_port: 8080
              db:
                children:
                  primary:
                    hosts:
                      db1:
                  replica:
                    hosts:
                      db2:
        `,
      });
      expect([...inv.hosts.keys()]).to.have.members(['bastion', 'web1', 'web2', 'db1', 'db2']);
      expect(inv.groups.get('all')!.hosts).to.have.members(['bastion', 'web1', 'web2', 'db1', 'db2']);
      expect(inv.groups.get('db')!.hosts).to.have.members(['db1', 'db2']);
      expect(inv.groups.get('db')!.children).to.have.members(['primary', 'replica']);
      expect(inv.groups.get('primary')!.depth).to.equal(2);
      expect(inv.groups.get('web')!.depth).to.equal(1);
      expect(inv.hosts.get('db1')!.groups).to.deep.equal(['all', 'db', 'primary']);
      expect(inv.hosts.get('web2')!.vars).to.include({ env: 'prod', http_port: 8080 });
      expect(inv.hosts.get('bastion')!.vars).to.include({ env: 'prod' });
    });

    it('loads top-level groups without `all` and puts them under all', () => {
      const inv = load({
        'inventory.yml': yaml`
          web:
            hosts:
              web1:
            vars:
              role: web
          db:
            hosts:
              db1:
        `,
      });
      expect(inv.groups.get('all')!.hosts).to.have.members(['web1', 'db1']);
      expect(inv.groups.get('all')!.children).to.have.members(['ungrouped', 'web', 'db']);
      expect(inv.hosts.get('web1')!.groups).to.deep.equal(['all', 'web']);
      expect(inv.hosts.get('web1')!.vars.role).to.equal('web');
      expect(inv.hosts.get('db1')!.vars.role).to.equal(undefined);
    });

    it('a host listed in two groups is one host in both', () => {
      const inv = load({
        'inventory.yml': yaml`
          all:
            children:
              a:
                hosts:
                  h1:
              b:
                hosts:
                  h1:
        `,
      });
      expect([...inv.hosts.keys()]).to.deep.equal(['h1']);
      expect(inv.hosts.get('h1')!.groups).to.deep.equal(['all', 'a', 'b']);
    });

    it('records the position of each host', () => {
      const inv = load({ 'inventory.yml': 'all:\n  hosts:\n    web1:\n    web2:\n' });
      expect(inv.hosts.get('web2')!.pos).to.include({ line: 4, col: 5 });
    });
  });

  describe('group_vars/ and host_vars/', () => {
    it('reads group_vars/<group>.yml, .yaml and directories (the folder alone when both exist, as Ansible 2.14); host_vars/<host>.yml and directories', () => {
      const inv = load({
        'inventory.yml': yaml`
          all:
            children:
              web:
                hosts:
                  web1:
                  web2:
        `,
        'group_vars/all.yml': 'from_all_file: 1\n',
        'group_vars/web.yaml': 'from_web_yaml: 2\n',
        'group_vars/web/10-main.yml': 'from_web_dir_a: 3\n',
        'group_vars/web/20-more.yaml': 'from_web_dir_b: 4\n',
        'group_vars/web/README.txt': 'not yaml: ignored\n',
        'host_vars/web1.yml': 'from_host_file: 5\n',
        'host_vars/web2/main.yml': 'from_host_dir: 6\n',
      });
      expect(inv.hosts.get('web1')!.vars).to.include({ from_all_file: 1, from_web_dir_a: 3, from_web_dir_b: 4, from_host_file: 5 });
      expect(inv.hosts.get('web1')!.vars).not.to.have.property('from_web_yaml');
      expect(inv.hosts.get('web1')!.vars).not.to.have.property('from_host_dir');
      expect(inv.hosts.get('web2')!.vars).to.include({ from_host_dir: 6 });
      expect(inv.hosts.get('web2')!.vars).not.to.have.property('from_host_file');
    });

    it('an empty vars file is fine', () => {
      const inv = load({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n', 'group_vars/all.yml': '# nothing yet\n' });
      expect(inv.hosts.get('h1')!.vars).to.deep.equal({});
    });

    it('a vars file that is not a mapping is an error at its position', () => {
      const e = loadError({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n', 'group_vars/all.yml': '- a\n- b\n' });
      expect(e.problems[0]!.pos).to.include({ line: 1, col: 1 });
      expect(e.problems[0]!.pos!.file).to.match(/group_vars\/all\.yml$/);
      expect(e.problems[0]!.message).to.match(/mapping/);
    });

    it('bad YAML in host_vars is reported with the file and line', () => {
      const e = loadError({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n', 'host_vars/h1.yml': 'a: 1\nb: [1, 2\n' });
      expect(e.problems[0]!.pos!.file).to.match(/host_vars\/h1\.yml$/);
      expect(e.message).to.match(/invalid YAML/);
    });
  });

  describe('variable precedence: inline group vars < group_vars files < inline host vars < host_vars files', () => {
    const files = {
      'inventory.yml': yaml`
        all:
          vars:
            v_all: inline-all
            v_parent: inline-all
            v_child: inline-all
            v_host: inline-all
            v_file: inline-all
          children:
            db:
              vars:
                v_parent: inline-db
                v_child: inline-db
                v_host: inline-db
              children:
                primary:
                  vars:
                    v_child: inline-primary
                    v_host: inline-primary
                    v_gfile: inline-primary
                  hosts:
                    db1:
                      v_host: inline-host
                      v_hfile: inline-host
      `,
      'group_vars/all.yml': 'v_file: file-all\n',
      'group_vars/primary.yml': 'v_gfile: file-primary\n',
      'host_vars/db1.yml': 'v_hfile: file-host\n',
    };
    const cases: Array<[string, string]> = [
      ['v_all', 'inline-all'],
      ['v_parent', 'inline-db'],
      ['v_child', 'inline-primary'],
      ['v_host', 'inline-host'],
      ['v_file', 'file-all'],
      ['v_gfile', 'file-primary'],
      ['v_hfile', 'file-host'],
    ];
    for (const [name, want] of cases) {
      it(`${name} = ${want}`, () => {
        expect(load(files).hosts.get('db1')!.vars[name]).to.equal(want);
      });
    }

    it('a child group beats its parent even when the parent is declared later', () => {
      const inv = load({
        'inventory.yml': yaml`
          all:
            children:
              leaf:
                vars:
                  x: leaf
                hosts:
                  h1:
              mid:
                vars:
                  x: mid
                children:
                  leaf:
        `,
      });
      expect(inv.groups.get('leaf')!.depth).to.equal(2);
      expect(inv.hosts.get('h1')!.vars.x).to.equal('leaf');
    });

    it('group_vars/all.yml beats a child group inline var (every inline group var comes first, as in Ansible)', () => {
      const inv = load({
        'inventory.yml': 'all:\n  children:\n    web:\n      vars:\n        x: web\n      hosts:\n        h1:\n',
        'group_vars/all.yml': 'x: all-file\n',
      });
      expect(inv.hosts.get('h1')!.vars.x).to.equal('all-file');
    });
  });

  describe('connection variables', () => {
    const cases: Array<{ name: string; vars: string; want: Record<string, unknown> }> = [
      { name: 'defaults: address is the host name', vars: '{}', want: { address: 'h1', port: undefined, user: undefined, become: false } },
      {
        name: "Ansible's names",
        vars: '{ansible_host: 10.0.0.5, ansible_port: 2222, ansible_user: deploy, ansible_ssh_private_key_file: /keys/id, ansible_become: true}',
        want: { address: '10.0.0.5', port: 2222, user: 'deploy', keyFile: '/keys/id', become: true },
      },
      {
        name: 'ansible_ssh_* aliases',
        vars: '{ansible_ssh_host: 10.0.0.6, ansible_ssh_port: 2200, ansible_ssh_user: ops}',
        want: { address: '10.0.0.6', port: 2200, user: 'ops' },
      },
      { name: 'ansible_private_key_file alias', vars: '{ansible_private_key_file: /keys/alt}', want: { keyFile: '/keys/alt' } },
      {
        name: 'plumb_* names win over Ansible names',
        vars: '{ansible_host: 10.0.0.5, plumb_host: 10.9.9.9, ansible_port: 2222, plumb_port: 22, ansible_user: a, plumb_user: p, ansible_ssh_private_key_file: /a, plumb_private_key_file: /p, ansible_become: false, plumb_become: true}',
        want: { address: '10.9.9.9', port: 22, user: 'p', keyFile: '/p', become: true },
      },
      { name: 'a numeric string port is accepted', vars: '{ansible_port: "2022"}', want: { port: 2022 } },
      { name: 'plumb_proxy_jump', vars: '{plumb_proxy_jump: "ops@lb:2222,b"}', want: { proxyJump: 'ops@lb:2222,b' } },
      { name: '-J in ansible_ssh_common_args', vars: '{ansible_ssh_common_args: "-o ControlMaster=auto -J root@lb"}', want: { proxyJump: 'root@lb' } },
      { name: '-o ProxyJump= in ansible_ssh_extra_args', vars: '{ansible_ssh_extra_args: "-o ProxyJump=lb"}', want: { proxyJump: 'lb' } },
      { name: 'plumb_proxy_jump wins over the ssh args', vars: '{plumb_proxy_jump: a, ansible_ssh_common_args: "-J b"}', want: { proxyJump: 'a' } },
      {
        name: 'become and key secrets',
        vars: '{ansible_become_password: pw, plumb_private_key_passphrase: pp}',
        want: { becomePassword: 'pw', keyPassphrase: 'pp' },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const inv = load({ 'inventory.yml': `all:\n  hosts:\n    h1: ${c.vars}\n` });
        expect(inv.hosts.get('h1')!.conn).to.deep.include(c.want);
      });
    }

    const refused: Array<[string, RegExp]> = [
      ['{ansible_ssh_common_args: "-o ProxyCommand=\'nc %h %p\'"}', /ProxyCommand is not supported/],
      ['{plumb_proxy_jump: "a:b"}', /bad ProxyJump hop/],
    ];
    for (const [vars, why] of refused)
      it(`refuses ${vars}`, () => expect(loadError({ 'inventory.yml': `all:\n  hosts:\n    h1: ${vars}\n` }).message).to.match(why));

    it('relative key files and plumb_known_hosts resolve against the inventory folder', () => {
      const inv = load({ 'inventory.yml': 'all:\n  hosts:\n    h1: {ansible_ssh_private_key_file: keys/id, plumb_known_hosts: known_hosts}\n' });
      expect(inv.hosts.get('h1')!.conn.keyFile).to.equal(join(inv.dir, 'keys/id'));
      expect(inv.hosts.get('h1')!.conn.knownHosts).to.equal(join(inv.dir, 'known_hosts'));
    });

    it('connection vars from a group apply to its hosts', () => {
      const inv = load({ 'inventory.yml': 'all:\n  vars:\n    ansible_user: admin\n  hosts:\n    h1:\n    h2: {ansible_user: other}\n' });
      expect(inv.hosts.get('h1')!.conn.user).to.equal('admin');
      expect(inv.hosts.get('h2')!.conn.user).to.equal('other');
    });

    const bad: Array<{ name: string; vars: string; message: RegExp; col: number }> = [
      { name: 'port out of range', vars: 'ansible_port: 70000', message: /port must be an integer 1-65535, got 70000/, col: 7 },
      { name: 'port zero', vars: 'ansible_port: 0', message: /port must be an integer/, col: 7 },
      { name: 'port not a number', vars: 'ansible_port: ssh', message: /port must be an integer 1-65535, got "ssh"/, col: 7 },
      { name: 'become as a word that is no boolean', vars: 'ansible_become: maybe', message: /become must be a boolean, got "maybe"/, col: 7 },
      { name: 'winrm connection', vars: 'ansible_connection: winrm', message: /ansible_connection=winrm is not supported/, col: 7 },
    ];
    for (const c of bad) {
      it(`rejects ${c.name} at the variable's line`, () => {
        const e = loadError({ 'inventory.yml': `all:\n  hosts:\n    h1:\n      ${c.vars}\n` });
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]!.message).to.match(c.message);
        expect(e.problems[0]!.pos).to.include({ line: 4, col: c.col });
      });
    }
  });

  describe('schema errors', () => {
    const cases: Array<{ name: string; text: string; message: RegExp; line: number; col: number }> = [
      {
        name: 'hosts as a list',
        text: 'all:\n  hosts:\n    - web1\n    - web2\n',
        message: /'hosts' must be a mapping of host names \(not a list\)/,
        line: 3,
        col: 5,
      },
      { name: 'children as a list', text: 'all:\n  children:\n    - web\n', message: /'children' must be a mapping/, line: 3, col: 5 },
      { name: 'unknown group key', text: 'all:\n  hosts:\n    h1:\n  host_vars:\n    x: 1\n', message: /unknown key 'host_vars'/, line: 4, col: 3 },
      { name: 'vars as a list', text: 'all:\n  vars:\n    - a\n  hosts:\n    h1:\n', message: /'vars' must be a mapping/, line: 3, col: 5 },
      { name: 'a host entry as a string', text: 'all:\n  hosts:\n    h1: 10.0.0.1\n', message: /a host entry must be a mapping/, line: 3, col: 9 },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const e = loadError({ 'inventory.yml': c.text });
        expect(e.problems[0]!.message).to.match(c.message);
        expect(e.problems[0]!.pos).to.include({ line: c.line, col: c.col });
      });
    }

    it('an empty inventory is an error with a hint', () => {
      const e = loadError({ 'inventory.yml': '' });
      expect(e.problems[0]!.message).to.match(/empty/);
      expect(e.problems[0]!.hint).to.match(/all:/);
    });

    it('reports several problems at once', () => {
      const e = loadError({ 'inventory.yml': 'all:\n  hosts:\n    h1: {ansible_port: 99999}\n    h2: {ansible_become: "maybe"}\n' });
      expect(e.problems.map((p) => p.pos!.line)).to.deep.equal([3, 4]);
    });

    it('a bad connection var in a group is reported once, naming the hosts it affects', () => {
      const e = loadError({ 'inventory.yml': 'all:\n  vars:\n    ansible_port: 0\n  hosts:\n    h1:\n    h2:\n    h3: {ansible_port: 22}\n' });
      expect(e.problems).to.have.length(1);
      expect(e.problems[0]!.message).to.equal('h1, h2: port must be an integer 1-65535, got 0');
      expect(e.problems[0]!.pos).to.include({ line: 3, col: 5 });
    });

    it('many hosts are summarised', () => {
      const hosts = Array.from({ length: 8 }, (_, i) => `    h${i}:\n`).join('');
      const e = loadError({ 'inventory.yml': `all:\n  vars:\n    ansible_become: "perhaps"\n  hosts:\n${hosts}` });
      expect(e.problems).to.have.length(1);
      expect(e.problems[0]!.message).to.equal('h0, h1, h2, h3, h4 and 3 more: become must be a boolean, got "perhaps"');
    });

    it('a group secret that cannot be resolved is reported once', () => {
      const e = loadError({ 'inventory.yml': 'all:\n  vars:\n    api_token: {secret_env: PLUMB_TEST_UNSET_TOKEN}\n  hosts:\n    h1:\n    h2:\n' });
      expect(e.problems).to.have.length(1);
      expect(e.problems[0]!.message).to.match(/secret 'api_token' reads environment variable PLUMB_TEST_UNSET_TOKEN/);
    });

    it('a group cycle is an error', () => {
      const e = loadError({ 'inventory.yml': 'all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n' });
      expect(e.message).to.match(/group cycle/);
    });
  });

  describe('as Ansible 2.14 loads it', () => {
    const at = (files: Record<string, string>, sources: string[], opts: LoadOptions = {}): Inventory => {
      const dir = tree(files);
      dirs.push(dir);
      return loadInventory(
        sources.map((x) => (x.includes(',') ? x : join(dir, x))),
        opts,
      );
    };
    const errorOf = (fn: () => unknown): InputError => {
      try {
        fn();
      } catch (e) {
        if (e instanceof InputError) return e;
        throw e;
      }
      throw new Error('expected an InputError');
    };

    describe('precedence at every level (Ansible: VARIABLE_PRECEDENCE, then host vars, then host_vars)', () => {
      // One variable per pair of adjacent levels; the later level must win. Order, low to high:
      // all inline, group inline (by depth, ansible_group_priority, name), group_vars/all,
      // group_vars/<group> (same order), host inline, host_vars/<host>.
      const files = {
        'hosts.yml': yaml`
          all:
            vars:
              a: all-inline
            children:
              parent:
                vars:
                  a: parent-inline
                  b: parent-inline
                children:
                  child:
                    vars:
                      b: child-inline
                      c: child-inline
                      f: child-inline
                    hosts:
                      h1:
                        e: host-inline
                        g: host-inline
        `,
        'group_vars/all.yml': 'c: gv-all\nd: gv-all\n',
        'group_vars/parent/main.yml': 'd: gv-parent-folder\nf: gv-parent-folder\n',
        'group_vars/child': 'd: gv-child-noext\ne: gv-child-noext\n',
        'host_vars/h1.yaml': 'g: host-vars\n',
      };
      const want: Array<[string, string, string]> = [
        ['a', 'parent-inline', 'a group inline beats all inline'],
        ['b', 'child-inline', 'a deeper group inline beats its parent inline'],
        ['c', 'gv-all', 'group_vars/all beats every group inline'],
        ['d', 'gv-child-noext', 'group_vars/<child> beats group_vars/<parent> beats group_vars/all'],
        ['e', 'host-inline', 'host inline beats group_vars files'],
        ['f', 'gv-parent-folder', 'group_vars/<parent> beats a child group inline'],
        ['g', 'host-vars', 'host_vars beats host inline'],
      ];
      for (const [k, v, why] of want) it(`${why}: ${k} = ${v}`, () => expect(at(files, ['hosts.yml']).hosts.get('h1')!.vars[k]).to.equal(v));

      it('ansible_group_priority orders groups of one depth and is not a variable', () => {
        const inv = at(
          {
            'h.yml': 'a:\n  vars: {x: a, ansible_group_priority: 5}\n  hosts: {h1: }\nb:\n  vars: {x: b}\n  hosts: {h1: }\n',
            'group_vars/a.yml': 'y: a\n',
            'group_vars/b.yml': 'y: b\n',
          },
          ['h.yml'],
        );
        expect(inv.hosts.get('h1')!.vars).to.deep.equal({ x: 'a', y: 'a' });
        expect(inv.groups.get('a')!.priority).to.equal(5);
      });

      it('siblings merge in code-point order (Z before a), not locale order', () => {
        const inv = at({ 'h.yml': 'a:\n  vars: {x: a}\n  hosts: {h1: }\nZ:\n  vars: {x: Z}\n  hosts: {h1: }\n' }, ['h.yml']);
        expect(inv.hosts.get('h1')!.vars.x).to.equal('a');
        expect(inv.hosts.get('h1')!.groups).to.deep.equal(['all', 'Z', 'a']);
      });
    });

    describe('host keys', () => {
      it('expands ranges and splits host:port into ansible_port (inline vars still win)', () => {
        const inv = at(
          { 'h.yml': 'all:\n  hosts:\n    www[01:03].x:\n    db-[a:b]:\n    n[1:5:2]:\n    h.example.com:5309:\n    p:2222: {ansible_port: 22}\n' },
          ['h.yml'],
        );
        expect([...inv.hosts.keys()]).to.deep.equal(['www01.x', 'www02.x', 'www03.x', 'db-a', 'db-b', 'n1', 'n3', 'n5', 'h.example.com', 'p']);
        expect(inv.hosts.get('h.example.com')!.conn.port).to.equal(5309);
        expect(inv.hosts.get('p')!.vars.ansible_port).to.equal(22);
      });

      it('numeric host names are refused, as Ansible does, with a hint to quote them', () => {
        const e = errorOf(() => at({ 'h.yml': 'all:\n  hosts:\n    010:\n    1.10:\n    "020":\n' }, ['h.yml']));
        expect(e.problems.map((p) => [p.message, p.pos!.line])).to.deep.equal([
          ['host name 010 is read as a number, not a name', 3],
          ['host name 1.10 is read as a number, not a name', 4],
        ]);
        expect(e.problems[0]!.hint).to.equal('quote it: "010":');
      });

      it('a numeric variable name is not a host name', () => {
        const inv = at({ 'h.yml': 'all:\n  hosts:\n    h1:\n      ports: {80: http}\n' }, ['h.yml']);
        expect(inv.hosts.get('h1')!.vars.ports).to.deep.equal({ 80: 'http' });
      });
    });

    describe('sources', () => {
      it('-i DIR reads every inventory file in it (sorted; .ini, .md and hidden files skipped) and its group_vars/host_vars', () => {
        const inv = at(
          {
            'inv/a.yml': 'web:\n  hosts:\n    w1:\n',
            'inv/b': '[db]\nd1\n',
            'inv/c.ini': '[skipped]\nx1\n',
            'inv/README.md': 'nothing',
            'inv/.hidden': '[h]\nh1\n',
            'inv/group_vars/web.yml': 'v: web\n',
            'inv/host_vars/d1.yml': 'v: d1\n',
          },
          ['inv'],
        );
        expect([...inv.hosts.keys()]).to.deep.equal(['w1', 'd1']);
        expect(inv.hosts.get('w1')!.vars.v).to.equal('web');
        expect(inv.hosts.get('d1')!.vars.v).to.equal('d1');
      });

      it('a directory holding only *.ini files is an error that says why (Ansible skips them silently)', () => {
        const e = errorOf(() => at({ 'inv/hosts.ini': '[web]\nw1\n' }, ['inv']));
        expect(e.message).to.match(/no hosts in this directory \(hosts\.ini skipped/);
        expect(e.problems[0]!.hint).to.match(/-i .*inv\/hosts\.ini/);
      });

      it('-i given several times merges the sources, each with the vars folders beside it', () => {
        const inv = at(
          { 'a/h.yml': 'web:\n  hosts:\n    w1:\n', 'a/group_vars/web.yml': 'x: a\n', 'b/h.ini': '[web]\nw2\n', 'b/group_vars/web.yml': 'x: b\ny: b\n' },
          ['a/h.yml', 'b/h.ini'],
        );
        expect(inv.groups.get('web')!.hosts).to.deep.equal(['w1', 'w2']);
        expect(inv.hosts.get('w1')!.vars).to.deep.equal({ x: 'b', y: 'b' });
      });

      it('a comma list is a list of ungrouped hosts, with ports', () => {
        const inv = loadInventory('h1,h2:2222,');
        expect([...inv.hosts.keys()]).to.deep.equal(['h1', 'h2']);
        expect(inv.hosts.get('h2')!.conn.port).to.equal(2222);
        expect(inv.groups.get('ungrouped')!.hosts).to.deep.equal(['h1', 'h2']);
      });

      it('a file without an extension that is YAML is read as YAML, otherwise as INI', () => {
        expect([...at({ hosts: 'all:\n  hosts:\n    y1:\n' }, ['hosts']).hosts.keys()]).to.deep.equal(['y1']);
        expect([...at({ hosts: 'i1\n[g]\ni2\n' }, ['hosts']).hosts.keys()]).to.deep.equal(['i1', 'i2']);
      });

      it('a YAML file without an extension that has a YAML mistake reports the YAML error, not INI ones', () => {
        const e = errorOf(() => at({ hosts: 'all:\n  hosts:\n    h1: {a: 1\n' }, ['hosts']));
        expect(e.message).to.match(/invalid YAML/);
      });

      it('hosts: NAME (a string) is one host, as in Ansible', () => {
        expect(at({ 'h.yml': 'web:\n  hosts: w1\n' }, ['h.yml']).groups.get('web')!.hosts).to.deep.equal(['w1']);
      });

      it('refuses inventory scripts, plugin configs and missing sources with a reason', () => {
        expect(errorOf(() => at({ 'inv.py': '#!/usr/bin/env python3\n' }, ['inv.py'])).message).to.match(/does not run inventory scripts/);
        expect(errorOf(() => at({ 'aws_ec2.yml': 'plugin: amazon.aws.aws_ec2\n' }, ['aws_ec2.yml'])).message).to.match(/inventory plugin configuration/);
        expect(errorOf(() => at({}, ['nope.yml'])).message).to.match(/does not exist/);
      });
    });

    describe('variable files, as find_vars_files finds them', () => {
      const files = {
        'h.yml': 'all:\n  hosts:\n    h1:\n    h2:\n',
        'group_vars/all': 'noext: 1\n',
        'group_vars/all.yml': 'yml: 1\n',
        'host_vars/h1/10.yml': 'order: 10\nten: 1\n',
        'host_vars/h1/20': 'order: 20\ntwenty: 1\n',
        'host_vars/h1/30-sub/x.yaml': 'order: 30\nsub: 1\n',
        'host_vars/h1/40.json': '{"order": 40, "json": 1}',
        'host_vars/h1/.hidden.yml': 'hidden: 1\n',
        'host_vars/h1/old.yml~': 'backup: 1\n',
        'host_vars/h1/notes.txt': 'txt: 1\n',
        'host_vars/h1.yml': 'file_beside_folder: 1\n',
        'host_vars/h2.json': '{"h2json": true}',
      };
      it('a name without extension (file or folder) comes first and is the only one read', () => {
        const inv = at(files, ['h.yml']);
        expect(inv.hosts.get('h2')!.vars).to.deep.equal({ noext: 1, h2json: true });
      });
      it('a folder: sorted, subfolders descended, extensionless and .json read; hidden, ~ and other extensions skipped', () => {
        expect(at(files, ['h.yml']).hosts.get('h1')!.vars).to.deep.equal({ noext: 1, order: 40, ten: 1, twenty: 1, sub: 1, json: 1 });
      });
    });

    it('ansible_connection: local is this machine: no SSH, and ansible_user does not apply', () => {
      const h = at({ 'h.yml': 'all:\n  vars: {ansible_user: admin}\n  hosts:\n    me: {ansible_connection: local}\n    them:\n' }, ['h.yml']).hosts;
      expect(h.get('me')!.conn).to.deep.include({ local: true, user: undefined });
      expect(h.get('them')!.conn).to.deep.include({ user: 'admin' }).and.not.have.property('local');
    });

    describe('booleans where plumb expects one', () => {
      for (const [text, want] of [
        ['yes', true],
        ['No', false],
        ['ON', true],
        ['off', false],
        ['"true"', true],
        ['False', false],
        ['1', true],
      ] as const) {
        it(`ansible_become: ${text} -> ${want}`, () =>
          expect(at({ 'h.yml': `all:\n  hosts:\n    h1: {ansible_become: ${text}}\n` }, ['h.yml']).hosts.get('h1')!.conn.become).to.equal(want));
      }
      it('the variable itself keeps its YAML 1.2 value', () => {
        expect(at({ 'h.yml': 'all:\n  hosts:\n    h1: {ansible_become: yes}\n' }, ['h.yml']).hosts.get('h1')!.vars.ansible_become).to.equal('yes');
      });
      it("ansibleBoolean takes Ansible's spellings only", () => {
        expect(['y', 't', 'TRUE', 'n', 'f', 'maybe', 2].map(ansibleBoolean)).to.deep.equal([true, true, true, false, false, undefined, undefined]);
      });
    });

    describe('Ansible Vault', () => {
      let pwdir: string;
      let vault: Vault;
      before(() => {
        pwdir = mkdtempSync(join(tmpdir(), 'plumb-vault-'));
        writeFileSync(join(pwdir, 'pw'), 'hunter2-long\n', { mode: 0o600 });
        vault = new Vault(vaultSources([], [join(pwdir, 'pw')], {}));
      });
      after(() => rmSync(pwdir, { recursive: true, force: true }));

      it('!vault values and whole encrypted vars files decrypt, and every decrypted value is a secret', () => {
        const inv = at(
          {
            'h.yml': `all:\n  vars:\n    db_user_pw: ${vaultScalar('inline-plain-1', 'hunter2-long', '      ')}\n  hosts:\n    h1:\n`,
            'group_vars/all/vault.yml': encryptVault('vaulted_api: whole-file-plain\nnested:\n  k: nested-plain\n', 'hunter2-long'),
            'group_vars/all/plain.yml': 'visible: 1\n',
          },
          ['h.yml'],
          { vault },
        );
        const h = inv.hosts.get('h1')!;
        expect(h.vars).to.deep.include({ db_user_pw: 'inline-plain-1', vaulted_api: 'whole-file-plain', nested: { k: 'nested-plain' }, visible: 1 });
        expect([...h.secretNames])
          .to.include.members(['db_user_pw', 'vaulted_api', 'nested'])
          .and.not.include('visible');
        expect(h.secretValues).to.include.members(['inline-plain-1', 'whole-file-plain', 'nested-plain']);
      });

      it('a whole inventory file encrypted (YAML or INI) loads, every value in it a secret', () => {
        const inv = at(
          {
            'a.yml': encryptVault('all:\n  hosts:\n    y1: {token_like: yaml-plain-1}\n', 'hunter2-long'),
            b: encryptVault('[g]\ni1 note=ini-plain-2\n', 'hunter2-long'),
          },
          ['a.yml', 'b'],
          { vault },
        );
        expect(inv.hosts.get('y1')!.vars.token_like).to.equal('yaml-plain-1');
        expect([...inv.hosts.get('i1')!.secretNames]).to.deep.equal(['note']);
        expect(inv.hosts.get('i1')!.secretValues).to.include('ini-plain-2');
      });

      it('without a password: a clear error at the value, no ciphertext shown', () => {
        const e = errorOf(() => at({ 'h.yml': `all:\n  hosts:\n    h1:\n      x: ${vaultScalar('p', 'hunter2-long', '        ')}\n` }, ['h.yml']));
        expect(e.problems[0]!.message).to.equal("variable 'x' is vault-encrypted and no vault password was given");
        expect(e.problems[0]!.pos).to.include({ line: 4 });
        expect(e.problems[0]!.hint).to.match(/--vault-password-file/);
      });

      it('a wrong password is a clear error naming the file', () => {
        const other = new Vault(vaultSources([], [join(pwdir, 'pw')], {}));
        const e = errorOf(() =>
          at({ 'h.yml': 'all:\n  hosts:\n    h1:\n', 'group_vars/all.yml': encryptVault('a: 1\n', 'not-the-password') }, ['h.yml'], { vault: other }),
        );
        expect(e.message).to.match(/group_vars\/all\.yml: no vault password given decrypts it/);
      });
    });

    describe('secret names', () => {
      for (const name of ['ansible_become_pass', 'ansible_become_password', 'ansible_ssh_pass', 'ansible_password', 'ansible_sudo_pass']) {
        it(`${name} is a secret`, () =>
          expect([...at({ 'h.yml': `all:\n  hosts:\n    h1: {${name}: abcdef}\n` }, ['h.yml']).hosts.get('h1')!.secretNames]).to.deep.equal([name]));
      }
      it('bypass_cache is not', () =>
        expect([...at({ 'h.yml': 'all:\n  hosts:\n    h1: {bypass_cache: abc}\n' }, ['h.yml']).hosts.get('h1')!.secretNames]).to.deep.equal([]));
    });

    describe("the stack's own inventory", () => {
      const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
      let home: string | undefined;
      let saved: string | undefined;
      before(() => {
        // Its secrets are { secret_file, create: true } under ~: keep them out of the real home.
        saved = process.env.HOME;
        home = mkdtempSync(join(tmpdir(), 'plumb-home-'));
        process.env.HOME = home;
      });
      after(() => {
        process.env.HOME = saved;
        if (home) rmSync(home, { recursive: true, force: true });
      });
      it('inventory/hosts.ini resolves exactly as inventory/hosts.yml: hosts, groups, variables, connections', () => {
        const y = loadInventory(join(ROOT, 'inventory/hosts.yml'));
        const i = loadInventory(join(ROOT, 'inventory/hosts.ini'));
        const view = (inv: Inventory) => ({
          hosts: [...inv.hosts.values()].map((h) => ({ name: h.name, groups: h.groups, vars: h.vars, conn: h.conn, secrets: [...h.secretNames].sort() })),
          groups: [...inv.groups.values()].map((g) => ({ name: g.name, hosts: g.hosts, children: g.children })),
        });
        expect(view(i)).to.deep.equal(view(y));
        expect(y.hosts.size).to.equal(3);
      });
    });
  });
});
