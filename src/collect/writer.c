/* writer.c - storing incidents in batches on a second thread.
 *
 * Parsing a file and writing SQLite pages are each about half of an ingest, so they run on two
 * threads: the caller parses and converts rows and copies each into a batch; a full batch goes to
 * the writer thread, which upserts it in one transaction while the caller fills the other batch.
 * Before handing a batch over, the caller sorts it by (source, source_id) (the writer thread has
 * the more work). Sorting clusters the index updates (GTD event ids begin
 * with the date, so the date index gains too) and gives rows of a batch neighbouring ids.
 *
 * Data structure: two batches (double buffering). A batch is an arena of fixed size holding the
 * strings of its rows, and an array of rows pointing into it. Batches move between the two
 * threads through one mutex and condition variable: `free` batches for the caller, one `full`
 * slot for the writer. Memory is bounded: two arenas, whatever the size of the input. An arena
 * starts small and doubles, up to ARENA_MAX, each time a batch fills it, so a small input costs
 * little memory; a batch only grows while it is empty, as its rows point into its arena.
 *
 * Invariants: a batch is owned by exactly one thread at a time; the store is used only by the
 * writer thread between start and finish. An error in the writer thread stops it; the caller
 * sees the error at its next add or at finish, and the batches committed before stay.
 *
 * Failures of single rows (a constraint broken; the converter's checks make this rare) are
 * recorded in the batch and reported through the fail callback in the caller's thread when the
 * batch comes back, so the callback never runs concurrently with the caller. */
#include "writer.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MAX (24u << 20)    /* largest arena of a batch */
#define ARENA_FIRST (256u << 10) /* first arena: small inputs stay small */
#define MAX_ROWS 65536
#define ROWS_FIRST 1024

struct row {
    /* The first bytes of source and source_id, big-endian: most comparisons end here. */
    uint64_t key[2];
    struct vg_incident inc;
    long line;
    int64_t id; /* set by the writer thread: the new row's id when it was inserted, else 0 */
};

struct fail {
    long line;
    char reason[VG_ERROR_MSG_MAX];
};

struct batch {
    char *arena;
    size_t used, arena_size;
    size_t rows_cap; /* rows and order hold this many */
    struct row *rows;
    struct row **order; /* rows sorted for writing */
    size_t n;
    struct fail *fails;
    size_t nfails, fails_cap;
    int committed; /* the writer thread committed it (its inserted rows may be reported) */
    uint64_t seq;  /* order in which batches were handed over */
};

struct vg__writer {
    struct vg_store *store;
    size_t max_rows;              /* rows per batch */
    size_t want_bytes, want_rows; /* what the next empty batch grows to */
    vg__writer_fail_fn on_fail;
    vg__writer_inserted_fn on_inserted;
    uint64_t handed; /* batches handed over so far */
    void *ctx;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch batches[2];
    struct batch *filling; /* the caller's batch */
    struct batch *full;    /* waiting for the writer thread */
    struct batch *free[2]; /* batches the writer is done with */
    int nfree;
    int closing;           /* no more batches will come */
    int failed;            /* the writer thread stopped on an error */
    struct vg_error error; /* its error */
    int64_t inserted, updated;
};

static void batch_cleanup(struct batch *b)
{
    vg_free(b->arena);
    vg_free(b->rows);
    vg_free(b->order);
    vg_free(b->fails);
}

static int batch_init(struct batch *b)
{
    memset(b, 0, sizeof(*b));
    b->arena = vg_malloc(ARENA_FIRST);
    b->rows = vg_malloc(ROWS_FIRST * sizeof(*b->rows));
    b->order = vg_malloc(ROWS_FIRST * sizeof(*b->order));
    if (!b->arena || !b->rows || !b->order) {
        batch_cleanup(b);
        memset(b, 0, sizeof(*b));
        return VG_ENOMEM;
    }
    b->arena_size = ARENA_FIRST;
    b->rows_cap = ROWS_FIRST;
    return 0;
}

/* Grows an empty batch to hold at least `bytes` of strings and `rows` rows (within the maxima).
 * Only an empty batch may grow: its rows point into the arena. */
