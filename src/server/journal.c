/* journal.c - group commit of the server's changes and audit records.
 *
 * Changes (POST, PUT, DELETE) go the same way: a ticket may carry a job, the change itself, run
 * in the batch's transaction inside a savepoint of its own (vg_store_begin nests), so that a
 * failed change is undone alone while the others of the batch commit together: each change and
 * its record still commit at once, and many changes share one commit.
 *
 * Why. Every read is recorded, and a record must be committed before the answer leaves the
 * server (fail closed). One transaction per read makes every request take SQLite's write lock in
 * turn and write the log's pages once per read. The journal takes the records of all requests
 * waiting at a moment and appends them in one transaction: the write lock is taken once per
 * batch, the pages of the log's end are written once per batch, and while a batch commits the
 * next one gathers. Under load a batch holds as many records as there are requests in flight.
 *
 * Data structures. A ticket (journal.h) is a request's list of records, each copied into one
 * allocation (struct journal_entry: the entry and its strings). The journal is a queue of
 * tickets under a mutex and a condition variable, and one thread:
 *
 *   wait for tickets -> take the whole queue -> BEGIN IMMEDIATE -> for each ticket in queue
 *   order: its job, then vg_audit_append of each record -> COMMIT -> set each ticket's rc ->
 *   call each ticket's done
 *
 * Durability: the journal's connection commits with synchronous=FULL, so a batch's commit
 * returns once its pages are on disk, and an answer that has left the server has its record on
 * disk even if the power fails just after (the store's other connections use synchronous=NORMAL,
 * which survives a killed process but may lose the last commits to a power loss). The cost of
 * that wait is paid once per batch, not once per request.
 *
 * The order of records in the log is the order of submission. vg_audit_append reads the chain
 * head in the batch's transaction, so other processes (the command line) may append between
 * batches. A record that fails (it cannot: the sink checked it when taken) marks its ticket; a
 * failed commit marks every ticket of the batch, whose requests then answer 500: nothing is sent
 * unrecorded.
 *
 * Ownership: tickets belong to their submitters; after done is called the journal never touches
 * the ticket again. The journal owns its connection and its thread. */
#include "journal.h"

#include "vigil/mem.h"
#include "vigil/store.h"

#include <string.h>

struct journal_entry {
    struct journal_entry *next;
    struct vg_audit_entry e; /* its strings point into text */
    char text[];
};

struct journal {
    struct vg_store *store;
    pthread_mutex_t *write_lock;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct journal_ticket *head, **tail; /* the queue */
    int stopping;
    pthread_t thread;
};

void journal_ticket_init(struct journal_ticket *t)
{
    memset(t, 0, sizeof(*t));
    t->tail = &t->head;
}

void journal_ticket_clear(struct journal_ticket *t)
{
    for (struct journal_entry *e = t->head, *next; e; e = next) {
        next = e->next;
        vg_free(e);
    }
    t->head = NULL;
    t->tail = &t->head;
}

int journal_ticket_pending(const struct journal_ticket *t)
{
    return t->head != NULL || t->job != NULL;
}

/* Copies one string of an entry into the entry's block. */
static const char *put(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = *at;
    memcpy(copy, s, n);
    *at += n;
    return copy;
}

static int take(void *ctx, const struct vg_audit_entry *e, struct vg_error *err)
{
    struct journal_ticket *t = ctx;
    const char *f[] = {e->at, e->actor, e->org, e->action, e->object, e->purpose, e->detail};
    size_t size = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        size += f[i] ? strlen(f[i]) + 1 : 0;
    struct journal_entry *je = vg_malloc(sizeof(*je) + size);
    if (!je)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    char *at = je->text;
    je->next = NULL;
    je->e.at = put(&at, e->at);
    je->e.actor = put(&at, e->actor);
    je->e.org = put(&at, e->org);
    je->e.action = put(&at, e->action);
    je->e.object = put(&at, e->object);
    je->e.purpose = put(&at, e->purpose);
    je->e.detail = put(&at, e->detail);
    *t->tail = je;
    t->tail = &je->next;
    return 0;
}

struct vg_audit_sink journal_sink(struct journal_ticket *t)
{
    return (struct vg_audit_sink){.take = take, .ctx = t};
}

/* Appends the records of a batch in one transaction and sets each ticket's rc. */
static void commit_batch(struct journal *j, struct journal_ticket *batch)
{
    struct vg_error err;
    if (j->write_lock)
        pthread_mutex_lock(j->write_lock);
    int rc = vg_store_begin(j->store, &err);
    for (struct journal_ticket *t = batch; t; t = t->next) {
        t->rc = rc;
        if (t->job && !rc)
            t->job(t, j->store);
        for (struct journal_entry *e = t->head; e && !rc && !t->rc; e = e->next)
            t->rc = vg_audit_append(j->store, &e->e, NULL, &err);
    }
    if (!rc && (rc = vg_store_commit(j->store, &err)))
        vg_store_rollback(j->store);
    if (j->write_lock)
        pthread_mutex_unlock(j->write_lock);
    if (rc)
        for (struct journal_ticket *t = batch; t; t = t->next)
            t->rc = rc;
}

static void *run(void *arg)
{
    struct journal *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        while (!j->head && !j->stopping)
            pthread_cond_wait(&j->wake, &j->lock);
        struct journal_ticket *batch = j->head;
        j->head = NULL;
        j->tail = &j->head;
        int stopping = j->stopping;
        pthread_mutex_unlock(&j->lock);
        if (!batch && stopping)
            return NULL;
        commit_batch(j, batch);
        for (struct journal_ticket *t = batch, *next; t; t = next) {
            next = t->next; /* read before done: t may be freed by then */
            t->done(t);
        }
    }
}

int journal_start(const char *db_path, pthread_mutex_t *write_lock, struct journal **out,
                  struct vg_error *err)
{
    struct journal *j = vg_calloc(1, sizeof(*j));
    if (!j)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    int rc = vg_store_open(db_path, 0, &j->store, err);
    /* An answer leaves only once its record is on disk, power loss included: the batch's
     * commit waits for the disk (synchronous=FULL), once for all the batch's records. */
    if (!rc && (rc = vg_store_exec(j->store, "PRAGMA synchronous=FULL", err)))
        vg_store_close(j->store);
    if (rc) {
        vg_free(j);
        return rc;
    }
    j->write_lock = write_lock;
    j->tail = &j->head;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->wake, NULL);
    if (pthread_create(&j->thread, NULL, run, j)) {
        pthread_cond_destroy(&j->wake);
        pthread_mutex_destroy(&j->lock);
        vg_store_close(j->store);
        vg_free(j);
        return vg_error_set(err, VG_ENOMEM, "cannot start the audit journal's thread");
    }
    *out = j;
    return 0;
}

void journal_submit(struct journal *j, struct journal_ticket *t)
{
    t->next = NULL;
    pthread_mutex_lock(&j->lock);
    *j->tail = t;
    j->tail = &t->next;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
}

void journal_stop(struct journal *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = 1;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_cond_destroy(&j->wake);
    pthread_mutex_destroy(&j->lock);
    vg_store_close(j->store);
    vg_free(j);
}
