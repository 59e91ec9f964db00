/* events.h - the live event stream, GET /api/v1/events (private to src/server). */
#ifndef VIGIL_SERVER_EVENTS_H
#define VIGIL_SERVER_EVENTS_H

#include "vigil/accounts.h"
#include "vigil/error.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#define EVENTS_POLL_MS 250       /* how often the hub looks for new events */
#define EVENTS_KEEPALIVE_S 15    /* a comment line after this long without an event */
#define EVENTS_BATCH 200         /* events read per stream and pass */
#define EVENTS_PURPOSE_MAX 4096  /* bytes of a stream's purpose */
#define EVENTS_BUFFER_MAX 262144 /* bytes waiting for a slow client before it is dropped */
#define EVENTS_PER_USER 8        /* streams one user may have open at once */

struct events_hub;

/* Starts the hub on its own connection to db_path; write_lock (may be NULL) is held around each
 * pass's transaction, to order it with the server's other writers. */
int events_start(const char *db_path, pthread_mutex_t *write_lock, struct events_hub **out,
                 struct vg_error *err);
/* The streams open for user_id. */
int events_open_count(struct events_hub *hub, int64_t user_id);
/* Ends every stream (each gets the end of its response) without stopping the hub's thread. */
void events_close_all(struct events_hub *hub);
/* Stops the thread and frees the hub; every stream's response must be gone. Accepts NULL. */
void events_stop(struct events_hub *hub);

/* The response of a new stream for principal who (signed in with key, checked again on every
 * pass) on conn: the events after event id after, each readable by who, as server-sent events. The
 * caller queues it and destroys its reference; the stream lives until MHD frees the response. NULL
 * when out of memory. */
struct MHD_Response *events_open(struct events_hub *hub, struct MHD_Connection *conn,
                                 const struct vg_principal *who, const char *key,
                                 const char *purpose, int64_t after);

#endif
