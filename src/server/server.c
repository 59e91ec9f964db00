/* server.c - the HTTP API server: daemon, request life cycle, authentication, audit, replies.
 *
 * Design. libmicrohttpd (MHD) owns the sockets and the threads: a pool of worker threads, each
 * polling its share of the connections (epoll where the system has it). For each request MHD
 * calls on_request several times: once when the headers are in, once per piece of body, and
 * once at the end. The first call answers at once what needs only the headers (too many header
 * lines: 431; a declared body past the cap: 413), so a client that sent "Expect: 100-continue"
 * never sends it. Body bytes are gathered in a buffer capped at max_body (struct request); a
 * body without a declared length that passes the cap closes the connection. The last call runs
 * the request:
 *
 *   route by method and path (404, 405) -> take a connection -> authenticate (401) -> check
 *   parameters (400) -> handler (403, 400, 404, 200, 201) -> audit record -> reply
 *
 * Reports and groups. The handlers of /reports and /groups hand the body, the principal and the
 * X-Vigil-Purpose header to the library (vigil/reports.h, vigil/groups.h), which applies the
 * access policy, caps the JSON (size and depth) and names the field at fault. A report the
 * principal may not read is 404 with the very body of a missing one ("report not found"); a
 * readable report the principal may not change is 403: the library says so with VG_EPERM, as it
 * does for what only an administrator may do.
 *
 * One access, one audit record. The library records every successful report or group call
 * itself, in the transaction of a change or before a read is given out, with the purpose and the
 * policy's grant: for those routes (route.audits) that record is the record, and the server
 * writes none. When the library call fails (404, 400, 403, 500) the library has written nothing
 * (it records only on success, and a failed change is rolled back), so the server records the
 * request as for any other route. The one exception: running out of memory after the library's
 * record of a read gives a 500 that is recorded twice.
 *
 * The audit records of a request are committed before anything is sent (fail closed). A change
 * (POST, PUT, DELETE) is authenticated and checked in the worker, then suspended and made by the
 * journal in its next batch, in a savepoint of its own, with its record. Every other record (reads,
 * searches, refusals) is taken by the connection's audit sink into the request's ticket; the
 * request is then suspended (MHD_suspend_connection) and the ticket handed to the journal
 * (journal.c), which commits the records of all waiting requests in one transaction and resumes
 * each request, whose answer is then sent, or replaced by a 500 when its records could not be
 * committed (the journal commits with synchronous=FULL: a record is on disk before its answer
 * leaves). 404 and 405 are answered before authentication and are not recorded: they disclose
 * nothing but the public list of routes. Every reply is a JSON document (Content-Type
 * application/json), but the live event stream (text/event-stream, events.c); the library's JSON
 * texts are sent as they are, and jansson's are handed to MHD without a copy. The handlers live in
 * api_*.c and read their parameters through call.c (http.h); this file routes, authenticates,
 * defers and replies.
 *
 * Threads and SQLite: the server keeps a pool of connections (vg_store); a request takes one in
 * the worker thread that serves it and gives it back before it returns or suspends, so no
 * connection is ever used by two threads at once, and each keeps its prepared statements from
 * one request to the next. The server writes from two threads only, the journal's and the event
 * hub's, which take the server's write lock around their transactions, so that they queue on a
 * mutex instead of SQLite's busy-wait; SQLite's locks and the store's busy time-out still order
 * them with other processes.
 *
 * A path holding %00: MHD decodes the path before on_request sees it, into a C string that the
 * NUL cuts short, so "/api/v1/health%00x" would be routed (and recorded) as /api/v1/health. The
 * raw request target is seen first by on_uri (MHD_OPTION_URI_LOG_CALLBACK), which marks such a
 * request with nul_path (a static marker, not an allocation: nothing to free when MHD ends the
 * request early); on_request answers it 400 before anything else.
 *
 * Ownership: struct vg_server owns the daemon, its copy of the database path and the PEM texts
 * (MHD reads them while running). struct request (MHD's per-request pointer) is allocated on the
 * first call and freed by on_completed, whatever happened to the request. */
#include "vigil/server.h"

#include "vigil/accounts.h"
#include "vigil/audit.h"
#include "vigil/mem.h"
#include "vigil/store.h"
#include "vigil/text.h"

