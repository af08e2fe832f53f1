#!/usr/bin/env bash
# Rewrites docs/openapi.yaml with the OpenAPI document the broker generates from its code (the
# document served at /v1/openapi.yaml), then runs the independent validator over it. Run it after
# changing an endpoint, and commit the result: a test fails while the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tools/openapi-lint && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
TESSERA_UPDATE_OPENAPI=1 dotnet test test/Tessera.Broker.Tests -nologo --verbosity quiet \
  --filter "FullyQualifiedName~OpenApiDocumentTests.CommittedCopy_EqualsTheServedDocument"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  tools/openapi-lint/node_modules/.bin/redocly lint --config tools/openapi-lint/redocly.yaml docs/openapi.yaml
echo "docs/openapi.yaml updated"
