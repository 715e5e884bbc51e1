import { expect } from 'chai';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import { loadPlaybook, type Playbook } from '../../../src/playbook/load.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';

const dirs: string[] = [];
function load(files: Record<string, string>): Playbook {
  const dir = tree(files);
  dirs.push(dir);
  return loadPlaybook(join(dir, 'playbooks/site.yml'));
}
function problems(files: Record<string, string>): Array<{ at: string; message: string; hint?: string }> {
  try {
    load(files);
  } catch (e) {
    if (e instanceof InputError)
      return e.problems.map((p) => ({
        at: `${p.pos ? `${p.pos.file.split('/').slice(-2).join('/')}:${p.pos.line}:${p.pos.col}` : '-'}`,
        message: p.message,
        hint: p.hint,
      }));
    throw e;
  }
  throw new Error('expected an InputError');
}
after(() => dirs.forEach(removeTree));

describe('playbook/load', () => {
  it('loads plays, tasks, handlers and keywords', () => {
    const book = load({
      'playbooks/site.yml': yaml`
        - name: web
          hosts: web
          become: true
          serial: "50%"
          max_fail_percentage: 10
          vars: {port: 80}
          tags: [webtag]
          tasks:
            - name: config
              copy: {dest: /etc/x, content: "a"}
              notify: [restart]
              tags: t1
              when: port == 80
              register: cfg
            - command: "echo hi"
              loop: [1, 2]
              loop_var: n
              become: false
              no_log: true
              ignore_errors: true
          handlers:
            - name: restart
              service: {name: x, state: restarted}
            - name: other
              listen: restart
              command: "true"
      `,
    });
    expect(book.root).to.equal(join(book.file, '../..'));
    expect(book.templatesDir).to.equal(join(book.root, 'templates'));
    const [play] = book.plays;
    expect(play).to.include({ name: 'web', hosts: 'web', become: true, serial: '50%', maxFailPercentage: 10 });
    expect(play!.vars).to.deep.equal({ port: 80 });
    const [t1, t2] = play!.tasks;
    expect(t1).to.deep.include({
      name: 'config',
      module: 'copy',
      notify: ['restart'],
      tags: ['t1', 'webtag'],
      when: ['port == 80'],
      register: 'cfg',
      loopVar: 'item',
    });
    expect(t2).to.deep.include({ module: 'command', args: { cmd: 'echo hi' }, loop: [1, 2], loopVar: 'n', become: false, noLog: true, ignoreErrors: true });
    expect(t2!.name).to.equal('command echo hi');
    expect(play!.handlers.map((h) => h.name)).to.deep.equal(['restart', 'other']);
    expect(play!.handlers[1]!.listen).to.deep.equal(['restart']);
  });

  it('roles live in playbooks/roles/<role>/{tasks,handlers,defaults}.yml; role tasks come first and are tagged with the role', () => {
    const book = load({
      'playbooks/site.yml': yaml`
        - hosts: all
          roles:
            - common
            - role: web
              tags: [frontend]
              when: enable_web
              vars: {port: 8080}
          tasks:
            - command: "echo play"
      `,
      'playbooks/roles/common/tasks.yml': '- name: common task\n  command: "echo common"\n  notify: common handler\n',
      'playbooks/roles/common/handlers.yml': '- name: common handler\n  command: "echo handled"\n',
      'playbooks/roles/common/defaults.yml': 'port: 80\nuser: app\n',
      'playbooks/roles/web/tasks.yml': '- name: web task\n  command: "echo web"\n',
    });
    const [play] = book.plays;
    expect(play!.tasks.map((t) => t.name)).to.deep.equal(['common task', 'web task', 'command echo play']);
    expect(play!.tasks[0]!.tags).to.deep.equal(['common']);
    expect(play!.tasks[0]!.role).to.equal('common');
    expect(play!.tasks[1]!.tags).to.have.members(['frontend', 'web']);
    expect(play!.tasks[1]!.when).to.deep.equal(['enable_web']);
    expect(play!.roleDefaults).to.deep.equal({ port: 80, user: 'app' });
    // Role params rank above play vars (as in Ansible), and only for that role's tasks.
    expect(play!.tasks[1]!.roleVars).to.deep.equal({ port: 8080 });
    expect(play!.tasks[0]!.roleVars).to.equal(undefined);
    expect(play!.handlers.map((h) => h.name)).to.deep.equal(['common handler']);
    expect(play!.tasks[0]!.loc.src.file).to.match(/roles\/common\/tasks\.yml$/);
  });

  it("import_role tasks_from loads <role>/<name>.yml in plumb's layout (tasks/<name>.yml in Ansible's); a missing one is an error", () => {
    const book = load({
      'playbooks/site.yml': yaml`
        - hosts: all
          roles: [rot]
          post_tasks:
            - import_role: {name: rot, tasks_from: back}
            - import_role: {name: ans, tasks_from: extra.yml}
      `,
      'playbooks/roles/rot/tasks.yml': '- name: main task\n  command: "echo main"\n',
      'playbooks/roles/rot/back.yml': '- name: back task\n  command: "echo back"\n',
      'playbooks/roles/ans/tasks/main.yml': '- name: ans main\n  command: "echo m"\n',
      'playbooks/roles/ans/tasks/extra.yml': '- name: ans extra\n  command: "echo x"\n',
    });
    expect(book.plays[0]!.tasks.map((t) => t.name).filter((n) => !n.startsWith('meta'))).to.deep.equal(['main task', 'back task', 'ans extra']);
    const bad = problems({
      'playbooks/site.yml': '- hosts: all\n  tasks:\n    - import_role: {name: rot, tasks_from: nope}\n',
      'playbooks/roles/rot/tasks.yml': '- name: main task\n  command: "echo main"\n',
    });
    expect(bad.map((p) => `${p.at} ${p.message}`)).to.deep.equal(["playbooks/site.yml:3:20 role 'rot' has no tasks file 'nope' (tasks_from)"]);
    expect(bad[0]!.hint).to.match(/roles\/rot\/nope\.yml/);
  });

  it('free-form command and shell become {cmd}', () => {
    const book = load({ 'playbooks/site.yml': '- hosts: all\n  tasks:\n    - shell: "echo a | cat"\n    - command: {argv: [ls, /]}\n' });
    expect(book.plays[0]!.tasks.map((t) => t.args)).to.deep.equal([{ cmd: 'echo a | cat' }, { argv: ['ls', '/'] }]);
  });

  it('FQCNs of the collections plumb implements map to the short name; the arguments are found under the key as written', () => {
    const book = load({
      'playbooks/site.yml':
        '- hosts: all\n  tasks:\n    - ansible.builtin.shell: "echo a"\n    - community.mysql.mysql_query: {query: SELECT 1}\n    - ansible.builtin.import_tasks: t.yml\n',
      'playbooks/t.yml': '- ansible.posix.sysctl: {name: vm.swappiness, value: "10"}\n',
    });
    expect(book.plays[0]!.tasks.map((t) => [t.module, t.args])).to.deep.equal([
      ['shell', { cmd: 'echo a' }],
      ['mysql_query', { query: 'SELECT 1' }],
      ['sysctl', { name: 'vm.swappiness', value: '10' }],
    ]);
    const p = problems({
      'playbooks/site.yml': '- hosts: all\n  tasks:\n    - community.mysql.mysql_query: {query: 5}\n    - acme.tools.mysql_query: {query: x}\n',
    });
    expect(p.map((x) => x.at)).to.include.members(['playbooks/site.yml:3:44', 'playbooks/site.yml:4:7']);
    expect(p.map((x) => x.message).join('\n')).to.match(/unknown module or task key 'acme\.tools\.mysql_query'/);
  });

  it('arguments holding {{ }} are not type-checked until run time', () => {
    const book = load({ 'playbooks/site.yml': '- hosts: all\n  tasks:\n    - file: {path: /x, mode: "{{ m }}", state: "{{ s }}"}\n' });
    expect(book.plays[0]!.tasks[0]!.args).to.deep.equal({ path: '/x', mode: '{{ m }}', state: '{{ s }}' });
  });

  const bad: Array<{ name: string; files: Record<string, string>; want: Array<{ at: string; message: RegExp }> }> = [
    {
      name: 'notify naming no handler, at the notify value',
      files: {
        'playbooks/site.yml':
          '- hosts: all\n  tasks:\n    - copy: {dest: /x, content: a}\n      notify: restart nginx\n  handlers:\n    - name: restart ngnix\n      command: "true"\n',
      },
      want: [{ at: 'playbooks/site.yml:4:15', message: /notify 'restart nginx' names no handler/ }],
    },
    {
      name: 'notify may name a listen topic',
      files: {
        'playbooks/site.yml':
          '- hosts: all\n  tasks:\n    - copy: {dest: /x, content: a}\n      notify: web changed\n  handlers:\n    - name: restart\n      listen: web changed\n      command: "true"\n',
      },
      want: [],
    },
    {
      name: 'listen on a task',
      files: { 'playbooks/site.yml': '- hosts: all\n  tasks:\n    - command: "true"\n      listen: x\n' },
      want: [{ at: 'playbooks/site.yml:4:7', message: /'listen' is only valid on handlers/ }],
    },
    {
      name: 'missing role, at the role entry',
      files: { 'playbooks/site.yml': '- hosts: all\n  roles:\n    - common\n    - role: web\n' },
      want: [
        { at: 'playbooks/site.yml:3:7', message: /role 'common' not found/ },
        { at: 'playbooks/site.yml:4:7', message: /role 'web' not found/ },
      ],
    },
    {
      name: 'errors inside a role file point into the role file',
      files: {
        'playbooks/site.yml': '- hosts: all\n  roles: [web]\n',
        'playbooks/roles/web/tasks.yml': '- name: a\n  copy: {dest: /x, content: a}\n- name: b\n  copy: {dest: /x, conten: a}\n',
      },
      want: [
        { at: 'web/tasks.yml:4:9', message: /copy needs exactly one of content or src/ },
        { at: 'web/tasks.yml:4:20', message: /unknown key 'conten'/ },
      ],
    },
    {
      name: 'a role tasks file that is not a list',
      files: { 'playbooks/site.yml': '- hosts: all\n  roles: [web]\n', 'playbooks/roles/web/tasks.yml': 'name: a\n' },
      want: [{ at: 'web/tasks.yml:1:1', message: /must be a YAML list of tasks/ }],
    },
    {
      name: 'meta with an unknown action',
      files: { 'playbooks/site.yml': '- hosts: all\n  tasks:\n    - meta: flush_all\n' },
      want: [{ at: 'playbooks/site.yml:3:13', message: /unknown meta action "flush_all"/ }],
    },
    {
      name: 'a task that is not a mapping',
      files: { 'playbooks/site.yml': '- hosts: all\n  tasks:\n    - "copy"\n' },
      want: [{ at: 'playbooks/site.yml:3:7', message: /a task must be a mapping/ }],
    },
    {
      name: 'a task with no module',
      files: { 'playbooks/site.yml': '- hosts: all\n  tasks:\n    - name: nothing\n      when: true\n' },
      want: [{ at: 'playbooks/site.yml:3:7', message: /task has no module/ }],
    },
    {
      name: 'a missing hosts key',
      files: { 'playbooks/site.yml': '- name: x\n  tasks: []\n' },
      want: [{ at: 'playbooks/site.yml:1:3', message: /missing required key 'hosts'/ }],
    },
    {
      name: 'an empty playbook',
      files: { 'playbooks/site.yml': '# nothing\n' },
      want: [{ at: 'playbooks/site.yml:1:1', message: /a playbook is a YAML list of plays/ }],
    },
    {
      name: 'a play-level problem does not hide the task problems of that play',
      files: { 'playbooks/site.yml': '- hosts: all\n  become: yes\n  tasks:\n    - copy: {dest: /x, content: a, mod: "0644"}\n' },
      want: [
        { at: 'playbooks/site.yml:2:11', message: /'become' must be boolean/ },
        { at: 'playbooks/site.yml:4:36', message: /unknown key 'mod'/ },
      ],
    },
    {
      name: 'tasks given as a mapping, plus an invalid role entry: reported, no crash',
      files: { 'playbooks/site.yml': '- hosts: all\n  roles:\n    - 42\n  tasks:\n    copy: {dest: /x}\n' },
      want: [
        { at: 'playbooks/site.yml:3:7', message: /^'0' must be string or object, got 42$/ },
        { at: 'playbooks/site.yml:5:5', message: /'tasks' must be array/ },
      ],
    },
  ];
  for (const c of bad) {
    it(c.name, () => {
      if (!c.want.length) {
        expect(() => load(c.files)).not.to.throw();
        return;
      }
      const ps = problems(c.files);
      expect(ps, JSON.stringify(ps, null, 1)).to.have.length(c.want.length);
      for (const w of c.want) {
        expect(
          ps.some((p) => p.at === w.at && w.message.test(p.message)),
          `${w.at} ${w.message} in\n${JSON.stringify(ps, null, 1)}`,
        ).to.equal(true);
      }
    });
  }

  describe("ansible.cfg's defaults (roles_path, become)", () => {
    const files = {
      'playbooks/site.yml': JSON.stringify([
        { hosts: 'all', roles: ['own', 'shared'] },
        { hosts: 'all', become: false, tasks: [{ command: 'true' }] },
      ]),
      'playbooks/roles/own/tasks.yml': '- name: own\n  command: "true"\n',
      'shared/own/tasks.yml': '- name: shadowed\n  command: "true"\n',
      'shared/shared/tasks/main.yml': '- name: from roles_path\n  command: "true"\n',
    };
    it("roles are looked up in the playbook's roles/ first, then in roles_path; become is the default of plays that do not say", () => {
      const dir = tree(files);
      dirs.push(dir);
      const book = loadPlaybook(join(dir, 'playbooks/site.yml'), undefined, { rolesPath: [join(dir, 'nowhere'), join(dir, 'shared')], become: true });
      expect(book.plays[0]!.tasks.map((t) => t.name)).to.deep.equal(['own', 'from roles_path']);
      expect(book.plays.map((p) => p.become)).to.deep.equal([true, false]);
    });
    it('a role in none of them names every place looked', () => {
      const [p] = problems({ ...files, 'shared/shared/tasks/main.yml': '' }).filter((x) => x.message.includes('not found'));
      expect(p!.message).to.match(/role 'shared' not found \(looked in .*playbooks\/roles\/shared\)/);
    });
  });
});
