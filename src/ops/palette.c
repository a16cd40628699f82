/* Palettes: k-means and MMCQ median cut; mapping an image onto a palette; label means. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

/* Sorts entries by weight, largest first (stable, tiny n). */
static void palette_sort(struct gh_palette *p)
{
    for (int i = 1; i < p->count; i++)
        for (int j = i; j > 0 && p->weight[j] > p->weight[j - 1]; j--) {
            double w = p->weight[j];
            p->weight[j] = p->weight[j - 1];
            p->weight[j - 1] = w;
            float c[3];
            memcpy(c, p->color[j], sizeof c);
            memcpy(p->color[j], p->color[j - 1], sizeof c);
            memcpy(p->color[j - 1], c, sizeof c);
        }
}

/* Interleaves the planes of a 3-channel image (points for k-means). */
static float *interleave(const struct gh_image *img)
{
    size_t n = gh_image_plane_size(img);
    float *pts = malloc(n * 3 * sizeof *pts);
    if (!pts)
        return NULL;
    for (int c = 0; c < 3; c++) {
        const float *p = gh_image_plane(img, c);
        for (size_t i = 0; i < n; i++)
            pts[i * 3 + (size_t)c] = p[i];
    }
    return pts;
}

/* Converts palette colors in place between sRGB and Lab. */
static enum gh_status palette_convert(float (*colors)[3], int count, enum gh_color_space from,
                                      enum gh_color_space to)
{
    struct gh_image *tmp = NULL, *conv = NULL;
    enum gh_status st = gh_image_new(count, 1, 3, &tmp);
    if (st != GH_OK)
        return st;
    for (int i = 0; i < count; i++)
        for (int c = 0; c < 3; c++)
            gh_image_plane(tmp, c)[i] = colors[i][c];
    st = gh_ops_color_convert(tmp, from, to, 1, &conv);
    if (st == GH_OK)
        for (int i = 0; i < count; i++)
            for (int c = 0; c < 3; c++)
                colors[i][c] = gh_image_plane(conv, c)[i];
    gh_image_free(tmp);
    gh_image_free(conv);
    return st;
}

enum gh_status gh_ops_palette_kmeans(const struct gh_image *rgb, int k, int lab, uint64_t seed,
                                     size_t max_samples, int threads, struct gh_palette *out)
{
    struct gh_image *conv = NULL;
    float *pts = NULL;
    int *labels = NULL;
    enum gh_status st = GH_OK;
    memset(out, 0, sizeof *out);
    if (rgb->channels != 3 || k < 1 || k > GH_PALETTE_MAX)
        return gh_error(GH_ERR_ARGUMENT, "palette of %d colors from %d channels (1..%d colors, 3 channels)",
                        k, rgb->channels, GH_PALETTE_MAX);
    size_t n = gh_image_plane_size(rgb);
    if ((size_t)k > n)
        k = (int)n;
    if (lab && (st = gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_LAB, threads, &conv)) != GH_OK)
        return st;
    pts = interleave(conv ? conv : rgb);
    labels = malloc(n * sizeof *labels);
    if (!pts || !labels) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a palette of %zu pixels", n);
        goto out;
    }
    struct gh_kmeans_params kp = {.k = k, .max_iter = 50, .eps = lab ? 1e-3 : 1e-5,
                                  .attempts = 1, .seed = seed, .max_samples = max_samples};
    float centers[GH_PALETTE_MAX * 3];
    if ((st = gh_ops_kmeans(pts, n, 3, &kp, threads, centers, labels, NULL)) != GH_OK)
        goto out;
    out->count = k;
    for (size_t i = 0; i < n; i++)
        out->weight[labels[i]] += 1.0 / (double)n;
    for (int c = 0; c < k; c++)
        memcpy(out->color[c], centers + 3 * c, sizeof out->color[c]);
    if (lab && (st = palette_convert(out->color, k, GH_COLOR_LAB, GH_COLOR_SRGB)) != GH_OK)
        goto out;
    palette_sort(out);
