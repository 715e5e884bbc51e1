// Time limits of commands: the task keyword `timeout`, the run's default and a host's
// plumb_command_timeout, enforced on the "host" (the local transport runs the real command
// lines) by timeout(1), which stops the command's whole process group.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine } from '../../../src/engine/session.js';
import { InputError } from '../../../src/errors.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { raw } from '../../../src/sh.js';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));
function project(files: Record<string, string>): string {
  const dir = tree(files, 'plumb-timeout-');
  dirs.push(dir);
  return dir;
}

describe('engine/session: command time limits', function () {
  this.timeout(60_000);

  it('commandLine: timeout(1) inside sudo, TERM at the limit and KILL 10 s later; none without a limit', () => {
    expect(commandLine(raw('true'), true, 'deploy', 30)).to.equal("sudo -n -- timeout -k 10 30 /bin/sh -c 'LC_ALL=C; export LC_ALL\ntrue'");
    expect(commandLine(raw('true'), false, 'root', 30)).to.equal("timeout -k 10 30 /bin/sh -c 'LC_ALL=C; export LC_ALL\ntrue'");
    expect(commandLine(raw('true'), false, 'root')).to.equal("/bin/sh -c 'LC_ALL=C; export LC_ALL\ntrue'");
  });

  it("a task's timeout stops its command on the host and fails that host's task clearly; the other host carries on", async () => {
    const dir = project({
      'inventory.yml': 'all:\n  hosts:\n    h1:\n    h2:\n',
      'playbooks/site.yml': yaml`
        - hosts: all
          tasks:
            - name: long
              shell: "echo $$ > {{ pidfile }}-{{ inventory_hostname }}; exec sleep 30"
              when: inventory_hostname == 'h1'
              timeout: 1
            - name: after
              command: "true"
      `,
    });
    const pidfile = join(dir, 'pid');
    const { inv, book } = loadProject(dir);
    const t0 = Date.now();
    const r = await runLocal(inv, book, { extraVars: { pidfile } });
    expect(Date.now() - t0).to.be.below(8_000);
    expect(r.result.exitCode).to.equal(1);
    const long = taskEvents(r.events).find((e) => e.host === 'h1' && e.task === 'long')!;
    expect(long.status).to.equal('failed');
    expect(long.message).to.match(/^timed out after 1 s \(the command was stopped on the host\)/);
    expect(r.result.hosts.h2).to.include({ failed: 0, changed: 1 });
    const pid = Number(readFileSync(`${pidfile}-h1`, 'utf8'));
    expect(pid).to.be.greaterThan(1);
    expect(existsSync(`/proc/${pid}`), 'the sleep was stopped').to.equal(false);
  });

  it('the run default limits every command (facts too); timeout: 0 on a task lifts it; plumb_command_timeout sets a host its own', async () => {
    const dir = project({
      'inventory.yml': 'all:\n  hosts:\n    h1:\n    h2:\n      plumb_command_timeout: 0\n',
      'playbooks/site.yml': yaml`
        - hosts: all
          tasks:
            - name: capped
              command: sleep 2
            - name: uncapped
              command: sleep 2
              timeout: 0
      `,
    });
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { commandTimeoutS: 1 });
    const ev = taskEvents(r.events);
    expect(ev.find((e) => e.host === 'h1' && e.task === 'capped')?.message).to.match(/^timed out after 1 s/);
    expect(r.result.hosts.h2).to.include({ failed: 0, changed: 2 });
    expect(r.transports.get('h1')!.commands[0]).to.match(/^timeout -k 10 1 /);
    expect(r.transports.get('h2')!.commands[0]).to.match(/^\/bin\/sh -c /);
  });

  it('timeout must be whole seconds (file:line:col); plumb_command_timeout too', async () => {
    const dir = project({
      'inventory.yml': 'all:\n  hosts:\n    h1:\n      plumb_command_timeout: soon\n',
      'playbooks/site.yml': '- hosts: all\n  tasks:\n    - command: "true"\n      timeout: -5\n',
      'playbooks/ok.yml': '- hosts: all\n  tasks:\n    - command: "true"\n      timeout: 5\n',
    });
    try {
      loadPlaybook(join(dir, 'playbooks/site.yml'));
      expect.fail('must be refused');
    } catch (e) {
      expect(e).to.be.instanceOf(InputError);
      expect((e as InputError).problems[0]).to.deep.include({ message: "'timeout' is whole seconds (0: no limit), e.g. timeout: 300" });
      expect((e as InputError).problems[0]!.pos).to.include({ line: 4 });
    }
    const { inv, book } = loadProject(dir, 'ok.yml');
    expect(book.plays[0]!.tasks[0]!.timeout).to.equal(5);
    const r = await runLocal(inv, book).then(
      () => null,
      (e: unknown) => e,
    );
    expect(r).to.be.instanceOf(InputError);
    expect((r as Error).message).to.include('plumb_command_timeout of h1 must be whole seconds');
  });
});
