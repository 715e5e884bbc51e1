// get_url, unarchive and fetch on real lab hosts. web-01 serves files over HTTP (a python
// server the test starts there, bound to web-01's address, ending by itself after 300 s; one
// path needs basic auth); web-02 downloads from it with and without a checksum and with
// credentials, unarchives a tar.gz built here (sent from the controller, and downloaded, with
// remote_src), and fetches a file back to a temp dir. First apply changes, second is ok in one
// exec, check after drift names the drifted tasks and leaves the host (and the controller's
// fetched copy) untouched. Resets web-02.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { labExecCount } from '../../src/lab/index.js';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, runBookOn, type Run, SiteRun, tasks } from './site-run.js';

const HOST = 'web-02';
const SERVER = 'web-01';
const PORT = 8099;
const FIREWALL_MARK = 'plumb-test-fetch';
const D = '/opt/plumb-fetch';
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// A file server with one basic-auth path, run under `timeout` so it cannot outlive the test.
const SERVER_PY = `
import base64, functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith('/secret/') and self.headers.get('Authorization') != 'Basic ' + base64.b64encode(b'fetcher:s3cret pass').decode():
            self.send_response(401); self.send_header('WWW-Authenticate', 'Basic realm="t"'); self.end_headers(); return
        super().do_GET()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), functools.partial(H, directory=sys.argv[3])).serve_forever()
`;

const playbook = (url: string, tgzSum: string, appSum: string, tgz: string, out: string) => `- hosts: ${HOST}
  become: true
  tasks:
    - name: work dirs
      file: {path: "{{ item }}", state: directory, mode: "0755"}
      loop: [${D}, ${D}/ctl, ${D}/rem]
    - name: download without checksum
      get_url: {url: "${url}/pub/app.txt", dest: ${D}/app.txt, mode: "0640"}
    - name: download with checksum
      get_url: {url: "${url}/pub/app.txt", dest: ${D}/app2.txt, checksum: "sha256:${appSum}"}
    - name: download with basic auth
      get_url: {url: "${url}/secret/s.txt", dest: ${D}/s.txt, url_username: fetcher, url_password: "s3cret pass", force_basic_auth: true}
    - name: download the archive
      get_url: {url: "${url}/pub/a.tgz", dest: ${D}/a.tgz, checksum: "sha256:${tgzSum}"}
    - name: unarchive from the controller
      unarchive: {src: ${tgz}, dest: ${D}/ctl}
    - name: unarchive on the host
      unarchive: {src: ${D}/a.tgz, dest: ${D}/rem, remote_src: true}
    - name: fetch back
      fetch: {src: ${D}/app.txt, dest: ${out}}
`;
const DRIFTED = ['download with checksum', 'unarchive from the controller', 'unarchive on the host', 'fetch back'];
const STATE = `cd ${D} && find . -printf '%p %s %m %u\\n' | sort && sha256sum app.txt app2.txt s.txt a.tgz ctl/app/one.txt ctl/app/sub/two.txt rem/app/sub/two.txt`;

