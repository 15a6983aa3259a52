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

# stop_by_pidfile PIDFILE: TERM the process, KILL it after 30 s, remove the pidfile.
stop_by_pidfile() {
  local pidfile=$1
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    local i
    for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
