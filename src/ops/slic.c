/* SLIC superpixels. The assignment step is written per pixel (each pixel looks at
 * the centers bucketed in nearby grid cells) rather than per center, so rows can
 * run in parallel without write conflicts and the result does not depend on the
 * thread count. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

struct slic_center {
    float l, a, b, x, y;
};

struct slic_job {
    const struct gh_image *lab;
    int *labels;
    const struct slic_center *centers;
    const int *cand_start; /* per grid cell: first index into cand, cells + 1 entries */
    const int *cand;       /* per cell: the centers within reach of some pixel of the cell */
    int gw, step;
    float inv_m2, inv_s2;
};

/* Center-major within each cell's span of a row, so the loop over pixels is a
 * plain vectorizable minimum search; ties go to the earlier candidate, in the
 * order the candidate lists are built (deterministic). */
static inline __attribute__((always_inline)) GH_OPS_NO_TRAPS void
slic_span(const float *restrict L, const float *restrict A, const float *restrict B, int x0,
          int x1, float y, const struct slic_center *c, int id, float win, float inv_m2,
          float inv_s2, float *restrict bd, int *restrict best)
{
    float dy = y - c->y, dy2 = dy * dy * inv_s2;
    for (int x = x0; x < x1; x++) {
        float dx = (float)x - c->x;
        float dl = L[x] - c->l, da = A[x] - c->a, db = B[x] - c->b;
        float d = (dl * dl + da * da + db * db) * inv_m2 + dx * dx * inv_s2 + dy2;
        int take = (dx <= win) & (dx >= -win) & (d < bd[x]);
        bd[x] = take ? d : bd[x];
        best[x] = take ? id : best[x];
    }
}

static GH_OPS_NO_TRAPS void slic_assign(void *ctx, int begin, int end)
{
    struct slic_job *j = ctx;
    int w = j->lab->width, step = j->step;
    const float *L = gh_image_plane(j->lab, 0), *A = gh_image_plane(j->lab, 1),
                *B = gh_image_plane(j->lab, 2);
    float win = (float)step; /* each center reaches +-S, as in Achanta et al. */
    float *bd = malloc((size_t)w * sizeof *bd);
    if (!bd)
        return; /* keeps the previous labels of these rows: a valid, less refined result */
    for (int y = begin; y < end; y++) {
        size_t row = (size_t)y * (size_t)w;
        int *best = j->labels + row;
        for (int x = 0; x < w; x++)
            bd[x] = FLT_MAX;
        int cy = y / step;
        for (int gx = 0; gx * step < w; gx++) {
            int x0 = gx * step, x1 = x0 + step < w ? x0 + step : w, cell = cy * j->gw + gx;
            for (int t = j->cand_start[cell]; t < j->cand_start[cell + 1]; t++) {
                const struct slic_center *c = &j->centers[j->cand[t]];
                if (fabsf((float)y - c->y) > win)
                    continue;
                slic_span(L + row, A + row, B + row, x0, x1, (float)y, c, j->cand[t], win,
                          j->inv_m2, j->inv_s2, bd, best);
            }
        }
    }
    free(bd);
}

/* Relabels 4-connected components in raster order; components smaller than
 * min_size join the label of a component met earlier next to their first pixel. */
static int enforce_connectivity(int *labels, int w, int h, int min_size, int *newl, int *queue)
{
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++)
        newl[i] = -1;
    int next = 0;
    static const int dx[4] = {-1, 0, 1, 0}, dy[4] = {0, -1, 0, 1};
    for (size_t start = 0; start < n; start++) {
        if (newl[start] >= 0)
            continue;
        int sx = (int)(start % (size_t)w), sy = (int)(start / (size_t)w);
        int adjacent = -1;
        for (int k = 0; k < 4; k++) {
            int nx = sx + dx[k], ny = sy + dy[k];
            if (nx >= 0 && nx < w && ny >= 0 && ny < h &&
                newl[(size_t)ny * (size_t)w + (size_t)nx] >= 0)
                adjacent = newl[(size_t)ny * (size_t)w + (size_t)nx];
        }
        int old = labels[start], size = 0;
        newl[start] = next;
        queue[size++] = (int)start;
        for (int q = 0; q < size; q++) {
            int px = queue[q] % w, py = queue[q] / w;
            for (int k = 0; k < 4; k++) {
                int nx = px + dx[k], ny = py + dy[k];
                if (nx < 0 || nx >= w || ny < 0 || ny >= h)
                    continue;
                size_t at = (size_t)ny * (size_t)w + (size_t)nx;
                if (newl[at] < 0 && labels[at] == old) {
                    newl[at] = next;
                    queue[size++] = (int)at;
                }
            }
        }
        if (size < min_size && adjacent >= 0) {
            for (int q = 0; q < size; q++)
                newl[queue[q]] = adjacent;
        } else {
            next++;
        }
    }
    memcpy(labels, newl, n * sizeof *labels);
    return next;
}

