#!/usr/bin/env python3
"""Timing and checks of bench/ingest (run it through bench/ingest, which finds the tools and makes the
input file).

Each run starts from empty database directories and times, one program at a time:

  1. vigil ingest --json FILE                    into a new vigil database;
  2. sqlite3 DB '.import --csv FILE incidents'   into a new SQLite database (the baseline);
  3. vigil stats --by year,region --measure incidents,killed --format csv   on the vigil database;
  4. sqlite3 -csv DB 'SELECT iyear, region_txt, count(*), sum(killed) ... GROUP BY 1, 2'   on the
     imported table (the baseline);
  5. vigil ingest --json FILE again into the database of step 1 (nothing may change).

Then, to show where an ingest's time goes (bounds, not targets):

  6. vigil ingest --check --json FILE: reading, converting and checking every row, nothing stored;
  7. ingest_floor (bench/ingest_floor.c) on the database of step 1: SQLite alone writing the rows
     vigil stored, from memory, twice: as vigil asks (upserts with the identity index, a
     transaction per 65,536 rows) and in the least way SQLite can (no index, no journal, one
     transaction). It reports the writing time itself, without the loading of the rows.

Wall-clock time is taken around the whole process (start to exit) with a monotonic clock; peak
resident memory comes from /usr/bin/time -f %M. The file system is synced before every write
measurement so that one program does not pay for the other's dirty pages, and the input file is read
once before the first run so that both programs read it from the page cache.

Checks, every run: vigil stores every row (inserted = rows, nothing rejected); sqlite3 imports every
row without a warning; both stats give the same incidents and killed for every (year, region) and
the incidents add up to the rows; the second ingest changes nothing (unchanged = rows). A failed
check is printed after the table and makes the exit status 1.
"""
import argparse
import collections
import csv
import io
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

INGEST_TARGET = 10.0  # sqlite3 .import time / vigil ingest time, at least
STATS_TARGET = 10.0  # sqlite3 GROUP BY time / vigil stats time, at least
RSS_TARGET_MIB = 200.0  # peak resident memory of vigil ingest, below

# The baseline query. GTD leaves unknown killed counts empty; .import stores them as '' (every
# column is TEXT), so the sum counts them as nothing, as vigil adds up the known values only (a
# group with no known value sums to NULL, printed empty, on both sides). It gives the same figures
# as vigil, and it is the query that is timed.
BASELINE_SQL = ("SELECT iyear, region_txt, count(*), "
                "sum(CASE WHEN nkill <> '' THEN CAST(nkill AS INTEGER) END) "
                "FROM incidents GROUP BY 1, 2")

Run = collections.namedtuple("Run", "wall rss_kib rc out err")


