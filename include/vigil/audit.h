/* audit.h - the audit log: an append-only, hash-chained record of who did what, when and why.
 *
 * Every read, search, change, export and disclosure is recorded as one entry of the table
 * audit_log (schema migration 3). Entries are numbered 1, 2, 3, ... with no gap; each carries the
 * BLAKE2b-256 hash of its own fields and of the hash of the entry before it, so changing,
 * removing or reordering any entry breaks the chain, and vg_audit_verify finds where.
 * docs/internals/share.md gives the exact encoding that is hashed. */
#ifndef VIGIL_AUDIT_H
#define VIGIL_AUDIT_H

#include "vigil/error.h"

#include <stdint.h>

struct vg_store;

#define VG_AUDIT_HASH_SIZE 32 /* bytes of a record's hash (BLAKE2b-256) */
#define VG_AUDIT_HEX_SIZE 65  /* a hash in lower-case hexadecimal, with its NUL */

/* Caps on the fields of an entry, in bytes; past one, vg_audit_append fails with VG_ETOOBIG. */
#define VG_AUDIT_AT_MAX 40        /* the time */
#define VG_AUDIT_NAME_MAX 200     /* actor, org and action (as user and organisation names) */
#define VG_AUDIT_OBJECT_MAX 1024  /* what was acted on */
#define VG_AUDIT_PURPOSE_MAX 4096 /* why */
#define VG_AUDIT_DETAIL_MAX 65536 /* the JSON detail */

/* One entry to record. Strings are borrowed for the call. actor and action are required and not
 * empty; the others may be NULL (absent), which is recorded, and hashed, as different from "".
 * All text must be UTF-8. */
struct vg_audit_entry {
    const char *at;      /* UTC time, ISO 8601: YYYY-MM-DDTHH:MM:SS[.fraction]Z; NULL: now */
    const char *actor;   /* who: a user name, or the command-line user */
    const char *org;     /* the actor's organisation */
    const char *action;  /* read, search, create, update, delete, export, disclose, ... */
    const char *object;  /* what was acted on, e.g. "report:42" */
    const char *purpose; /* why, as the actor stated it */
    const char *detail;  /* a JSON object with anything else worth keeping */
};

/* Appends e at the end of the chain and, when seq is not NULL, gives its number.
 *
 * Transactions: when the store's connection is not in a transaction, the append runs in its own
 * BEGIN IMMEDIATE transaction, so that no other writer can take the same chain head in between.
 * When the caller already has a transaction open, the append joins it: the entry is committed or
 * rolled back with the caller's work, which is how an action and its record stay together. The
 * caller should then have begun with vg_store_begin (BEGIN IMMEDIATE); in a deferred transaction
 * that another writer overtook, SQLite refuses the write and the append fails with VG_EDB (the
 * chain never forks: seq is the table's primary key). After a failure in a joined transaction
 * nothing of the entry was written; whether to roll back is the caller's choice.
 *
 * Errors: VG_EINVAL (a required field missing, a malformed time), VG_EFORMAT (text not UTF-8,
 * detail not a JSON object, or the last stored record damaged: the chain is not extended past a
 * record whose hash cannot be read), VG_ETOOBIG (a field past its cap), VG_EDB, VG_ENOMEM. */
int vg_audit_append(struct vg_store *s, const struct vg_audit_entry *e, int64_t *seq,
                    struct vg_error *err);

/* Deferred records. A connection may be given a sink: then vg_audit_append checks an entry,
 * stamps its time (now, when e->at is NULL) and hands it to sink->take instead of writing it,
 * unless the connection's transaction has already written (a change), whose record stays in the
 * change's transaction. take gets the entry with at set, borrowed for the call: it copies what it
 * keeps, and later appends the entries in order with vg_audit_append on a connection without a
 * sink, in batches (the server's group commit: one transaction for many reads, each answer held
 * back until its record is committed). take's return is vg_audit_append's. seq is not set for a
 * deferred entry. */
struct vg_audit_sink {
    int (*take)(void *ctx, const struct vg_audit_entry *e, struct vg_error *err);
    void *ctx;
};

/* Gives store s a sink (copied), or takes it away (NULL). */
void vg_audit_set_sink(struct vg_store *s, const struct vg_audit_sink *sink);
/* 1 when s has a sink. */
int vg_audit_deferred(struct vg_store *s);

/* What vg_audit_verify found wrong with the first broken record. */
enum vg_audit_fault {
    VG_AUDIT_INTACT = 0,
    VG_AUDIT_HASH_MISMATCH, /* the record's fields do not hash to its stored hash */
    VG_AUDIT_LINK_BROKEN,   /* its prev_hash is not the hash of the record before it */
    VG_AUDIT_GAP,           /* records are missing: broken_seq is the first missing number */
    VG_AUDIT_FIRST_MISSING, /* the log does not start at record 1 (broken_seq is 1) */
    VG_AUDIT_MALFORMED      /* a column has the wrong type or size, or seq is out of range */
};

/* The outcome of a verification. */
struct vg_audit_report {
    int64_t records;    /* records checked and found intact (all of them when intact) */
    int64_t broken_seq; /* the first broken record, or the first missing number; 0 when intact */
    int fault;          /* enum vg_audit_fault */
    char reason[256];   /* the fault in a sentence, naming the record; "" when intact */
    int64_t last_seq;   /* the last intact record (0: none) and its hash, to anchor elsewhere */
    char last_hash[VG_AUDIT_HEX_SIZE];
};

/* Walks the whole chain in seq order in constant memory and fills *report. Returns 0 when the
 * walk could be done, whether or not the chain is intact (report->fault says); a negative code
 * when the database could not be read. The walk stops at the first broken record. */
int vg_audit_verify(struct vg_store *s, struct vg_audit_report *report, struct vg_error *err);

/* A short name of a fault: "intact", "hash mismatch", "broken link", "gap", "first record
 * missing", "malformed record". Never NULL. */
const char *vg_audit_fault_name(int fault);

/* Which records vg_audit_list gives. Zeroed, it selects all of them. */
struct vg_audit_filter {
    int64_t after_seq;  /* only records with a greater seq (the last one a reader already has) */
    const char *actor;  /* only this actor; NULL: any */
    const char *action; /* only this action; NULL: any */
    const char *org;    /* only the records of this organisation; NULL: any */
    int64_t limit;      /* at most this many records; 0: no limit */
};

/* One stored record as vg_audit_list gives it. The strings are valid only during the callback;
 * fields stored as NULL are NULL. */
struct vg_audit_record {
    int64_t seq;
    const char *at, *actor, *org, *action, *object, *purpose, *detail;
    char prev_hash[VG_AUDIT_HEX_SIZE], hash[VG_AUDIT_HEX_SIZE]; /* hexadecimal */
};

/* Calls fn for each record that f selects (f NULL: all), in seq order. A non-zero return of fn
 * stops the walk and is returned. Records are given as stored: vg_audit_list does not verify
 * them. Errors: VG_EDB. */
int vg_audit_list(struct vg_store *s, const struct vg_audit_filter *f,
                  int (*fn)(const struct vg_audit_record *r, void *ctx), void *ctx,
                  struct vg_error *err);

#endif
