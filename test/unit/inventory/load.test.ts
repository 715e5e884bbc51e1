import { expect } from 'chai';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import { loadInventory, type Inventory } from '../../../src/inventory/load.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';

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
      { name: 'ansible_ssh_* aliases', vars: '{ansible_ssh_host: 10.0.0.6, ansible_ssh_port: 2200, ansible_ssh_user: ops}', want: { address: '10.0.0.6', port: 2200, user: 'ops' } },
      { name: 'ansible_private_key_file alias', vars: '{ansible_private_key_file: /keys/alt}', want: { keyFile: '/keys/alt' } },
      {
        name: 'plumb_* names win over Ansible names',
        vars: '{ansible_host: 10.0.0.5, plumb_host: 10.9.9.9, ansible_port: 2222, plumb_port: 22, ansible_user: a, plumb_user: p, ansible_ssh_private_key_file: /a, plumb_private_key_file: /p, ansible_become: false, plumb_become: true}',
        want: { address: '10.9.9.9', port: 22, user: 'p', keyFile: '/p', become: true },
      },
      { name: 'a numeric string port is accepted', vars: '{ansible_port: "2022"}', want: { port: 2022 } },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const inv = load({ 'inventory.yml': `all:\n  hosts:\n    h1: ${c.vars}\n` });
        expect(inv.hosts.get('h1')!.conn).to.deep.include(c.want);
      });
    }

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
      { name: 'hosts as a list', text: 'all:\n  hosts:\n    - web1\n    - web2\n', message: /'hosts' must be a mapping of host names \(not a list\)/, line: 3, col: 5 },
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
});
