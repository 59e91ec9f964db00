# ingest_encoding.sh - UTF-8 and ISO-8859-1 input are detected and stored as the same UTF-8 text.
#
# The two fixtures hold the same 400 generated rows, one encoded as UTF-8 and one as ISO-8859-1.
# A few names have letters that ISO-8859-1 cannot encode (Hīt, Polatlı); the Latin-1 fixture
# holds '?' in their place, so for those the expected text is the UTF-8 text with such letters
# replaced by '?'. Every other byte of text must come out identical.
. "$VG_TESTLIB"

UTF8="$VG_TEST_DATA/gtd_400_utf8.csv"
LATIN1="$VG_TEST_DATA/gtd_400_latin1.csv"

run "$VIGIL" --db utf8.db ingest --json "$UTF8"
check_status 0 "the UTF-8 fixture ingests with exit 0"
check_summary 400 400 0 0 0 "the UTF-8 fixture: 400 rows inserted"

run "$VIGIL" --db latin1.db ingest --json "$LATIN1"
check_status 0 "the ISO-8859-1 fixture ingests with exit 0"
check_summary 400 400 0 0 0 "the ISO-8859-1 fixture: 400 rows inserted"

# What ISO-8859-1 can carry of a UTF-8 text.
latin1_view() {
    python3 -c '
import sys
t = sys.stdin.buffer.read().decode("utf-8")
sys.stdout.buffer.write(t.encode("latin-1", "replace").decode("latin-1").encode("utf-8"))
'
}

TEXT="select source_id, city, summary from incidents order by source_id"
dump utf8.db utf8_text.dump "$TEXT"
dump latin1.db latin1_text.dump "$TEXT"
latin1_view <utf8_text.dump >expected_text.dump
check_files_equal expected_text.dump latin1_text.dump \
    "city and summary from the Latin-1 file equal those from the UTF-8 file"

ALL="select source_id, year, month, day, country, region, provstate, city, latitude, longitude,
     attack, target, weapon, group_name, killed, wounded, success, suicide, summary, extra
     from incidents order by source_id"
dump utf8.db utf8_all.dump "$ALL"
dump latin1.db latin1_all.dump "$ALL"
latin1_view <utf8_all.dump >expected_all.dump
check_files_equal expected_all.dump latin1_all.dump "every stored field agrees between the two files"

check_match "$(sql latin1.db "select count(*) from incidents where city glob '*[^ -~]*'")" \
    "^[1-9]" "the Latin-1 file has non-ASCII city names to check"

# Everything stored from the Latin-1 file is well-formed UTF-8.
sqlite3 -batch latin1.db "select city, provstate, summary, extra from incidents" >latin1_raw.dump
run python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' latin1_raw.dump
check_status 0 "the text stored from the Latin-1 file is valid UTF-8"

# A small Latin-1 file: each accented letter becomes its two-byte UTF-8 form.
printf 'eventid,iyear,imonth,iday,country_txt,city,summary\n1,2015,3,4,Colombia,Bogot\341,Caf\351 \253d\351j\340 vu\273\n' >small_latin1.csv
run "$VIGIL" --db small.db ingest --json small_latin1.csv
check_status 0 "a small Latin-1 file: exit 0"
check_sql small.db "select hex(city), summary from incidents" "426F676F74C3A1|Café «déjà vu»" \
    "Latin-1 letters are stored as UTF-8"

# The same text in UTF-8 gives the same record, and storing it again is no change.
printf 'eventid,iyear,imonth,iday,country_txt,city,summary\n1,2015,3,4,Colombia,Bogot\303\241,Caf\303\251 \302\253d\303\251j\303\240 vu\302\273\n' >small_utf8.csv
run "$VIGIL" --db small.db ingest --json small_utf8.csv
check_summary 1 0 0 1 0 "the same row in UTF-8 is the same record, unchanged"

# Re-ingesting the Latin-1 fixture over the UTF-8 database: only the rows with '?' differ.
run "$VIGIL" --db utf8.db ingest --json "$LATIN1"
check_status 0 "the Latin-1 fixture over the UTF-8 database: exit 0"
nq=$(python3 -c '
import sys
rows = open(sys.argv[1], encoding="utf-8").read()
t = rows.encode("latin-1", "replace").decode("latin-1")
import csv, io
a = list(csv.reader(io.StringIO(rows)))
b = list(csv.reader(io.StringIO(t)))
print(sum(1 for x, y in zip(a[1:], b[1:]) if x != y))
' "$UTF8")
check_summary 400 0 "$nq" $((400 - nq)) 0 \
    "only the $nq rows with letters outside ISO-8859-1 count as updated"

finish
