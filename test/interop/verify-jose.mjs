// Reads {jwks, token, issuer, audience} on stdin, verifies the token with jose using only the
// JWKS, pins EdDSA/ES256/RS256 as published, prints the payload plus alg; exits 1 on failure.
import { createLocalJWKSet, jwtVerify } from "jose";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { jwks, token, issuer, audience } = JSON.parse(input);
try {
  const keySet = createLocalJWKSet(jwks);
  const { payload, protectedHeader } = await jwtVerify(token, keySet, {
    issuer,
    audience,
    algorithms: ["EdDSA", "ES256", "RS256"],
    typ: "at+jwt",
  });
  console.log(JSON.stringify({ ...payload, alg: protectedHeader.alg }));
} catch (err) {
  console.error(`verification failed: ${err.code ?? err.name}`);
  process.exit(1);
}