#include "events.h"
#include "http.h"
#include "journal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define POOL_MAX 64 /* idle database connections kept */

struct vg_server {
    struct MHD_Daemon *daemon;
    char *db_path;
    char *cert, *key; /* PEM texts, NUL-terminated; NULL without TLS */
    size_t max_body;
    unsigned port;
    struct journal *journal;
    struct events_hub *hub;
    pthread_mutex_t write_lock;      /* held by a journal batch and an event pass */
    pthread_mutex_t lock;            /* guards the pool */
    struct vg_store *pool[POOL_MAX]; /* idle connections */
    int npool;
    /* Counters without a lock (sequentially consistent atomics): a request counts itself busy
     * and then looks at closing, vg_server_stop sets closing and then waits for busy to fall to
     * 0, so either the request sees closing or the stop sees the request. */
    atomic_int busy;    /* requests between routing and reply (or suspension) */
    atomic_int waiting; /* requests suspended until the journal commits their records */
    atomic_int closing; /* vg_server_stop has begun: new requests get 503 */
    int locks_ok;       /* the mutexes were initialised */
};

/* The state of one request between MHD's calls. */
struct request {
    struct vg_buf body; /* the body received so far, capped at the server's max_body */
    int answered;       /* a reply was queued on the first call */
    /* A request whose audit records go to the journal waits for them, suspended: */
    struct vg_server *srv;
    struct MHD_Connection *conn;
    struct journal_ticket ticket;
    unsigned status; /* the reply to give once the records are committed */
    json_t *reply;
    char *reply_text; /* or the reply as JSON text (vg_malloc'd) */
    int resumed;      /* the journal is done with the ticket */
    /* A request for the event stream (GET /events) answers with the stream: */
    int events;
    int64_t events_after;
    struct vg_principal who;
    const char *key;           /* in MHD's memory for the connection */
    struct deferred *deferred; /* a change left to the journal's batch */
};

void vg_server_opts_init(struct vg_server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->threads = VG_SERVER_THREADS;
    o->timeout = VG_SERVER_TIMEOUT;
    o->max_body = VG_SERVER_MAX_BODY;
}

