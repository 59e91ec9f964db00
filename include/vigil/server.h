/* server.h - the HTTP API server: /api/v1 over HTTP or HTTPS, with API keys and an audit record
 * of every authenticated request.
 *
 * vg_server_start binds the listening socket, starts the server's own threads (one polling
 * thread per worker, libmicrohttpd's thread pool) and returns at once; the server answers
 * requests until vg_server_stop. Requests take database connections from a pool, one thread at a
 * time on each; the audit records of reads are committed in batches before their answers leave
 * (src/server/journal.c). docs/api.md describes the endpoints. */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include "vigil/error.h"

#include <stddef.h>

#define VG_SERVER_MAX_BODY (1024 * 1024) /* bytes of a request body, default cap (413 past it) */
#define VG_SERVER_MAX_HEADERS 64         /* header lines of a request (431 past it) */
#define VG_SERVER_MEMORY_LIMIT                                                                     \
    (16 * 1024)              /* bytes per connection for the request line and headers */
#define VG_SERVER_TIMEOUT 30 /* seconds a connection may stay idle */
#define VG_SERVER_THREADS 2
#define VG_SERVER_TLS_FILE_MAX (1024 * 1024) /* bytes of a certificate or key file */

/* How to run a server. vg_server_opts_init fills the defaults; strings are borrowed for the call
 * of vg_server_start (the server keeps its own copies). */
struct vg_server_opts {
    const char *db_path;  /* the database; required */
    const char *host;     /* numeric address or host name to listen on; NULL: 127.0.0.1 */
    unsigned port;        /* 0: any free port (vg_server_port tells which) */
    const char *tls_cert; /* PEM certificate file; with tls_key, the server speaks HTTPS */
    const char *tls_key;  /* PEM private key file */
    unsigned threads;     /* worker threads, 1 to 64 */
    unsigned timeout;     /* seconds an idle connection is kept */
    size_t max_body;      /* bytes of a request body */
};

void vg_server_opts_init(struct vg_server_opts *o);

struct vg_server;

/* Starts a server as o says. On success *out owns it, to stop with vg_server_stop. Errors:
 * VG_EINVAL (bad options, an address that cannot be used, one of cert and key without the
 * other, HTTPS not built into libmicrohttpd), VG_EIO (a certificate or key file unreadable, or
 * the socket cannot be bound: err says why), VG_ETOOBIG (a file past VG_SERVER_TLS_FILE_MAX),
 * VG_ENOMEM. *out is untouched on failure. */
int vg_server_start(const struct vg_server_opts *o, struct vg_server **out, struct vg_error *err);

/* The port the server listens on (the one chosen when o->port was 0). */
unsigned vg_server_port(const struct vg_server *s);

/* The requests the server is handling now or holding until their audit records commit (not the
 * open event streams). Outside a request burst it falls back to 0: tests check that nothing is
 * left waiting. */
unsigned vg_server_pending(struct vg_server *s);

/* Stops accepting, finishes or closes open connections, joins the threads, frees everything.
 * Accepts NULL. */
void vg_server_stop(struct vg_server *s);

#endif
