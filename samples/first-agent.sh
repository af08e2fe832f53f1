#!/usr/bin/env bash
# "A first agent, by hand" (README), for real: the operator half with curl, the agent half
# (challenge, Ed25519 signature, registration) with samples/first_agent.py.
#   TESSERA_ADMIN_SECRET=tsr_admin_… BROKER=http://127.0.0.1:8080 ./samples/first-agent.sh
# Prints the new agent's SPIFFE id and its token's claims as the broker reads them. Needs curl,
# jq and Python 3 with requests and cryptography. Each run registers a new agent (the launch
# token is single-use), so it can be run again.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BROKER="${BROKER:-${TESSERA_BROKER:-http://127.0.0.1:8080}}"
BROKER="${BROKER%/}"
PYTHON="${PYTHON:-python3}"

die() { echo "first-agent: $*" >&2; exit 1; }
step() { echo "==> $*"; }

command -v curl >/dev/null || die "curl is not installed"
command -v jq >/dev/null || die "jq is not installed (Debian: apt-get install jq)"
"$PYTHON" -c 'import requests, cryptography' 2>/dev/null ||
  die "$PYTHON lacks requests or cryptography (Debian: apt-get install python3-requests python3-cryptography; or pip install requests cryptography)"
[ -n "${TESSERA_ADMIN_SECRET:-}" ] ||
  die "set TESSERA_ADMIN_SECRET to the admin secret ('tessera dev' prints it on its first run)"
curl -sf -o /dev/null --max-time 5 "$BROKER/v1/health" ||
  die "no broker answers at $BROKER (start one: dotnet run --project src/Tessera.Cli -- dev; or set BROKER)"

# The operator: an admin token, then a launch token for one agent. ttl 600: ten minutes to hand
# it over (the default is 30 s); max_ttl 300: the agent's tokens live at most five minutes.
step "POST $BROKER/v1/admin/auth"
ADMIN=$(curl -sS -X POST "$BROKER/v1/admin/auth" -H 'Content-Type: application/json' \
  -d "$(jq -n --arg s "$TESSERA_ADMIN_SECRET" '{secret: $s}')" | jq -r '.access_token // empty')
[ -n "$ADMIN" ] || die "the broker refused the admin secret"

SCOPE="${SCOPE:-orders:read}"
AUDIENCE="${AUDIENCE:-orders-api}"
step "POST $BROKER/v1/admin/launch-tokens (allowed_scope orders:*, audience $AUDIENCE, ttl 600)"
LAUNCH_JSON=$(curl -sS -X POST "$BROKER/v1/admin/launch-tokens" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' \
  -d "$(jq -n --arg aud "$AUDIENCE" '{agent_name: "reporter", allowed_scope: ["orders:*"], max_ttl: 300, ttl: 600, allowed_audience: [$aud]}')")
LAUNCH_TOKEN=$(jq -r '.launch_token // empty' <<<"$LAUNCH_JSON")
[ -n "$LAUNCH_TOKEN" ] || die "launch token refused: $(jq -r '"\(.error_code): \(.detail)"' <<<"$LAUNCH_JSON" 2>/dev/null || echo "$LAUNCH_JSON")"
echo "    launch token expires at $(jq -r .expires_at <<<"$LAUNCH_JSON")"

# The agent: its own key, the challenge, the registration.
TASK_ID="${TASK_ID:-task-$(date +%s)-$RANDOM}"
step "GET $BROKER/v1/challenge, sign it, POST $BROKER/v1/register (scope $SCOPE, task $TASK_ID)"
REGISTERED=$(BROKER="$BROKER" LAUNCH_TOKEN="$LAUNCH_TOKEN" SCOPE="$SCOPE" AUDIENCE="$AUDIENCE" \
  ORCH_ID="${ORCH_ID:-orch-001}" TASK_ID="$TASK_ID" "$PYTHON" "$HERE/first_agent.py") || die "registration failed (see above)"
AGENT_ID=$(jq -r .agent_id <<<"$REGISTERED")
ACCESS_TOKEN=$(jq -r .access_token <<<"$REGISTERED")
echo "agent_id: $AGENT_ID"
echo "expires_in: $(jq -r .expires_in <<<"$REGISTERED")"

# What the broker reads in the token (POST /v1/token/validate checks it and returns its claims).
step "POST $BROKER/v1/token/validate"
CLAIMS=$(curl -sS -X POST "$BROKER/v1/token/validate" -H 'Content-Type: application/json' \
  -d "$(jq -n --arg t "$ACCESS_TOKEN" '{token: $t}')" | jq -c '.claims // empty')
[ -n "$CLAIMS" ] || die "the broker does not accept the token it just issued"
echo "claims: $CLAIMS"
echo
echo "The token (five minutes) calls the sample platform, if it runs:"
echo "  curl -H \"Authorization: Bearer \$ACCESS_TOKEN\" http://127.0.0.1:5080/orders"
echo "ACCESS_TOKEN=$ACCESS_TOKEN"
