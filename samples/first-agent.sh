#!/usr/bin/env bash
# "A first agent, by hand" (README), for real: the operator half with curl, the agent half
# (challenge, Ed25519 signature, registration) with samples/first_agent.py.
#   TESSERA_ADMIN_SECRET=tsr_admin_… BROKER=http://127.0.0.1:8080 ./samples/first-agent.sh
# Prints the new agent's SPIFFE id and its token's claims as the broker reads them. Needs curl and
# Python 3 with requests and cryptography (PYTHON names another interpreter). Each run registers
# a new agent under a new task id (the launch token is single-use), so it can be run again.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=samples/lib/json.sh
source "$HERE/lib/json.sh"
BROKER="${BROKER:-${TESSERA_BROKER:-http://127.0.0.1:8080}}"
BROKER="${BROKER%/}"
SCOPE="${SCOPE:-orders:read}"
AUDIENCE="${AUDIENCE:-orders-api}"
TASK_ID="${TASK_ID:-task-$(date +%s)-$RANDOM}"

die() { echo "first-agent: $*" >&2; exit 1; }
step() { echo "==> $*"; }

command -v curl >/dev/null || die "curl is not installed"
"$PYTHON" -c 'import requests, cryptography' 2>/dev/null ||
  die "$PYTHON lacks requests or cryptography (Debian: apt-get install python3-requests python3-cryptography; or: pip install requests cryptography)"
[ -n "${TESSERA_ADMIN_SECRET:-}" ] ||
  die "set TESSERA_ADMIN_SECRET to the admin secret ('tessera dev' prints it on its first run)"
curl -sf -o /dev/null --max-time 5 "$BROKER/v1/health" ||
  die "no broker answers at $BROKER (start one: ./scripts/dev.sh; or set BROKER)"

# The operator: an admin token, then a launch token for one agent. "ttl": 600 gives ten minutes to
# hand it over (the default is 30 s); "max_ttl": 300 caps the agent's tokens at five minutes.
step "POST $BROKER/v1/admin/auth"
AUTH=$(curl -sS -X POST "$BROKER/v1/admin/auth" -H 'Content-Type: application/json' \
  -d "{\"secret\":$(jstr "$TESSERA_ADMIN_SECRET")}")
ADMIN=$(jget access_token <<<"$AUTH")
[ -n "$ADMIN" ] || die "the broker refused the admin secret: $(jproblem <<<"$AUTH")"

step "POST $BROKER/v1/admin/launch-tokens (allowed_scope orders:*, allowed_audience $AUDIENCE, ttl 600)"
LAUNCH=$(curl -sS -X POST "$BROKER/v1/admin/launch-tokens" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' \
  -d "{\"agent_name\":\"reporter\",\"allowed_scope\":[\"orders:*\"],\"max_ttl\":300,\"ttl\":600,\"allowed_audience\":[$(jstr "$AUDIENCE")]}")
LAUNCH_TOKEN=$(jget launch_token <<<"$LAUNCH")
[ -n "$LAUNCH_TOKEN" ] || die "launch token refused: $(jproblem <<<"$LAUNCH")"
echo "    launch token expires at $(jget expires_at <<<"$LAUNCH")"

# The agent: its own key, the challenge, the registration (requested_scope within orders:*).
step "GET $BROKER/v1/challenge, sign the nonce, POST $BROKER/v1/register (scope $SCOPE, audience $AUDIENCE, task $TASK_ID)"
REGISTERED=$(BROKER="$BROKER" LAUNCH_TOKEN="$LAUNCH_TOKEN" SCOPE="$SCOPE" AUDIENCE="$AUDIENCE" \
  ORCH_ID="${ORCH_ID:-orch-001}" TASK_ID="$TASK_ID" "$PYTHON" "$HERE/first_agent.py") || die "registration failed (see above)"
ACCESS_TOKEN=$(jget access_token <<<"$REGISTERED")
echo "agent_id: $(jget agent_id <<<"$REGISTERED")"
echo "expires_in: $(jget expires_in <<<"$REGISTERED")"

# What the broker reads in the token: POST /v1/token/validate checks it and returns its claims.
step "POST $BROKER/v1/token/validate"
CLAIMS=$(curl -sS -X POST "$BROKER/v1/token/validate" -H 'Content-Type: application/json' \
  -d "{\"token\":$(jstr "$ACCESS_TOKEN")}" | jget claims)
[ -n "$CLAIMS" ] || die "the broker does not accept the token it just issued"
echo "claims: $CLAIMS"
echo
echo "The token calls the sample platform for five minutes (see README, samples/PlatformApi):"
echo "  curl -H \"Authorization: Bearer \$ACCESS_TOKEN\" http://127.0.0.1:5080/orders"
echo "ACCESS_TOKEN=$ACCESS_TOKEN"
