/* cmd_analyze_gistar.c - `vigil analyze gistar`: Getis-Ord Gi* z-scores and p-values of the points
 * of a CSV file, as CSV or JSON.
 *
 * The library reads the file and computes; this file parses the command line and prints. Output
 * of a million rows must not cost more than the computation, so numbers are formatted by hand:
 * x, y and value are repeated as the file gave them, z is printed with four decimals, p with six
 * (or in scientific notation below 0.001), each exactly as printf would round it (a value too
 * close to a rounding tie, or too large, goes through snprintf). */
#include "cli.h"
#include "vigil/gistar.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum format { FMT_CSV, FMT_JSON };

static void help(void)
{
    puts("Usage: vigil analyze gistar --points FILE --band D [OPTIONS]\n"
         "\n"
         "Computes the Getis-Ord Gi* statistic of every point of a CSV file: a z-score\n"
         "that is high where high values cluster and low where low values cluster.\n"
         "Weights are binary: a point's neighbours are the points within distance D of\n"
         "it, the point itself included. Coordinates are planar (same unit as D).\n"
         "\n"
         "Options:\n"
         "  --points FILE              CSV file with a header naming the columns x, y and\n"
         "                             value (other columns are ignored); - reads stdin\n"
         "  --band D                   distance band, a positive number\n"
         "  --threads N                threads for the neighbour sums, 1 to 64 (default:\n"
         "                             one per processor, at most 8)\n"
         "  --format csv|json          output format (default csv)\n"
         "  --out FILE                 write to FILE (whole or not at all) instead of stdout\n"
         "  --help                     show this help\n"
         "\n"
         "Output: one row per point, in the order of the file, with the columns x, y,\n"
         "value (as given), z (four decimals) and p, the one-sided normal p-value\n"
         "1 - Phi(|z|); double it for a two-sided test. The formula and the conventions\n"
         "are in docs/methods/gistar.md.");
}

/* ---- number formatting ---- */

