#!/usr/bin/env python3
"""run.py - the API tests: every tests/api/cases/*.json against a real `vigil serve`.

Usage: run.py VIGIL

Makes a database in a temporary directory, ingests the sample incidents, imports the key sites
of SITES (sites_fixture below: three airports and a station, ids 1 to 4, with FRA's checklist),
adds an organisation, an administrator, an analyst, a reader, a sync account and a user whose key
is then revoked, starts `vigil serve
--listen 127.0.0.1:0` (the port comes from its first line), runs every case, then the access
matrix of the reports (access_matrix below), checks that the audit chain is intact and grew by
one record per authenticated request, stops the server and prints "N passed, N failed" (exit
status 1 on any failure).

The access matrix: three organisations (Owner, Member, Outsider), a user of every role in each,
a sharing group G of Owner and Member made through POST /api/v1/groups, and one report by
Owner's analyst for every TLP and distribution (TLP:RED ones name Member's analyst as recipient).
Every user reads every report (GET /reports/ID and its correlations) and lists them; the status,
the listing, the correlations and the live event stream (GET /api/v1/events replayed from the
matrix's first event: exactly the readable reports, in order, each with a correlation alert) are
checked against may_read, the rule of docs/access-rules.md written out here independently of the
C code.

A case is a JSON object:
  name      what it checks
  request   method, path, headers (optional), body (text) or body_size (that many bytes);
            the placeholders ADMIN_KEY, ANALYST_KEY, READER_KEY, SYNC_KEY, REVOKED_KEY and BAD_KEY in
            the path or the header values are replaced by the keys
  status    the expected status
  headers   (optional) expected headers: each value must start the received one
  json      (optional) a subset of the body: objects match key by key, lists element by element
            from the first, anything else by equality
  count     (optional) {field: n}: the list at that top-level field has n elements
  audited   (optional) true when the request is authenticated and must add one audit record
  undocumented (optional) true when the method and path are deliberately not an operation of
            docs/openapi.json (an unknown path, a wrong method)

docs/openapi.json is checked against the tests (openapi_check): it must parse, every case's
method and path (numeric segments read as {id}) must be a documented operation unless the case
is marked undocumented, and every documented operation must be exercised by a case or by the
access matrix.
Python standard library only.
"""
import glob
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "..", "data", "sample", "drone_gtd_acled_20260509.csv")
OPENAPI = os.path.join(HERE, "..", "..", "docs", "openapi.json")
BAD_KEY = "vg_0123456789abcdef_" + "A" * 43
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def operation(method, path):
    """(METHOD, templated path) of a request: the query dropped, numeric segments as {id}."""
    path = path.split("?", 1)[0]
    return method.upper(), re.sub(r"/[0-9]+(?=/|$)", "/{id}", path)


def openapi_check(cases, exercised):
    """Problems between docs/openapi.json and the tests, as a list of text (empty when none).
    cases: (file name, case) pairs; exercised: the operations the access matrix called."""
    try:
        with open(OPENAPI) as f:
            doc = json.load(f)
        documented = {(m.upper(), path) for path, item in doc["paths"].items()
                      for m in item if m in HTTP_METHODS}
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as e:
        return ["%s does not parse as OpenAPI: %r" % (OPENAPI, e)]
    problems = []
    used = set(exercised)
    for fname, case in cases:
        op = operation(case["request"]["method"], case["request"]["path"])
        if case.get("undocumented"):
            if op in documented:
                problems.append("%s: marked undocumented, but %s %s is documented" %
                                ((fname,) + op))
            continue
        used.add(op)
        if op not in documented:
            problems.append("%s: %s %s is not in docs/openapi.json" % ((fname,) + op))
    for op in sorted(documented - used):
        problems.append("%s %s is documented but no case or matrix call exercises it" % op)
    return problems


