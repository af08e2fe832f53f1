# JSON helpers for the sample scripts, on Python 3's standard library only (no jq needed).
# Sourced by first-agent.sh and credential-agent.sh; PYTHON names the interpreter (default python3).
PYTHON="${PYTHON:-python3}"

# jget PATH: reads JSON on stdin and prints the member at PATH (dots between names: a.b), a string
# as is, anything else as compact JSON, nothing when it is absent or the input is not JSON.
jget() {
  "$PYTHON" -c '
import json, sys
try:
    v = json.load(sys.stdin)
except ValueError:
    v = None
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$1"
}

# jstr TEXT: TEXT as a JSON string literal (quotes and escapes included), for request bodies.
jstr() { "$PYTHON" -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

# jproblem: reads a broker refusal (problem+json or OAuth error) on stdin and prints
# "code: detail (hint: …)", or the raw text when it is not JSON.
jproblem() {
  "$PYTHON" -c '
import json, sys
text = sys.stdin.read()
try:
    p = json.loads(text)
except ValueError:
    p = None
if not isinstance(p, dict):
    print(text.strip() or "no answer")
else:
    line = "%s: %s" % (p.get("error_code") or p.get("error") or "error", p.get("detail") or p.get("error_description") or text.strip())
    print(line + (" (hint: %s)" % p["hint"] if p.get("hint") else ""))'
}
