/* fuzz_http.c - libFuzzer target for the HTTP API's request decoding: libmicrohttpd's parsing as
 * the server configures it, then the server's own (routing and {id} paths, query parameters and
 * their caps, the Authorization and X-Vigil-Purpose headers, Last-Event-ID, body caps, the JSON
 * bodies of reports and groups, the deferred changes and the group commit of audit records).
 *
 * The input is raw bytes sent on one TCP connection to a real server (vg_server_start) that runs
 * in this process, on 127.0.0.1 and a free port, over a database in a temporary directory made
 * once per process: the organisation "Police" with the analyst "ana" and the administrator
 * "boss", and one TLP:GREEN report. Each occurrence of "@KEY@" in the input is replaced by ana's
 * API key and each "@ADMIN@" by boss's, so the fuzzer reaches what lies behind authentication
 * (the dictionary fuzz/http.dict holds the tokens). After sending, the harness shuts its side
 * for writing and reads until the server closes the connection.
 *
 * Properties checked:
 *   - nothing stays pending: within FUZZ_HTTP_PENDING_S seconds of each exchange the server has
 *     no request running or suspended for the journal (vg_server_pending), so no connection is
 *     left suspended for ever. The harness reads an answer until the server closes or pauses
 *     FUZZ_HTTP_IDLE_MS, waits FUZZ_HTTP_TIMEOUT_S for its first byte (a request left
 *     incomplete gets none: libmicrohttpd waits for the rest until its idle time-out), and
 *     closes a live event stream, which does not end, once its headers are in;
 *   - what the server sends, if anything, starts with "HTTP/1.";
 *   - no answer is 500 (every refusal of bad input is a 4xx);
 *   - every 64 inputs, and at exit, the audit chain is intact (vg_audit_verify).
 * The server, its threads and the temporary directory are stopped and removed at exit. */
#include "fuzz_check.h"

#include "vigil/accounts.h"
#include "vigil/audit.h"
#include "vigil/error.h"
#include "vigil/reports.h"
#include "vigil/server.h"
#include "vigil/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FUZZ_HTTP_TIMEOUT_S 5  /* for the first byte of an answer */
#define FUZZ_HTTP_PENDING_S 10 /* for the server to have nothing pending */
#define FUZZ_HTTP_IDLE_MS 250
#define FUZZ_HTTP_MAX_INPUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vg_server *server;
static char dir[] = "/tmp/vigil-fuzz-http-XXXXXX";
static char db[sizeof(dir) + 16];
static char key[VG_KEY_SIZE], admin_key[VG_KEY_SIZE];
static unsigned long runs;

static void check_audit(void)
{
    struct vg_store *s = NULL;
    struct vg_error err;
    struct vg_audit_report rep;
    vg_error_clear(&err);
    FUZZ_CHECK_MSG(vg_store_open(db, 0, &s, &err) == 0, "open: %s", err.message);
    FUZZ_CHECK_MSG(vg_audit_verify(s, &rep, &err) == 0, "verify: %s", err.message);
    FUZZ_CHECK_MSG(rep.fault == VG_AUDIT_INTACT, "the audit chain is broken: %s", rep.reason);
    vg_store_close(s);
}

