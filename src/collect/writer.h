/* writer.h - internal: a background thread that stores incidents in batches. */
#ifndef VIGIL_COLLECT_WRITER_H
#define VIGIL_COLLECT_WRITER_H

#include "vigil/error.h"
#include "vigil/incident.h"

#include <stdint.h>

struct vg_store;
struct vg__writer;

/* Called, in the thread that adds rows, for a row the database refused (a broken constraint). */
typedef int (*vg__writer_fail_fn)(void *ctx, long line, const char *reason);
/* Called, in the thread that adds rows, for each row inserted, once committed, in id order. */
typedef void (*vg__writer_inserted_fn)(void *ctx, int64_t id, const struct vg_incident *inc);

/* Starts the writer thread; batch_rows (0: as many as fit) caps the rows per transaction. From now
 * until vg__writer_finish the store belongs to that thread. */
int vg__writer_start(struct vg_store *s, long batch_rows, vg__writer_fail_fn on_fail,
                     vg__writer_inserted_fn on_inserted, void *ctx, struct vg__writer **out,
                     struct vg_error *err);

/* Whether a batch can hold inc at all (vg__writer_add returns VG_ETOOBIG when not). */
int vg__writer_row_fits(const struct vg_incident *inc);

/* Copies inc (and the strings it points to) into the current batch; a full batch goes to the
 * writer thread. Returns 0, VG_ETOOBIG for a row too large for any batch (not stored), the error
 * of a failed earlier batch (err says which), or what the fail callback returned. */
int vg__writer_add(struct vg__writer *w, const struct vg_incident *inc, long line,
                   struct vg_error *err);

/* Stores what is left, stops the thread and frees the writer, telling how many rows were inserted
 * and how many updated. Returns the first error of any batch. */
int vg__writer_finish(struct vg__writer *w, int64_t *inserted, int64_t *updated,
                      struct vg_error *err);

#endif
