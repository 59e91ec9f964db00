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

run "$VIGIL" help frobnicate
check_status 2 "vigil help of an unknown command is a usage error"
check_contains "$ERR" "unknown command 'frobnicate'" "vigil help names the unknown command"
check_empty "$OUT" "vigil help of an unknown command writes nothing to stdout"

# `vigil help COMMAND SUB-COMMAND` is the sub-command's help.
run "$VIGIL" help analyze trend
check_status 0 "vigil help analyze trend exits 0"
check_contains "$OUT" "Usage: vigil [--db PATH] analyze trend" "vigil help analyze trend shows trend's"
run "$VIGIL" help audit list
check_contains "$OUT" "Usage: vigil [--db PATH] audit list" "vigil help audit list shows list's"

# Every sub-command of sites takes --db among its options, as the other commands do.
for sub in import list show threat assess; do
    run "$VIGIL" sites "$sub" --help
    check_contains "$OUT" "--db PATH" "vigil sites $sub --help lists --db"
done
run "$VIGIL" sites list --db "$VG_SCRATCH/none/x.db"
check_status 1 "sites list --db takes the option (and fails on the missing directory)"
check_contains "$ERR" "none/x.db" "the error names the database given after the command"

# Range errors name the option once, with its two dashes.
run "$VIGIL" serve --threads 65
check_status 2 "serve --threads 65 is a usage error"
check_contains "$ERR" "vigil serve: --threads must be a whole number from 1 to 64, not '65'" \
    "the message names --threads"
for cmd in "risk rank" "risk site FRA"; do
    run "$VIGIL" $cmd --km 2001
    check_status 2 "$cmd --km 2001 is a usage error"
    check_contains "$ERR" "--km must be a number above 0 and at most 2000" \
        "$cmd gives the real limit of --km"
done

finish
