# Shell functions shared by docker-daemon.sh and podman-service.sh (sourced; they define `log`).

# install_missing PACKAGE...: installs these Debian packages with apt-get (needs root).
install_missing() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing $* and not root: install them with apt-get"; exit 1
  fi
  log "installing $* with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "$@" >&2
}

# busybox_rootfs_tar: a tar (on stdout) of a root filesystem of /bin/busybox and its applets, the
# test image of both daemons (no registry is reachable).
busybox_rootfs_tar() {
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  tar -C "$root" -c .
  rm -rf "$root"
}

# Waits on progress, not on a deadline (the machines are loaded; see test/support/wait-for.ts):
# a daemon that is starting or stopping uses CPU and writes its log. It is given up on only when
# neither moved for STALL seconds, or after CAP seconds in all (a truly hung run).
STALL=${LOG_CAPTURER_DAEMON_STALL_SECONDS:-60}
CAP=${LOG_CAPTURER_DAEMON_CAP_SECONDS:-600}

# cpu_ticks PID: user + system clock ticks the process used, or "gone".
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}

# wait_progress PID LOGFILE WHAT CONDITION...: runs CONDITION every 0.2 s until it succeeds (0),
# the process stops making progress, CPU time and log alike, for STALL s (1) or CAP s pass (2).
wait_progress() {
  local pid=$1 logfile=$2 what=$3; shift 3
  local started=$SECONDS since=$SECONDS last="" now
  while :; do
    if "$@"; then return 0; fi
    now="$(cpu_ticks "$pid") $(wc -c <"$logfile" 2>/dev/null || echo 0)"
    if [ "$now" != "$last" ]; then last=$now; since=$SECONDS; fi
    if (( SECONDS - since >= STALL )); then log "$what: no progress (CPU time, $logfile) for ${STALL}s"; return 1; fi
    if (( SECONDS - started >= CAP )); then log "$what: still not done after ${CAP}s"; return 2; fi
    sleep 0.2
  done
}

# stop_by_pidfile PIDFILE [LOGFILE]: TERM the process and give it the time it needs while it makes
# progress; KILL it once it stops making any. Removes the pidfile.
stop_by_pidfile() {
  local pidfile=$1 logfile=${2:-/dev/null}
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    gone() { ! kill -0 "$pid" 2>/dev/null; }
    wait_progress "$pid" "$logfile" "stopping $pid" gone || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