out:
    gh_image_free(conv);
    free(pts);
    free(labels);
    return st;
}

/* ---- MMCQ ---------------------------------------------------------------- */
enum { SIGBITS = 5, HBINS = 1 << SIGBITS };

struct vbox {
    int lo[3], hi[3]; /* inclusive 5-bit bounds per channel */
    double count;
};

static inline int hidx(int r, int g, int b)
{
    return (r << (2 * SIGBITS)) | (g << SIGBITS) | b;
}

static double vbox_count(const struct vbox *v, const double *histo)
{
    double n = 0;
    for (int r = v->lo[0]; r <= v->hi[0]; r++)
        for (int g = v->lo[1]; g <= v->hi[1]; g++)
            for (int b = v->lo[2]; b <= v->hi[2]; b++)
                n += histo[hidx(r, g, b)];
    return n;
}

static double vbox_volume(const struct vbox *v)
{
    return (double)(v->hi[0] - v->lo[0] + 1) * (v->hi[1] - v->lo[1] + 1) * (v->hi[2] - v->lo[2] + 1);
}

/* Splits v at the median of its longest axis (quantize.js medianCutApply). Returns 0
 * when v cannot be split. */
static int median_cut(const struct vbox *v, const double *histo, struct vbox *a, struct vbox *b)
{
    if (v->count <= 1)
        return 0;
    int axis = 0;
    int wdt[3];
    for (int c = 0; c < 3; c++)
        wdt[c] = v->hi[c] - v->lo[c];
    if (wdt[1] > wdt[axis])
        axis = 1;
    if (wdt[2] > wdt[axis])
        axis = 2;
    if (wdt[axis] == 0)
        return 0;
    double partial[HBINS] = {0}, total = 0;
    for (int i = v->lo[axis]; i <= v->hi[axis]; i++) {
        struct vbox slab = *v;
        slab.lo[axis] = slab.hi[axis] = i;
        total += vbox_count(&slab, histo);
        partial[i] = total;
    }
    int lo = v->lo[axis], hi = v->hi[axis];
    for (int i = lo; i <= hi; i++) {
        if (partial[i] <= total / 2)
            continue;
        int left = i - lo, right = hi - i, d2;
        if (left <= right)
            d2 = hi - 1 < i + right / 2 ? hi - 1 : i + right / 2;
        else
            d2 = lo > i - 1 - left / 2 ? lo : i - 1 - left / 2;
        while (d2 < hi - 1 && partial[d2] == 0) /* neither half may be empty */
            d2++;
        while (d2 > lo && total - partial[d2] == 0 && partial[d2 - 1] > 0)
            d2--;
        if (partial[d2] == 0 || total - partial[d2] == 0)
            return 0;
        *a = *v;
        *b = *v;
        a->hi[axis] = d2;
        b->lo[axis] = d2 + 1;
        a->count = vbox_count(a, histo);
        b->count = vbox_count(b, histo);
        return 1;
    }
    return 0;
}

/* Splits boxes, always the one with the largest key, until `target` boxes exist. */
static void mmcq_iterate(struct vbox *boxes, int *nboxes, int target, const double *histo,
                         int by_volume)
{
    for (int iter = 0; *nboxes < target && iter < 1000; iter++) {
        int best = -1;
        double best_key = 0;
        for (int i = 0; i < *nboxes; i++) {
            double key = boxes[i].count * (by_volume ? vbox_volume(&boxes[i]) : 1);
            if (boxes[i].count > 1 && key > best_key) {
                best_key = key;
                best = i;
            }
        }
        if (best < 0)
            return;
        struct vbox a, b;
        if (!median_cut(&boxes[best], histo, &a, &b)) {
            boxes[best].count = -boxes[best].count; /* unsplittable: skip from now on */
            continue;
        }
        boxes[best] = a;
        boxes[(*nboxes)++] = b;
    }
}

