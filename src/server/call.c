/* call.c - reading a request's query parameters, and the replies of failures.
 *
 * Query parameters are checked before any handler runs: each must be one the route accepts, each
 * but "where" given at most once, the whole at most QUERY_MAX bytes; the decoded "k=v&k=v" text
 * is kept for the audit record. Numbers are decimal digits only, in range: no sign (no caller
 * takes a negative number), no blank, no trailing bytes.
 *
 * NUL bytes: libmicrohttpd decodes %00 in a query into a NUL byte and hands keys and values over
 * as C strings, so a reader of C strings would see "limit=5%00junk" as limit=5 and the audit
 * record would show a query other than the one sent. The parameters are therefore read with
 * their lengths (MHD_get_connection_values_n), and a name or value that holds a NUL byte is a
 * 400 naming it; the audit text shows such a byte as \x00.
 *
 * What cannot be checked here (libmicrohttpd 0.9.75, with or without MHD_OPTION_STRICT_FOR_CLIENT,
 * tried): a raw NUL byte in a header value, or in the request line, is accepted and everything
 * after it dropped before the server sees it; MHD_get_connection_values_n reports the length up to
 * the NUL, so the server acts on (and records) the part before it. (A NUL in a header name is
 * refused by libmicrohttpd with its own 400.) %00 in the path is refused by server.c, which sees
 * the request target before libmicrohttpd decodes it. */
#include "http.h"

#include "vigil/store.h"
#include "vigil/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned http_fail(struct call *c, unsigned status, const char *msg)
{
    c->body = json_pack("{ss}", "error", msg);
    return status;
}

static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len + (comma != NULL);
    }
    return 0;
}

/* Appends the n bytes at s to the audit text of the query: as they are when they are UTF-8, else
 * with every byte that is not printable ASCII as \xHH, so that the record can always be written;
 * a NUL byte is \x00 either way, so that the record shows all that was sent. */
static int put_text(struct vg_buf *b, const char *s, size_t n)
{
    int utf8 = vg_text_is_utf8(s, n);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (utf8 && c != '\0') {
            size_t run = strnlen(s + i, n - i); /* up to the next NUL byte or the end */
            int rc = vg_buf_append(b, s + i, run);
            if (rc)
                return rc;
            i += run;
            continue;
        }
        int rc = c >= 0x20 && c < 0x7f ? vg_buf_putc(b, (char)c) : vg_buf_printf(b, "\\x%02X", c);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

/* At most 64 bytes of a parameter name of n bytes (UTF-8), a NUL byte shown as %00, cut at a
 * character boundary, for messages. */
static const char *excerpt(const char *key, size_t n, char out[68])
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '\0') {
            if (o + 3 > 64)
                break;
            memcpy(out + o, "%00", 3);
            o += 3;
            continue;
        }
        if (o == 64) {
            if ((c & 0xC0) == 0x80) { /* key[i] continues a character: cut before that character */
                while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
                    o--;
                if (o > 0)
                    o--; /* its first byte */
            }
            break;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

static enum MHD_Result on_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    struct params *p = cls;
    char name[68];
    (void)kind;
    if (!value) {
        value = "";
        value_size = 0;
    }
    int utf8 = vg_text_is_utf8(key, key_size) && vg_text_is_utf8(value, value_size);
    if ((p->text.len && vg_buf_putc(&p->text, '&')) || put_text(&p->text, key, key_size) ||
        vg_buf_putc(&p->text, '=') || put_text(&p->text, value, value_size)) {
        snprintf(p->bad, sizeof(p->bad), "the query is longer than %d bytes", QUERY_MAX);
        return MHD_NO;
    }
    if (*p->bad)
        return MHD_YES;
    if (!utf8) {
        snprintf(p->bad, sizeof(p->bad), "a query parameter is not UTF-8 text");
    } else if (memchr(key, '\0', key_size)) {
        snprintf(p->bad, sizeof(p->bad), "parameter name '%s' holds a NUL byte",
                 excerpt(key, key_size, name));
    } else if (!listed(p->allowed, key)) {
        snprintf(p->bad, sizeof(p->bad), "unknown parameter '%s'", excerpt(key, key_size, name));
    } else if (memchr(value, '\0', value_size)) {
        snprintf(p->bad, sizeof(p->bad), "parameter '%s' holds a NUL byte (%%00)",
                 excerpt(key, key_size, name));
    } else if (strcmp(key, "where") == 0) {
        if (p->nwhere == VG_FILTER_MAX_WHERE)
            snprintf(p->bad, sizeof(p->bad), "at most %d where parameters", VG_FILTER_MAX_WHERE);
        else
            p->where[p->nwhere++] = value;
    } else {
        for (size_t i = 0; i < p->n; i++)
            if (strcmp(p->name[i], key) == 0) {
                snprintf(p->bad, sizeof(p->bad), "parameter '%s' given more than once",
                         excerpt(key, key_size, name));
                return MHD_YES;
            }
        if (p->n < sizeof(p->name) / sizeof(p->name[0])) {
            p->name[p->n] = key;
            p->value[p->n++] = value;
        }
    }
    return MHD_YES;
}

