# ingest_status.sh - `vigil ingest`: exit statuses, the --json summary, choosing the database
# (--db, $VIGIL_DB, ./vigil.db) and reading standard input.
. "$VG_TESTLIB"

GTD400="$VG_TEST_DATA/gtd_400_utf8.csv"

# ---- 0: every row stored ----
run "$VIGIL" --db ok.db ingest --json "$GTD400"
check_status 0 "all rows stored: exit 0"
check_summary 400 400 0 0 0 "--json prints one object with the five counts"
check_sql ok.db "select count(*) from incidents" 400 "the 400 rows are in the database"
check_empty "$ERR" "a clean ingest writes nothing to stderr"

run "$VIGIL" --db ok.db ingest "$GTD400"
check_status 0 "the same file again: exit 0"
check_eq "400 rows: 0 inserted, 0 updated, 400 unchanged, 0 rejected" "$OUT" \
    "without --json the summary is one line of text"

# ---- 3: some rows rejected ----
cat >some_bad.csv <<'CSV'
eventid,iyear,imonth,iday,country_txt,nkill
201001010001,2010,1,1,Iraq,3
201001010002,2010,1,2,Iraq,lots
201001010003,2010,1,3,Iraq,0
CSV
run "$VIGIL" --db partial.db ingest --json some_bad.csv
check_status 3 "some rows rejected: exit 3"
check_summary 3 2 0 0 1 "the summary counts the rejected row"
check_sql partial.db "select source_id from incidents order by source_id" \
    "$(printf '201001010001\n201001010003')" "the good rows around the rejected one are stored"
check_match "$ERR" "some_bad\.csv:3: nkill" "stderr names the file, line and column of the rejected row"

# ---- 1: errors ----
run "$VIGIL" --db err.db ingest --json "$VG_SCRATCH/no-such-file.csv"
check_status 1 "a missing file: exit 1"
check_contains "$ERR" "no-such-file.csv" "the message names the missing file"

printf 'id,iyear,imonth,iday\n1,2001,1,1\n' >no_eventid.csv
run "$VIGIL" --db err.db ingest no_eventid.csv
check_status 1 "a file without an eventid column: exit 1"
check_contains "$ERR" "eventid" "the message says the eventid column is missing"

mkdir adir
run "$VIGIL" --db err.db ingest adir
check_status 1 "a directory: exit 1"
check_contains "$ERR" "adir" "the message names the directory"

: >empty.csv
run "$VIGIL" --db err.db ingest empty.csv
check_status 1 "an empty file (no header): exit 1"

check_sql err.db "select count(*) from incidents" 0 "nothing was stored by the failed ingests"

# An error in one file does not undo the files that were read well.
run "$VIGIL" --db multi.db ingest --json "$GTD400" "$VG_SCRATCH/no-such-file.csv"
check_status 1 "a good file then a missing one: exit 1"
check_summary 400 400 0 0 0 "the summary counts the good file"
check_sql multi.db "select count(*) from incidents" 400 "the good file is stored"

# Error beats rejection: a rejected row and a missing file together is still an error.
run "$VIGIL" --db multi2.db ingest some_bad.csv "$VG_SCRATCH/no-such-file.csv"
check_status 1 "rejected rows and a missing file: exit 1"

# ---- 2: usage ----
run "$VIGIL" --db usage.db ingest
check_status 2 "no file: exit 2"
check_contains "$ERR" "no file" "the message says no file was given"
check_contains "$ERR" "vigil ingest --help" "a usage error points to --help"

run "$VIGIL" --db usage.db ingest --no-such-option "$GTD400"
check_status 2 "an unknown option: exit 2"
check_contains "$ERR" "--no-such-option" "the message names the unknown option"

run "$VIGIL" --db usage.db ingest --format xml "$GTD400"
check_status 2 "--format xml: exit 2"
check_contains "$ERR" "xml" "the message names the bad format"

run "$VIGIL" --db usage.db ingest --format
check_status 2 "--format without a value: exit 2"
check_contains "$ERR" "--format" "the message names --format"

