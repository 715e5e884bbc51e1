// A reload or restart that did not take must fail, not pass as `changed`. `systemctl reload`
// only reports its ExecReload commands, and for HAProxy (`kill -USR2`) and Nginx (`nginx -s
// reload`) those just send a signal: a new configuration that cannot bind is refused by the
// daemon afterwards while the old one keeps running. Measured on Debian 12 (HAProxy 2.6 -Ws,
// Nginx 1.22): on a good reload both fork new workers under the same master within 0.3 s;
// on a bind failure neither does, and HAProxy pauses its listeners for about 2 s while it
// retries (39 of 150 requests failed), so a bind conflict must be found BEFORE the signal.
//
// So, in the change's own exec: before, the listen addresses of the configuration about to
// be loaded are compared with the sockets other processes listen on (`ss -ltnp`) and with the
// host's addresses; after, new worker processes under the same main PID must appear. Units that are neither HAProxy nor
// Nginx are confirmed by systemd's own word: the job's result and the unit being active. For
// a unit whose readiness systemd cannot see (Type=simple, exec, idle: "started" once forked
// or exec'd), active is not enough: a daemon that reads its configuration and exits 0.3 s
// later was measured active right after `systemctl restart` returned 0 (systemd 252). Such a
// unit must stay active with the same main process for SETTLE_TENTHS after a restart, and
// keep the main process it had before a reload.
import { raw, script, sh, type Shell } from '../../sh.js';

/** How long a confirmation waits, in tenths of a second (a big HAProxy config can take seconds to load). */
export const CONFIRM_TENTHS = 300;
/** How long a unit without a readiness protocol must stay up, in tenths of a second. */
export const SETTLE_TENTHS = 10;

// Shell functions shared by both scripts. `comm` is the main process's name (from
// /proc/PID/stat, readable without root); `kids P` lists the children of P.
const PRELUDE = raw(
  [
    'main=$(systemctl show -p MainPID --value -- "$u")',
    'comm=',
    'if [ "${main:-0}" -gt 0 ] && { read -r l < "/proc/$main/stat"; } 2>/dev/null; then comm=${l#*\\(}; comm=${comm%%\\)*}; fi',
    'kids() {',
    '  _p=$1; _k=',
    '  for _f in /proc/[0-9]*/stat; do',
    '    { read -r _l < "$_f"; } 2>/dev/null || continue',
    '    _r=${_l##*) }',
    '    set -- $_r',
    '    if [ "$2" = "$_p" ]; then _k="$_k ${_f%/stat}"; fi',
    '  done',
    '  echo "$_k"',
    '}',
    'journal() {',
    '  journalctl -u "$u" --since "@$t0" -o cat --no-pager 2>/dev/null | grep -E \'ALERT|emerg|crit|rror|fail\' | tail -n 4 >&2',
    '}',
    't0=$(date +%s)',
    // `now` sets st (ActiveState, letters only) and m (MainPID) from one systemctl call.
    'now() {',
    '  _s=$(systemctl show -p ActiveState -p MainPID -- "$u")',
    '  st=${_s#*ActiveState=}; st=${st%%[!a-z]*}',
    '  m=${_s#*MainPID=}; m=${m%%[!0-9]*}',
    '}',
    // Units whose readiness systemd does not see must also stay up a while (see above).
    `case $(systemctl show -p Type --value -- "$u") in simple|exec|idle) need=${SETTLE_TENTHS};; *) need=0;; esac`,
    // Tenths as seconds, for messages.
    'secs() { echo "$(($1 / 10)).$(($1 % 10)) s"; }',
  ].join('\n'),
);

// The addresses the configuration on disk listens on, one per line, as the daemon writes
// them (HAProxy `bind` words, Nginx `listen` values from `nginx -T`, includes resolved). The
// files are the ones the running main process was started with (-f / -c), else Debian's.
const WANTED = raw(
  [
    'wanted() {',
    "  set -- $(tr '\\0' ' ' < \"/proc/$main/cmdline\" 2>/dev/null)",
    '  _f=; _c=',
    '  while [ $# -gt 0 ]; do case $1 in -f) _f="$_f $2"; shift;; -c) _c=$2; shift;; esac; shift; done',
    '  case $comm in',
    '    haproxy)',
    '      for c in ${_f:-/etc/haproxy/haproxy.cfg}; do if [ -d "$c" ]; then cat "$c"/*.cfg; else cat "$c"; fi; done 2>/dev/null |',
    '        awk \'$1 == "bind" { n = split($2, a, ","); for (i = 1; i <= n; i++) print a[i] }\' ;;',
    '    nginx)',
    '      nginx -T ${_c:+-c "$_c"} 2>/dev/null | awk \'$1 == "listen" { v = $2; sub(/;$/, "", v); print v }\' ;;',
    '  esac',
    '}',
  ].join('\n'),
);

