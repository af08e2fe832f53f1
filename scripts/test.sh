#!/usr/bin/env bash
# Restores, builds and runs every test project, then prints one line: "N passed, N failed".
# Provisions what the interop tests need: Node.js + the npm "jose" package (and Redocly CLI for the
# OpenAPI document), and a Python 3 with requests + cryptography (Debian packages, installed as root
# when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

have_python_deps() { "$1" -c 'import requests, cryptography' >/dev/null 2>&1; }

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: $*; install them (as root: apt-get install -y $*)" >&2
    exit 1
  fi
  echo "installing Debian packages: $*"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Python for the seed broker's own snippets.
PYTHON="${TESSERA_TEST_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && have_python_deps "$candidate"; then PYTHON="$candidate"; break; fi
  done
fi
if [ -z "$PYTHON" ]; then
  apt_install python3 python3-requests python3-cryptography
  PYTHON=/usr/bin/python3
fi
export TESSERA_TEST_PYTHON="$PYTHON"

# Node.js and jose for independent EdDSA verification.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
(cd test/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
# Redocly CLI, the independent validator of docs/openapi.yaml (pinned in tools/openapi-lint).
(cd tools/openapi-lint && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# PostgreSQL for the storage tests: TESSERA_TEST_PG as given, else a throwaway server for this
# run (installed as root when missing), stopped and removed on exit.
# shellcheck source=scripts/test-postgres.sh
source "$ROOT/scripts/test-postgres.sh"
tessera_pg_provision

dotnet restore Tessera.slnx --verbosity quiet
dotnet build Tessera.slnx -c Release --no-restore --verbosity quiet -nologo

RESULTS="$ROOT/TestResults"
rm -rf "$RESULTS"
status=0
for project in test/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== $name"
  if ! dotnet test "$project" -c Release --no-build --nologo --verbosity quiet \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --results-directory "$RESULTS"; then
    status=1
  fi
done

passed=0
failed=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ "$passed" -eq 0 ]; then status=1; fi
if [ "$failed" -ne 0 ]; then status=1; fi
echo "$passed passed, $failed failed"
exit $status
