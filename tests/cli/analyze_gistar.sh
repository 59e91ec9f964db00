# analyze_gistar.sh - `vigil analyze gistar`: the PySAL test vector exactly, random points against
# an all-pairs computation in Python (PySAL's formula, (G - E[G]) / sqrt(V[G])), the formats and
# the input dialects, and every kind of bad input: a clear message naming file, line and column,
# exit status 1; a bad command line, exit status 2.
. "$VG_TESTLIB"

cat >pysal.csv <<'CSV'
x,y,value
10,10,2
20,10,3
40,10,3.2
15,20,5
30,20,8
30,30,7
CSV

# esda's G_Local(y, DistanceBand(points, threshold=15), transform='B', star=True): Zs are
# -1.39727626 -0.28917762 0.65064964 -0.28917762 1.23452088 2.02424331, p_norm = norm.sf(|z|).
PYSAL_OUT=$(
    cat <<'EOF'
x,y,value,z,p
10,10,2,-1.3973,0.081165
20,10,3,-0.2892,0.386223
40,10,3.2,0.6506,0.257636
15,20,5,-0.2892,0.386223
30,20,8,1.2345,0.108504
30,30,7,2.0242,0.021473
EOF
)

run "$VIGIL" analyze gistar --points pysal.csv --band 15
check_status 0 "the PySAL vector: exit 0"
check_eq "$PYSAL_OUT" "$OUT" "the PySAL vector: z to 4 decimals and the one-sided p, exactly"
check_empty "$ERR" "nothing on stderr"

run "$VIGIL" analyze gistar --band=15 --points=pysal.csv --format csv
check_eq "$PYSAL_OUT" "$OUT" "options in any order, with ="

# The same points through stdin, with the columns in another order among others, a ';' delimiter,
# decimal commas, CRLF line ends and a blank line: the same figures.
printf 'id;Value;y;x;note\r\n1;2;10;10;a\r\n2;3;10;20;b\r\n\r\n3;3,2;10;40;c\r\n4;5;20;15;d\r\n5;8;20;30;e\r\n6;7;30;30;f\r\n' >dialect.csv
RUN_STDIN=dialect.csv run "$VIGIL" analyze gistar --points - --band 15
check_status 0 "stdin, another dialect: exit 0"
check_eq "$PYSAL_OUT" "$OUT" "stdin, reordered columns, ';', decimal comma, CRLF: the same output"

