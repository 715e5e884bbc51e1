// The lab image: a Debian 12 (or 13) rootfs built once with debootstrap and cached outside the
// repository under CACHE_DIR/rootfs-<hash>, where <hash> covers the whole build recipe
// (suite, mirrors, package lists, this file's image script). A build happens in a temp
// directory and is renamed into place only when complete, so a killed build never leaves a
// "valid" cache; stale temp directories are removed on the next build.
//
// The stack's .debs (with all dependencies and recommends) are downloaded while the chroot
// still uses the machine's network, then turned into a trusted local file repository at
// /var/local/plumb-debs, and sources.list points ONLY at it: `apt-get update` and
// `apt-get install` on a host then behave as on a VPS, offline and fast.
//
// Every chroot step runs in a private mount namespace (unshare --mount), so the /proc and
// /dev mounts it needs vanish with it, even if the build is killed.
import { createHash } from 'node:crypto';
import { promises as fsp, existsSync } from 'node:fs';
import path from 'node:path';
import { BASE_PACKAGES, STACK_PACKAGES } from './packages.js';
import { CACHE_DIR } from './paths.js';
import { removeTree } from './fs.js';
import { run, LabError } from './run.js';
import { isAlive } from './proc.js';
import { sh, script, raw, type Shell } from '../sh.js';

/** Debian releases the lab can run, by number, and their suite names. */
export const RELEASES = { '12': 'bookworm', '13': 'trixie' } as const;
export type Release = keyof typeof RELEASES;

/** The release `lab up` builds when none is asked for: PLUMB_LAB_RELEASE, else 12. */
export function defaultRelease(): Release {
  const v = process.env.PLUMB_LAB_RELEASE ?? '12';
  if (!(v in RELEASES)) throw new LabError(`PLUMB_LAB_RELEASE must be one of ${Object.keys(RELEASES).join(', ')}, not '${v}'`);
  return v as Release;
}

/** Packages one release needs beyond STACK_PACKAGES (names that moved between releases). */
const RELEASE_PACKAGES: Record<Release, readonly string[]> = { '12': [], '13': [] };

const stackPackages = (release: Release): string[] => [...STACK_PACKAGES, ...RELEASE_PACKAGES[release]];

const MIRROR = process.env.PLUMB_LAB_MIRROR ?? 'http://deb.debian.org/debian';
const SECURITY_MIRROR = process.env.PLUMB_LAB_SECURITY_MIRROR ?? 'http://deb.debian.org/debian-security';
export const LOCAL_REPO = '/var/local/plumb-debs';
const RECIPE_VERSION = 1;

/** Inside the chroot, online: bring the base up to date and download the stack's packages. */
function onlineScript(release: Release): Shell {
  const SUITE = RELEASES[release];
  return script(
    raw('set -eu'),
    raw('export DEBIAN_FRONTEND=noninteractive LC_ALL=C'),
    // Nothing may start services inside the build chroot.
    raw("printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"),
    sh`printf '%s\\n' ${`deb ${MIRROR} ${SUITE} main`} ${`deb ${MIRROR} ${SUITE}-updates main`} ${`deb ${SECURITY_MIRROR} ${SUITE}-security main`} > /etc/apt/sources.list`,
    raw('apt-get -q update'),
    raw('apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade'),
    raw('apt-get clean'),
    sh`apt-get -q -y install --download-only ${stackPackages(release)}`,
  );
}

/** Inside the chroot, offline: switch apt to the local repository and make the image generic. */
function offlineScript(release: Release): Shell {
  return script(
    raw('set -eu'),
    raw('export DEBIAN_FRONTEND=noninteractive LC_ALL=C'),
    sh`printf '%s\\n' ${`deb [trusted=yes] file:${LOCAL_REPO} ./`} > /etc/apt/sources.list`,
    raw('rm -f /etc/apt/sources.list.d/*'),
    // Offline, a failing fetch must fail at once instead of retrying for ~9 s.
    raw(`printf 'Acquire::Retries "0";\\n' > /etc/apt/apt.conf.d/80plumb-lab`),
    raw('rm -rf /var/lib/apt/lists/*'),
    raw('apt-get -q update'),
    // Fail the build now, not on a host later, if the repository misses anything.
    sh`apt-get -q -s install ${stackPackages(release)} > /dev/null`,
    raw('apt-get clean'),
    // Each host gets its own identity (written per host by the lab before first boot).
    raw('rm -f /etc/ssh/ssh_host_* /var/lib/dbus/machine-id'),
    raw(': > /etc/machine-id'),
    raw(': > /etc/resolv.conf'),
    raw('rm -f /usr/sbin/policy-rc.d'),
  );
}