enum gh_status gh_ops_slic(const struct gh_image *rgb, int n_segments, double compactness,
                           int max_iter, int threads, int *labels, int *count)
{
    struct gh_image *lab = NULL;
    struct slic_center *centers = NULL;
    double *sums = NULL;
    int *cell_start = NULL, *cell_items = NULL, *scratch = NULL, *cand_start = NULL, *cand = NULL;
    enum gh_status st;
    *count = 0;
    if (rgb->channels != 3 || n_segments < 1 || !(compactness > 0))
        return gh_error(GH_ERR_ARGUMENT, "SLIC with %d segments, compactness %g on %d channels",
                        n_segments, compactness, rgb->channels);
    if ((size_t)rgb->width * (size_t)rgb->height > (size_t)1 << 30)
        return gh_error(GH_ERR_TOO_LARGE, "SLIC on %dx%d", rgb->width, rgb->height);
    if (max_iter <= 0)
        max_iter = 10;
    int w = rgb->width, h = rgb->height;
    size_t n = (size_t)w * (size_t)h;
    if ((st = gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_LAB, threads, &lab)) != GH_OK)
        return st;
    int step = (int)lrint(sqrt((double)n / n_segments));
    if (step < 1)
        step = 1;
    int nx = (w - step / 2 + step - 1) / step, ny = (h - step / 2 + step - 1) / step;
    if (nx < 1)
        nx = 1;
    if (ny < 1)
        ny = 1;
    int k = nx * ny;
    int gw = (w + step - 1) / step, gh = (h + step - 1) / step;
    centers = malloc((size_t)k * sizeof *centers);
    sums = malloc((size_t)k * 6 * sizeof *sums);
    cell_start = malloc(((size_t)gw * (size_t)gh + 1) * sizeof *cell_start);
    cell_items = malloc((size_t)k * sizeof *cell_items);
    scratch = malloc(2 * n * sizeof *scratch);
    cand_start = malloc(((size_t)gw * (size_t)gh + 1) * sizeof *cand_start);
    cand = malloc(9 * (size_t)k * sizeof *cand); /* a center is a candidate of <= 9 cells */
    if (!centers || !sums || !cell_start || !cell_items || !scratch || !cand_start || !cand) {
        st = gh_error(GH_ERR_NOMEM, "no memory for SLIC on %dx%d", w, h);
        goto out;
    }
    const float *L = gh_image_plane(lab, 0), *A = gh_image_plane(lab, 1),
                *B = gh_image_plane(lab, 2);
    for (int gy = 0; gy < ny; gy++)
        for (int gx = 0; gx < nx; gx++) {
            int x = step / 2 + gx * step, y = step / 2 + gy * step;
            if (x >= w)
                x = w - 1;
            if (y >= h)
                y = h - 1;
            size_t at = (size_t)y * (size_t)w + (size_t)x;
            centers[gy * nx + gx] = (struct slic_center){L[at], A[at], B[at], (float)x, (float)y};
        }
    for (size_t i = 0; i < n; i++)
        labels[i] = 0;
    struct slic_job j = {lab, labels, centers, cand_start, cand, gw, step,
                         (float)(1.0 / (compactness * compactness)),
                         (float)(1.0 / ((double)step * step))};
    for (int it = 0; it < max_iter; it++) {
        /* Bucket the centers by grid cell (counting sort: deterministic order). */
        int cells = gw * gh;
        memset(cell_start, 0, ((size_t)cells + 1) * sizeof *cell_start);
        for (int c = 0; c < k; c++) {
            int cx = (int)centers[c].x / step, cy = (int)centers[c].y / step;
            cell_start[(cy < gh ? cy : gh - 1) * gw + (cx < gw ? cx : gw - 1) + 1]++;
        }
        for (int c = 0; c < cells; c++)
            cell_start[c + 1] += cell_start[c];
        for (int c = 0; c < cells + 1; c++)
            scratch[c] = cell_start[c];
        for (int c = 0; c < k; c++) {
            int cx = (int)centers[c].x / step, cy = (int)centers[c].y / step;
            cell_items[scratch[(cy < gh ? cy : gh - 1) * gw + (cx < gw ? cx : gw - 1)]++] = c;
        }
        /* Candidates of each cell: centers of the 3x3 neighboring cells that reach
         * (within +-S) some pixel of the cell. */
        int nc = 0;
        for (int gy = 0; gy < gh; gy++)
            for (int gx = 0; gx < gw; gx++) {
                float cx0 = (float)(gx * step), cx1 = (float)((gx + 1) * step - 1);
                float cy0 = (float)(gy * step), cy1 = (float)((gy + 1) * step - 1);
                cand_start[gy * gw + gx] = nc;
                for (int qy = gy - 1; qy <= gy + 1; qy++)
                    for (int qx = gx - 1; qx <= gx + 1; qx++) {
                        if (qy < 0 || qy >= gh || qx < 0 || qx >= gw)
                            continue;
                        int cell = qy * gw + qx;
                        for (int t = cell_start[cell]; t < cell_start[cell + 1]; t++) {
                            const struct slic_center *c = &centers[cell_items[t]];
                            if (c->x >= cx0 - (float)step && c->x <= cx1 + (float)step &&
                                c->y >= cy0 - (float)step && c->y <= cy1 + (float)step &&
                                nc < 9 * k)
                                cand[nc++] = cell_items[t];
                        }
                    }
            }
        cand_start[gw * gh] = nc;
        gh_parallel_for(h, threads, slic_assign, &j);
        memset(sums, 0, (size_t)k * 6 * sizeof *sums);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t at = (size_t)y * (size_t)w + (size_t)x;
                double *s = sums + (size_t)labels[at] * 6;
                s[0] += L[at];
                s[1] += A[at];
                s[2] += B[at];
                s[3] += x;
                s[4] += y;
                s[5] += 1;
            }
        for (int c = 0; c < k; c++) {
            double *s = sums + (size_t)c * 6;
            if (s[5] > 0)
                centers[c] = (struct slic_center){(float)(s[0] / s[5]), (float)(s[1] / s[5]),
                                                  (float)(s[2] / s[5]), (float)(s[3] / s[5]),
                                                  (float)(s[4] / s[5])};
        }
    }
    int min_size = (int)(0.5 * (double)n / k);
    *count = enforce_connectivity(labels, w, h, min_size < 1 ? 1 : min_size, scratch,
                                  scratch + n);
out:
    gh_image_free(lab);
    free(centers);
    free(sums);
    free(cell_start);
    free(cell_items);
    free(scratch);
    free(cand_start);
    free(cand);
    return st;
}
