# analyze_trend.sh - `vigil analyze trend`: incidents, killed and wounded per year, month and ISO
# week, with the change from the period before, as CSV, JSON, a table and an SVG chart; checked
# against the same database read directly with sqlite3 and Python; ISO weeks at the turn of the
# year; incidents left out for lack of a month or a day; --out; usage errors.
. "$VG_TESTLIB"

DB="$VG_SCRATCH/t.db"
run "$VIGIL" --db "$DB" ingest --json "$VG_SAMPLE_DATA/drone_gtd_acled_20260509.csv"
check_status 0 "the sample ingests"

# Edge rows in a country of their own: the last days of 2020 and the first of 2021 (ISO week
# 2020-W53 runs from Monday 2020-12-28 to Sunday 2021-01-03), dates without a day or a month,
# unknown casualty counts, a group name that needs quoting.
cat >edge.csv <<'CSV'
eventid,iyear,imonth,iday,country_txt,region_txt,gname,nkill,nwound
r1,2020,12,31,Ruritania,Elsewhere,"Group, ""R""",1,2
r2,2021,1,3,Ruritania,Elsewhere,"Group, ""R""",,1
r3,2021,1,4,Ruritania,Elsewhere,Other R,3,
r4,2021,3,0,Ruritania,Elsewhere,Other R,5,5
r5,2021,0,0,Ruritania,Elsewhere,,2,
r6,2020,12,27,Ruritania,Elsewhere,Other R,,
CSV
run "$VIGIL" --db "$DB" ingest --json edge.csv
check_summary 6 6 0 0 0 "the edge-case rows are stored"

# expected.py ARGS...: what `vigil analyze trend ARGS --format csv` must print, computed from the
# database with Python's own calendar (date.isocalendar for ISO weeks). ARGS: --period, --by,
# --where, --from, --to, as for vigil; --json prints {"left_out": N, "rows": N} instead.
cat >expected.py <<'PY'
import csv, datetime, sqlite3, sys
args = sys.argv[2:]
period, by, where, lo, hi, as_json = None, None, {}, None, None, False
cols = {"year": "year", "month": "month", "country": "country", "region": "region",
        "attack": "attack", "target": "target", "weapon": "weapon", "group": "group_name",
        "source": "source"}
def date(s, end):
    parts = [int(p) for p in s.split("-")]
    return tuple(parts + [99 if end else 0] * (3 - len(parts)))
i = 0
while i < len(args):
    a = args[i]
    if a == "--json":
        as_json = True; i += 1; continue
    v = args[i + 1]; i += 2
    if a == "--period": period = v
    elif a == "--by": by = v
    elif a == "--where":
        f, val = v.split("=", 1)
        where.setdefault(f, []).append(int(val) if f in ("year", "month") else val)
    elif a == "--from": lo = date(v, False)
    elif a == "--to": hi = date(v, True)
db = sqlite3.connect(sys.argv[1])
db.row_factory = sqlite3.Row
def key(r):
    y, m, d = r["year"], r["month"], r["day"]
    if period == "year": return y
    if period == "month": return None if m is None else y * 12 + m - 1
    if m is None or d is None: return None
    return (datetime.date(y, m, d).toordinal() - 1) // 7  # ordinal 1, 0001-01-01, is a Monday
