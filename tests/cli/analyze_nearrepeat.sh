# analyze_nearrepeat.sh - `vigil analyze nearrepeat`: the near-repeat table on a handful of
# incidents with known coordinates and dates, every observed count worked out by hand, the
# expected counts against their exact values, the incidents left out, filters, the three formats,
# and usage and database errors.
. "$VG_TESTLIB"

DB="$VG_SCRATCH/nr.db"

# Six usable incidents on the equator (a degree of longitude is 111.195 km there, so 0.001
# degree is 0.111 km), three to be left out, one in another country:
#
#   id  longitude  date        day   distances (km) that matter
#   e1  0          2020-01-01    0
#   e2  0          2020-01-03    2   e1-e2 0 (same location)
#   e3  0.005      2020-01-05    4   e1-e3, e2-e3 0.556
#   e4  0.012      2020-01-12   11   e1-e4, e2-e4 1.334; e3-e4 0.778
#   e5  1          2020-03-01   60   more than 110 km from every other
#   e6  0.001      2020-01-20   19   e1-e6, e2-e6 0.111; e3-e6 0.445; e4-e6 1.223
#   e7  (none)     2020-01-02        no coordinates
#   e8  0          2020-01 (day unknown)
#   e9  0          2020 (month unknown)
#   s1  0.002      2020-01-02        Syria
#
# With --space-km 1 --space-bands 2 --days 7 --time-bands 2 the 15 pairs of e1..e6 fall as:
#
#                    0-7 days   8-14 days   > 14 days
#   same location    e1-e2 (2)      -           -                                  1 pair
#   0-1 km           e1-e3 (4)      -        e1-e6 (19)                           6 pairs
#                    e2-e3 (2)               e2-e6 (17)
#                    e3-e4 (7)               e3-e6 (15)
#   1-2 km               -       e1-e4 (11)     -                                  3 pairs
#                                e2-e4 (9)
#                                e4-e6 (8)
#   > 2 km               -          -        e5 with each other (41..60)          5 pairs
#
# Bounds are inclusive: e3-e4 at 7 days is in 0-7, e4-e6 at 8 in 8-14, e3-e6 at 15 beyond.
# Over all 15 pairs the day gaps fall 4 / 3 / 8 in the three columns, so a random shuffle of the
# dates puts a row's pairs in the columns in those proportions: the exact expected count of a
# cell is (pairs in its row) * (pairs in its column) / 15, e.g. 6 * 4 / 15 = 1.6 for 0-1 km,
# 0-7 days, and the Knox ratio there is 3 / 1.6 = 1.875.
cat >incidents.csv <<'CSV'
eventid,iyear,imonth,iday,country_txt,latitude,longitude
e1,2020,1,1,Iraq,0,0
e2,2020,1,3,Iraq,0,0
e3,2020,1,5,Iraq,0,0.005
e4,2020,1,12,Iraq,0,0.012
e5,2020,3,1,Iraq,0,1
e6,2020,1,20,Iraq,0,0.001
e7,2020,1,2,Iraq,,
e8,2020,1,0,Iraq,0,0
e9,2020,0,0,Iraq,0,0
s1,2020,1,2,Syria,0,0.002
CSV
run "$VIGIL" --db "$DB" ingest --json incidents.csv
check_summary 10 10 0 0 0 "the incidents are stored"

NR=(--space-km 1 --space-bands 2 --days 7 --time-bands 2)

run "$VIGIL" --db "$DB" analyze nearrepeat --help
check_status 0 "--help: exit 0"
check_contains "$OUT" "Usage: vigil [--db PATH] analyze nearrepeat" "--help prints the usage"
check_contains "$OUT" "same location" "--help describes the same-location row"

# ---- observed counts (CSV) ----
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --where country=Iraq --permutations 999 --format csv
check_status 0 "--format csv: exit 0"
check_eq "distance,distance_from_km,distance_to_km,time,time_from_days,time_to_days,observed,expected,ratio,p_value" \
    "$(printf '%s\n' "$OUT" | head -n 1)" "--format csv: the header"
check_eq "$(printf '%s\n' \
    "same location,0,0,0-7 days,0,7,1" "same location,0,0,8-14 days,8,14,0" "same location,0,0,> 14 days,15,,0" \
    "0-1 km,0,1,0-7 days,0,7,3" "0-1 km,0,1,8-14 days,8,14,0" "0-1 km,0,1,> 14 days,15,,3" \
    "1-2 km,1,2,0-7 days,0,7,0" "1-2 km,1,2,8-14 days,8,14,3" "1-2 km,1,2,> 14 days,15,,0" \
    "> 2 km,2,,0-7 days,0,7,0" "> 2 km,2,,8-14 days,8,14,0" "> 2 km,2,,> 14 days,15,,5")" \
    "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f1-7)" "the observed count of every cell, as worked by hand"

# ---- expected counts, ratios and p-values (JSON) ----
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --where country=Iraq --permutations 20000 --seed 3 --format json
check_status 0 "--format json: exit 0"
printf '%s\n' "$OUT" >nr.json
run python3 - nr.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
bad = []
def want(name, got, expected):
    if got != expected:
        bad.append("%s: %r, expected %r" % (name, got, expected))
