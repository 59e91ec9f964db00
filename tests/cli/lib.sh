# lib.sh - helpers shared by the command-line tests of `vigil` (sourced through "$VG_TESTLIB").
#
# Each test script runs the real binary ($VIGIL) in a scratch directory made with mktemp -d,
# which is also the working directory and is removed when the script exits. `run` executes one
# command and keeps its standard output, standard error and exit status; the check_* helpers
# compare what came with what was expected and print both on a mismatch. `finish` prints the
# summary line "N passed, N failed" and exits with status 1 when any check failed. A script that
# stops before `finish` counts as failed.
#
# Environment given by tests/CMakeLists.txt: VIGIL (the binary), VG_TEST_DATA (tests/data),
# VG_SAMPLE_DATA (data/sample), VG_TESTLIB (this file).
#
# Run as a script rather than sourced (ctest does so, as cli_lib), the file tests its own helpers:
# that a failed check is counted and reported with what was expected and what came, that the
# summary and exit status follow, that the scratch directory goes away, and that a sanitizer
# report is caught.

set -u

: "${VIGIL:?VIGIL must name the vigil binary}"
: "${VG_TEST_DATA:?VG_TEST_DATA must name tests/data}"
: "${VG_SAMPLE_DATA:?VG_SAMPLE_DATA must name data/sample}"

# The tests choose the database themselves: no inherited default.
unset VIGIL_DB

# The scripts work in their scratch directory: make the given paths absolute first.
vg_abs() {
    case "$1" in
    /*) printf '%s' "$1" ;;
    */*) printf '%s/%s' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")" ;;
    *) printf '%s' "$1" ;; # a bare name is looked up in PATH
    esac
}
VIGIL=$(vg_abs "$VIGIL")
VG_TEST_DATA=$(cd "$VG_TEST_DATA" && pwd)
VG_SAMPLE_DATA=$(cd "$VG_SAMPLE_DATA" && pwd)
[ -n "${VG_TESTLIB:-}" ] && VG_TESTLIB=$(vg_abs "$VG_TESTLIB")
export VIGIL VG_TEST_DATA VG_SAMPLE_DATA

VG_PASSED=0
VG_FAILED=0
VG_FINISHED=0
VG_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vigil-cli.XXXXXX") || {
    echo "cannot make a scratch directory" >&2
    exit 1
}

vg_on_exit() {
    local status=$?
    # Background commands a test left running belong to this script; stop them.
    local pids
    pids=$(jobs -p 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    cd / && rm -rf "$VG_SCRATCH"
    if [ "$VG_FINISHED" != 1 ]; then
        echo "FAIL: the script stopped before its end (status $status)"
        echo "$VG_PASSED passed, $((VG_FAILED + 1)) failed"
        exit 1
    fi
}
trap vg_on_exit EXIT
cd "$VG_SCRATCH" || exit 1

pass() {
    VG_PASSED=$((VG_PASSED + 1))
    echo "ok: $1"
}

# fail DESCRIPTION [DETAIL...]: records a failure; each DETAIL is printed on its own line.
fail() {
    VG_FAILED=$((VG_FAILED + 1))
    echo "FAIL: $1"
    shift
    local detail
    for detail in "$@"; do
        printf '%s\n' "$detail" | sed 's/^/    /'
    done
}

# Shows at most 20 lines of a text, indented, for failure reports.
vg_excerpt() {
    printf '%s\n' "$1" | head -n 20 | sed 's/^/  | /'
}

# run CMD [ARG...]: runs a command; sets OUT, ERR (texts) and STATUS. Standard input is empty
# unless RUN_STDIN names a file. A sanitizer report on stderr is a failure of its own, since it
# would otherwise pass for an ordinary error status.
run() {
    local in=${RUN_STDIN:-/dev/null}
    "$@" <"$in" >"$VG_SCRATCH/.run.out" 2>"$VG_SCRATCH/.run.err"
    STATUS=$?
    OUT=$(cat "$VG_SCRATCH/.run.out")
    ERR=$(cat "$VG_SCRATCH/.run.err")
    if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$VG_SCRATCH/.run.err"; then
        fail "no sanitizer report from: $*" "$(vg_excerpt "$ERR")"
    fi
}

# check_status EXPECTED DESCRIPTION: the status of the last `run`.
check_status() {
    if [ "$STATUS" = "$1" ]; then
        pass "$2"
    else
        fail "$2" "expected exit status $1, got $STATUS" "stdout:" "$(vg_excerpt "$OUT")" \
            "stderr:" "$(vg_excerpt "$ERR")"
    fi
}

# check_eq EXPECTED ACTUAL DESCRIPTION
check_eq() {
    if [ "$1" = "$2" ]; then
        pass "$3"
    else
        fail "$3" "expected: $1" "got:      $2"
    fi
}

# check_contains TEXT NEEDLE DESCRIPTION: TEXT holds NEEDLE (a fixed string).
check_contains() {
    case "$1" in
    *"$2"*) pass "$3" ;;
    *) fail "$3" "expected to find: $2" "in:" "$(vg_excerpt "$1")" ;;
    esac
}