// Prints "ADDR:PORT is in use by NAME (pid N)" for every wanted address a process outside
// the service listens on. Linux refuses such a bind: any overlap of the same port, where
// 0.0.0.0 / [::] cover their family and a dual-stack "*" covers both. And "ADDR:PORT is not
// an address of this host" for a specific address no interface has, unless the kernel allows
// non-local binds (ip_nonlocal_bind, as a keepalived pair sets for its floating address).
// Input lines: P own-pids..., A local-address (ip -o addr), N family 0|1, W wanted, L ss line.
export const CONFLICTS_AWK = String.raw`
function fam(h) { return (h ~ /^\[/) ? 6 : 4 }
function wild(h) { return h == "0.0.0.0" || h == "[::]" }
function overlap(w, l) { if (w == "*" || l == "*") return 1; if (fam(w) != fam(l)) return 0; return w == l || wild(w) || wild(l) }
function split_addr(a) { P = a; sub(/.*:/, "", P); H = substr(a, 1, length(a) - length(P) - 1); sub(/%.*/, "", H) }
$1 == "P" { for (i = 2; i <= NF; i++) { q = $i; sub(/^\/proc\//, "", q); own[q] = 1 } next }
$1 == "W" {
  a = $2; sub(/^(ipv4|ipv6|tcp|tcp4|tcp6)@/, "", a)
  if (a ~ /@|^\/|^unix:|\$/) next
  if (a ~ /^[0-9]+$/) { H = "0.0.0.0"; P = a } else split_addr(a)
  if (P !~ /^[0-9]+$/) next
  if (H == "" || H == "*") H = "0.0.0.0"
  if (H ~ /:/ && H !~ /^\[/) H = "[" H "]"
  n++; wh[n] = H; wp[n] = P
  if (H != "0.0.0.0" && H != "[::]" && H !~ /^127\./ && H != "[::1]" && nlocal > 0 && !(H in local) && !nonlocal[fam(H)]) print "  " H ":" P " is not an address of this host"
  next
}
$1 == "A" { a = $2; sub(/\/.*/, "", a); if (a ~ /:/) a = "[" a "]"; local[a] = 1; nlocal++; next }
$1 == "N" { nonlocal[$2] = ($3 == 1); next }
$1 == "L" {
  split_addr($5); rest = $0; mine = 0; pid = ""; name = "?"
  if (match(rest, /\("[^"]*"/)) name = substr(rest, RSTART + 2, RLENGTH - 3)
  while (match(rest, /pid=[0-9]+/)) { q = substr(rest, RSTART + 4, RLENGTH - 4); if (pid == "") pid = q; if (q in own) mine = 1; rest = substr(rest, RSTART + RLENGTH) }
  if (mine || pid == "") next
  for (i = 1; i <= n; i++) if (wp[i] == P && overlap(wh[i], H == "" ? "*" : H) && !seen[i]++) print "  " wh[i] ":" wp[i] " is in use by " name " (pid " pid ")"
}`;

const PRECHECK = script(
  WANTED,
  raw(`if [ -n "$comm" ] && command -v ss >/dev/null 2>&1; then case $comm in haproxy|nginx)`),
  sh`  busy=$({ echo "P $main $(kids "$main")"; ip -o addr show 2>/dev/null | awk '{ print "A", $4 }'; for v in 4 6; do echo "N $v $(cat /proc/sys/net/ipv$v/ip_nonlocal_bind 2>/dev/null)"; done; wanted | sed 's/^/W /'; ss -Hltnp 2>/dev/null | sed 's/^/L /'; } | awk ${CONFLICTS_AWK})`,
  raw('  if [ -n "$busy" ]; then'),
  raw(`    printf '%s\\n' "$busy" >&2`),
  raw(
    `    echo "not $act $u: its configuration listens on an address it cannot bind, so $comm would refuse it and keep its old one (a failed HAProxy reload also pauses its listeners while it retries)" >&2`,
  ),
  raw('    exit 4'),
  raw('  fi ;;'),
  raw('esac; fi'),
);

