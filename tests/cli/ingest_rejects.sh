# ingest_rejects.sh - rows that cannot be read are rejected one by one, with file, line, column,
# reason and the raw text, and every other row is stored; unknown values become NULL.
. "$VG_TESTLIB"

FIXTURE="$VG_TEST_DATA/gtd_400_utf8.csv"

# ---- a damaged copy of the fixture ----
# Python rewrites the fixture with a few rows broken and writes what must be reported for each:
# its first physical line (some rows before, and one of the broken ones, span two lines), the
# column at fault ("" for a wrong field count), and its raw text. ok_ids.txt lists the rows that
# must be stored.
python3 - "$FIXTURE" <<'PY'
import csv, io, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
hdr = rows[0]
col = {name: i for i, name in enumerate(hdr)}

def setf(name, value):
    def f(r):
        r[col[name]] = value
    return f

def april_31(r):
    r[col["imonth"]] = "4"
    r[col["iday"]] = "31"

damage = {  # record number (1 = first after the header) -> (change, column reported)
    10: (lambda r: r.append("surplus"), ""),
    50: (lambda r: r.pop(), ""),
    100: (setf("nkill", "many"), "nkill"),
    200: (setf("imonth", "13"), "imonth"),
    258: (setf("imonth", "13"), "imonth"),  # a row with a newline inside its summary
    300: (april_31, "iday"),
    350: (setf("latitude", "123"), "latitude"),
    390: (setf("iyear", "19x9"), "iyear"),
}
out = io.StringIO(newline="")
w = csv.writer(out, lineterminator="\n")
w.writerow(hdr)
line = 2
expected, ok = [], []
for n, r in enumerate(rows[1:], 1):
    if n in damage:
        change, column = damage[n]
        change(r)
    s = io.StringIO(newline="")
    csv.writer(s, lineterminator="\n").writerow(r)
    text = s.getvalue()
    if n in damage:
        expected.append({"line": line, "column": column, "raw": text[:-1]})
    else:
        ok.append(r[0])
    out.write(text)
    line += text.count("\n")
open("damaged.csv", "w", encoding="utf-8", newline="").write(out.getvalue())
with open("expected_rejects.jsonl", "w") as f:
    for e in expected:
        f.write(json.dumps(e) + "\n")
open("ok_ids.txt", "w").write("\n".join(sorted(ok)) + "\n")
PY

# The copy differs from the fixture in the broken rows only.
check_eq 8 "$(diff "$FIXTURE" damaged.csv | grep -c '^>')" "the damaged copy has 8 changed lines"

run "$VIGIL" --db d.db ingest --json --rejects rejects.jsonl damaged.csv
check_status 3 "a damaged file: exit 3"
check_summary 400 392 0 0 8 "a damaged file: 400 rows, 392 inserted, 8 rejected"
sql d.db "select source_id from incidents order by source_id" >stored_ids.txt
check_files_equal ok_ids.txt stored_ids.txt "exactly the undamaged rows are stored"
check_file "the rejects file is written" rejects.jsonl

# check_rejects FILE EXPECTED NAME: each line of FILE is a JSON object with exactly the keys
# file, line, column, reason and raw, in the order of EXPECTED, with file = NAME.
check_rejects() {
    local report
    report=$(python3 - "$1" "$2" "$3" <<'PY'
import json, sys
got_lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
exp = [json.loads(l) for l in open(sys.argv[2])]
problems = []
if len(got_lines) != len(exp):
    problems.append("expected %d rejects, got %d" % (len(exp), len(got_lines)))
for n, (g, e) in enumerate(zip(got_lines, exp), 1):
    try:
        g = json.loads(g)
    except ValueError as err:
        problems.append("line %d is not JSON: %s" % (n, err))
        continue
    if sorted(g) != ["column", "file", "line", "raw", "reason"]:
        problems.append("line %d has keys %s" % (n, sorted(g)))
        continue
    if g["file"] != sys.argv[3]:
        problems.append("line %d: file %r, expected %r" % (n, g["file"], sys.argv[3]))
    for k in ("line", "column", "raw"):
        if g[k] != e[k]:
            problems.append("reject %d: %s is %r, expected %r" % (n, k, g[k], e[k]))
    if not isinstance(g["reason"], str) or not g["reason"]:
        problems.append("reject %d: no reason" % n)
print("\n".join(problems))
PY
)
    if [ -z "$report" ]; then
        pass "$4"
    else
        fail "$4" "$report"
    fi
}
check_rejects rejects.jsonl expected_rejects.jsonl damaged.csv \
    "the rejects file names each broken row's line, column and raw text"

