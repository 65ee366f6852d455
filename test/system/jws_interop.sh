#!/bin/bash
# Interoperability of the database's JWS with an ordinary JOSE library
# (python3-jwcrypto from Debian): tokens signed in the database verify there,
# tampered tokens do not, the kid is the library's RFC 7638 thumbprint, and a
# token the library signs verifies in the database. Prints TAP.
. "$(dirname "$0")/common.bash" pgtrace-jws
PY=/usr/bin/python3
key="$top/test/data/keys/rfc8037_ed25519.pem"

if ! $PY -c 'import jwcrypto' 2>/dev/null; then
    echo "not ok 1 - python3-jwcrypto is installed (scripts/deps.sh installs it)"
    echo "1..1"
    exit 1
fi

start_cluster "pgtrace.signing_key_file = '$key'"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pgtrace' >/dev/null
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

jwks=$(sql "SELECT trace.public_jwk()")
payload='{"code": "(01)06901234567892(21)ABC123", "qty": 4.50, "at": "2026-01-01T00:00:00Z", "名称": "电线电缆"}'
compact=$(sql "SELECT trace.sign('$payload')")
detached=$(sql "SELECT trace.sign('$payload', true)")
jsonser=$(sql "SELECT trace.sign_json('$payload')")
canonical=$(sql "SELECT trace.canonical_json('$payload')")

# verify.py JWKS TOKEN [DETACHED_PAYLOAD]: prints the payload, exits 1 if it does not verify
cat >"$work/verify.py" <<'PY'
import sys, json, base64
from jwcrypto import jwk, jws
keys = jwk.JWKSet.from_json(sys.argv[1])
token = sys.argv[2]
if len(sys.argv) > 3:
    # RFC 7515 appendix F: put the detached payload back before verifying
    h, p, s = token.split(".")
    assert p == ""
    p = base64.urlsafe_b64encode(sys.argv[3].encode()).decode().rstrip("=")
    token = ".".join((h, p, s))
obj = jws.JWS()
obj.deserialize(token)
hdr = obj.jose_header
key = keys.get_key(hdr["kid"])
if key is None:
    sys.exit(2)
try:
    obj.verify(key)
except Exception as e:
    print("verify failed:", e, file=sys.stderr)
    sys.exit(1)
sys.stdout.write(obj.payload.decode())
PY

got=$($PY "$work/verify.py" "$jwks" "$compact")
ok $? "jwcrypto verifies the compact JWS signed in the database"
[ "$got" = "$canonical" ]
ok $? "the signed payload is the RFC 8785 canonical JSON"
$PY "$work/verify.py" "$jwks" "$detached" "$canonical" >/dev/null
ok $? "jwcrypto verifies the detached JWS with the canonical payload"
$PY "$work/verify.py" "$jwks" "$jsonser" >/dev/null
ok $? "jwcrypto verifies the JSON serialization"

