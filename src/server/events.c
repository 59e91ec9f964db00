/* events.c - the live event stream: new and changed reports, and correlation alerts, pushed to
 * duty officers as server-sent events (GET /api/v1/events).
 *
 * Where events come from. Triggers on the reports table (store migration 5) append a row to the
 * table events for every report created or updated, whoever wrote it: this server, another
 * server on the same database, or the command line. Event ids only grow (AUTOINCREMENT), so a
 * stream's position is one number, and a client that reconnects with Last-Event-ID gets what it
 * missed.
 *
 * The hub. One thread with its own connection polls every EVENTS_POLL_MS. When the newest event
 * id has moved past some stream's position, it opens one write transaction and, for each stream:
 * checks the stream's key again (a revoked or expired key ends the stream), reads up to
 * EVENTS_BATCH events after its position, and renders each event the principal may see: the
 * report as GET /reports/{id} gives it (vg_report_get: the access policy and the audit record
 * with the stream's purpose), and for a new report that shares indicators with reports the
 * principal may see, an "alert" event listing the links (vg_report_correlations, audited too).
 * Events the principal may not see are passed over silently: the stream only moves past them.
 * The text is delivered only after the transaction, and so every record of what it discloses,
 * has committed; when the commit fails nothing is delivered and the positions are not moved.
 *
 * A stream. The response is an MHD callback response. A suspended connection is not watched by
 * MHD, so every pass also looks at each stream's socket (client_gone) and ends the streams whose
 * client has left: their connections do not hold one of the server's slots for long. A user may
 * have EVENTS_PER_USER streams open at once. Its reader copies out what the hub has
 * queued; when nothing is queued it suspends the connection and returns 0, and the hub resumes
 * it when it queues more (a comment line after EVENTS_KEEPALIVE_S of silence keeps proxies from
 * closing the connection and lets the server notice a client that went away). A client that
 * does not read lets at most EVENTS_BUFFER_MAX bytes pile up; then its stream is ended.
 *
 * Locks and lifetimes. hub->lock guards the list of streams and their reference counts, and is
 * only held for moments: a pass takes a reference to each stream it will serve, works without
 * the lock (the database, the rendering), and gives the references back; MHD's free callback
 * (stream_free) unlinks the stream and drops the list's reference, and whoever drops the last
 * frees it. stream->lock guards the stream's queue and flags. MHD is never called while one of
 * these locks is held by the hub: stream_push decides under the stream's lock whether the
 * connection must be resumed and resumes it after. A connection that the reader suspended stays
 * alive until it is resumed, and only the hub resumes it, so the hub may use it (resume it, look
 * at its socket) as long as it found it suspended. A stream that MHD is sending is left alone.
 *
 * Ownership: the hub owns its connection and thread; a stream belongs to its MHD response (freed
 * by stream_free, MHD's free callback), and holds a copy of its key, wiped when freed. */
#include "events.h"

#include "vigil/events.h"
#include "vigil/mem.h"
#include "vigil/reports.h"
#include "vigil/store.h"

#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct stream {
    struct stream *next;
    int refs; /* under hub->lock: the list's (until MHD frees the response), one per pass */
    struct events_hub *hub;
    struct MHD_Connection *conn;
    struct vg_principal who;
    char key[VG_KEY_SIZE];
    char purpose[EVENTS_PURPOSE_MAX + 1];
    int64_t after;   /* the last event id considered; the hub's to read and write */
    time_t last_out; /* when something was last queued */
    pthread_mutex_t lock;
    struct vg_buf out; /* queued text, not yet taken by MHD */
    int suspended;     /* the reader suspended the connection */
    int closing;       /* end the response once out is sent */
};

struct events_hub {
    struct vg_store *store;
    pthread_mutex_t *write_lock;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct stream *streams;
    int stopping;
    pthread_t thread;
};

/* ---- a stream as MHD sees it ---- */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    (void)pos;
    ssize_t n;
    pthread_mutex_lock(&st->lock);
    if (st->out.len) {
        size_t take = st->out.len < max ? st->out.len : max;
        memcpy(buf, st->out.data, take);
        memmove(st->out.data, st->out.data + take, st->out.len - take);
        st->out.len -= take;
        n = (ssize_t)take;
    } else if (st->closing) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* Nothing to send: park the connection until the hub has more. */
        st->suspended = 1;
        MHD_suspend_connection(st->conn);
        n = 0;
    }
    pthread_mutex_unlock(&st->lock);
    return n;
}

