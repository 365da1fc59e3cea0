#!/bin/sh
# deps.sh build|test: installs the Debian packages relais needs, only those missing.
# `build` is enough to compile and run; `test` adds the real clients the tests drive.
set -eu
build_pkgs="gcc pkg-config meson ninja-build libmicrohttpd-dev libjansson-dev libsqlite3-dev
  libsodium-dev libcurl4-openssl-dev libinih-dev libpq-dev libvips-dev"
test_pkgs="python3 python3-matrix-nio python3-olm nodejs npm curl libvips-tools"
case "${1:-build}" in
  build) want="$build_pkgs" ;;
  test) want="$build_pkgs $test_pkgs" ;;
  *) echo "usage: deps.sh build|test" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  # A node or npm from elsewhere (the image's own nodesource build, nvm) is as good as Debian's.
  case $p in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "relais: installing missing packages:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq $missing >/dev/null
