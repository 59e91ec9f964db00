/* hotspot.h - hot and cold spots of incidents on an equal-area grid, and their kernel density.
 *
 * The incidents' latitudes and longitudes are projected with a Lambert azimuthal equal-area
 * projection (sphere of the authalic radius of WGS 84) centred on the incidents, and counted on a
 * grid of square cells of a given side in kilometres, one corner of a cell at the centre of the
 * projection. Equal area means every cell covers the same ground area, so counts compare fairly
 * wherever a cell lies; distances and shapes are nearly true near the centre (within 1 % up to
 * about 1,800 km away from it, 3 % at 3,000 km), and the analysis is meant for a region, not the
 * whole globe at once.
 *
 * Hot spots: the Getis-Ord Gi* z-score (gistar.h) of every cell's count, the neighbours of a cell
 * being the cells whose centres lie within the distance band; the two-sided normal p-value; the
 * Benjamini-Hochberg adjusted p-value over all the cells analysed; and a class: hot or cold at
 * 99, 95 or 90 % confidence (adjusted p-value at most 0.01, 0.05, 0.10; the sign of z says hot
 * or cold), or not significant. By default the cells analysed are those holding at least one
 * incident; with all_cells, every cell of the rectangle around the incidents, empty ones too.
 *
 * Density: the quartic (biweight) kernel K(u) = 3/pi (1 - u^2)^2 for u < 1, else 0, scaled by the
 * bandwidth h: each incident adds K(d / h) / h^2 at distance d. K integrates to 1 over the plane,
 * so the surface is in incidents per square kilometre and integrates to the number of incidents.
 * It is evaluated at the centre of every cell within h of an incident.
 *
 * Thread-safety: no shared state; a result is read-only once made. */
#ifndef VIGIL_HOTSPOT_H
#define VIGIL_HOTSPOT_H

#include "vigil/error.h"
#include "vigil/mem.h"

#include <stddef.h>
#include <stdint.h>

struct vg_cube;
struct vg_selection;

#define VG_HOTSPOT_EARTH_RADIUS_KM 6371.0072 /* radius of the sphere of WGS 84's area */
#define VG_HOTSPOT_DEFAULT_CELL_KM 10.0
#define VG_HOTSPOT_MAX_KM 2500.0          /* largest cell side, band or bandwidth */
#define VG_HOTSPOT_DEFAULT_BAND_CELLS 3.0 /* default band: 3 cell sides */
/* The most cells one result may hold (cells analysed, or cells of a density surface). */
#define VG_HOTSPOT_MAX_CELLS ((size_t)1 << 22)
/* The most incidents taken. */
#define VG_HOTSPOT_MAX_INCIDENTS ((size_t)1 << 26)

/* ---- the projection ---- */

/* A Lambert azimuthal equal-area projection of the sphere, centred at (lat0, lon0). */
struct vg_hotspot_laea {
    double lat0, lon0; /* degrees */
    double sin_lat0, cos_lat0;
};

void vg_hotspot_laea_init(struct vg_hotspot_laea *p, double lat0, double lon0);
/* Projects a latitude and longitude (degrees) to planar x (east) and y (north) in km. The point
 * opposite the centre, which the projection maps to a whole circle, is put at (0, -2R). */
void vg_hotspot_project(const struct vg_hotspot_laea *p, double lat, double lon, double *x,
                        double *y);
/* The inverse: x, y in km (at most 2R from the centre) to latitude and longitude in degrees. */
void vg_hotspot_unproject(const struct vg_hotspot_laea *p, double x, double y, double *lat,
                          double *lon);
/* The centre of a set of points: the direction of the sum of their unit vectors, as latitude and
 * longitude. Points whose latitude or longitude is not finite are skipped. When the vectors cancel
 * out (points all around the globe) the centre is (0, 0). */
void vg_hotspot_centre(const double *lat, const double *lon, size_t n, double *lat0, double *lon0);

/* ---- the kernel ---- */

/* The quartic kernel K(u) = 3/pi (1 - u^2)^2 for 0 <= u < 1, 0 beyond. */
double vg_hotspot_quartic(double u);
/* The density at (px, py) of the n points (x, y) with bandwidth h: the sum of K(d / h) / h^2. */
double vg_hotspot_kde_at(const double *x, const double *y, size_t n, double h, double px,
                         double py);

/* ---- the analysis ---- */

