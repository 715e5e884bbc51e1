// How a host's connection is resolved: inventory values first, then ~/.ssh/config
// (Host alias -> HostName, User, Port, IdentityFile), then defaults.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConnection } from '../../../src/ssh/connection.js';

describe('ssh/connection resolveConnection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-sshcfg-'));
  const cfg = join(dir, 'config');
  writeFileSync(
    cfg,
    [
      'Host web-*',
      '  User deploy',
      '  IdentityFile ~/.ssh/web_key',
      '',
      'Host web-01',
      '  HostName 192.0.2.21',
      '  Port 2222',
      '',
      'Host *',
      '  User fallback',
      '',
    ].join('\n'),
  );

  const cases: Array<{ name: string; conn: Parameters<typeof resolveConnection>[0]; want: Partial<ReturnType<typeof resolveConnection>> }> = [
    {
      name: 'alias from ssh config: HostName, Port, User and IdentityFile',
      conn: { address: 'web-01', become: false },
      want: { address: '192.0.2.21', port: 2222, user: 'deploy' },
    },
    {
      name: 'inventory values win over ssh config',
      conn: { address: 'web-01', port: 22, user: 'root', keyFile: '/k', become: false },
      want: { address: '192.0.2.21', port: 22, user: 'root', keyFiles: ['/k'] },
    },
    { name: 'Host * applies when nothing more specific does', conn: { address: 'db-9', become: false }, want: { address: 'db-9', port: 22, user: 'fallback' } },
    {
      name: 'an inventory known_hosts file is the only one used and the one recorded to',
      conn: { address: 'db-9', become: false, knownHosts: '/tmp/kh' },
      want: { knownHosts: ['/tmp/kh'], recordTo: '/tmp/kh' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveConnection(c.conn, 'me', cfg);
      expect(r).to.include(Object.fromEntries(Object.entries(c.want).filter(([, v]) => !Array.isArray(v))));
      for (const [k, v] of Object.entries(c.want)) if (Array.isArray(v)) expect((r as unknown as Record<string, unknown>)[k]).to.deep.equal(v);
    });
  }

  it('IdentityFile from ssh config, with ~ expanded', () => {
    const r = resolveConnection({ address: 'web-02', become: false }, 'me', cfg);
    expect(r.keyFiles[0]).to.match(/\/\.ssh\/web_key$/);
    expect(r.keyFiles[0]).not.to.include('~');
  });

  it('without config or inventory: the local user, port 22, ~/.ssh/known_hosts', () => {
    const r = resolveConnection({ address: 'h', become: false }, 'me', join(dir, 'missing'));
    expect(r).to.include({ address: 'h', port: 22, user: 'me' });
    expect(r.knownHosts[0]).to.match(/\.ssh\/known_hosts$/);
  });
});
