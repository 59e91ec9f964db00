# analyze_surge.sh - `vigil analyze surge`: alarms of Poisson CUSUM, EWMA and EARS C1/C2/C3 on a
# weekly series made for the test, whose figures are worked out by hand below; the same methods on
# the sample data, checked against `analyze trend`; JSON, --all, parameters, usage errors.
. "$VG_TESTLIB"

DB="$VG_SCRATCH/s.db"
run "$VIGIL" --db "$DB" ingest --json "$VG_SAMPLE_DATA/drone_gtd_acled_20260509.csv"
check_status 0 "the sample ingests"

# Testland: 4 incidents a week in the ISO weeks 2021-W01 .. W10, then 9 in W11 and W12 (each on
# the week's Monday, 2021-01-04 + 7 (w - 1)), and one incident of February 2021 whose day is
# unknown.
python3 - <<'PY' >testland.csv
import datetime
print("eventid,iyear,imonth,iday,country_txt,gname,nkill,nwound")
n = 0
for w in range(1, 13):
    d = datetime.date(2021, 1, 4) + datetime.timedelta(weeks=w - 1)
    for _ in range(9 if w > 10 else 4):
        n += 1
        print("t%d,%d,%d,%d,Testland,T,0,0" % (n, d.year, d.month, d.day))
print("tx,2021,2,0,Testland,T,1,1")
PY
run "$VIGIL" --db "$DB" ingest --json testland.csv
check_summary 59 59 0 0 0 "the Testland rows are stored"
run "$VIGIL" --db "$DB" analyze trend --period week --where country=Testland --format csv
check_eq "4 4 4 4 4 4 4 4 4 4 9 9" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f2 | xargs)" \
    "Testland's weekly counts are 4 (ten weeks), 9, 9"

T=(--where country=Testland --period week --format csv)
HEAD="period,method,observed,expected,score,threshold"

# ---- CUSUM (defaults: baseline 8, guard 2, delta 2, h 5, min-mean 0.5) ----
# The first period tested is t = 10 (W11), with the baseline t = 0 .. 7, all 4: mu0 = 4,
# mu1 = 4 + 2 sqrt(4) = 8, k = (8 - 4) / (ln 8 - ln 4) = 4 / ln 2 = 5.770780.
#   W11: S = 0 + 9 - 5.770780 = 3.229220 < 5
#   W12: S = 3.229220 + 9 - 5.770780 = 6.458440 >= 5: alarm
run "$VIGIL" --db "$DB" analyze surge "${T[@]}"
check_status 0 "cusum: exit 0"
check_eq "$HEAD"$'\n'"2021-W12,cusum,9,4,6.45844,5" "$OUT" "cusum: one alarm, in W12, S = 6.45844"
check_contains "$ERR" "1 of 59 incidents left out: their date has no month or no day" \
    "the incident without a day is counted on stderr"

run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --all
check_eq "$HEAD,alarm"$'\n'"2021-W11,cusum,9,4,3.22922,5,0"$'\n'"2021-W12,cusum,9,4,6.45844,5,1" \
    "$OUT" "cusum --all: every period tested, W11 below h, W12 above"

# h = 7: 6.458 < 7, no alarm.
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --h 7
check_status 0 "cusum --h 7: exit 0"
check_eq "$HEAD" "$OUT" "cusum --h 7: no alarm (6.458 < 7), the header only"

# delta = 1, baseline 4, no guard: the first period tested is W05. Up to W11 the baseline is
# 4 4 4 4: mu1 = 4 + 2 = 6, k = 2 / ln 1.5 = 4.932607, and 4 - k < 0 keeps S at 0 until W11:
# S = 9 - k = 4.067393 < 5. W12: the baseline is now 4 4 4 9, mu0 = 5.25, mu1 = 5.25 +
# sqrt(5.25) = 7.541288, k = 2.291288 / ln(7.541288 / 5.25) = 6.326643, S = 4.067393 + 9 - k
# = 6.740750 >= 5.
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --delta 1 --baseline 4 --guard 0 --all
check_eq "0 0 0 0 0 0 4.06739 6.74075" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f5 | xargs)" \
    "cusum --delta 1 --baseline 4 --guard 0: S over W05 .. W12"
check_eq "2021-W05" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -d, -f1)" \
    "with baseline 4 and guard 0 the first period tested is the fifth"

# ---- EWMA (lambda 0.2, L 3, min-sd 1) ----
# Baseline all 4: mu0 = 4, sd 0 floored at 1; Z starts at 4.
#   W11 (i = 1): Z = 0.2 * 9 + 0.8 * 4 = 5.0; limit 4 + 3 sqrt(0.2/1.8 (1 - 0.8^2)) = 4 + 3 * 0.2
#                = 4.6: alarm
#   W12 (i = 2): Z = 0.2 * 9 + 0.8 * 5 = 5.8; limit 4 + 3 sqrt(0.2/1.8 (1 - 0.8^4)) = 4.768375:
#                alarm
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --method ewma
check_eq "$HEAD"$'\n'"2021-W11,ewma,9,4,5,4.6"$'\n'"2021-W12,ewma,9,4,5.8,4.76837" "$OUT" \
    "ewma: alarms in W11 and W12 with the hand-computed Z and limits"