/* Queues body (consumed) as the JSON reply with status. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, json_t *body,
                             int challenge, const char *allow)
{
    static const char oom[] = "{\"error\":\"out of memory\"}";
    /* 15 significant digits: a number read from text with at most 15 (every coordinate and
     * count Vigil stores) prints back as it was written, not as 51.470599999999997. */
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    struct MHD_Response *resp;
    if (text) {
        resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(text);
    } else {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        resp =
            MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (challenge)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"vigil\"");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Queues text (a JSON document, vg_malloc'd, consumed) as the reply with status. */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(strlen(text), text, vg_free);
    if (!resp) {
        vg_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    return reply(conn, status, json_pack("{ss}", "error", msg), status == MHD_HTTP_UNAUTHORIZED,
                 NULL);
}

/* The key of "Authorization: Bearer KEY", or NULL when the header is missing or not Bearer. */
static const char *bearer_key(struct MHD_Connection *conn)
{
    const char *h =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

/* ---- routes ---- */

struct route {
    const char *method;
    const char *path;
    const char *params; /* the query parameters it accepts */
    int key;            /* needs an API key */
    int admin;          /* needs the admin role */
    int audits;         /* the library records a successful call itself */
    const char *action; /* the audit action */
    unsigned (*run)(struct call *c);
};

/* Paths are matched segment by segment; "{id}" matches a report id, 1 to INT64_MAX in decimal.
 * audits: the library writes the audit record of a successful call (see the design above). */
static const struct route routes[] = {
    {"GET", "/api/v1/health", "", 0, 0, 0, NULL, api_get_health},
    {"GET", "/api/v1/incidents", "where,from,to,after,limit", 1, 0, 0, "search", api_get_incidents},
    {"GET", "/api/v1/stats", "by,measure,where,from,to", 1, 0, 0, "search", api_get_stats},
    {"GET", "/api/v1/audit", "since,actor,action,limit", 1, 1, 0, "read", api_get_audit},
    {"POST", "/api/v1/reports", "", 1, 0, 1, "create", api_post_report},
    {"GET", "/api/v1/reports", "q,tlp,org,after,limit", 1, 0, 1, "search", api_get_reports},
    {"GET", "/api/v1/reports/{id}", "", 1, 0, 1, "read", api_get_report},
    {"PUT", "/api/v1/reports/{id}", "", 1, 0, 1, "update", api_put_report},
    {"DELETE", "/api/v1/reports/{id}", "", 1, 0, 1, "delete", api_delete_report},
    {"GET", "/api/v1/reports/{id}/correlations", "", 1, 0, 1, "correlate", api_get_correlations},
    {"POST", "/api/v1/groups", "", 1, 1, 1, "group-create", api_post_group},
    {"GET", "/api/v1/events", "after", 1, 0, 0, "subscribe", api_get_events},
    {"GET", "/api/v1/correlations/overlinked", "cap", 1, 1, 1, "overlinked", api_get_overlinked},
    {"POST", "/api/v1/correlations/exclusions", "", 1, 1, 1, "exclude", api_post_exclusion},
    {"GET", "/api/v1/sites", "kind,country,near,km,after,limit", 1, 0, 0, "search", api_get_sites},
    {"GET", "/api/v1/sites/{id}", "", 1, 0, 0, "read", api_get_site},
    {"GET", "/api/v1/risk", "kind,country,top", 1, 0, 0, "search", api_get_risk},
    {"GET", "/api/v1/risk/{id}", "", 1, 0, 0, "read", api_get_site_risk},
};

/* 1 when path matches pattern, with the {id} segment (if any) in *id. */
static int path_match(const char *pattern, const char *path, int64_t *id)
{
    const char *hole = strstr(pattern, "{id}");
    if (!hole)
        return strcmp(pattern, path) == 0;
    size_t head = (size_t)(hole - pattern);
    if (strncmp(pattern, path, head) != 0)
        return 0;
    const char *digits = path + head;
    size_t n = strspn(digits, "0123456789");
    char number[24];
    if (n == 0 || n >= sizeof(number) || digits[0] == '0' || strcmp(hole + 4, digits + n) != 0)
        return 0;
    memcpy(number, digits, n);
    number[n] = '\0';
    return http_parse_int(number, 1, INT64_MAX, id) == 0;
}

/* The route of method and path, or NULL. When the path is known but not the method, *allow
 * lists the methods it answers ("" when the path is unknown). */
static const struct route *route_find(const char *method, const char *path, int64_t *id,
                                      char *allow, size_t size)
{
    allow[0] = '\0';
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!path_match(routes[i].path, path, id))
            continue;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
        size_t len = strlen(allow);
        snprintf(allow + len, size - len, "%s%s", len ? ", " : "", routes[i].method);
    }
    return NULL;
}

/* ---- database connections: a pool, one connection per request at a time ---- */

static struct vg_store *pool_get(struct vg_server *srv)
{
    struct vg_store *store = NULL;
    pthread_mutex_lock(&srv->lock);
    if (srv->npool)
        store = srv->pool[--srv->npool];
    pthread_mutex_unlock(&srv->lock);
    struct vg_error err;
    if (!store && vg_store_open(srv->db_path, 0, &store, &err))
        return NULL;
    return store;
}

static void pool_put(struct vg_server *srv, struct vg_store *store)
{
    if (!store)
        return;
    vg_store_rollback(store); /* nothing is left open on an idle connection */
    vg_audit_set_sink(store, NULL);
    pthread_mutex_lock(&srv->lock);
    if (srv->npool < POOL_MAX) {
        srv->pool[srv->npool++] = store;
        store = NULL;
    }
    pthread_mutex_unlock(&srv->lock);
    vg_store_close(store);
}

/* ---- the life of a request ---- */

/* The journal has committed (or failed to commit) the request's records: let MHD call
 * on_request again, which sends the answer. Runs in the journal's thread. */
static void on_recorded(struct journal_ticket *t)
{
    struct request *rq = (struct request *)((char *)t - offsetof(struct request, ticket));
    struct vg_server *srv = rq->srv;
    rq->resumed = 1;
    MHD_resume_connection(rq->conn);
    atomic_fetch_sub(&srv->waiting, 1);
}

