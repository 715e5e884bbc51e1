import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnsibleCfg, findAnsibleCfg, parseIni, readAnsibleCfg } from '../../../src/cli/ansible-cfg.js';
import { loadInventoryFlags, withAnsibleCfg } from '../../../src/cli/commands.js';
import { InputError } from '../../../src/errors.js';

const values = (text: string): Record<string, Record<string, string>> =>
  Object.fromEntries([...parseIni('ansible.cfg', text)].map(([s, o]) => [s, Object.fromEntries([...o].map(([k, v]) => [k, v.value]))]));

function problemsOf(fn: () => unknown): InputError['problems'] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('cli/ansible-cfg', () => {
  describe('parseIni: as configparser(inline_comment_prefixes=(";",)) reads it', () => {
    // Each expectation checked against python3's configparser with Ansible's settings.
    const cases: Array<[string, string, Record<string, Record<string, string>>]> = [
      ['key = value and key: value', '[defaults]\nforks = 5\nremote_user: deploy\n', { defaults: { forks: '5', remote_user: 'deploy' } }],
      ['# and ; comment lines, indented too', '# top\n; top\n[defaults]\n  # inner\nforks=3\n', { defaults: { forks: '3' } }],
      ['; after a space ends the value, # does not', '[defaults]\na = 1 ; note\nb = x;y\nc = x # y\n', { defaults: { a: '1', b: 'x;y', c: 'x # y' } }],
      ['keys are lower-cased, values trimmed', '[defaults]\n  Remote_User   =   root  \n', { defaults: { remote_user: 'root' } }],
      ['the first of = or : splits', '[ssh_connection]\nssh_args = -o ProxyJump=a:2222\n', { ssh_connection: { ssh_args: '-o ProxyJump=a:2222' } }],
      ['continuation lines, a comment among them skipped', '[defaults]\nd:  v\n  cont\n # c\n  more\n', { defaults: { d: 'v\ncont\nmore' } }],
      ['a blank line inside a value, trailing ones dropped', '[defaults]\nd = a\n\n  b\n\n\n[x]\n', { defaults: { d: 'a\n\nb' }, x: {} }],
      ['an empty value', '[defaults]\ne =\n', { defaults: { e: '' } }],
      ['%% is %, %(name)s another option', '[defaults]\nbase = /srv\nx = %(base)s/roles:100%%\n', { defaults: { base: '/srv', x: '/srv/roles:100%' } }],
      ['%(name)s from [DEFAULT]', '[DEFAULT]\nd = /opt\n[defaults]\nx = %(d)s/y\n', { DEFAULT: { d: '/opt' }, defaults: { x: '/opt/y' } }],
      ['CRLF line ends', '[defaults]\r\nforks = 4\r\n', { defaults: { forks: '4' } }],
    ];
    for (const [name, text, want] of cases) it(name, () => expect(values(text)).to.deep.equal(want));

    const bad: Array<[string, string, RegExp, number, number, RegExp]> = [
      ['a line without = or :', '[defaults]\nforks 5\n', /expected key = value, got "forks 5"/, 2, 1, /key = value/],
      ['an option before any section', 'forks = 5\n', /before any \[section\]/, 1, 1, /\[defaults\]/],
      ['a name missing before =', '[defaults]\n  = 5\n', /needs a name/, 2, 3, /key = value/],
      ['an option set twice', '[defaults]\nforks = 5\nFORKS = 6\n', /forks is set twice \(first at line 2\)/, 3, 1, /remove one/],
      ['a section twice', '[defaults]\n[x]\n[defaults]\n', /section \[defaults\] appears twice/, 3, 1, /merge/],
      ['a lone %', '[ssh_connection]\ncontrol_path = %h-%r\n', /a lone %/, 2, 1, /%%/],
      ['%(name)s naming nothing', '[defaults]\nx = %(nope)s\n', /names no option/, 2, 1, /%%/],
    ];
    for (const [name, text, msg, line, col, hint] of bad) {
      it(`${name} is an input error at file:line:col with a hint`, () => {
        const [p, ...rest] = problemsOf(() => parseIni('ansible.cfg', text));
        expect(rest).to.deep.equal([]);
        expect(p!.message).to.match(msg);
        expect(p!.pos).to.deep.equal({ file: 'ansible.cfg', line, col });
        expect(p!.hint).to.match(hint);
      });
    }

    it('reports every bad line of a file at once', () => {
      expect(problemsOf(() => parseIni('a.cfg', '[defaults]\nx\ny\n')).map((p) => p.pos?.line)).to.deep.equal([2, 3]);
    });
  });

  describe('readAnsibleCfg: the options plumb honours', () => {
    const read = (text: string) => readAnsibleCfg('/etc/fleet/ansible.cfg', text, 'ansible.cfg', { HOME: '/home/op', TOP: '/top' });
    const pick = (c: AnsibleCfg) => {
      const { file: _f, noEffect: _n, warnings: _w, ...rest } = c;
      return rest;
    };
    const cases: Array<[string, string, Partial<AnsibleCfg>]> = [
      [
        'inventory: comma-separated, relative to the cfg file',
        '[defaults]\ninventory = hosts.yml, /abs/inv ,$TOP/x\n',
        { inventory: ['/etc/fleet/hosts.yml', '/abs/inv', '/top/x'] },
      ],
      [
        'remote_user and private_key_file (~ expanded)',
        '[defaults]\nremote_user = deploy\nprivate_key_file = keys/id\n',
        { remoteUser: 'deploy', privateKeyFile: '/etc/fleet/keys/id' },
      ],
      ['forks and timeout', '[defaults]\nforks = 7\ntimeout = 3\n', { forks: 7, timeoutS: 3 }],
      ['roles_path: colon-separated', '[defaults]\nroles_path = roles:/usr/share/roles\n', { rolesPath: ['/etc/fleet/roles', '/usr/share/roles'] }],
      ['vault_password_file', '[defaults]\nvault_password_file = .vault-pass\n', { vaultPasswordFile: '/etc/fleet/.vault-pass' }],
      ['host_key_checking: Ansible booleans, any case', '[defaults]\nhost_key_checking = NO\n', { hostKeyChecking: false }],
      ['host_key_checking = True', '[defaults]\nhost_key_checking = True\n', { hostKeyChecking: true }],
      ['ssh_args -o ProxyJump=', '[ssh_connection]\nssh_args = -C -o ControlMaster=auto -o ProxyJump=ops@bastion:2222\n', { proxyJump: 'ops@bastion:2222' }],
      ['ssh_args -J', '[ssh_connection]\nssh_args = -J a,b\n', { proxyJump: 'a,b' }],
      ['ssh_common_args -o ProxyJump', '[ssh_connection]\nssh_common_args = -o ProxyJump=bastion\n', { proxyJump: 'bastion' }],
      [
        '[privilege_escalation]',
        '[privilege_escalation]\nbecome = yes\nbecome_user = app\nbecome_ask_pass = 1\nbecome_method = sudo\n',
        { become: true, becomeUser: 'app', becomeAskPass: true },
      ],
      ["[DEFAULT] values are every section's", '[DEFAULT]\nforks = 9\n[defaults]\n', { forks: 9 }],
      ['an empty file', '', {}],
    ];
    for (const [name, text, want] of cases) it(name, () => expect(pick(read(text))).to.deep.equal(want));

    it('names each option with no effect once, at file:line, and the -v list', () => {
      const c = read(
        [
          '[defaults]',
          'gathering = smart',
          'retry_files_enabled = False',
          '[ssh_connection]',
          'pipelining = True',
          'control_path = %%(directory)s/%%h',
          'ssh_args = -C -o ControlPersist=60s -o ServerAliveInterval=5',
          '[privilege_escalation]',
          'become_method = su',
          '[colors]',
          'ok = green',
        ].join('\n'),
      );
      expect(c.warnings).to.deep.equal([
        'ansible.cfg:2: [defaults] gathering has no effect in plumb',
        'ansible.cfg:3: [defaults] retry_files_enabled has no effect in plumb',
        'ansible.cfg:7: [ssh_connection] ssh_args -o ServerAliveInterval=5 has no effect in plumb (only ProxyJump / -J is read from it)',
        'ansible.cfg:9: [privilege_escalation] become_method = su has no effect in plumb (become is always sudo)',
        'ansible.cfg:11: [colors] ok has no effect in plumb',
      ]);
      expect(c.noEffect).to.deep.equal([
        '[ssh_connection] pipelining',
        '[ssh_connection] control_path',
        '[ssh_connection] ssh_args -C',
        '[ssh_connection] ssh_args -o ControlPersist',
      ]);
    });

    it('host_key_checking = False warns that host keys are not checked strictly', () => {
      expect(read('[defaults]\nhost_key_checking = False\n').warnings[0]).to.match(/^ansible.cfg:2: .*not checked strictly.*changed key is still refused/);
    });

    const bad: Array<[string, string, RegExp, number]> = [
      ['a bad boolean', '[defaults]\nhost_key_checking = maybe\n', /host_key_checking must be a boolean, got "maybe"/, 2],
      ['forks not a positive integer', '[defaults]\nforks = 0\n', /forks must be a positive integer/, 2],
      ['timeout not a number', '[defaults]\ntimeout = 10s\n', /timeout must be a whole number of seconds/, 2],
      ['remote_user not a login name', '[defaults]\nremote_user = Bad User\n', /remote_user must be a login name/, 2],
      ['become_user not a login name', '[privilege_escalation]\nbecome_user = ro ot\n', /become_user must be a login name/, 2],
      ['a bad ProxyJump', '[ssh_connection]\nssh_args = -o ProxyJump=a:99999\n', /ssh_args: bad ProxyJump hop .*port must be 1-65535/, 2],
      ['a ProxyCommand', "[ssh_connection]\nssh_args = -o 'ProxyCommand=nc %%h 22'\n", /ProxyCommand is not supported/, 2],
      ['-J without a value', '[ssh_connection]\nssh_args = -J\n', /-J needs a value/, 2],
    ];
    for (const [name, text, msg, line] of bad) {
      it(`${name} is an input error at its line`, () => {
        const [p] = problemsOf(() => read(text));
        expect(p!.message).to.match(msg);
        expect(p!.pos).to.include({ file: 'ansible.cfg', line });
      });
    }
  });

  describe('findAnsibleCfg: where Ansible looks', () => {
    let dir: string;
    let cwd: string;
    let home: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'plumb-cfg-'));
      cwd = join(dir, 'project');
      home = join(dir, 'home');
      mkdirSync(cwd);
      mkdirSync(home);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('ANSIBLE_CONFIG (a file) first', () => {
      writeFileSync(join(dir, 'other.cfg'), '');
      writeFileSync(join(cwd, 'ansible.cfg'), '');
      expect(findAnsibleCfg({ ANSIBLE_CONFIG: join(dir, 'other.cfg') }, cwd, home)).to.deep.equal({ file: join(dir, 'other.cfg') });
    });
    it('ANSIBLE_CONFIG naming a directory means its ansible.cfg', () => {
      writeFileSync(join(dir, 'ansible.cfg'), '');
      expect(findAnsibleCfg({ ANSIBLE_CONFIG: dir }, cwd, home).file).to.equal(join(dir, 'ansible.cfg'));
    });
    it('ANSIBLE_CONFIG naming no file is an error (Ansible silently looks further)', () => {
      expect(problemsOf(() => findAnsibleCfg({ ANSIBLE_CONFIG: join(dir, 'nope.cfg') }, cwd, home))[0]!.message).to.match(
        /ANSIBLE_CONFIG=.*nope.cfg: no such file/,
      );
    });
    it('./ansible.cfg, before ~/.ansible.cfg', () => {
      writeFileSync(join(cwd, 'ansible.cfg'), '');
      writeFileSync(join(home, '.ansible.cfg'), '');
      expect(findAnsibleCfg({}, cwd, home)).to.deep.equal({ file: join(cwd, 'ansible.cfg') });
    });
    it('./ansible.cfg in a world-writable directory is skipped with a warning', () => {
      writeFileSync(join(cwd, 'ansible.cfg'), '');
      writeFileSync(join(home, '.ansible.cfg'), '');
      chmodSync(cwd, 0o777);
      const r = findAnsibleCfg({}, cwd, home);
      expect(r.file).to.equal(join(home, '.ansible.cfg'));
      expect(r.warning).to.match(/world-writable: ignoring its ansible.cfg/);
    });
    it('~/.ansible.cfg when the directory has none', () => {
      writeFileSync(join(home, '.ansible.cfg'), '');
      expect(findAnsibleCfg({}, cwd, home).file).to.equal(join(home, '.ansible.cfg'));
    });
  });

  describe('applied under the command line', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'plumb-cfg-'));
      writeFileSync(
        join(dir, 'hosts.yml'),
        'all:\n  hosts:\n    a: {}\n    b:\n      ansible_ssh_private_key_file: /own/key\n      plumb_proxy_jump: own-bastion\n',
      );
      writeFileSync(join(dir, 'other.yml'), 'all:\n  hosts:\n    c: {}\n');
      writeFileSync(
        join(dir, 'ansible.cfg'),
        '[defaults]\ninventory = hosts.yml\nprivate_key_file = ~/.ssh/fleet\n[ssh_connection]\nssh_args = -J jump\n[privilege_escalation]\nbecome_user = app\n',
      );
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const env = () => ({ ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), HOME: '/home/op' });

    it("the cfg's inventory when no -i; its key, jump and become_user where the inventory gives none", () => {
      const inv = loadInventoryFlags(withAnsibleCfg({}, env()));
      expect([...inv.hosts.keys()]).to.deep.equal(['a', 'b']);
      expect(inv.hosts.get('a')!.conn).to.include({ proxyJump: 'jump', becomeUser: 'app' });
      expect(inv.hosts.get('a')!.conn.keyFile).to.match(/\/\.ssh\/fleet$/);
      expect(inv.hosts.get('b')!.conn).to.include({ keyFile: '/own/key', proxyJump: 'own-bastion' });
    });
    it('-i replaces the cfg inventory', () => {
      expect([...loadInventoryFlags(withAnsibleCfg({ inventory: [join(dir, 'other.yml')] }, env())).hosts.keys()]).to.deep.equal(['c']);
    });
    it('no -i and no cfg inventory is an error naming both', () => {
      writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\n');
      expect(problemsOf(() => loadInventoryFlags(withAnsibleCfg({}, env())))[0]!.hint).to.match(/-i FILE.*ansible.cfg/);
    });
  });
});
