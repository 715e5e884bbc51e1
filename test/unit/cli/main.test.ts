// Acceptance 3: malformed input exits 1 with file:line:col, a message and a hint, and never
// connects. Each case runs the real CLI as a child process against an inventory whose hosts
// point at a local TCP server that counts connections (it must count none).

import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function plumb(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    // HOME has no ~/.ssh and the agent socket is bogus: the client still opens a TCP
    // connection (auth would come later), so the trap server sees any attempt.
    const base = { ...process.env, CI: '1', HOME: cwd, SSH_AUTH_SOCK: '/nonexistent/plumb-test-agent.sock' };
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...base, ...env }, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({
        code,
        stdout,
        stderr: err?.killed
          ? `${stderr}
[test: killed after 240 s]`
          : stderr,
      });
    });
  });
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Where {
  /** Path relative to the case's folder ('playbooks/site.yml', 'inventory.yml', 'templates/x.ejs'); null: no file. */
  file: string | null;
  line?: number;
  col?: number;
  message: RegExp;
  hint?: RegExp;
}

interface Case {
  name: string;
  playbook: string;
  /** Default: the valid inventory below. `PORT` is replaced with the trap server's port. */
  inventory?: string;
  files?: Record<string, string>;
  args?: string[];
  env?: Record<string, string>;
  expect: Where[];
  /** Also run `validate` (it has no --tags and similar). Default true. */
  validate?: boolean;
}

const INVENTORY = yaml`
  all:
    vars:
      ansible_host: 127.0.0.1
      ansible_port: PORT
      ansible_user: nobody
    children:
      web:
        hosts:
          web1:
          web2:
`;

const GOOD_PLAYBOOK = yaml`
  - name: site
    hosts: web
    vars:
      http_port: 80
    tasks:
      - name: config
        copy:
          dest: /tmp/plumb-cli-test/app.conf
          content: "port={{ http_port }}\\n"
`;

