# ingest_crash.sh - an ingest killed in the middle leaves a consistent database, and running the
# same command again completes it. Also: Ctrl-C (SIGINT) stops cleanly with what was read stored.
#
# The input is the 400-row fixture repeated with new, unique event ids, large enough that the
# ingest runs for a while; the kill comes as soon as the first rows are committed.
. "$VG_TESTLIB"

REPS=200
TOTAL=$((REPS * 400))

# Records start with their 12-digit event id; the few continuation lines of multi-line summaries
# start with a letter. Each copy r gets ids 9<rrr><nnnnnnn>.
awk -v reps="$REPS" 'NR == 1 { print; next }
    { body[++n] = $0 }
    END {
        for (r = 0; r < reps; r++) {
            k = 0
            for (i = 1; i <= n; i++) {
                l = body[i]
                if (l ~ /^[0-9]/) { k++; print sprintf("9%03d%07d", r, k) substr(l, index(l, ",")) }
                else print l
            }
        }
    }' "$VG_TEST_DATA/gtd_400_utf8.csv" >big.csv
# The event ids of the file in order, the one reference for what a prefix of it is.
grep -E '^9[0-9]{10},' big.csv | cut -d, -f1 >big_ids.txt
check_eq "$TOTAL" "$(sort -u big_ids.txt | wc -l)" "the large file has $TOTAL distinct event ids"

# count DB: committed incidents, read without creating or writing anything; -1 when not readable.
count() {
    local n
    n=$(sqlite3 -batch "file:$1?mode=ro" "select count(*) from incidents" 2>/dev/null)
    echo "${n:--1}"
}

# wait_rows DB PID: waits until DB has committed rows, or PID ended, or 60 s passed.
wait_rows() {
    local i
    for ((i = 0; i < 1200; i++)); do
        [ -e "$1" ] && [ "$(count "$1")" -gt 0 ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# check_prefix DB DESCRIPTION: the stored records are exactly the first N rows of the file (as a
# set: within a committed batch, rows are stored in key order, not file order).
check_prefix() {
    local n
    n=$(sql "$1" "select count(*) from incidents")
    sql "$1" "select source_id from incidents order by source_id" >stored_ids.txt
    head -n "$n" big_ids.txt | sort >prefix_ids.txt
    check_files_equal prefix_ids.txt stored_ids.txt "$2"
}

# ---- kill -9 ----
"$VIGIL" --db crash.db ingest --json --batch-rows 2000 --rejects crash_rejects.jsonl big.csv >kill.out 2>kill.err &
pid=$!
if wait_rows crash.db "$pid"; then
    kill -9 "$pid"
    pass "the ingest had committed rows when it was killed"
else
    fail "the ingest had committed rows when it was killed" "$(cat kill.err)"
fi
{ wait "$pid"; } 2>/dev/null
STATUS=$?
check_eq 137 "$STATUS" "the ingest died of SIGKILL"
killed_at=$(sql crash.db "select count(*) from incidents")
check_match "$killed_at" "^[0-9]+$" "the killed ingest's database can be read"
if [ "${killed_at:-0}" -gt 0 ] && [ "${killed_at:-0}" -lt "$TOTAL" ]; then
    pass "the kill came in the middle ($killed_at of $TOTAL rows stored)"
else
    fail "the kill came in the middle" "expected between 1 and $((TOTAL - 1)) rows, got $killed_at"
fi
check_sql crash.db "pragma integrity_check" ok "the database is intact after kill -9"
check_sql crash.db "select count(*) from incidents where year is null or source_id is null
        or row_hash is null or extra is null" 0 "every stored record is complete"
check_prefix crash.db "the stored records are exactly the first rows of the file"
check_no_file "no half-written rejects file under the final name" crash_rejects.jsonl

run "$VIGIL" --db crash.db ingest --json --rejects crash_rejects.jsonl big.csv
check_status 0 "the same command again: exit 0"
check_summary "$TOTAL" $((TOTAL - killed_at)) 0 "$killed_at" 0 \
    "the second run inserts the rest and leaves the $killed_at stored rows unchanged"
inserted=$(json_count inserted)
unchanged=$(json_count unchanged)
check_eq "$TOTAL" "$((${inserted:-0} + ${unchanged:-0}))" "inserted + unchanged = rows"
check_sql crash.db "select count(*), count(distinct source_id) from incidents" "$TOTAL|$TOTAL" \
    "all $TOTAL rows are stored, once each"
check_sql crash.db "pragma integrity_check" ok "the database is intact after the second run"
check_prefix crash.db "the stored records are the rows of the file"
check_file "the rejects file is written by the complete run" crash_rejects.jsonl
check_no_file "no temporary rejects file is left" crash_rejects.jsonl.*

# The completed database holds the same records as an uninterrupted ingest of the fixture: the
# first copy of the rows (ids 9000...) has the fixture's values.
run "$VIGIL" --db ref.db ingest --json "$VG_TEST_DATA/gtd_400_utf8.csv"
Q="select year, month, day, country, city, latitude, killed, wounded, summary, extra from incidents"
ORDER="order by year, month, day, country, city, latitude, killed, wounded, summary, extra"
dump ref.db ref.dump "$Q $ORDER"
dump crash.db copy0.dump "$Q where source_id like '9000%' $ORDER"
check_files_equal ref.dump copy0.dump "the first copy of the rows has the fixture's values"

# ---- SIGINT: stop, keep what was read, say so ----
"$VIGIL" --db int.db ingest --json --batch-rows 2000 --rejects int_rejects.jsonl big.csv >int.out 2>int.err &
pid=$!
if wait_rows int.db "$pid"; then
    kill -INT "$pid"
    pass "the ingest was running when interrupted"
else
    fail "the ingest was running when interrupted" "$(cat int.err)"
fi
{ wait "$pid"; } 2>/dev/null
STATUS=$?
OUT=$(cat int.out)
ERR=$(cat int.err)
check_status 130 "an interrupted ingest exits 130"
check_contains "$ERR" "interrupted" "stderr says the ingest was interrupted"
stored=$(sql int.db "select count(*) from incidents")
check_eq "$stored" "$(json_count inserted)" "the interrupted run's summary counts what is stored"
if [ "${stored:-0}" -gt 0 ] && [ "${stored:-0}" -lt "$TOTAL" ]; then
    pass "the interrupt came in the middle ($stored of $TOTAL rows stored)"
else
    fail "the interrupt came in the middle" "expected between 1 and $((TOTAL - 1)) rows, got $stored"
fi
check_sql int.db "pragma integrity_check" ok "the database is intact after SIGINT"
check_prefix int.db "after SIGINT the stored records are the first rows of the file"
check_file "the rejects file is complete after SIGINT" int_rejects.jsonl
check_no_file "no temporary rejects file is left after SIGINT" int_rejects.jsonl.*

run "$VIGIL" --db int.db ingest --json big.csv
check_status 0 "after SIGINT the same command completes: exit 0"
check_summary "$TOTAL" $((TOTAL - stored)) 0 "$stored" 0 "after SIGINT the rest is inserted"

finish
