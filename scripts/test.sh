#!/usr/bin/env bash
# `npm test`: the whole suite. Build, unit tests, then the integration tests on the lab.
# The lab is brought up if it is not running (cold: builds the rootfs cache first), and
# taken down again at the end, even on failure, if this script brought it up.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run build

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

echo "==> integration tests"
npx mocha --timeout 900000 'dist/test/integration/**/*.test.js'
