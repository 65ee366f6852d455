#!/usr/bin/python3
"""Write test/data/exchange/tokens.sql: the partner tokens the exchange tests import.

    /usr/bin/python3 test/data/exchange/make_tokens.py > test/data/exchange/tokens.sql

Ed25519 signatures are deterministic, so the output is the same on every run; the
file is kept in the repository and the tests never run this script. The partner
signs with test/data/keys/second_ed25519.pem; the "wrong key" is the RFC 8037 key.
Payloads are written in RFC 8785 form (sorted keys, no spaces, integers only).
"""
import base64
import copy
import hashlib
import json
import os

from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "keys")

T0 = 1782792000            # 2026-06-30T04:00:00Z = 12:00 in China, the tests' reference time
FACTORY = "91330100MA2H3K5L19"
DISTRIBUTOR = "91440300MA5FQ7W81X"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def load(name):
    with open(os.path.join(KEYS, name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def jwk_of(key):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": b64u(raw)}


def kid_of(key):
    jwk = jwk_of(key)
    members = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(members.encode()).digest())


def canonical(v):
    return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def sign(key, header, payload, kid=None):
    h = dict(header, alg="EdDSA", kid=kid or kid_of(key))
    signing_input = b64u(canonical(h)) + "." + b64u(canonical(payload))
    return signing_input + "." + b64u(key.sign(signing_input.encode()))


partner = load("second_ed25519.pem")
other = load("rfc8037_ed25519.pem")      # a wrong key for the factory; the retailer's own key

unit = {"uscc": FACTORY, "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司",
        "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
        "business_license": {"content_base64": "bGljZW5jZSBGQUNUT1JZ", "media_type": "application/pdf"}}
product = {"uscc": FACTORY, "category": "gas-hob", "gtin": "06901234567892", "product_name": "家用燃气灶",
           "product_type": "燃气器具", "spec_model": "JZT-2-A1", "mandatory_standards": "GB 16410-2020",
           "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
           "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}
items = [{"uscc": FACTORY, "trace_code": "(01)06901234567892(21)P000%d" % n, "production_date": "2026-06-01",
          "serial_or_batch": "B260601",
          "inspection_report": {"content_base64": "aW5zcGVjdGlvbiBCMjYwNjAx", "media_type": "application/pdf"}}
         for n in (1, 2, 3)]
pack = {"uscc": FACTORY, "package_code": "(00)069012340000000030", "event_time": "2026-06-02T08:00:00+08:00",
        "contents": ["(01)06901234567892(21)P0001", "(01)06901234567892(21)P0002"]}
sale_to_business = {"uscc": FACTORY, "trace_code": "(00)069012340000000030", "sale_time": "2026-06-03T10:00:00+08:00",
                    "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道2号",
                    "buyer_contact": "+86 755 6666 0000", "buyer_uscc": DISTRIBUTOR}
sale_to_consumer = {"uscc": FACTORY, "trace_code": "(01)06901234567892(21)P0003", "sale_time": "2026-06-20T15:30:00+08:00",
                    "buyer_name": "张三", "buyer_address": "杭州市西湖区某小区1幢", "buyer_contact": "13800001234"}

good = {"iss": FACTORY, "iat": T0 - 600, "exp": T0 + 3600, "jti": "factory-0001",
        "records": [{"op": "register_unit", "data": unit},
                    {"op": "register_product", "data": product},
                    {"op": "commission", "data": items},
                    {"op": "pack", "data": pack},
                    {"op": "record_sale", "data": [sale_to_business, sale_to_consumer]}]}

tokens = {}
tokens["good"] = sign(partner, {"typ": "JOSE"}, good)

changed = copy.deepcopy(good)
changed["records"][4]["data"][1]["buyer_contact"] = "13800001235"    # one byte
h, _, s = tokens["good"].split(".")
tokens["changed_byte"] = h + "." + b64u(canonical(changed)) + "." + s

tokens["wrong_key"] = sign(other, {"typ": "JOSE"}, dict(good, jti="factory-0002"), kid=kid_of(partner))
tokens["unknown_partner"] = sign(other, {"typ": "JOSE"}, dict(good, jti="factory-0003"))
tokens["expired"] = sign(partner, {"typ": "JOSE"}, dict(good, jti="factory-0004", iat=T0 - 7200, exp=T0 - 3600))
tokens["stale"] = sign(partner, {"typ": "JOSE"}, {k: v for k, v in dict(good, jti="factory-0005", iat=T0 - 90000).items()
                                                  if k != "exp"})
tokens["future"] = sign(partner, {"typ": "JOSE"}, dict(good, jti="factory-0006", iat=T0 + 3600, exp=T0 + 7200))
tokens["scope_op"] = sign(partner, {"typ": "JOSE"}, dict(good, jti="factory-0007", records=[
    {"op": "record_purchase", "data": {"uscc": FACTORY, "trace_code": "(01)06901234567892(21)P0001",
                                       "supplier_name": "x", "purchase_time": "2026-06-05T09:00:00+08:00"}}]))
tokens["scope_unit"] = sign(partner, {"typ": "JOSE"}, dict(good, jti="factory-0008", records=[
    {"op": "register_unit", "data": dict(unit, uscc=DISTRIBUTOR, unit_name="深圳示例分销有限公司")}]))
tokens["wrong_iss"] = sign(partner, {"typ": "JOSE"}, dict(good, jti="factory-0009", iss=DISTRIBUTOR))
# claims in the protected header, as trace.sign writes them; a bad record makes the batch fail whole
bad_batch = {"iss": FACTORY, "records": [
    {"op": "commission", "data": [{"uscc": FACTORY, "trace_code": "(01)06901234567892(21)P0004",
                                   "production_date": "2026-06-01", "serial_or_batch": "B260601",
                                   "inspection_report": items[0]["inspection_report"]}]},
    {"op": "record_sale", "data": {"uscc": FACTORY, "trace_code": "(01)06901234567892(21)P0004",
                                   "sale_time": "2026-05-01T10:00:00+08:00", "buyer_name": "x",
                                   "buyer_address": "y", "buyer_contact": "z"}}]}
tokens["bad_record"] = sign(partner, {"typ": "JOSE", "iat": T0, "jti": "factory-0010"}, bad_batch)
second = {"iss": FACTORY, "records": [
    {"op": "commission", "data": {"uscc": FACTORY, "trace_code": "(01)06901234567892(21)P0004",
                                  "production_date": "2026-06-01", "serial_or_batch": "B260601",
                                  "inspection_report": items[0]["inspection_report"]}}]}
tokens["header_claims"] = sign(partner, {"typ": "JOSE", "iat": T0, "jti": "factory-0011"}, second)
tokens["conflicting"] = sign(partner, {"typ": "JOSE", "iat": T0, "jti": "factory-0012"}, dict(second, iat=T0 + 1))
retailer = {"uscc": "92110105MA01ABC2DR", "roles": ["seller"], "unit_name": "北京示例五金店", "address": "北京市示例街3号",
            "contact": "+86 10 5555 0000",
            "business_license": {"content_base64": "bGljZW5jZSBSRVRBSUw=", "media_type": "image/png"}}
tokens["retailer_unit"] = sign(other, {"typ": "JOSE"}, {"iss": "92110105MA01ABC2DR", "iat": T0, "jti": "retailer-0001",
                                                         "records": [{"op": "register_unit", "data": retailer}]})
tokens["no_kid"] = ".".join([b64u(canonical({"alg": "EdDSA", "typ": "JOSE"}))] + tokens["good"].split(".")[1:])

print("-- Generated by test/data/exchange/make_tokens.py; do not edit (see that script).")
print("\\set partner_jwk '%s'" % json.dumps(jwk_of(partner), separators=(",", ":"), sort_keys=True))
print("\\set partner_kid '%s'" % kid_of(partner))
print("\\set other_jwk '%s'" % json.dumps(jwk_of(other), separators=(",", ":"), sort_keys=True))
print("\\set other_kid '%s'" % kid_of(other))
for name, tok in tokens.items():
    print("\\set tok_%s '%s'" % (name, tok))