# check_not_contains TEXT NEEDLE DESCRIPTION
check_not_contains() {
    case "$1" in
    *"$2"*) fail "$3" "expected not to find: $2" "in:" "$(vg_excerpt "$1")" ;;
    *) pass "$3" ;;
    esac
}

# check_match TEXT ERE DESCRIPTION: some line of TEXT matches the extended regular expression.
check_match() {
    if printf '%s\n' "$1" | grep -qE -- "$2"; then
        pass "$3"
    else
        fail "$3" "expected a line matching: $2" "in:" "$(vg_excerpt "$1")"
    fi
}

# check_empty TEXT DESCRIPTION
check_empty() {
    if [ -z "$1" ]; then
        pass "$2"
    else
        fail "$2" "expected nothing, got:" "$(vg_excerpt "$1")"
    fi
}

# check_files_equal EXPECTED_FILE ACTUAL_FILE DESCRIPTION: byte for byte; shows the first diffs.
check_files_equal() {
    if [ ! -e "$1" ] || [ ! -e "$2" ]; then
        fail "$3" "missing file: $([ -e "$1" ] || echo "$1") $([ -e "$2" ] || echo "$2")"
    elif cmp -s "$1" "$2"; then
        pass "$3"
    else
        fail "$3" "expected $1 and $2 to be equal; first differences (< expected, > got):" \
            "$(diff "$1" "$2" | head -n 12 | cut -c1-200)"
    fi
}

# check_file DESCRIPTION PATH: the file exists.
check_file() {
    if [ -e "$2" ]; then pass "$1"; else fail "$1" "expected the file $2 to exist"; fi
}

# check_no_file DESCRIPTION PATH...: none of the paths (globs allowed) exists.
check_no_file() {
    local desc=$1 p found=""
    shift
    for p in "$@"; do
        [ -e "$p" ] && found="$found $p"
    done
    if [ -z "$found" ]; then pass "$desc"; else fail "$desc" "expected no such file, found:$found"; fi
}

# sql DB QUERY: runs a query with the sqlite3 shell ('|' between columns).
sql() {
    sqlite3 -batch "$1" "$2"
}

# check_sql DB QUERY EXPECTED DESCRIPTION
check_sql() {
    local got
    got=$(sqlite3 -batch "$1" "$2" 2>&1)
    if [ "$got" = "$3" ]; then
        pass "$4"
    else
        fail "$4" "query: $2" "expected: $3" "got:      $(printf '%s' "$got" | head -n 5)"
    fi
}