# ---- EARS ----
# C1 at W11: the 7 weeks before are all 4, sd 0 floored at 1: (9 - 4) / 1 = 5 > 3: alarm.
# C1 at W12: baseline 4 4 4 4 4 4 9, mean 4.714286, sd 1.889822: (9 - 4.714286) / 1.889822
#            = 2.27 <= 3: none.
# C2 at W11 and W12: the 7 weeks before a guard of 2 are all 4: (9 - 4) / 1 = 5: alarms.
# C3 at W12 (the first it can test): C2 of W10, W11, W12 = 0, 5, 5: 0 + 4 + 4 = 8 > 2: alarm.
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --method ears
check_eq "$HEAD"$'\n'"2021-W11,ears-c1,9,4,5,3"$'\n'"2021-W11,ears-c2,9,4,5,3"$'\n'"2021-W12,ears-c2,9,4,5,3"$'\n'"2021-W12,ears-c3,9,4,8,2" \
    "$OUT" "ears: C1 in W11, C2 in W11 and W12, C3 in W12, in order of period then method"
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --method ears-c1 --all
check_eq "2021-W12,ears-c1,9,4.71429,2.26779,3,0" "$(printf '%s\n' "$OUT" | tail -n 1)" \
    "ears-c1 in W12: mean 4.71429, C1 2.26779, no alarm"
# --min-sd 2: C1 in W11 is (9 - 4) / 2 = 2.5, in W12 (9 - 4.714286) / 2 = 2.14: no alarm.
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --method ears-c1 --min-sd 2
check_eq "$HEAD" "$OUT" "--min-sd 2: no C1 alarm"
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --method ears-c1 --min-sd 2 --all
check_eq "2021-W11,ears-c1,9,4,2.5,3,0" "$(printf '%s\n' "$OUT" | grep W11)" \
    "--min-sd 2: C1 in W11 is (9 - 4) / 2 = 2.5, no alarm"
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --method cusum,ewma
check_eq "2021-W11,ewma 2021-W12,cusum 2021-W12,ewma" \
    "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f1,2 | xargs)" "--method cusum,ewma: both, ordered"

# ---- grouping, table, JSON ----
run "$VIGIL" --db "$DB" analyze surge "${T[@]}" --by country
check_eq "country,$HEAD"$'\n'"Testland,2021-W12,cusum,9,4,6.45844,5" "$OUT" \
    "--by country: the group comes first"
run "$VIGIL" --db "$DB" analyze surge --period week --where country=Testland --method ewma
check_eq "period method observed expected score threshold" "$(printf '%s\n' "$OUT" | head -n 1 | xargs)" \
    "the table's header"
check_eq "2021-W12 ewma 9 4.00 5.80 4.77" "$(printf '%s\n' "$OUT" | tail -n 1 | xargs)" "the table's row"

run "$VIGIL" --db "$DB" analyze surge --period week --where country=Testland --method ears --format json
check_status 0 "--format json: exit 0"
printf '%s\n' "$OUT" >t.json
run python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["period"] == "week" and v["by"] is None, v
assert v["methods"] == ["ears-c1", "ears-c2", "ears-c3"], v["methods"]
p = v["parameters"]
assert (p["baseline"], p["guard"], p["delta"], p["h"], p["lambda"], p["L"], p["min_sd"]) == (8, 2, 2, 5, 0.2, 3, 1), p
assert v["selected"] == 59 and v["left_out"] == 1, v
assert v["first"] == "2021-W01" and v["last"] == "2021-W12", v
a = v["alarms"]
assert [(x["period"], x["method"], x["observed"], x["score"]) for x in a] == [
    ("2021-W11", "ears-c1", 9, 5), ("2021-W11", "ears-c2", 9, 5), ("2021-W12", "ears-c2", 9, 5),
    ("2021-W12", "ears-c3", 9, 8)], a
' t.json
check_status 0 "--format json: method, parameters, left_out and the alarms"
run "$VIGIL" --db "$DB" analyze surge --period week --where country=Testland --format json --all --by group
printf '%s\n' "$OUT" >all.json
run python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
pts = v["points"]
assert [x["alarm"] for x in pts] == [False, True], pts
assert all(x["group"] == "T" for x in pts), pts
' all.json
check_status 0 "--format json --all: points with their alarm, and the group"

# ---- the sample: alarms agree with the counts of analyze trend ----
run "$VIGIL" --db "$DB" analyze trend --period month --by country --format csv
printf '%s\n' "$OUT" >trend.csv
for method in cusum ewma ears; do
    run "$VIGIL" --db "$DB" analyze surge --period month --by country --method $method --format csv
    check_status 0 "sample, monthly by country, $method: exit 0"
    printf '%s\n' "$OUT" >alarms.csv
    run python3 -c '
