#!/usr/bin/env bash
# Shows dockerd < 23 answering a log read with another file's lines when an earlier read of the
# same container still holds a decompressed rotated file (json-file with compress=true).
#
# dockerd 20.10 decompresses `<log>.N.gz` into `<log>.N.gz.tmp` and shares that file BY NAME
# with every reader that opens while one still holds it; rotation renames the gzipped files, so
# a later reader gets lines of an older file under the name it asked for, then jumps to the live
# file: a gap. moby fixed it in 23.0 (commit 6d5bc07189, "daemon/logger: fix refcounting
# decompressed files"). This is why DaemonProfile.gzipReadsExact keeps compress=true logs off the
# file route before 23.0 (its hand-over to the API reads gzipped files while reads overlap).
#
# Usage: DOCKER_HOST=unix:///path/docker.sock bash bench/gzip-overlap-repro.sh [rounds]
# Needs curl and the test image (log-capturer-test/busybox, built by the test suite). Makes no
# change outside the one container it starts and removes. Each round: reader A reads the whole
# log slowly (2 KB/s, so dockerd keeps its files open), 1.5 s later reader B reads it at full
# speed; then, with A gone, reader C does the same. Printed: lines read and jumps in the
# sequence numbers (a contiguous read has 0 jumps).
set -u
rounds=${1:-5}
SOCK=${DOCKER_HOST#unix://}
[ -S "$SOCK" ] || { echo "set DOCKER_HOST=unix:///path/to/docker.sock (a unix socket)" >&2; exit 2; }
IMG=log-capturer-test/busybox:latest
docker image inspect "$IMG" >/dev/null 2>&1 || { echo "no $IMG image: run the integration tests once" >&2; exit 2; }
echo "dockerd $(docker version --format '{{.Server.Version}}')"
id=$(docker run -d --network none --log-driver json-file --log-opt max-size=500k --log-opt max-file=5 --log-opt compress=true \
  "$IMG" sh -c 'i=0; while true; do i=$((i+1)); echo "line $i padding-padding-padding-padding-padding"; done')
trap 'docker rm -f "$id" >/dev/null' EXIT
sleep 3
read_log() { curl -s --unix-socket "$SOCK" "$@" "http://docker/containers/$id/logs?stdout=1&follow=0"; }
# Sequence numbers in the frames (their 8-byte headers precede "line"): count lines and jumps.
jumps() {
  awk '{ n=$0; sub(/^.*line /,"",n); sub(/ .*/,"",n); n+=0; if (NR>1 && n!=prev+1) { bad++; if (bad<4) printf "    jump %d -> %d after %d lines\n", prev, n, NR-1 } prev=n }
       END { printf "    %d lines, %d jumps\n", NR, bad+0 }'
}
for round in $(seq 1 "$rounds"); do
  read_log --limit-rate 2k -o /dev/null & slow=$!
  sleep 1.5 # the container rotates its log meanwhile
  echo "round $round: B, while A reads"
  read_log | tr -d '\000-\010' | jumps
  kill "$slow" 2>/dev/null; wait "$slow" 2>/dev/null
  sleep 1
  echo "round $round: C, alone"
  read_log | tr -d '\000-\010' | jumps
done