def subset(expected, actual, where="$"):
    """None when actual holds expected, else a description of the first difference."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return "%s: expected an object, got %r" % (where, actual)
        for k, v in expected.items():
            if k not in actual:
                return "%s: no field %r" % (where, k)
            why = subset(v, actual[k], "%s.%s" % (where, k))
            if why:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return "%s: expected a list of at least %d, got %r" % (where, len(expected), actual)
        for i, v in enumerate(expected):
            why = subset(v, actual[i], "%s[%d]" % (where, i))
            if why:
                return why
        return None
    if expected != actual or type(expected) is not type(actual):
        return "%s: expected %r, got %r" % (where, expected, actual)
    return None


# The key sites of the /sites and /risk cases: the airports of tests/cli/risk.sh (ids 1 to 3 in
# this order) and Frankfurt's main station (id 4, 10.5 km from FRA). FRA has every checklist item
# met but vehicle_barriers. The sample incidents hold no attack on an airport near any of them,
# so each has lambda 0, p 0 and threat rating 1, and the hand-computed scores are
#   LHR (large, unassessed): CARVER 9+10+6+10+8+10+9 = 62, FEMA 9 x 1 x 10 = 90 (medium)
#   CGN (medium, unassessed): CARVER 7+10+5+10+6+9+7 = 54, FEMA 7 x 1 x 10 = 70 (medium)
#   FRA (large): accessibility round(1 + 9 x 3/14) = 3, vulnerability 1, FEMA vulnerability
#     round(1 + 9 x 3/26) = 2; CARVER 9+3+6+1+8+10+9 = 46, FEMA 9 x 1 x 2 = 18 (low)
# and every DHS risk is 0 (T = p = 0): the ranking goes by FEMA score, LHR, CGN, FRA.
SITES = ("id,ident,type,name,latitude_deg,longitude_deg,iso_country,iata_code,gps_code\n"
         "1,EDDF,large_airport,Frankfurt am Main Airport,50.0333,8.5706,DE,FRA,EDDF\n"
         "2,EGLL,large_airport,London Heathrow <LHR>,51.4706,-0.4619,GB,LHR,EGLL\n"
         "3,EDDK,medium_airport,Cologne Bonn Airport,50.8659,7.1427,DE,CGN,EDDK\n")
STATIONS = "name,code,latitude,longitude,country\nFrankfurt (Main) Hbf,FF,50.107,8.6635,DE\n"
FRA_MET = ["perimeter", "passenger_screening", "hold_baggage_screening", "airside_access", "cctv",
           "patrols", "evacuation", "staff_training", "communications", "blast_mitigation",
           "landside_protection"]


def sites_fixture(exe, db, tmp):
    for kind, name, text in [("airport", "airports.csv", SITES),
                             ("railway", "stations.csv", STATIONS)]:
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        vigil(exe, db, "sites", "import", "--kind", kind, path)
    args = ["sites", "assess", "FRA"]
    for item in FRA_MET:
        args += ["--set", item + "=met", "--date", "2026-01-10"]
    args += ["--set", "vehicle_barriers=gap", "--note", "east side", "--date", "2026-01-10"]
    vigil(exe, db, *args)


def vigil(exe, db, *args):
    r = subprocess.run([exe, "--db", db] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("vigil %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def audit_count(exe, db):
    """The records of the audit log, whether its chain is intact, and what verify printed."""
    out = vigil(exe, db, "audit", "verify")
    first = out.splitlines()[0] if out else ""
    count = first.split()[0] if first else ""
    return (int(count) if count.isdigit() else -1), first.endswith("chain intact"), out


def request(port, method, path, headers, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer and close before the whole body is sent
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


ORGS = ["Owner", "Member", "Outsider"]
ROLES = ["admin", "analyst", "reader", "sync"]
TLPS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
DISTS = ["organisation", "group:G", "community", "all"]
GROUP = {"Owner", "Member"}  # the owner and the members of sharing group G
AUTHOR = "owner-analyst"
RECIPIENT = "member-analyst"
PURPOSE = "access matrix"


def may_read(user, rep):
    """The rule of docs/access-rules.md: the audience is the distribution, narrowed by the TLP.
    Roles do not matter for reading."""
    org = user.split("-")[0].capitalize()
    reach = {"organisation": {"Owner"}, "group:G": GROUP}.get(rep["distribution"], set(ORGS))
    if org not in reach:
        return False
    tlp = rep["tlp"]
    if tlp == "TLP:RED":
        return user == AUTHOR or user in rep.get("recipients", [])
    if tlp == "TLP:AMBER+STRICT":
        return org == "Owner"
    if tlp == "TLP:AMBER":
        return org == "Owner" or (rep["distribution"] == "group:G" and org in GROUP)
    return True


def call(port, key, method, path, body=None, purpose=PURPOSE):
    headers = {"Authorization": "Bearer " + key}
    if purpose:
        headers["X-Vigil-Purpose"] = purpose
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = request(port, method, path, headers, data)
    return status, raw


def concurrent_reads(port, key, check, n=160, workers=32):
    """Reads one report from many connections at once: every read is also an audit write, and
    none may fail for a busy database. Returns the number of authenticated requests made."""
    import concurrent.futures
    status, raw = call(port, key, "POST", "/api/v1/reports",
                       {"title": "read by many", "tlp": "TLP:GREEN", "distribution": "community"})
    rid = json.loads(raw.decode()).get("id") if status == 201 else None
    check(status == 201, "a report to read concurrently is created", [status, raw[:200]])
    if rid is None:
        return 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        got = list(pool.map(lambda _: call(port, key, "GET", "/api/v1/reports/%d" % rid)[0],
                            range(n)))
    bad = [s for s in got if s != 200]
    check(not bad, "%d concurrent reads all answer 200" % n,
          ["%d answers were not 200: %s" % (len(bad), sorted(set(bad)))])
    return 1 + n


def read_events(port, key, after, until_report, purpose=PURPOSE, timeout=20):
    """Opens GET /api/v1/events after event id `after` and reads server-sent events until the
    report.created event of report `until_report`; returns the status and the events as
    (event name, data) pairs, in order, then closes the connection."""
    import socket
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    events = []
    try:
        headers = {"Authorization": "Bearer " + key, "Last-Event-ID": str(after)}
        if purpose:
            headers["X-Vigil-Purpose"] = purpose
        conn.request("GET", "/api/v1/events", headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            resp.read()
            return resp.status, events, resp.getheader("Content-Type")
        name, data = None, None
        try:
            while True:
                line = resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and name:
                    events.append((name, data))
                    if name == "report.created" and data["report"]["id"] == until_report:
                        break
                    name, data = None, None
        except socket.timeout:
            pass
        return resp.status, events, resp.getheader("Content-Type")
    finally:
        conn.close()


def newest_event(db):
    import sqlite3
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    finally:
        con.close()


def access_matrix(port, keys, check, db):
    """Runs the access matrix; returns how many authenticated requests it made and the set of
    operations (operation()) it called."""
    n = 0
    ops = set()

    def api(user, method, path, body=None, purpose=PURPOSE):
        nonlocal n
        n += 1
        ops.add(operation(method, path))
        return call(port, keys[user], method, path, body, purpose)

    status, raw = api("owner-admin", "POST", "/api/v1/groups", {"name": "G", "members": ["Member"]})
    check(status == 201, "groups: an administrator creates group G", [status, raw])
    status, raw = api("owner-admin", "POST", "/api/v1/groups", {"name": "G", "members": []})
    check(status == 400, "groups: a taken name is 400", [status, raw])

    first_event = newest_event(db)
    reports = []
    for tlp in TLPS:
        for dist in DISTS:
            rep = {"title": "%s %s" % (tlp, dist), "body": "matrix", "tlp": tlp,
                   "distribution": dist,
                   "indicators": [{"type": "domain", "value": "matrix.example."}]}
            if tlp == "TLP:RED":
                rep["recipients"] = [RECIPIENT]
            status, raw = api(AUTHOR, "POST", "/api/v1/reports", rep)
            ok = status == 201
            check(ok, "matrix: create %s %s" % (tlp, dist), [status, raw])
            if ok:
                rep["id"] = json.loads(raw)["id"]
                reports.append(rep)

    users = sorted(keys)
    bad = []
    for user in users:
        _, missing = api(user, "GET", "/api/v1/reports/999999")
        readable = {r["id"] for r in reports if may_read(user, r)}
        for rep in reports:
            want = 200 if rep["id"] in readable else 404
            status, raw = api(user, "GET", "/api/v1/reports/%d" % rep["id"])
            if status != want or (want == 404 and raw != missing):
                bad.append("%s reads %s %s: %d, expected %d (%r)" %
                           (user, rep["tlp"], rep["distribution"], status, want, raw[:80]))
            status, raw = api(user, "GET", "/api/v1/reports/%d/correlations" % rep["id"])
            if status != want or (want == 404 and raw != missing):
                bad.append("%s correlates %s %s: %d, expected %d" %
                           (user, rep["tlp"], rep["distribution"], status, want))
            elif want == 200:
                others = {c["other_report"] for c in json.loads(raw)["correlations"]}
                if others != readable - {rep["id"]}:
                    bad.append("%s correlates %s %s: %s, expected %s" %
                               (user, rep["tlp"], rep["distribution"], sorted(others),
                                sorted(readable - {rep["id"]})))
        status, raw = api(user, "GET", "/api/v1/reports?org=Owner&limit=500")
        listed = {r["id"] for r in json.loads(raw)["reports"]} if status == 200 else None
        if listed != readable:
            bad.append("%s lists %s, expected %s" % (user, listed, sorted(readable)))
    check(not bad, "matrix: %d users x %d reports read, correlated and listed as the rule says"
          % (len(users), len(reports)), bad[:20])

    # The live event stream: every user gets the creation of exactly the reports it may read,
    # in order, each with a correlation alert naming the other readable ones (they all share
    # one indicator). A last report that everyone may read marks the end.
    status, raw = api(AUTHOR, "POST", "/api/v1/reports",
                      {"title": "marker", "tlp": "TLP:CLEAR", "distribution": "all"})
    marker = json.loads(raw)["id"] if status == 201 else None
    check(marker is not None, "events: the marker report is created", [status, raw])
    bad = []
    for user in users:
        n += 1
        ops.add(("GET", "/api/v1/events"))
        status, events, ctype = read_events(port, keys[user], first_event, marker)
        readable = [r["id"] for r in reports if may_read(user, r)]
        created = [d["report"]["id"] for e, d in events if e == "report.created"]
        n += 2 * len(created)  # each disclosed report is recorded as read and as correlated
        if status != 200 or not (ctype or "").startswith("text/event-stream"):
            bad.append("%s: status %s, Content-Type %r" % (user, status, ctype))
        if created != readable + [marker]:
            bad.append("%s: events for reports %s, expected %s" %
                       (user, created, readable + [marker]))
        for e, d in events:
            if e == "alert":
                others = {c["other_report"] for c in d["correlations"]}
                if others != set(readable) - {d["report"]}:
                    bad.append("%s: alert for %d links %s, expected %s" %
                               (user, d["report"], sorted(others),
                                sorted(set(readable) - {d["report"]})))
        alerts = [d["report"] for e, d in events if e == "alert"]
        if alerts != (readable if len(readable) > 1 else []):
            bad.append("%s: alerts for %s, expected %s" % (user, alerts, readable))
    check(not bad, "events: %d users each get exactly the reports they may read, and alerts"
          % len(users), bad[:20])
    n += 1
    status, events, _ = read_events(port, keys[AUTHOR], first_event, marker, purpose=None)
    check(status == 400, "events: a stream without X-Vigil-Purpose is 400", [status])
    status, events, _ = read_events(port, BAD_KEY, first_event, marker)
    check(status == 401, "events: a stream with an unknown key is 401", [status])

    # A user may hold 8 streams open at once; the ninth is 429; a closed one frees its place.
    held = []
    try:
        for i in range(9):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            conn.request("GET", "/api/v1/events",
                         headers={"Authorization": "Bearer " + keys["outsider-reader"],
                                  "X-Vigil-Purpose": PURPOSE})
            resp = conn.getresponse()
            n += 1
            held.append((conn, resp))
        statuses = [r.status for _, r in held]
        check(statuses == [200] * 8 + [429], "events: the ninth stream of a user is 429",
              [statuses])
        conn, resp = held.pop(0)
        conn.close()
        import time
        deadline = time.time() + 10
        status = None
        while time.time() < deadline:  # the hub notices the closed stream within a pass
            c2 = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            c2.request("GET", "/api/v1/events",
                       headers={"Authorization": "Bearer " + keys["outsider-reader"],
                                "X-Vigil-Purpose": PURPOSE})
            r2 = c2.getresponse()
            n += 1
            status = r2.status
            if status == 200:
                held.append((c2, r2))
                break
            r2.read()
            c2.close()
            time.sleep(0.3)
        check(status == 200, "events: a stream closed by its client frees its place", [status])
    finally:
        for conn, _ in held:
            conn.close()

    # Changes: 404 when not readable, 403 when readable but not changeable.
    by = {(r["tlp"], r["distribution"]): r for r in reports}
    clear_comm, amber_org = by[("TLP:CLEAR", "community")], by[("TLP:AMBER", "organisation")]
    body = {k: v for k, v in clear_comm.items() if k != "id"}
    for user, rep, method, want in [
            ("member-analyst", clear_comm, "PUT", 403),
            ("owner-reader", clear_comm, "PUT", 403),
            ("outsider-admin", amber_org, "PUT", 404),
            ("outsider-admin", amber_org, "DELETE", 404),
            ("member-admin", clear_comm, "DELETE", 403),
            ("owner-admin", clear_comm, "PUT", 200)]:
        status, raw = api(user, method, "/api/v1/reports/%d" % rep["id"],
                          body if method == "PUT" else None)
        check(status == want, "matrix: %s %s %s %s is %d" %
              (user, method, rep["tlp"], rep["distribution"], want), [status, raw])
    bad_body = dict(body, religion="x")
    status, raw = api("owner-admin", "PUT", "/api/v1/reports/%d" % clear_comm["id"], bad_body)
    check(status == 400 and b"religion" in raw, "matrix: PUT with an unknown field is 400",
          [status, raw])
    status, raw = api(AUTHOR, "DELETE", "/api/v1/reports/%d" % amber_org["id"])
    check(status == 200, "matrix: the author deletes a report", [status, raw])
    status, raw = api(AUTHOR, "GET", "/api/v1/reports/%d" % amber_org["id"])
    check(status == 404, "matrix: a deleted report is 404", [status, raw])

    # The audit log over the API: an administrator reads the records of its own organisation
    # only (another's would tell of its reports, readers and searches).
    for org in ORGS:
        admin = "%s-admin" % org.lower()
        status, raw = api(admin, "GET", "/api/v1/audit?limit=1000")
        records = json.loads(raw.decode()).get("records", []) if status == 200 else []
        others = sorted({r.get("org") for r in records} - {org}, key=str)
        check(status == 200 and records and not others,
              "matrix: %s reads the audit records of %s only" % (admin, org),
              [status, "%d records" % len(records), "other organisations: %r" % others])
    return n, ops


def run_case(case, port, keys):
    def fill(s):
        for name, key in keys.items():
            s = s.replace(name, key)
        return s

    req = case["request"]
    headers = {k: fill(v) for k, v in req.get("headers", {}).items()}
    body = None
    if "body_size" in req:
        body = b"x" * req["body_size"]
    elif "body" in req:
        body = req["body"].encode()
    status, got_headers, raw = request(port, req["method"], fill(req["path"]), headers, body)
    problems = []
    if status != case["status"]:
        problems.append("status: expected %d, got %d" % (case["status"], status))
    for k, v in case.get("headers", {}).items():
        if not got_headers.get(k.lower(), "").startswith(v):
            problems.append("header %s: expected %r, got %r" % (k, v, got_headers.get(k.lower())))
    if not got_headers.get("content-type", "").startswith("application/json"):
        problems.append("Content-Type is %r" % got_headers.get("content-type"))
    try:
        doc = json.loads(raw)
    except ValueError:
        problems.append("the body is not JSON: %r" % raw[:200])
        doc = None
    if doc is not None and "json" in case:
        why = subset(case["json"], doc)
        if why:
            problems.append(why)
    for field, n in case.get("count", {}).items():
        got = doc.get(field) if isinstance(doc, dict) else None
        got = len(got) if isinstance(got, list) else got
        if got != n:
            problems.append("%s: expected %d elements, got %r" % (field, n, got))
    if problems:
        problems.append("body: %s" % raw[:300].decode("utf-8", "replace"))
    return problems


def main():
    if len(sys.argv) != 2:
        print("usage: run.py VIGIL", file=sys.stderr)
        return 2
    exe = os.path.abspath(sys.argv[1])
    cases = sorted(glob.glob(os.path.join(HERE, "cases", "*.json")))
    passed = failed = 0

    def check(ok, name, detail=()):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok: " + name)
        else:
            failed += 1
            print("FAIL: " + name)
            for d in detail:
                print("    " + d)

    with tempfile.TemporaryDirectory(prefix="vigil-api.") as tmp:
        db = os.path.join(tmp, "api.db")
        vigil(exe, db, "ingest", SAMPLE)
        sites_fixture(exe, db, tmp)
        vigil(exe, db, "org", "add", "Agency")
        keys = {
            "ADMIN_KEY": vigil(exe, db, "user", "add", "--org", "Agency", "--role", "admin",
                               "alice").splitlines()[0],
            "ANALYST_KEY": vigil(exe, db, "user", "add", "--org", "Agency", "--role", "analyst",
                                 "dave").splitlines()[0],
            "READER_KEY": vigil(exe, db, "user", "add", "--org", "Agency", "--role", "reader",
                                "bob").splitlines()[0],
            "SYNC_KEY": vigil(exe, db, "user", "add", "--org", "Agency", "--role", "sync",
                              "erin").splitlines()[0],
            "REVOKED_KEY": vigil(exe, db, "user", "add", "--org", "Agency", "--role", "analyst",
                                 "carol").splitlines()[0],
            "BAD_KEY": BAD_KEY,
        }
        vigil(exe, db, "key", "revoke", keys["REVOKED_KEY"][3:19])
        matrix_keys = {}
        for org in ORGS:
            vigil(exe, db, "org", "add", org)
            for role in ROLES:
                user = "%s-%s" % (org.lower(), role)
                matrix_keys[user] = vigil(exe, db, "user", "add", "--org", org, "--role", role,
                                          user).splitlines()[0]
        before, intact, out = audit_count(exe, db)
        check(intact and before >= 0, "the audit chain is intact before the server starts",
              out.splitlines()[:5])

        log = open(os.path.join(tmp, "serve.err"), "w+")
        server = subprocess.Popen([exe, "--db", db, "serve", "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = server.stdout.readline().strip()
            check(line.startswith("listening on http://127.0.0.1:"),
                  "serve prints the address it listens on", [repr(line)])
            port = int(line.rsplit(":", 1)[1]) if line.rsplit(":", 1)[-1].isdigit() else 0
            audited = 0
            loaded = []
            for path in cases:
                with open(path) as f:
                    case = json.load(f)
                loaded.append((os.path.basename(path), case))
                name = "%s (%s)" % (case["name"], os.path.basename(path))
                try:
                    problems = run_case(case, port, keys)
                except (OSError, http.client.HTTPException) as e:
                    problems = ["request failed: %r" % e]
                check(not problems, name, problems)
                audited += 1 if case.get("audited") else 0
            n, matrix_ops = access_matrix(port, matrix_keys, check, db)
            audited += n
            audited += concurrent_reads(port, keys["ANALYST_KEY"], check)
            problems = openapi_check(loaded, matrix_ops)
            check(not problems, "docs/openapi.json documents exactly the operations tested",
                  problems)
        finally:
            server.terminate()
            try:
                status = server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                status = server.wait()
        check(status == 0, "serve stops on SIGTERM with status 0", ["status %d" % status])
        log.seek(0)
        err = log.read()
        check("Sanitizer" not in err and "runtime error:" not in err,
              "no sanitizer report from the server", err.splitlines()[:20])

        after, intact, out = audit_count(exe, db)
        check(intact, "the audit chain is intact", out.splitlines()[:5])
        check(after - before == audited,
              "the audit log grew by one record per authenticated request",
              ["before %d, after %d, authenticated requests %d" % (before, after, audited), out])
        records = json.loads(vigil(exe, db, "audit", "list", "--format", "json"))
        def recorded(actor, action, obj, status):
            for r in records:
                detail = json.loads(r.get("detail") or "{}")
                if (r.get("actor"), r.get("org"), r.get("action"), r.get("object"),
                        detail.get("status")) == (actor, "Agency", action, obj, status):
                    return True
            return False

        check(recorded("alice", "read", "/api/v1/audit", 200),
              "the audit log records the administrator's read of the log")
        check(recorded("bob", "read", "/api/v1/audit", 403),
              "the audit log records the reader's refused request")
        check(recorded("bob", "search", "/api/v1/incidents", 200),
              "the audit log records a search of incidents")
        twice = [r for r in records if (r.get("object") or "").startswith("/api/v1/reports")
                 and json.loads(r.get("detail") or "{}").get("status") in (200, 201)]
        check(not twice, "a successful report request has only the library's audit record",
              [repr(r) for r in twice[:3]])
        reads = [r for r in records if r.get("action") == "read"
                 and (r.get("object") or "").startswith("report:")]
        check(reads and all(r.get("purpose") == PURPOSE for r in reads),
              "the library's read records carry the stated purpose", [repr(reads[:1])])
        risk = [r for r in records if (r.get("object") or "").startswith("/api/v1/risk")]
        check(recorded("dave", "read", "/api/v1/risk/1", 200)
              and recorded("dave", "search", "/api/v1/risk", 200)
              and recorded("bob", "search", "/api/v1/risk", 403)
              and all(r.get("purpose") for r in risk
                      if json.loads(r.get("detail") or "{}").get("status") == 200),
              "the audit log records the risk reads and refusals, the reads with their purpose",
              [repr(r) for r in risk[:3]])
        refused = [r for r in records
                   if (r.get("actor"), r.get("object")) == ("dave", "/api/v1/reports/999999")]
        check(len(refused) == 1 and json.loads(refused[0]["detail"])["status"] == 404,
              "a refused report read is recorded once by the server", [repr(refused)])

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print("FAIL: %s" % e)
        print("0 passed, 1 failed")
        sys.exit(1)