class Bench:
    def __init__(self, a):
        self.a = a
        self.failures = collections.OrderedDict()  # message -> runs it happened in
        self.run_no = 0
        self.vdir = os.path.join(a.workdir, "db-vigil")
        self.sdir = os.path.join(a.workdir, "db-sqlite")
        self.vdb = os.path.join(self.vdir, "vigil.db")
        self.sdb = os.path.join(self.sdir, "imported.db")
        if '"' in a.input:
            sys.exit("bench/ingest: the input path may not contain a double quote: %s" % a.input)
        sq = ["sqlite3", "-batch", "-init", "/dev/null"]  # -init: no ~/.sqliterc
        self.cmd = {
            "ingest": [a.vigil, "--db", self.vdb, "ingest", "--json", a.input],
            "import": sq + [self.sdb, '.import --csv "%s" incidents' % a.input],
            "stats": [a.vigil, "--db", self.vdb, "stats", "--by", "year,region",
                      "--measure", "incidents,killed", "--format", "csv"],
            "groupby": sq + ["-csv", self.sdb, BASELINE_SQL],
            "reingest": [a.vigil, "--db", self.vdb, "ingest", "--json", a.input],
            "check": [a.vigil, "ingest", "--check", "--json", a.input],
        }
        self.floor_db = os.path.join(self.sdir, "floor.db")
        self.times = collections.defaultdict(list)
        self.rss = collections.defaultdict(list)

    # -- running ---------------------------------------------------------------------------------

    def timed(self, key):
        """Runs self.cmd[key] under /usr/bin/time; returns its wall time, peak RSS and output."""
        fd, tpath = tempfile.mkstemp(prefix="time-", dir=self.a.workdir)
        os.close(fd)
        try:
            argv = ["/usr/bin/time", "-f", "%e %M", "-o", tpath] + self.cmd[key]
            t0 = time.perf_counter()
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
            with open(tpath) as f:
                lines = f.read().split("\n")
        finally:
            os.unlink(tpath)
        rss = None
        for line in reversed(lines):
            parts = line.split()
            if len(parts) == 2:
                try:
                    rss = int(parts[1])
                    break
                except ValueError:
                    pass
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode != 0 or rss is None:
            self.abort("%s exited with status %d\n  command: %s\n  stderr: %s" % (
                dict(LABELS)[key], p.returncode, sh_join(self.cmd[key]), err.strip()[-2000:] or "(empty)"))
        self.times[key].append(wall)
        self.rss[key].append(rss)
        return Run(wall, rss, p.returncode, out, err)

    def abort(self, msg):
        print("\nCHECK FAILED in run %d: %s" % (self.run_no, msg))
        print("bench/ingest: stopped; no figures are reported")
        sys.exit(1)

    def fail(self, msg):
        self.failures.setdefault(msg, []).append(self.run_no)
        print("  CHECK FAILED in run %d: %s" % (self.run_no, msg.split("\n")[0]))

    def fresh_dirs(self):
        for d in (self.vdir, self.sdir):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)

    def warm_input(self):
        with open(self.a.input, "rb") as f:
            while f.read(1 << 22):
                pass

    def floor(self, mode):
        """Runs ingest_floor in MODE on the vigil database; returns the seconds it reports."""
        p = subprocess.run([self.a.floor, self.vdb, self.floor_db, mode], capture_output=True,
                           text=True)
        if os.path.exists(self.floor_db):
            os.unlink(self.floor_db)
        parts = p.stdout.split()
        if p.returncode != 0 or len(parts) != 2:
            self.abort("ingest_floor %s failed (status %d): %s" % (
                mode, p.returncode, p.stderr.strip() or p.stdout.strip()))
        if int(parts[0]) != self.a.rows:
            self.fail("ingest_floor %s wrote %s rows, expected %d" % (mode, parts[0], self.a.rows))
        t = float(parts[1])
        self.times["floor-" + mode].append(t)
        return t

    # -- checks ----------------------------------------------------------------------------------

    def check_check(self, r):
        s = self.ingest_summary(r, "vigil ingest --check")
        want = {"rows": self.a.rows, "valid": self.a.rows, "rejected": 0}
        if s != want:
            self.fail("vigil ingest --check: summary %s, expected %s" % (
                json.dumps(s), json.dumps(want)))

    def ingest_summary(self, r, what):
        for line in reversed(r.out.strip().split("\n")):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    break
        self.abort("%s printed no JSON summary; stdout: %r" % (what, r.out[-500:]))

    def check_ingest(self, r, first):
        s = self.ingest_summary(r, "vigil ingest" if first else "vigil re-ingest")
        n = self.a.rows
        want = ({"rows": n, "inserted": n, "updated": 0, "unchanged": 0, "rejected": 0} if first
                else {"rows": n, "inserted": 0, "updated": 0, "unchanged": n, "rejected": 0})
        bad = {k: s.get(k) for k in want if s.get(k) != want[k]}
        if bad:
            self.fail("%s: summary %s, expected %s" % (
                "ingest into a new database" if first else "re-ingest of the same file",
                json.dumps(s), json.dumps(want)))

    def check_import(self, r):
        if r.err.strip():
            lines = r.err.strip().split("\n")
            self.fail("sqlite3 .import warned %d times, first: %s" % (len(lines), lines[0]))
        p = subprocess.run(["sqlite3", "-batch", "-init", "/dev/null", self.sdb,
                            "SELECT count(*) FROM incidents"], capture_output=True, text=True)
        got = p.stdout.strip()
        if p.returncode != 0 or got != str(self.a.rows):
            self.fail("sqlite3 .import stored %s rows, expected %d (%s)" % (
                got or "?", self.a.rows, p.stderr.strip()))

    @staticmethod
    def number(s):
        s = s.strip()
        if s == "":
            return None
        try:
            return int(s)
        except ValueError:
            f = float(s)
            return int(f) if f.is_integer() else f

    def parse_vigil_stats(self, text):
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            self.abort("vigil stats printed nothing")
        head = [h.strip().lower() for h in rows[0]]
        try:
            iy, ir, ic, ik = (head.index(x) for x in ("year", "region", "incidents", "killed"))
        except ValueError:
            self.abort("vigil stats --format csv header is %r; expected year, region, incidents, "
                       "killed" % rows[0])
        return self.keyed(rows[1:], iy, ir, ic, ik, "vigil stats")

    def parse_sqlite_stats(self, text):
        return self.keyed(list(csv.reader(io.StringIO(text))), 0, 1, 2, 3, "sqlite3 GROUP BY")

    def keyed(self, rows, iy, ir, ic, ik, what):
        out = {}
        for row in rows:
            if not row:
                continue
            try:
                year = self.number(row[iy])
                key = (year, row[ir])
                val = (self.number(row[ic]), self.number(row[ik]))
            except (IndexError, ValueError):
                self.abort("%s printed a row it should not: %r" % (what, row))
            if key in out:
                self.fail("%s gives the group %r twice" % (what, key))
            out[key] = val
        return out

    def check_stats(self, vtext, stext):
        v = self.parse_vigil_stats(vtext)
        s = self.parse_sqlite_stats(stext)
        n = self.a.rows
        for what, d in (("vigil stats", v), ("sqlite3 GROUP BY", s)):
            total = sum(c or 0 for c, _ in d.values())
            if total != n:
                self.fail("%s: incidents add up to %d, expected %d" % (what, total, n))
        diffs = []
        for key in sorted(set(v) | set(s), key=lambda k: (str(k[0]), k[1])):
            if v.get(key) != s.get(key):
                diffs.append("  %-45s vigil (incidents, killed) = %-16s sqlite3 = %s" % (
                    "%s / %s" % key, v.get(key, "missing"), s.get(key, "missing")))
        if diffs:
            self.fail("vigil stats and sqlite3 GROUP BY differ in %d of %d groups:\n%s%s" % (
                len(diffs), len(set(v) | set(s)), "\n".join(diffs[:15]),
                "\n  ..." if len(diffs) > 15 else ""))
        return len(v)

    # -- the runs --------------------------------------------------------------------------------

    def run(self):
        a = self.a
        self.print_header()
        self.warm_input()
        groups = None
        for i in range(1, a.runs + 1):
            self.run_no = i
            self.fresh_dirs()
            os.sync()
            ing = self.timed("ingest")
            self.check_ingest(ing, True)
            os.sync()
            imp = self.timed("import")
            self.check_import(imp)
            st = self.timed("stats")
            gb = self.timed("groupby")
            groups = self.check_stats(st.out, gb.out)
            os.sync()
            re = self.timed("reingest")
            self.check_ingest(re, False)
            chk = self.timed("check")
            self.check_check(chk)
            floors = ""
            if a.floor:
                for mode in ("upsert", "least"):
                    floors += ", SQLite %s %s" % (mode, ftime(self.floor(mode)))
            print("run %d/%d: ingest %s, .import %s, stats %s, GROUP BY %s, re-ingest %s, "
                  "check %s%s" % (i, a.runs, ftime(ing.wall), ftime(imp.wall), ftime(st.wall),
                                  ftime(gb.wall), ftime(re.wall), ftime(chk.wall), floors),
                  flush=True)
        self.fresh_dirs()
        self.print_results(groups)
        if self.failures:
            print("\nCORRECTNESS CHECKS FAILED (%d):" % len(self.failures))
            for f, runs in self.failures.items():
                print("- run%s %s: %s" % ("s" if len(runs) > 1 else "",
                                         ", ".join(map(str, runs)), f))
            return 1
        print("\nAll correctness checks passed.")
        return 0

    # -- printing --------------------------------------------------------------------------------

    def print_header(self):
        a = self.a
        size = os.path.getsize(a.input)
        print("Vigil benchmark: ingest and stats against sqlite3")
        print()
        print("machine:   %s" % machine())
        print("vigil:     %s (%s)" % (a.vigil, version([a.vigil, "--version"])))
        print("source:    %s" % source_state(a.vigil))
        print("sqlite3:   %s (%s)" % (shutil.which("sqlite3"),
                                       version(["sqlite3", "--version"]).split(" ")[0]))
        print("input:     %s" % a.input)
        print("           %s rows, %.1f MiB, made by: python3 %s %d --seed %d%s" % (
            "{:,}".format(a.rows), size / 1048576.0, a.generator, a.rows, a.seed,
            " (in %s s)" % a.generated_in if a.generated_in else " (cached)"))
        print("runs:      %d; medians reported; the input is in the page cache for both programs;"
              % a.runs)
        print("           files synced before each ingest and import")
        print()
        print("commands (each timed whole, under /usr/bin/time -f '%e %M'):")
        for key, label in LABELS + EXTRA_LABELS:
            if key in self.cmd:
                print("  %-17s %s" % (label + ":", sh_join(self.cmd[key])))
        if self.a.floor:
            print("  %-17s %s VIGIL_DB OUT_DB upsert|least (times its own writing)" % (
                "SQLite alone:", self.a.floor))
        print(flush=True)

    def med(self, key):
        return statistics.median(self.times[key])

    def print_results(self, groups):
        a = self.a
        ing, imp = self.med("ingest"), self.med("import")
        st, gb = self.med("stats"), self.med("groupby")
        rei = self.med("reingest")
        rss_v = max(self.rss["ingest"]) / 1024.0
        rss_s = max(self.rss["import"]) / 1024.0
        r_ing, r_st = imp / ing, gb / st
        rows = [
            ("ingest, new database", ftime(ing), ftime(imp), "%.1fx" % r_ing,
             ">= %gx" % INGEST_TARGET, verdict(r_ing >= INGEST_TARGET)),
            ("stats --by year,region", ftime(st), ftime(gb), "%.1fx" % r_st,
             ">= %gx" % STATS_TARGET, verdict(r_st >= STATS_TARGET)),
            ("re-ingest, same file", ftime(rei), "-", "-", "reported", "-"),
            ("peak RSS, ingest", "%.1f MiB" % rss_v, "%.1f MiB" % rss_s, "-",
             "< %g MiB" % RSS_TARGET_MIB, verdict(rss_v < RSS_TARGET_MIB)),
        ]
        head = ("measurement", "vigil", "sqlite3", "ratio", "target", "result")
        w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
        print()
        print("Results, %s rows, median of %d runs (ratio = sqlite3 / vigil):" % (
            "{:,}".format(a.rows), a.runs))
        print()
        fmt = "  %-*s  %*s  %*s  %*s  %-*s  %s"
        print(fmt % (w[0], head[0], w[1], head[1], w[2], head[2], w[3], head[3], w[4], head[4],
                     head[5]))
        print("  " + "-" * (sum(w) + 2 * (len(w) - 1)))
        for r in rows:
            print(fmt % (w[0], r[0], w[1], r[1], w[2], r[2], w[3], r[3], w[4], r[4], r[5]))
        print()
        print("  ingest rate: vigil %s rows/s, sqlite3 .import %s rows/s, vigil re-ingest %s rows/s"
              % (rate(a.rows, ing), rate(a.rows, imp), rate(a.rows, rei)))
        same = not any(f.startswith("vigil stats and sqlite3") for f in self.failures)
        print("  stats: %d (year, region) groups, %s" % (
            groups, "the same figures on both sides" if same else "FIGURES DIFFER (see below)"))
        self.print_bounds(ing, imp)
        print()
        print("Peak resident memory (max over runs, /usr/bin/time %M):")
        for key, label in LABELS + EXTRA_LABELS:
            if self.rss[key]:
                print("  %-17s %8.1f MiB" % (label, max(self.rss[key]) / 1024.0))
        print()
        print("Every run, wall-clock seconds:")
        for key, label in LABELS + EXTRA_LABELS:
            if self.times[key]:
                print("  %-17s %s" % (label, "  ".join("%7.3f" % t for t in self.times[key])))

    def print_bounds(self, ing, imp):
        """Where the time of an ingest goes: the parts measured on their own, and the target."""
        target = imp / INGEST_TARGET
        print()
        print("Where the ingest's time goes (medians; bounds, not targets):")
        rows = [("vigil ingest, whole (reading, converting, storing)", ing),
                ("vigil ingest --check (reading and converting only, one thread)", self.med("check"))]
        if self.times["floor-upsert"]:
            rows += [("SQLite alone, rows from memory, as vigil asks (upserts, index)",
                      self.med("floor-upsert")),
                     ("SQLite alone, rows from memory, least (no index, no journal)",
                      self.med("floor-least"))]
        rows.append(("the ingest target: sqlite3 .import / %g" % INGEST_TARGET, target))
        w = max(len(r[0]) for r in rows)
        for label, t in rows:
            print("  %-*s  %9s" % (w, label, ftime(t)))
        if self.times["floor-least"]:
            least = self.med("floor-least")
            print("  SQLite's least way to write these rows takes %.2f times the ingest target."
                  % (least / target))