const cases: Case[] = [
  {
    name: 'bad YAML: an unclosed { is reported where it opens',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            copy: {dest: /etc/app.conf, content: "a"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 4, col: 13, message: /invalid YAML: \{ opened here is never closed/, hint: /closing \}/ }],
  },
  {
    name: 'bad YAML: a colon inside an unquoted value',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: restart: now
            command: "true"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 3, col: 13, message: /invalid YAML: Nested mappings are not allowed/, hint: /quoting/ }],
  },
  {
    name: 'duplicate key',
    playbook: yaml`
      - hosts: web
        tasks: []
        hosts: all
    `,
    expect: [{ file: 'playbooks/site.yml', line: 3, col: 3, message: /invalid YAML: Map keys must be unique/, hint: /duplicated key/ }],
  },
  {
    name: 'unknown module',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            tempalte: {src: app.conf.ejs, dest: /etc/app.conf}
    `,
    expect: [{ file: 'playbooks/site.yml', line: 4, col: 7, message: /unknown module or task key 'tempalte'/, hint: /modules: .*template/ }],
  },
  {
    name: 'unknown task key',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            copy: {dest: /etc/app.conf, content: x}
            notfy: restart
    `,
    expect: [{ file: 'playbooks/site.yml', line: 5, col: 7, message: /unknown module or task key 'notfy'/, hint: /task keys: .*notify/ }],
  },
  {
    name: 'unknown module argument',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            copy:
              dest: /etc/app.conf
              content: x
              permissions: "0644"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 7, col: 9, message: /copy: unknown key 'permissions'/, hint: /allowed keys here: .*mode/ }],
  },
  {
    name: 'wrong type: become: yes (a string in YAML 1.2)',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            copy: {dest: /etc/app.conf, content: x}
            become: yes
    `,
    expect: [{ file: 'playbooks/site.yml', line: 5, col: 15, message: /'become' must be boolean, got "yes"/, hint: /write true or false/ }],
  },
  {
    name: 'wrong type: serial: abc',
    playbook: yaml`
      - hosts: web
        serial: abc
        tasks: []
    `,
    expect: [{ file: 'playbooks/site.yml', line: 2, col: 11, message: /'serial' must be a positive integer, a percentage such as "30%", or a list/ }],
  },
  {
    name: 'unquoted mode: 0644',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            copy:
              dest: /etc/app.conf
              content: x
              mode: 0644
    `,
    expect: [{ file: 'playbooks/site.yml', line: 7, col: 15, message: /copy: mode must be a quoted octal string such as "0644"/, hint: /quote it: "0644"/ }],
  },
  {
    name: 'unquoted mode: 644',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: dir
            file: {path: /srv/app, state: directory, mode: 755}
    `,
    expect: [{ file: 'playbooks/site.yml', line: 4, col: 54, message: /file: mode must be a quoted octal string/, hint: /quote it: "755"/ }],
  },
  {
    name: 'undefined variable in task arguments',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            copy:
              dest: /etc/app.conf
              content: "port={{ http_port }}"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 6, col: 18, message: /undefined variable 'http_port' in task 'config'/, hint: /define 'http_port'/ }],
  },
  {
    name: 'undefined variable in a template: the line inside the .ejs',
    playbook: yaml`
      - hosts: web
        vars:
          http_port: 80
        tasks:
          - name: config
            template:
              src: app.conf.ejs
              dest: /etc/app.conf
    `,
    files: { 'templates/app.conf.ejs': '# app\nlisten <%= http_port %>\n\nuser <%= app_user %>\n' },
    expect: [
      {
        file: 'templates/app.conf.ejs',
        line: 4,
        col: 1,
        message: /undefined variable 'app_user' in template \(task 'config' at .*site\.yml:7:14/,
        hint: /define 'app_user'/,
      },
    ],
  },
  {
    name: 'a missing template',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            template: {src: nope.conf.ejs, dest: /etc/app.conf}
    `,
    expect: [
      {
        file: 'playbooks/site.yml',
        line: 4,
        col: 23,
        message: /template not found: .*templates\/nope\.conf\.ejs \(host web1\)/,
        hint: /relative to the templates\/ folder/,
      },
    ],
  },
  {
    name: 'unknown host pattern in hosts:',
    playbook: yaml`
      - name: site
        hosts: webservers
        tasks: []
    `,
    expect: [
      { file: 'playbooks/site.yml', line: 2, col: 10, message: /host pattern 'webservers' matches no host or group/, hint: /known groups and hosts: .*web/ },
    ],
  },
  {
    name: '--limit with an unknown pattern: the command line, not a play, is at fault',
    playbook: GOOD_PLAYBOOK,
    args: ['--limit', 'web3'],
    expect: [{ file: null, message: /--limit web3: host pattern 'web3' matches no host or group/, hint: /known groups and hosts: .*web1/ }],
  },
  {
    name: '--command-timeout that is not whole seconds',
    playbook: GOOD_PLAYBOOK,
    args: ['--command-timeout', 'soon'],
    validate: false,
    expect: [{ file: null, message: /--command-timeout must be a whole number of seconds, got soon/ }],
  },
  {
    name: 'notify naming no handler',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: config
            copy: {dest: /etc/app.conf, content: x}
            notify: restart app
        handlers:
          - name: restart ap
            command: "true"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 5, col: 15, message: /notify 'restart app' names no handler/, hint: /handlers: restart ap/ }],
  },
  {
    name: 'missing role',
    playbook: yaml`
      - hosts: web
        roles:
          - commmon
    `,
    expect: [{ file: 'playbooks/site.yml', line: 3, col: 7, message: /role 'commmon' not found/, hint: /playbooks\/roles\/<role>\/tasks\.yml/ }],
  },
  {
    name: 'inventory hosts: given as a list',
    playbook: GOOD_PLAYBOOK,
    inventory: yaml`
      all:
        vars:
          ansible_host: 127.0.0.1
          ansible_port: PORT
        children:
          web:
            hosts:
              - web1
              - web2
    `,
    expect: [{ file: 'inventory.yml', line: 8, col: 9, message: /'hosts' must be a mapping of host names \(not a list\)/ }],
  },
  {
    name: 'inventory port out of range',
    playbook: GOOD_PLAYBOOK,
    inventory: yaml`
      all:
        vars:
          ansible_host: 127.0.0.1
        children:
          web:
            hosts:
              web1:
                ansible_port: 70000
              web2:
                ansible_port: PORT
    `,
    expect: [{ file: 'inventory.yml', line: 8, col: 11, message: /web1: port must be an integer 1-65535, got 70000/ }],
  },
  {
    name: 'missing secret_env',
    playbook: GOOD_PLAYBOOK,
    inventory: INVENTORY + '      vars:\n        db_password: {secret_env: PLUMB_CLI_TEST_NOT_SET}\n',
    expect: [
      {
        file: 'inventory.yml',
        line: 12,
        col: 9,
        message: /secret 'db_password' reads environment variable PLUMB_CLI_TEST_NOT_SET, which is not set/,
        hint: /export PLUMB_CLI_TEST_NOT_SET=/,
      },
    ],
  },
  {
    name: 'playbook not a list',
    playbook: yaml`
      hosts: web
      tasks: []
    `,
    expect: [{ file: 'playbooks/site.yml', line: 1, col: 1, message: /a playbook is a YAML list of plays/ }],
  },
  {
    name: 'task with two modules',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: both
            copy: {dest: /etc/a, content: x}
            file: {path: /etc/a, mode: "0600"}
    `,
    expect: [{ file: 'playbooks/site.yml', line: 3, col: 7, message: /a task has exactly one module, found copy and file/, hint: /split it into two tasks/ }],
  },
  {
    name: 'copy without content or src',
    playbook: yaml`
      - hosts: web
        tasks:
          - copy: {dest: /etc/a, mode: "0600"}
    `,
    expect: [{ file: 'playbooks/site.yml', line: 3, col: 13, message: /copy: copy needs exactly one of content or src/ }],
  },
  {
    name: 'loop that is not a list once interpolated',
    playbook: yaml`
      - hosts: web
        vars:
          ports: 8080
        tasks:
          - name: one file per port
            copy: {dest: "/etc/app-{{ item }}.conf", content: x}
            loop: "{{ ports }}"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 7, col: 13, message: /loop of task 'one file per port' is not a list \(got number\)/ }],
  },
  {
    name: 'bad when expression syntax',
    playbook: yaml`
      - hosts: web
        vars:
          role: primary
        tasks:
          - name: only on the primary
            copy: {dest: /etc/a, content: x}
            when: role = = "primary"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 7, col: 13, message: /invalid expression in task 'only on the primary'/, hint: /expressions are JavaScript/ }],
  },
  {
    name: 'undefined variable in when',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: only on the primary
            copy: {dest: /etc/a, content: x}
            when: mysql_role == "primary"
    `,
    expect: [{ file: 'playbooks/site.yml', line: 5, col: 13, message: /undefined variable 'mysql_role' in task 'only on the primary'/ }],
  },
  {
    name: 'several problems in one playbook, and one in the inventory: all reported in one run',
    playbook: yaml`
      - hosts: web
        become: yes
        tasks:
          - name: a
            copy: {dest: /etc/a, content: x, mode: 0644}
          - name: b
            tempalte: {src: x, dest: /etc/b}
          - name: c
            copy: {dest: relative/path, content: x}
            notify: nothing
    `,
    inventory: INVENTORY.replace('ansible_user: nobody', 'ansible_user: nobody\n    ansible_become: "maybe"'),
    expect: [
      { file: 'playbooks/site.yml', line: 2, col: 11, message: /'become' must be boolean/ },
      { file: 'playbooks/site.yml', line: 5, col: 46, message: /copy: mode must be a quoted octal string/ },
      { file: 'playbooks/site.yml', line: 7, col: 7, message: /unknown module or task key 'tempalte'/ },
      { file: 'playbooks/site.yml', line: 9, col: 20, message: /copy: must be an absolute path/ },
      { file: 'playbooks/site.yml', line: 10, col: 15, message: /notify 'nothing' names no handler/ },
      { file: 'inventory.yml', line: 6, col: 5, message: /web1, web2: become must be a boolean, got "maybe"/, hint: /write true or false/ },
    ],
  }, // Expressions are a safe subset of JavaScript: the controller is out of reach (issue 10).
  {
    name: 'an -e value reaching for the controller is refused where a task uses it',
    playbook: GOOD_PLAYBOOK.replace('port={{ http_port }}', 'port={{ evil }}'),
    args: ['-e', 'evil={{ process.getBuiltinModule("child_process").execSync("touch plumb-pwned") }}'],
    expect: [
      {
        file: 'playbooks/site.yml',
        line: 9,
        col: 18,
        message: /no variable 'process', and the controller's 'process' is not available in expressions, in task 'config'/,
        hint: /variables and plumb's helpers only/,
      },
    ],
  },
  {
    name: 'a refused construct is found by validate even in a task that reads a registered result',
    playbook: yaml`
      - hosts: web
        tasks:
          - name: probe
            command: uname -r
            register: out
          - name: use it
            copy: {dest: /tmp/x, content: "{{ out.stdout.constructor.constructor('return process')() }}"}
          - name: when with this
            command: "true"
            when: this.out
    `,
    expect: [
      { file: 'playbooks/site.yml', line: 7, col: 37, message: /'constructor' is not allowed in expressions, in task 'use it'/ },
      { file: 'playbooks/site.yml', line: 10, col: 13, message: /'this' is not allowed in expressions, in task 'when with this'/ },
    ],
  },
  {
    name: 'a Jinja filter is a clear error showing the JavaScript to write',
    playbook: GOOD_PLAYBOOK.replace('port={{ http_port }}', 'port={{ http_port | default(80) }}'),
    expect: [
      {
        file: 'playbooks/site.yml',
        line: 9,
        col: 18,
        message: /'\| default' is a Jinja filter; expressions are JavaScript, in task 'config'/,
        hint: /write d\(http_port, 80\) /,
      },
    ],
  },
  {
    name: 'a __proto__ key in the inventory is refused (prototype pollution)',
    playbook: GOOD_PLAYBOOK,
    inventory: INVENTORY.replace('ansible_user: nobody', 'ansible_user: nobody\n    app:\n      __proto__: {polluted: true}'),
    expect: [{ file: 'inventory.yml', line: 7, col: 7, message: /the key '__proto__' is not allowed/, hint: /reserved/ }],
  },
  {
    name: '-e JSON with __proto__ is refused (prototype pollution)',
    playbook: GOOD_PLAYBOOK,
    args: ['-e', '{"__proto__": {"http_port": 1}}'],
    expect: [{ file: null, message: /-e: the key '__proto__' is not allowed/ }],
  },
  {
    name: 'a template reading a gathered fact in a play without gather_facts: the template line',
    playbook: GOOD_PLAYBOOK.replace('copy:', 'template:').replace('content: "port={{ http_port }}\\n"', 'src: app.conf.ejs'),
    files: { 'templates/app.conf.ejs': '# app\nworkers <%= ansible_processor_vcpus * 2 + 1 %>\n' },
    expect: [{ file: 'templates/app.conf.ejs', line: 2, col: 1, message: /undefined variable 'ansible_processor_vcpus' in template/ }],
  },
  {
    name: "an unclosed <% if { %> block: the template line, not EJS's async hint",
    playbook: GOOD_PLAYBOOK.replace('copy:', 'template:').replace('content: "port={{ http_port }}\\n"', 'src: app.conf.ejs'),
    files: { 'templates/app.conf.ejs': '# app\n<% if (http_port > 1) { -%>\nlisten <%= http_port %>\n' },
    expect: [{ file: 'templates/app.conf.ejs', line: 2, col: 1, message: /the block opened on line 2 is not closed/, hint: /close it with <% } %>/ }],
  },
  {
    name: 'a template reaching for the controller is refused at its line',
    playbook: GOOD_PLAYBOOK.replace('copy:', 'template:').replace('content: "port={{ http_port }}\\n"', 'src: app.conf.ejs'),
    files: { 'templates/app.conf.ejs': '# app\nlisten <%= http_port %>\nhome <%= process.env.HOME %>\n' },
    expect: [{ file: 'templates/app.conf.ejs', line: 3, col: 10, message: /the controller's 'process' is not available in templates/ }],
  },
];

/** A TCP server on 127.0.0.1 that counts connections and drops them: the "host" of one case. */
class Trap {
  connections = 0;
  private server: Server = createServer((socket) => {
    this.connections++;
    socket.destroy();
  });
  port = 0;
  async open(): Promise<this> {
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }
  /** The kernel accepts connections while we wait on a child; let the events drain first. */
  async close(): Promise<number> {
    await new Promise((ok) => setTimeout(ok, 50));
    await new Promise<void>((ok) => this.server.close(() => ok()));
    return this.connections;
  }
}

interface Outcome {
  dir: string;
  runs: Array<{ args: string[]; run: Run }>;
  connections: number;
}

const dirs: string[] = [];
function setUp(c: Pick<Case, 'playbook' | 'inventory' | 'files'>, port: number): string {
  const dir = tree({
    'inventory.yml': (c.inventory ?? INVENTORY).replace(/PORT/g, String(port)),
    'playbooks/site.yml': c.playbook,
    ...(c.files ?? {}),
  });
  dirs.push(dir);
  return dir;
}

async function runCase(c: Case): Promise<Outcome> {
  const trap = await new Trap().open();
  const dir = setUp(c, trap.port);
  const commands = [['check', 'playbooks/site.yml', '-i', 'inventory.yml', '--connect-timeout', '2000', ...(c.args ?? [])]];
  if (c.validate !== false) commands.push(['validate', 'playbooks/site.yml', '-i', 'inventory.yml', ...(c.args ?? [])]);
  const runs = await Promise.all(commands.map(async (args) => ({ args, run: await plumb(args, dir, c.env) })));
  return { dir, runs, connections: await trap.close() };
}

/** Run `fn` over `items`, `size` at a time (each case is two node processes). */
async function pool<T, R>(items: T[], size: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe('cli/main: malformed input exits 1 with file:line:col, and never connects', function () {
  this.timeout(600_000);
  const outcomes = new Map<string, Outcome>();

  before(async () => {
    const results = await pool(cases, 3, runCase);
    cases.forEach((c, i) => outcomes.set(c.name, results[i]!));
  });
  after(() => dirs.forEach(removeTree));

  it('the trap works: a valid playbook passes validate without connecting, and check does connect (unreachable, exit 1)', async () => {
    const trap = await new Trap().open();
    const dir = setUp({ playbook: GOOD_PLAYBOOK }, trap.port);
    const ok = await plumb(['validate', 'playbooks/site.yml', '-i', 'inventory.yml'], dir);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/^ok: 1 plays, 1 tasks and handlers, 2 hosts/);
    await new Promise((res) => setTimeout(res, 50));
    expect(trap.connections, 'validate never connects').to.equal(0);
    const r = await plumb(['check', 'playbooks/site.yml', '-i', 'inventory.yml', '--connect-timeout', '2000'], dir);
    expect(await trap.close()).to.be.greaterThan(0);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/UNREACHABLE/);
  });

  it('with gather_facts: true, a template reading the gathered facts validates (they exist at run time)', async () => {
    const dir = setUp(
      {
        playbook: GOOD_PLAYBOOK.replace('  hosts: web\n', '  hosts: web\n  gather_facts: true\n')
          .replace('copy:', 'template:')
          .replace('content: "port={{ http_port }}\\n"', 'src: app.conf.ejs'),
        files: { 'templates/app.conf.ejs': 'workers <%= ansible_processor_vcpus * 2 + 1 %> on <%= ansible_facts.distribution %>\n' },
      },
      1,
    );
    const ok = await plumb(['validate', 'playbooks/site.yml', '-i', 'inventory.yml'], dir);
    expect(ok.code, ok.stderr).to.equal(0);
  });

  it(`has at least 15 distinct cases (${cases.length})`, () => {
    expect(new Set(cases.map((c) => c.name)).size).to.equal(cases.length);
    expect(cases.length).to.be.at.least(15);
  });

  for (const c of cases) {
    it(c.name, () => {
      const { dir, runs, connections } = outcomes.get(c.name)!;
      for (const { args, run: r } of runs) {
        const what = `plumb ${args[0]}:\n${r.stderr}${r.stdout}`;
        expect(r.code, what).to.equal(1);
        expect(r.stdout, `${what}\nnothing on stdout`).to.equal('');
        expect(r.stderr, what).to.match(
          new RegExp(`^error: ${c.expect.length === 1 ? '1 problem' : `${c.expect.length} problems`} in the input \\(nothing was run\\):\n`),
        );
        const lines = r.stderr.split('\n');
        for (const w of c.expect) {
          const at = w.file === null ? '' : `${escape(join(dir, w.file))}:${w.line ?? '\\d+'}:${w.col ?? '\\d+'}: `;
          const re = new RegExp(`^  ${at}${w.message.source}`);
          const i = lines.findIndex((l) => re.test(l));
          expect(i, `${what}\nexpected a line matching ${re}`).to.be.greaterThan(-1);
          if (w.hint) {
            expect(lines[i + 1], `${what}\nhint after line ${i}`).to.match(/^ {4}hint: /);
            expect(lines[i + 1]).to.match(w.hint);
          }
        }
      }
      expect(connections, 'no connection may be attempted').to.equal(0);
    });
  }
});

