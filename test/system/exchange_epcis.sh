#!/bin/bash
# Exchange end to end, committed on a throwaway cluster:
#  - a partner's token (fixed test data) is imported; a second database signs a
#    batch with an SM2 key (trace.sign) and the first imports it as a partner;
#  - trace.export_epcis output for both units and both audiences validates
#    against the EPCIS 2.0 JSON schema carried in test/data/epcis (python3-
#    jsonschema, with the schema's uri and date-time formats checked), and
#    documents broken on purpose do not;
#  - python3-jwcrypto verifies export_history / export_unit tokens (compact,
#    JSON serialisation, detached) and finds no personal data in public ones.
# Prints TAP.
. "$(dirname "$0")/common.bash" pgtrace-exchange
PY=/usr/bin/python3
keys="$top/test/data/keys"

if ! $PY -c 'import jsonschema, jwcrypto' 2>/dev/null; then
    echo "not ok 1 - python3-jsonschema and python3-jwcrypto are installed (scripts/deps.sh installs them)"
    echo "1..1"
    exit 1
fi

start_cluster "pgtrace.signing_key_file = '$keys/rfc8037_ed25519.pem'"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE partner' -c 'CREATE EXTENSION pgtrace' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d partner -c 'CREATE EXTENSION pgtrace' >/dev/null
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

# the partner's fixed token, then the distributor's own records
psql -X -q -v ON_ERROR_STOP=1 >"$work/setup.log" 2>&1 <<SQL
\i test/data/exchange/tokens.sql
ALTER DATABASE postgres SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.register_partner('杭州示例燃气具有限公司', '91330100MA2H3K5L19', :'partner_jwk',
       '{register_unit,register_product,commission,pack,record_sale}');
SELECT trace.import(:'tok_good');
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "深圳示例分销有限公司",
    "address": "深圳市示例大道2号", "contact": "+86 755 6666 0000",
    "business_license": {"content_base64": "bGljZW5jZSBESVNU", "media_type": "application/pdf"}}');
SELECT trace.record_purchase('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000030",
    "supplier_name": "杭州示例燃气具有限公司", "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-04T09:00:00+08:00"}');
SELECT trace.unpack('{"package_code": "(00)069012340000000030", "uscc": "91440300MA5FQ7W81X", "event_time": "2026-06-05T09:00:00+08:00"}');
SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)P0001",
    "sold_time": "2026-06-10T15:30:00+08:00", "customer_name": "李四"}');
SQL
ok $? "the partner token is imported and the distributor's records are written"
[ "$(sql "SELECT count(*) FROM trace.import_log")" = 1 ]
ok $? "one import is logged"

# pgtrace to pgtrace with SM2: the partner database signs with trace.sign
token=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d partner -c "SET pgtrace.signing_key_file = '$keys/sm2.pem'" \
    -c "SELECT trace.sign('{\"iss\": \"92110105MA01ABC2DR\", \"records\": [{\"op\": \"register_unit\", \"data\": {\"uscc\": \"92110105MA01ABC2DR\", \"roles\": [\"seller\"], \"unit_name\": \"北京示例五金店\", \"address\": \"北京市示例街3号\", \"contact\": \"+86 10 5555 0000\", \"business_license\": {\"content_base64\": \"bGljZW5jZSBSRVRBSUw=\", \"media_type\": \"image/png\"}}}]}')")
jwk=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d partner -c "SET pgtrace.signing_key_file = '$keys/sm2.pem'" \
    -c "SELECT trace.public_jwk() -> 'keys' -> 0")
sql "SELECT trace.register_partner('北京示例五金店', '92110105MA01ABC2DR', '$jwk', '{register_unit}')" >/dev/null
ok $? "an SM2 partner key (the partner database's public_jwk) is registered"
# the reference time is the token's own iat: the test does not depend on the clock
iat="to_timestamp((trace._exchange_jws_header('$token') ->> 'iat')::float8)"
[ "$(sql "SELECT trace._exchange_jws_header('$token') ->> 'alg'")" = SM2SM3 ]
ok $? "the partner database signed with SM2SM3"
res=$(sql "SELECT trace.import('$token', $iat) ->> 'records'")
[ "$res" = 1 ]
ok $? "a batch signed by another pgtrace database with SM2SM3 (iat and jti in its header) is imported"
psql -X -A -t -q -c "SELECT trace.import('$token', $iat)" >/dev/null 2>"$work/replay.err"
grep -q "replayed token" "$work/replay.err"
ok $? "importing it again is refused as a replay"

# EPCIS documents
period="'2026-06-01 00:00+08', '2026-07-01 00:00+08'"
for u in 91330100MA2H3K5L19 91440300MA5FQ7W81X; do
    for a in public regulator; do
        sql "SELECT trace.export_epcis('$u', $period, '$a')" >"$work/epcis-$u-$a.json"
    done
done

for c in P0001 P0003; do
    for a in public regulator; do
        sql "SELECT trace.export_epcis_history('(01)06901234567892(21)$c', '$a')" >"$work/epcis-history-$c-$a.json"
    done
done

cat >"$work/validate.py" <<'PY'
import copy, json, re, sys
import jsonschema
from jsonschema import Draft7Validator, FormatChecker, RefResolver

top = sys.argv[1]
with open(top + "/test/data/epcis/epcis-json-schema.json") as f:
    schema = json.load(f)
