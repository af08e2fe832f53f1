"""The agent half of "A first agent, by hand": register with a launch token.

Makes an Ed25519 key, signs the broker's challenge and registers, as docs/api.md
("Registration in detail") describes. Reads BROKER, LAUNCH_TOKEN and optionally
SCOPE (space-separated, default orders:read: it must be covered by the launch
token's allowed_scope), AUDIENCE (default orders-api: one of its allowed_audience),
ORCH_ID and TASK_ID. Prints the broker's answer as JSON on stdout; on a refusal it
prints the broker's error code, detail and hint on stderr and exits 1.

Needs Python 3 with requests and cryptography (Debian: python3-requests python3-cryptography).
"""
import base64
import json
import os
import sys

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

BROKER = os.environ.get("BROKER", "http://127.0.0.1:8080").rstrip("/")
launch_token = os.environ["LAUNCH_TOKEN"]
scope = os.environ.get("SCOPE", "orders:read").split()
audience = os.environ.get("AUDIENCE", "orders-api")

key = Ed25519PrivateKey.generate()  # the private key never leaves this process
raw_pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)  # 32 bytes
nonce = requests.get(f"{BROKER}/v1/challenge", timeout=10).json()["nonce"]
body = {
    "launch_token": launch_token,
    "nonce": nonce,
    "public_key": base64.b64encode(raw_pub).decode(),
    "signature": base64.b64encode(key.sign(bytes.fromhex(nonce))).decode(),  # the 32 nonce bytes, not the hex text
    "orch_id": os.environ.get("ORCH_ID", "orch-001"),
    "task_id": os.environ.get("TASK_ID", "task-042"),
    "requested_scope": scope,
    "audience": audience,
}
answer = requests.post(f"{BROKER}/v1/register", json=body, timeout=10)
if not answer.ok:
    problem = answer.json() if answer.headers.get("Content-Type", "").find("json") >= 0 else {}
    print(f"register refused ({answer.status_code}): {problem.get('error_code', '?')}: {problem.get('detail', answer.text)}", file=sys.stderr)
    if problem.get("hint"):
        print(f"hint: {problem['hint']}", file=sys.stderr)
    sys.exit(1)

json.dump(answer.json(), sys.stdout)  # agent_id, access_token, expires_in, token_type
print()