static void stream_destroy(struct stream *st)
{
    sodium_memzero(st->key, sizeof(st->key));
    vg_buf_cleanup(&st->out);
    pthread_mutex_destroy(&st->lock);
    vg_free(st);
}

/* Drops one reference (hub->lock held); 1 when it was the last: the caller destroys st. */
static int stream_unref(struct stream *st)
{
    return --st->refs == 0;
}

/* MHD is done with the response: the stream leaves the list, and goes when no pass holds it. */
static void stream_free(void *cls)
{
    struct stream *st = cls;
    struct events_hub *hub = st->hub;
    pthread_mutex_lock(&hub->lock);
    for (struct stream **p = &hub->streams; *p; p = &(*p)->next)
        if (*p == st) {
            *p = st->next;
            break;
        }
    int last = stream_unref(st);
    pthread_mutex_unlock(&hub->lock);
    if (last)
        stream_destroy(st);
}

/* Queues text for the client (or ends the stream when end is set) and wakes the connection. */
static void stream_push(struct stream *st, const char *text, size_t n, int end)
{
    pthread_mutex_lock(&st->lock);
    if (n && (st->out.len + n > EVENTS_BUFFER_MAX || vg_buf_append(&st->out, text, n)))
        end = 1; /* a client that does not read, or no memory: the stream ends */
    if (end)
        st->closing = 1;
    int resume = st->suspended;
    st->suspended = 0;
    pthread_mutex_unlock(&st->lock);
    if (resume)
        MHD_resume_connection(st->conn); /* suspended: alive until this call */
}

struct MHD_Response *events_open(struct events_hub *hub, struct MHD_Connection *conn,
                                 const struct vg_principal *who, const char *key,
                                 const char *purpose, int64_t after)
{
    struct stream *st = vg_calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->hub = hub;
    st->conn = conn;
    st->who = *who;
    snprintf(st->key, sizeof(st->key), "%s", key);
    snprintf(st->purpose, sizeof(st->purpose), "%s", purpose);
    st->after = after;
    st->last_out = time(NULL);
    pthread_mutex_init(&st->lock, NULL);
    st->refs = 1; /* the list's */
    vg_buf_init(&st->out, EVENTS_BUFFER_MAX + 1);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_free);
    if (!resp) {
        pthread_mutex_destroy(&st->lock);
        vg_free(st);
        return NULL;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* The first bytes (a retry hint) go out at once, so the client knows it is connected. */
    static const char hello[] = "retry: 2000\n\n";
    vg_buf_append(&st->out, hello, sizeof(hello) - 1);
    pthread_mutex_lock(&hub->lock);
    st->next = hub->streams;
    hub->streams = st;
    pthread_mutex_unlock(&hub->lock);
    return resp;
}

/* ---- the hub ---- */

/* Appends one server-sent event: id, event name, and data (one line: JSON has no newline). */
static int put_event(struct vg_buf *b, int64_t id, const char *name, json_t *data)
{
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!text)
        return VG_ENOMEM;
    int rc = vg_buf_printf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, name, text);
    free(text);
    return rc;
}

/* Renders event (id, kind, report) for st into b: nothing when st may not see the report. */
static int render(struct events_hub *hub, struct stream *st, int64_t id, const char *kind,
                  int64_t report, const char *at, struct vg_buf *b)
{
    struct vg_error err;
    char *text = NULL;
    int rc = vg_report_get(hub->store, &st->who, report, st->purpose, &text, &err);
    if (rc == VG_ENOTFOUND)
        return 0; /* not for this principal, or gone since */
    if (rc)
        return rc;
    json_t *r = json_loads(text, 0, NULL);
    vg_free(text);
    if (!r || (rc = put_event(b, id, kind,
                              json_pack("{sIsssssO}", "event", (json_int_t)id, "kind", kind, "at",
                                        at, "report", r)))) {
        json_decref(r);
        return VG_ENOMEM;
    }
    json_decref(r);
    if (strcmp(kind, "report.created") != 0)
        return 0;
    /* A new report that shares indicators with reports the principal may see is an alert. */
    if ((rc = vg_report_correlations(hub->store, &st->who, report, 0, st->purpose, &text, &err)))
        return rc == VG_ENOTFOUND ? 0 : rc;
    json_t *c = json_loads(text, 0, NULL);
    vg_free(text);
    json_t *links = json_object_get(c, "correlations");
    if (json_array_size(links) > 0)
        rc = put_event(b, id, "alert",
                       json_pack("{sIsssssIsO}", "event", (json_int_t)id, "kind", "correlation",
                                 "at", at, "report", (json_int_t)report, "correlations", links));
    json_decref(c);
    return rc;
}