static int batch_grow(struct batch *b, size_t bytes, size_t rows)
{
    if (bytes > b->arena_size) {
        size_t size = b->arena_size;
        while (size < bytes)
            size *= 2;
        if (size > ARENA_MAX)
            size = ARENA_MAX;
        char *a = vg_realloc(b->arena, size);
        if (!a)
            return VG_ENOMEM;
        b->arena = a;
        b->arena_size = size;
    }
    if (rows > b->rows_cap) {
        size_t cap = rows < MAX_ROWS ? rows : MAX_ROWS;
        struct row *r = vg_realloc(b->rows, cap * sizeof(*r));
        if (r)
            b->rows = r;
        struct row **o = vg_realloc(b->order, cap * sizeof(*o));
        if (o)
            b->order = o;
        if (!r || !o)
            return VG_ENOMEM;
        b->rows_cap = cap;
    }
    return 0;
}

/* The first eight bytes of s (zero-padded) as a big-endian number, so that comparing numbers
 * orders like strcmp on those bytes. */
static uint64_t prefix_key(const char *s)
{
    uint64_t k = 0;
    int i = 0;
    for (; i < 8 && s[i]; i++)
        k = (k << 8) | (unsigned char)s[i];
    return i == 0 ? 0 : k << (8 * (8 - i));
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct row *a = *(const struct row *const *)pa, *b = *(const struct row *const *)pb;
    for (int i = 0; i < 2; i++)
        if (a->key[i] != b->key[i])
            return a->key[i] < b->key[i] ? -1 : 1;
    int c = strcmp(a->inc.source, b->inc.source);
    if (!c)
        c = strcmp(a->inc.source_id, b->inc.source_id);
    if (!c) /* the same record twice: keep the file's order, so the later row wins */
        c = (a->line > b->line) - (a->line < b->line);
    return c;
}

static void add_fail(struct batch *b, long line, const char *reason)
{
    if (b->nfails == b->fails_cap) {
        size_t cap = b->fails_cap ? b->fails_cap * 2 : 16;
        struct fail *f = vg_realloc(b->fails, cap * sizeof(*f));
        if (!f)
            return; /* the row is still counted as not stored; only its report is lost */
        b->fails = f;
        b->fails_cap = cap;
    }
    b->fails[b->nfails].line = line;
    snprintf(b->fails[b->nfails].reason, sizeof(b->fails[0].reason), "%s", reason);
    b->nfails++;
}

/* Writes one batch in one transaction. Runs on the writer thread. */
static int write_batch(struct vg__writer *w, struct vg_incident_writer *iw, struct batch *b,
                       struct vg_error *err)
{
    int rc;
    if ((rc = vg_store_begin(w->store, err)))
        return rc;
    int64_t counts[3] = {0, 0, 0}; /* by enum vg_put_outcome */
    for (size_t i = 0; i < b->n; i++) {
        int outcome = VG_PUT_UNCHANGED;
        b->order[i]->id = 0;
        rc = vg_incident_put(iw, &b->order[i]->inc, &outcome, err);
        if (rc == VG_EINVAL) {
            add_fail(b, b->order[i]->line, err->message);
            vg_error_clear(err);
            continue;
        }
        if (rc) {
            vg_store_rollback(w->store);
            return rc;
        }
        counts[outcome]++;
        if (outcome == VG_PUT_INSERTED)
            b->order[i]->id = vg_incident_writer_last_id(iw);
    }
    if ((counts[VG_PUT_INSERTED] || counts[VG_PUT_UPDATED]) &&
        (rc = vg_incident_mark_changed(w->store, counts[VG_PUT_UPDATED] > 0, err))) {
        vg_store_rollback(w->store);
        return rc;
    }
    if ((rc = vg_store_commit(w->store, err))) {
        vg_store_rollback(w->store);
        return rc;
    }
    w->inserted += counts[VG_PUT_INSERTED];
    w->updated += counts[VG_PUT_UPDATED];
    b->committed = 1;
    return 0;
}

