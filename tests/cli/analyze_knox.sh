# analyze_knox.sh - `vigil analyze knox`: the Knox test on a CSV of events. A hand-worked example
# (every figure checked), the counts against brute force in Python on random data, the three
# output formats, reproducible Monte Carlo p-values whatever the thread count, and bad input:
# missing columns, values that are not finite numbers, too few rows, bad options.
. "$VG_TESTLIB"

# jfield NAME: one field of the JSON object in OUT.
jfield() {
    printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# ---- help ----
run "$VIGIL" analyze knox --help
check_status 0 "--help: exit 0"
check_contains "$OUT" "Usage: vigil analyze knox" "--help prints the usage"
check_contains "$OUT" "inclusive" "--help says the bounds are inclusive"

# ---- the hand-worked example (as in docs/methods/knox.md) ----
# Five events, D = 1, T = 2. Close in space: A-B (exactly 1 apart) and C-D; N_s = 2.
# Close in time: A-B 1, A-C 2 (exactly T), B-C 1, B-E 2, C-E 1; N_t = 5. N = 10 pairs.
# X = 1 (A-B), E = 2 * 5 / 10 = 1, P(Y >= 1 | Poisson(1)) = 1 - e^-1 = 0.6321205588285577.
cat >hand.csv <<'CSV'
name,x,y,t,note
A,0,0,0,first
B,1,0,1,
C,0,3,2,"with, comma"
D,0,4,10,
E,5,5,3,
CSV
run "$VIGIL" analyze knox --events hand.csv --space 1 --time 2 --format json
check_status 0 "hand example: exit 0"
check_eq "1" "$(jfield observed)" "hand example: X = 1"
check_eq "1" "$(jfield expected)" "hand example: E = 1"
check_eq "0.6321205588285577" "$(jfield p_poisson)" "hand example: Poisson p = 1 - e^-1"
check_eq "10 2 5" "$(jfield pairs) $(jfield close_space) $(jfield close_time)" "hand example: N, N_s, N_t"
check_eq "5 999 1" "$(jfield events) $(jfield permutations) $(jfield seed)" \
    "hand example: events; 999 permutations and seed 1 by default"
pmc=$(jfield p_monte_carlo)
check_match "$pmc" '^(0\.[0-9]+|1\.0)$' "hand example: a Monte Carlo p-value in (0, 1]"
run python3 -c '
import json, sys
o = json.loads(sys.argv[1])
# p = (1 + at_least) / (B + 1)
sys.exit(0 if abs(o["p_monte_carlo"] - (1 + o["at_least"]) / (o["permutations"] + 1)) < 1e-15 else 1)
' "$(cat .run.out)"
check_status 0 "hand example: p_monte_carlo = (1 + at_least) / (B + 1)"

run "$VIGIL" analyze knox --events hand.csv --space 1 --time 0 --format json
check_status 0 "T = 0 is allowed"
check_eq "0 0" "$(jfield close_time) $(jfield observed)" "T = 0: no two events share a time"

# ---- formats ----
run "$VIGIL" analyze knox --events hand.csv --space 1 --time 2 --format csv --permutations 99 --seed 5
check_status 0 "--format csv: exit 0"
check_eq "events,space,time,pairs,close_space,close_time,observed,expected,ratio,p_poisson,p_monte_carlo,permutations,seed,at_least,permutation_mean,permutation_min,permutation_max" \
    "$(printf '%s\n' "$OUT" | head -n 1)" "--format csv: the header"
check_match "$OUT" '^5,1,2,10,2,5,1,1,1,0\.6321205588285577,[0-9.]+,99,5,[0-9]+,' "--format csv: the figures"
run "$VIGIL" analyze knox --events hand.csv --space 1 --time 2
check_status 0 "--format table (default): exit 0"
check_match "$OUT" 'observed X \(close in both\) +1$' "table: X"
check_match "$OUT" 'expected E = N_s N_t / N +1\.0000$' "table: E"
check_match "$OUT" 'Poisson P\(Y >= X\) +0\.632121$' "table: the Poisson p-value"

# ---- against brute force on random data ----
python3 - <<'PY'
import random
random.seed(11)
with open("rand.csv", "w") as f:
    f.write("t,x,y\n")
    for i in range(300):
        # integer coordinates and days: many pairs exactly at the bounds
        f.write("%d,%d,%d\n" % (random.randint(0, 90), random.randint(0, 40), random.randint(0, 40)))
PY
cat >brute.py <<'PY'
import csv, sys
D, T = float(sys.argv[2]), float(sys.argv[3])
rows = [(float(r["x"]), float(r["y"]), float(r["t"])) for r in csv.DictReader(open(sys.argv[1]))]
n = len(rows)
ns = nt = x = 0
for i in range(n):
    for j in range(i + 1, n):
        dx, dy = rows[i][0] - rows[j][0], rows[i][1] - rows[j][1]
        s = dx * dx + dy * dy <= D * D
        t = abs(rows[i][2] - rows[j][2]) <= T
        ns += s; nt += t; x += s and t
print(n * (n - 1) // 2, ns, nt, x)
PY
for DT in "1 0" "5 3" "2.5 7" "10 1"; do
    set -- $DT
    run "$VIGIL" analyze knox --events rand.csv --space "$1" --time "$2" --permutations 9 --format json
    check_eq "$(python3 brute.py rand.csv "$1" "$2")" \
        "$(jfield pairs) $(jfield close_space) $(jfield close_time) $(jfield observed)" \
        "D=$1 T=$2: N, N_s, N_t and X as brute force counts them"
done

# ---- reproducible Monte Carlo ----
run "$VIGIL" analyze knox --events rand.csv --space 5 --time 3 --permutations 199 --seed 77 --threads 1 --format json
one=$OUT
run "$VIGIL" analyze knox --events rand.csv --space 5 --time 3 --permutations 199 --seed 77 --threads 2 --format json
check_eq "$one" "$OUT" "the same seed gives the same result with 1 and 2 threads"
run "$VIGIL" analyze knox --events rand.csv --space 5 --time 3 --permutations 199 --seed 77 --threads 5 --format json
check_eq "$one" "$OUT" "... and with 5 threads"
run "$VIGIL" analyze knox --events rand.csv --space 5 --time 3 --permutations 199 --seed 77 --format json
check_eq "$one" "$OUT" "... and with the default thread count"
run "$VIGIL" analyze knox --events rand.csv --space 5 --time 3 --permutations 199 --seed 78 --format json
check_eq "$(printf '%s' "$one" | python3 -c 'import json,sys; print(json.load(sys.stdin)["observed"])')" \
    "$(jfield observed)" "another seed: the same X"
check_not_contains "$one" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; o=json.load(sys.stdin); print("\"permutation_mean\":%r" % o["permutation_mean"])')" \
    "another seed: other permutations"
RUN_STDIN=rand.csv run "$VIGIL" analyze knox --events - --space 5 --time 3 --permutations 199 --seed 77 --format json
check_eq "$one" "$OUT" "--events - reads standard input"

# ---- bad input: exit 1, the message names file, line and column ----
bad_file() { # DESCRIPTION NEEDLE CONTENT
    printf '%b' "$3" >bad.csv
    run "$VIGIL" analyze knox --events bad.csv --space 1 --time 1
    check_status 1 "$1: exit 1"
    check_contains "$ERR" "$2" "$1: the message says '$2'"
    check_empty "$OUT" "$1: nothing on stdout"
}
bad_file "a missing column" "bad.csv:1: the header has no column named t" 'x,y,time\n1,2,3\n4,5,6\n'
bad_file "no header" "bad.csv:1: the header has no column named x" '1,2,3\n4,5,6\n'
bad_file "a column named twice" "bad.csv:1: column x: the header names it twice" 'x,y,t,X\n1,2,3,4\n'
bad_file "a non-numeric value" "bad.csv:3: column y: 'abc': not a number" 'x,y,t\n1,2,3\n4,abc,6\n'
bad_file "an empty value" "bad.csv:2: column t: empty value" 'x,y,t\n1,2,\n4,5,6\n'
bad_file "a NaN coordinate" "bad.csv:2: column x: 'nan': NaN is not allowed" 'x,y,t\nnan,2,3\n4,5,6\n'
bad_file "an infinite time" "bad.csv:3: column t: 'inf': not a finite number" 'x,y,t\n1,2,3\n4,5,inf\n'
bad_file "an overflowing number" "bad.csv:2: column y: '1e400': not a finite number" 'x,y,t\n1,1e400,3\n4,5,6\n'
bad_file "a short row" "bad.csv:3: expected 3 fields as in the header, found 2" 'x,y,t\n1,2,3\n4,5\n'
bad_file "an empty file" "bad.csv: the file is empty" ''
bad_file "no rows" "bad.csv: the Knox test needs at least two events, the file has none" 'x,y,t\n'
bad_file "one row" "bad.csv: the Knox test needs at least two events, the file has one" 'x,y,t\n1,2,3\n'
run "$VIGIL" analyze knox --events missing.csv --space 1 --time 1
check_status 1 "a missing file: exit 1"
check_contains "$ERR" "missing.csv: cannot open" "a missing file is named"

# ---- usage errors: exit 2 ----
usage_error() { # DESCRIPTION NEEDLE ARGS...
    local desc=$1 needle=$2
    shift 2
    run "$VIGIL" analyze knox "$@"
    check_status 2 "$desc: exit 2"
    check_contains "$ERR" "$needle" "$desc: the message names '$needle'"
    check_empty "$OUT" "$desc: nothing on stdout"
}
usage_error "D = 0" "--space must be a number greater than 0, not '0'" --events hand.csv --space 0 --time 1
usage_error "D < 0" "--space must be a number greater than 0, not '-1'" --events hand.csv --space -1 --time 1
usage_error "D not a number" "--space must be a number greater than 0, not 'far'" --events hand.csv --space far --time 1
usage_error "D infinite" "not 'inf'" --events hand.csv --space inf --time 1
usage_error "D NaN" "not 'nan'" --events hand.csv --space nan --time 1
usage_error "T < 0" "--time must be a number of days, 0 or more, not '-1'" --events hand.csv --space 1 --time -1
usage_error "T NaN" "--time must be a number of days" --events hand.csv --space 1 --time nan
usage_error "0 permutations" "--permutations must be a whole number from 1 to 100000, not '0'" --events hand.csv --space 1 --time 1 --permutations 0
usage_error "too many permutations" "not '100001'" --events hand.csv --space 1 --time 1 --permutations 100001
usage_error "absurd permutations" "not '99999999999999999999999'" --events hand.csv --space 1 --time 1 --permutations 99999999999999999999999
usage_error "negative permutations" "not '-5'" --events hand.csv --space 1 --time 1 --permutations -5
usage_error "a negative seed" "--seed must be a whole number" --events hand.csv --space 1 --time 1 --seed -1
usage_error "0 threads" "--threads" --events hand.csv --space 1 --time 1 --threads 0
usage_error "no --events" "--events FILE is required" --space 1 --time 1
usage_error "no --space" "--space D is required" --events hand.csv --time 1
usage_error "no --time" "--time T is required" --events hand.csv --space 1
usage_error "an unknown format" "xml" --events hand.csv --space 1 --time 1 --format xml
usage_error "an unknown option" "--radius" --events hand.csv --space 1 --time 1 --radius 3
usage_error "a stray argument" "extra" --events hand.csv --space 1 --time 1 extra

finish
