# Helpers shared by scripts/lab.sh and scripts/bao.sh (sourced, not run).
# The sourcing script sets LOG_TAG first: messages on stderr start with it.

log() { printf '%s: %s\n' "${LOG_TAG:?}" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "${LOG_TAG:?}" "$*" >&2; exit 1; }

# PIDFILE FRAGMENT -> 0 when the pid in PIDFILE is alive and its command line
# contains FRAGMENT (a recycled pid belongs to some other program).
pid_matches() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(<"$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F -- "$2" >/dev/null
}

# PORT -> 0 when something accepts connections on 127.0.0.1:PORT (a wildcard
# listener included).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
