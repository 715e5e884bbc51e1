#!/usr/bin/env bash
# `npm run demo`: on a fresh Debian 12 machine, as root, from nothing to www.foobar.com
# running on three local lab hosts. Installs the apt tools the lab needs if missing, runs
# `npm ci` if node_modules is missing, builds, brings the lab up (first time: builds the
# cached rootfs), applies playbooks/site.yml, and prints how to reach the site.
# The apt tools come from scripts/prereqs.txt (shared with test.sh and src/lab/run.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$(date +%s)
step() { printf '\n==> %s  [%ds]\n' "$*" "$(( $(date +%s) - t0 ))"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root (the lab uses network namespaces, mounts and systemd-nspawn)" >&2
  exit 1
fi

# shellcheck source=scripts/prereqs.sh
. scripts/prereqs.sh
step "prerequisites"
ensure_prereqs lab

step "build"
npm run build

step "lab up"
node dist/src/cli/main.js lab up

step "plumb apply playbooks/site.yml -i inventory/lab.yml"
node dist/src/cli/main.js apply playbooks/site.yml -i inventory/lab.yml

lb=$(node --input-type=module -e "
  const { labStatus } = await import('./dist/src/lab/index.js');
  console.log((await labStatus()).hosts.find((h) => h.name === 'lb-01').address);")

step "done"
cat <<MSG
www.foobar.com is running on the lab, behind the load balancer lb-01 ($lb).
Reach it from this machine:

  curl -k --resolve www.foobar.com:443:$lb https://www.foobar.com/
  curl -k https://$lb/            # same, without the name
  curl -I http://$lb/             # plain HTTP (redirects to HTTPS)

Log in to a host:  ssh -i /var/lib/plumb-lab/id_ed25519 -o UserKnownHostsFile=/var/lib/plumb-lab/lab/known_hosts root@$lb
Check for drift:   node dist/src/cli/main.js check playbooks/site.yml -i inventory/lab.yml
Remove the lab:    node dist/src/cli/main.js lab down

MSG
echo "demo took $(( $(date +%s) - t0 ))s"
