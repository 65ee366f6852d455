#!/bin/bash
# trace.report renders in headless Chromium (Debian `chromium`): on the
# generated data set (test/system/stats_dataset.sql) the page, in Chinese and
# in English, parses into four inline SVG charts with the expected marks, and
# a screenshot shows each chart's colour drawn. The page fetches nothing:
# Chromium runs with networking features off and the HTML names no resource.
. "$(dirname "$0")/common.bash" pgtrace-stats
check() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1"; echo "#   want: $2"; fi; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "not ok 1 - chromium is installed (scripts/deps.sh installs it)"; echo "1..1"; exit 1
fi
eval "$(scripts/cluster.sh start "$work/pg")" || { echo "not ok 1 - cluster starts"; echo "1..1"; exit 1; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE EXTENSION pgtrace' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f test/system/stats_dataset.sql >/dev/null 2>"$work/dataset.err"
check "$?" 0 "the generated data set loads"
psql -X -q -At -d postgres -c "SET pgtrace.reference_time = '2026-07-01 12:00:00+08'" \
    -c "SELECT trace.stats_refresh() ->> 'anomalies'" >"$work/refresh.out" 2>&1
check "$(tail -1 "$work/refresh.out")" 12 "stats_refresh finds the twelve planted anomalies"
for lang in zh en; do
    psql -X -At -d postgres -c "SELECT trace.report('2026-05-01', '2026-06-30', '$lang')" >"$work/report-$lang.html"
done
psql -X -At -d postgres -c "SELECT trace.report('2020-01-01', '2020-01-31', 'en')" >"$work/report-empty.html"
check "$(grep -ciE '<script|src=|href=|@import|url\(|@font-face' "$work/report-zh.html" "$work/report-en.html" | awk -F: '{s+=$2} END {print s}')" 0 \
    "the page names no script, image, font or style sheet to fetch"

chrome() {   # chrome OUTPUT-OPTION FILE
    local ud; ud=$(mktemp -d "$work/chrome.XXXXXX")
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$ud" \
        --window-size=900,2600 "$@" 2>>"$work/chrome.log"
}

for lang in zh en; do
    chrome --dump-dom "file://$work/report-$lang.html" >"$work/dom-$lang.html"
    dom="$work/dom-$lang.html"
    check "$(grep -o '<svg id="chart-[a-z]*"' "$dom" | tr '\n' ' ')" \
        '<svg id="chart-volume" <svg id="chart-completeness" <svg id="chart-anomalies" <svg id="chart-scans" ' \
        "$lang: the browser's DOM holds the four charts"
    # 61 days from 1 May to 30 June: one point per day in each of three series
    check "$(grep -o '<polyline[^>]*>' "$dom" | sed 's/.*points="\([^"]*\)".*/\1/' | awk '{print NF}' | tr '\n' ' ')" "61 61 61 " \
        "$lang: volume trend: three series of 61 days"
    check "$(grep -o '<circle [^>]*fill="#1f77b4"' "$dom" | wc -l)" 61 "$lang: volume trend: a dot for every day of production"
    check "$(sed 's/<svg /\n<svg /g' "$dom" | grep '^<svg id="chart-completeness"' | grep -o 'class="bar"' | wc -l)" 5 \
        "$lang: completeness: a bar for each of the five unit roles"
    check "$(sed 's/<svg /\n<svg /g' "$dom" | grep '^<svg id="chart-anomalies"' | grep -o 'class="bar"' | wc -l)" 5 \
        "$lang: anomalies: a bar for each of the five kinds"
    check "$(sed 's/<svg /\n<svg /g' "$dom" | grep '^<svg id="chart-scans"' | grep -o 'class="bar"' | wc -l)" 3 \
        "$lang: scan outcomes: genuine, forged and unknown"
done
check "$(grep -c '产销量趋势' "$work/dom-zh.html")" 1 "zh: the page is in Chinese"
check "$(grep -c 'Completeness by unit' "$work/dom-en.html")" 1 "en: the page is in English"
check "$(grep -o "<tr><td>" "$work/dom-en.html" | wc -l)" 18 "en: rows for the top ten anomalies of the period, three categories and five regions"

# Screenshots: each chart's own colour is painted.
for lang in zh empty; do
    f="$work/report-$lang.html"
    chrome --screenshot="$work/shot-$lang.png" "file://$f" >/dev/null
done
count_colours() {
    python3 - "$1" <<'PY'
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w, h, ctype = 8, b'', 0, 0, 0
while pos < len(data):
    ln, typ = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + ln]
    if typ == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        assert depth == 8
    elif typ == b'IDAT':
        idat += body
    pos += 12 + ln
bpp = {2: 3, 6: 4}[ctype]
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = {'production #1f77b4': (0x1f, 0x77, 0xb4), 'sales #ff7f0e': (0xff, 0x7f, 0x0e),
           'completeness #2ca02c': (0x2c, 0xa0, 0x2c), 'anomalies #d62728': (0xd6, 0x27, 0x28)}
counts = dict.fromkeys(colours, 0)
i = 0
near = {}
for k, v in colours.items():
    for dr in range(-6, 7):
        for dg in range(-6, 7):
            for db in range(-6, 7):
                near[(v[0] + dr, v[1] + dg, v[2] + db)] = k
i = 0
for y in range(h):
    f = raw[i]; i += 1
    line = bytearray(raw[i:i + stride]); i += stride
    if f == 2:
        line = bytearray((p + q) & 255 for p, q in zip(line, prev))
    elif f in (1, 3, 4):
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
                continue
            b = prev[x]
            if f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
                continue
            c = prev[x - bpp] if x >= bpp else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for px in zip(line[0::bpp], line[1::bpp], line[2::bpp]):
        k = near.get(px)
        if k is not None:
            counts[k] += 1
    prev = line
print(' '.join('%s=%s' % (k.split()[0], 'drawn' if counts[k] >= 150 else 'missing(%d)' % counts[k]) for k in colours))
PY
}
for lang in zh; do
    check "$(count_colours "$work/shot-$lang.png")" "production=drawn sales=drawn completeness=drawn anomalies=drawn" \
        "$lang screenshot: volume lines, completeness bars and anomaly bars are painted"
done
check "$(count_colours "$work/shot-empty.png")" "production=drawn sales=drawn completeness=drawn anomalies=drawn" \
    "a period without volumes still paints the completeness and anomaly bars and flat volume lines"
tap_done
