#!/usr/bin/env bash
# `npm test`: the whole suite. Prerequisites, build, unit tests, then the integration tests on the lab.
# The lab is brought up if it is not running (cold: builds the rootfs cache first), and
# taken down again at the end, even on failure, if this script brought it up.
set -euo pipefail
cd "$(dirname "$0")/.."

# On a fresh clone this is the first thing that runs: the apt tools the lab and the tests
# need (scripts/prereqs.txt) and `npm ci`, each only when missing.
# shellcheck source=scripts/prereqs.sh
. scripts/prereqs.sh
if [ "$(id -u)" -eq 0 ]; then ensure_prereqs lab test; else ensure_prereqs; fi

npm run build

echo "==> lint and format (Biome: biome.json)"
npx biome lint
npx biome format

echo "==> unit tests"
npx mocha 'dist/test/unit/**/*.test.js'

echo "==> the app's own unit tests (Python, standard library only)"
python3 -m unittest discover -s app -p 'test_*.py'

if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the integration tests need root (the lab uses namespaces, mounts and systemd-nspawn)" >&2
  exit 1
fi

# The differential inventory test compares plumb with Ansible's own loader (test only; plumb never calls Ansible).
command -v ansible-inventory >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ansible-core

plumb() { node dist/src/cli/main.js "$@"; }

lab_running=$(node --input-type=module -e "
  const { labStatus } = await import('./dist/src/lab/index.js');
  console.log((await labStatus()).running ? 'yes' : 'no');")

if [ "$lab_running" = no ]; then
  trap 'echo "==> lab down (brought up by test.sh)"; plumb lab down || true' EXIT
  echo "==> lab up"
  plumb lab up
fi

echo "==> integration tests (Debian 12 hosts)"
PLUMB_LAB_RELEASE=12 npx mocha --timeout 900000 'dist/test/integration/**/*.test.js'

# The stack again on Debian 13 (the current stable), with its monitoring and backups: the
# same hosts, recreated from a trixie image (built and cached once), then given back as
# Debian 12 hosts if the lab was running before this script (fresh disks: a test lab keeps
# nothing worth keeping). promtool is its own package on 13; prometheus depends on it.
echo "==> the stack on Debian 13 hosts"
PLUMB_LAB_RELEASE=13 npx mocha --timeout 900000 dist/test/integration/stack.test.js dist/test/integration/monitoring.test.js dist/test/integration/backup.test.js
if [ "$lab_running" = yes ]; then plumb lab up --release 12 > /dev/null; fi
