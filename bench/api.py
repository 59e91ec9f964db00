#!/usr/bin/env python3
"""api.py - the parsing and the table of bench/api (which runs the servers and wrk).

Usage: api.py run DIR N                 one line for run N from DIR/{get-vigil,get-nginx,post-vigil}-N.txt
       api.py summary DIR K VERIFY      the medians of runs 1..K, the targets, the audit checks

DIR/audit-N.txt holds the audit record count before and after the GET run against vigil.
Exit status of summary: 0 measured, 1 an audit check failed. Python standard library only.
"""
import collections
import json
import os
import re
import statistics
import sys

TARGET_GET_RPS = 20000.0
TARGET_P99_MS = 20.0
TARGET_RATIO = 0.5
TARGET_POST_RPS = 2000.0

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


class WrkError(Exception):
    pass


def parse_wrk(path):
    """{rps, p99_ms, requests, non2xx, socket, text} from wrk --latency output."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    n = re.search(r"^\s*([0-9]+) requests in ([0-9.]+)(\w+)", text, re.M)
    p = re.search(r"^\s*99%\s+([0-9.]+)(us|ms|s|m)\b", text, re.M)
    if not (m and n and p):
        raise WrkError("cannot read wrk's output in %s:\n%s" % (path, text))
    s = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    socket = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    if s:
        socket = dict(zip(("connect", "read", "write", "timeout"), map(int, s.groups())))
    x = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return {"rps": float(m.group(1)), "p99_ms": float(p.group(1)) * UNIT_MS[p.group(2)],
            "requests": int(n.group(1)), "non2xx": int(x.group(1)) if x else 0,
            "socket": socket, "errors": (int(x.group(1)) if x else 0) + sum(socket.values())}


def load(d, run):
    r = {k: parse_wrk(os.path.join(d, "%s-%d.txt" % (k, run)))
         for k in ("get-vigil", "get-nginx", "post-vigil")}
    with open(os.path.join(d, "audit-%d.txt" % run)) as f:
        before, after = map(int, f.read().split())
    r["audit"] = after - before
    # What the audit log says of the GET run: successful reads (action read, object report:ID)
    # and refused or failed calls by status.
    r["statuses"] = collections.Counter()
    try:
        with open(os.path.join(d, "audit-%d.json" % run)) as f:
            for rec in json.load(f):
                try:
                    st = json.loads(rec.get("detail") or "{}").get("status")
                except (ValueError, AttributeError):
                    st = None
                r["statuses"][str(st) if st is not None else "ok"] += 1
    except (OSError, ValueError):
        pass
    return r


def fmt_rps(x):
    return "{:,.0f}/s".format(x)


def fmt_err(w):
    s = w["socket"]
    if not w["errors"]:
        return "0"
    parts = ["non-2xx %d" % w["non2xx"]] if w["non2xx"] else []
    parts += ["%s %d" % (k, v) for k, v in s.items() if v]
    return "%d (%s)" % (w["errors"], ", ".join(parts))


def run_line(d, run):
    r = load(d, run)
    g, n, p = r["get-vigil"], r["get-nginx"], r["post-vigil"]
    print("run %d: GET vigil %s p99 %.2f ms errors %s | nginx %s p99 %.2f ms errors %s | "
          "ratio %.4f | POST %s p99 %.2f ms errors %s | audit +%d for %d GET requests (%s)"
          % (run, fmt_rps(g["rps"]), g["p99_ms"], fmt_err(g), fmt_rps(n["rps"]), n["p99_ms"],
             fmt_err(n), g["rps"] / n["rps"] if n["rps"] else 0.0, fmt_rps(p["rps"]),
             p["p99_ms"], fmt_err(p), r["audit"], g["requests"],
             ", ".join("%s %d" % kv for kv in sorted(r["statuses"].items()))), flush=True)


def summary(d, runs, verify):
    rs = [load(d, i) for i in range(1, runs + 1)]
    med = lambda k, f: statistics.median(r[k][f] for r in rs)
    total = lambda k, f: sum(r[k][f] for r in rs)
    g_rps, g_p99 = med("get-vigil", "rps"), med("get-vigil", "p99_ms")
    n_rps, n_p99 = med("get-nginx", "rps"), med("get-nginx", "p99_ms")
    p_rps, p_p99 = med("post-vigil", "rps"), med("post-vigil", "p99_ms")
    ratio = statistics.median(r["get-vigil"]["rps"] / r["get-nginx"]["rps"] for r in rs)
    g_err, n_err, p_err = (total(k, "errors") for k in ("get-vigil", "get-nginx", "post-vigil"))
    ok = lambda c: "PASS" if c else "FAIL"

    print("medians of %d run%s (errors: the sum over the runs)" % (runs, "" if runs == 1 else "s"))
    rows = [
        ("GET requests/s", fmt_rps(g_rps), fmt_rps(n_rps), ">= 20,000/s", ok(g_rps >= TARGET_GET_RPS)),
        ("GET p99 latency", "%.2f ms" % g_p99, "%.2f ms" % n_p99, "< 20 ms", ok(g_p99 < TARGET_P99_MS)),
        ("GET errors", str(g_err), str(n_err), "0", ok(g_err == 0)),
        ("GET ratio vigil/nginx", "%.4f" % ratio, "1", ">= 0.5", ok(ratio >= TARGET_RATIO)),
        ("POST requests/s", fmt_rps(p_rps), "-", ">= 2,000/s", ok(p_rps >= TARGET_POST_RPS)),
        ("POST p99 latency", "%.2f ms" % p_p99, "-", "(reported)", ""),
        ("POST errors", str(p_err), "-", "0", ok(p_err == 0)),
    ]
    head = ("measurement", "vigil", "nginx", "target", "")
    w = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    line = lambda r: "  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i])
                               for i, c in enumerate(r)).rstrip()
    print(line(head))
    for r in rows:
        print(line(r))
    met = all(r[4] != "FAIL" for r in rows)
    print("targets: %s" % ("all met" if met else "NOT met"))
    print()
    print("every run (requests/s): GET vigil %s; nginx %s; POST vigil %s" % tuple(
        ", ".join("{:,.0f}".format(r[k]["rps"]) for r in rs)
        for k in ("get-vigil", "get-nginx", "post-vigil")))
    print("every run (p99 ms):     GET vigil %s; nginx %s; POST vigil %s" % tuple(
        ", ".join("%.2f" % r[k]["p99_ms"] for r in rs)
        for k in ("get-vigil", "get-nginx", "post-vigil")))

    # The checks: the chain is intact, and every GET that wrk completed left a record.
    failed = []
    first = verify.splitlines()[0] if verify else ""
    if not first.endswith("chain intact"):
        failed.append("the audit chain is not intact: %s" % verify.strip())
    for i, r in enumerate(rs, 1):
        if r["audit"] < r["get-vigil"]["requests"]:
            failed.append("run %d: the audit log grew by %d records for %d GET requests"
                          % (i, r["audit"], r["get-vigil"]["requests"]))
    print("audit: %s; grew by %s records during the GET runs for %s completed requests: %s"
          % (first, ", ".join(str(r["audit"]) for r in rs),
             ", ".join(str(r["get-vigil"]["requests"]) for r in rs),
             "every read audited" if not failed else "CHECK FAILED"))
    for f in failed:
        print("FAIL: %s" % f)
    return 1 if failed else 0


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "run":
            run_line(argv[2], int(argv[3]))
            return 0
        if len(argv) == 5 and argv[1] == "summary":
            return summary(argv[2], int(argv[3]), argv[4])
    except WrkError as e:
        print("bench/api: FAIL: %s" % e, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