static const double pow10_tab[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* Writes v with `decimals` decimals as printf("%.*f") does, without a minus sign on a value
 * that rounds to zero. Returns the length. out must hold 48 bytes. */
static size_t fmt_fixed(char *out, double v, int decimals)
{
    double a = fabs(v), scaled = a * pow10_tab[decimals];
    double fl = floor(scaled), frac = scaled - fl;
    if (!(scaled < 1e9) || fabs(frac - 0.5) < 1e-6) {
        int n = snprintf(out, 48, "%.*f", decimals, v);
        if (out[0] == '-' && strspn(out + 1, "0.") == (size_t)n - 1) {
            memmove(out, out + 1, (size_t)n); /* "-0.0000" */
            n--;
        }
        return (size_t)n;
    }
    uint64_t r = (uint64_t)fl + (frac > 0.5);
    uint64_t ip = r / (uint64_t)pow10_tab[decimals], fp = r % (uint64_t)pow10_tab[decimals];
    char tmp[24];
    size_t t = 0, n = 0;
    do {
        tmp[t++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (v < 0 && r != 0)
        out[n++] = '-';
    while (t)
        out[n++] = tmp[--t];
    out[n++] = '.';
    for (int d = decimals - 1; d >= 0; d--) {
        out[n + (size_t)d] = (char)('0' + fp % 10);
        fp /= 10;
    }
    return n + (size_t)decimals;
}

/* Writes p as printf("%.3e") does, for 0 < p < 1: four significant digits and an exponent of at
 * least two digits. */
static size_t fmt_sci(char *out, double p)
{
    int e = (int)floor(log10(p));
    if (e < -290 || e > 0)
        return (size_t)snprintf(out, 48, "%.3e", p);
    double scaled = p * pow(10.0, 3 - e);
    if (scaled < 1000) /* log10 rounded up across a power of ten */
        scaled *= 10, e--;
    else if (scaled >= 10000)
        scaled /= 10, e++;
    double fl = floor(scaled), frac = scaled - fl;
    if (fabs(frac - 0.5) < 1e-6 || !(scaled >= 1000 && scaled < 10000))
        return (size_t)snprintf(out, 48, "%.3e", p);
    unsigned m = (unsigned)fl + (frac > 0.5);
    if (m == 10000)
        m = 1000, e++;
    size_t n = 0;
    out[n++] = (char)('0' + m / 1000);
    out[n++] = '.';
    out[n++] = (char)('0' + m / 100 % 10);
    out[n++] = (char)('0' + m / 10 % 10);
    out[n++] = (char)('0' + m % 10);
    out[n++] = 'e';
    out[n++] = e < 0 ? '-' : '+';
    unsigned a = (unsigned)(e < 0 ? -e : e);
    if (a >= 100)
        out[n++] = (char)('0' + a / 100);
    out[n++] = (char)('0' + a / 10 % 10);
    out[n++] = (char)('0' + a % 10);
    return n;
}

static size_t fmt_p(char *out, double p)
{
    if (p >= 1e-3)
        return fmt_fixed(out, p, 6);
    if (p > 0)
        return fmt_sci(out, p);
    return (size_t)snprintf(out, 48, "%.3e", p);
}

/* Writes the number text s (the strict grammar of the points reader: sign, digits, point,
 * exponent) as a JSON number: no '+', a 0 before a leading point, no point without digits after
 * it, no leading zeros. */
static size_t json_number(char *out, const char *s, size_t n)
{
    size_t i = 0, o = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        if (s[i] == '-')
            out[o++] = '-';
        i++;
    }
    size_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t a = int_start;
    while (a + 1 < i && s[a] == '0')
        a++;
    if (a == i)
        out[o++] = '0';
    else
        while (a < i)
            out[o++] = s[a++];
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i > f) {
            out[o++] = '.';
            memcpy(out + o, s + f, i - f);
            o += i - f;
        }
    }
    while (i < n)
        out[o++] = s[i++]; /* the exponent, valid in JSON as it is */
    return o;
}

/* ---- output ---- */

struct out {
    FILE *f;
    char *buf;
    size_t len, size;
    int failed;
};

static void out_flush(struct out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = 1;
    o->len = 0;
}

/* Room for one row (the row of a point is at most 3 * 64 + 2 * 48 + 40 bytes). */
static char *out_room(struct out *o)
{
    if (o->size - o->len < 512)
        out_flush(o);
    return o->buf + o->len;
}

static void write_rows(struct out *o, const struct vg_gistar_points *pts, const double *z,
                       const double *p, enum format fmt)
{
    if (fmt == FMT_CSV) {
        memcpy(out_room(o), "x,y,value,z,p\n", 14);
        o->len += 14;
    } else {
        *out_room(o) = '[';
        o->len++;
    }
    for (size_t i = 0; i < pts->n; i++) {
        char *w = out_room(o), *start = w;
        const char *t = pts->text + pts->text_off[i];
        size_t tn = pts->text_off[i + 1] - pts->text_off[i];
        if (fmt == FMT_CSV) {
            memcpy(w, t, tn);
            w += tn;
            *w++ = ',';
            w += fmt_fixed(w, z[i], 4);
            *w++ = ',';
            w += fmt_p(w, p[i]);
            *w++ = '\n';
        } else {
            static const char *const keys[3] = {"{\"x\":", ",\"y\":", ",\"value\":"};
            if (i)
                *w++ = ',', *w++ = '\n', *w++ = ' ';
            for (int k = 0; k < 3; k++) {
                const char *comma = memchr(t, ',', tn);
                size_t fn = k < 2 && comma ? (size_t)(comma - t) : tn;
                size_t kn = strlen(keys[k]);
                memcpy(w, keys[k], kn);
                w += kn;
                w += json_number(w, t, fn);
                t += fn + 1;
                tn -= k < 2 ? fn + 1 : fn;
            }
            memcpy(w, ",\"z\":", 5);
            w += 5;
            w += fmt_fixed(w, z[i], 4);
            memcpy(w, ",\"p\":", 5);
            w += 5;
            w += fmt_p(w, p[i]);
            *w++ = '}';
        }
        o->len += (size_t)(w - start);
    }
    if (fmt == FMT_JSON) {
        memcpy(out_room(o), "]\n", 2);
        o->len += 2;
    }
    out_flush(o);
}