/* Renders the events after st->after into b, moving *after; 0, or a code that ends the pass. */
static int render_stream(struct events_hub *hub, struct stream *st, int64_t *after,
                         struct vg_buf *b)
{
    struct vg_error err;
    struct vg_principal now;
    int rc = vg_key_authenticate(hub->store, st->key, time(NULL), &now, &err);
    if (rc)
        return rc == VG_ENOTFOUND ? VG_EPERM : rc; /* VG_EPERM: the key no longer opens */
    struct vg_event ev[EVENTS_BATCH];
    int n;
    if ((rc = vg_events_after(hub->store, *after, ev, EVENTS_BATCH, &n, &err)))
        return rc;
    for (int i = 0; i < n; i++) {
        if ((rc = render(hub, st, ev[i].id, ev[i].kind, ev[i].report_id, ev[i].at, b)))
            return rc;
        *after = ev[i].id;
    }
    return 0;
}

/* 1 when the client of st has closed its end. A suspended connection is not watched by MHD, and
 * what is rendered for a client that left would be recorded as disclosed to it. */
static int client_gone(struct stream *st)
{
    pthread_mutex_lock(&st->lock);
    int suspended = st->suspended; /* else MHD is sending, and sees for itself */
    pthread_mutex_unlock(&st->lock);
    if (!suspended)
        return 0;
    /* Suspended: only the hub resumes it, so the connection lives until then. */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 1;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) <= 0)
        return 0;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
        return 1;
    /* Readable: a pipelined request or the end of the stream; peek to tell which. */
    char c;
    return recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* The newest event id, or -1 when it cannot be read. */
static int64_t newest_event(struct vg_store *s)
{
    struct vg_error err;
    int64_t id;
    return vg_events_newest(s, &id, &err) ? -1 : id;
}

#define PASS_MAX 256 /* streams served in one pass; more wait for the next */

/* Takes a reference to each of the first PASS_MAX streams; returns how many. */
static int streams_take(struct events_hub *hub, struct stream **held)
{
    int n = 0;
    pthread_mutex_lock(&hub->lock);
    for (struct stream *st = hub->streams; st && n < PASS_MAX; st = st->next) {
        st->refs++;
        held[n++] = st;
    }
    pthread_mutex_unlock(&hub->lock);
    return n;
}

static void streams_give_back(struct events_hub *hub, struct stream **held, int n)
{
    struct stream *dead[PASS_MAX];
    int ndead = 0;
    pthread_mutex_lock(&hub->lock);
    for (int i = 0; i < n; i++)
        if (stream_unref(held[i]))
            dead[ndead++] = held[i];
    pthread_mutex_unlock(&hub->lock);
    for (int i = 0; i < ndead; i++)
        stream_destroy(dead[i]);
}

