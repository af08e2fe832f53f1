#!/usr/bin/env bash
# "The second way in" (README), for real: an agent with standing credentials.
#   TESSERA_ADMIN_SECRET=tsr_admin_… BROKER=http://127.0.0.1:8080 ./samples/credential-agent.sh
# Registers the platform orders-api (unless it exists), creates an agent under a new name, grants
# it orders:read and orders:write there, and mints a token at POST /v1/token with the agent's key
# id and secret. Then, when the sample platform answers at PLATFORM_URL (default
# http://127.0.0.1:5080; start it with: dotnet run --project samples/PlatformApi -- --urls
# http://127.0.0.1:5080), runs samples/CredentialAgent against it with those credentials
# (CREDENTIAL_AGENT_DLL: a built CredentialAgent.dll to run instead of `dotnet run`; RUN_AGENT=0
# skips it, RUN_AGENT=1 requires it). Needs curl and Python 3 (standard library only).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=samples/lib/json.sh
source "$HERE/lib/json.sh"
BROKER="${BROKER:-${TESSERA_BROKER:-http://127.0.0.1:8080}}"
BROKER="${BROKER%/}"
PLATFORM_ID="${PLATFORM_ID:-orders-api}"
PLATFORM_URL="${PLATFORM_URL:-http://127.0.0.1:5080}"
PLATFORM_URL="${PLATFORM_URL%/}"
AGENT_NAME="${AGENT_NAME:-invoice-bot-$(date +%s)-$RANDOM}"
RUN_AGENT="${RUN_AGENT:-auto}"

die() { echo "credential-agent: $*" >&2; exit 1; }
step() { echo "==> $*"; }

command -v curl >/dev/null || die "curl is not installed"
command -v "$PYTHON" >/dev/null || die "$PYTHON is not installed (the script reads JSON with it)"
[ -n "${TESSERA_ADMIN_SECRET:-}" ] ||
  die "set TESSERA_ADMIN_SECRET to the admin secret ('tessera dev' prints it on its first run)"
curl -sf -o /dev/null --max-time 5 "$BROKER/v1/health" ||
  die "no broker answers at $BROKER (start one: ./scripts/dev.sh; or set BROKER)"

step "POST $BROKER/v1/admin/auth"
AUTH=$(curl -sS -X POST "$BROKER/v1/admin/auth" -H 'Content-Type: application/json' \
  -d "{\"secret\":$(jstr "$TESSERA_ADMIN_SECRET")}")
ADMIN=$(jget access_token <<<"$AUTH")
[ -n "$ADMIN" ] || die "the broker refused the admin secret: $(jproblem <<<"$AUTH")"
J='Content-Type: application/json'
A="Authorization: Bearer $ADMIN"

# The platform. Host names carry no scheme or port; each stands for https on 443 and http on 80.
# The sample platform listens on 127.0.0.1:5080: the SDK sends it tokens because the
# CredentialAgent sample lists PLATFORM_URL as an allowed origin, and picks orders-api for it by
# the host name 127.0.0.1 (or by TESSERA_AUDIENCE).
EXISTING=$(curl -sS "$BROKER/v1/admin/platforms/$PLATFORM_ID" -H "$A")
if [ -n "$(jget platform_id <<<"$EXISTING")" ]; then
  step "platform $PLATFORM_ID exists: hostnames $(jget hostnames <<<"$EXISTING"), scopes $(jget scopes <<<"$EXISTING")"
else
  step "POST $BROKER/v1/admin/platforms ($PLATFORM_ID, hostnames orders.example.com 127.0.0.1 localhost)"
  PLATFORM=$(curl -sS -X POST "$BROKER/v1/admin/platforms" -H "$A" -H "$J" \
    -d "{\"platform_id\":$(jstr "$PLATFORM_ID"),\"hostnames\":[\"orders.example.com\",\"127.0.0.1\",\"localhost\"],\"scopes\":[\"orders:read\",\"orders:write\"]}")
  [ -n "$(jget client_id <<<"$PLATFORM")" ] || die "platform refused: $(jproblem <<<"$PLATFORM")"
  echo "    the platform's own credentials (enforcement reports, revocation feed), shown once:"
  echo "    TESSERA_PLATFORM_CLIENT_ID=$(jget client_id <<<"$PLATFORM") TESSERA_PLATFORM_CLIENT_SECRET=$(jget client_secret <<<"$PLATFORM")"