enum gh_status gh_ops_palette_mmcq(const struct gh_image *rgb, int count, struct gh_palette *out)
{
    memset(out, 0, sizeof *out);
    if (rgb->channels != 3 || count < 1 || count > GH_PALETTE_MAX)
        return gh_error(GH_ERR_ARGUMENT, "median cut palette of %d colors from %d channels",
                        count, rgb->channels);
    size_t nbins = (size_t)1 << (3 * SIGBITS);
    double *histo = calloc(nbins * 4, sizeof *histo); /* count, then sums of r, g, b */
    if (!histo)
        return gh_error(GH_ERR_NOMEM, "no memory for a color histogram");
    double *sums = histo + nbins;
    size_t n = gh_image_plane_size(rgb);
    struct vbox boxes[GH_PALETTE_MAX] = {{{HBINS, HBINS, HBINS}, {-1, -1, -1}, 0}};
    for (size_t i = 0; i < n; i++) {
        float v[3];
        int q[3];
        for (int c = 0; c < 3; c++) {
            v[c] = gh_ops_clampf(gh_image_plane(rgb, c)[i], 0, 1);
            q[c] = (int)lrintf(v[c] * 255) >> (8 - SIGBITS);
            if (q[c] < boxes[0].lo[c])
                boxes[0].lo[c] = q[c];
            if (q[c] > boxes[0].hi[c])
                boxes[0].hi[c] = q[c];
        }
        int h = hidx(q[0], q[1], q[2]);
        histo[h] += 1;
        for (int c = 0; c < 3; c++)
            sums[(size_t)c * nbins + (size_t)h] += v[c];
    }
    boxes[0].count = (double)n;
    int nboxes = 1;
    int first = (int)(0.75 * count);
    mmcq_iterate(boxes, &nboxes, first > 1 ? first : 1, histo, 0);
    for (int i = 0; i < nboxes; i++)
        boxes[i].count = fabs(boxes[i].count);
    mmcq_iterate(boxes, &nboxes, count, histo, 1);
    for (int i = 0; i < nboxes; i++) {
        struct vbox *v = &boxes[i];
        double s[3] = {0}, cnt = 0;
        for (int r = v->lo[0]; r <= v->hi[0]; r++)
            for (int g = v->lo[1]; g <= v->hi[1]; g++)
                for (int b = v->lo[2]; b <= v->hi[2]; b++) {
                    int h = hidx(r, g, b);
                    cnt += histo[h];
                    for (int c = 0; c < 3; c++)
                        s[c] += sums[(size_t)c * nbins + (size_t)h];
                }
        if (cnt == 0)
            continue;
        for (int c = 0; c < 3; c++)
            out->color[out->count][c] = (float)(s[c] / cnt);
        out->weight[out->count++] = cnt / (double)n;
    }
    free(histo);
    palette_sort(out);
    return GH_OK;
}

/* ---- mapping ------------------------------------------------------------- */
struct apply_job {
    struct gh_image *lab; /* converted in place */
    float pal[GH_PALETTE_MAX][3];
    int count, chroma_only;
    float inv2s2; /* 1 / (2 softness^2), 0 for hard assignment */
};