const WAIT = raw(`i=0\nwhile [ $i -lt ${CONFIRM_TENTHS} ]; do`);

/** A subshell that finds the unit's main process, refuses a configuration that cannot bind, then runs `body`. */
function guarded(unit: string, act: 'reloading' | 'restarting', ...body: Shell[]): Shell {
  return script(raw('('), raw('set +e'), sh`u=${unit}; act=${act}`, PRELUDE, PRECHECK, ...body, raw(')'));
}

/** `systemctl reload`, refused when the new configuration cannot bind, then confirmed (see above). */
export function reloadScript(unit: string): Shell {
  return guarded(
    unit,
    'reloading',
    raw('case $comm in haproxy|nginx) old=" $(kids "$main") ";; *) old=;; esac'),
    raw('systemctl reload -- "$u" || { rc=$?; journal; echo "the reload of $u failed: systemctl reload exited $rc" >&2; exit $rc; }'),
    raw('case $comm in'),
    raw('  haproxy|nginx)'),
    WAIT,
    raw('      for k in $(kids "$main"); do case $old in *" $k "*) ;; *) new=$k;; esac; done'),
    raw('      [ -n "${new:-}" ] && break'),
    // The daemon's own verdict, when it gives one, ends the wait early (HAProxy's master
    // logs "Loading failure!", Nginx's "[emerg]" lines reach the journal through stderr).
    raw(
      `      if [ $((i % 10)) -eq 9 ] && journalctl -u "$u" --since "@$t0" -o cat --no-pager 2>/dev/null | grep -q -e 'Loading failure' -e '\\[emerg\\]'; then break; fi`,
    ),
    raw('      sleep 0.1; i=$((i + 1))'),
    raw('    done'),
    raw('    if [ -z "${new:-}" ] || [ "$(systemctl show -p MainPID --value -- "$u")" != "$main" ]; then'),
    raw('      journal'),
    raw(
      `      echo "the reload of $u did not take: $comm started no new workers (waited up to ${CONFIRM_TENTHS / 10} s) and still runs its previous configuration" >&2`,
    ),
    raw('      exit 5'),
    raw('    fi ;;'),
    raw('esac'),
    // The unit active, with the main process it had (a simple daemon that died of its new
    // configuration and was started again by Restart= is not a reload that took).
    raw('i=0'),
    raw('while :; do'),
    raw('  now'),
    raw('  if [ "$st" != active ]; then journal; echo "$u is $st $(secs $i) after the reload" >&2; exit 5; fi'),
    raw(
      '  if [ "$need" -gt 0 ] && [ "$m" != "$main" ]; then journal; echo "the reload of $u did not take: its main process $main is gone ($(secs $i) after the reload), now $m" >&2; exit 5; fi',
    ),
    raw('  [ $i -ge "$need" ] && break'),
    raw('  sleep 0.1; i=$((i + 1))'),
    raw('done'),
  );
}

/**
 * `systemctl restart`, refused like a reload when the configuration cannot bind (a restart
 * that fails leaves the service down), then confirmed: systemd waits for notify and forking
 * units to be ready, but a simple unit is "started" at fork, so the unit must reach active
 * and stay so, with one main process, for SETTLE_TENTHS.
 */
export function restartScript(unit: string): Shell {
  return guarded(
    unit,
    'restarting',
    raw('systemctl restart -- "$u" || { rc=$?; journal; echo "the restart of $u failed: systemctl restart exited $rc" >&2; exit 1; }'),
    // Active, and (for a unit without readiness) the same main process `need` polls in a row.
    raw('up=0; pid=-'),
    WAIT,
    raw('  now'),
    raw('  case $st in'),
    raw('    active) if [ "$m" = "$pid" ]; then up=$((up + 1)); else pid=$m; up=0; fi; [ $up -ge "$need" ] && break ;;'),
    raw('    activating|reloading) pid=-; up=0 ;;'),
    raw('    *) journal; echo "$u is $st $(secs $i) after the restart" >&2; exit 5 ;;'),
    raw('  esac'),
    raw('  sleep 0.1; i=$((i + 1))'),
    raw('done'),
    raw(
      `[ "$st" = active ] && [ $up -ge "$need" ] || { journal; echo "$u did not become active within ${CONFIRM_TENTHS / 10} s of the restart (last: $st)" >&2; exit 5; }`,
    ),
  );
}
