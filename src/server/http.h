/* http.h - what the server's request handlers share (private to src/server).
 *
 * A handler (api_*.c) gets a struct call: the request's checked query parameters, the body, the
 * authenticated principal and a database connection, and leaves its reply in the call: a
 * jansson document (body), a JSON text from the library (text), or the event stream (events).
 * It returns the HTTP status. server.c routes, authenticates, records and replies; the helpers
 * here read parameters and turn library errors into statuses. */
#ifndef VIGIL_SERVER_HTTP_H
#define VIGIL_SERVER_HTTP_H

#include "vigil/accounts.h"
#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/select.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX 8192 /* bytes of a request's parameters as recorded in the audit log */
#define REPORT_NOT_FOUND "report not found"

struct vg_store;

/* The query parameters of a request, checked against the ones its route accepts. */
struct params {
    const char *allowed; /* comma-separated names */
    const char *where[VG_FILTER_MAX_WHERE];
    size_t nwhere;
    const char *name[8], *value[8]; /* parameters given once */
    size_t n;
    char bad[160];      /* the first problem; "" when none */
    struct vg_buf text; /* "k=v&k=v", decoded, for the audit record */
};

/* What a handler gets, and the reply it builds. */
struct call {
    struct MHD_Connection *conn;
    struct vg_store *store;         /* NULL for a route without a key */
    const struct vg_principal *who; /* NULL for a route without a key */
    struct params *p;
    int64_t id;          /* the {id} of the path; 0 when it has none */
    const char *purpose; /* X-Vigil-Purpose, or NULL */
    const char *data;    /* the request body (data_len bytes, NUL-terminated) */
    size_t data_len;
    json_t *body; /* the reply */
    char *text;   /* or the reply as a JSON text from the library (vg_malloc'd) */
    int events;   /* or the event stream, after event id events_after */
    int64_t events_after;
};

/* Sets c's reply to {"error": msg}; returns status. */
unsigned http_fail(struct call *c, unsigned status, const char *msg);
/* Reads the query parameters of conn into p, checked against allowed (comma-separated names);
 * a name or value that holds a NUL byte (%00) is refused: 0, or -1 with p->bad saying what is
 * wrong. p->text is to be cleaned up either way. */
int http_params_read(struct params *p, struct MHD_Connection *conn, const char *allowed);
/* The value of a parameter given once, or NULL. */
const char *http_param(const struct params *p, const char *name);
/* The whole of s as a decimal integer in [lo, hi], digits only (a leading '-' only when lo < 0;
 * no '+', blank or trailing byte): 0, or -1. */
int http_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* Parameter name as an integer in [lo, hi] (dflt when absent) in *out: 0, or a 400 status. */
unsigned http_int_param(struct call *c, const char *name, int64_t lo, int64_t hi, int64_t dflt,
                        int64_t *out);
/* The where, from and to parameters as a filter: 0, or a 400 status. */
unsigned http_filter_params(struct call *c, struct vg_filter *f);
/* Hands a library JSON text (vg_malloc'd) over as the reply; returns status. */
unsigned http_take_json(struct call *c, char *text, unsigned status);
/* The status of a library error: 404 (one fixed body, missing and unreadable alike), 403, 400,
 * 500. */
unsigned http_report_error(struct call *c, int rc, const struct vg_error *err);
/* 0 when the request states its purpose (X-Vigil-Purpose), else 400. */
unsigned http_need_purpose(struct call *c);

/* The handlers (api_data.c, api_reports.c, api_sites.c). */
unsigned api_get_health(struct call *c);
unsigned api_get_incidents(struct call *c);
unsigned api_get_stats(struct call *c);
unsigned api_get_audit(struct call *c);
unsigned api_post_report(struct call *c);
unsigned api_get_report(struct call *c);
unsigned api_get_reports(struct call *c);
unsigned api_put_report(struct call *c);
unsigned api_delete_report(struct call *c);
unsigned api_get_correlations(struct call *c);
unsigned api_get_events(struct call *c);
unsigned api_post_group(struct call *c);
unsigned api_get_overlinked(struct call *c);
unsigned api_post_exclusion(struct call *c);
unsigned api_get_sites(struct call *c);
unsigned api_get_site(struct call *c);
unsigned api_get_risk(struct call *c);
unsigned api_get_site_risk(struct call *c);

#endif
