# audit.sh - `vigil audit verify` and `vigil audit list`: an empty log, a log written by an
# independent implementation (Python) of the encoding that docs/internals/share.md documents,
# the same log altered behind the triggers' back, the output formats and filters, usage errors.
. "$VG_TESTLIB"

run "$VIGIL" audit --help
check_status 0 "vigil audit --help exits 0"
check_contains "$OUT" "Usage: vigil [--db PATH] audit verify|list" "vigil audit --help prints the usage"
check_empty "$ERR" "vigil audit --help writes nothing to stderr"
run "$VIGIL" help audit
check_status 0 "vigil help audit exits 0"
run "$VIGIL" audit verify --help
check_status 0 "vigil audit verify --help exits 0"
check_contains "$OUT" "Usage: vigil [--db PATH] audit verify" "audit verify --help prints its usage"
check_contains "$OUT" "Exit status" "audit verify --help gives the exit statuses"
run "$VIGIL" audit list --help
check_status 0 "vigil audit list --help exits 0"
for opt in --since --actor --action --limit --format --db; do
    check_contains "$OUT" "$opt" "audit list --help describes $opt"
done
check_no_file "--help creates no database" vigil.db

# ---- usage errors ----
run "$VIGIL" audit
check_status 2 "vigil audit without a command is a usage error"
run "$VIGIL" audit append --actor x --action read
check_status 2 "there is no audit append: records are not written from the command line"
check_contains "$ERR" "unknown command 'append'" "the message names the unknown command"
run "$VIGIL" audit verify extra
check_status 2 "audit verify takes no argument"
run "$VIGIL" audit list --format xml
check_status 2 "an unknown format is a usage error"
check_contains "$ERR" "unknown format 'xml' (table, csv or json)" "the message lists the formats"
run "$VIGIL" audit list --limit 0
check_status 2 "--limit 0 is a usage error"
check_contains "$ERR" "--limit must be a whole number" "the message says what --limit takes"
run "$VIGIL" audit list --since -1
check_status 2 "a negative --since is a usage error"
run "$VIGIL" audit list --bogus
check_status 2 "an unknown option is a usage error"

# ---- no database ----
run "$VIGIL" --db missing.db audit verify
check_status 1 "verify of a missing database fails"
check_contains "$ERR" "missing.db" "the message names the database"
check_no_file "verify does not create the database" missing.db

# ---- an empty log ----
printf 'eventid,iyear,imonth,iday,country_txt\n1,2020,1,1,Iraq\n' >one.csv
run "$VIGIL" --db a.db ingest one.csv
check_status 0 "a database is made"
run "$VIGIL" --db a.db audit verify
check_status 0 "an empty log verifies"
check_eq "0 records, chain intact" "$OUT" "an empty log is 0 records, intact"
run "$VIGIL" audit verify --db a.db
check_status 0 "--db after the command works too"
run "$VIGIL" --db a.db audit list
check_status 0 "list of an empty log exits 0"
check_match "$OUT" "^ +seq  at +actor +org +action +object +purpose$" "the table has its heading"
check_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "and no row"
run "$VIGIL" --db a.db audit list --format json
check_eq "[]" "$OUT" "an empty log is [] in JSON"
run "$VIGIL" --db a.db audit list --format csv
check_eq "seq,at,actor,org,action,object,purpose,detail,prev_hash,hash" "$OUT" \
    "an empty log is the CSV heading alone"

# ---- records written by an independent implementation of the documented encoding ----
cat >chain.py <<'PY'
import hashlib, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
def field(v):
    if v is None:
        return b"\x00"
    b = v.encode()
    return b"\x01" + struct.pack(">I", len(b)) + b
rows = [
    ("2026-05-09T10:00:00Z", "alice", "Agency A", "read", "report:42", "case 17", None),
    ("2026-05-09T10:01:00Z", "bob", None, "search", None, "", '{"q": "port"}'),
    ("2026-05-09T10:02:00Z", "alice", "Agency A", "export", "report:42", "partner, \"B\"", None),
]
prev = bytes(32)
for seq, r in enumerate(rows, 1):
    data = b"vigil-audit-v1" + struct.pack(">q", seq) + b"".join(field(v) for v in r) + prev
    h = hashlib.blake2b(data, digest_size=32).digest()
    db.execute("insert into audit_log values (?,?,?,?,?,?,?,?,?,?)", (seq, *r, prev, h))
    prev = h
db.commit()
print(prev.hex())
PY
LAST=$(python3 chain.py a.db)
check_match "$LAST" "^[0-9a-f]{64}$" "Python wrote three records"
run "$VIGIL" --db a.db audit verify
check_status 0 "records hashed as the documentation says verify"
check_eq "$(printf '3 records, chain intact\nlast record 3, hash %s' "$LAST")" "$OUT" \
    "verify counts them and gives the last hash, to keep elsewhere"

run "$VIGIL" --db a.db audit list
check_status 0 "list exits 0"
check_match "$OUT" "^ +2  2026-05-09T10:01:00Z +bob +- +search +- +$" \
    "absent fields are - in the table"
run "$VIGIL" --db a.db audit list --format csv --actor alice
check_eq "seq,at,actor,org,action,object,purpose,detail,prev_hash,hash" \
    "$(printf '%s\n' "$OUT" | head -n 1)" "CSV has its heading"
check_eq 3 "$(printf '%s\n' "$OUT" | wc -l)" "--actor alice keeps her two records"
PREV3=$(sqlite3 a.db "select lower(hex(prev_hash)) from audit_log where seq = 3")
check_contains "$OUT" \
    "3,2026-05-09T10:02:00Z,alice,Agency A,export,report:42,\"partner, \"\"B\"\"\",,$PREV3,$LAST" \
    "a CSV row quotes what needs it and ends with the hashes"
run "$VIGIL" --db a.db audit list --format json --since 1 --action search
check_status 0 "list --format json exits 0"
check_eq 1 "$(printf '%s' "$OUT" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r))')" \
    "--since 1 --action search selects one record"
check_eq "2 bob None  {\"q\": \"port\"}" \
    "$(printf '%s' "$OUT" | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(r["seq"], r["actor"], r["org"], r["purpose"], r["detail"])')" \
    "JSON keeps null apart from the empty string, and the detail"
run "$VIGIL" --db a.db audit list --format json --limit 2
check_eq 2 "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
    "--limit 2 gives two records"

# ---- the triggers refuse changes; with them dropped, verify finds the altered record ----
cp a.db b.db
run sqlite3 a.db "update audit_log set actor = 'mallory' where seq = 2"
check_contains "$ERR" "append-only" "the database refuses an UPDATE of the log"
run sqlite3 a.db "delete from audit_log where seq = 3"
check_contains "$ERR" "append-only" "the database refuses a DELETE from the log"

sqlite3 a.db "drop trigger audit_log_no_update; update audit_log set actor = 'mallory' where seq = 2"
run "$VIGIL" --db a.db audit verify
check_status 1 "verify of an altered log exits 1"
check_eq "$(printf '%s\n' 'chain broken at record 2 (hash mismatch)' \
    'record 2: its content does not match its hash (altered)' '1 record before it intact')" \
    "$OUT" "verify names the altered record"

sqlite3 b.db "drop trigger audit_log_no_delete; delete from audit_log where seq = 2"
run "$VIGIL" --db b.db audit verify
check_status 1 "verify of a log with a record removed exits 1"
check_contains "$OUT" "chain broken at record 2 (gap)" "verify names the missing record"

finish