static void apply_rows(void *ctx, int begin, int end)
{
    struct apply_job *j = ctx;
    size_t w = (size_t)j->lab->width;
    float *L = gh_image_plane(j->lab, 0), *A = gh_image_plane(j->lab, 1),
          *B = gh_image_plane(j->lab, 2);
    float d2[GH_PALETTE_MAX];
    for (size_t at = (size_t)begin * w; at < (size_t)end * w; at++) {
        float dmin = FLT_MAX;
        int best = 0;
        for (int i = 0; i < j->count; i++) {
            float dl = j->chroma_only ? 0 : L[at] - j->pal[i][0];
            float da = A[at] - j->pal[i][1], db = B[at] - j->pal[i][2];
            d2[i] = dl * dl + da * da + db * db;
            if (d2[i] < dmin) {
                dmin = d2[i];
                best = i;
            }
        }
        float o[3];
        if (j->inv2s2 == 0) {
            memcpy(o, j->pal[best], sizeof o);
        } else {
            float ws = 0;
            o[0] = o[1] = o[2] = 0;
            for (int i = 0; i < j->count; i++) {
                float wgt = expf(-(d2[i] - dmin) * j->inv2s2);
                ws += wgt;
                for (int c = 0; c < 3; c++)
                    o[c] += wgt * j->pal[i][c];
            }
            for (int c = 0; c < 3; c++)
                o[c] /= ws;
        }
        if (j->chroma_only == GH_PALETTE_HUE) {
            /* The palette's hue at the pixel's own chroma: a look's palette
             * tints without muting vivid colors. A color far from every
             * palette color (a red cup in a look without red) is pulled less,
             * so the look shifts nearby hues and leaves foreign ones be. */
            float c = sqrtf(A[at] * A[at] + B[at] * B[at]), oc = sqrtf(o[1] * o[1] + o[2] * o[2]);
            if (oc > 1e-6f) {
                float k = c / oc, reach = expf(-dmin * (1.0f / (2.0f * GH_PALETTE_HUE_REACH * GH_PALETTE_HUE_REACH)));
                A[at] += reach * (o[1] * k - A[at]);
                B[at] += reach * (o[2] * k - B[at]);
            }
            continue;
        }
        if (!j->chroma_only)
            L[at] = o[0];
        A[at] = o[1];
        B[at] = o[2];
    }
}

enum gh_status gh_ops_palette_apply(const struct gh_image *rgb, const struct gh_palette *palette,
                                    double softness, int chroma_only, int threads,
                                    struct gh_image **out)
{
    *out = NULL;
    if (palette->count < 1 || palette->count > GH_PALETTE_MAX || !(softness >= 0))
        return gh_error(GH_ERR_ARGUMENT, "palette of %d colors, softness %g", palette->count,
                        softness);
    if (chroma_only < GH_PALETTE_FULL || chroma_only > GH_PALETTE_HUE)
        return gh_error(GH_ERR_ARGUMENT, "palette mode %d", chroma_only);
    struct apply_job j = {.count = palette->count, .chroma_only = chroma_only,
                          .inv2s2 = softness > 0 ? (float)(0.5 / (softness * softness)) : 0};
    memcpy(j.pal, palette->color, sizeof j.pal);
    enum gh_status st = palette_convert(j.pal, j.count, GH_COLOR_SRGB, GH_COLOR_LAB);
    if (st != GH_OK)
        return st;
    if ((st = gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_LAB, threads, &j.lab)) != GH_OK)
        return st;
    gh_parallel_for(rgb->height, threads, apply_rows, &j);
    st = gh_ops_color_convert(j.lab, GH_COLOR_LAB, GH_COLOR_SRGB, threads, out);
    gh_image_free(j.lab);
    return st;
}

enum gh_status gh_ops_label_mean(const struct gh_image *in, const int *labels, int count,
                                 struct gh_image **out)
{
    *out = NULL;
    if (count < 1)
        return gh_error(GH_ERR_ARGUMENT, "%d labels", count);
    size_t n = gh_image_plane_size(in);
    double *sums = calloc((size_t)count * (size_t)(in->channels + 1), sizeof *sums);
    if (!sums)
        return gh_error(GH_ERR_NOMEM, "no memory for %d label means", count);
    enum gh_status st = GH_OK;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= count) {
            st = gh_error(GH_ERR_ARGUMENT, "label %d outside 0..%d", labels[i], count - 1);
            goto out;
        }
        double *s = sums + (size_t)labels[i] * (size_t)(in->channels + 1);
        s[0] += 1;
        for (int c = 0; c < in->channels; c++)
            s[c + 1] += gh_image_plane(in, c)[i];
    }
    if ((st = gh_image_new(in->width, in->height, in->channels, out)) != GH_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const double *s = sums + (size_t)labels[i] * (size_t)(in->channels + 1);
        for (int c = 0; c < in->channels; c++)
            gh_image_plane(*out, c)[i] = (float)(s[c + 1] / s[0]);
    }
out:
    free(sums);
    return st;
}
