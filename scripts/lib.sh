# Shared helpers for Confab's scripts: idempotent installation of what the tests need.

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the given Debian/Ubuntu packages unless they are already installed.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "already installed: $*"
    return
  fi
  if ! command -v apt-get >/dev/null; then
    echo "please install: ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Installs packages whose programs the tests run as throwaway instances of their own (a
# PostgreSQL cluster in a temp dir, `caddy validate`), without starting or enabling the system
# services the packages ship: no PostgreSQL on port 5432 or Caddy on port 80 left behind.
ensure_programs() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "already installed: $*"
    return
  fi
  local policy=/usr/sbin/policy-rc.d placed=
  if [ ! -e "$policy" ]; then
    # Debian's maintainer scripts ask this hook before starting a service; 101 means "don't".
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    placed=1
  fi
  ensure_packages "${missing[@]}" || { [ -z "$placed" ] || as_root rm -f "$policy"; return 1; }
  [ -z "$placed" ] || as_root rm -f "$policy"
  if [ -d /run/systemd/system ]; then
    for pkg in "${missing[@]}"; do
      as_root systemctl disable --now "$pkg" >/dev/null 2>&1 || true
    done
  fi
}

# Runs `npm ci` in a folder unless its node_modules was installed from the same lockfile.
ensure_npm() {
  local dir=$1
  local want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$dir/node_modules/.confab-lock" 2>/dev/null)" = "$want" ]; then
    echo "npm packages of $dir are up to date"
    return
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$dir/node_modules/.confab-lock"
}

# Installs a cargo-installed tool (binary `bin` from crate `crate`, version `version`) unless
# a binary of that name already runs.
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3
  if command -v "$bin" > /dev/null 2>&1; then
    echo "already installed: $bin"
    return
  fi
  echo "installing $crate $version (cargo install --locked; this takes a while once)"
  cargo install --locked "$crate" --version "$version"
}

# A Python virtual environment at target/tools-venv with tools/requirements.txt installed.
ensure_venv() {
  local venv=target/tools-venv
  local want
  want=$(sha256sum tools/requirements.txt | cut -d' ' -f1)
  if [ "$(cat "$venv/.confab-requirements" 2>/dev/null)" = "$want" ]; then
    echo "Python tools are up to date"
    return
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/requirements.txt
  echo "$want" > "$venv/.confab-requirements"
}
