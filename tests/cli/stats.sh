# stats.sh - `vigil stats`: grouped counts and sums as CSV, JSON and a table, with filters and a
# date range, checked against the same database read directly; usage errors and a missing database.
. "$VG_TESTLIB"

DB="$VG_SCRATCH/s.db"
run "$VIGIL" --db "$DB" ingest --json "$VG_SAMPLE_DATA/drone_gtd_acled_20260509.csv"
check_status 0 "the sample ingests"

# A few more rows for the edge cases: unknown region, month and casualties, a group name that
# needs quoting, dates on both sides of the range bounds used below.
cat >edge.csv <<'CSV'
eventid,iyear,imonth,iday,country_txt,region_txt,gname,nkill,nwound
e1,2020,0,0,Iraq,,"Group, with ""quotes""",,
e2,2021,6,30,Iraq,Middle East & North Africa,Unknown,2,3
e3,2021,7,1,Syria,Middle East & North Africa,Unknown,1,1
e4,2019,12,31,Syria,Middle East & North Africa,Unknown,5,
e5,2020,10,5,Ruritania,,,,
e6,2020,1,1,Iraq,Middle East & North Africa,Unknown,-9,4
CSV
run "$VIGIL" --db "$DB" ingest --json edge.csv
check_summary 6 6 0 0 0 "the edge-case rows are stored"

# expected ARGS...: what `vigil stats ARGS --format csv|json` must print, computed by reading
# every incident and grouping in Python. ARGS as for vigil: --by, --measure, --where, --from,
# --to; --json for the JSON form.
cat >expected.py <<'PY'
import csv, json, sqlite3, sys
args = sys.argv[2:]
by, measures, where, lo, hi, as_json = [], ["incidents"], {}, None, None, False
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
    if a == "--by": by = v.split(",")
    elif a == "--measure": measures = v.split(",")
    elif a == "--where":
        f, val = v.split("=", 1)
        where.setdefault(f, []).append(int(val) if f in ("year", "month") else val)
    elif a == "--from": lo = date(v, False)
    elif a == "--to": hi = date(v, True)
db = sqlite3.connect(sys.argv[1])
db.row_factory = sqlite3.Row
groups = {}
for r in db.execute("select * from incidents"):
    if any(r[cols[f]] not in vals for f, vals in where.items()):
        continue
    d = (r["year"], r["month"] or 0, r["day"] or 0)
    if (lo and d < lo) or (hi and d > hi):
        continue
    key = tuple(r[cols[b]] for b in by)
    # A sum over no known value is unknown (None), as in SQL.
    g = groups.setdefault(key, {"incidents": 0, "killed": None, "wounded": None})
    g["incidents"] += 1
    for m in ("killed", "wounded"):
        if r[m] is not None:
            g[m] = (g[m] or 0) + r[m]
keys = sorted(groups, key=lambda k: [(v is None, v if v is not None else 0) for v in k])
if as_json:
    print(json.dumps([dict(list(zip(by, k)) + [(m, groups[k][m]) for m in measures]) for k in keys]))
else:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(by + measures)
    for k in keys:
        w.writerow(["" if v is None else v for v in k] +
                   ["" if groups[k][m] is None else groups[k][m] for m in measures])
PY
expected() {
    python3 expected.py "$DB" "$@"
}

# check_csv DESCRIPTION ARGS...: vigil stats ARGS --format csv prints the expected CSV: the same
# header, the same groups with the same numbers, and the rows in the order of the dimensions with
# unknown values last.
check_csv() {
    local desc=$1
    shift
    run "$VIGIL" --db "$DB" stats "$@" --format csv
    check_status 0 "$desc: exit 0"
    printf '%s\n' "$OUT" >got.csv
    expected "$@" >want.csv
    check_eq "$(head -n 1 want.csv)" "$(head -n 1 got.csv)" "$desc: the header row"
    tail -n +2 got.csv | LC_ALL=C sort >got_sorted.csv
    tail -n +2 want.csv | LC_ALL=C sort >want_sorted.csv
    check_files_equal want_sorted.csv got_sorted.csv "$desc: the groups and numbers are as counted from the database"
    check_files_equal want.csv got.csv "$desc: the rows are ordered by the dimensions, unknown last"
}

# ---- --by year,region ----
run "$VIGIL" --db "$DB" stats --by year,region --format csv
check_status 0 "--by year,region --format csv: exit 0"
check_eq "year,region,incidents" "$(printf '%s\n' "$OUT" | head -n 1)" \
    "the header row is the dimensions, then the measure"
check_csv "--by year,region" --by year,region
check_eq "$(sql "$DB" "select count(*) from (select 1 from incidents group by year, region)")" \
    "$(($(printf '%s\n' "$OUT" | wc -l) - 1))" "one CSV row per (year, region) group"
check_eq "$(sql "$DB" "select count(*) from incidents")" \
    "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F, '{ n += $NF } END { print n }')" \
    "the counts add up to the number of incidents"