describe('cli/main: plumb inventory masks secrets', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = tree({
      'inventory.yml': yaml`
        all:
          vars:
            db_password: Top-Secret-pw1
            api: {url: "https://api", token: Api-Tok-2}
            plumb_secret_vars: [license]
            license: Lic-3-abc
          children:
            web:
              hosts:
                web1:
                  motd: "copied Top-Secret-pw1 into a plain var"
      `,
    });
  });
  after(() => removeTree(dir));

  for (const args of [
    ['inventory', '-i', 'inventory.yml'],
    ['inventory', '-i', 'inventory.yml', '--host', 'web1'],
  ]) {
    it(args.join(' '), async () => {
      const r = await plumb(args, dir);
      expect(r.code, r.stderr).to.equal(0);
      for (const s of ['Top-Secret-pw1', 'Api-Tok-2', 'Lic-3-abc']) expect(r.stdout).not.to.include(s);
      const vars = JSON.parse(r.stdout) as Record<string, unknown>;
      const web1 = (args.includes('--host') ? vars : (vars._meta as { hostvars: Record<string, Record<string, unknown>> }).hostvars.web1) as Record<
        string,
        unknown
      >;
      expect(web1).to.deep.include({
        db_password: '<redacted>',
        license: '<redacted>',
        api: { url: 'https://api', token: '<redacted>' },
        motd: 'copied <redacted> into a plain var',
      });
      expect(web1.plumb_secret_vars).to.deep.equal(['license']);
    });
  }
});

