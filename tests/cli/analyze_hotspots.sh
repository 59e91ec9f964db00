# analyze_hotspots.sh - `vigil analyze hotspots`: Gi* hot and cold spots of the sample incidents on
# the equal-area grid, recomputed independently in Python from the cells' counts (all-pairs Gi*,
# Benjamini-Hochberg, classes); valid GeoJSON and SVG; the density surface; filters; the count of
# incidents without coordinates; bad options (exit 2) and a missing database (exit 1).
. "$VG_TESTLIB"

DB="$VG_SCRATCH/h.db"
run "$VIGIL" --db "$DB" ingest --json "$VG_SAMPLE_DATA/drone_gtd_acled_20260509.csv"
check_status 0 "the sample ingests"
TOTAL=$(sql "$DB" "select count(*) from incidents")
LOCATED=$(sql "$DB" "select count(*) from incidents where latitude is not null and longitude is not null")

run "$VIGIL" --db "$DB" analyze hotspots
check_status 0 "defaults: exit 0"
check_eq "lat,lon,count,neighbours,z,p,fdr_p,class" "$(printf '%s\n' "$OUT" | head -n 1)" "the CSV header"
check_contains "$ERR" "$TOTAL incidents, $((TOTAL - LOCATED)) without coordinates left out" \
    "the summary counts the incidents left out"
check_contains "$ERR" "cells of 10 km, band 30 km" "the defaults: cells of 10 km, a band of 30 km"
printf '%s\n' "$OUT" >default.csv
got=$(python3 - "$LOCATED" <<'PY'
import csv, sys
rows = list(csv.DictReader(open("default.csv")))
classes = {"hot-99", "hot-95", "hot-90", "not-significant", "cold-90", "cold-95", "cold-99"}
bad = [r for r in rows if r["class"] not in classes]
total = sum(int(r["count"]) for r in rows)
zs = [float(r["z"]) for r in rows]
print("classes ok" if not bad else "bad class %s" % bad[0],
      "sum ok" if total == int(sys.argv[1]) else "counts add up to %d" % total,
      "sorted" if zs == sorted(zs, reverse=True) else "not sorted by z",
      "hot" if any(r["class"] == "hot-99" for r in rows) else "no hot-99 cell")
PY
)
check_eq "classes ok sum ok sorted hot" "$got" "every class known, counts add up to the located incidents, hottest first"

# GeoJSON: valid, and every figure recomputed from the cells' rows, columns and counts.
run "$VIGIL" --db "$DB" analyze hotspots --cell-km 25 --band-km 80 --format geojson --out cells.geojson
check_status 0 "GeoJSON: exit 0"
check_empty "$OUT" "GeoJSON to a file: nothing on stdout"
got=$(python3 - "$LOCATED" "$TOTAL" <<'PY'
import json, math, sys
d = json.load(open("cells.geojson"))
bad = []
if d.get("type") != "FeatureCollection": bad.append("not a FeatureCollection")
m = d["metadata"]
if m["located"] != int(sys.argv[1]) or m["incidents"] != int(sys.argv[2]): bad.append("metadata %s" % m)
cells = []
for f in d["features"]:
    if f["type"] != "Feature" or f["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
        bad.append("feature %s" % f["type"]); break
    polys = [f["geometry"]["coordinates"]] if f["geometry"]["type"] == "Polygon" else f["geometry"]["coordinates"]
    for poly in polys:
        ring = poly[0]
        if ring[0] != ring[-1] or len(ring) < 4: bad.append("ring not closed")
        a = sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))
        if a <= 0: bad.append("ring not counter-clockwise")
        if any(not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90) for p in ring): bad.append("position out of range")
    cells.append(f["properties"])