/* Reads and checks the query parameters of a request; 0, or -1 with p->bad set. */
int http_params_read(struct params *p, struct MHD_Connection *conn, const char *allowed)
{
    memset(p, 0, sizeof(*p));
    p->allowed = allowed;
    vg_buf_init(&p->text, QUERY_MAX);
    if (vg_buf_putc(&p->text, '\0'))
        snprintf(p->bad, sizeof(p->bad), "out of memory");
    p->text.len = 0;
    if (!*p->bad)
        MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, on_param, p);
    if (!*p->bad) {
        json_t *probe = json_string(p->text.data);
        if (!probe)
            snprintf(p->bad, sizeof(p->bad), "the query is not UTF-8");
        json_decref(probe);
    }
    return *p->bad ? -1 : 0;
}

const char *http_param(const struct params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0)
            return p->value[i];
    return NULL;
}

/* Parses the whole of s as a decimal number from lo to hi: digits only, with a leading '-' only
 * when lo is negative (no caller's is), no '+', no blank, nothing after; 0 or -1. */
int http_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    const char *digits = s + (lo < 0 && *s == '-');
    if (*digits < '0' || *digits > '9')
        return -1; /* strtoll would skip blanks and take a sign */
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The optional integer parameter name, default dflt, from lo to hi; 0 or a 400 reply. */
unsigned http_int_param(struct call *c, const char *name, int64_t lo, int64_t hi, int64_t dflt,
                        int64_t *out)
{
    const char *s = http_param(c->p, name);
    *out = dflt;
    if (s && http_parse_int(s, lo, hi, out)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%s must be a whole number from %lld to %lld", name,
                 (long long)lo, (long long)hi);
        return http_fail(c, MHD_HTTP_BAD_REQUEST, msg);
    }
    return 0;
}

/* The filter of where, from and to; 0 or a 400 reply. The filter borrows the parameters. */
unsigned http_filter_params(struct call *c, struct vg_filter *f)
{
    struct vg_error err;
    const char *from = http_param(c->p, "from"), *to = http_param(c->p, "to");
    vg_error_clear(&err);
    vg_filter_init(f);
    for (size_t i = 0; i < c->p->nwhere; i++)
        if (vg_filter_add_where(f, c->p->where[i], &err))
            return http_fail(c, MHD_HTTP_BAD_REQUEST, err.message);
    if ((from && vg_date_key(from, 0, &f->from, &err)) || (to && vg_date_key(to, 1, &f->to, &err)))
        return http_fail(c, MHD_HTTP_BAD_REQUEST, err.message);
    return 0;
}

/* Hands a library JSON text (vg_malloc'd) over as the reply, as it is. */
unsigned http_take_json(struct call *c, char *text, unsigned status)
{
    c->text = text;
    return status;
}

/* The reply for a library error: 404 with one fixed body for a report that is missing or not
 * readable (so the two cannot be told apart), 400 for bad input, 500 for the rest. */
unsigned http_report_error(struct call *c, int rc, const struct vg_error *err)
{
    switch (rc) {
    case VG_ENOTFOUND:
        return http_fail(c, MHD_HTTP_NOT_FOUND, REPORT_NOT_FOUND);
    case VG_EPERM:
        return http_fail(c, MHD_HTTP_FORBIDDEN, err->message);
    case VG_EINVAL:
    case VG_EFORMAT:
    case VG_ETOOBIG:
        return http_fail(c, MHD_HTTP_BAD_REQUEST, err->message);
    case VG_ENOMEM:
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    default:
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the database is not available");
    }
}

/* 400 unless the request states its purpose (X-Vigil-Purpose). */
unsigned http_need_purpose(struct call *c)
{
    if (!c->purpose || !*c->purpose)
        return http_fail(c, MHD_HTTP_BAD_REQUEST, "the X-Vigil-Purpose header is required");
    return 0;
}