import csv, sys
counts = {(r["country"], r["period"]): int(r["incidents"]) for r in csv.DictReader(open(sys.argv[1]))}
rows = list(csv.DictReader(open(sys.argv[2])))
assert rows, "no alarm at all"
for r in rows:
    assert float(r["observed"]) == counts[(r["country"], r["period"])], r
    if r["method"] == "cusum":
        assert float(r["score"]) >= float(r["threshold"]), r
    else:
        assert float(r["score"]) > float(r["threshold"]), r
' trend.csv alarms.csv
    check_status 0 "sample, $method: every alarm has the month's count and a score past its threshold"
done
run "$VIGIL" --db "$DB" analyze surge --period week --method cusum,ewma,ears --format csv --out all.csv
check_status 0 "sample, weekly, every method, --out: exit 0"
check_empty "$OUT" "--out: nothing on stdout"
check_eq "$HEAD" "$(head -n 1 all.csv)" "--out FILE holds the output"

# ---- nothing to test: a clear empty answer ----
run "$VIGIL" --db "$DB" analyze surge --period week --where country=Atlantis --format csv
check_status 0 "a filter that matches nothing: exit 0"
check_eq "$HEAD" "$OUT" "a filter that matches nothing prints the header only"
run "$VIGIL" --db "$DB" analyze surge --period week --where country=Atlantis --format json
printf '%s\n' "$OUT" >none.json
run python3 -c 'import json,sys; v = json.load(open(sys.argv[1])); sys.exit(0 if v["alarms"] == [] and v["selected"] == 0 else 1)' none.json
check_status 0 "--format json with nothing matched: no alarms, valid JSON"
run "$VIGIL" --db "$DB" analyze surge --period month --where country=Testland --format csv --all
check_eq "$HEAD,alarm" "$OUT" "three months are too short a history: nothing tested"

# ---- help and usage errors: exit 2, the message names the problem ----
run "$VIGIL" analyze surge --help
check_status 0 "--help: exit 0"
check_contains "$OUT" "Usage: vigil [--db PATH] analyze surge --period week|month" "--help shows the usage"
check_contains "$OUT" "--h H" "--help lists the CUSUM threshold"
check_contains "$OUT" "default 5" "--help gives the defaults"

usage_error() { # DESCRIPTION NEEDLE ARGS...
    local desc=$1 needle=$2
    shift 2
    run "$VIGIL" --db "$DB" analyze surge "$@"
    check_status 2 "$desc: exit 2"
    check_contains "$ERR" "$needle" "$desc: the message names '$needle'"
    check_empty "$OUT" "$desc: nothing on stdout"
}
usage_error "no --period" "--period is required" --method cusum
usage_error "an unknown period" "fortnight" --period fortnight
usage_error "years are too few for surges" "week or month" --period year
usage_error "an unknown method" "farrington" --period week --method farrington
usage_error "an empty method in a list" "unknown method" --period week --method cusum,
usage_error "h = 0" "h must be above 0 and at most 1000000" --period week --h 0
usage_error "h < 0" "h must be above 0 and at most 1000000" --period week --h -3
usage_error "h not a number" "'five'" --period week --h five
usage_error "h not finite" "'inf'" --period week --h inf
usage_error "delta = 0" "delta" --period week --delta 0
usage_error "baseline 1" "baseline" --period week --baseline 1
usage_error "baseline not a whole number" "'8.5'" --period week --baseline 8.5
usage_error "a negative guard" "'-1'" --period week --guard -1
usage_error "lambda above 1" "lambda" --period week --lambda 1.5
usage_error "L = 0" "L must be" --period week --L 0
usage_error "delta past 100" "delta must be above 0 and at most 100" --period week --delta 101
usage_error "a huge L" "L must be above 0 and at most 100" --period week --method ewma --L 1e308
usage_error "a huge minimum mean" "the minimum mean must be above 0 and at most 1000000000" \
    --period week --min-mean 1e300

# A shift too small to tell from the baseline still gives numbers, and valid JSON.
run "$VIGIL" --db "$DB" analyze surge --period month --delta 1e-20 --all --format json
check_status 0 "--delta 1e-20: exit 0"
check_eq "ok" "$(printf '%s' "$OUT" | python3 -c '
import json, math, sys
doc = json.load(sys.stdin)
def walk(v):
    if isinstance(v, float) and not math.isfinite(v):
        raise SystemExit("not finite: %r" % v)
    for w in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else []):
        walk(w)
walk(doc)
print("ok")' 2>&1)" "--delta 1e-20 --all --format json is valid JSON with finite numbers"
usage_error "min-sd = 0" "minimum sd" --period week --min-sd 0
usage_error "min-mean < 0" "minimum mean" --period week --min-mean -1
usage_error "an unknown format" "svg" --period week --format svg
usage_error "an unknown dimension" "colour" --period week --by colour
usage_error "--from after --to" "--from" --period week --from 2022 --to 2021
usage_error "a stray argument" "extra" --period week extra

run "$VIGIL" --db "$VG_SCRATCH/missing.db" analyze surge --period week
check_status 1 "a missing database: exit 1"
check_no_file "surge does not create a missing database" missing.db

finish