/* Answers with the event stream. */
static enum MHD_Result reply_events(struct vg_server *srv, struct request *rq)
{
    if (events_open_count(srv->hub, rq->who.user_id) >= EVENTS_PER_USER)
        return reply_error(rq->conn, MHD_HTTP_TOO_MANY_REQUESTS,
                           "too many event streams open for this user");
    const char *purpose = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Vigil-Purpose");
    struct MHD_Response *resp = events_open(srv->hub, rq->conn, &rq->who, rq->key,
                                            purpose ? purpose : "", rq->events_after);
    if (!resp)
        return reply_error(rq->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    enum MHD_Result ret = MHD_queue_response(rq->conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Sends the answer of a request whose records the journal has handled. */
static enum MHD_Result reply_recorded(struct request *rq)
{
    json_t *body = rq->reply;
    char *text = rq->reply_text;
    rq->reply = NULL;
    rq->reply_text = NULL;
    if (rq->ticket.rc) {
        /* Fail closed: what cannot be recorded is not sent. */
        json_decref(body);
        vg_free(text);
        return reply_error(rq->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "the request could not be recorded in the audit log");
    }
    if (rq->events)
        return reply_events(rq->srv, rq);
    return text ? reply_text(rq->conn, rq->status, text)
                : reply(rq->conn, rq->status, body, 0, NULL);
}

/* Appends the audit record of an authenticated request (to the journal: the store has its
 * sink); 0 or a VG_E code. */
static int record(struct vg_store *store, const struct vg_principal *who, const char *action,
                  const char *path, const char *query, const char *purpose, unsigned status)
{
    struct vg_error err;
    json_t *detail = json_pack("{sssi}", "query", query, "status", (int)status);
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (!text)
        return VG_ENOMEM;
    struct vg_audit_entry e = {.actor = who->user,
                               .org = who->org,
                               .action = action,
                               .object = path,
                               .purpose = purpose,
                               .detail = text};
    int rc = vg_audit_append(store, &e, NULL, &err);
    free(text);
    return rc;
}

/* A change waiting for the journal: what its handler needs once the request's stack is gone. */
struct deferred {
    struct params p;
    struct call c;
    const struct route *route;
    const char *url; /* in MHD's memory for the connection */
};

static void deferred_free(struct deferred *d)
{
    if (!d)
        return;
    vg_buf_cleanup(&d->p.text);
    json_decref(d->c.body);
    vg_free(d->c.text);
    vg_free(d);
}

/* The journal's job for a change: runs the handler on the journal's connection, inside the
 * batch's transaction, and records what the library did not. */
static void run_change(struct journal_ticket *t, struct vg_store *store)
{
    struct request *rq = (struct request *)((char *)t - offsetof(struct request, ticket));
    struct deferred *d = rq->deferred;
    struct call *c = &d->c;
    c->store = store;
    c->who = &rq->who;
    unsigned status = d->route->run(c);
    int recorded = d->route->audits && status >= 200 && status < 300;
    if (!recorded && record(store, &rq->who, d->route->action, d->url,
                            d->p.text.len ? d->p.text.data : "", c->purpose, status)) {
        json_decref(c->body);
        vg_free(c->text);
        c->text = NULL;
        status = http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "the request could not be recorded in the audit log");
    }
    rq->status = status;
    rq->reply = c->body;
    rq->reply_text = c->text;
    c->body = NULL;
    c->text = NULL;
}

/* Runs an authenticated route on a pooled connection whose audit records go to rq's ticket.
 * Returns the status; the reply is in c->body or c->text. */
static unsigned run_authenticated(struct vg_server *srv, const struct route *route, const char *url,
                                  struct request *rq, struct call *c, const char *key, int bad,
                                  int *unrecorded)
{
    struct vg_principal who;
    struct vg_error err;
    unsigned status;
    struct vg_store *store = pool_get(srv);
    if (!store)
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the database is not available");
    struct vg_audit_sink sink = journal_sink(&rq->ticket);
    vg_audit_set_sink(store, &sink);
    /* A read of reports sees one snapshot from the key's check to the answer, in one read
     * transaction (which also spares taking and releasing SQLite's locks twice). Other reads may
     * write (the statistics refresh the analytic cube) and keep their own transactions. */
    int changes = strcmp(route->method, "GET") != 0;
    if (!changes && route->audits && vg_store_begin_read(store, &err)) {
        pool_put(srv, store);
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the database is not available");
    }
    int rc = vg_key_authenticate(store, key, time(NULL), &who, &err);
    if (rc) {
        pool_put(srv, store);
        *unrecorded = 1;
        return rc == VG_ENOTFOUND
                   ? http_fail(c, MHD_HTTP_UNAUTHORIZED, "the API key is not valid")
                   : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the database is not available");
    }
    c->store = store;
    c->who = &who;
    rq->who = who;
    rq->key = key;
    if (route->admin && who.role != VG_ROLE_ADMIN)
        status = http_fail(c, MHD_HTTP_FORBIDDEN, "this endpoint is for administrators");
    else if (bad)
        status = http_fail(c, MHD_HTTP_BAD_REQUEST, c->p->bad);
    else if (changes) {
        pool_put(srv, store);
        return 0; /* made in the journal's next batch: run_change */
    } else {
        status = route->run(c);
    }
    /* A report or group route whose library call succeeded has been recorded by the library,
     * with the purpose and the grant; the server records only what the library did not. */
    int recorded = route->audits && status >= 200 && status < 300;
    if (!recorded && record(store, &who, route->action, url, c->p->text.len ? c->p->text.data : "",
                            c->purpose, status)) {
        json_decref(c->body);
        vg_free(c->text);
        c->text = NULL;
        status = http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "the request could not be recorded in the audit log");
        journal_ticket_clear(&rq->ticket); /* nothing of it is sent: nothing to wait for */
    }
    pool_put(srv, store);
    return status;
}

/* The last call of a request: routes, authenticates, runs, records, replies. */
static enum MHD_Result run_request(struct vg_server *srv, struct MHD_Connection *conn,
                                   const char *url, const char *method, struct request *rq)
{
    char allow[64];
    int64_t id = 0;
    const struct route *route = route_find(method, url, &id, allow, sizeof(allow));
    if (!route && !allow[0])
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
    if (!route)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                     json_pack("{ss}", "error", "method not allowed"), 0, allow);

