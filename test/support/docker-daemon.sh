#!/usr/bin/env bash
# A private Docker daemon for log-capturer's tests.
#
#   test/support/docker-daemon.sh start [DIR]    start one (or reuse $DOCKER_HOST), print its env
#   test/support/docker-daemon.sh stop  [DIR]    remove its containers, end dockerd by its pid
#   test/support/docker-daemon.sh restart [DIR]  stop dockerd and start it again, same data-root
#   test/support/docker-daemon.sh halt  [DIR]    end dockerd only (containers and data stay), for
#                                                tests of a daemon that is down; `start` brings it back
#   test/support/docker-daemon.sh env   [DIR]    print `export DOCKER_HOST=...` for it
#
# DIR defaults to $LOG_CAPTURER_DOCKERD_DIR or /tmp/log-capturer-dockerd. Each DIR is its own
# daemon (own data-root, exec-root, pidfile and unix socket), so tests can run several.
# The daemon has no bridge and no iptables rules: test containers run with --network none and
# nothing ever gets a private-range address. No registry is reachable, so the test image is
# built from busybox-static and imported with `docker import`.
set -euo pipefail

cmd=${1:-}
dir=${2:-${LOG_CAPTURER_DOCKERD_DIR:-/tmp/log-capturer-dockerd}}
image=${LOG_CAPTURER_TEST_IMAGE:-log-capturer-test/busybox:latest}
sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"

log() { echo "docker-daemon: $*" >&2; }

# Waits on progress, not on a deadline (the machines are loaded; see test/support/wait-for.ts):
# a dockerd that is starting or stopping writes its log and uses CPU. It is given up on only when
# neither moved for STALL seconds, or after CAP seconds in all (a truly hung run).
STALL=${LOG_CAPTURER_DOCKERD_STALL_SECONDS:-60}
CAP=${LOG_CAPTURER_DOCKERD_CAP_SECONDS:-600}

cpu_ticks() { # $1 = pid: user + system clock ticks, or "gone"
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}

# wait_progress PID WHAT CONDITION...: runs CONDITION every 0.2 s until it succeeds (0), the
# process stops making progress (1) or the cap is reached (2).
wait_progress() {
  local pid=$1 what=$2; shift 2
  local started=$SECONDS since=$SECONDS last="" now
  while :; do
    if "$@"; then return 0; fi
    now="$(cpu_ticks "$pid") $(wc -c <"$dir/dockerd.log" 2>/dev/null || echo 0)"
    if [ "$now" != "$last" ]; then last=$now; since=$SECONDS; fi
    if (( SECONDS - since >= STALL )); then log "$what: dockerd made no progress (CPU time, log) for ${STALL}s"; return 1; fi
    if (( SECONDS - started >= CAP )); then log "$what: still not done after ${CAP}s"; return 2; fi
    sleep 0.2
  done
}

ping_host() { # $1 = DOCKER_HOST value
  local host=$1
  case "$host" in
    unix://*) curl -sf --max-time 2 --unix-socket "${host#unix://}" http://localhost/_ping >/dev/null 2>&1 ;;
    tcp://*) curl -sf --max-time 2 "http://${host#tcp://}/_ping" >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      log "missing ${missing[*]} and not root: install them with apt-get"; exit 1
    fi
    log "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  if ! docker --version >/dev/null 2>&1; then
    log "the docker client is missing"; exit 1
  fi
}

import_image() {
  if DOCKER_HOST="unix://$sock" docker image inspect "$image" >/dev/null 2>&1; then return; fi
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  tar -C "$root" -c . | DOCKER_HOST="unix://$sock" docker import -c 'ENV PATH=/bin' - "$image" >/dev/null
  rm -rf "$root"
  log "imported $image"
}

start_dockerd() {
  mkdir -p "$dir/data" "$dir/exec"
  # setsid: the daemon must not die with the shell that started it, and must not hold its stdio.
  setsid dockerd \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
    -H "unix://$sock" \
    --bridge=none --iptables=false --ip-forward=false --ip-masq=false --ip6tables=false \
    --log-driver json-file --log-level warn \
    </dev/null >>"$dir/dockerd.log" 2>&1 &
  # setsid forks only when called as a process-group leader, which a background job of this
  # non-interactive shell is not: $! is dockerd itself.
  local pid=$!
  answers_or_died() { ping_host "unix://$sock" || ! kill -0 "$pid" 2>/dev/null; }
  if wait_progress "$pid" "starting" answers_or_died && ping_host "unix://$sock"; then return 0; fi
  kill -0 "$pid" 2>/dev/null || log "dockerd exited before it answered /_ping"
  log "dockerd does not answer /_ping on unix://$sock; its log:"; tail -20 "$dir/dockerd.log" >&2; exit 1
}

stop_dockerd() {
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    gone() { ! kill -0 "$pid" 2>/dev/null; }
    # A dockerd still stopping its containers is given the time it needs; a stuck one is killed.
    wait_progress "$pid" "stopping" gone || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

case "$cmd" in
  start)
    if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix://$sock" ] && ping_host "$DOCKER_HOST"; then
      log "reusing the daemon at $DOCKER_HOST"
      echo "export DOCKER_HOST=$DOCKER_HOST"
      exit 0
    fi
    ensure_packages
    if ! ping_host "unix://$sock"; then
      stop_dockerd
      start_dockerd
      log "dockerd answers on unix://$sock"
    fi
    import_image
    echo "export DOCKER_HOST=unix://$sock"
    ;;
  halt)
    stop_dockerd
    ;;
  restart)
    stop_dockerd
    start_dockerd
    echo "export DOCKER_HOST=unix://$sock"
    ;;
  stop)
    if [ -f "$pidfile" ] && ping_host "unix://$sock"; then
      ids=$(DOCKER_HOST="unix://$sock" docker ps -aq || true)
      if [ -n "$ids" ]; then
        # shellcheck disable=SC2086
        DOCKER_HOST="unix://$sock" docker rm -f $ids >/dev/null 2>&1 || true
      fi
    elif [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix://$sock" ] && ping_host "$DOCKER_HOST"; then
      # A daemon we did not start: remove only the containers our tests labelled.
      ids=$(docker ps -aq --filter label=log-capturer.test=true || true)
      # shellcheck disable=SC2086
      [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    fi
    stop_dockerd
    # dockerd leaves overlay mounts behind when it is killed; take them down before removing.
    if [ -d "$dir" ]; then
      { grep -o " $dir/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    fi
    ;;
  env)
    echo "export DOCKER_HOST=unix://$sock"
    ;;
  *)
    echo "usage: $0 start|stop|restart|halt|env [DIR]" >&2; exit 2 ;;
esac