# check_summary ROWS INSERTED UPDATED UNCHANGED REJECTED DESCRIPTION: OUT of the last run is
# exactly one JSON object with exactly these five counts.
check_summary() {
    local expected="rows=$1 inserted=$2 updated=$3 unchanged=$4 rejected=$5" got
    got=$(printf '%s' "$OUT" | python3 -c '
import json, sys
text = sys.stdin.read()
try:
    obj, end = json.JSONDecoder().raw_decode(text.strip())
except ValueError as e:
    print("not JSON: %s" % e); sys.exit()
if text.strip()[end:].strip():
    print("more than one JSON value on stdout"); sys.exit()
keys = ["rows", "inserted", "updated", "unchanged", "rejected"]
if not isinstance(obj, dict) or sorted(obj) != sorted(keys):
    print("keys %s, not %s" % (sorted(obj) if isinstance(obj, dict) else type(obj).__name__, keys))
    sys.exit()
if not all(type(obj[k]) is int for k in keys):
    print("a count is not an integer: %s" % obj); sys.exit()
print(" ".join("%s=%d" % (k, obj[k]) for k in keys))
')
    if [ "$got" = "$expected" ]; then
        pass "$6"
    else
        fail "$6" "expected: $expected" "got:      $got" "stdout:" "$(vg_excerpt "$OUT")" \
            "stderr:" "$(vg_excerpt "$ERR")"
    fi
}

# json_count FIELD: one count from the JSON summary in OUT (empty when it cannot be read).
json_count() {
    printf '%s' "$OUT" | python3 -c '
import json, sys
try:
    print(json.loads(sys.stdin.read())[sys.argv[1]])
except Exception:
    pass
' "$1"
}

# dump DB FILE [QUERY]: writes the incidents (all columns, by id) or QUERY's result to FILE.
dump() {
    sqlite3 -batch "$1" "${3:-select * from incidents order by id}" >"$2"
}

finish() {
    VG_FINISHED=1
    echo "$VG_PASSED passed, $VG_FAILED failed"
    [ "$VG_FAILED" -eq 0 ] || exit 1
    exit 0
}

# ---- self-test, when this file is run rather than sourced ----

# vg_child SCRIPT: runs SCRIPT in a fresh bash that sources this file; sets OUT, ERR, STATUS.
vg_child() {
    run bash -c ". \"\$VG_TESTLIB\"; $1"
}

vg_selftest() {
    export VG_TESTLIB="${VG_TESTLIB:-${BASH_SOURCE[0]}}"

    vg_child 'check_eq a a same; check_contains "xyz" y has; finish'
    check_status 0 "a script whose checks all pass exits 0"
    check_eq "2 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)" "its last line is the summary"

    vg_child 'check_eq expected-text actual-text "a comparison"; check_eq 1 1 same; finish'
    check_status 1 "a script with a failed check exits 1"
    check_eq "1 passed, 1 failed" "$(printf '%s\n' "$OUT" | tail -n 1)" "the summary counts the failure"
    check_contains "$OUT" "FAIL: a comparison" "the failed check is named"
    check_contains "$OUT" "expected: expected-text" "the failure shows what was expected"
    check_contains "$OUT" "got:      actual-text" "the failure shows what came"

    vg_child 'run sh -c "echo out; echo err >&2; exit 7"; check_status 3 "status"; finish'
    check_status 1 "a wrong exit status fails the script"
    check_contains "$OUT" "expected exit status 3, got 7" "the status failure shows both statuses"
    check_contains "$OUT" "  | err" "the status failure shows the command's stderr"

    vg_child 'run sh -c "echo \"ERROR: AddressSanitizer: heap-use-after-free\" >&2; exit 1"
              check_status 1 "status"; finish'
    check_status 1 "a sanitizer report fails the script even with the expected status"
    check_contains "$OUT" "no sanitizer report" "the sanitizer failure is named"

    vg_child 'check_contains "abc" "zz" "needle"; check_no_file "no file" /; check_sql "" "select 1+1" 3 "sql"; finish'
    check_status 1 "failed contains, file and sql checks fail the script"
    check_eq "0 passed, 3 failed" "$(printf '%s\n' "$OUT" | tail -n 1)" "each of them is counted"

    vg_child 'echo "$VG_SCRATCH"; exit 0'
    check_status 1 "a script that stops before finish fails"
    local dir
    dir=$(printf '%s\n' "$OUT" | head -n 1)
    check_match "$dir" "^/.*/vigil-cli\.[A-Za-z0-9]{6}$" "the scratch directory is made with mktemp"
    check_no_file "the scratch directory is removed on exit" "$dir"

    vg_child 'OUT={\"rows\":2,\"inserted\":1,\"updated\":1,\"unchanged\":0,\"rejected\":0}
              check_summary 2 1 1 0 0 good
              OUT="{\"rows\":2} {\"rows\":2}"; check_summary 2 0 0 0 0 two
              finish'
    check_status 1 "check_summary accepts the right object and refuses two objects"
    check_eq "1 passed, 1 failed" "$(printf '%s\n' "$OUT" | tail -n 1)" "check_summary counts both"

    finish
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    vg_selftest
fi
