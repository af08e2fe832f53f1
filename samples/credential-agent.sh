#!/usr/bin/env bash
# "The second way in" (README), for real: an agent with standing credentials.
#   TESSERA_ADMIN_SECRET=tsr_admin_… BROKER=http://127.0.0.1:8080 ./samples/credential-agent.sh
# Registers the platform orders-api (unless it exists), creates an agent with a new name, grants
# it orders:read and orders:write there, and mints a token at POST /v1/token with the agent's key
# id and secret. Then, when the sample platform answers at PLATFORM_URL (default
# http://127.0.0.1:5080; start it with: dotnet run --project samples/PlatformApi -- --urls
# http://127.0.0.1:5080), runs samples/CredentialAgent against it with those credentials
# (CREDENTIAL_AGENT_DLL: a built CredentialAgent.dll to run instead of `dotnet run`; RUN_AGENT=0
# skips it, RUN_AGENT=1 requires it). Needs curl and jq.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BROKER="${BROKER:-${TESSERA_BROKER:-http://127.0.0.1:8080}}"
BROKER="${BROKER%/}"
PLATFORM_ID="${PLATFORM_ID:-orders-api}"
PLATFORM_URL="${PLATFORM_URL:-http://127.0.0.1:5080}"
RUN_AGENT="${RUN_AGENT:-auto}"

die() { echo "credential-agent: $*" >&2; exit 1; }
step() { echo "==> $*"; }
problem() { jq -r '"\(.error_code // .error // "error"): \(.detail // .error_description // .)\(if .hint then " (hint: \(.hint))" else "" end)"' <<<"$1" 2>/dev/null || echo "$1"; }

command -v curl >/dev/null || die "curl is not installed"
command -v jq >/dev/null || die "jq is not installed (Debian: apt-get install jq)"
[ -n "${TESSERA_ADMIN_SECRET:-}" ] ||
  die "set TESSERA_ADMIN_SECRET to the admin secret ('tessera dev' prints it on its first run)"
curl -sf -o /dev/null --max-time 5 "$BROKER/v1/health" ||
  die "no broker answers at $BROKER (start one: dotnet run --project src/Tessera.Cli -- dev; or set BROKER)"

step "POST $BROKER/v1/admin/auth"
AUTH=$(curl -sS -X POST "$BROKER/v1/admin/auth" -H 'Content-Type: application/json' \
  -d "$(jq -n --arg s "$TESSERA_ADMIN_SECRET" '{secret: $s}')")
ADMIN=$(jq -r '.access_token // empty' <<<"$AUTH")
[ -n "$ADMIN" ] || die "the broker refused the admin secret: $(problem "$AUTH")"
J='Content-Type: application/json'
A="Authorization: Bearer $ADMIN"

# The platform: host names without scheme or port. A host name stands for https on 443 and http on
# 80; the sample platform on 127.0.0.1:5080 is reached through an allowed origin in the SDK (the
# CredentialAgent sample lists PLATFORM_URL), and resource=orders-api names it at the token endpoint.
if curl -sf -o /dev/null "$BROKER/v1/admin/platforms/$PLATFORM_ID" -H "$A"; then
  step "platform $PLATFORM_ID exists: $(curl -sS "$BROKER/v1/admin/platforms/$PLATFORM_ID" -H "$A" | jq -c '{hostnames, scopes}')"
else
  step "POST $BROKER/v1/admin/platforms ($PLATFORM_ID)"
  PLATFORM=$(curl -sS -X POST "$BROKER/v1/admin/platforms" -H "$A" -H "$J" -d "$(jq -n --arg id "$PLATFORM_ID" \
    '{platform_id: $id, hostnames: ["orders.example.com", "127.0.0.1", "localhost"], scopes: ["orders:read", "orders:write"]}')")
  jq -e .client_id >/dev/null <<<"$PLATFORM" || die "platform refused: $(problem "$PLATFORM")"
  echo "    hostnames $(jq -c .hostnames <<<"$PLATFORM"); the platform's own credentials (reports, revocation feed):"
  echo "    TESSERA_PLATFORM_CLIENT_ID=$(jq -r .client_id <<<"$PLATFORM") TESSERA_PLATFORM_CLIENT_SECRET=$(jq -r .client_secret <<<"$PLATFORM")"