def label(k):
    if period == "year": return "%d" % k
    if period == "month": return "%04d-%02d" % (k // 12, k % 12 + 1)
    iy, w, _ = datetime.date.fromordinal(k * 7 + 1).isocalendar()
    return "%04d-W%02d" % (iy, w)
cells, groups, left_out = {}, set(), 0
for r in db.execute("select * from incidents"):
    if any(r[cols[f]] not in vals for f, vals in where.items()):
        continue
    d = (r["year"], r["month"] or 0, r["day"] or 0)
    if (lo and d < lo) or (hi and d > hi):
        continue
    k = key(r)
    if k is None:
        left_out += 1; continue
    g = r[cols[by]] if by else None
    groups.add(g)
    c = cells.setdefault((g, k), [0, None, None])
    c[0] += 1
    for j, m in ((1, "killed"), (2, "wounded")):
        if r[m] is not None:
            c[j] = (c[j] or 0) + r[m]
ks = [k for (_, k) in cells]
rows = []
order = sorted(groups, key=lambda g: (g is None, g if g is not None else ""))
for g in order:
    prev = None
    for k in range(min(ks), max(ks) + 1) if ks else []:
        c = cells.get((g, k), [0, 0, 0])
        row = ([("" if g is None else g)] if by else []) + [label(k)]
        for j in range(3):
            v = c[j]
            p = prev[j] if prev else None
            delta = "" if v is None or p is None else v - p
            pct = ""
            if delta != "" and p != 0:
                x = 100.0 * delta / p
                pct = "%.2f" % (0.0 if abs(x) < 0.005 else x)
            row += ["" if v is None else v, delta, pct]
        rows.append(row)
        prev = c
if as_json:
    print('{"left_out": %d, "rows": %d}' % (left_out, len(rows)))
else:
    w = csv.writer(sys.stdout, lineterminator="\n")
    head = ([by] if by else []) + ["period"]
    for m in ("incidents", "killed", "wounded"):
        head += [m, m + "_change", m + "_pct"]
    w.writerow(head)
    w.writerows(rows)
PY

# check_csv DESCRIPTION ARGS...: `vigil analyze trend ARGS --format csv` prints what expected.py
# computes, byte for byte.
check_csv() {
    local desc=$1
    shift
    run "$VIGIL" --db "$DB" analyze trend "$@" --format csv
    check_status 0 "$desc: exit 0"
    printf '%s\n' "$OUT" >got.csv
    python3 expected.py "$DB" "$@" >want.csv
    check_files_equal want.csv got.csv "$desc: the CSV is as computed from the database"
}

check_csv "--period year" --period year
check_csv "--period month" --period month
check_csv "--period week" --period week
check_csv "--period month --by country" --period month --by country
check_csv "--period week --by group (names that need quoting)" --period week --by group
check_csv "--period year --by month (a numeric dimension)" --period year --by month
check_csv "--period month --where country=Iraq" --period month --where country=Iraq
check_csv "--period week --from 2020-11 --to 2021-02" --period week --from 2020-11 --to 2021-02
check_csv "--period month --by source --where region=South Asia --to 2022" \
    --period month --by source --where "region=South Asia" --to 2022

# ---- counts against sqlite3 ----
run "$VIGIL" --db "$DB" analyze trend --period year --format csv
check_eq "$(sql "$DB" "select count(*) from incidents where year = 2021")" \
    "$(printf '%s\n' "$OUT" | grep '^2021,' | cut -d, -f2)" "the 2021 count equals the database's"
check_eq "$(sql "$DB" "select count(*) from incidents")" \
    "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F, '{ n += $2 } END { print n }')" \
    "the yearly counts add up to every incident"
check_eq "$(sql "$DB" "select sum(killed) from incidents where year = 2023")" \
    "$(printf '%s\n' "$OUT" | grep '^2023,' | cut -d, -f5)" "the 2023 killed equal the database's sum"
y22=$(sql "$DB" "select count(*) from incidents where year = 2022")
y23=$(sql "$DB" "select count(*) from incidents where year = 2023")
check_eq "$((y23 - y22))" "$(printf '%s\n' "$OUT" | grep '^2023,' | cut -d, -f3)" \
    "the 2023 change is the 2023 count less the 2022 count"
check_eq "$(python3 -c "print('%.2f' % (100.0 * ($y23 - $y22) / $y22))")" \
    "$(printf '%s\n' "$OUT" | grep '^2023,' | cut -d, -f4)" "the 2023 change in percent"
check_match "$(printf '%s\n' "$OUT" | sed -n 2p)" "^2008,[0-9]+,,," "the first period has no change"

run "$VIGIL" --db "$DB" analyze trend --period month --format csv
check_eq "$(sql "$DB" "select count(*) from incidents where year = 2021 and month = 1")" \
    "$(printf '%s\n' "$OUT" | grep '^2021-01,' | cut -d, -f2)" "the 2021-01 count equals the database's"
check_eq "$(sql "$DB" "select count(*) from incidents where month is not null")" \
    "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F, '{ n += $2 } END { print n }')" \
    "the monthly counts add up to the incidents with a month"
first=$(sql "$DB" "select min(year * 12 + month - 1) from incidents where month is not null")
last=$(sql "$DB" "select max(year * 12 + month - 1) from incidents where month is not null")
check_eq "$((last - first + 1))" "$(($(printf '%s\n' "$OUT" | wc -l) - 1))" \
    "one row per month from the first to the last, months without incidents included"
check_match "$OUT" "^[0-9]{4}-[0-9]{2},0,-[0-9]+,-100.00," "a month without incidents is listed with 0"

# ---- ISO weeks at the turn of the year ----
run "$VIGIL" --db "$DB" analyze trend --period week --where country=Ruritania --format csv
check_status 0 "weekly, one country: exit 0"
check_eq "2020-W52 2020-W53 2021-W01" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f1 | xargs)" \
    "2020-12-27 is in 2020-W52; 2020-12-31 and 2021-01-03 in 2020-W53; 2021-01-04 in 2021-W01"
