# ingest_variants.sh - the GTD reader takes files as they come: `;` or tab delimiters, a `sep=`
# first line, CRLF, N/A cells, `year;month;day` headers, columns in another order or a subset of
# them, and quoted fields with delimiters, doubled quotes and embedded newlines.
#
# Each variant is made from the 400-row UTF-8 fixture with Python's csv module, so it holds the
# same values; stored into a fresh database it must give the same records as the fixture itself,
# and stored over the fixture's records it must change nothing.
. "$VG_TESTLIB"

FIXTURE="$VG_TEST_DATA/gtd_400_utf8.csv"

# The fields of a record, extra columns compared as a set of key/value pairs (their order in the
# JSON follows the file's column order).
FIELDS="select source, source_id, year, month, day, country, country_code, region, region_code,
        provstate, city, latitude, longitude, specificity, attack, attack_code, target,
        target_code, weapon, weapon_code, group_name, killed, wounded, success, suicide, summary
        from incidents order by source_id"
EXTRA="select source_id, json_each.key, json_each.type, json_each.value
       from incidents, json_each(incidents.extra) order by source_id, json_each.key"

run "$VIGIL" --db base.db ingest --json "$FIXTURE"
check_status 0 "the fixture ingests with exit 0"
check_summary 400 400 0 0 0 "the fixture: 400 rows inserted"
dump base.db base_fields.dump "$FIELDS"
dump base.db base_extra.dump "$EXTRA"

# variant NAME PYTHON: writes NAME.csv from the fixture's rows (list `rows`, header first) with
# the Python statements given, which write to the open binary file `out`.
variant() {
    python3 - "$FIXTURE" "$1.csv" <<PY
import csv, io, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
out = open(sys.argv[2], "wb")
def write(rows, **fmt):
    s = io.StringIO(newline="")
    csv.writer(s, **fmt).writerows(rows)
    out.write(s.getvalue().encode("utf-8"))
$2
out.close()
PY
}

# check_variant NAME DESCRIPTION: NAME.csv stores the fixture's records.
check_variant() {
    run "$VIGIL" --db "$1.db" ingest --json "$1.csv"
    check_status 0 "$2: exit 0"
    check_summary 400 400 0 0 0 "$2: 400 rows inserted"
    dump "$1.db" "$1_fields.dump" "$FIELDS"
    dump "$1.db" "$1_extra.dump" "$EXTRA"
    check_files_equal base_fields.dump "$1_fields.dump" "$2: the same fields as the fixture"
    check_files_equal base_extra.dump "$1_extra.dump" "$2: the same extra columns as the fixture"
    run "$VIGIL" --db base.db ingest --json "$1.csv"
    check_summary 400 0 0 400 0 "$2: stored over the fixture's records it changes nothing"
}

variant semicolon 'write(rows, delimiter=";", lineterminator="\n")'
check_variant semicolon "';' delimiter"

variant tab 'write(rows, delimiter="\t", lineterminator="\n")'
check_variant tab "tab delimiter"

variant crlf 'write(rows, lineterminator="\r\n")'
check_variant crlf "CRLF line ends"

variant sep_line 'out.write(b"sep=;\r\n"); write(rows, delimiter=";", lineterminator="\r\n")'
check_variant sep_line "a 'sep=;' first line, ';' and CRLF"

variant sep_tab 'out.write(b"sep=\t\n"); write(rows, delimiter="\t", lineterminator="\n")'
check_variant sep_tab "a 'sep=<tab>' first line"

variant na 'write([rows[0]] + [[v if v != "" else "N/A" for v in r] for r in rows[1:]], lineterminator="\n")'
check_variant na "N/A in every empty cell"

variant quote_all 'write(rows, quoting=csv.QUOTE_ALL, lineterminator="\n")'
check_variant quote_all "every field quoted"

variant bom 'out.write(b"\xef\xbb\xbf"); write(rows, lineterminator="\n")'
check_variant bom "a UTF-8 byte order mark"