with open(top + "/test/data/epcis/certificationDetails-schema.json") as f:
    cert = json.load(f)
resolver = RefResolver.from_schema(schema, store={
    "resource:/json-schema/certificationDetails-schema.json": cert,
    "certificationDetails-schema.json": cert})

# The schema's formats, checked: a URI has a scheme (RFC 3986) and no blanks;
# a date-time is RFC 3339.
checker = FormatChecker(formats=())
@checker.checks("uri")
def is_uri(v):
    return not isinstance(v, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*", v) is not None
@checker.checks("date-time")
def is_time(v):
    return not isinstance(v, str) or re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", v) is not None

validator = Draft7Validator(schema, resolver=resolver, format_checker=checker)

def errors(doc):
    return sorted(e.message for e in validator.iter_errors(doc))

mode = sys.argv[2]
doc = json.load(open(sys.argv[3]))
if mode == "valid":
    errs = errors(doc)
    for e in errs[:5]:
        print("  #", e[:300])
    sys.exit(1 if errs else 0)
# broken on purpose: each must fail
broken = copy.deepcopy(doc)
ev = broken["epcisBody"]["eventList"]
if mode == "no_offset":
    del ev[0]["eventTimeZoneOffset"]
elif mode == "bad_bizstep":
    ev[0]["bizStep"] = "selling"
elif mode == "bad_key":
    ev[0]["buyer"] = "x"
elif mode == "bad_time":
    ev[0]["eventTime"] = "2026-06-01 00:00"
elif mode == "no_tx":
    tx = [e for e in ev if e["type"] == "TransactionEvent"][0]
    del tx["bizTransactionList"]
sys.exit(0 if errors(broken) else 1)
PY

for f in "$work"/epcis-*.json; do
    name=$(basename "$f" .json)
    $PY "$work/validate.py" "$top" valid "$f"
    ok $? "$name validates against the EPCIS 2.0 JSON schema"
done
f="$work/epcis-91330100MA2H3K5L19-public.json"
for mode in no_offset bad_bizstep bad_key bad_time no_tx; do
    $PY "$work/validate.py" "$top" "$mode" "$f"
    ok $? "the validator rejects a document broken on purpose ($mode)"
done
types=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(sorted({e["type"]+":"+e.get("bizStep","") for e in d["epcisBody"]["eventList"]})))' "$f")
[ "$types" = "AggregationEvent:packing ObjectEvent:commissioning ObjectEvent:retail_selling ObjectEvent:shipping TransactionEvent:retail_selling TransactionEvent:shipping" ]
ok $? "the factory's document covers commissioning, packing, shipping, retail selling and sales transactions ($types)"
grep -q '张三' "$f"; [ $? -ne 0 ]
ok $? "no consumer name in the public EPCIS document"
grep -q '张三' "$work/epcis-91330100MA2H3K5L19-regulator.json"
ok $? "the regulator's EPCIS document names the consumer"

# signed exports, verified by jwcrypto
jwks=$(sql "SELECT trace.public_jwk()")
cat >"$work/verify.py" <<'PY'
import sys, base64
from jwcrypto import jwk, jws
keys = jwk.JWKSet.from_json(sys.argv[1])
token = sys.argv[2]
detached = sys.argv[3] if len(sys.argv) > 3 else None
obj = jws.JWS()
if token.startswith("{"):
    import json
    t = json.loads(token)
    if detached is not None:
        t["payload"] = base64.urlsafe_b64encode(detached.encode()).decode().rstrip("=")
    obj.deserialize(json.dumps(t))
else:
    if detached is not None:
        h, p, s = token.split(".")
        token = ".".join((h, base64.urlsafe_b64encode(detached.encode()).decode().rstrip("="), s))
    obj.deserialize(token)
obj.verify(keys.get_key(obj.jose_header["kid"]))
sys.stdout.write(obj.payload.decode())
PY
code="(01)06901234567892(21)P0003"
for ser in compact json; do
    tok=$(sql "SELECT trace.export_history('$code', 'public', '$ser')")
    got=$($PY "$work/verify.py" "$jwks" "$tok")
    ok $? "jwcrypto verifies export_history ($ser)"
    [ "$got" = "$(sql "SELECT trace.canonical_json(trace.history_document('$code'))")" ]
    ok $? "its payload is the canonical public history document ($ser)"
    case "$got" in *张三*|*13800001234*) false ;; *) true ;; esac
    ok $? "the public export holds no consumer name or contact ($ser)"
    tok=$(sql "SELECT trace.export_history('$code', 'regulator', '$ser', true)")
    $PY "$work/verify.py" "$jwks" "$tok" "$(sql "SELECT trace.canonical_json(trace.history_document('$code', 'regulator'))")" >/dev/null
    ok $? "jwcrypto verifies the detached regulator export with its document ($ser)"
done
tok=$(sql "SELECT trace.export_unit('91330100MA2H3K5L19', $period, 'partner')")
got=$($PY "$work/verify.py" "$jwks" "$tok")
ok $? "jwcrypto verifies export_unit"
tampered=$($PY -c 'import sys; h,p,s=sys.argv[1].split("."); print(h+"."+p[:-2]+("A" if p[-2]!="A" else "B")+p[-1]+"."+s)' "$tok")
$PY "$work/verify.py" "$jwks" "$tampered" >/dev/null 2>&1; [ $? -ne 0 ]
ok $? "jwcrypto rejects it after one character of the payload changed"

tap_done
