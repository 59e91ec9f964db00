"""Timing, checks and report of bench/stats (see that script)."""
import argparse, csv, io, os, statistics, subprocess, sys, time

GROUP_BY = ("SELECT iyear, region_txt, count(*), "
            "sum(CASE WHEN nkill <> '' THEN CAST(nkill AS INTEGER) END) FROM t GROUP BY 1, 2")

PANDAS = r"""
import sys, pandas as pd
df = pd.read_csv(sys.argv[1], usecols=["iyear", "region_txt", "nkill"],
                 dtype={"iyear": "int16", "region_txt": "category", "nkill": "float64"})
g = df.groupby(["iyear", "region_txt"], observed=True).agg(incidents=("iyear", "size"),
                                                           killed=("nkill", "sum"))
for (y, r), row in g.iterrows():
    print("%d,%s,%d,%d" % (y, r, row.incidents, row.killed))
"""


def run(argv, **kw):
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, capture_output=True, text=True, **kw)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("bench/stats: command failed (%d): %s\n%s" % (p.returncode, " ".join(argv), p.stderr))
    rss_kb = int(p.stderr.strip().splitlines()[-1])
    return dt, rss_kb, p.stdout


def table(text, skip_header):
    out = {}
    rows = list(csv.reader(io.StringIO(text)))
    for r in rows[1 if skip_header else 0:]:
        if not r:
            continue
        out[(int(r[0]), r[1])] = (int(r[2]), int(float(r[3])) if r[3] != "" else 0)
    return out


def main():
    ap = argparse.ArgumentParser()
    for a in ("--vigil", "--input", "--workdir"):
        ap.add_argument(a, required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    a = ap.parse_args()
    vdb = os.path.join(a.workdir, "vigil.db")
    sdb = os.path.join(a.workdir, "imported.db")
    # The loaded databases belong to one input and one build of vigil.
    stamp = os.path.join(a.workdir, "loaded-%d-%d" % (os.path.getsize(a.input),
                                                      int(os.path.getmtime(a.vigil))))

    if not os.path.exists(stamp):
        for f in (vdb, vdb + "-wal", vdb + "-shm", vdb + ".cube", sdb):
            if os.path.exists(f):
                os.remove(f)
        dt, rss, out = run([a.vigil, "--db", vdb, "ingest", "--json", "--quiet", a.input])
        print("load: vigil ingest %.1f s (peak %.0f MiB): %s" % (dt, rss / 1024, out.strip()))
        dt, rss, _ = run(["sqlite3", "-batch", "-init", "/dev/null", sdb, "-cmd", ".mode csv",
                          ".import %s t" % a.input])
        print("load: sqlite3 .import %.1f s (peak %.0f MiB)" % (dt, rss / 1024))
        open(stamp, "w").close()

    vig = [a.vigil, "--db", vdb, "stats", "--by", "year,region", "--measure", "incidents,killed",
           "--format", "csv"]
    sql = ["sqlite3", "-batch", "-init", "/dev/null", "-csv", sdb, GROUP_BY]
    pds = ["/usr/bin/python3", "-c", PANDAS, a.input]
    times = {"vigil": [], "sqlite3": [], "pandas": []}
    rss = {}
    answers = {}
    for i in range(a.runs):
        for name, argv, hdr in (("vigil", vig, True), ("sqlite3", sql, False),
                                ("pandas", pds, False)):
            dt, kb, out = run(argv)
            times[name].append(dt)
            rss[name] = max(rss.get(name, 0), kb)
            answers[name] = table(out, hdr)
        print("run %d/%d: vigil %.3f s, sqlite3 %.2f s, pandas %.2f s" %
              (i + 1, a.runs, times["vigil"][-1], times["sqlite3"][-1], times["pandas"][-1]))
    ok = answers["vigil"] == answers["sqlite3"] == answers["pandas"]
    nproc = os.cpu_count()
    print()
    print("bench/stats: %s rows, %d runs, %d CPUs" % (format(a.rows, ","), a.runs, nproc))
    print("  vigil:    %s" % " ".join(vig))
    print("  sqlite3:  sqlite3 -csv imported.db \"%s\"" % GROUP_BY)
    print("  pandas:   read_csv(usecols=[iyear, region_txt, nkill]) + groupby([iyear, region_txt])")
    v = statistics.median(times["vigil"])
    print()
    print("  %-10s %10s %10s %12s" % ("", "median", "peak RSS", "vs vigil"))
    for name in ("vigil", "sqlite3", "pandas"):
        m = statistics.median(times[name])
        print("  %-10s %9.3fs %7.0f MiB %11.1fx" % (name, m, rss[name] / 1024, m / v))
    print()
    print("  target: vigil under 0.5 s (%s) and at least 20x both baselines (%s)" % (
        "met" if v < 0.5 else "NOT met",
        "met" if min(statistics.median(times["sqlite3"]), statistics.median(times["pandas"])) / v >= 20
        else "NOT met"))
    print("  answers: %d (year, region) groups, %s" % (
        len(answers["vigil"]), "the same from all three" if ok else "DIFFERENT"))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
