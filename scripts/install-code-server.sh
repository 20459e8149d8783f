#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last line that runs on Node 20) from npm into a
# cache outside the repo, for the end-to-end tests. Microsoft's VS Code download is unreachable on
# the dev/CI machines, so this is the only real VS Code we can get; the recipe is the one checked in
# shared/environment.md, and each step is there because the step it replaces fails offline.
#
# Idempotent: a finished install leaves a marker and a re-run returns at once. A folder without the
# marker is a half-finished install (killed, or a step failed) and is wiped and done again.
# Prints one line on stdout: where code-server is. Progress goes to stderr, command output to a log.
set -euo pipefail

VERSION=4.100.3
CACHE="${GAN_STUDIO_CACHE:-$HOME/.cache/gan-studio}"
DIR="$CACHE/code-server-$VERSION"
MARKER="$DIR/.gan-studio-installed"
ENTRY="$DIR/node_modules/code-server/out/node/entry.js"
LOG="$CACHE/code-server-$VERSION.log"
APT_PACKAGES=(libkrb5-dev ripgrep chromium)

say() { echo "install-code-server: $*" >&2; }
die() {
  say "FAILED: $*"
  if [[ -s "$LOG" ]]; then
    say "last lines of $LOG:"
    tail -n 25 "$LOG" | sed 's/^/    /' >&2
  fi
  exit 1
}
done_line() { echo "code-server $VERSION is in $DIR (start: node $ENTRY)"; }

apt_missing() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # node-gyp needs a compiler and python; the recipe assumes them, a bare machine may lack them.
  command -v make >/dev/null || missing+=(make)
  command -v g++ >/dev/null || missing+=(g++)
  command -v python3 >/dev/null || missing+=(python3)
  echo "${missing[@]}"
}

ensure_apt_packages() {
  local missing
  missing="$(apt_missing)"
  [[ -z "$missing" ]] && return 0
  command -v apt-get >/dev/null || die "need Debian packages ($missing) but there is no apt-get here"
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null || die "need root (or passwordless sudo) to apt-get install $missing"
    sudo=(sudo -n)
  fi
  say "apt-get install -y $missing"
  # Another apt-get (a colleague's, unattended-upgrades) may hold the dpkg lock: wait, don't fail.
  local apt=(apt-get -o DPkg::Lock::Timeout=600)
  # shellcheck disable=SC2086
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y $missing >>"$LOG" 2>&1; then
    # The package lists may be missing or stale on a fresh machine; refresh only then, it is slow.
    say "apt-get update (the install failed with the current package lists)"
    "${sudo[@]}" "${apt[@]}" update >>"$LOG" 2>&1 || die "apt-get update failed"
    # shellcheck disable=SC2086
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y $missing >>"$LOG" 2>&1 ||
      die "apt-get install -y $missing failed"
  fi
  missing="$(apt_missing)"
  [[ -z "$missing" ]] || die "still missing after apt-get install: $missing"
}

step() {
  local what="$1"
  shift
  say "$what"
  echo "=== $what: $*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || die "$what"
}

mkdir -p "$CACHE" 2>/dev/null || die "cannot create the cache folder $CACHE (set GAN_STUDIO_CACHE)"

# Fast path, before taking the lock: a finished install costs a stat and a dpkg query.
if [[ -f "$MARKER" && -f "$ENTRY" && -z "$(apt_missing)" ]]; then
  done_line
  exit 0
fi

# Two test processes (or a developer and a test) may race to install; the second waits.
exec 9>"$CACHE/code-server-$VERSION.lock"
flock 9

: >"$LOG"
ensure_apt_packages

if [[ -f "$MARKER" && -f "$ENTRY" ]]; then
  done_line
  exit 0
fi

T0=$SECONDS
command -v node >/dev/null || die "node is not on PATH"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
  die "code-server $VERSION needs Node >= 20, this is $(node -v)"

if [[ -e "$DIR" ]]; then
  say "removing the half-finished install in $DIR"
  rm -rf "$DIR"
fi
mkdir -p "$DIR"
cd "$DIR"
# Without a package.json here npm would walk up and install into whatever project is above.
echo '{ "name": "gan-studio-code-server", "private": true }' >package.json

# node-gyp otherwise downloads Node's headers from nodejs.org, which is unreachable; Debian's
# nodejs ships them and npm's config points at them, but npx does not pass that config on.
NODEDIR="$(npm config get nodedir 2>/dev/null || true)"
if [[ -n "$NODEDIR" && "$NODEDIR" != undefined && -d "$NODEDIR/include/node" ]]; then
  export npm_config_nodedir="$NODEDIR"
fi

say "installing code-server $VERSION into $DIR (about 7 minutes; log: $LOG)"
step "npm install code-server@$VERSION" npm install --ignore-scripts --no-audit --no-fund "code-server@$VERSION"
step "npm rebuild argon2 (from source: the prebuilt download fails)" npm rebuild argon2

cd "$DIR/node_modules/code-server/lib/vscode"
step "npm install in lib/vscode" npm install --omit=dev --ignore-scripts --no-audit --no-fund
for p in @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty kerberos; do
  [[ -d "node_modules/$p" ]] || die "lib/vscode/node_modules/$p is missing after npm install"
  (cd "node_modules/$p" && step "node-gyp rebuild $p" npx --yes node-gyp rebuild)
done
# The download of ripgrep in @vscode/ripgrep's install script fails; Debian's rg is the same tool.
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd extensions && step "npm install in lib/vscode/extensions" npm install --omit=dev --ignore-scripts --no-audit --no-fund)

# Proves the whole thing loads before it is declared done (a broken native module shows here).
step "code-server --version" node "$ENTRY" --config "$DIR/config.yaml" --version

echo "code-server $VERSION installed $(date -u +%FT%TZ) in $((SECONDS - T0)) s" >"$MARKER"
say "done in $((SECONDS - T0)) s"
done_line