n = len(cells)
if sum(c["count"] for c in cells) != int(sys.argv[1]): bad.append("counts do not add up")
# Gi* over the cells, all pairs, band 80 km in cells of 25 km: 3.2 cells between centres.
ys = [c["count"] for c in cells]
ybar = sum(ys) / n
s = math.sqrt(sum(y * y for y in ys) / n - ybar * ybar)
zs, ps = [], []
for c in cells:
    W = 0; sw = 0
    for o in cells:
        if (o["col"] - c["col"]) ** 2 + (o["row"] - c["row"]) ** 2 <= 3.2 ** 2:
            W += 1; sw += o["count"]
    z = 0.0 if W == n else (sw - ybar * W) / (s * math.sqrt((n * W - W * W) / (n - 1)))
    zs.append(z); ps.append(math.erfc(abs(z) / math.sqrt(2)))
    if W != c["neighbours"]: bad.append("neighbours %s, expected %d" % (c, W))
# Benjamini-Hochberg adjusted p-values.
order = sorted(range(n), key=lambda i: ps[i])
q = [0] * n; run_min = 1.0
for k in range(n - 1, -1, -1):
    run_min = min(run_min, ps[order[k]] * n / (k + 1)); q[order[k]] = run_min
for i, c in enumerate(cells):
    level = 3 if q[i] <= 0.01 else 2 if q[i] <= 0.05 else 1 if q[i] <= 0.10 else 0
    cls = "not-significant" if level == 0 or zs[i] == 0 else \
        ("hot" if zs[i] > 0 else "cold") + "-" + {3: "99", 2: "95", 1: "90"}[level]
    if abs(c["z"] - zs[i]) > 0.00006 or abs(c["p"] - ps[i]) > 1e-6 + 1e-3 * ps[i] or \
       abs(c["fdr_p"] - q[i]) > 1e-6 + 1e-3 * q[i] or c["class"] != cls:
        bad.append("cell %s: expected z %.4f p %.3g q %.3g %s" % (c, zs[i], ps[i], q[i], cls))
counts = {}
for c in cells: counts[c["class"]] = counts.get(c["class"], 0) + 1
if any(m["classes"][k] != counts.get(k, 0) for k in m["classes"]): bad.append("class counts %s" % m["classes"])
print("; ".join(bad[:3]) if bad else "valid, %d cells, same figures" % n)
PY
)
check_match "$got" "^valid, [0-9]+ cells, same figures$" "GeoJSON: valid, and Gi*, FDR and classes as recomputed"