reasons=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["reason"])
' rejects.jsonl 2>/dev/null)
check_match "$reasons" "135.*136|136.*135" "the reason of a long row gives both field counts"
check_match "$reasons" "135.*134|134.*135" "the reason of a short row gives both field counts"
check_match "$reasons" "many" "the reason of a bad number quotes the value"
check_match "$reasons" "^13 is out of range" "the reason of a bad month gives the month"
check_match "$reasons" "impossible date [0-9]{4}-04-31" "the reason of an impossible date gives the date"
check_match "$reasons" "123" "the reason of a bad coordinate gives it"

# stderr names the rejected rows too.
for l in $(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["line"])
' expected_rejects.jsonl); do
    check_contains "$ERR" "damaged.csv:$l:" "stderr reports the rejected row on line $l"
done

check_no_file "no temporary rejects file is left" rejects.jsonl.* .rejects.jsonl* rejects.jsonl~
check_eq "damaged.csv expected_rejects.jsonl ok_ids.txt rejects.jsonl stored_ids.txt" \
    "$(ls -A | grep -v -e '^\.run\.' -e '^d\.db' | sort | tr '\n' ' ' | sed 's/ $//')" \
    "the directory holds the rejects file and no other new file"

# ---- --check: the same reading and the same rejects, nothing stored, no database made ----
run "$VIGIL" --db check.db ingest --check --json --rejects check_rejects.jsonl damaged.csv
check_status 3 "--check of the damaged file: exit 3"
check_eq '{"rows":400,"valid":392,"rejected":8}' "$OUT" \
    "--check counts 400 rows, 392 valid and 8 rejected"
check_rejects check_rejects.jsonl expected_rejects.jsonl damaged.csv \
    "--check reports the same broken rows, lines, columns and raw text"
check_files_equal rejects.jsonl check_rejects.jsonl "--check writes the rejects file an ingest writes"
check_no_file "--check makes no database" check.db check.db-wal check.db-journal check.db.cube
rm -f check_rejects.jsonl

run "$VIGIL" --db d.db ingest --check damaged.csv
check_status 3 "--check with a summary line: exit 3"
check_contains "$OUT" "400 rows: 392 valid, 8 rejected (checked only: nothing was stored)" \
    "--check says that nothing was stored"
check_sql d.db "select count(*) from incidents" 392 "--check leaves an existing database as it was"

run "$VIGIL" --db check.db ingest --check --json "$FIXTURE"
check_status 0 "--check of a clean file: exit 0"
check_eq '{"rows":400,"valid":400,"rejected":0}' "$OUT" "--check of the fixture: every row valid"
check_no_file "--check of a clean file makes no database either" check.db

# The same damaged file again: the good rows are unchanged, the broken ones rejected again, and
# the rejects file is replaced, not appended to.
run "$VIGIL" --db d.db ingest --json --rejects rejects.jsonl damaged.csv
check_status 3 "the damaged file again: exit 3"
check_summary 400 0 0 392 8 "the damaged file again: 392 unchanged, 8 rejected"
check_rejects rejects.jsonl expected_rejects.jsonl damaged.csv "the rejects file is rewritten, not appended to"

# A clean ingest leaves no stale rejects.
run "$VIGIL" --db d.db ingest --json --rejects rejects.jsonl "$FIXTURE"
check_status 0 "the fixture after the damaged copy: exit 0"
check_summary 400 8 0 392 0 "the fixture: the 8 missing rows are inserted"
if [ -s rejects.jsonl ]; then
    fail "a clean ingest leaves no old rejects in the rejects file" "$(head -c 300 rejects.jsonl)"
else
    pass "a clean ingest leaves no old rejects in the rejects file"
fi

# A rejects file that cannot be written is an error.
run "$VIGIL" --db d2.db ingest --rejects "$VG_SCRATCH/no/such/dir/r.jsonl" "$FIXTURE"
check_status 1 "an unwritable rejects file: exit 1"
check_contains "$ERR" "no/such/dir/r.jsonl" "the message names the rejects file"

# ---- a stray quote costs its own line only ----
printf 'eventid,iyear,imonth,iday,city\n1,2001,1,1,Alpha\n2,2001,1,2,"Beta\n3,2001,1,3,Gamma\n4,2001,1,4,Delta\n' >stray.csv
run "$VIGIL" --db stray.db ingest --json --rejects stray.jsonl stray.csv
check_status 3 "an unclosed quote: exit 3"
check_summary 4 3 0 0 1 "an unclosed quote rejects its row only"
check_sql stray.db "select source_id, city from incidents order by source_id" \
    "$(printf '1|Alpha\n3|Gamma\n4|Delta')" "the rows after an unclosed quote are stored"