    struct params p;
    struct call c = {.conn = conn,
                     .p = &p,
                     .id = id,
                     .purpose =
                         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Vigil-Purpose"),
                     .data = rq->body.data ? rq->body.data : "",
                     .data_len = rq->body.len};
    unsigned status;
    int bad = http_params_read(&p, conn, route->params);
    /* The purpose goes into the audit record as it is: it must be text the log can hold. */
    if (c.purpose && (strlen(c.purpose) > VG_AUDIT_PURPOSE_MAX ||
                      !vg_text_is_utf8(c.purpose, strlen(c.purpose)))) {
        c.purpose = NULL;
        if (!bad) {
            snprintf(p.bad, sizeof(p.bad),
                     "the X-Vigil-Purpose header must be UTF-8 text of at most %d bytes",
                     VG_AUDIT_PURPOSE_MAX);
            bad = -1;
        }
    }
    if (!route->key) {
        status = bad ? http_fail(&c, MHD_HTTP_BAD_REQUEST, p.bad) : route->run(&c);
        vg_buf_cleanup(&p.text);
        return reply(conn, status, c.body, 0, NULL);
    }
    const char *key = bearer_key(conn);
    if (!key) {
        vg_buf_cleanup(&p.text);
        return reply_error(conn, MHD_HTTP_UNAUTHORIZED, "an API key is required");
    }
    int unrecorded = 0;
    status = run_authenticated(srv, route, url, rq, &c, key, bad, &unrecorded);
    if (status == 0) {
        /* A change: its handler runs in the journal's batch (run_change). */
        struct deferred *d = vg_malloc(sizeof(*d));
        if (!d) {
            vg_buf_cleanup(&p.text);
            return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        }
        d->p = p;
        d->c = c;
        d->c.p = &d->p;
        d->c.store = NULL;
        d->c.who = &rq->who;
        d->route = route;
        d->url = url;
        rq->deferred = d;
        rq->ticket.job = run_change;
        c.body = NULL;
        c.text = NULL;
    } else {
        vg_buf_cleanup(&p.text);
    }
    if (unrecorded || !journal_ticket_pending(&rq->ticket))
        return c.text ? reply_text(conn, status, c.text)
                      : reply(conn, status, c.body, status == MHD_HTTP_UNAUTHORIZED, NULL);
    /* Wait, suspended, for the journal to commit the records; then on_request answers. The
     * connection is suspended before the ticket is handed over, so that the journal can never
     * resume it first. */
    rq->status = status;
    rq->reply = c.body;
    rq->reply_text = c.text;
    rq->events = c.events && status == MHD_HTTP_OK;
    rq->events_after = c.events_after;
    rq->conn = conn;
    rq->ticket.done = on_recorded;
    atomic_fetch_add(&srv->waiting, 1);
    MHD_suspend_connection(conn);
    journal_submit(srv->journal, &rq->ticket);
    return MHD_YES;
}

