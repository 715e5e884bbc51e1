// The HA lab's site certificate: one self-signed certificate and key (PEM), generated once on
// the machine and passed to every load balancer through the inventory, so the pair serves the
// same certificate (a per-host one would change under clients on failover). Kept across ups.
import { existsSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { run } from './run.js';

/** `openssl` arguments for a self-signed P-256 certificate of `domain` (CN and SAN), key unencrypted. */
export function selfSignedArgs(domain: string, days: number, keyOut: string, certOut: string): string[] {
  return [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-sha256',
    '-days',
    String(days),
    '-subj',
    `/CN=${domain}`,
    '-addext',
    `subjectAltName=DNS:${domain}`,
    '-keyout',
    keyOut,
    '-out',
    certOut,
  ];
}

export async function ensureSiteCert(file: string, domain: string): Promise<string> {
  if (existsSync(file)) return file;
  const dir = await fsp.mkdtemp(path.join(path.dirname(file), '.cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    await run(['openssl', ...selfSignedArgs(domain, 825, key, cert)]);
    const pem = (await fsp.readFile(cert, 'utf8')) + (await fsp.readFile(key, 'utf8'));
    await fsp.writeFile(`${file}.new`, pem, { mode: 0o600 });
    await fsp.rename(`${file}.new`, file);
    return file;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
