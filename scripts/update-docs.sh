#!/usr/bin/env bash
# Regenerates the catalog section of docs/errors.md from src/Tessera.Core/Errors/ErrorCatalog.cs.
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA_UPDATE_DOCS=1 dotnet test test/Tessera.Broker.Tests --filter "FullyQualifiedName~DocsTests" --verbosity quiet
