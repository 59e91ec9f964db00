/* journal.h - the server's group commit of audit records (private to src/server).
 *
 * A request's audit records are taken by its store's audit sink into a ticket; the request is
 * suspended and the ticket handed to the journal, whose thread appends the records of every
 * waiting ticket in one transaction and then calls each ticket's done function: only then may
 * the answer leave the server. */
#ifndef VIGIL_SERVER_JOURNAL_H
#define VIGIL_SERVER_JOURNAL_H

#include "vigil/audit.h"
#include "vigil/store.h"
#include "vigil/error.h"

#include <pthread.h>

struct journal_entry;

/* The records of one request, and what to do once they are committed. */
struct journal_ticket {
    /* A change to make in the batch's transaction before the records (NULL: none). It records
     * itself, on the connection it is given, whose transaction is open and writing. */
    void (*job)(struct journal_ticket *t, struct vg_store *s);
    struct journal_entry *head, **tail;     /* the records, in order */
    int rc;                                 /* set by the journal: 0 committed, else a VG_E code */
    void (*done)(struct journal_ticket *t); /* called once by the journal thread, after rc */
    struct journal_ticket *next;            /* the journal's queue */
};

void journal_ticket_init(struct journal_ticket *t);
/* Frees the records (the ticket itself belongs to its owner). */
void journal_ticket_clear(struct journal_ticket *t);
/* 1 when the ticket holds a job or records to commit. */
int journal_ticket_pending(const struct journal_ticket *t);
/* The audit sink that copies records into ticket t. */
struct vg_audit_sink journal_sink(struct journal_ticket *t);

struct journal;

/* Opens the journal's own connection to db_path and starts its thread. write_lock (may be NULL)
 * is held around each batch, to order the batches with the server's other writers. */
int journal_start(const char *db_path, pthread_mutex_t *write_lock, struct journal **out,
                  struct vg_error *err);
/* Queues t (with records) for the next batch; t->done will be called from the journal's thread. */
void journal_submit(struct journal *j, struct journal_ticket *t);
/* Commits what is queued, calls its done functions, stops the thread, frees. Accepts NULL. */
void journal_stop(struct journal *j);

#endif