# JSON.
run "$VIGIL" analyze gistar --points pysal.csv --band 15 --format json
check_status 0 "JSON: exit 0"
got=$(printf '%s' "$OUT" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
print(" ".join("%g:%g:%g:%.4f:%.6f" % (r["x"], r["y"], r["value"], r["z"], r["p"]) for r in rows))')
check_eq "10:10:2:-1.3973:0.081165 20:10:3:-0.2892:0.386223 40:10:3.2:0.6506:0.257636 15:20:5:-0.2892:0.386223 30:20:8:1.2345:0.108504 30:30:7:2.0242:0.021473" \
    "$got" "JSON: the same figures"
printf 'x,y,value\n+1.,.5,1e1\n-0,007,-2.50\n' >odd.csv
run "$VIGIL" analyze gistar --points odd.csv --band 5 --format json
check_status 0 "JSON with unusual number forms: exit 0"
got=$(printf '%s' "$OUT" | python3 -c '
import json, sys
print(json.dumps([[r["x"], r["y"], r["value"]] for r in json.load(sys.stdin)]))' 2>&1)
check_eq "[[1, 0.5, 10.0], [0, 7, -2.5]]" "$got" "JSON numbers are valid JSON (+1. .5 007 written as 1 0.5 7)"
run "$VIGIL" analyze gistar --points odd.csv --band 5
check_eq "$(printf 'x,y,value,z,p\n+1.,.5,1e1,1.0000,0.158655\n-0,007,-2.50,-1.0000,0.158655')" "$OUT" \
    "CSV repeats the numbers as the file gave them"

# --out: the file appears whole, nothing else is left.
run "$VIGIL" analyze gistar --points pysal.csv --band 15 --out out/../result.csv
check_status 1 "--out into a directory that does not exist: exit 1"
run "$VIGIL" analyze gistar --points pysal.csv --band 15 --out result.csv
check_status 0 "--out: exit 0"
check_empty "$OUT" "--out: nothing on stdout"
check_eq "$PYSAL_OUT" "$(cat result.csv)" "--out: the file holds the output"
check_no_file "--out leaves no temporary file" result.csv.tmp*

# Random points against an all-pairs Gi* in Python, written with PySAL's moments:
# G = sum w y / sum y, E = W/n, V = W (n - W) / (n - 1) / n^2 * s^2 / ybar^2, z = (G - E) / sqrt(V).
python3 - <<'PY'
import random
random.seed(42)
with open("random.csv", "w") as f:
    f.write("value,x,y\n")
    for i in range(600):
        x, y = random.uniform(0, 100), random.uniform(-50, 50)
        if i % 10 == 0:
            x, y = 20 + random.uniform(0, 3), 20 + random.uniform(0, 3)   # a cluster
        v = random.randint(0, 20) + (30 if i % 10 == 0 else 0)
        f.write("%d,%.4f,%.4f\n" % (v, x, y))
PY
run "$VIGIL" analyze gistar --points random.csv --band 7.5
check_status 0 "random points: exit 0"
printf '%s\n' "$OUT" >random.out
got=$(python3 - <<'PY'
import csv, math
pts = [(float(r["x"]), float(r["y"]), float(r["value"])) for r in csv.DictReader(open("random.csv"))]
out = list(csv.DictReader(open("random.out")))
n = len(pts)
ybar = sum(p[2] for p in pts) / n
s2 = sum(p[2] ** 2 for p in pts) / n - ybar ** 2
bad = []
if len(out) != n:
    bad.append("%d rows, expected %d" % (len(out), n))
for i, (x, y, v) in enumerate(pts):
    W = 0; sw = 0.0
    for (a, b, u) in pts:
        if (a - x) ** 2 + (b - y) ** 2 <= 7.5 ** 2:
            W += 1; sw += u
    G = sw / (ybar * n)
    E = W / n
    V = W * (n - W) / (n - 1) / n ** 2 * s2 / ybar ** 2
    z = (G - E) / math.sqrt(V)
    p = 0.5 * math.erfc(abs(z) / math.sqrt(2))
    r = out[i] if i < len(out) else None
    if r is None or abs(float(r["z"]) - z) > 0.000051 or abs(float(r["p"]) - p) > 0.0000051:
        bad.append("row %d: %s, expected z %.6f p %.6f" % (i, r, z, p))
print("; ".join(bad[:3]) if bad else "same")
PY
)
check_eq "same" "$got" "random points: every z and p as the all-pairs computation"
run "$VIGIL" analyze gistar --points random.csv --band 7.5 --threads 1
check_eq "$(cat random.out)" "$OUT" "one thread or several: the same output"

# ---- bad input: exit 1, with file, line and column ----
bad_file() { # DESCRIPTION CONTENT EXPECTED-MESSAGE
    printf '%b' "$2" >bad.csv
    run "$VIGIL" analyze gistar --points bad.csv --band 10
    check_status 1 "$1: exit 1"
    check_contains "$ERR" "$3" "$1: the message"
    check_empty "$OUT" "$1: no output"
}
bad_file "a missing column" 'x,y,count\n1,2,3\n' "vigil: bad.csv:1: column value: no such column in the header (it has: x, y, count)"
bad_file "a column named twice" 'x,y,value,Y\n1,2,3,4\n' "bad.csv:1: column y: the header names this column twice"
bad_file "a value that is not a number" 'x,y,value\n1,2,3\n4,5,abc\n' "vigil: bad.csv:3: column value: not a number: 'abc'"
bad_file "a NaN coordinate" 'x,y,value\n1,2,3\nNaN,5,6\n' "bad.csv:3: column x: not a finite number: 'NaN'"
bad_file "an infinite coordinate" 'x,y,value\n1,2,3\n4,-inf,6\n' "bad.csv:3: column y: not a finite number: '-inf'"
bad_file "a coordinate out of range" 'x,y,value\n1,2,3\n4,1e400,6\n' "bad.csv:3: column y: out of the range of a double"
bad_file "an empty field" 'x,y,value\n1,2,3\n4,5,\n' "bad.csv:3: column value: empty value"
bad_file "a short line" 'x,y,value\n1,2,3\n4,5\n' "bad.csv:3: column value: missing: the line has 2 fields, the header 3"
bad_file "an empty file" '' "bad.csv: the file is empty"
bad_file "a header without rows" 'x,y,value\n' "bad.csv: no points: the file has a header but no rows"
bad_file "a single point" 'x,y,value\n1,2,3\n' "Gi* needs at least 2 points, got 1"
bad_file "all values equal" 'x,y,value\n1,2,3\n4,5,3\n9,9,3\n' "all 3 values are 3: with no variance Gi* is undefined"
bad_file "an unclosed quote" 'x,y,value\n1,2,3\n4,5,"6\n' "bad.csv:3: quoted field is never closed"

run "$VIGIL" analyze gistar --points missing.csv --band 10
check_status 1 "a file that does not exist: exit 1"
check_contains "$ERR" "missing.csv: No such file or directory" "the message names the file"

# ---- the command line: exit 2 ----
usage_error() { # DESCRIPTION EXPECTED-MESSAGE ARGS...
    local desc=$1 msg=$2
    shift 2
    run "$VIGIL" analyze gistar "$@"
    check_status 2 "$desc: exit 2"
    check_contains "$ERR" "$msg" "$desc: the message"
    check_contains "$ERR" "Try 'vigil analyze gistar --help'" "$desc: the hint"
}
usage_error "no --points" "--points FILE is required" --band 15
usage_error "no --band" "--band D is required" --points pysal.csv
usage_error "a band of zero" "--band must be a positive number, not '0'" --points pysal.csv --band 0
usage_error "a negative band" "--band must be a positive number, not '-15'" --points pysal.csv --band -15
usage_error "a band that is not a number" "not '15km'" --points pysal.csv --band 15km
usage_error "a band of NaN" "not 'nan'" --points pysal.csv --band nan
usage_error "an infinite band" "not 'inf'" --points pysal.csv --band inf
usage_error "an unknown format" "unknown format 'xml'" --points pysal.csv --band 15 --format xml
usage_error "no threads" "--threads must be a whole number from 1 to 64, not '0'" --points pysal.csv --band 15 --threads 0
usage_error "a stray argument" "unexpected argument 'extra'" --points pysal.csv --band 15 extra
usage_error "an unknown option" "unknown option" --points pysal.csv --band 15 --weights row

run "$VIGIL" analyze gistar --help
check_status 0 "--help: exit 0"
check_contains "$OUT" "Usage: vigil analyze gistar --points FILE --band D" "--help shows the usage"
check_contains "$OUT" "one-sided" "--help states the p-value convention"

finish