LABELS = [("ingest", "vigil ingest"), ("import", "sqlite3 .import"), ("stats", "vigil stats"),
          ("groupby", "sqlite3 GROUP BY"), ("reingest", "vigil re-ingest")]
EXTRA_LABELS = [("check", "vigil --check"), ("floor-upsert", "SQLite upsert"),
                ("floor-least", "SQLite least")]


def sh_join(argv):
    """The command as one would type it in a POSIX shell."""
    out = []
    for w in argv:
        if w and all(c.isalnum() or c in "@%+=:,./-_" for c in w):
            out.append(w)
        elif "'" in w and not any(c in w for c in '"$`\\!'):
            out.append('"%s"' % w)
        else:
            out.append(shlex.quote(w))
    return " ".join(out)


def verdict(ok):
    return "PASS" if ok else "FAIL"


def ftime(s):
    if s >= 10:
        return "%.1f s" % s
    if s >= 1:
        return "%.2f s" % s
    return "%.1f ms" % (s * 1000)


def rate(n, s):
    return "{:,}".format(int(round(n / s))) if s > 0 else "?"


def version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (p.stdout.strip() or p.stderr.strip()).split("\n")[0] or "unknown version"
    except (OSError, subprocess.SubprocessError):
        return "unknown version"


def machine():
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:
        ncpu = os.cpu_count()
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k.strip() in ("model name", "Hardware", "cpu model", "Processor") and v.strip():
                    model = v.strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = ", %.1f GiB RAM" % (int(line.split()[1]) / 1048576.0)
                    break
    except OSError:
        pass
    return "nproc %d, %s%s, %s %s %s" % (ncpu, model or platform.machine(), mem, platform.system(),
                                          platform.release(), platform.machine())


def source_state(vigil):
    """The commit of the repository the vigil program sits in, if any, and whether it has changes."""
    d = os.path.dirname(os.path.abspath(vigil))
    try:
        p = subprocess.run(["git", "-C", d, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=30)
        if p.returncode == 0 and p.stdout.strip():
            return "git %s (of the tree the program sits in; it may have been built earlier)" % (
                p.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def main():
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser(description="Run through bench/ingest.")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--generator", required=True)
    ap.add_argument("--generated-in")
    ap.add_argument("--floor", help="the ingest_floor program (bench/ingest_floor.c), if built")
    return Bench(ap.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