variant ymd 'rows[0] = [{"iyear": "year", "imonth": "month", "iday": "day"}.get(c, c) for c in rows[0]]
write(rows, delimiter=";", lineterminator="\r\n")'
check_variant ymd "'year;month;day' instead of 'iyear;imonth;iday'"

variant reversed 'write([r[::-1] for r in rows], lineterminator="\n")'
check_variant reversed "columns in reverse order"

variant shuffled 'import random
order = list(range(len(rows[0])))
random.Random(7).shuffle(order)
write([[r[i] for i in order] for r in rows], delimiter=";", lineterminator="\n")'
check_variant shuffled "columns shuffled, ';' delimiter"

# ---- a subset of the columns, in another order ----
variant subset 'keep = ["summary", "nkill", "city", "country_txt", "iday", "imonth", "iyear", "eventid"]
idx = [rows[0].index(c) for c in keep]
write([[r[i] for i in idx] for r in rows], lineterminator="\n")'
run "$VIGIL" --db subset.db ingest --json subset.csv
check_status 0 "a subset of 8 columns: exit 0"
check_summary 400 400 0 0 0 "a subset of 8 columns: 400 rows inserted"
SUB="select source_id, year, month, day, country, city, killed, summary from incidents order by source_id"
dump base.db base_subset.dump "$SUB"
dump subset.db subset.dump "$SUB"
check_files_equal base_subset.dump subset.dump "a subset of columns stores the same values for them"
check_sql subset.db "select count(*) from incidents where region is not null or latitude is not null
        or attack is not null or wounded is not null or extra <> '{}'" 0 \
    "the columns the subset lacks are NULL, and extra is empty"

# ---- quoting, checked value by value ----
multi=$(python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
i = rows[0].index("summary")
print(sum(1 for r in rows[1:] if "\n" in r[i]), sum(1 for r in rows[1:] if "\"" in r[i]), sum(1 for r in rows[1:] if "," in r[i]))
' "$FIXTURE")
check_match "$multi" "^[1-9][0-9]* [1-9][0-9]* [1-9][0-9]*$" \
    "the fixture has summaries with newlines, quotes and commas (counts: $multi)"
check_sql base.db "select count(*) from incidents where summary like '%' || char(10) || '%'" \
    "${multi%% *}" "every summary with an embedded newline keeps it"
check_sql base.db "select count(*) from incidents where summary like '%\"officials said\"%'" \
    "$(echo "$multi" | cut -d' ' -f2)" "doubled quotes become single quotes"

cat >quoted.csv <<'CSV'
eventid;year;month;day;city;provstate;summary;corp1
q1;2019;5;6;"Kabul; Sector 3";"";"He said ""stop"", then ran.
Second line; with a semicolon.";"A ""B"" C"
q2;2019;5;7;"Herat, ""old town""";N/A;"";"x"
CSV
printf 'q3;2019;5;8;"Multi\r\nline CRLF";;"a\r\n\r\nb";\r\n' >>quoted.csv
run "$VIGIL" --db quoted.db ingest --json quoted.csv
check_status 0 "hand-made quoted fields: exit 0"
check_summary 3 3 0 0 0 "hand-made quoted fields: 3 rows inserted"
check_sql quoted.db "select city from incidents where source_id = 'q1'" "Kabul; Sector 3" \
    "a delimiter inside quotes belongs to the field"
check_sql quoted.db "select summary = 'He said \"stop\", then ran.' || char(10) ||
        'Second line; with a semicolon.' from incidents where source_id = 'q1'" 1 \
    "doubled quotes, a comma, a delimiter and a newline inside one quoted field"
check_sql quoted.db "select json_extract(extra, '\$.corp1') from incidents where source_id = 'q1'" \
    'A "B" C' "an extra column is unquoted the same way"
check_sql quoted.db "select city, provstate is null, summary is null from incidents where source_id = 'q2'" \
    'Herat, "old town"|1|1' "quotes around a comma; N/A and \"\" are NULL"
check_sql quoted.db "select hex(city), hex(summary) from incidents where source_id = 'q3'" \
    "$(printf 'Multi\r\nline CRLF' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)|$(printf 'a\r\n\r\nb' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
    "line breaks inside quotes are kept as they are"

finish