fi

step "POST $BROKER/v1/admin/agents ($AGENT_NAME)"
AGENT=$(curl -sS -X POST "$BROKER/v1/admin/agents" -H "$A" -H "$J" -d "{\"name\":$(jstr "$AGENT_NAME")}")
KEY_ID=$(jget key_id <<<"$AGENT")
SECRET=$(jget secret <<<"$AGENT")
[ -n "$KEY_ID" ] && [ -n "$SECRET" ] || die "agent refused: $(jproblem <<<"$AGENT")"
echo "agent_id: $(jget agent_id <<<"$AGENT")"
echo "key_id: $KEY_ID"

step "POST $BROKER/v1/admin/agents/$KEY_ID/grants ($PLATFORM_ID: orders:read orders:write)"
GRANT=$(curl -sS -X POST "$BROKER/v1/admin/agents/$KEY_ID/grants" -H "$A" -H "$J" \
  -d "{\"platform_id\":$(jstr "$PLATFORM_ID"),\"scopes\":[\"orders:read\",\"orders:write\"]}")
[ -n "$(jget grants <<<"$GRANT")" ] || die "grant refused: $(jproblem <<<"$GRANT")"

# The agent's own call: HTTP Basic with its key id and secret; resource names the platform.
step "POST $BROKER/v1/token (client_credentials, resource=$PLATFORM_ID)"
TOKEN=$(curl -sS -X POST "$BROKER/v1/token" -u "$KEY_ID:$SECRET" \
  -d grant_type=client_credentials -d "resource=$PLATFORM_ID")
ACCESS_TOKEN=$(jget access_token <<<"$TOKEN")
[ -n "$ACCESS_TOKEN" ] || die "token refused: $(jproblem <<<"$TOKEN")"
echo "token: token_type $(jget token_type <<<"$TOKEN"), expires_in $(jget expires_in <<<"$TOKEN"), scope $(jget scope <<<"$TOKEN")"
CLAIMS=$(curl -sS -X POST "$BROKER/v1/token/validate" -H "$J" -d "{\"token\":$(jstr "$ACCESS_TOKEN")}" | jget claims)
[ -n "$CLAIMS" ] || die "the broker does not accept the token it just issued"
echo "claims: $CLAIMS"
echo
echo "The agent's credentials, as the SDK reads them (AddTesseraCredentialAgent):"
echo "  TESSERA_BROKER=$BROKER TESSERA_AGENT_KEY_ID=$KEY_ID TESSERA_AGENT_SECRET=$SECRET"

# The SDK's turn: samples/CredentialAgent calls the sample platform with these credentials.
[ "$RUN_AGENT" = "0" ] && exit 0
if ! curl -s -o /dev/null --max-time 5 "$PLATFORM_URL/health"; then
  [ "$RUN_AGENT" = "1" ] && die "no platform answers at $PLATFORM_URL (start it: dotnet run --project samples/PlatformApi -- --urls $PLATFORM_URL)"
  echo "No sample platform at $PLATFORM_URL; start it (dotnet run --project samples/PlatformApi -- --urls $PLATFORM_URL), then:"
  echo "  TESSERA_BROKER=$BROKER TESSERA_AGENT_KEY_ID=$KEY_ID TESSERA_AGENT_SECRET=… PLATFORM_URL=$PLATFORM_URL dotnet run --project samples/CredentialAgent"
  exit 0
fi
step "samples/CredentialAgent against $PLATFORM_URL"
export TESSERA_BROKER="$BROKER" TESSERA_AGENT_KEY_ID="$KEY_ID" TESSERA_AGENT_SECRET="$SECRET" PLATFORM_URL
status=0
if [ -n "${CREDENTIAL_AGENT_DLL:-}" ]; then
  dotnet "$CREDENTIAL_AGENT_DLL" || status=$?
else
  dotnet run --project "$HERE/CredentialAgent" || status=$?
fi
[ "$status" -eq 0 ] || die "samples/CredentialAgent failed (exit $status)"