want("incidents", t["incidents"], 6)
want("selected", t["selected"], 9)
want("no_location", t["no_location"], 1)
want("no_day", t["no_day"], 2)
want("pairs", t["pairs"], 15)
want("shape", (t["space_bands"], t["time_bands"], t["band_km"], t["band_days"]), (2, 2, 1, 7))
want("cells", len(t["cells"]), 12)
rows = {"same location": 1, "0-1 km": 6, "1-2 km": 3, "> 2 km": 5}
cols = {"0-7 days": 4, "8-14 days": 3, "> 14 days": 8}
for c in t["cells"]:
    exact = rows[c["distance"]] * cols[c["time"]] / 15
    # 20000 permutations: the mean is within a few hundredths of its exact value
    if abs(c["expected"] - exact) > 0.05:
        bad.append("%s, %s: expected %s, exact %s" % (c["distance"], c["time"], c["expected"], exact))
    if c["expected"] > 0 and abs(c["ratio"] - c["observed"] / c["expected"]) > 1e-12:
        bad.append("%s, %s: ratio %s" % (c["distance"], c["time"], c["ratio"]))
    if not (0 < c["p_value"] <= 1):
        bad.append("%s, %s: p %s" % (c["distance"], c["time"], c["p_value"]))
cell = {(c["distance"], c["time"]): c for c in t["cells"]}
c = cell[("0-1 km", "0-7 days")]
if abs(c["ratio"] - 1.875) > 0.06:
    bad.append("0-1 km, 0-7 days: ratio %s, about 3 / 1.6 = 1.875 expected" % c["ratio"])
# The expected counts of a row add up to its observed pairs (a shuffle moves no incident).
for r, n in rows.items():
    s = sum(c["expected"] for c in t["cells"] if c["distance"] == r)
    if abs(s - n) > 1e-9:
        bad.append("row %s: expected counts add up to %s, not %s" % (r, s, n))
# The same-location, 0-7 days pair: a shuffle puts it there with probability 4/15, so
# p = P(count >= 1) is about 4/15.
c = cell[("same location", "0-7 days")]
if abs(c["p_value"] - 4 / 15) > 0.02:
    bad.append("same location, 0-7 days: p %s, about 0.267 expected" % c["p_value"])
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check_status 0 "expected counts, ratios and p-values agree with their exact values"
check_empty "$OUT" "no disagreement reported"

# ---- the same seed, the same table, whatever the thread count ----
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --permutations 99 --seed 8 --threads 1 --format csv
one=$OUT
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --permutations 99 --seed 8 --threads 3 --format csv
check_eq "$one" "$OUT" "1 and 3 threads give the same table"

# ---- filters ----
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --format json
check_eq "7 10 1 2" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["incidents"], t["selected"], t["no_location"], t["no_day"])')" \
    "no filter: the Syrian incident is in (7 of 10 used)"
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --where country=Iraq --from 2020-01-02 --to 2020-02 --format json
check_eq "4 6" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["incidents"], t["pairs"])')" \
    "--from 2020-01-02 --to 2020-02 keeps e2, e3, e4 and e6"

# ---- table ----
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --where country=Iraq
check_status 0 "--format table (default): exit 0"
check_contains "$OUT" "Near-repeat table of 6 incidents (9 selected: 1 without coordinates, 2 without a date known to the day)" \
    "table: the incidents used and left out"
check_match "$OUT" "^Observed pairs$" "table: the observed block"
check_match "$OUT" "^0-1 km +3 +0 +3$" "table: the 0-1 km row of observed pairs"
check_match "$OUT" "^> 2 km +0 +0 +5$" "table: the row beyond 2 km"
check_match "$OUT" "^same location +[0-9]+\.[0-9]{2}(\*{1,2})? " "table: the same-location row of ratios"

# ---- errors ----
usage_error() { # DESCRIPTION NEEDLE ARGS...
    local desc=$1 needle=$2
    shift 2
    run "$VIGIL" --db "$DB" analyze nearrepeat "$@"
    check_status 2 "$desc: exit 2"
    check_contains "$ERR" "$needle" "$desc: the message names '$needle'"
    check_empty "$OUT" "$desc: nothing on stdout"
}
usage_error "a band of 0 km" "--space-km must be a number greater than 0, not '0'" --space-km 0 --days 7
usage_error "a negative band" "not '-1'" --space-km -1 --days 7
usage_error "a band of 0 days" "--days must be a whole number from 1 to 36525, not '0'" --space-km 1 --days 0
usage_error "a fraction of a day" "not '1.5'" --space-km 1 --days 1.5
usage_error "0 distance bands" "--space-bands must be a whole number from 1 to 100" --space-km 1 --days 7 --space-bands 0
usage_error "too many time bands" "--time-bands must be a whole number from 1 to 100, not '101'" --space-km 1 --days 7 --time-bands 101
usage_error "0 permutations" "--permutations must be a whole number from 1 to 100000, not '0'" --space-km 1 --days 7 --permutations 0
usage_error "no --space-km" "--space-km W is required" --days 7
usage_error "no --days" "--days T is required" --space-km 1
usage_error "a bad filter" "colour" --space-km 1 --days 7 --where colour=red
usage_error "a bad date" "2020-13" --space-km 1 --days 7 --from 2020-13
usage_error "an unknown format" "xml" --space-km 1 --days 7 --format xml

run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --where country=Atlantis
check_status 1 "a selection with no incidents: exit 1"
check_contains "$ERR" "at least two incidents with coordinates and a date known to the day" \
    "a selection too small is explained"
run "$VIGIL" --db "$DB" analyze nearrepeat "${NR[@]}" --where country=Syria
check_status 1 "a selection of one incident: exit 1"
check_contains "$ERR" "the selection has 1" "the message counts what the selection has"
run "$VIGIL" --db "$VG_SCRATCH/missing.db" analyze nearrepeat "${NR[@]}"
check_status 1 "a missing database: exit 1"
check_contains "$ERR" "missing.db" "the missing database is named"

finish
