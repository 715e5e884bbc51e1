// Acceptance 4, unit part: a secret never appears in the line output, in --json, in a diff,
// in an error, or on any command line given to the transport (what `ps` on the host would
// show). Secrets travel on stdin; a script that would carry one in argv is refused.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { type LocalRun, loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree, writeTree } from '../../fixtures/tree.js';

const DB_PASSWORD = 'Db-Pa55-9f8e7d6c5b';
const LICENSE = 'LIC-a1b2c3d4e5f6';
const NAMED = 'Named-Secret-0x51';
const EXTRA = 'Extra-Token-77aa';
const NESTED = 'Nested-Root-pw-42';
const SECRETS = [DB_PASSWORD, LICENSE, NAMED, EXTRA, NESTED];
const ENV = 'PLUMB_TEST_LICENSE_KEY';

/** Everything a run shows or sends, except stdin (where secrets belong). */
function visible(r: LocalRun): Record<string, string> {
  const diffs = taskEvents(r.events).flatMap((e) => e.diff ?? []);
  const commands = [...r.transports.values()].flatMap((t) => t.commands);
  return {
    lines: r.lines,
    json: r.json,
    diffs: JSON.stringify(diffs),
    events: JSON.stringify(r.events),
    'command lines': commands.join('\n'),
  };
}

function expectNoSecret(r: LocalRun): void {
  for (const [where, text] of Object.entries(visible(r))) {
    for (const s of SECRETS) expect(text.includes(s), `${where} must not contain ${s}:\n${text.slice(0, 4000)}`).to.equal(false);
  }
}