check_eq "$(sql "$DB" "select count(*) from incidents where year = 2020 and region = 'South Asia'")" \
    "$(printf '%s\n' "$OUT" | grep '^2020,South Asia,' | cut -d, -f3)" \
    "the 2020, South Asia count equals the database's"
check_match "$OUT" "^2020,,[0-9]+$" "an unknown region is an empty CSV field"
last2020=$(printf '%s\n' "$OUT" | grep '^2020,' | tail -n 1)
check_match "$last2020" "^2020,," "unknown values come last within their year"

check_csv "--by year,month" --by year,month
check_csv "--by month" --by month
check_csv "--by region,year (the other order)" --by region,year
check_csv "--by group (a name with a comma and quotes)" --by group
check_csv "--by source,attack,weapon" --by source,attack,weapon
check_csv "--by country,target" --by country,target
check_csv "no --by: one total row" --measure incidents,killed,wounded

# ---- measures ----
run "$VIGIL" --db "$DB" stats --by country --measure incidents,killed,wounded --format csv
check_eq "country,incidents,killed,wounded" "$(printf '%s\n' "$OUT" | head -n 1)" \
    "--measure incidents,killed,wounded: the header names the three measures"
check_csv "--measure incidents,killed,wounded" --by country --measure incidents,killed,wounded
check_eq "$(sql "$DB" "select count(*) || ',' || total(killed) || ',' || total(wounded) from incidents where country = 'Iraq'" | sed 's/\.0//g')" \
    "$(printf '%s\n' "$OUT" | grep '^Iraq,' | cut -d, -f2-)" \
    "Iraq: incidents and the sums of the known killed and wounded"
check_csv "--measure wounded,incidents (order kept)" --by year --measure wounded,incidents

# ---- filters ----
check_csv "--where country=Iraq" --by year --measure incidents,killed,wounded --where country=Iraq
run "$VIGIL" --db "$DB" stats --where country=Iraq --format csv
check_eq "$(printf 'incidents\n%s' "$(sql "$DB" "select count(*) from incidents where country = 'Iraq'")")" \
    "$OUT" "--where country=Iraq without --by: the count of Iraq's incidents"
check_csv "two --where on the same field (either)" --by country --where country=Iraq --where country=Syria
run "$VIGIL" --db "$DB" stats --by country --where country=Iraq --where country=Syria --format csv
check_eq "$(printf 'country,incidents\nIraq,%s\nSyria,%s' \
    "$(sql "$DB" "select count(*) from incidents where country = 'Iraq'")" \
    "$(sql "$DB" "select count(*) from incidents where country = 'Syria'")")" "$OUT" \
    "country=Iraq or Syria gives exactly those two rows"
check_csv "--where on two fields (both)" --by year --where country=Iraq --where source=ACLED
check_csv "--where year=2020" --by month --where year=2020
run "$VIGIL" --db "$DB" stats --by country --where country=Atlantis --format csv
check_status 0 "a filter that matches nothing: exit 0"
check_eq "country,incidents" "$OUT" "a filter that matches nothing prints the header only"

# ---- date range ----
check_csv "--from 2020 --to 2021-06" --by year,month --from 2020 --to 2021-06
run "$VIGIL" --db "$DB" stats --from 2020 --to 2021-06 --format csv
check_eq "$(sql "$DB" "select count(*) from incidents where year = 2020 or (year = 2021 and month <= 6)")" \
    "$(printf '%s\n' "$OUT" | tail -n 1)" "--from 2020 --to 2021-06 counts 2020 and the first half of 2021"
check_csv "--from 2021-06-30 --to 2021-07-01 (days)" --by country --from 2021-06-30 --to 2021-07-01
check_csv "--to 2019 only" --by year --to 2019
check_csv "--from 2024 only" --by year --from 2024
check_csv "--from 2021-06 --to 2021-06 (one month)" --by country --from 2021-06 --to 2021-06

# ---- JSON ----
run "$VIGIL" --db "$DB" stats --by year,region --measure incidents,killed --format json
check_status 0 "--format json: exit 0"
printf '%s\n' "$OUT" >got.json
RUN_STDIN=got.json run python3 -c 'import json,sys; json.load(sys.stdin)'
check_status 0 "--format json parses as JSON"
expected --by year,region --measure incidents,killed --json >want.json
run python3 -c '
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
key = lambda r: json.dumps(r, sort_keys=True)
if sorted(got, key=key) != sorted(want, key=key):
    print("extra:", [r for r in got if r not in want][:3])
    print("missing:", [r for r in want if r not in got][:3])
    sys.exit(1)
' got.json want.json
check_status 0 "--format json: the same groups, numbers as numbers and null for unknown"
run python3 -c '
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for n, (g, w) in enumerate(zip(got, want)):
    if g != w:
        print("row %d: got %s, expected %s" % (n, g, w)); sys.exit(1)