# All cells of the rectangle, without the FDR correction: still consistent.
run "$VIGIL" --db "$DB" analyze hotspots --where country=Iraq --cell-km 20 --all-cells --no-fdr
check_status 0 "--all-cells --no-fdr: exit 0"
check_contains "$ERR" "no FDR correction" "--no-fdr is said in the summary"
got=$(printf '%s\n' "$OUT" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
empty = sum(1 for r in rows if r["count"] == "0")
bad = [r for r in rows if r["class"] != "not-significant" and float(r["p"]) > 0.10]
print("empty cells" if empty else "no empty cell", "classes by p" if not bad else "bad %s" % bad[0])')
check_eq "empty cells classes by p" "$got" "--all-cells analyses empty cells; --no-fdr classes by the raw p"

# SVG: well-formed, with the legend.
run "$VIGIL" --db "$DB" analyze hotspots --cell-km 50 --format svg
check_status 0 "SVG: exit 0"
printf '%s\n' "$OUT" >map.svg
got=$(python3 -c '
import xml.dom.minidom as m
d = m.parse("map.svg")
svg = d.documentElement
rects = [r for r in svg.getElementsByTagName("rect") if "c " in r.getAttribute("class") + " "]
print(svg.tagName, len(rects) > 0)' 2>&1)
check_eq "svg True" "$got" "SVG: well-formed XML with cells drawn"
check_contains "$OUT" "Hot spot, 99 % confidence" "SVG: the legend"
check_contains "$OUT" "$((TOTAL - LOCATED)) without coordinates left out" "SVG: says what was left out"

# Density: incidents per km2 on the grid; times the cell area, it adds up to the incidents.
run "$VIGIL" --db "$DB" analyze hotspots --density --cell-km 5 --bandwidth-km 40
check_status 0 "density: exit 0"
check_eq "lat,lon,count,density" "$(printf '%s\n' "$OUT" | head -n 1)" "density: the CSV header"
got=$(printf '%s\n' "$OUT" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
print(round(sum(float(r["density"]) for r in rows) * 25), sum(int(r["count"]) for r in rows))')
check_eq "$LOCATED $LOCATED" "$got" "density: the surface integrates to the located incidents"
run "$VIGIL" --db "$DB" analyze hotspots --density --format geojson
check_status 0 "density GeoJSON: exit 0"
check_contains "$OUT" '"kernel":"quartic"' "density GeoJSON: the kernel is named"
run "$VIGIL" --db "$DB" analyze hotspots --density --format svg
check_contains "$OUT" "Incidents per km2" "density SVG: the legend"

# Filters: the same incidents as the database holds for them.
run "$VIGIL" --db "$DB" analyze hotspots --where country=Iraq --from 2015
check_status 0 "a filtered selection: exit 0"
want=$(sql "$DB" "select count(*) from incidents where country = 'Iraq' and year >= 2015")
wantloc=$(sql "$DB" "select count(*) from incidents where country = 'Iraq' and year >= 2015 and latitude is not null")
check_contains "$ERR" "vigil: $want incidents, $((want - wantloc)) without coordinates left out" \
    "a filtered selection: the incidents of the filter"
run "$VIGIL" --db "$DB" analyze hotspots --where country=Atlantis
check_status 1 "nothing selected: exit 1"
check_contains "$ERR" "no incidents to analyse" "nothing selected: the message"
run "$VIGIL" --db "$DB" analyze hotspots --where country=Iraq --cell-km 2400 --band-km 2400 --centre 0,0
check_status 1 "one cell: exit 1"
check_contains "$ERR" "fall in one cell of 2400 km" "one cell: the message says what to change"
run "$VIGIL" --db "$DB" analyze hotspots --cell-km 5000
check_status 1 "a cell wider than the projection allows: exit 1"
check_contains "$ERR" "must be at most 2500 km, not 5000" "a cell too wide: the message gives the limit"

# ---- the command line: exit 2 ----
usage_error() { # DESCRIPTION EXPECTED-MESSAGE ARGS...
    local desc=$1 msg=$2
    shift 2
    run "$VIGIL" --db "$DB" analyze hotspots "$@"
    check_status 2 "$desc: exit 2"
    check_contains "$ERR" "$msg" "$desc: the message"
}
usage_error "a cell of zero" "--cell-km must be a positive number of km, not '0'" --cell-km 0
usage_error "a negative cell" "--cell-km must be a positive number of km, not '-10'" --cell-km -10
usage_error "a cell that is not a number" "not 'ten'" --cell-km ten
usage_error "a band of zero" "--band-km must be a positive number of km, not '0'" --band-km 0
usage_error "a negative band" "--band-km must be a positive number of km, not '-1'" --band-km -1
usage_error "a NaN bandwidth" "--bandwidth-km must be a positive number of km, not 'nan'" --density --bandwidth-km nan
usage_error "a bandwidth without --density" "--bandwidth-km goes with --density" --bandwidth-km 5
usage_error "a bandwidth narrower than a cell" \
    "the bandwidth (5 km) must be at least the cell side (20 km) for a density surface" \
    --density --cell-km 20 --bandwidth-km 5
usage_error "a band, and so a bandwidth, narrower than a cell" \
    "the bandwidth (8 km) must be at least the cell side (10 km)" --density --band-km 8
usage_error "--all-cells with --density" "are for hot spots" --density --all-cells
usage_error "a centre out of range" "--centre must be LAT,LON" --centre 95,10
usage_error "an unknown format" "unknown format 'kml'" --format kml
usage_error "too many threads" "--threads must be a whole number from 1 to 64, not '65'" --threads 65
usage_error "a bad filter" "colour" --where colour=red
usage_error "a stray argument" "unexpected argument 'x'" x

run "$VIGIL" --db "$VG_SCRATCH/missing.db" analyze hotspots
check_status 1 "a missing database: exit 1"
check_contains "$ERR" "missing.db" "the message names the database"

run "$VIGIL" analyze hotspots --help
check_status 0 "--help: exit 0"
check_contains "$OUT" "Lambert azimuthal equal-area" "--help names the projection"
check_contains "$OUT" "--density" "--help describes --density"

finish