static void teardown(void)
{
    if (!server)
        return;
    vg_server_stop(server);
    server = NULL;
    check_audit();
    char cmd[sizeof(dir) + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_http: cannot remove %s\n", dir);
}

static void setup(void)
{
    struct vg_store *s = NULL;
    struct vg_error err;
    struct vg_principal ana;
    int64_t id;
    vg_error_clear(&err);
    FUZZ_CHECK(mkdtemp(dir) != NULL);
    snprintf(db, sizeof(db), "%s/vigil.db", dir);
    FUZZ_CHECK_MSG(vg_store_open(db, 0, &s, &err) == 0, "open: %s", err.message);
    FUZZ_CHECK_MSG(vg_org_add(s, "Police", time(NULL), NULL, &err) == 0, "org: %s", err.message);
    FUZZ_CHECK_MSG(vg_user_add(s, "Police", "ana", VG_ROLE_ANALYST, time(NULL), NULL, key, &err) ==
                       0,
                   "user: %s", err.message);
    FUZZ_CHECK_MSG(
        vg_user_add(s, "Police", "boss", VG_ROLE_ADMIN, time(NULL), NULL, admin_key, &err) == 0,
        "admin: %s", err.message);
    FUZZ_CHECK_MSG(vg_key_authenticate(s, key, time(NULL), &ana, &err) == 0, "key: %s",
                   err.message);
    static const char report[] = "{\"title\":\"Van rented\",\"tlp\":\"TLP:GREEN\",\"distribution\":"
                                 "\"community\",\"indicators\":[{\"type\":\"phone\",\"value\":"
                                 "\"+33 1 23 45 67 89\"}]}";
    FUZZ_CHECK_MSG(vg_report_create(s, &ana, report, sizeof(report) - 1, time(NULL), &id, &err) ==
                       0,
                   "report: %s", err.message);
    vg_store_close(s);

    struct vg_server_opts o;
    vg_server_opts_init(&o);
    o.db_path = db;
    o.port = 0;
    o.timeout = 2; /* a request whose body never comes is dropped after this */
    FUZZ_CHECK_MSG(vg_server_start(&o, &server, &err) == 0, "serve: %s", err.message);
    atexit(teardown);
}

/* The input with the key placeholders replaced (malloc'd, *n bytes). */
static char *fill_keys(const uint8_t *data, size_t size, size_t *n)
{
    static const struct {
        const char *token;
        const char *value;
    } subst[] = {{"@KEY@", key}, {"@ADMIN@", admin_key}};
    size_t cap = size + 1, len = 0;
    for (size_t i = 0; i + 5 <= size; i++)
        if (data[i] == '@')
            cap += VG_KEY_SIZE; /* enough for any replacement starting here */
    char *out = malloc(cap);
    FUZZ_CHECK(out);
    for (size_t i = 0; i < size;) {
        size_t k = 0, t = 0;
        for (; k < sizeof(subst) / sizeof(subst[0]); k++) {
            t = strlen(subst[k].token);
            if (i + t <= size && memcmp(data + i, subst[k].token, t) == 0)
                break;
        }
        if (k < sizeof(subst) / sizeof(subst[0])) {
            size_t v = strlen(subst[k].value);
            memcpy(out + len, subst[k].value, v);
            len += v;
            i += t;
        } else {
            out[len++] = (char)data[i++];
        }
    }
    *n = len;
    return out;
}

/* Sends the request and reads the answer until the server closes; checks what came back. */
static void exchange(const char *req, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(vg_server_port(server))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK_MSG(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %m");
    for (size_t at = 0; at < n;) {
        ssize_t w = send(fd, req + at, n - at, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server answered and closed before taking everything: allowed */
        at += (size_t)w;
    }
    shutdown(fd, SHUT_WR);

    char head[4096];
    size_t got = 0;
    time_t until = time(NULL) + FUZZ_HTTP_TIMEOUT_S;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(until - time(NULL));
        /* Until the first byte, the server has FUZZ_HTTP_TIMEOUT_S; after, an answer that
         * pauses for FUZZ_HTTP_IDLE_MS is taken as complete (a keep-alive connection may stay
         * open after it until the server's idle time-out). */
        int ready = poll(&p, 1, got ? FUZZ_HTTP_IDLE_MS : (left > 0 ? left * 1000 : 0));
        if (ready <= 0)
            break; /* an answer that paused, or none: an incomplete request waits for more */
        char buf[8192];
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r <= 0)
            break;
        if (got < sizeof(head) - 1) {
            size_t take = (size_t)r < sizeof(head) - 1 - got ? (size_t)r : sizeof(head) - 1 - got;
            memcpy(head + got, buf, take);
            got += take;
            head[got] = '\0';
        }
        /* A live event stream does not end: its headers are enough. */
        if (strstr(head, "text/event-stream") && strstr(head, "\r\n\r\n"))
            break;
    }
    close(fd);
    /* Whatever the request was, the server must not keep it pending (suspended, waiting for a
     * journal that never answers). */
    time_t deadline = time(NULL) + FUZZ_HTTP_PENDING_S;
    unsigned pending;
    while ((pending = vg_server_pending(server)) && time(NULL) < deadline) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    FUZZ_CHECK_MSG(!pending, "%u requests still pending %d s after the exchange", pending,
                   FUZZ_HTTP_PENDING_S);
    if (got) {
        FUZZ_CHECK_MSG(got < 7 || memcmp(head, "HTTP/1.", 7) == 0, "not an HTTP answer: %.200s",
                       head);
        FUZZ_CHECK_MSG(got < 12 || memcmp(head + 9, "500", 3) != 0, "answer 500: %.400s", head);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!server)
        setup();
    if (size > FUZZ_HTTP_MAX_INPUT)
        return 0;
    size_t n;
    char *req = fill_keys(data, size, &n);
    exchange(req, n);
    free(req);
    if (++runs % 64 == 0)
        check_audit();
    return 0;
}
