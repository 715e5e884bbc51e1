// Ansible Vault, read-only: `!vault |` values and whole encrypted files, format 1.1 and 1.2
// (AES256). The format, from Ansible's lib/ansible/parsing/vault/__init__.py:
//   $ANSIBLE_VAULT;1.1;AES256[;label]\n  then hex( hex(salt) \n hex(hmac) \n hex(ciphertext) )
//   key material = PBKDF2-HMAC-SHA256(password, salt, 10000 iterations, 80 bytes):
//   32 bytes AES-256-CTR key, 32 bytes HMAC-SHA256 key, 16 bytes counter block; the
//   plaintext is PKCS#7-padded to 16 bytes before encryption; the HMAC covers the ciphertext.
// Passwords come from files (--vault-password-file, --vault-id [label@]file, or
// ANSIBLE_VAULT_PASSWORD_FILE); an executable file is run and its output is the password,
// as in Ansible. A password never goes on a command line.
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const VAULT_HEADER = '$ANSIBLE_VAULT;';

export class VaultError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A `!vault` scalar as written, decrypted when the inventory is resolved. */
export class Vaulted {
  constructor(readonly text: string) {}
}

export interface VaultSource {
  label: string;
  file: string;
}

/** --vault-id arguments (`label@file` or `file`), then --vault-password-file, then the environment. */
export function vaultSources(ids: readonly string[] = [], passwordFiles: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): VaultSource[] {
  const out: VaultSource[] = [];
  for (const id of ids) {
    const at = id.indexOf('@');
    const label = at > 0 ? id.slice(0, at) : 'default';
    const file = at > 0 ? id.slice(at + 1) : id;
    if (file === 'prompt' || file === 'prompt_ask_vault_pass')
      throw new VaultError(
        `--vault-id ${id}: plumb does not prompt for vault passwords`,
        'give a password file: --vault-id label@FILE or --vault-password-file FILE',
      );
    out.push({ label, file });
  }
  for (const f of passwordFiles) out.push({ label: 'default', file: f });
  for (const f of (env.ANSIBLE_VAULT_PASSWORD_FILE ?? '').split(',').filter(Boolean)) out.push({ label: 'default', file: f });
  return out;
}

export class Vault {
  private readonly passwords = new Map<VaultSource, Buffer>();
  constructor(private readonly sources: VaultSource[]) {}

  private password(s: VaultSource): Buffer {
    let p = this.passwords.get(s);
    if (!p) {
      let raw: Buffer;
      try {
        const executable = statSync(s.file).isFile() && canExec(s.file);
        raw = executable ? execFileSync(s.file, [], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 30_000 }) : readFileSync(s.file);
      } catch (e) {
        throw new VaultError(`cannot read vault password file ${s.file}: ${(e as Error).message}`);
      }
      p = Buffer.from(raw.toString('utf8').trim(), 'utf8');
      if (!p.length) throw new VaultError(`vault password file ${s.file} is empty`);
      this.passwords.set(s, p);
    }
    return p;
  }

  /** Decrypt one vault text (a whole file's contents or a !vault scalar). */
  decrypt(text: string, what: string): string {
    const { label, salt, hmac, ciphertext } = parseVault(text, what);
    if (!this.sources.length) {
      throw new VaultError(
        `${what} is vault-encrypted and no vault password was given`,
        'pass --vault-password-file FILE or --vault-id [label@]FILE, or set ANSIBLE_VAULT_PASSWORD_FILE',
      );
    }
    // A 1.2 text names its vault id: try the matching password first, then the others, as Ansible does.
    const ordered = label ? [...this.sources.filter((s) => s.label === label), ...this.sources.filter((s) => s.label !== label)] : this.sources;
    for (const s of ordered) {
      const plain = decryptWith(this.password(s), salt, hmac, ciphertext);
      if (plain !== null) return plain;
    }
    throw new VaultError(
      `${what}: no vault password given decrypts it (${ordered.map((s) => s.file).join(', ')})`,
      'check the password file, or the vault id the value was encrypted with',
    );
  }
}

function canExec(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER);
}

function parseVault(text: string, what: string): { label?: string; salt: Buffer; hmac: Buffer; ciphertext: Buffer } {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0]!.trim().split(';');
  const [, version, cipher, label] = header;
  if (version !== '1.1' && version !== '1.2') throw new VaultError(`${what}: vault format ${version} is not supported (1.1 and 1.2 are)`);
  if (cipher !== 'AES256') throw new VaultError(`${what}: vault cipher ${cipher} is not supported (AES256 is)`);
  const body = lines
    .slice(1)
    .map((l) => l.trim())
    .join('');
  const inner = /^[0-9a-fA-F]*$/.test(body) && body.length % 2 === 0 ? Buffer.from(body, 'hex').toString('latin1').split('\n') : [];
  const [s, h, c] = inner;
  if (inner.length !== 3 || !s || !h || !c || ![s, h, c].every((x) => /^[0-9a-fA-F]+$/.test(x)))
    throw new VaultError(`${what}: the vault text is damaged (not hex, or not salt/hmac/ciphertext)`);
  return { label: version === '1.2' ? label : undefined, salt: Buffer.from(s, 'hex'), hmac: Buffer.from(h, 'hex'), ciphertext: Buffer.from(c, 'hex') };
}

function decryptWith(password: Buffer, salt: Buffer, hmac: Buffer, ciphertext: Buffer): string | null {
  const km = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  const mac = createHmac('sha256', km.subarray(32, 64)).update(ciphertext).digest();
  if (mac.length !== hmac.length || !timingSafeEqual(mac, hmac)) return null;
  const d = createDecipheriv('aes-256-ctr', km.subarray(0, 32), km.subarray(64, 80));
  const padded = Buffer.concat([d.update(ciphertext), d.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || pad > padded.length) return null;
  return padded.subarray(0, padded.length - pad).toString('utf8');
}
