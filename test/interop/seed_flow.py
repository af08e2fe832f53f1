"""The seed broker's documented Python snippets (requests + cryptography), run unchanged
against Tessera: admin auth, launch token, challenge, register with bytes.fromhex(nonce),
validate, renew. Usage: seed_flow.py BROKER_URL ADMIN_SECRET"""
import base64
import sys

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

BROKER, SECRET = sys.argv[1], sys.argv[2]


def check(cond, message):
    if not cond:
        print("FAIL:", message)
        sys.exit(1)


# Operator authenticates
auth = requests.post(f"{BROKER}/v1/admin/auth", json={"secret": SECRET})
check(auth.status_code == 200, f"admin auth {auth.status_code} {auth.text}")
admin_token = auth.json()["access_token"]

# Operator creates a launch token for the agent
lt = requests.post(
    f"{BROKER}/v1/admin/launch-tokens",
    headers={"Authorization": f"Bearer {admin_token}"},
    json={"agent_name": "my-agent", "allowed_scope": ["read:data:*"], "max_ttl": 300, "ttl": 30},
)
check(lt.status_code == 201, f"launch token {lt.status_code} {lt.text}")
launch_token = lt.json()["launch_token"]

# Agent: key pair, raw public key
private_key = Ed25519PrivateKey.generate()
pub_raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
pub_b64 = base64.b64encode(pub_raw).decode()

# Get nonce and register in one sequence
challenge = requests.get(f"{BROKER}/v1/challenge")
nonce_hex = challenge.json()["nonce"]
nonce_bytes = bytes.fromhex(nonce_hex)
signature = private_key.sign(nonce_bytes)
sig_b64 = base64.b64encode(signature).decode()

reg = requests.post(f"{BROKER}/v1/register", json={
    "launch_token": launch_token,
    "orch_id": "orch-001",
    "task_id": "task-001",
    "public_key": pub_b64,
    "signature": sig_b64,
    "nonce": nonce_hex,
    "requested_scope": ["read:data:*"],
})
check(reg.status_code == 200, f"register {reg.status_code} {reg.text}")
token = reg.json()["access_token"]
check(reg.json()["agent_id"].startswith("spiffe://"), "agent id")
check(reg.json()["expires_in"] == 300, "expires_in")

# Check the token's scope with the validation endpoint
resp = requests.post(f"{BROKER}/v1/token/validate", json={"token": token})
claims = resp.json().get("claims", {})
check(resp.json().get("valid") is True, f"validate {resp.text}")
check(claims.get("scope") == ["read:data:*"], f"scope {claims.get('scope')}")

# Renew
renew = requests.post(f"{BROKER}/v1/token/renew", headers={"Authorization": f"Bearer {token}"})
check(renew.status_code == 200, f"renew {renew.status_code} {renew.text}")
check(renew.json()["access_token"] != token, "renewed token differs")

# Mistakes the seed documents answer as documented
nonce_hex = requests.get(f"{BROKER}/v1/challenge").json()["nonce"]
bad = requests.post(f"{BROKER}/v1/register", json={
    "launch_token": launch_token, "orch_id": "o", "task_id": "t", "public_key": pub_b64,
    "signature": base64.b64encode(private_key.sign(nonce_hex.encode("utf-8"))).decode(),
    "nonce": nonce_hex, "requested_scope": ["read:data:*"],
})
check(bad.status_code == 401, f"text-signed nonce {bad.status_code}")
error = bad.json()
request_id = error.get("request_id", bad.headers.get("X-Request-ID"))
check(bool(request_id), "request id")

print("SEED FLOW OK")
