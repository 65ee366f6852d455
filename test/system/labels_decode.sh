#!/bin/bash
# QR codes and labels read by independent tools from Debian: every PNG from
# trace.qr_png decodes with zbarimg to the same bytes (Chinese included), every
# SVG from trace.qr_svg does so after rasterising with rsvg-convert; a label's
# QR decodes to its Digital Link, whose verification element verifies offline
# with python3-jwcrypto and the keys of trace.public_jwk() (and fails when the
# serial or the signature is changed); the decoded label scans as genuine.
# Prints TAP.
. "$(dirname "$0")/common.bash" pgtrace-labels
PY=/usr/bin/python3
key="$top/test/data/keys/rfc8037_ed25519.pem"

for tool in zbarimg rsvg-convert; do
    if ! command -v "$tool" >/dev/null; then
        echo "not ok 1 - $tool is installed (scripts/deps.sh installs zbar-tools and librsvg2-bin)"
        echo "1..1"
        exit 1
    fi
done

start_cluster "pgtrace.signing_key_file = '$key'" \
              "pgtrace.label_domain = 'https://trace.example.cn'"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pgtrace' >/dev/null

# psql with the text passed as a variable, so no quoting of the text itself
sqlv() { local t=$1; shift; psql -X -A -t -q -v ON_ERROR_STOP=1 -v t="$t" "$@"; }

# decode FILE.png -> the decoded bytes, zbarimg's trailing newline removed
decode() {
    zbarimg --raw -q "$1" 2>/dev/null >"$1.out" || return 1
    $PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[:-1] if d.endswith(b"\n") else d)' \
        "$1.out" >"$1.txt"
}

# check TEXT ECC MODULE QUIET NAME: PNG and SVG both decode to exactly TEXT
check() {
    local text=$1 ecc=$2 module=$3 quiet=$4 name=$5 f="$work/$6"
    printf '%s' "$text" >"$f.expected"
    echo "SELECT pg_catalog.encode(trace.qr_png(:'t', '$ecc', $module, $quiet), 'base64')" |
        sqlv "$text" | base64 -d >"$f.png"
    decode "$f.png" && cmp -s "$f.png.txt" "$f.expected"
    ok $? "PNG ($name, level $ecc, module $module, quiet zone $quiet) decodes byte for byte"
    echo "SELECT trace.qr_svg(:'t', '$ecc', $module, $quiet)" | sqlv "$text" >"$f.svg"
    rsvg-convert --background-color=white "$f.svg" -o "$f.svg.png" 2>/dev/null &&
        decode "$f.svg.png" && cmp -s "$f.svg.png.txt" "$f.expected"
    ok $? "SVG ($name, level $ecc, module $module, quiet zone $quiet) rasterised decodes byte for byte"
}

check 'https://id.gs1.org/01/06901234567892/21/ABC123' M 4 4 "Digital Link" dl
check '重点工业产品质量安全追溯信息通用要求：电线电缆、燃气灶具' Q 4 4 "Chinese" zh
check '追溯码 (01)06901234567892(21)H0001 — 家用燃气灶 JZT-2-A1 ✓ ½ €' H 3 4 "mixed scripts" mixed
check '1234567890123456789012345678901234567890' L 5 2 "digits" digits
check 'A&B <tag> "quoted" '"'"'single'"'"' % + /?#' M 4 4 "XML and URI specials" specials
check "$(printf '电缆%.0s' $(seq 1 150))" L 3 4 "900 bytes of Chinese (large version)" long