# 2020-W52: r6, casualties unknown; 2020-W53: r1 and r2, killed 1 (r2's unknown), wounded 2 + 1;
# 2021-W01: r3, killed 3, wounded unknown. A change from or to an unknown sum is unknown.
check_eq "2020-W52,1,,,,,,,,"$'\n'"2020-W53,2,1,100.00,1,,,3,,"$'\n'"2021-W01,1,-1,-50.00,3,2,200.00,,," \
    "$(printf '%s\n' "$OUT" | tail -n +2)" "the weeks' counts, sums and changes"
check_contains "$ERR" "2 of 6 incidents left out: their date has no month or no day" \
    "the incidents without a day are counted on stderr"
run "$VIGIL" --db "$DB" analyze trend --period month --where country=Ruritania --format csv
check_contains "$ERR" "1 of 6 incidents left out: their date has no month" \
    "monthly, only the incident without a month is left out"
run "$VIGIL" --db "$DB" analyze trend --period year --where country=Ruritania --format csv
check_empty "$ERR" "yearly, nothing is left out and nothing is said"
check_eq "2020,2,,,1,,,2,,"$'\n'"2021,4,2,100.00,10,9,900.00,6,4,200.00" \
    "$(printf '%s\n' "$OUT" | tail -n +2)" "yearly: killed and wounded add the known values"

# ---- JSON ----
run "$VIGIL" --db "$DB" analyze trend --period week --by country --format json
check_status 0 "--format json: exit 0"
printf '%s\n' "$OUT" >got.json
python3 expected.py "$DB" --period week --by country --json >want.json
run python3 -c '
import csv, io, json, sys
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
assert got["period"] == "week" and got["by"] == "country", (got["period"], got["by"])
assert got["left_out"] == want["left_out"], (got["left_out"], want["left_out"])
assert len(got["rows"]) == want["rows"], (len(got["rows"]), want["rows"])
assert got["first"] == got["rows"][0]["period"]
assert got["selected"] == sum(r["incidents"] for r in got["rows"]) + got["left_out"]
for r in got["rows"]:
    for m in ("incidents", "killed", "wounded"):
        assert r[m] is None or type(r[m]) is int, r
        assert r[m + "_change"] is None or type(r[m + "_change"]) is int, r
' got.json want.json
check_status 0 "--format json: the fields, left_out and the number of rows are right"
check_eq "$(sql "$DB" "select count(*) from incidents where month is null or day is null")" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["left_out"])' got.json)" \
    "left_out is the number of incidents without a month or a day"