describe('get_url, unarchive and fetch on the lab', function () {
  this.timeout(600_000);
  let site: SiteRun;
  let dir: string;
  let book: string;
  let fetched: string;
  const run = (verb: 'apply' | 'check'): Run => runBookOn(site.lab, verb, book, HOST);

  before(async () => {
    site = new SiteRun(await ensureLab());
    await resetHosts([HOST]);
    dir = mkdtempSync(join(tmpdir(), 'plumb-modfetch-'));
    mkdirSync(join(dir, 'src/app/sub'), { recursive: true });
    writeFileSync(join(dir, 'src/app/one.txt'), 'one\n');
    writeFileSync(join(dir, 'src/app/sub/two.txt'), 'two\n');
    execFileSync('tar', ['-czf', join(dir, 'a.tgz'), '--owner=root', '--group=root', '-C', join(dir, 'src'), 'app']);
    const tgz = readFileSync(join(dir, 'a.tgz'));
    const app = 'served by web-01\n';
    const addr = site.addr(SERVER);
    // The server's files, sent base64 on the command (test data, no secret).
    site.onHost(
      SERVER,
      `rm -rf /srv/plumb-http && mkdir -p /srv/plumb-http/pub /srv/plumb-http/secret && cd /srv/plumb-http && ` +
        `printf %s ${Buffer.from(app).toString('base64')} | base64 -d > pub/app.txt && printf %s ${tgz.toString('base64')} | base64 -d > pub/a.tgz && ` +
        `echo top secret > secret/s.txt && printf %s ${Buffer.from(SERVER_PY).toString('base64')} | base64 -d > /srv/server.py && ` +
        `{ nohup timeout 300 python3 /srv/server.py ${addr} ${PORT} /srv/plumb-http >/dev/null 2>&1 & echo $! > /srv/plumb-http.pid; } && ` +
        `for i in $(seq 50); do curl -s -o /dev/null http://${addr}:${PORT}/pub/app.txt && exit 0; sleep 0.1; done; exit 1`,
    );
    // web-01 may run the stack's firewall (an earlier test converged it): let web-02 in, for
    // this test only, in the kernel (ufw's files stay as the stack wrote them).
    site.onHost(SERVER, `iptables -I INPUT 1 -p tcp -s ${site.addr(HOST)} --dport ${PORT} -m comment --comment ${FIREWALL_MARK} -j ACCEPT`, true);
    fetched = join(dir, 'fetched');
    book = join(dir, 'fetch.yml');
    writeFileSync(book, playbook(`http://${addr}:${PORT}`, sha256(tgz), sha256(app), join(dir, 'a.tgz'), fetched));
  });
  after(async () => {
    // The server's own PID (the timeout wrapping it), recorded when it was started.
    site.onHost(SERVER, 'kill "$(cat /srv/plumb-http.pid)"; rm -rf /srv/plumb-http /srv/plumb-http.pid /srv/server.py', true);
    site.onHost(SERVER, `iptables -D INPUT -p tcp -s ${site.addr(HOST)} --dport ${PORT} -m comment --comment ${FIREWALL_MARK} -j ACCEPT`, true);
    await resetHosts([HOST]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('check on a fresh host would change everything; first apply changes, second is ok with 0 changed in one exec, check reports the drift and leaves the host untouched', () => {
    // Check on the fresh host first: every task would change (the archive to unarchive and
    // the file to fetch appear in this run), none fails, nothing is written.
    const dry = run('check');
    expect(dry.code, failures(dry)).to.equal(2);
    expect(tasks(dry).filter((t) => t.status === 'failed')).to.deep.equal([]);
    expect(changed(dry)).to.include.members([...DRIFTED, 'download without checksum'].map((t) => `${HOST}: ${t}`));
    expect(site.onHost(HOST, `test -e ${D} && echo present || echo absent`).out.trim()).to.equal('absent');
    expect(tasks(dry).find((t) => t.task === 'download without checksum')?.message).to.match(/dest is absent/);

    const first = run('apply');
    expect(first.code, failures(first) + first.stderr).to.equal(0);
    expect(changed(first)).to.include.members(
      [...DRIFTED, 'download without checksum', 'download with basic auth', 'download the archive'].map((t) => `${HOST}: ${t}`),
    );
    const state = site.onHost(HOST, STATE).out;
    expect(state).to.match(/^\.\/app\.txt 17 640 root$/m);
    expect(state).to.match(/^\.\/ctl\/app\/sub\/two\.txt 4 /m);
    expect(state).to.match(/^\.\/rem\/app\/one\.txt 4 /m);
    expect(site.onHost(HOST, `cat ${D}/s.txt`).out).to.equal('top secret\n');
    const local = join(fetched, HOST, D.slice(1), 'app.txt');
    expect(readFileSync(local, 'utf8')).to.equal('served by web-01\n');
    // The password never reached a command line: not in any event.
    expect(first.stdout).not.to.include('s3cret');

    const before = labExecCount(HOST);
    const second = run('apply');
    expect(second.code, failures(second)).to.equal(0);
    expect(changed(second)).to.deep.equal([]);
    expect(labExecCount(HOST) - before).to.equal(1);

    site.onHost(HOST, `cd ${D} && echo drift >> app.txt && echo drift >> app2.txt && echo drift > ctl/app/sub/two.txt && rm rem/app/one.txt`);
    const drifted = site.onHost(HOST, STATE).out;
    const localBefore = readFileSync(local);
    const beforeCheck = labExecCount(HOST);
    const check = run('check');
    expect(labExecCount(HOST) - beforeCheck, 'check costs 1 exec').to.equal(1);
    expect(check.code, failures(check)).to.equal(2);
    expect(changed(check)).to.have.members(DRIFTED.map((t) => `${HOST}: ${t}`));
    const why = tasks(check).find((t) => t.task === 'download with checksum')?.message ?? '';
    expect(why).to.match(/sha256 of dest differs/);
    expect(site.onHost(HOST, STATE).out).to.equal(drifted);
    expect(readFileSync(local)).to.deep.equal(localBefore);
  });

  it('a download whose checksum does not match fails and leaves dest and its directory as they were', () => {
    const bad = join(dir, 'bad.yml');
    const url = `http://${site.addr(SERVER)}:${PORT}/pub/app.txt`;
    writeFileSync(
      bad,
      `- hosts: ${HOST}\n  become: true\n  tasks:\n    - name: tampered\n      get_url: {url: "${url}", dest: ${D}/app2.txt, checksum: "sha256:${'0'.repeat(64)}"}\n`,
    );
    const before = site.onHost(HOST, STATE).out;
    const r = runBookOn(site.lab, 'apply', bad, HOST);
    expect(r.code).to.not.equal(0);
    const t = tasks(r).find((e) => e.task === 'tampered');
    expect(t?.status).to.equal('failed');
    expect(String(t?.message)).to.match(/checksum mismatch/);
    expect(site.onHost(HOST, STATE).out).to.equal(before);
  });
});