describe('engine: secrets never reach output or command lines', function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;

  before(() => {
    process.env[ENV] = LICENSE;
    dir = tree({}, 'plumb-secrets-');
    root = join(dir, 'out');
  });
  after(() => {
    delete process.env[ENV];
    removeTree(dir);
  });

  function writeProject(tasks: string): void {
    const files: Record<string, string> = {
      'inventory.yml': `all:
  vars:
    db_password: ${DB_PASSWORD}
    license: {secret_env: ${ENV}}
    plumb_secret_vars: [motd_word]
    motd_word: ${NAMED}
    mysql: {port: 3306, root_password: ${NESTED}}
  hosts:
    h1:
`,
      'playbooks/site.yml': `- hosts: all\n  tasks:\n${tasks.replace(/ROOT/g, root)}`,
      'templates/my.cnf.ejs':
        '[client]\nuser=app\npassword=<%= db_password %>\nlicense=<%= license %>\nmotd=<%= motd_word %>\nroot=<%= mysql.root_password %>\n',
    };
    writeTree(dir, files);
  }

  const CONVERGE = `
    - name: dir
      file: {path: ROOT, state: directory}
    - name: client config
      template: {src: my.cnf.ejs, dest: ROOT/my.cnf, mode: "0600"}
    - name: credentials file
      copy: {dest: ROOT/creds, content: "user=app\\npassword={{ db_password }}\\ntoken={{ api_token }}\\n", mode: "0600"}
    - name: use the password through the environment
      shell:
        cmd: 'printf %s "$DB_PASS" | sha256sum > ROOT/pass.sha'
        environment: {DB_PASS: "{{ db_password }}"}
        creates: ROOT/pass.sha
`;

  it('apply, then drift, then check --diff: secrets reach the host only on stdin', async () => {
    writeProject(CONVERGE);
    const { inv, book } = loadProject(dir);
    const extraVars = { api_token: EXTRA };

    const apply = await runLocal(inv, book, { diff: true, extraVars });
    expect(apply.result.exitCode, apply.lines).to.equal(0);
    expectNoSecret(apply);
    // The secrets did arrive, on stdin.
    expect(readFileSync(join(root, 'my.cnf'), 'utf8')).to.include(`password=${DB_PASSWORD}\nlicense=${LICENSE}\nmotd=${NAMED}\nroot=${NESTED}`);
    expect(readFileSync(join(root, 'creds'), 'utf8')).to.include(`token=${EXTRA}`);
    expect(readFileSync(join(root, 'pass.sha'), 'utf8')).to.match(/^[0-9a-f]{64}/);
    const stdins = apply.transports.get('h1')!.stdins.join('\n');
    expect(stdins).to.include(DB_PASSWORD);
    expect(stdins).to.include(Buffer.from(DB_PASSWORD).toString('base64'));
    // The diffs were produced, and masked.
    const diffs = taskEvents(apply.events).flatMap((e) => e.diff ?? []);
    expect(diffs.some((d) => d.after.includes('password=<redacted>'))).to.equal(true);
    expect(apply.lines).to.match(/\+password=<redacted>/);

    // Drift: someone edits the files by hand (keeping the secret in them).
    writeFileSync(join(root, 'my.cnf'), `[client]\nuser=root\npassword=${DB_PASSWORD}\n`);
    writeFileSync(join(root, 'creds'), `user=app\npassword=${DB_PASSWORD}-old\n`);
    const check = await runLocal(inv, book, { mode: 'check', diff: true, extraVars });
    expect(check.result.exitCode).to.equal(2);
    expectNoSecret(check);
    const cdiffs = taskEvents(check.events).flatMap((e) => e.diff ?? []);
    expect(cdiffs.map((d) => d.label)).to.include.members([join(root, 'my.cnf'), join(root, 'creds')]);
    // The before side (read from the host) is masked too, including a secret inside a longer word.
    expect(cdiffs.find((d) => d.label === join(root, 'creds'))!.before).to.equal('user=app\npassword=<redacted>-old\n');
    expect(check.lines).to.match(/^ {4}-user=root$/m);
    expect(check.lines).to.match(/^ {4}[ -]password=<redacted>$/m);
    expect(check.lines).to.match(/^ {4}-password=<redacted>-old$/m);
  });

  const refused: Array<{ name: string; task: string; inFacts?: boolean }> = [
    { name: 'command with the secret in argv', task: `    - name: leak it\n      command: "echo {{ db_password }}"\n` },
    { name: 'shell with the secret in the command line', task: `    - name: leak it\n      shell: "echo {{ db_password }} > /dev/null"\n` },
    // The path is probed by the facts batch, so even that exec is refused, in check mode too.
    { name: 'a path holding a secret', task: `    - name: leak it\n      file: {path: "ROOT/{{ license }}", state: touch}\n`, inFacts: true },
  ];
  for (const c of refused) {
    it(`refused: ${c.name}; the secret is not printed and never reaches exec`, async () => {
      writeProject(c.task);
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(1);
      expectNoSecret(r);
      const failed = taskEvents(r.events).filter((e) => e.status === 'failed');
      expect(failed).to.have.length(1);
      expect(failed[0]!.message).to.match(/command line would contain a secret value/);
      // Nothing but the facts batch was executed.
      expect(r.transports.get('h1')!.commands.length).to.equal(c.inFacts ? 0 : 1);
      expect(r.lines).to.match(/FAILED/);

      const chk = await runLocal(inv, book, { mode: 'check' });
      expectNoSecret(chk);
      if (c.inFacts) {
        expect(chk.result.exitCode).to.equal(1);
        return;
      }
      // check mode does not run it, and says what it would run with the secret masked.
      const would = taskEvents(chk.events).find((e) => e.task === 'leak it')!;
      expect(would.status).to.equal('changed');
      expect(would.message).to.match(/<redacted>/);
    });
  }

  // Regression: the refusal used to be an "internal error ... please report it" reported
  // under a task named 'error'; it is the operator's task failing, with a hint.
  it('the refusal names the task and blames the input, not plumb', async () => {
    writeProject(`    - name: leak it\n      command: "echo {{ db_password }}"\n`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book);
    const failed = taskEvents(r.events).find((e) => e.status === 'failed')!;
    expect(failed.task).to.equal('leak it');
    expect(failed.message).not.to.match(/internal error|bug in plumb/);
    expect(failed.message).to.match(/stdin|environment/);
  });

  it('a failing command whose stderr echoes the secret: the error is masked', async () => {
    writeProject(`    - name: fails loudly
      shell:
        cmd: 'echo "bad password: $DB_PASS" >&2; exit 4'
        environment: {DB_PASS: "{{ db_password }}"}
`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book);
    expect(r.result.exitCode).to.equal(1);
    expectNoSecret(r);
    const failed = taskEvents(r.events).find((e) => e.status === 'failed')!;
    expect(failed.message).to.match(/exit 4/);
    expect(failed.message).to.include('bad password: <redacted>');
  });

  it('a registered result holding a secret is masked when shown', async () => {
    writeProject(`    - name: show
      shell:
        cmd: 'echo "$DB_PASS"'
        environment: {DB_PASS: "{{ db_password }}"}
      register: out
    - name: dir
      file: {path: ROOT, state: directory}
    - name: copy it
      copy: {dest: "ROOT/from-register", content: "got {{ out.stdout }}"}
      when: out.stdout.length > 0
`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { diff: true });
    expect(r.result.exitCode, r.lines).to.equal(0);
    expectNoSecret(r);
    expect(readFileSync(join(root, 'from-register'), 'utf8')).to.equal(`got ${DB_PASSWORD}`);
    expect(r.lines).to.match(/^ {4}\+got <redacted>$/m);
  });

  it('play vars whose names say secret are masked once resolved', async () => {
    const files = {
      'playbooks/play-vars.yml': `- hosts: all
  vars:
    app_secret: "{{ db_password }}-{{ inventory_hostname }}"
  tasks:
    - name: dir
      file: {path: ${root}, state: directory}
    - name: write
      copy: {dest: ${root}/app, content: "secret={{ app_secret }}"}
`,
    };
    writeProject('    - name: noop\n      file: {path: /tmp, state: directory}\n');
    for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
    const { inv, book } = loadProject(dir, 'play-vars.yml');
    const r = await runLocal(inv, book, { diff: true });
    expect(r.result.exitCode, r.lines).to.equal(0);
    expectNoSecret(r);
    expect(r.lines.includes(`${DB_PASSWORD}-h1`)).to.equal(false);
    expect(readFileSync(join(root, 'app'), 'utf8')).to.equal(`secret=${DB_PASSWORD}-h1`);
  });

  describe('no_log', () => {
    it('hides the item, message and diff of a successful task', async () => {
      writeProject(`    - name: dir
      file: {path: ROOT, state: directory}
    - name: quiet copy
      copy: {dest: "ROOT/{{ item }}", content: "sensitive-content-{{ item }}"}
      loop: [sensitive-item]
      no_log: true
`);
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book, { diff: true });
      expect(r.result.exitCode, r.lines).to.equal(0);
      const ev = taskEvents(r.events).find((e) => e.task === 'quiet copy')!;
      expect(ev.item).to.equal('<hidden>');
      expect(ev.diff).to.deep.equal([{ label: '(no_log)', before: '', after: '<hidden by no_log>\n' }]);
      expect(`${r.lines}${r.json}`).not.to.include('sensitive-content');
    });

    // Regression: a failed no_log task used to show its command and stderr, and -v / --json -v
    // exec events its script. Like Ansible, a no_log task only says that it failed.
    it('hides the command and output of a failed task, and its exec events', async () => {
      writeProject(`    - name: quiet
      shell: "echo sensitive-out; echo sensitive-err >&2; exit 1 # sensitive-cmd"
      no_log: true
`);
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(1);
      expect(`${r.lines}${r.json}`).not.to.match(/sensitive-(out|err|cmd)/);
    });
  });
});