# a label for a unit: its QR is its Digital Link with the verification element
label=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -c "SELECT trace.label('(01)06901234567892(21)Kx7Qm2Lp9Za4')")
dl=$(printf '%s' "$label" | $PY -c 'import sys,json; print(json.load(sys.stdin)["digital_link"])')
printf '%s' "$label" | $PY -c 'import sys,json; sys.stdout.write(json.load(sys.stdin)["qr_svg"])' >"$work/label.svg"
rsvg-convert --background-color=white "$work/label.svg" -o "$work/label.png" 2>/dev/null && decode "$work/label.png"
[ "$(cat "$work/label.png.txt")" = "$dl" ] && [[ "$dl" == https://trace.example.cn/01/06901234567892/21/Kx7Qm2Lp9Za4\?sig=* ]]
ok $? "the label's SVG decodes to its Digital Link on the configured domain"

jwks=$(psql -X -A -t -q -c "SELECT trace.public_jwk()")
# offline check (docs/labels.md): rebuild the JWS from the scanned URI and the published keys
cat >"$work/offline.py" <<'PY'
import sys, json, base64, re, urllib.parse
from jwcrypto import jwk, jws

def b64(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")

def verify(uri, jwks):
    parts = urllib.parse.urlsplit(uri)
    token = urllib.parse.parse_qs(parts.query)["sig"][0]
    iat, jti, sig = token.split(".")
    # the trace code: GS1 element string of the key, from the path /01/<gtin>/21/<serial> or /00/<sscc>
    segs = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
    i = max(k for k, s in enumerate(segs) if s in ("01", "00"))
    code = "".join("(%s)%s" % (segs[j], segs[j + 1].replace("(", "\\(")) for j in range(i, len(segs), 2))
    payload = b"pgtrace-label-v1:" + code.encode("utf-8")
    for k in json.loads(jwks)["keys"]:
        header = '{"alg":"%s","iat":%d,"jti":"%s","kid":"%s","typ":"JOSE"}' % (k["alg"], int(iat), jti, k["kid"])
        t = jws.JWS()
        t.deserialize(b64(header.encode()) + "." + b64(payload) + "." + sig)
        try:
            t.verify(jwk.JWK(**{m: k[m] for m in ("kty", "crv", "x", "y") if m in k}))
            return code
        except Exception:
            pass
    return None

code = verify(sys.argv[1], sys.argv[2])
if code is None:
    sys.exit(1)
print(code)
PY
got=$($PY "$work/offline.py" "$(cat "$work/label.png.txt")" "$jwks")
ok $? "python3-jwcrypto verifies the decoded label offline with trace.public_jwk()"
[ "$got" = "(01)06901234567892(21)Kx7Qm2Lp9Za4" ]
ok $? "the offline check names the trace code"
! $PY "$work/offline.py" "${dl/Kx7Qm2Lp9Za4/Kx7Qm2Lp9Za5}" "$jwks" >/dev/null 2>&1
ok $? "offline: the same element under another serial does not verify"
last=${dl: -1}; [ "$last" = A ] && r=Q || r=A
! $PY "$work/offline.py" "${dl:0:${#dl}-1}$r" "$jwks" >/dev/null 2>&1
ok $? "offline: a changed signature does not verify"

verdict=$(psql -X -A -t -q -v t="$(cat "$work/label.png.txt")" <<<"SELECT trace.verify_scan(:'t', '{\"time\": \"2026-11-26T08:00:00Z\"}') ->> 'status'")
[ "$verdict" = genuine ]
ok $? "the decoded label scans as genuine in the database"
verdict=$(psql -X -A -t -q -v t="${dl/Kx7Qm2Lp9Za4/Kx7Qm2Lp9Za5}" <<<"SELECT trace.verify_scan(:'t', '{\"time\": \"2026-11-26T08:01:00Z\"}') ->> 'status'")
[ "$verdict" = forged ]
ok $? "an altered serial scans as forged"

# a serial with characters of CSET 82 that are percent-encoded in the URI and escaped in the code
sdl=$(psql -X -A -t -q -c "SELECT trace.label(trace.code('06901234567892', 'A(b)%\"&<?/')) ->> 'digital_link'")
echo "SELECT pg_catalog.encode(trace.qr_png(:'t', 'M', 4, 4), 'base64')" | sqlv "$sdl" | base64 -d >"$work/special.png"
decode "$work/special.png" && got=$($PY "$work/offline.py" "$(cat "$work/special.png.txt")" "$jwks") &&
    [ "$got" = '(01)06901234567892(21)A\(b)%"&<?/' ]
ok $? "a label whose serial needs percent-encoding decodes and verifies offline"

# a label for a package (SSCC) as a PNG of the label's Digital Link
pdl=$(psql -X -A -t -q -c "SELECT trace.label('(00)106141411234567897') ->> 'digital_link'")
echo "SELECT pg_catalog.encode(trace.qr_png(:'t', 'M', 4, 4), 'base64')" | sqlv "$pdl" | base64 -d >"$work/pkg.png"
decode "$work/pkg.png" && [ "$(cat "$work/pkg.png.txt")" = "$pdl" ]
ok $? "a package label's QR decodes to its Digital Link"
got=$($PY "$work/offline.py" "$pdl" "$jwks")
[ "$got" = "(00)106141411234567897" ]
ok $? "the package label verifies offline"

tap_done
