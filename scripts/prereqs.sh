# Sourced by demo.sh, test.sh and bench.sh: `ensure_prereqs KIND...` installs the Debian
# packages of scripts/prereqs.txt whose command is missing (for those kinds), then runs
# `npm ci` when node_modules is missing or older than package-lock.json. Nothing else: a
# machine that has everything is left alone.
ensure_prereqs() {
  local root list missing=() cmd pkg kind want
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  list="$root/scripts/prereqs.txt"
  while read -r cmd pkg kind; do
    case "$cmd" in ''|'#'*) continue ;; esac
    for want in "$@"; do
      if [ "$kind" = "$want" ] && ! command -v "$cmd" > /dev/null; then missing+=("$pkg"); fi
    done
  done < "$list"
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "prereqs: missing $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' '); install them as root (apt-get install --no-install-recommends ...)" >&2
      return 1
    fi
    echo "==> installing $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')" >&2
    apt-get update -q >&2
    # --no-upgrade: install what is missing, leave what is installed alone.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --no-upgrade $(printf '%s\n' "${missing[@]}" | sort -u) >&2
  fi
  if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    echo "==> npm ci" >&2
    (cd "$root" && npm ci >&2)
  fi
}
