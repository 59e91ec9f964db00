/* cmd_serve.c - `vigil serve`: runs the HTTP API server until SIGINT or SIGTERM.
 *
 * The database is opened (created and migrated) once before the server starts, so requests never
 * race to migrate it. SIGINT and SIGTERM are blocked before the server's threads start, so the
 * threads inherit the mask and only this thread takes them, with sigwait: no handler runs inside
 * a request. The first line on standard output is "listening on URL" with the real port, which
 * scripts read when they ask for port 0. */
#include "cli.h"

#include "vigil/server.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    puts("Usage: vigil [--db PATH] serve [OPTIONS]\n"
         "\n"
         "Serves the HTTP API (/api/v1, see docs/api.md) until interrupted (SIGINT or\n"
         "SIGTERM). Prints the address it listens on first.\n"
         "\n"
         "Options:\n"
         "  --listen HOST:PORT     address to listen on (default 127.0.0.1:8080); port 0\n"
         "                         picks a free port; an IPv6 address goes in brackets\n"
         "  --tls-cert FILE        PEM certificate: serve HTTPS (needs --tls-key)\n"
         "  --tls-key FILE         PEM private key of the certificate\n"
         "  --threads N            worker threads answering requests, 1 to 64 (default 2;\n"
         "                         the audit journal and the event stream have one each)\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help");
}

/* Splits HOST:PORT or [HOST]:PORT in place; 0 or -1. */
static int split_listen(char *s, char **host, char **port)
{
    char *colon;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        *close = '\0';
        *host = s + 1;
        *port = close + 2;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        *colon = '\0';
        *host = s;
        *port = colon + 1;
    }
    return **host && **port ? 0 : -1;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                             {"tls-cert", required_argument, NULL, 'c'},
                                             {"tls-key", required_argument, NULL, 'k'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct vg_server_opts o;
    char listen[300] = "127.0.0.1:8080";
    int c;

    vg_server_opts_init(&o);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (strlen(optarg) >= sizeof(listen))
                return cli_usage_error("serve", "--listen address too long");
            snprintf(listen, sizeof(listen), "%s", optarg);
            break;
        case 'c':
            o.tls_cert = optarg;
            break;
        case 'k':
            o.tls_key = optarg;
            break;
        case 't': {
            uint64_t n;
            if (cli_count_option("serve", "threads", optarg, 1, 64, &n))
                return CLI_USAGE;
            o.threads = (unsigned)n;
            break;
        }
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help();
            return CLI_OK;
        default:
            return cli_usage_error("serve", "unknown option or missing value: '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!o.tls_cert != !o.tls_key)
        return cli_usage_error("serve", "--tls-cert and --tls-key go together");
    char *host, *port_text;
    uint64_t port;
    if (split_listen(listen, &host, &port_text))
        return cli_usage_error("serve", "--listen must be HOST:PORT, not '%s'", listen);
    if (cli_count_option("serve", "listen port", port_text, 0, 65535, &port))
        return CLI_USAGE;
    o.host = host;
    o.port = (unsigned)port;
    o.db_path = cli->db_path;

    struct vg_store *store = NULL;
    if (cli_open_store(cli, 0, &store))
        return CLI_ERROR;
    vg_store_close(store);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct vg_server *srv = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_server_start(&o, &srv, &err)) {
        cli_error(&err);
        return CLI_ERROR;
    }
    int v6 = strchr(host, ':') != NULL;
    printf("listening on %s://%s%s%s:%u\n", o.tls_cert ? "https" : "http", v6 ? "[" : "", host,
           v6 ? "]" : "", vg_server_port(srv));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    vg_server_stop(srv);
    fprintf(stderr, "vigil: serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return CLI_OK;
}