fi

NAME="${AGENT_NAME:-invoice-bot-$(date +%s)-$RANDOM}"
step "POST $BROKER/v1/admin/agents ($NAME)"
AGENT=$(curl -sS -X POST "$BROKER/v1/admin/agents" -H "$A" -H "$J" -d "$(jq -n --arg n "$NAME" '{name: $n}')")
KEY_ID=$(jq -r '.key_id // empty' <<<"$AGENT")
SECRET=$(jq -r '.secret // empty' <<<"$AGENT")
AGENT_ID=$(jq -r '.agent_id // empty' <<<"$AGENT")
[ -n "$KEY_ID" ] && [ -n "$SECRET" ] || die "agent refused: $(problem "$AGENT")"
echo "agent_id: $AGENT_ID"
echo "key_id: $KEY_ID"

step "POST $BROKER/v1/admin/agents/$KEY_ID/grants ($PLATFORM_ID: orders:read orders:write)"
GRANT=$(curl -sS -X POST "$BROKER/v1/admin/agents/$KEY_ID/grants" -H "$A" -H "$J" \
  -d "$(jq -n --arg p "$PLATFORM_ID" '{platform_id: $p, scopes: ["orders:read", "orders:write"]}')")
jq -e '.grants | length > 0' >/dev/null <<<"$GRANT" || die "grant refused: $(problem "$GRANT")"

# The agent's own call: HTTP Basic with the key id and secret, resource = the platform id.
step "POST $BROKER/v1/token (client_credentials, resource=$PLATFORM_ID)"
TOKEN=$(curl -sS -X POST "$BROKER/v1/token" -u "$KEY_ID:$SECRET" \
  -d grant_type=client_credentials -d "resource=$PLATFORM_ID")
ACCESS_TOKEN=$(jq -r '.access_token // empty' <<<"$TOKEN")
[ -n "$ACCESS_TOKEN" ] || die "token refused: $(problem "$TOKEN")"
echo "token: $(jq -c '{token_type, expires_in, scope}' <<<"$TOKEN")"
CLAIMS=$(curl -sS -X POST "$BROKER/v1/token/validate" -H "$J" -d "$(jq -n --arg t "$ACCESS_TOKEN" '{token: $t}')" | jq -c '.claims // empty')
[ -n "$CLAIMS" ] || die "the broker does not accept the token it just issued"
echo "claims: $CLAIMS"

echo
echo "The agent's credentials, for the SDK (AddTesseraCredentialAgent reads them):"
echo "  TESSERA_BROKER=$BROKER TESSERA_AGENT_KEY_ID=$KEY_ID TESSERA_AGENT_SECRET=$SECRET"

# The SDK's turn: samples/CredentialAgent calls the sample platform with these credentials.
if [ "$RUN_AGENT" = "0" ]; then
  exit 0
fi
if ! curl -s -o /dev/null --max-time 5 "$PLATFORM_URL/health"; then
  [ "$RUN_AGENT" = "1" ] && die "no platform answers at $PLATFORM_URL (start it: dotnet run --project samples/PlatformApi -- --urls $PLATFORM_URL)"
  echo "No sample platform at $PLATFORM_URL: start it (dotnet run --project samples/PlatformApi -- --urls $PLATFORM_URL)"
  echo "and run: TESSERA_BROKER=$BROKER TESSERA_AGENT_KEY_ID=$KEY_ID TESSERA_AGENT_SECRET=… PLATFORM_URL=$PLATFORM_URL dotnet run --project samples/CredentialAgent"
  exit 0
fi
step "samples/CredentialAgent against $PLATFORM_URL"
export TESSERA_BROKER="$BROKER" TESSERA_AGENT_KEY_ID="$KEY_ID" TESSERA_AGENT_SECRET="$SECRET" PLATFORM_URL
if [ -n "${CREDENTIAL_AGENT_DLL:-}" ]; then
  dotnet "$CREDENTIAL_AGENT_DLL" || die "samples/CredentialAgent failed (exit $?)"
else
  dotnet run --project "$HERE/CredentialAgent" || die "samples/CredentialAgent failed (exit $?)"
fi
