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
    const int *cell_start; /* per cell: first index into cell_items, cells + 1 entries */
    const int *cell_items; /* center indices bucketed by cell */
    int gw, gh, step, reach; /* grid size, cell size, cells searched each side */
    float inv_m2, inv_s2;
};

static void slic_assign(void *ctx, int begin, int end)
{
    struct slic_job *j = ctx;
    int w = j->lab->width;
    const float *L = gh_image_plane(j->lab, 0), *A = gh_image_plane(j->lab, 1),
                *B = gh_image_plane(j->lab, 2);
    float win = (float)j->step; /* each center reaches +-S, as in Achanta et al. */
    for (int y = begin; y < end; y++) {
        int cy = y / j->step;
        for (int x = 0; x < w; x++) {
            size_t at = (size_t)y * (size_t)w + (size_t)x;
            int cx = x / j->step, best = j->labels[at];
            float bd = FLT_MAX;
            for (int gy = cy - j->reach; gy <= cy + j->reach; gy++) {
                if (gy < 0 || gy >= j->gh)
                    continue;
                for (int gx = cx - j->reach; gx <= cx + j->reach; gx++) {
                    if (gx < 0 || gx >= j->gw)
                        continue;
                    int cell = gy * j->gw + gx;
                    for (int t = j->cell_start[cell]; t < j->cell_start[cell + 1]; t++) {
                        const struct slic_center *c = &j->centers[j->cell_items[t]];
                        float dx = (float)x - c->x, dy = (float)y - c->y;
                        if (fabsf(dx) > win || fabsf(dy) > win)
                            continue;
                        float dl = L[at] - c->l, da = A[at] - c->a, db = B[at] - c->b;
                        float d = (dl * dl + da * da + db * db) * j->inv_m2 +
                                  (dx * dx + dy * dy) * j->inv_s2;
                        if (d < bd) {
                            bd = d;
                            best = j->cell_items[t];
                        }
                    }
                }
            }
            j->labels[at] = best;
        }
    }
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
    int *cell_start = NULL, *cell_items = NULL, *scratch = NULL;
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
    if (!centers || !sums || !cell_start || !cell_items || !scratch) {
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
    struct slic_job j = {lab, labels, centers, cell_start, cell_items, gw, gh, step, 1,
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
    return st;
}