sys.exit(len(got) != len(want))
' got.json want.json
check_status 0 "--format json: the rows are ordered by the dimensions, unknown last"
run "$VIGIL" --db "$DB" stats --by group --format json
printf '%s\n' "$OUT" >group.json
run python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
sys.exit(0 if {"group": "Group, with \"quotes\"", "incidents": 1} in rows else 1)
' group.json
check_status 0 "--format json escapes quotes in names"
run "$VIGIL" --db "$DB" stats --where country=Atlantis --format json
printf '%s\n' "$OUT" >none.json
run python3 -c 'import json,sys; v = json.load(open(sys.argv[1])); sys.exit(0 if v in ([], [{"incidents": 0}]) else 1)' none.json
check_status 0 "--format json with nothing matched is still valid JSON"

# ---- table ----
run "$VIGIL" --db "$DB" stats --by year,region --measure incidents,killed --format table
check_status 0 "--format table: exit 0"
table=$OUT
read -r -a head <<<"$(printf '%s\n' "$table" | head -n 1)"
check_eq "year region incidents killed" "${head[*]}" "the table's header names the columns"
expected --by year,region --measure incidents,killed | tail -n +2 >want_rows.csv
check_eq "$(wc -l <want_rows.csv)" "$(($(printf '%s\n' "$table" | wc -l) - 1))" \
    "the table has one line per group"
check_eq "$(awk -F, '{ print $1, $(NF - 1), ($NF == "" ? "(unknown)" : $NF) }' want_rows.csv | sort)" \
    "$(printf '%s\n' "$table" | tail -n +2 | awk '{ print $1, $(NF - 1), $NF }' | sort)" \
    "the table's years and numbers are the expected ones"
check_eq "$(cut -d, -f1 want_rows.csv)" "$(printf '%s\n' "$table" | tail -n +2 | awk '{ print $1 }')" \
    "the table's years are in order"
check_match "$table" "^2020 +\(unknown\) +[0-9]+ +([0-9]+|\(unknown\))$" "an unknown region shows as (unknown)"
run "$VIGIL" --db "$DB" stats --by year,region --measure incidents,killed
check_eq "$table" "$OUT" "table is the default format"

# ---- usage errors: exit 2, the message names the problem ----
usage_error() { # DESCRIPTION NEEDLE ARGS...
    local desc=$1 needle=$2
    shift 2
    run "$VIGIL" --db "$DB" stats "$@"
    check_status 2 "$desc: exit 2"
    check_contains "$ERR" "$needle" "$desc: the message names '$needle'"
    check_empty "$OUT" "$desc: nothing on stdout"
}
usage_error "an unknown dimension" "colour" --by year,colour
usage_error "a dimension given twice" "year" --by year,year
usage_error "an empty dimension list item" "year,," --by year,,
usage_error "an unknown measure" "victims" --by year --measure victims
usage_error "a month that does not exist" "2020-13" --by year --from 2020-13
usage_error "a date that is not a date" "20x0" --by year --to 20x0
usage_error "a date with a one-digit month" "2021-6" --by year --to 2021-6
usage_error "the 30th of February" "2021-02-30" --by year --from 2021-02-30
usage_error "the 31st of April" "2021-04-31" --by year --to 2021-04-31
usage_error "--from after --to" "--from" --by year --from 2022 --to 2021
usage_error "an unknown format" "xml" --by year --format xml
usage_error "a filter on an unknown field" "colour" --by year --where colour=red
usage_error "a filter without '='" "Iraq" --by year --where Iraq
usage_error "a year filter that is not a number" "year" --by year --where year=recent
usage_error "an unknown option" "--sort" --by year --sort
usage_error "a stray argument" "extra" --by year extra

# ---- database errors: exit 1 ----
run "$VIGIL" --db "$VG_SCRATCH/missing.db" stats --by year
check_status 1 "a missing database: exit 1"
check_contains "$ERR" "missing.db" "the message names the missing database"
check_no_file "stats does not create a missing database" missing.db

printf 'not a database, just text\n' >text.db
run "$VIGIL" --db text.db stats --by year
check_status 1 "a file that is not a database: exit 1"

sqlite3 other.db "create table t (x); insert into t values (1);"
run "$VIGIL" --db other.db stats --by year
check_status 1 "an SQLite file that is not a Vigil database: exit 1"

VIGIL_DB="$DB" run "$VIGIL" stats --by source --format csv
check_status 0 "stats reads \$VIGIL_DB"
check_eq "$(printf 'source,incidents\nACLED,1033\nGTD,497')" "$OUT" "\$VIGIL_DB: the counts by source"
run "$VIGIL" stats --db "$DB" --by source --format csv
check_eq "$(printf 'source,incidents\nACLED,1033\nGTD,497')" "$OUT" "stats --db PATH works as a command option"

finish
