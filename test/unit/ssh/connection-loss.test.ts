// A connection that goes away while a command runs, against a real SSH server (ssh2's own,
// on loopback) behind a TCP relay that can "cut the link": it stops passing bytes either way
// without closing anything, as a dead network does. The transport must reject the exec with
// UnreachableError within the keepalive bound, never crash the process.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { UnreachableError } from '../../../src/errors.js';
import { defaultSshOptions, SshTransport } from '../../../src/ssh/connection.js';

const { Server, utils } = ssh2;

interface Lab {
  port: number;
  knownHosts: string;
  keyFile: string;
  cut(): void;
  dropServerSide(): void;
  close(): Promise<void>;
}

async function listen(s: NetServer): Promise<number> {
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  return (s.address() as AddressInfo).port;
}

/** An SSH server that accepts any key and runs nothing: `exit N` exits N, anything else hangs. */
async function lab(dir: string): Promise<Lab> {
  const hostKey = utils.generateKeyPairSync('ed25519');
  const userKey = utils.generateKeyPairSync('ed25519');
  const clients: ssh2.Connection[] = [];
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.push(client);
    client.on('error', () => {});
    client.on('authentication', (ctx) => ctx.accept());
    client.on('session', (accept) => {
      accept().on('exec', (acc, _rej, info) => {
        const ch = acc();
        const m = /^exit (\d+)$/.exec(info.command);
        if (m) {
          ch.exit(Number(m[1]));
          ch.end();
        }
      });
    });
  });
  const sshPort = await listen(server as unknown as NetServer);
  const pairs: Socket[][] = [];
  let cut = false;
  const relay = createServer((inbound) => {
    const outbound = tcpConnect(sshPort, '127.0.0.1');
    pairs.push([inbound, outbound]);
    for (const s of [inbound, outbound]) s.on('error', () => {});
    inbound.on('data', (c) => cut || outbound.write(c));
    outbound.on('data', (c) => cut || inbound.write(c));
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  const port = await listen(relay);
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey.public}\n`);
  const keyFile = join(dir, 'id');
  writeFileSync(keyFile, userKey.private, { mode: 0o600 });
  return {
    port,
    knownHosts,
    keyFile,
    cut: () => (cut = true),
    dropServerSide: () => clients.forEach((c) => c.end()),
    close: async () => {
      pairs.flat().forEach((s) => s.destroy());
      await new Promise((res) => relay.close(res));
      await new Promise((res) => server.close(res));
    },
  };
}

describe('ssh/connection: a lost connection', function () {
  this.timeout(20_000);
  let dir: string;
  let l: Lab;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-sshloss-'));
    l = await lab(dir);
  });
  afterEach(async () => {
    await l.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () =>
    SshTransport.connect('h1', { address: '127.0.0.1', port: l.port, user: 'u', keyFile: l.keyFile, knownHosts: l.knownHosts, become: false }, 'u', {
      ...defaultSshOptions,
      attempts: 1,
      keepaliveIntervalMs: 200,
      keepaliveCountMax: 2,
    });

  it('a cut link during a command: UnreachableError within (countMax + 1) keepalives, and every later exec fails at once', async () => {
    const t = await open();
    expect(await t.exec('exit 3')).to.include({ code: 3 });
    const started = Date.now();
    const hung = t.exec('hang');
    setTimeout(() => l.cut(), 100);
    const err = await hung.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(UnreachableError);
    expect((err as Error).message).to.match(/^h1: connection lost: the host stopped answering \(2 keepalives 0.2 s apart went unanswered\)/);
    expect(Date.now() - started).to.be.below(3_000);
    const again = Date.now();
    await t.exec('exit 0').then(
      () => expect.fail('an exec on a lost connection must fail'),
      (e: unknown) => expect(e).to.be.instanceOf(UnreachableError),
    );
    expect(Date.now() - again).to.be.below(100);
    await t.close();
  });

  it('a link cut while idle (between commands) is no crash: the next exec says unreachable', async () => {
    const t = await open();
    l.cut();
    await new Promise((res) => setTimeout(res, 1_200));
    await t.exec('exit 0').then(
      () => expect.fail('must fail'),
      (e: unknown) => expect((e as Error).message).to.match(/connection lost/),
    );
    await t.close();
  });

  it('the host closing the connection during a command: UnreachableError, not exit 255', async () => {
    const t = await open();
    const hung = t.exec('hang');
    setTimeout(() => l.dropServerSide(), 100);
    await hung.then(
      (r) => expect.fail(`resolved with ${JSON.stringify(r)}`),
      (e: unknown) => expect(e).to.be.instanceOf(UnreachableError),
    );
    await t.close();
  });
});
