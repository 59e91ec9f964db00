/* gistar.h - the Getis-Ord Gi* local statistic of points with a binary distance band, and the
 * Benjamini-Hochberg false discovery rate.
 *
 * For n points with values x_j and the binary weights w_ij = 1 when point j lies within the
 * distance band D of point i (i itself included, as Gi* requires), the standardised statistic of
 * point i is (Ord & Getis 1995, eq. 8, with binary weights; the z-score of PySAL's
 * G_Local(transform='B', star=True)):
 *
 *     z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))
 *
 * where W_i = sum_j w_ij (the neighbours of i, itself included), xbar the mean of all values and
 * S their standard deviation with divisor n. When every point is a neighbour of i (W_i = n) the
 * statistic has no variance; z_i is then 0. Distances are planar, compared as
 * dx^2 + dy^2 <= D^2 (a point exactly at distance D is a neighbour).
 *
 * All functions may be called from several threads at once; vg_gistar_run and
 * vg_gistar_band_sums start their own threads. */
#ifndef VIGIL_GISTAR_H
#define VIGIL_GISTAR_H

#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>

/* The most points one computation takes (and one file may hold). */
#define VG_GISTAR_MAX_POINTS ((size_t)1 << 25)
/* The most candidate pairs (point, point in its 3x3 block of grid cells) a computation examines
 * unless told otherwise: about a minute of work. A band much wider than the spacing of the points
 * reaches it and fails with VG_ETOOBIG instead of running for hours. */
#define VG_GISTAR_MAX_PAIRS_DEFAULT ((uint64_t)1 << 36)
/* The longest text of one number in a points file. */
#define VG_GISTAR_MAX_NUMBER 63

struct vg_gistar_opts {
    int threads;        /* 0: one per processor, at most 8; never more than 64 */
    uint64_t max_pairs; /* 0: VG_GISTAR_MAX_PAIRS_DEFAULT */
};

/* Points as read from a file: coordinates, values, and the text of the three numbers as the file
 * gave them (trimmed of blanks; a decimal comma turned into a point), so that output can repeat
 * them unchanged. The point i's text is text[text_off[i] .. text_off[i + 1]), "x,y,value". */
struct vg_gistar_points {
    size_t n;
    double *x, *y, *value;
    char *text;
    size_t *text_off; /* n + 1 entries once a point was read */
    size_t cap, text_len, text_cap;
};

void vg_gistar_points_init(struct vg_gistar_points *p);
void vg_gistar_points_cleanup(struct vg_gistar_points *p);

/* Reads a delimited text file with a header line naming (in any order, among any other columns)
 * the columns x, y and value (case and surrounding blanks ignored) into p, which must be empty.
 * Blank lines are skipped. name is the file's name for error reports. Returns 0, or:
 *   VG_EFORMAT  a missing or repeated column, a field that is missing, empty, not a number, not
 *               finite or out of range, an unreadable record, or a file without any point; err
 *               holds the file name, the line and the column;
 *   VG_ETOOBIG  more than VG_GISTAR_MAX_POINTS points, or a number longer than
 *               VG_GISTAR_MAX_NUMBER characters;
 *   VG_EIO, VG_ENOMEM.
 * On failure p keeps what was read so far (release it with vg_gistar_points_cleanup). */
int vg_gistar_points_read(struct vg_gistar_points *p, int fd, const char *name,
                          struct vg_error *err);

/* For every point i, counts the points within band of it (itself included) into count[i] and adds
 * up their values into sum[i] (0 when value is NULL). Uses a grid of cells of side band, never all
 * pairs. count and sum are caller arrays of n entries. Returns 0, VG_EINVAL (n above
 * VG_GISTAR_MAX_POINTS, a band that is not a positive finite number, a coordinate or value that is
 * not finite: err names the point, counted from 0), VG_ETOOBIG (more candidate pairs than
 * opts->max_pairs), VG_ENOMEM. */
int vg_gistar_band_sums(const double *x, const double *y, const double *value, size_t n,
                        double band, const struct vg_gistar_opts *opts, uint32_t *count,
                        double *sum, struct vg_error *err);

/* Computes the Gi* z-score (formula above) and its one-sided normal p-value, 1 - Phi(|z|) (as
 * PySAL's p_norm; double it for a two-sided test), of every point. z and p are caller arrays of n
 * entries; neighbours, when not NULL, receives W_i. opts may be NULL. Returns 0, or VG_EINVAL with
 * err saying why: fewer than 2 points, all values equal (zero variance), a band or a number that
 * is not acceptable (as vg_gistar_band_sums); VG_ETOOBIG, VG_ENOMEM as vg_gistar_band_sums. */
int vg_gistar_run(const double *x, const double *y, const double *value, size_t n, double band,
                  const struct vg_gistar_opts *opts, double *z, double *p, uint32_t *neighbours,
                  struct vg_error *err);

/* The normal p-value of a z-score: 1 - Phi(|z|) for sides 1, 2 (1 - Phi(|z|)) for sides 2. */
double vg_gistar_pvalue(double z, int sides);

/* Benjamini-Hochberg adjusted p-values: q[i] = min over k >= rank(i) of n p_(k) / k, at most 1,
 * where p_(k) is the k-th smallest p-value. Rejecting every hypothesis with q[i] <= alpha is the
 * Benjamini-Hochberg step-up procedure at false discovery rate alpha: reject the k smallest, k the
 * largest rank with p_(k) <= k alpha / n. q may be p. Returns 0, VG_EINVAL (a p-value outside
 * [0, 1]: err names it), VG_ENOMEM. */
int vg_gistar_fdr(const double *p, size_t n, double *q, struct vg_error *err);

#endif
