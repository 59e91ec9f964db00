/* replay_main.c - runs a fuzz target over saved inputs, without libFuzzer.
 *
 * Linked with one fuzz_<parser>.c, it gives the target the main() libFuzzer would: each argument
 * is a file or a directory, and every regular file (in a directory: every file whose name does
 * not start with a dot, in name order) is read whole and passed to LLVMFuzzerTestOneInput. So the
 * normal test build, with gcc and its sanitizers, runs every seed and every saved finding.
 *
 * Exit status: 0 when every input ran (a target that finds a fault aborts instead), 1 when an
 * argument could not be read or named no input at all. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the file at path and runs the target on it. Returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, size = 0;
    for (;;) {
        if (len == size) {
            size = size ? size * 2 : 4096;
            uint8_t *p = realloc(buf, size);
            if (!p) {
                fprintf(stderr, "%s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, size - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: read error\n", path);
        free(buf);
        return -1;
    }
    /* An exact-size copy, so that a read past the end is caught by the sanitizers. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (len)
        memcpy(exact, buf, len);
    free(buf);
    fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int skip_dot(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Runs the target on every file of a directory. Returns the number run, or -1. */
static long replay_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, skip_dot, alphasort);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    long count = 0;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (!failed && w > 0 && (size_t)w < sizeof(path) && stat(path, &sb) == 0 &&
            S_ISREG(sb.st_mode)) {
            if (replay_file(path) == 0)
                count++;
            else
                failed = 1;
        }
        free(names[i]);
    }
    free(names);
    return failed ? -1 : count;
}

int main(int argc, char **argv)
{
    long total = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        long n = S_ISDIR(sb.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0 ? 1 : -1;
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "no inputs to replay\n");
        return 1;
    }
    fprintf(stderr, "replayed %ld inputs\n", total);
    return 0;
}
