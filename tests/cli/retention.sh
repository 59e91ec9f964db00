# retention.sh - `vigil retention run`: --help, a database without reports (nothing to purge,
# in every format, with and without --apply), a missing database (exit 1, none created) and bad
# command lines (exit 2). Which reports are due and how they are purged and audited is tested on
# the library (tests/unit/test_retention.c): no command creates reports.
. "$VG_TESTLIB"

DB="$VG_SCRATCH/r.db"
V() { run "$VIGIL" --db "$DB" "$@"; }

# ---- --help ----
run "$VIGIL" retention --help
check_status 0 "vigil retention --help exits 0"
check_contains "$OUT" "Usage: vigil [--db PATH] retention run" "vigil retention --help prints the usage"
check_empty "$ERR" "vigil retention --help writes nothing to stderr"
run "$VIGIL" --db "$VG_SCRATCH/help.db" retention run --help
check_status 0 "vigil retention run --help exits 0"
for opt in --apply --today --format --db; do
    check_contains "$OUT" "$opt" "vigil retention run --help describes $opt"
done
check_no_file "--help creates no database" "$VG_SCRATCH/help.db"

# ---- a database without reports ----
V org add "Police Nationale"
check_status 0 "org add: exit 0"
V user add --org "Police Nationale" --role analyst ana
check_status 0 "user add: exit 0"

V retention run
check_status 0 "retention run without reports: exit 0"
check_contains "$OUT" "nothing to purge" "retention run says there is nothing to purge"
check_not_contains "$OUT" "review_due" "no table header without rows"
check_empty "$ERR" "retention run writes nothing to stderr"
V retention run --today 2030-01-01
check_status 0 "retention run --today: exit 0"
check_contains "$OUT" "no report has a review date before 2030-01-01" "the message names the day"
V retention run --apply --today 2030-01-01
check_status 0 "retention run --apply without reports: exit 0"
check_contains "$OUT" "nothing to purge" "retention run --apply says there is nothing to purge"
V retention run --format csv
check_status 0 "retention run --format csv: exit 0"
check_eq "id,org,review_due,action" "$OUT" "CSV: the header only"
V retention run --format json --apply
check_status 0 "retention run --format json: exit 0"
check_eq "[]" "$OUT" "JSON: an empty array"
check_sql "$DB" "select count(*) from audit_log where action like 'retention-%'" "0" \
    "nothing due, nothing recorded"

# ---- a missing database ----
V2() { run "$VIGIL" --db "$VG_SCRATCH/missing.db" "$@"; }
V2 retention run
check_status 1 "retention run on a missing database: exit 1"
check_contains "$ERR" "does not exist" "the error says the database does not exist"
check_empty "$OUT" "nothing on stdout for a missing database"
V2 retention run --apply
check_status 1 "retention run --apply on a missing database: exit 1"
check_no_file "a missing database is not created" "$VG_SCRATCH/missing.db"*

# ---- bad command lines ----
V retention
check_status 2 "retention without a command: exit 2"
check_contains "$ERR" "Usage: vigil [--db PATH] retention run" "the usage goes to stderr"
V retention purge
check_status 2 "an unknown retention command: exit 2"
check_contains "$ERR" "unknown command 'purge'" "the unknown command is named"
V retention run --today 2026-02-30
check_status 2 "an impossible --today: exit 2"
check_contains "$ERR" "--today must be a date YYYY-MM-DD" "the message says what --today takes"
V retention run --today tomorrow
check_status 2 "a --today that is not a date: exit 2"
V retention run --today
check_status 2 "--today without a value: exit 2"
V retention run --format xml
check_status 2 "an unknown --format: exit 2"
check_contains "$ERR" "xml" "the unknown format is named"
V retention run --frobnicate
check_status 2 "an unknown option: exit 2"
check_contains "$ERR" "Try 'vigil retention run --help'" "the hint names the help"
V retention run extra
check_status 2 "an unexpected argument: exit 2"
check_contains "$ERR" "unexpected argument 'extra'" "the unexpected argument is named"
check_sql "$DB" "select count(*) from audit_log where action like 'retention-%'" "0" \
    "refused runs record nothing"

finish
