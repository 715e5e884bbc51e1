// Time limits of commands: the task keyword `timeout`, the run's default and a host's
// plumb_command_timeout, enforced on the "host" (the local transport runs the real command
// lines) by timeout(1), which stops the command's whole process group.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine } from '../../../src/engine/session.js';
import { runPlaybook } from '../../../src/engine/run.js';
import { InputError, UnreachableError } from '../../../src/errors.js';
import type { PlumbEvent } from '../../../src/report/events.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { raw } from '../../../src/sh.js';
import { LocalTransport, loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));
function project(files: Record<string, string>): string {
  const dir = tree(files, 'plumb-timeout-');
  dirs.push(dir);
  return dir;
}
/** A project of two local hosts, h1 and h2, and this playbook. */
const twoHosts = (playbook: string): string => project({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n    h2:\n', 'playbooks/site.yml': playbook });

describe('engine/session: command time limits', function () {
  this.timeout(60_000);

  it('commandLine with a become password: read from stdin, checked alone first, then sudo -k -S; no password in the line', () => {
    const line = commandLine(raw('cat'), true, 'deploy', 0, true);
    expect(line).to.match(/^\/bin\/sh -c /);
    expect(line).to.include('IFS= read -r PLUMB_BECOME_PW');
    expect(line).to.match(/sudo -S -p .{0,12} -v/);
    expect(line).to.match(/sudo -k -S -p .{0,12} -- \/bin\/sh -c/);
    expect(commandLine(raw('cat'), true, 'root', 0, true), 'root needs no sudo').to.equal("/bin/sh -c 'LC_ALL=C; export LC_ALL\ncat'");
    expect(commandLine(raw('cat'), false, 'deploy', 0, true), 'no become').to.equal("/bin/sh -c 'LC_ALL=C; export LC_ALL\ncat'");
  });
  it('commandLine: timeout(1) inside sudo, TERM at the limit and KILL 10 s later; none without a limit', () => {
    expect(commandLine(raw('true'), true, 'deploy', 30)).to.equal("sudo -n -- timeout -k 10 30 /bin/sh -c 'LC_ALL=C; export LC_ALL\ntrue'");
    expect(commandLine(raw('true'), false, 'root', 30)).to.equal("timeout -k 10 30 /bin/sh -c 'LC_ALL=C; export LC_ALL\ntrue'");
    expect(commandLine(raw('true'), false, 'root')).to.equal("/bin/sh -c 'LC_ALL=C; export LC_ALL\ntrue'");
  });

  it("a task's timeout stops its command on the host and fails that host's task clearly; the other host carries on", async () => {
    const dir = twoHosts(yaml`
        - hosts: all
          tasks:
            - name: long
              shell: "echo $$ > {{ pidfile }}-{{ inventory_hostname }}; exec sleep 30"
              when: inventory_hostname == 'h1'
              timeout: 1
            - name: after
              command: "true"
      `);
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

describe('engine/run: a connection lost mid-run', function () {
  this.timeout(60_000);

  /** A local "host" whose connection drops at the first command that mentions `drop-here`. */
  class Dropping extends LocalTransport {
    override exec(command: string, stdin?: string | Buffer) {
      if (command.includes('drop-here')) {
        this.execCount++;
        return Promise.reject(new UnreachableError(this.host, 'connection lost: the host stopped answering (fake)'));
      }
      return super.exec(command, stdin);
    }
  }

  it('that host is UNREACHABLE once, the others run every play; the recap covers every host; exit 1', async () => {
    const dir = twoHosts(yaml`
        - hosts: all
          tasks:
            - name: long
              shell: echo drop-here
              when: inventory_hostname == 'h1'
        - hosts: all
          tasks:
            - name: later
              command: "true"
      `);
    const { inv, book } = loadProject(dir);
    const events: PlumbEvent[] = [];
    const r = await runPlaybook(inv, book, {
      mode: 'apply',
      diff: false,
      tags: [],
      skipTags: [],
      forks: 5,
      extraVars: {},
      forceHandlers: false,
      emit: (e) => events.push(e),
      connect: async (name) => (name === 'h1' ? new Dropping(name) : new LocalTransport(name)),
    });
    expect(r.exitCode).to.equal(1);
    const unreachable = taskEvents(events).filter((e) => e.status === 'unreachable');
    expect(unreachable.map((e) => `${e.host} ${e.task}`)).to.deep.equal(['h1 long']);
    expect(unreachable[0]!.message).to.equal('h1: connection lost: the host stopped answering (fake)');
    expect(
      taskEvents(events)
        .filter((e) => e.host === 'h2')
        .map((e) => `${e.task} ${e.status}`),
    ).to.deep.equal(['long skipped', 'later changed']);
    expect(r.hosts.h1).to.include({ unreachable: true });
    expect(r.hosts.h2).to.include({ unreachable: false, failed: 0, changed: 1 });
    expect(events.at(-1)?.type).to.equal('recap');
  });
});