run "$VIGIL" --db "$DB" analyze trend --period week --by country --format csv
printf '%s\n' "$OUT" >got.csv
run python3 -c '
import csv, json, sys
rows = json.load(open(sys.argv[1]))["rows"]
table = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == len(table)
for j, c in zip(rows, table):
    for k, v in c.items():
        w = j[k]
        w = "" if w is None else ("%.2f" % w if k.endswith("_pct") else str(w))
        assert w == v, (k, w, v)
' got.json got.csv
check_status 0 "--format json holds the same rows as --format csv"

# ---- table ----
run "$VIGIL" --db "$DB" analyze trend --period year --where country=Ruritania
check_status 0 "the table is the default format"
check_eq "period incidents chg pct killed chg pct wounded chg pct" \
    "$(printf '%s\n' "$OUT" | head -n 1 | xargs)" "the table's header"
check_eq "2021 4 +2 +100.0% 10 +9 +900.0% 6 +4 +200.0%" "$(printf '%s\n' "$OUT" | tail -n 1 | xargs)" \
    "the table's numbers and signed changes"
run "$VIGIL" --db "$DB" analyze trend --period week --where country=Ruritania
check_match "$OUT" "^2021-W01 +1 +-1 +-50.0% +3 +\+2 +\+200.0% +\(unknown\) +- +-$" \
    "an unknown sum shows as (unknown), a change that cannot be told as -"

# ---- SVG ----
run "$VIGIL" --db "$DB" analyze trend --period month --by country --format svg --out chart.svg
check_status 0 "--format svg --out FILE: exit 0"
check_empty "$OUT" "--out: nothing on stdout"
check_file "--out writes the file" chart.svg
run python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' chart.svg
check_status 0 "the chart parses as XML"
ncountries=$(sql "$DB" "select count(distinct country) from incidents where month is not null")
run python3 -c '
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
svg = doc.documentElement
assert svg.tagName == "svg" and svg.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
texts = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
print("\n".join(texts))
' chart.svg
check_status 0 "the chart is an svg element in the SVG namespace"
texts=$OUT
check_contains "$texts" "Incidents per month by country" "the chart has a title"
check_contains "$texts" "incidents" "the y axis has a title"
check_contains "$texts" "month" "the x axis has a title"
check_match "$texts" "^[0-9]{4}-01$" "the x axis has period tick labels (Januaries)"
check_match "$texts" "^10$" "the y axis has number tick labels"
top=$(sql "$DB" "select country from incidents where month is not null group by country order by count(*) desc, country limit 8")
while IFS= read -r name; do
    check_contains "$texts" "$name" "the legend names the top country $name"
done <<<"$top"
check_contains "$texts" "other ($((ncountries - 8)) values)" "the legend sums the rest as other"
grep -q 'fill="#ffffff"' chart.svg && pass "the chart has a white background" ||
    fail "the chart has a white background"

run "$VIGIL" --db "$DB" analyze trend --period week --where country=Ruritania --by group --format svg
check_status 0 "--format svg to stdout: exit 0"
printf '%s\n' "$OUT" >small.svg
run python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' small.svg
check_status 0 "a chart with a quoted name parses as XML"
check_contains "$(cat small.svg)" "Group, &quot;R&quot;" "names are escaped in the chart"
check_contains "$(cat small.svg)" "2020-W53" "the week labels are ISO weeks"

run "$VIGIL" --db "$DB" analyze trend --period year --measure killed --top 3 --by group --format svg --out k.svg
check_status 0 "--measure killed --top 3: exit 0"
run python3 -c '
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
texts = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
assert any(t.startswith("Killed per year by group") for t in texts), texts[:3]
assert sum(1 for t in texts if t.startswith("other (")) == 1
lines = [g for g in doc.getElementsByTagName("g") if g.getAttribute("stroke-width") == "2"]
assert len(lines) == 4, len(lines)  # 3 groups and "other"
' k.svg
check_status 0 "the killed chart has the 3 top groups and other"