/* The per-request pointer of a request whose path holds %00, before and after its answer. */
static char nul_path, nul_path_answered;

/* Sees the request target as sent: marks a path (the part before '?') that holds %00. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    const char *nul =
        strstr(uri, "%00"); /* the first: when it is in the query, the path has none */
    return nul && (size_t)(nul - uri) < strcspn(uri, "?") ? &nul_path : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct vg_server *srv = cls;
    struct request *rq = *con_cls;
    (void)version;
    if (rq == (void *)&nul_path || rq == (void *)&nul_path_answered) {
        *upload_data_size = 0; /* any body is dropped */
        if (rq == (void *)&nul_path_answered)
            return MHD_YES;
        *con_cls = &nul_path_answered;
        return reply_error(conn, MHD_HTTP_BAD_REQUEST, "the path holds a NUL byte (%00)");
    }
    if (!rq) {
        rq = vg_calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        rq->srv = srv;
        journal_ticket_init(&rq->ticket);
        vg_buf_init(&rq->body, srv->max_body);
        /* What needs only the headers is answered before any body is read. */
        if (MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL) > VG_SERVER_MAX_HEADERS) {
            rq->answered = 1;
            return reply_error(conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
                               "too many header lines");
        }
        const char *len =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (len) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(len, &end, 10);
            if (errno || end == len || *end || n > srv->max_body) {
                rq->answered = 1;
                return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
                                   "the request body is too large");
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->answered)
            return MHD_YES; /* a reply is queued: the rest of the body is dropped */
        /* Only a body of undeclared length gets here past the cap (or memory runs out): close
         * the connection. */
        return vg_buf_append(&rq->body, upload_data, n) ? MHD_NO : MHD_YES;
    }
    if (rq->resumed) {
        rq->resumed = 0;
        rq->answered = 1;
        return reply_recorded(rq);
    }
    if (rq->answered)
        return MHD_YES;
    rq->answered = 1;
    atomic_fetch_add(&srv->busy, 1);
    enum MHD_Result ret =
        atomic_load(&srv->closing)
            ? reply_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the server is stopping")
            : run_request(srv, conn, url, method, rq);
    atomic_fetch_sub(&srv->busy, 1);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct request *rq = *con_cls;
    if (rq == (void *)&nul_path || rq == (void *)&nul_path_answered)
        rq = NULL; /* a marker, not an allocation */
    if (rq) {
        vg_buf_cleanup(&rq->body);
        journal_ticket_clear(&rq->ticket);
        json_decref(rq->reply);
        vg_free(rq->reply_text);
        deferred_free(rq->deferred);
    }
    vg_free(rq);
    *con_cls = NULL;
}

/* Reads a whole PEM file into a NUL-terminated heap string. */
static int read_file(const char *path, char **out, struct vg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vg_error_set(err, VG_EIO, "cannot open %s: %s", path, strerror(errno));
    struct vg_buf b;
    vg_buf_init(&b, VG_SERVER_TLS_FILE_MAX);
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = vg_buf_append(&b, chunk, n);
    if (!rc && ferror(f))
        rc = vg_error_set(err, VG_EIO, "cannot read %s", path);
    else if (rc == VG_ETOOBIG)
        vg_error_set(err, rc, "%s is larger than %d bytes", path, VG_SERVER_TLS_FILE_MAX);
    else if (rc)
        vg_error_set(err, rc, "out of memory reading %s", path);
    else if (b.len == 0)
        rc = vg_error_set(err, VG_EINVAL, "%s is empty", path);
    fclose(f);
    if (rc) {
        vg_buf_cleanup(&b);
        return rc;
    }
    *out = b.data;
    return 0;
}