run "$VIGIL" --no-such-global ingest "$GTD400"
check_status 2 "an unknown global option: exit 2"

check_no_file "usage errors create no database" usage.db

# --format gtd and --format jsonl are both accepted.
run "$VIGIL" --db fmt.db ingest --json --format gtd "$GTD400"
check_status 0 "--format gtd reads a GTD file"
check_summary 400 400 0 0 0 "--format gtd: 400 rows inserted"

cat >events.txt <<'JSONL'
{"eventid": "202001010001", "iyear": 2020, "imonth": 1, "iday": 1, "country_txt": "Iraq", "nkill": 2}
{"eventid": "202001010002", "iyear": 2020, "imonth": 14, "iday": 1}
{"eventid": "202001010003", "iyear": 2020, "imonth": 1, "iday": 3, "nkill": null}
JSONL
run "$VIGIL" --db fmt.db ingest --json --format jsonl events.txt
check_status 3 "--format jsonl reads JSON lines, one bad month: exit 3"
check_summary 3 2 0 0 1 "--format jsonl: 2 stored, 1 rejected"
check_sql fmt.db "select source_id, killed from incidents where source_id like '2020%' order by 1" \
    "$(printf '202001010001|2\n202001010003|')" "the JSON lines rows are stored, null as NULL"

# ---- which database ----
run "$VIGIL" ingest --db cmd_opt.db --json "$GTD400"
check_status 0 "ingest --db PATH (option of the command) works"
check_sql cmd_opt.db "select count(*) from incidents" 400 "ingest --db PATH stores into PATH"

VIGIL_DB="$VG_SCRATCH/from_env.db" run "$VIGIL" ingest --json "$GTD400"
check_status 0 "\$VIGIL_DB: exit 0"
check_sql from_env.db "select count(*) from incidents" 400 "\$VIGIL_DB names the database"
check_no_file "with \$VIGIL_DB no ./vigil.db is made" vigil.db

VIGIL_DB="$VG_SCRATCH/env_loses.db" run "$VIGIL" --db given.db ingest --json "$GTD400"
check_sql given.db "select count(*) from incidents" 400 "--db wins over \$VIGIL_DB"
check_no_file "the \$VIGIL_DB database is not touched when --db is given" env_loses.db

mkdir work
cd work
run "$VIGIL" ingest --json "$GTD400"
check_status 0 "no --db and no \$VIGIL_DB: exit 0"
check_sql vigil.db "select count(*) from incidents" 400 "the default database is ./vigil.db"
cd "$VG_SCRATCH"

# ---- standard input ----
RUN_STDIN="$GTD400" run "$VIGIL" --db stdin.db ingest --json -
check_status 0 "'-' reads standard input: exit 0"
check_summary 400 400 0 0 0 "'-': the 400 rows of standard input are counted"
dump ok.db file.dump "select source_id, year, month, day, country, city, killed, summary, extra from incidents order by source_id"
dump stdin.db stdin.dump "select source_id, year, month, day, country, city, killed, summary, extra from incidents order by source_id"
check_files_equal file.dump stdin.dump "standard input stores the same records as the file"

RUN_STDIN="$VG_SAMPLE_DATA/drone_gtd_acled_20260509.csv" run "$VIGIL" --db stdin2.db ingest --json -
check_status 0 "'-' with the sample file (sep= line, ';', CRLF): exit 0"
check_summary 1524 1524 0 0 0 "'-': the sample's 1524 rows"

printf 'eventid,iyear,imonth,iday\n1,2001,2,29\n2,2001,2,28\n' >bad_date.csv
RUN_STDIN=bad_date.csv run "$VIGIL" --db stdin3.db ingest --json --rejects stdin_rejects.jsonl -
check_status 3 "'-' with a rejected row: exit 3"
check_summary 2 1 0 0 1 "'-': 1 stored, 1 rejected"
check_match "$(cat stdin_rejects.jsonl 2>/dev/null)" '"line":2,"column":"iday"' \
    "a row rejected from standard input is reported with its line"

finish