run "$VIGIL" --db "$DB" analyze trend --period month --where country=Atlantis --format svg --out none.svg
check_status 0 "a chart of nothing: exit 0"
run python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' none.svg
check_status 0 "a chart of nothing parses as XML"
check_contains "$(cat none.svg)" "no incident matches" "a chart of nothing says so"

# --out is whole or not at all: nothing is left on an error.
run "$VIGIL" --db "$DB" analyze trend --period fortnight --out bad.csv
check_status 2 "a usage error with --out: exit 2"
check_no_file "a usage error leaves no output file" bad.csv "bad.csv.tmp"*
run "$VIGIL" --db "$DB" analyze trend --period year --out "$VG_SCRATCH/no/such/dir/x.csv"
check_status 1 "--out into a missing directory: exit 1"
check_contains "$ERR" "no/such/dir/x.csv" "the message names the file"
run "$VIGIL" --db "$DB" analyze trend --period year --format csv --out y.csv
check_eq "$(python3 expected.py "$DB" --period year)" "$(cat y.csv)" "--out FILE holds the output"
check_no_file "no temporary file is left" y.csv.tmp*

# ---- nothing selected: an empty answer, not an error ----
run "$VIGIL" --db "$DB" analyze trend --period week --where country=Atlantis --format csv
check_status 0 "a filter that matches nothing: exit 0"
check_eq "period,incidents,incidents_change,incidents_pct,killed,killed_change,killed_pct,wounded,wounded_change,wounded_pct" \
    "$OUT" "a filter that matches nothing prints the header only"
run "$VIGIL" --db "$DB" analyze trend --period week --where country=Atlantis --format json
printf '%s\n' "$OUT" >none.json
run python3 -c 'import json,sys; v = json.load(open(sys.argv[1])); sys.exit(0 if v["rows"] == [] and v["selected"] == 0 and v["first"] is None else 1)' none.json
check_status 0 "--format json with nothing matched: no rows, valid JSON"

# ---- help and usage errors: exit 2, the message names the problem ----
run "$VIGIL" analyze trend --help
check_status 0 "--help: exit 0"
check_contains "$OUT" "Usage: vigil [--db PATH] analyze trend --period year|month|week" "--help shows the usage"
check_contains "$OUT" "ISO 8601" "--help explains the weeks"

usage_error() { # DESCRIPTION NEEDLE ARGS...
    local desc=$1 needle=$2
    shift 2
    run "$VIGIL" --db "$DB" analyze trend "$@"
    check_status 2 "$desc: exit 2"
    check_contains "$ERR" "$needle" "$desc: the message names '$needle'"
    check_empty "$OUT" "$desc: nothing on stdout"
}
usage_error "no --period" "--period is required" --by country
usage_error "an unknown period" "fortnight" --period fortnight
usage_error "an unknown dimension" "colour" --period year --by colour
usage_error "an unknown format" "xml" --period year --format xml
usage_error "an unknown measure" "victims" --period year --measure victims
usage_error "--top 0" "--top" --period year --top 0
usage_error "--top that is not a number" "many" --period year --top many
usage_error "--top past the chart's lines" "--top" --period year --top 16
usage_error "a filter on an unknown field" "colour" --period year --where colour=red
usage_error "--from after --to" "--from" --period year --from 2022 --to 2021
usage_error "a date that is not a date" "2021-02-30" --period year --from 2021-02-30
usage_error "an unknown option" "--smooth" --period year --smooth
usage_error "a stray argument" "extra" --period year extra
usage_error "--out without a name" "--out" --period year --out ""

run "$VIGIL" --db "$VG_SCRATCH/missing.db" analyze trend --period year
check_status 1 "a missing database: exit 1"
check_no_file "trend does not create a missing database" missing.db

finish