enum vg_hotspot_class {
    VG_HOTSPOT_COLD_99 = -3,
    VG_HOTSPOT_COLD_95 = -2,
    VG_HOTSPOT_COLD_90 = -1,
    VG_HOTSPOT_NOT_SIGNIFICANT = 0,
    VG_HOTSPOT_HOT_90 = 1,
    VG_HOTSPOT_HOT_95 = 2,
    VG_HOTSPOT_HOT_99 = 3
};

/* "hot-99", "hot-95", "hot-90", "not-significant", "cold-90", "cold-95", "cold-99". */
const char *vg_hotspot_class_name(int cls);

struct vg_hotspot_opts {
    double cell_km;      /* side of a cell; 0: VG_HOTSPOT_DEFAULT_CELL_KM */
    double band_km;      /* Gi* distance band; 0: VG_HOTSPOT_DEFAULT_BAND_CELLS cells */
    double bandwidth_km; /* kernel bandwidth; 0: the band */
    int density;         /* 1: compute the density surface instead of Gi* */
    int all_cells;       /* 1: analyse the empty cells of the rectangle around the incidents too */
    int no_fdr;          /* 1: classify by the raw p-values, without the FDR correction */
    int have_centre;     /* 1: centre the projection at centre_lat, centre_lon */
    double centre_lat, centre_lon;
    int threads; /* 0: one per processor */
};

void vg_hotspot_opts_init(struct vg_hotspot_opts *o);

struct vg_hotspot_cell {
    int64_t col, row;    /* the cell spans x0 + col * cell .. x0 + (col + 1) * cell, and so in y */
    double lat, lon;     /* its centre */
    uint32_t count;      /* incidents in the cell */
    uint32_t neighbours; /* cells within the band, itself included (Gi*) */
    double z, p, q;      /* Gi* z-score, two-sided p-value, FDR-adjusted p-value (Gi*) */
    int cls;             /* enum vg_hotspot_class (Gi*) */
    double density;      /* incidents per km^2 at the centre (density) */
};

struct vg_hotspot_result {
    int density; /* which analysis the cells hold */
    struct vg_hotspot_laea proj;
    double cell_km, band_km, bandwidth_km;
    int all_cells, no_fdr;
    size_t incidents; /* incidents given (selected) */
    size_t located;   /* of which with usable coordinates: those counted */
    size_t unlocated; /* left out: no latitude or longitude, or one out of range */
    size_t ncells;
    struct vg_hotspot_cell *cells; /* Gi*: by z, highest first; density: by density, highest
                                      first; ties in grid order (south to north, west to east) */
    size_t nclass[7];              /* cells per class, indexed by class + 3 */
    double max_density;
};

/* Analyses incidents given as latitudes and longitudes (degrees; NAN, or a value out of range,
 * for an unknown position). Returns 0, or: VG_EINVAL (an option out of range; fewer than 2
 * cells, or all cells with the same count, so Gi* is undefined; no incident with coordinates),
 * VG_ETOOBIG (more cells than VG_HOTSPOT_MAX_CELLS, a cell too small for the extent, a band too
 * wide), VG_ENOMEM; err says which and what to change. */
int vg_hotspot_run_points(const double *lat, const double *lon, size_t n,
                          const struct vg_hotspot_opts *o, struct vg_hotspot_result **out,
                          struct vg_error *err);
/* The same over the incidents of a cube that sel selects. */
int vg_hotspot_run(const struct vg_cube *c, const struct vg_selection *sel,
                   const struct vg_hotspot_opts *o, struct vg_hotspot_result **out,
                   struct vg_error *err);
void vg_hotspot_result_destroy(struct vg_hotspot_result *r);

/* Writers: append the result to b. Return 0, VG_ETOOBIG (b's cap), VG_ENOMEM.
 * CSV: Gi*: lat,lon,count,neighbours,z,p,fdr_p,class; density: lat,lon,count,density.
 * GeoJSON (RFC 7946): a FeatureCollection of the cells as polygons (corners in longitude,
 * latitude, counter-clockwise; a cell across the antimeridian is a MultiPolygon cut there), their
 * figures as properties, and the parameters under "metadata".
 * SVG: a map of the cells in the projection, coloured by class (Gi*) or by density, with a legend,
 * a scale bar and the parameters. */
int vg_hotspot_write_csv(const struct vg_hotspot_result *r, struct vg_buf *b);
int vg_hotspot_write_geojson(const struct vg_hotspot_result *r, struct vg_buf *b);
int vg_hotspot_write_svg(const struct vg_hotspot_result *r, struct vg_buf *b);

#endif