/* One pass over the streams held (no lock held). */
static void pass(struct events_hub *hub, struct stream **held, int nheld)
{
    struct vg_error err;
    struct stream *todo[PASS_MAX];
    struct vg_buf text[PASS_MAX];
    int64_t after[PASS_MAX];
    int end[PASS_MAX];
    int n = 0;
    time_t now = time(NULL);
    int64_t newest = newest_event(hub->store);
    for (int h = 0; h < nheld; h++) {
        struct stream *st = held[h];
        pthread_mutex_lock(&st->lock);
        int skip = st->closing;
        pthread_mutex_unlock(&st->lock);
        if (skip)
            continue;
        if (client_gone(st)) {
            stream_push(st, NULL, 0, 1); /* the connection is given back to MHD to close */
        } else if (newest > st->after) {
            todo[n] = st;
            after[n] = st->after;
            end[n] = 0;
            vg_buf_init(&text[n], EVENTS_BUFFER_MAX);
            n++;
        } else if (now - st->last_out >= EVENTS_KEEPALIVE_S) {
            static const char ping[] = ": keepalive\n\n";
            st->last_out = now;
            stream_push(st, ping, sizeof(ping) - 1, 0);
        }
    }
    if (!n)
        return;
    if (hub->write_lock)
        pthread_mutex_lock(hub->write_lock);
    int rc = vg_store_begin(hub->store, &err);
    for (int i = 0; i < n && !rc; i++) {
        int r = render_stream(hub, todo[i], &after[i], &text[i]);
        if (r == VG_EPERM) {
            end[i] = 1; /* the key was revoked or expired: what it rendered is dropped */
            vg_buf_reset(&text[i]);
        } else if (r) {
            rc = r;
        }
    }
    if (!rc && (rc = vg_store_commit(hub->store, &err)))
        vg_store_rollback(hub->store);
    if (rc)
        vg_store_rollback(hub->store); /* nothing is delivered; the next pass tries again */
    if (hub->write_lock)
        pthread_mutex_unlock(hub->write_lock);
    for (int i = 0; i < n; i++) {
        if (!rc || end[i]) {
            todo[i]->after = after[i];
            if (text[i].len)
                todo[i]->last_out = now;
            stream_push(todo[i], text[i].data, text[i].len, end[i]);
        }
        vg_buf_cleanup(&text[i]);
    }
}

static void *run(void *arg)
{
    struct events_hub *hub = arg;
    struct stream *held[PASS_MAX];
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += EVENTS_POLL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&hub->lock);
        if (!hub->stopping)
            pthread_cond_timedwait(&hub->wake, &hub->lock, &until);
        int stopping = hub->stopping;
        pthread_mutex_unlock(&hub->lock);
        if (stopping)
            return NULL;
        int n = streams_take(hub, held);
        if (n)
            pass(hub, held, n);
        streams_give_back(hub, held, n);
    }
}

int events_start(const char *db_path, pthread_mutex_t *write_lock, struct events_hub **out,
                 struct vg_error *err)
{
    struct events_hub *hub = vg_calloc(1, sizeof(*hub));
    if (!hub)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    hub->write_lock = write_lock;
    int rc = vg_store_open(db_path, 0, &hub->store, err);
    /* What a pass discloses is sent only once its records are on disk (as the journal's). */
    if (!rc && (rc = vg_store_exec(hub->store, "PRAGMA synchronous=FULL", err)))
        vg_store_close(hub->store);
    if (rc) {
        vg_free(hub);
        return rc;
    }
    pthread_mutex_init(&hub->lock, NULL);
    pthread_cond_init(&hub->wake, NULL);
    if (pthread_create(&hub->thread, NULL, run, hub)) {
        pthread_cond_destroy(&hub->wake);
        pthread_mutex_destroy(&hub->lock);
        vg_store_close(hub->store);
        vg_free(hub);
        return vg_error_set(err, VG_ENOMEM, "cannot start the event stream's thread");
    }
    *out = hub;
    return 0;
}

int events_open_count(struct events_hub *hub, int64_t user_id)
{
    struct stream *held[PASS_MAX];
    int open = 0, n = streams_take(hub, held);
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&held[i]->lock);
        open += held[i]->who.user_id == user_id && !held[i]->closing;
        pthread_mutex_unlock(&held[i]->lock);
    }
    streams_give_back(hub, held, n);
    return open;
}

void events_close_all(struct events_hub *hub)
{
    if (!hub)
        return;
    struct stream *held[PASS_MAX];
    int n;
    do { /* PASS_MAX at a time: a closed stream is skipped by the next round */
        n = streams_take(hub, held);
        int ended = 0;
        for (int i = 0; i < n; i++) {
            pthread_mutex_lock(&held[i]->lock);
            int open = !held[i]->closing;
            pthread_mutex_unlock(&held[i]->lock);
            if (open) {
                stream_push(held[i], NULL, 0, 1);
                ended++;
            }
        }
        streams_give_back(hub, held, n);
        if (!ended)
            break;
    } while (n == PASS_MAX);
}

void events_stop(struct events_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->stopping = 1;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
    pthread_join(hub->thread, NULL);
    pthread_cond_destroy(&hub->wake);
    pthread_mutex_destroy(&hub->lock);
    vg_store_close(hub->store);
    vg_free(hub);
}
