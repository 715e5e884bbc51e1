#!/usr/bin/env bash
# npm run bench: plumb against Ansible on the lab (issue 5). Installs ansible-core and the
# collections it needs from Debian (the `ansible` package bundles community.general for ufw
# and community.mysql), builds, and runs bench/run.ts. Arguments go to the bench, e.g.
#   npm run bench -- --only startup,noop,audit --runs 5
# Figures, not tests: not part of npm test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_ansible() {
  command -v ansible-playbook >/dev/null 2>&1 || return 0
  [ -d /usr/lib/python3/dist-packages/ansible_collections/community/general ] || return 0
  [ -d /usr/lib/python3/dist-packages/ansible_collections/community/mysql ] || return 0
  return 1
}
if need_ansible; then
  echo "bench: installing ansible from Debian (ansible-core + community collections)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ansible >&2
fi
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2

# shellcheck source=scripts/prereqs.sh
. scripts/prereqs.sh
ensure_prereqs lab
npm run --silent build >&2 || echo "bench: the build reported errors (someone else's work in progress?); running what was emitted" >&2
exec node dist/bench/run.js "$@"
