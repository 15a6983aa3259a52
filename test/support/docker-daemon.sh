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
# shellcheck source=daemon-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/daemon-common.sh"

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
  install_missing "${missing[@]}"
  if ! docker --version >/dev/null 2>&1; then
    log "the docker client is missing"; exit 1
  fi
}

import_image() {
  if DOCKER_HOST="unix://$sock" docker image inspect "$image" >/dev/null 2>&1; then return; fi
  busybox_rootfs_tar | DOCKER_HOST="unix://$sock" docker import -c 'ENV PATH=/bin' - "$image" >/dev/null
  log "imported $image"
}

start_dockerd() {
  mkdir -p "$dir/data" "$dir/exec" "$dir/tmp"
  # setsid: the daemon must not die with the shell that started it, and must not hold its stdio.
  # TMPDIR: what dockerd and containerd write there (containerd dumps its stacks there when it
  # is slow to stop) stays in DIR and goes with it.
  TMPDIR="$dir/tmp" setsid dockerd \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
    -H "unix://$sock" \
    --bridge=none --iptables=false --ip-forward=false --ip-masq=false --ip6tables=false \
    --log-driver json-file --log-level warn \
    </dev/null >>"$dir/dockerd.log" 2>&1 &
  # setsid forks only when called as a process-group leader, which a background job of this
  # non-interactive shell is not: $! is dockerd itself.
  local pid=$!
  answers_or_died() { ping_host "unix://$sock" || ! kill -0 "$pid" 2>/dev/null; }
  if wait_progress "$pid" "$dir/dockerd.log" "starting dockerd" answers_or_died && ping_host "unix://$sock"; then return 0; fi
  kill -0 "$pid" 2>/dev/null || log "dockerd exited before it answered /_ping"
  log "dockerd does not answer /_ping on unix://$sock; its log:"; tail -20 "$dir/dockerd.log" >&2; exit 1
}

stop_dockerd() {
  stop_by_pidfile "$pidfile" "$dir/dockerd.log"
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