# tampered: one payload character changed, and one signature character changed
h=${compact%%.*}; rest=${compact#*.}; p=${rest%%.*}; s=${rest#*.}
tp=$(printf '%s' "$canonical" | sed 's/4\.5/4.6/' | base64 -w0 | tr '+/' '-_' | tr -d '=')
! $PY "$work/verify.py" "$jwks" "$h.$tp.$s" >/dev/null 2>&1
ok $? "jwcrypto rejects a token with a changed payload"
c=${s:10:1}; [ "$c" = A ] && r=B || r=A
! $PY "$work/verify.py" "$jwks" "$h.$p.${s:0:10}$r${s:11}" >/dev/null 2>&1
ok $? "jwcrypto rejects a token with a changed signature"
! $PY "$work/verify.py" "$jwks" "$detached" '{"qty":4.6}' >/dev/null 2>&1
ok $? "jwcrypto rejects a detached JWS with another payload"

# kid is the library's RFC 7638 thumbprint
tp_lib=$($PY -c 'import sys,json; from jwcrypto import jwk; print(jwk.JWK(**{k:v for k,v in json.loads(sys.argv[1])["keys"][0].items() if k in ("kty","crv","x")}).thumbprint())' "$jwks")
kid=$(sql "SELECT trace.public_jwk() -> 'keys' -> 0 ->> 'kid'")
[ -n "$tp_lib" ] && [ "$tp_lib" = "$kid" ] && [ "$kid" = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" ]
ok $? "kid equals jwcrypto's RFC 7638 thumbprint (and RFC 8037's)"

# the other direction: jwcrypto signs with the RFC 8037 private key, the database verifies
lib_token=$($PY - <<'PY'
import json
from jwcrypto import jwk, jws
k = jwk.JWK(kty="OKP", crv="Ed25519",
            d="nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
            x="11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
t = jws.JWS('{"from":"jwcrypto","n":1}')
t.add_signature(k, None, json.dumps({"alg": "EdDSA", "kid": k.thumbprint()}))
print(t.serialize(compact=True))
PY
)
[ "$(sql "SELECT trace.jws_verify('$lib_token')")" = '{"n": 1, "from": "jwcrypto"}' ]
ok $? "the database verifies a JWS signed by jwcrypto"
lib_bad="${lib_token%?}"; last=${lib_token: -1}; [ "$last" = A ] && lib_bad="${lib_bad}Q" || lib_bad="${lib_bad}A"
err=$(psql -X -A -t -q -c "SELECT trace.jws_verify('$lib_bad')" 2>&1)
echo "$err" | grep -qE 'does not verify|malformed'
ok $? "the database rejects that token with its last character changed"

# SM2SM3: the openssl command line verifies the database's r||s signature
# (converted to DER) over the signing input with SM3 and the standard ID
sm2tok=$(psql -X -A -t -q -v ON_ERROR_STOP=1 \
         -c "SET pgtrace.signing_key_file = '$top/test/data/keys/sm2.pem'" \
         -c "SELECT trace.sign('$payload')")
h=${sm2tok%%.*}; rest=${sm2tok#*.}; p=${rest%%.*}; s=${rest#*.}
printf '%s.%s' "$h" "$p" >"$work/sm2.input"
$PY - "$s" "$work/sm2.der" <<'PY'
import sys, base64
sig = base64.urlsafe_b64decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 4))
assert len(sig) == 64
def der_int(x):
    b = x.to_bytes((x.bit_length() + 8) // 8, "big")
    return bytes([2, len(b)]) + b
body = der_int(int.from_bytes(sig[:32], "big")) + der_int(int.from_bytes(sig[32:], "big"))
open(sys.argv[2], "wb").write(bytes([0x30, len(body)]) + body)
PY
sm2verify() {
    openssl pkeyutl -verify -pubin -inkey "$top/test/data/keys/sm2.pub.pem" -rawin \
        -in "$1" -sigfile "$work/sm2.der" -digest sm3 "${@:2}" >/dev/null 2>&1
}
sm2verify "$work/sm2.input" -pkeyopt distid:1234567812345678
ok $? "openssl verifies an SM2SM3 signature made in the database (SM3, ID 1234567812345678, r||s)"
! sm2verify "$work/sm2.input"
ok $? "the same signature does not verify with OpenSSL's default empty ID"
printf '%s.%s' "$h" "$tp" >"$work/sm2.tampered"
! sm2verify "$work/sm2.tampered" -pkeyopt distid:1234567812345678
ok $? "openssl rejects the SM2 signature over a changed payload"

# key changes reach a running session: a new file name after pg_reload_conf(),
# and a key file rewritten in place (same name, new contents)
mkdir -p "$work/keys"
cp "$top/test/data/keys/rfc8037_ed25519.pem" "$work/keys/a.pem"
cp "$top/test/data/keys/second_ed25519.pem" "$work/keys/b.pem"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work/keys"
chmod 700 "$work/keys"; chmod 600 "$work/keys"/*.pem
kids=$(psql -X -A -t -q -v ON_ERROR_STOP=1 <<SQL
ALTER SYSTEM SET pgtrace.signing_key_file = '$work/keys/a.pem';
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT trace.jws_verify_detail(trace.sign('{}')) -> 'header' ->> 'kid';
ALTER SYSTEM SET pgtrace.signing_key_file = '$work/keys/b.pem';
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT trace.jws_verify_detail(trace.sign('{}')) -> 'header' ->> 'kid';
\! cat "$work/keys/a.pem" > "$work/keys/b.pem"
SELECT trace.jws_verify_detail(trace.sign('{}')) -> 'header' ->> 'kid';
SQL
)
kids=$(echo "$kids" | grep -E '^[A-Za-z0-9_-]{43}$' | tr '\n' ' ')
set -- $kids
[ "$#" -eq 3 ] && [ "$1" = kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k ] && [ "$2" != "$1" ]
ok $? "a session signs with the new key after the setting changes and the server reloads"
[ "$#" -eq 3 ] && [ "$3" = "$1" ]
ok $? "a key file rewritten in place is read again at the next signature"

tap_done
