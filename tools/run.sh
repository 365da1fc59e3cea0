#!/bin/sh
# run.sh: what `make run` does. Installs missing Debian packages, builds an
# optimised relais, creates ./data (config, signing key, database, an admin
# account and a registration token) on first use, prints how to log in, and
# runs the server on http://localhost:8008 until Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh build
if [ ! -f build-rel/build.ninja ]; then
  meson setup build-rel --buildtype=release -Dwerror=false >/dev/null
fi
ninja -C build-rel relais >/dev/null || { ninja -C build-rel relais; exit 1; }
if [ ! -f data/relais.conf ]; then
  ./build-rel/relais init --data data --server-name localhost --port 8008 --registration token
fi
echo
echo "relais is starting on http://localhost:8008 (server name: localhost)"
if [ -f data/credentials.txt ]; then
  echo "Log in with these (also in data/credentials.txt):"
  grep -v '^#' data/credentials.txt | sed 's/^/    /'
fi
cat <<'MSG'
  - Element (or any Matrix client): choose "Edit" homeserver, enter http://localhost:8008,
    sign in as admin with the password above, or create an account with the registration token.
  - More accounts: ./build-rel/relais user add NAME        More tokens: ./build-rel/relais token create
  - Configuration: data/relais.conf (every option listed and commented). Stop with Ctrl-C.
MSG
if ! ls data/models/*.gguf >/dev/null 2>&1; then
  cat <<'MSG'
  - AI API (OpenAI-compatible, http://localhost:8008/v1): no model yet. Add one with
      ./build-rel/relais llm pull owner/repo/file.gguf --config data/relais.conf   (Hugging Face)
    or copy any .gguf file into data/models/ and restart; then create a key with
      ./build-rel/relais apikey create --name me --config data/relais.conf
MSG
else
  echo "  - AI API: http://localhost:8008/v1 serves data/models/*.gguf; key: ./build-rel/relais apikey create --name me --config data/relais.conf"
fi
echo
exec ./build-rel/relais serve --config data/relais.conf
