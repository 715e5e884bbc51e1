// Command-line habits from Ansible, on the lab (issue 16, acceptance 5 and 6): ad-hoc runs
// with `plumb run`, and a --junit report for CI drift jobs, checked with a real XML schema
// validator, that fails exactly the drifted task.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { sshArgs, type LabStatus } from '../../src/lab/index.js';

const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const XSD = resolve(import.meta.dirname, '../../../test/fixtures/junit.xsd');
const HOSTS = ['lb-01', 'web-01', 'web-02'];
const DIR = '/srv/plumb-cli-it';

describe('command-line habits (issue 16)', function () {
  this.timeout(600_000);
  let lab: LabStatus;
  let work: string;

  const plumb = (args: string[], cwd?: string) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000, cwd, env: { ...process.env, CI: 'true' } });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  };
  const onHost = (name: string, cmd: string): string => {
    const h = lab.hosts.find((x) => x.name === name)!;
    const a = sshArgs({ host: h.sshHost, port: h.port, knownHosts: lab.knownHosts });
    const r = spawnSync(a[0]!, [...a.slice(1), '--', cmd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${cmd}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    lab = await ensureLab();
    work = mkdtempSync(join(tmpdir(), 'plumb-cli-it-'));
    for (const h of HOSTS) onHost(h, `rm -rf ${DIR}`);
  });
  after(() => {
    for (const h of HOSTS) onHost(h, `rm -rf ${DIR}`);
    rmSync(work, { recursive: true, force: true });
  });

  describe('plumb run (ad-hoc)', () => {
    it("-a 'uptime' runs command on every matching host and prints its output, as `ansible` does", () => {
      const r = plumb(['run', 'webservers', '-i', lab.inventory, '-a', 'uptime']);
      expect(r.code, r.err).to.equal(0);
      for (const h of ['web-01', 'web-02']) expect(r.out).to.match(new RegExp(`^${h} \\| CHANGED \\| rc=0 >>\\n .*load average`, 'm'));
      expect(r.out).to.not.contain('lb-01');
    });

    it("-m apt -a 'name=nginx state=present' --check reports and changes nothing", () => {
      const before = Object.fromEntries(HOSTS.map((h) => [h, onHost(h, "dpkg-query -W -f '${Status}' nginx 2>/dev/null || true")]));
      const r = plumb(['run', 'all', '-i', lab.inventory, '-m', 'apt', '-a', 'name=nginx state=present', '--check']);
      const installed = HOSTS.filter((h) => before[h]!.includes('install ok installed'));
      expect(r.code, r.out + r.err).to.equal(installed.length === HOSTS.length ? 0 : 2);
      for (const h of HOSTS) {
        expect(r.out).to.contain(installed.includes(h) ? `${h} | SUCCESS => {` : `${h} | CHANGED => {`);
        expect(onHost(h, "dpkg-query -W -f '${Status}' nginx 2>/dev/null || true"), `${h} untouched`).to.equal(before[h]);
      }
    });

    it("-m copy -a 'content=x dest=...' --diff: the diff, changed, then ok; exit codes as a playbook run", () => {
      const args = ['run', 'lb-01', '-i', lab.inventory, '-m', 'copy', '-a', `content=x dest=${DIR}/x`, '--diff'];
      onHost('lb-01', `mkdir -p ${DIR}`);
      const check = plumb([...args, '--check']);
      expect(check.code, check.err).to.equal(2);
      expect(check.out).to.contain(`+++ ${DIR}/x (after)`).and.contain('lb-01 | CHANGED => {');
      expect(onHost('lb-01', `test -e ${DIR}/x && echo yes || echo no`).trim()).to.equal('no');
      const first = plumb(args);
      expect(first.code, first.err).to.equal(0);
      expect(first.out).to.contain('lb-01 | CHANGED => {').and.contain(`+x`);
      expect(onHost('lb-01', `cat ${DIR}/x`)).to.equal('x');
      const second = plumb(args);
      expect(second.code).to.equal(0);
      expect(second.out).to.contain('lb-01 | SUCCESS => {').and.contain('"changed": false');
    });

    it('a bad argument is refused before anything connects', () => {
      const r = plumb(['run', 'all', '-i', lab.inventory, '-m', 'apt', '-a', 'nme=nginx']);
      expect(r.code).to.equal(1);
      expect(r.err).to.contain("'nme=nginx' is not one of its arguments");
    });
  });

  describe('--junit', () => {
    it('validates against the JUnit schema and fails exactly the drifted task', () => {
      const dir = join(work, 'junit');
      mkdirSync(join(dir, 'playbooks'), { recursive: true });
      const pb = join(dir, 'playbooks', 'site.yml');
      writeFileSync(
        pb,
        [
          '- name: junit',
          '  hosts: all',
          '  tasks:',
          `    - name: a directory\n      file: { path: ${DIR}, state: directory, mode: "0755" }`,
          `    - name: a file\n      copy: { dest: ${DIR}/a.conf, content: "port = 80\\n" }`,
          `    - name: another file\n      copy: { dest: ${DIR}/b.conf, content: "b\\n" }`,
          '',
        ].join('\n'),
      );
      const report = join(work, 'report.xml');
      const valid = () => spawnSync('xmllint', ['--noout', '--schema', XSD, report], { encoding: 'utf8' });
      expect(plumb(['apply', pb, '-i', lab.inventory]).code).to.equal(0);

      const clean = plumb(['check', pb, '-i', lab.inventory, '--junit', report]);
      expect(clean.code, clean.out).to.equal(0);
      expect(valid().status, valid().stderr).to.equal(0);
      const xml0 = readFileSync(report, 'utf8');
      expect(xml0).to.match(/<testsuites name="plumb check [^"]*" tests="9" failures="0" errors="0"/);

      onHost('web-01', `sed -i 's/80/8080/' ${DIR}/a.conf`);
      const drift = plumb(['check', pb, '-i', lab.inventory, '--junit', report]);
      expect(drift.code).to.equal(2);
      expect(drift.out, 'no diff on the terminal without --diff').to.not.contain('+++');
      expect(valid().status, valid().stderr).to.equal(0);
      const xml = readFileSync(report, 'utf8');
      expect(xml).to.match(/tests="9" failures="1" errors="0"/);
      const failed = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"[^>]*><failure/g)].map((m) => `${m[1]} ${m[2]}`);
      expect(failed).to.deep.equal(['web-01.junit a file']);
      expect(xml).to.contain('-port = 8080').and.contain('+port = 80');
      expect(onHost('web-01', `cat ${DIR}/a.conf`), 'check left the host alone').to.equal('port = 8080\n');
    });
  });
});