export function recipeHash(release: Release = defaultRelease()): string {
  const recipe = JSON.stringify({
    v: RECIPE_VERSION,
    // Debian 12's images keep the hash they had before the lab knew other releases.
    SUITE: RELEASES[release],
    MIRROR,
    SECURITY_MIRROR,
    BASE_PACKAGES,
    STACK_PACKAGES: stackPackages(release),
    LOCAL_REPO,
    online: onlineScript(release).text,
    offline: offlineScript(release).text,
  });
  return createHash('sha256').update(recipe).digest('hex').slice(0, 16);
}

export function rootfsPath(hash = recipeHash()): string {
  return path.join(CACHE_DIR, `rootfs-${hash}`);
}

/** The image hash of a rootfs path (what hosts record as the image they were made from). */
export function imageOf(rootfs: string): string {
  return path.basename(rootfs).replace(/^rootfs-/, '');
}

/** Run a script chrooted into root, with /proc and /dev mounted in a private mount namespace. */
async function inChroot(root: string, body: Shell, onLine?: (l: string) => void): Promise<void> {
  const wrapper = script(
    raw('set -eu'),
    raw('mount --make-rprivate /'),
    raw('mount -t proc proc "$1/proc"'),
    raw('mount --rbind /dev "$1/dev"'),
    raw('exec chroot "$1" /bin/sh -c "$2"'),
  );
  await run(['unshare', '--mount', '--', 'sh', '-c', wrapper.text, 'sh', root, body.text], { onLine });
}

/**
 * Return the cached rootfs for the current recipe, building it if needed. The caller holds
 * the lab lock, so no two builds race.
 */
export async function ensureRootfs(onProgress: (msg: string) => void = () => {}, release: Release = defaultRelease()): Promise<string> {
  const hash = recipeHash(release);
  const SUITE = RELEASES[release];
  const final = rootfsPath(hash);
  if (existsSync(path.join(final, 'etc', 'plumb-lab-image'))) return final;

  await fsp.mkdir(CACHE_DIR, { recursive: true });
  // A killed earlier build leaves a temp dir (never a final one): remove it. Labs in other
  // slots may be building another image right now: their builder is alive, so theirs stays.
  for (const entry of await fsp.readdir(CACHE_DIR)) {
    const m = /^\.build-[0-9a-f]+-(\d+)$/.exec(entry);
    if (entry.startsWith('.build-') && !(m && isAlive(Number(m[1])))) await removeTree(path.join(CACHE_DIR, entry));
  }
  if (existsSync(final)) await removeTree(final); // no completion marker: not ours to trust

  const tmp = path.join(CACHE_DIR, `.build-${hash}-${process.pid}`);
  const started = Date.now();
  const secs = (): string => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  let last = 0;
  const tick = (l: string): void => {
    // debootstrap and apt are chatty; pass on a line every few seconds to show life.
    if (Date.now() - last > 5000 && l.trim()) {
      last = Date.now();
      onProgress(`  ${l.trim().slice(0, 100)}`);
    }
  };
  onProgress(`building lab rootfs ${hash} (Debian ${release}, cold build, about 1-2 min) in ${tmp}`);
  try {
    await run(
      [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        'debootstrap',
        '--variant=minbase',
        `--include=${BASE_PACKAGES.join(',')}`,
        '--components=main',
        SUITE,
        tmp,
        MIRROR,
      ],
      { onLine: tick },
    );
    onProgress(`debootstrap done (${secs()}); updating and downloading ${stackPackages(release).length} stack packages`);
    await fsp.copyFile('/etc/resolv.conf', path.join(tmp, 'etc', 'resolv.conf')).catch(() => {});
    await inChroot(tmp, onlineScript(release), tick);

    const repo = path.join(tmp, LOCAL_REPO);
    await fsp.mkdir(repo, { recursive: true });
    const archives = path.join(tmp, 'var', 'cache', 'apt', 'archives');
    let n = 0;
    for (const f of await fsp.readdir(archives)) {
      if (f.endsWith('.deb')) {
        await fsp.rename(path.join(archives, f), path.join(repo, f));
        n++;
      }
    }
    onProgress(`downloaded ${n} packages (${secs()}); indexing the local repository`);
    const idx = await run(['sh', '-c', 'cd "$1" && dpkg-scanpackages --multiversion . /dev/null', 'sh', repo]);
    await fsp.writeFile(path.join(repo, 'Packages'), idx.stdout);
    await run(['sh', '-c', 'gzip -9c "$1/Packages" > "$1/Packages.gz"', 'sh', repo]);

    await inChroot(tmp, offlineScript(release), tick);
    await fsp.writeFile(path.join(tmp, 'etc', 'plumb-lab-image'), `plumb lab image ${hash}\nDebian ${release} (${SUITE})\nbuilt ${new Date().toISOString()}\n`);
    await fsp.rename(tmp, final);
  } catch (e) {
    await removeTree(tmp).catch(() => {});
    if (e instanceof Error) throw new LabError(`building the lab rootfs failed: ${e.message}`);
    throw e;
  }
  onProgress(`rootfs ready in ${secs()}: ${final}`);
  return final;
}
