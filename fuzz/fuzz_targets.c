/* fuzz_targets.c - libFuzzer target for the table of comparable target types of the threat
 * (vg_target_kinds_parse and vg_target_kinds_load in src/assess/threat.c, over src/core/csv.c):
 * data/risk/target_kinds.csv, or the file a user gives with --targets.
 *
 * Input layout: the whole input is the table, named "target_kinds.csv".
 *
 * Properties checked:
 *   - parse returns 0, VG_EFORMAT, VG_ETOOBIG or VG_EINVAL (an unknown kind, the code of
 *     vg_site_kind_parse); on failure the table stays NULL and the error holds the same code, a
 *     message, the file name, and a line within the input;
 *   - loading the same bytes from a file (a memfd, through /proc/self/fd) gives the same result:
 *     the same code and message, or the same version and weights;
 *   - the version is at most 63 bytes, without spaces or line ends;
 *   - every weight looked up (each GTD target type, and every comma-separated piece of the input,
 *     for every kind) is within [0, 1], the same in upper case (the lookup ignores case), and
 *     NULL has weight 0;
 *   - for an input the target can split by itself (no quote, CR, NUL or byte order mark, columns
 *     named exactly), the table says what each row says: the weight of each row's kind and type
 *     is that row's weight, a table that parses has each (kind, type) once, and its version is
 *     the word after "version:" in the first comment line that gives one. */
#include "vigil/error.h"
#include "vigil/sites.h"

#include "fuzz_check.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "target_kinds.csv"
#define MAX_PIECE 128

static const char *const gtd_targets[] = {"Business",
                                          "Government (General)",
                                          "Police",
                                          "Military",
                                          "Abortion Related",
                                          "Airports & Aircraft",
                                          "Government (Diplomatic)",
                                          "Educational Institution",
                                          "Food or Water Supply",
                                          "Journalists & Media",
                                          "Maritime",
                                          "NGO",
                                          "Other",
                                          "Private Citizens & Property",
                                          "Religious Figures/Institutions",
                                          "Telecommunication",
                                          "Terrorists/Non-State Militia",
                                          "Tourists",
                                          "Transportation",
                                          "Unknown",
                                          "Utilities",
                                          "Violent Political Party",
                                          ""};

/* Checks the weight of target for every kind: within [0, 1], the same in upper case, and the
 * same in the other table (when not NULL). */
static void check_weight(const struct vg_target_kinds *tk, const struct vg_target_kinds *other,
                         const char *target)
{
    char upper[MAX_PIECE + 1];
    size_t n = strlen(target);
    if (n > MAX_PIECE)
        return;
    for (size_t i = 0; i <= n; i++)
        upper[i] = (char)toupper((unsigned char)target[i]);
    for (int k = 0; k < VG_SITE_KIND_COUNT; k++) {
        double w = vg_target_kinds_weight(tk, (enum vg_site_kind)k, target);
        FUZZ_CHECK_MSG(w >= 0 && w <= 1, "weight of '%s' for %s: %g", target,
                       vg_site_kind_name((enum vg_site_kind)k), w);
        double wu = vg_target_kinds_weight(tk, (enum vg_site_kind)k, upper);
        FUZZ_CHECK_MSG(wu == w, "weight of '%s' %g, of '%s' %g", target, w, upper, wu);
        if (other)
            FUZZ_CHECK(vg_target_kinds_weight(other, (enum vg_site_kind)k, target) == w);
    }
}

/* Looks up every comma-separated piece of every line of the input (pieces without NUL). */
static void check_pieces(const struct vg_target_kinds *tk, const char *text, size_t len)
{
    char piece[MAX_PIECE + 1];
    size_t at = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == ',' || text[i] == '\n') {
            size_t n = i - at;
            if (n <= MAX_PIECE && !memchr(text + at, '\0', n)) {
                memcpy(piece, text + at, n);
                piece[n] = '\0';
                check_weight(tk, NULL, piece);
            }
            at = i + 1;
        }
    }
}

