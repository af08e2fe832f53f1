#!/usr/bin/env bash
# Builds the tessera CLI (Release) with visible progress, then runs a development broker:
#   ./scripts/dev.sh [dev options, e.g. --urls http://127.0.0.1:9000]
# The broker keeps its data under ./.tessera/ of the directory you run this from, as `tessera dev` does.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI="$ROOT/src/Tessera.Cli/bin/Release/net10.0/tessera.dll"

echo "building Tessera (the first build takes a few minutes on 2 cores)…"
dotnet build "$ROOT/src/Tessera.Cli/Tessera.Cli.csproj" -c Release -nologo -v minimal
exec dotnet "$CLI" dev "$@"
