#!/usr/bin/env bash
# A private Podman API service for log-capturer's tests: the second implementation of the Engine
# API, beside the private dockerd of docker-daemon.sh.
#
#   test/support/podman-service.sh start [DIR]   start one (or reuse a running one), print its env
#   test/support/podman-service.sh stop  [DIR]   remove its containers, end the service by its pid
#   test/support/podman-service.sh env   [DIR]   print `export PODMAN_HOST=...` for it
#   test/support/podman-service.sh cli   [DIR] ARGS...
#                                                run `podman ARGS...` against this service (the
#                                                client is --remote: it never opens the storage)
#
# DIR defaults to $LOG_CAPTURER_PODMAN_DIR or /tmp/log-capturer-podman. Everything the service
# keeps lives in DIR, so it never touches the system's podman (/var/lib/containers, /run/libpod,
# /run/containers, the shm lock segment, CNI's /etc/cni/net.d) nor another DIR's service:
#   DIR/containers.conf   (CONTAINERS_CONF) tmp_dir, static_dir, volume_path, file locks, events
#                         file, cgroupfs, k8s-file logs, the ulimits containers need here
#   DIR/storage.conf      (CONTAINERS_STORAGE_CONF) graphroot DIR/root, runroot DIR/run
#   DIR/bin/runtime       runc (or crun) with `--root DIR/runc`, so its state is not in
#                         /run/runc: a wrapper named in containers.conf, because conmon's cleanup
#                         process gets CONTAINERS_CONF but not the service's --runtime-flag
#   DIR/podman.sock       the API socket; DIR/service.pid, DIR/service.log
# Left shared: the image blob-info cache, which containers/image keeps for root in
# /var/lib/containers/cache whatever the configuration says (a cache, harmless).
# Containers need `--network none` (there is no bridge) and, because root here may not raise
# rlimits, `--ulimit nofile=4096:4096 --ulimit nproc=4096:4096`: containers.conf sets both
# ulimits as defaults, so containers created through the API get them too.
# No registry is reachable: the test image is busybox-static, imported with `podman import`.
set -euo pipefail

cmd=${1:-}
dir=${2:-${LOG_CAPTURER_PODMAN_DIR:-/tmp/log-capturer-podman}}
image=${LOG_CAPTURER_TEST_IMAGE:-log-capturer-test/busybox:latest}
sock="$dir/podman.sock"
pidfile="$dir/service.pid"

log() { echo "podman-service: $*" >&2; }
# shellcheck source=daemon-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/daemon-common.sh"

ping_sock() {
  curl -sf --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
}

ensure_packages() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  install_missing "${missing[@]}"
}

write_config() {
  mkdir -p "$dir/root" "$dir/run" "$dir/tmp" "$dir/libpod" "$dir/volumes" "$dir/cni" "$dir/imagetmp" "$dir/bin" "$dir/runc"
  local runtime; runtime=$(command -v runc || command -v crun) || { log "neither runc nor crun is installed"; exit 1; }
  printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$runtime" "$dir/runc" >"$dir/bin/runtime"
  chmod 755 "$dir/bin/runtime"
  cat >"$dir/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "none"

[network]
network_backend = "cni"
network_config_dir = "$dir/cni"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
lock_type = "file"
tmp_dir = "$dir/tmp"
static_dir = "$dir/libpod"
volume_path = "$dir/volumes"
image_copy_tmp_dir = "$dir/imagetmp"
runtime = "$(basename "$runtime")"

[engine.runtimes]
$(basename "$runtime") = ["$dir/bin/runtime"]
EOF
  cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/root"
runroot = "$dir/run"
EOF
}

# The environment every podman process of this DIR runs with.
podman_env() {
  export CONTAINERS_CONF="$dir/containers.conf"
  export CONTAINERS_STORAGE_CONF="$dir/storage.conf"
  export XDG_RUNTIME_DIR="$dir/run"
  export TMPDIR="$dir/imagetmp"
}

remote() { # podman client against this service
  (podman_env; podman --remote --url "unix://$sock" "$@")
}

import_image() {
  if remote image exists "$image" 2>/dev/null; then return; fi
  busybox_rootfs_tar | remote import -q -c 'ENV PATH=/bin' - "$image" >/dev/null
  log "imported $image"
}

start_service() {
  write_config
  rm -f "$sock"
  # setsid: the service must not die with the shell that started it, nor hold its stdio.
  # --time=0: it never exits for being idle. The root/runroot flags repeat storage.conf so that
  # a stray CONTAINERS_STORAGE_CONF in the caller's environment cannot redirect it.
  (
    podman_env
    exec setsid podman --root "$dir/root" --runroot "$dir/run" --tmpdir "$dir/tmp" \
      --cgroup-manager cgroupfs --events-backend file --log-level warn \
      system service --time=0 "unix://$sock" </dev/null >>"$dir/service.log" 2>&1
  ) &
  echo $! >"$pidfile"
  local pid=$!
  answers_or_died() { ping_sock || ! kill -0 "$pid" 2>/dev/null; }
  if wait_progress "$pid" "$dir/service.log" "starting podman system service" answers_or_died && ping_sock; then return 0; fi
  log "podman system service does not answer /_ping on unix://$sock; its log:"; tail -20 "$dir/service.log" >&2; exit 1
}

stop_service() {
  stop_by_pidfile "$pidfile" "$dir/service.log"
}

case "$cmd" in
  start)
    ensure_packages
    if ! ping_sock; then
      stop_service
      start_service
      log "podman answers on unix://$sock"
    fi
    import_image
    echo "export PODMAN_HOST=unix://$sock"
    ;;
  stop)
    if [ -f "$pidfile" ] && ping_sock; then
      remote rm -a -f -t 0 >/dev/null 2>&1 || true
    fi
    stop_service
    # Containers' overlay mounts and their network namespaces' mounts stay behind a killed service.
    if [ -d "$dir" ]; then
      { grep -o " $dir/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    fi
    ;;
  env)
    echo "export PODMAN_HOST=unix://$sock"
    ;;
  cli)
    shift 2 || { echo "usage: $0 cli DIR ARGS..." >&2; exit 2; }
    remote "$@"
    ;;
  *)
    echo "usage: $0 start|stop|env [DIR] | cli DIR ARGS..." >&2; exit 2 ;;
esac
