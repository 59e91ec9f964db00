# help.sh - `--help` of the program and of each command: exit 0, usage on stdout, nothing on stderr.
. "$VG_TESTLIB"

run "$VIGIL" --help
check_status 0 "vigil --help exits 0"
check_contains "$OUT" "Usage: vigil" "vigil --help prints the usage"
check_contains "$OUT" "ingest" "vigil --help lists the ingest command"
check_contains "$OUT" "stats" "vigil --help lists the stats command"
check_empty "$ERR" "vigil --help writes nothing to stderr"

run "$VIGIL" ingest --help
check_status 0 "vigil ingest --help exits 0"
check_contains "$OUT" "Usage: vigil [--db PATH] ingest" "vigil ingest --help prints the ingest usage"
for opt in --format --rejects --json --db; do
    check_contains "$OUT" "$opt" "vigil ingest --help describes $opt"
done
check_contains "$OUT" "Exit status" "vigil ingest --help gives the exit statuses"
check_empty "$ERR" "vigil ingest --help writes nothing to stderr"
check_no_file "vigil ingest --help creates no database" vigil.db

run "$VIGIL" stats --help
check_status 0 "vigil stats --help exits 0"
check_contains "$OUT" "Usage: vigil [--db PATH] stats --by" "vigil stats --help prints the stats usage"
for word in --by --measure --where --from --to --format year month country region attack \
    target weapon group source; do
    check_contains "$OUT" "$word" "vigil stats --help mentions $word"
done
check_empty "$ERR" "vigil stats --help writes nothing to stderr"

run "$VIGIL" help stats
check_status 0 "vigil help stats exits 0"
check_contains "$OUT" "Usage: vigil [--db PATH] stats" "vigil help stats shows the stats usage"

# --help wins over the other arguments of a command.
run "$VIGIL" --db "$VG_SCRATCH/x.db" ingest --help some-file.csv
check_status 0 "vigil --db X ingest --help FILE exits 0"
check_no_file "vigil ingest --help FILE reads nothing and creates no database" x.db

run "$VIGIL"
check_status 2 "vigil without a command is a usage error"
check_contains "$ERR" "Usage: vigil" "vigil without a command prints the usage on stderr"

run "$VIGIL" frobnicate
check_status 2 "an unknown command is a usage error"
check_contains "$ERR" "frobnicate" "the message names the unknown command"

finish