describe('cli/main: parseExtraVars and help', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = tree({ 'vars.yml': 'a: 1\nb: [x]\n', 'list.yml': '- 1\n', 'bad.yml': 'a: 1\nb: {x: 1\n' });
  });
  after(() => removeTree(dir));

  const cases: Array<[string[], Record<string, unknown>]> = [
    [['k=v'], { k: 'v' }],
    [['k=v with spaces'], { k: 'v with spaces' }],
    [['a=1 b=two'], { a: '1', b: 'two' }],
    [['url=http://x/?q=1'], { url: 'http://x/?q=1' }],
    [['{"n": 1, "l": [true]}'], { n: 1, l: [true] }],
    [['a=1', 'a=2'], { a: '2' }],
  ];
  for (const [items, want] of cases) {
    it(`-e ${items.join(' -e ')}`, async () => {
      const { parseExtraVars } = await import('../../../src/cli/commands.js');
      expect(parseExtraVars(items)).to.deep.equal(want);
    });
  }

  it('-e @file.yml', async () => {
    const { parseExtraVars } = await import('../../../src/cli/commands.js');
    expect(parseExtraVars([`@${join(dir, 'vars.yml')}`, 'c=3'])).to.deep.equal({ a: 1, b: ['x'], c: '3' });
  });

  const bad: Array<[string, RegExp]> = [
    ['novalue', /expected key=value/],
    ['=x', /expected key=value/],
    ['{bad json', /invalid JSON/],
    ['@/nonexistent/plumb.yml', /cannot read extra vars file/],
    // prototype pollution through -e
    ['{"__proto__": {"polluted": true}}', /the key '__proto__' is not allowed/],
    ['{"a": {"constructor": {"prototype": {"polluted": true}}}}', /the key 'constructor' is not allowed \(at a\.constructor\)/],
    ['{"l": [{"__proto__": 1}]}', /the key '__proto__' is not allowed \(at l\.0\.__proto__\)/],
    ['__proto__=x', /the key '__proto__' is not allowed/],
  ];
  for (const [item, message] of bad) {
    it(`-e ${item} is an input error`, async () => {
      const { parseExtraVars } = await import('../../../src/cli/commands.js');
      expect(() => parseExtraVars([item])).to.throw(message);
    });
  }

  it('-e never pollutes a prototype', () => {
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('-e @file that is not a mapping', async () => {
    const { parseExtraVars } = await import('../../../src/cli/commands.js');
    expect(() => parseExtraVars([`@${join(dir, 'list.yml')}`])).to.throw(/must hold a mapping/);
  });

  it('-e @file with bad YAML is an input error at its line', async () => {
    const { parseExtraVars } = await import('../../../src/cli/commands.js');
    const { InputError } = await import('../../../src/errors.js');
    let err: unknown;
    try {
      parseExtraVars([`@${join(dir, 'bad.yml')}`]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(InputError);
    expect((err as InstanceType<typeof InputError>).problems[0]!.pos).to.deep.equal({ file: join(dir, 'bad.yml'), line: 2, col: 4 });
  });

  it('--help documents the exit codes, for the program and for check', async function () {
    this.timeout(30_000);
    const top = await plumb(['--help'], dir);
    const check = await plumb(['check', '--help'], dir);
    for (const r of [top, check]) {
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*drift/);
    }
  });
});