/* Splits line [p, end) at commas into fields (at most max); returns their number. The fields are
 * NUL-terminated copies in buf (of size end - p + max). */
static size_t split(const char *p, const char *end, char *buf, char **fields, size_t max)
{
    size_t n = 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (n == max)
            return max + 1;
        fields[n++] = buf;
        memcpy(buf, p, (size_t)(stop - p));
        buf += stop - p;
        *buf++ = '\0';
        if (!comma)
            return n;
        p = comma + 1;
    }
}

/* The version a comment line [p, end) declares into v (size 64): "" when none. */
static void comment_version(const char *p, const char *end, char *v)
{
    v[0] = '\0';
    for (const char *q = p; q + 8 <= end; q++) {
        if (memcmp(q, "version:", 8) != 0)
            continue;
        q += 8;
        while (q < end && *q == ' ')
            q++;
        size_t n = 0;
        while (q + n < end && q[n] != ' ' && n < 63)
            n++;
        memcpy(v, q, n);
        v[n] = '\0';
        return;
    }
}

/* The reference reading of a simple input (see the top of the file); 0 when the input is not
 * simple enough for it. Checks each row and the version against tk when tk is not NULL, and
 * tells in *dup whether a (kind, type) is listed twice. */
static int check_reference(const struct vg_target_kinds *tk, const char *text, size_t len, int *dup)
{
    char version[64] = "";
    *dup = 0;
    if (memchr(text, '"', len) || memchr(text, '\r', len) || memchr(text, '\0', len) ||
        (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) || len > 4096)
        return 0;
    enum { MAXF = 64, MAXROWS = 512 };
    char *buf = malloc(len + MAXF + 1);
    FUZZ_CHECK(buf);
    char *fields[MAXF];
    int ck = -1, ct = -1, cw = -1, header = 0, ok = 1;
    struct {
        enum vg_site_kind kind;
        char target[MAX_PIECE + 1];
    } seen[MAXROWS];
    size_t nseen = 0;
    for (const char *p = text, *end; ok && p < text + len; p = end + 1) {
        end = memchr(p, '\n', (size_t)(text + len - p));
        if (!end)
            end = text + len;
        if (end == p)
            continue;
        if (*p == '#') {
            if (!version[0])
                comment_version(p, end, version);
            continue;
        }
        size_t nf = split(p, end, buf, fields, MAXF);
        if (nf > MAXF) {
            ok = 0;
            break;
        }
        if (!header) {
            for (size_t i = 0; i < nf; i++) {
                if (strcmp(fields[i], "site_kind") == 0)
                    ck = (int)i;
                else if (strcmp(fields[i], "target_type") == 0)
                    ct = (int)i;
                else if (strcmp(fields[i], "weight") == 0)
                    cw = (int)i;
                else if (strcasecmp(fields[i], "site_kind") == 0 ||
                         strcasecmp(fields[i], "target_type") == 0 ||
                         strcasecmp(fields[i], "weight") == 0)
                    ok = 0; /* the parser matches names in any case; keep to exact names */
            }
            header = 1;
            if (ck < 0 || ct < 0 || cw < 0)
                ok = 0;
            continue;
        }
        if ((size_t)ck >= nf || (size_t)ct >= nf || (size_t)cw >= nf) {
            ok = 0;
            break;
        }
        enum vg_site_kind kind;
        struct vg_error err;
        char *wend;
        errno = 0;
        double w = strtod(fields[cw], &wend);
        /* a weight is a plain decimal (no sign, space or hexadecimal), a type is not empty */
        char w0 = fields[cw][0];
        int plain = ((w0 >= '0' && w0 <= '9') || w0 == '.') && !strpbrk(fields[cw], "xX \t");
        if (vg_site_kind_parse(fields[ck], &kind, &err) || !plain || wend == fields[cw] || *wend ||
            errno || !(w >= 0 && w <= 1) || !fields[ct][0] || strlen(fields[ct]) > MAX_PIECE ||
            nseen == MAXROWS) {
            ok = 0;
            break;
        }
        for (size_t i = 0; i < nseen; i++)
            if (seen[i].kind == kind && strcasecmp(seen[i].target, fields[ct]) == 0)
                *dup = 1;
        seen[nseen].kind = kind;
        snprintf(seen[nseen].target, sizeof(seen[nseen].target), "%s", fields[ct]);
        nseen++;
        if (tk && !*dup) {
            double got = vg_target_kinds_weight(tk, kind, fields[ct]);
            FUZZ_CHECK_MSG(got == w, "the row %s,%s,%s: weight %g in the table",
                           vg_site_kind_name(kind), fields[ct], fields[cw], got);
        }
    }
    free(buf);
    if (tk && ok && header)
        FUZZ_CHECK_MSG(strcmp(vg_target_kinds_version(tk), version) == 0,
                       "the version is '%s', not '%s'", vg_target_kinds_version(tk), version);
    return ok && header;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    long lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += text[i] == '\n';

    struct vg_target_kinds *tk = NULL, *loaded = NULL;
    struct vg_error err, lerr;
    vg_error_clear(&err);
    int rc = vg_target_kinds_parse(text, size, NAME, &tk, &err);
    FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT || rc == VG_ETOOBIG || rc == VG_EINVAL,
                   "parse: %d %s", rc, err.message);

    int fd = fuzz_memfd(data, size);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int lrc = vg_target_kinds_load(path, &loaded, &lerr);
    close(fd);
    FUZZ_CHECK_MSG(lrc == rc, "load %d (%s), parse %d (%s)", lrc, lerr.message, rc, err.message);

    if (rc) {
        FUZZ_CHECK(tk == NULL && loaded == NULL);
        FUZZ_CHECK_MSG(err.code == rc && err.message[0], "parse: code %d, error %d '%s'", rc,
                       err.code, err.message);
        FUZZ_CHECK_MSG(strcmp(err.file, NAME) == 0, "parse: the error names '%s'", err.file);
        FUZZ_CHECK_MSG(err.line >= 0 && err.line <= lines, "parse: line %ld of %ld", err.line,
                       lines);
        FUZZ_CHECK_MSG(strcmp(lerr.message, err.message) == 0 && lerr.line == err.line,
                       "load: '%s' line %ld, parse: '%s' line %ld", lerr.message, lerr.line,
                       err.message, err.line);
        FUZZ_CHECK_MSG(strcmp(lerr.file, path) == 0, "load: the error names '%s'", lerr.file);
        int dup;
        if (rc == VG_EFORMAT && check_reference(NULL, text, size, &dup))
            FUZZ_CHECK_MSG(dup, "a simple table without a repeated row is refused: %s",
                           err.message);
        return 0;
    }
    FUZZ_CHECK(tk && loaded);
    const char *v = vg_target_kinds_version(tk);
    FUZZ_CHECK(strlen(v) < 64 && !strpbrk(v, " \r\n"));
    FUZZ_CHECK(strcmp(v, vg_target_kinds_version(loaded)) == 0);
    FUZZ_CHECK(vg_target_kinds_weight(tk, VG_SITE_AIRPORT, NULL) == 0);
    for (size_t i = 0; i < sizeof(gtd_targets) / sizeof(gtd_targets[0]); i++)
        check_weight(tk, loaded, gtd_targets[i]);
    check_pieces(tk, text, size);
    int dup;
    check_reference(tk, text, size, &dup);
    FUZZ_CHECK_MSG(!dup, "a table with a (kind, type) twice is accepted");
    vg_target_kinds_destroy(tk);
    vg_target_kinds_destroy(loaded);
    return 0;
}