static void *writer_main(void *arg)
{
    struct vg__writer *w = arg;
    struct vg_incident_writer *iw = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    int rc = vg_incident_writer_create(w->store, &iw, &err);
    for (;;) {
        pthread_mutex_lock(&w->mu);
        if (rc) {
            w->failed = 1;
            w->error = err;
            pthread_cond_broadcast(&w->cv);
            pthread_mutex_unlock(&w->mu);
            break;
        }
        while (!w->full && !w->closing)
            pthread_cond_wait(&w->cv, &w->mu);
        struct batch *b = w->full;
        w->full = NULL;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        if (!b)
            break; /* closing, nothing left */
        rc = write_batch(w, iw, b, &err);
        pthread_mutex_lock(&w->mu);
        w->free[w->nfree++] = b;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    vg_incident_writer_destroy(iw);
    return NULL;
}

int vg__writer_start(struct vg_store *s, long batch_rows, vg__writer_fail_fn on_fail,
                     vg__writer_inserted_fn on_inserted, void *ctx, struct vg__writer **out,
                     struct vg_error *err)
{
    struct vg__writer *w = vg_calloc(1, sizeof(*w));
    if (!w)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    w->store = s;
    w->max_rows = batch_rows > 0 && batch_rows < MAX_ROWS ? (size_t)batch_rows : MAX_ROWS;
    w->on_fail = on_fail;
    w->on_inserted = on_inserted;
    w->ctx = ctx;
    if (batch_init(&w->batches[0]) || batch_init(&w->batches[1])) {
        batch_cleanup(&w->batches[0]);
        batch_cleanup(&w->batches[1]);
        vg_free(w);
        return vg_error_set(err, VG_ENOMEM, "out of memory for the write batches");
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->filling = &w->batches[0];
    w->free[0] = &w->batches[1];
    w->nfree = 1;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        batch_cleanup(&w->batches[0]);
        batch_cleanup(&w->batches[1]);
        vg_free(w);
        return vg_error_set(err, VG_ENOMEM, "cannot start the writer thread");
    }
    w->started = 1;
    *out = w;
    return 0;
}

/* Reports the rows a returned batch could not store, and empties it. Caller's thread. */
static int reclaim(struct vg__writer *w, struct batch *b)
{
    int rc = 0;
    if (b->committed && w->on_inserted)
        for (size_t i = 0; i < b->n; i++)
            if (b->order[i]->id)
                w->on_inserted(w->ctx, b->order[i]->id, &b->order[i]->inc);
    for (size_t i = 0; i < b->nfails && !rc; i++)
        if (w->on_fail)
            rc = w->on_fail(w->ctx, b->fails[i].line, b->fails[i].reason);
    b->nfails = 0;
    b->n = 0;
    b->used = 0;
    b->committed = 0;
    return rc;
}

/* Puts a batch in the order it will be written. The caller's thread does this, as the writer
 * thread has the more work. */
static void sort_batch(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        b->order[i] = &b->rows[i];
    qsort(b->order, b->n, sizeof(*b->order), cmp_rows);
}

/* Hands the filling batch over and takes a free one. */
static int hand_over(struct vg__writer *w, struct vg_error *err)
{
    struct batch *next;
    sort_batch(w->filling);
    pthread_mutex_lock(&w->mu);
    while ((w->full || w->nfree == 0) && !w->failed)
        pthread_cond_wait(&w->cv, &w->mu);
    if (w->failed) {
        if (err)
            *err = w->error;
        pthread_mutex_unlock(&w->mu);
        return w->error.code ? w->error.code : VG_EDB;
    }
    w->filling->seq = ++w->handed;
    w->full = w->filling;
    next = w->free[--w->nfree];
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    w->filling = next;
    return reclaim(w, next);
}

/* The strings of a row, in a fixed order, to measure and copy them in one sweep. */
#define NSTR 11

static void row_strings(const struct vg_incident *inc, const char *out[NSTR])
{
    out[0] = inc->source, out[1] = inc->source_id, out[2] = inc->country, out[3] = inc->region;
    out[4] = inc->provstate, out[5] = inc->city, out[6] = inc->attack, out[7] = inc->target;
    out[8] = inc->weapon, out[9] = inc->group, out[10] = inc->summary;
}

/* The arena bytes inc takes, and the length of each of its strings (with its terminator). */
static size_t row_size(const struct vg_incident *inc, const char *strs[NSTR], size_t lens[NSTR])
{
    size_t need = inc->extra ? inc->extra_len + 1 : 0;
    row_strings(inc, strs);
    for (int i = 0; i < NSTR; i++) {
        lens[i] = strs[i] ? strlen(strs[i]) + 1 : 0;
        need += lens[i];
    }
    return need;
}

int vg__writer_row_fits(const struct vg_incident *inc)
{
    const char *strs[NSTR];
    size_t lens[NSTR];
    return row_size(inc, strs, lens) <= ARENA_MAX;
}

int vg__writer_add(struct vg__writer *w, const struct vg_incident *inc, long line,
                   struct vg_error *err)
{
    const char *strs[NSTR];
    size_t lens[NSTR];
    size_t need = row_size(inc, strs, lens);
    if (need > ARENA_MAX)
        return VG_ETOOBIG;
    struct batch *b = w->filling;
    if (b->n == w->max_rows || b->n == b->rows_cap || need > b->arena_size - b->used) {
        if (b->n > 0) {
            /* The batch is full: the next ones may be larger, up to the maxima. */
            w->want_bytes = b->arena_size * 2;
            w->want_rows = b->rows_cap * 2;
            int rc = hand_over(w, err);
            if (rc)
                return rc;
            b = w->filling;
        }
        int rc = batch_grow(b, need > w->want_bytes ? need : w->want_bytes, w->want_rows);
        if (rc)
            return vg_error_set(err, rc, "out of memory for a write batch");
    }
    struct row *r = &b->rows[b->n++];
    r->inc = *inc;
    r->line = line;
    r->key[0] = prefix_key(inc->source);
    r->key[1] = prefix_key(inc->source_id);
    const char **dst[NSTR] = {&r->inc.source,    &r->inc.source_id, &r->inc.country, &r->inc.region,
                              &r->inc.provstate, &r->inc.city,      &r->inc.attack,  &r->inc.target,
                              &r->inc.weapon,    &r->inc.group,     &r->inc.summary};
    for (int i = 0; i < NSTR; i++) {
        if (!strs[i])
            continue;
        char *d = b->arena + b->used;
        memcpy(d, strs[i], lens[i]);
        b->used += lens[i];
        *dst[i] = d;
    }
    if (inc->extra) {
        char *d = b->arena + b->used;
        memcpy(d, inc->extra, inc->extra_len);
        d[inc->extra_len] = '\0';
        b->used += inc->extra_len + 1;
        r->inc.extra = d;
    }
    return 0;
}

int vg__writer_finish(struct vg__writer *w, int64_t *inserted, int64_t *updated,
                      struct vg_error *err)
{
    int rc = 0;
    if (!w)
        return 0;
    pthread_mutex_lock(&w->mu);
    while (w->full && !w->failed)
        pthread_cond_wait(&w->cv, &w->mu);
    if (!w->failed && w->filling->n > 0) {
        sort_batch(w->filling);
        w->filling->seq = ++w->handed;
        w->full = w->filling;
        w->filling = NULL;
    }
    w->closing = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    if (w->failed) {
        if (err)
            *err = w->error;
        rc = w->error.code ? w->error.code : VG_EDB;
    }
    /* The batches in the order they were written, so rows are reported in id order. */
    int first = w->batches[0].seq <= w->batches[1].seq ? 0 : 1;
    for (int i = 0; i < 2; i++) {
        int frc = reclaim(w, &w->batches[(first + i) % 2]);
        if (!rc)
            rc = frc;
    }
    *inserted = w->inserted;
    *updated = w->updated;
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    batch_cleanup(&w->batches[0]);
    batch_cleanup(&w->batches[1]);
    vg_free(w);
    return rc;
}