static void server_free(struct vg_server *s)
{
    if (!s)
        return;
    journal_stop(s->journal);
    events_stop(s->hub); /* after MHD: the streams' responses are gone */
    for (int i = 0; i < s->npool; i++)
        vg_store_close(s->pool[i]);
    if (s->locks_ok) {
        pthread_mutex_destroy(&s->write_lock);
        pthread_mutex_destroy(&s->lock);
    }
    vg_free(s->db_path);
    if (s->key)
        sodium_memzero(s->key, strlen(s->key));
    vg_free(s->key);
    vg_free(s->cert);
    vg_free(s);
}

int vg_server_start(const struct vg_server_opts *o, struct vg_server **out, struct vg_error *err)
{
    struct vg_server *s = NULL;
    struct addrinfo *ai = NULL;
    int rc;

    if (!o->db_path || !*o->db_path)
        return vg_error_set(err, VG_EINVAL, "no database given");
    if (o->threads < 1 || o->threads > 64)
        return vg_error_set(err, VG_EINVAL, "threads must be from 1 to 64, not %u", o->threads);
    if (o->port > 65535)
        return vg_error_set(err, VG_EINVAL, "port must be from 0 to 65535, not %u", o->port);
    if (!o->tls_cert != !o->tls_key)
        return vg_error_set(err, VG_EINVAL, "HTTPS needs both a certificate and a key");
    if (o->tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return vg_error_set(err, VG_EINVAL, "this build of libmicrohttpd has no HTTPS");

    s = vg_calloc(1, sizeof(*s));
    if (!s || !(s->db_path = vg_strdup(o->db_path))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    s->max_body = o->max_body;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    s->locks_ok = 1;
    if ((rc = journal_start(s->db_path, &s->write_lock, &s->journal, err)) ||
        (rc = events_start(s->db_path, &s->write_lock, &s->hub, err)))
        goto fail;
    if (o->tls_cert && ((rc = read_file(o->tls_cert, &s->cert, err)) ||
                        (rc = read_file(o->tls_key, &s->key, err))))
        goto fail;

    const char *host = o->host ? o->host : "127.0.0.1";
    char port[8];
    snprintf(port, sizeof(port), "%u", o->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai) {
        rc = vg_error_set(err, VG_EINVAL, "cannot listen on '%s': %s", host, gai_strerror(gai));
        goto fail;
    }

    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->key},
        {MHD_OPTION_END, 0, NULL},
    };
    errno = 0;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)o->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)o->timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)VG_SERVER_MEMORY_LIMIT, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)NULL, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, (void *)NULL, MHD_OPTION_ARRAY, s->cert ? tls : tls + 2, MHD_OPTION_END);
    if (!s->daemon) {
        int e = errno;
        rc = vg_error_set(err, VG_EIO, "cannot listen on %s port %s%s%s", host, port, e ? ": " : "",
                          e ? strerror(e) : "");
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    freeaddrinfo(ai);
    *out = s;
    return 0;

fail:
    if (ai)
        freeaddrinfo(ai);
    server_free(s);
    return rc;
}

unsigned vg_server_port(const struct vg_server *s)
{
    return s->port;
}

unsigned vg_server_pending(struct vg_server *s)
{
    return (unsigned)(atomic_load(&s->busy) + atomic_load(&s->waiting));
}

void vg_server_stop(struct vg_server *s)
{
    if (!s)
        return;
    if (s->daemon) {
        /* MHD must not be stopped with a connection suspended: new requests are refused, and
         * those running or waiting for the journal get their answers first (a few seconds at
         * most: the journal's batch is all they wait for). */
        atomic_store(&s->closing, 1);
        events_close_all(s->hub);
        for (int i = 0; i < 10000; i++) {
            if (!vg_server_pending(s))
                break;
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
        MHD_stop_daemon(s->daemon);
    }
    server_free(s);
}
