/* Long-contour filter and edge density, see gh_ops_long_contours and
 * gh_ops_edge_density in ops_edges.h.
 *
 * Components are found by breadth-first search over one queue array: the
 * components are disjoint, so each one's pixels end up contiguous in the queue
 * and the whole labeling pushes every edge pixel exactly once. Scanning in
 * raster order makes the result independent of anything but the map. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

enum gh_status gh_ops_long_contours(const struct gh_image *edges, int min_length,
                                    double min_diagonal, int threads, struct gh_image **out)
{
    (void)threads;
    *out = NULL;
    if (edges->channels != 1)
        return gh_error(GH_ERR_ARGUMENT, "long contours need a 1-channel edge map, not %d channels",
                        edges->channels);
    int w = edges->width, h = edges->height;
    size_t n = gh_image_plane_size(edges);
    /* seen: 1 for edge pixels not yet queued; 0 otherwise. */
    uint8_t *seen = malloc(n ? n : 1);
    int32_t *queue = malloc((n ? n : 1) * sizeof *queue);
    enum gh_status st = GH_OK;
    if (!seen || !queue) {
        st = gh_error(GH_ERR_NOMEM, "no memory to label the edges of a %dx%d image", w, h);
        goto out;
    }
    if ((st = gh_image_new(w, h, 1, out)) != GH_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        seen[i] = edges->data[i] > 0.5f;
    double min_diag2 = min_diagonal > 0 ? min_diagonal * min_diagonal : 0;
    size_t tail = 0;
    for (size_t start = 0; start < n; start++) {
        if (!seen[start])
            continue;
        size_t first = tail, head = tail;
        queue[tail++] = (int32_t)start;
        seen[start] = 0;
        int x0 = (int)(start % (size_t)w), y0 = (int)(start / (size_t)w);
        int xmin = x0, xmax = x0, ymin = y0, ymax = y0;
        while (head < tail) {
            int32_t p = queue[head++];
            int x = p % w, y = p / w;
            xmin = x < xmin ? x : xmin;
            xmax = x > xmax ? x : xmax;
            ymin = y < ymin ? y : ymin;
            ymax = y > ymax ? y : ymax;
            for (int dy = -1; dy <= 1; dy++) {
                int yy = y + dy;
                if (yy < 0 || yy >= h)
                    continue;
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx;
                    if (xx < 0 || xx >= w)
                        continue;
                    size_t q = (size_t)yy * (size_t)w + (size_t)xx;
                    /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch): seen[] is set for all w*h pixels above */
                    if (seen[q]) {
                        seen[q] = 0;
                        queue[tail++] = (int32_t)q;
                    }
                }
            }
        }
        /* The diagonal counts pixels spanned, so a single pixel spans 1. */
        double bw = xmax - xmin + 1, bh = ymax - ymin + 1;
        if (tail - first >= (size_t)(min_length > 0 ? min_length : 0) && bw * bw + bh * bh >= min_diag2)
            for (size_t k = first; k < tail; k++)
                (*out)->data[queue[k]] = 1.0f;
    }
out:
    if (st != GH_OK) {
        gh_image_free(*out);
        *out = NULL;
    }
    free(seen);
    free(queue);
    return st;
}

enum gh_status gh_ops_edge_density(const struct gh_image *edges, int radius, int threads,
                                   struct gh_image **out)
{
    *out = NULL;
    if (edges->channels != 1)
        return gh_error(GH_ERR_ARGUMENT, "edge density needs a 1-channel edge map, not %d channels",
                        edges->channels);
    if (radius < 0 || radius > 4000)
        return gh_error(GH_ERR_ARGUMENT, "edge density window radius %d outside 0..4000", radius);
    struct gh_image *binary = NULL;
    float *kernel = malloc((size_t)(2 * radius + 1) * sizeof *kernel);
    enum gh_status st = kernel ? gh_image_new_uninit(edges->width, edges->height, 1, &binary)
                               : gh_error(GH_ERR_NOMEM, "no memory for a box kernel");
    if (st != GH_OK)
        goto out;
    /* Binarize first, so soft maps count like the hard ones they stand for. */
    for (size_t i = 0; i < gh_image_plane_size(edges); i++)
        binary->data[i] = edges->data[i] > 0.5f ? 1.0f : 0.0f;
    for (int k = 0; k <= 2 * radius; k++)
        kernel[k] = 1.0f / (float)(2 * radius + 1);
    if ((st = gh_ops_separable(binary, kernel, radius, threads, out)) != GH_OK)
        goto out;
    /* Float sums of 1/(2r+1) can stray a few ulps outside [0, 1]. */
    for (size_t i = 0; i < gh_image_plane_size(*out); i++)
        (*out)->data[i] = gh_ops_clampf((*out)->data[i], 0.0f, 1.0f);
out:
    free(kernel);
    gh_image_free(binary);
    return st;
}