check_match "$(cat stray.jsonl 2>/dev/null)" '"line":3' "the unclosed quote is reported on its line"

# A stray quote closed by a later quote swallows the lines between; the field count does not show
# it when it happens to match, but text after the closing quote does. Only the line of the stray
# quote is lost.
printf 'eventid,iyear,imonth,city
1,2001,2,"stray
2,2002,3,ok
3,2003,4,ok
4,2004,5,"quoted"
5,2005,6,fine
' >stray2.csv
run "$VIGIL" --db stray2.db ingest --json --rejects stray2.jsonl stray2.csv
check_status 3 "a stray quote closed lines later: exit 3"
check_summary 5 4 0 0 1 "a stray quote closed lines later rejects its own line only"
check_sql stray2.db "select source_id, year, city from incidents order by source_id" \
    "$(printf '2|2002|ok\n3|2003|ok\n4|2004|quoted\n5|2005|fine')" \
    "the rows swallowed by the stray quote are read again and stored"
check_match "$(cat stray2.jsonl 2>/dev/null)" '"line":2,' "the stray quote is reported on its line"
check_match "$(cat stray2.jsonl 2>/dev/null)" '"raw":"1,2001,2,\\"stray"' \
    "the rejects file holds the line of the stray quote only"

# ---- wrong types, impossible dates and coordinates, one column each ----
cat >types.csv <<'CSV'
eventid,iyear,imonth,iday,latitude,longitude,nkill,nwound,success,specificity
t01,2001,2,29,,,,,,
t02,2000,2,29,,,,,,
t04,2001,6,15,-91,,,,,
t05,2001,6,15,,180.5,,,,
t06,2001,6,15,45.5,-120.25,,,,
t07,2001,6,15,,,-3,,,
t08,2001,6,15,,,2.5,,,
t09,2001,6,15,,,,,2,
t10,2001,6,15,,,,,,9
t11,,6,15,,,,,,
t12,2001,6,15,north,,,,,
CSV
run "$VIGIL" --db types.db ingest --json --rejects types.jsonl types.csv
check_status 3 "rows with bad values: exit 3"
check_summary 11 2 0 0 9 "two of eleven rows are good, nine rejected"
check_sql types.db "select source_id from incidents order by 1" "$(printf 't02\nt06')" \
    "29 February of a leap year and plain coordinates are stored"
got=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["line"], r["column"] or "-")
' types.jsonl 2>&1)
check_eq "$(printf '2 iday\n4 latitude\n5 longitude\n7 nkill\n8 nkill\n9 success\n10 specificity\n11 iyear\n12 latitude')" \
    "$got" "each rejected row is reported with its line and the column at fault"

# ---- unknown values: -9, -99, empty, N/A and 0 for month or day become NULL ----
cat >unknown.csv <<'CSV'
eventid,iyear,imonth,iday,country_txt,city,latitude,longitude,nkill,nwound,success,suicide,specificity,nperps,nhostkid,propvalue
u1,2010,3,4,Iraq,,,,-9,-99,,,-9,-99,-9,N/A
u2,2010,0,0,N/A,N/A,N/A,N/A,,,-9,-9,,,,
u3,2010,5,0,Syria,Homs,34.7,36.7,0,0,0,0,1,3,,100
CSV
run "$VIGIL" --db unknown.db ingest --json unknown.csv
check_status 0 "unknown values: exit 0"
check_summary 3 3 0 0 0 "unknown values: three rows inserted"
check_sql unknown.db "select source_id, killed is null, wounded is null, success is null,
        suicide is null, specificity is null, city is null, latitude is null, longitude is null
        from incidents order by source_id" \
    "$(printf 'u1|1|1|1|1|1|1|1|1\nu2|1|1|1|1|1|1|1|1\nu3|0|0|0|0|0|0|0|0')" \
    "-9, -99, empty and N/A are NULL; 0 is a value"
check_sql unknown.db "select killed, wounded, success, suicide from incidents where source_id = 'u3'" \
    "0|0|0|0" "a real 0 stays 0"
check_sql unknown.db "select source_id, month is null, day is null, country is null from incidents order by 1" \
    "$(printf 'u1|0|0|0\nu2|1|1|1\nu3|0|1|0')" "month or day 0 (GTD's unknown) is NULL"
check_sql unknown.db "select source_id, extra from incidents order by 1" \
    "$(printf 'u1|{}\nu2|{}\nu3|{"nperps":3,"propvalue":100}')" \
    "unknown values of other columns are left out of extra"
check_sql unknown.db "select count(*) from incidents where killed = -9 or wounded in (-9, -99)
        or specificity = -9 or success = -9" 0 "no -9 or -99 is stored"

finish