static int parse_positive(const char *s, double *out)
{
    return cli_parse_number(s, out) || !(*out > 0) ? -1 : 0;
}

int cmd_analyze_gistar(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"points", required_argument, NULL, 'i'},
                                             {"band", required_argument, NULL, 'b'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"format", required_argument, NULL, 'o'},
                                             {"out", required_argument, NULL, 'O'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *cmd = "analyze gistar", *points = NULL, *output = NULL;
    enum format fmt = FMT_CSV;
    struct vg_gistar_opts opts = {0, 0};
    double band = 0;
    int have_band = 0, c;

    (void)cli;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            points = optarg;
            break;
        case 'b':
            if (parse_positive(optarg, &band))
                return cli_usage_error(cmd, "--band must be a positive number, not '%s'", optarg);
            have_band = 1;
            break;
        case 't': {
            uint64_t t;
            if (cli_count_option(cmd, "threads", optarg, 1, 64, &t))
                return CLI_USAGE;
            opts.threads = (int)t;
            break;
        }
        case 'o': {
            static const char *const formats[] = {"csv", "json", NULL};
            int f;
            if (cli_choice(cmd, "format", optarg, formats, &f))
                return CLI_USAGE;
            fmt = (enum format)f;
            break;
        }
        case 'O':
            output = optarg;
            break;
        case 'h':
            help();
            return CLI_OK;
        default:
            return cli_usage_error(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!points)
        return cli_usage_error(cmd, "--points FILE is required");
    if (!have_band)
        return cli_usage_error(cmd, "--band D is required");

    struct vg_gistar_points pts;
    struct vg_error err;
    struct cli_output out = {0};
    struct out o = {stdout, NULL, 0, (size_t)1 << 20, 0};
    double *z = NULL, *p = NULL;
    int status = CLI_ERROR, fd = 0, rc;

    vg_gistar_points_init(&pts);
    vg_error_clear(&err);
    if (strcmp(points, "-") != 0 && (fd = open(points, O_RDONLY | O_CLOEXEC)) < 0) {
        cli_fail("%s: %s", points, strerror(errno));
        goto done;
    }
    rc = vg_gistar_points_read(&pts, fd, strcmp(points, "-") == 0 ? "(stdin)" : points, &err);
    if (fd > 0)
        close(fd);
    if (rc) {
        cli_error(&err);
        goto done;
    }
    if (!(z = malloc(pts.n * sizeof(double))) || !(p = malloc(pts.n * sizeof(double))) ||
        !(o.buf = malloc(o.size))) {
        cli_fail("out of memory");
        goto done;
    }
    if (vg_gistar_run(pts.x, pts.y, pts.value, pts.n, band, &opts, z, p, NULL, &err)) {
        if (!err.file[0])
            snprintf(err.file, sizeof(err.file), "%s", points);
        cli_error(&err);
        goto done;
    }
    if (cli_output_open(&out, output))
        goto done;
    o.f = out.f;
    write_rows(&o, &pts, z, p, fmt);
    if (o.failed) {
        cli_fail("cannot write %s: %s", out.name, strerror(errno));
        goto done;
    }
    if (cli_output_close(&out))
        goto done;
    status = CLI_OK;
done:
    cli_output_abort(&out);
    free(o.buf);
    free(z);
    free(p);
    vg_gistar_points_cleanup(&pts);
    return status;
}
