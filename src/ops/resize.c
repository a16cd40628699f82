/* Separable resampling: each axis is described by a table of taps (first source
 * index, weights), built once per call, so every interpolation shares one
 * horizontal and one vertical pass. Shrinking vertically runs the vertical pass
 * first (on whole source rows); otherwise the horizontal pass runs first, on the
 * source rows the vertical pass will read. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

struct axis_taps {
    int *first;   /* first source index per output coordinate */
    float *weight; /* per output coordinate: `span` weights */
    float *scratch; /* span floats for taps_clamp */
    int span;
    /* 2 taps, groups of 8 outputs (AVX2 horizontal pass): per output its first tap
     * relative to its group's (-1 at a group's start: wider than 32 source
     * values), then per group 8 first-tap and 8 second-tap weights */
    int *goff;
    float *gw;
};

/* Frees the tables and forgets them, so freeing again (taps_alloc's failure,
 * then the caller's cleanup) is harmless. */
static void taps_free(struct axis_taps *t)
{
    free(t->first);
    free(t->weight);
    free(t->scratch);
    free(t->goff);
    free(t->gw);
    t->first = NULL;
    t->weight = NULL;
    t->scratch = NULL;
    t->goff = NULL;
    t->gw = NULL;
}

/* The group tables of a 2-tap axis; without memory the scalar pass does the work. */
static void taps_groups(struct axis_taps *t, int out_size)
{
    int groups = out_size / 8;
    if (t->span != 2 || groups == 0)
        return;
    t->goff = malloc((size_t)groups * 8 * sizeof *t->goff);
    t->gw = malloc((size_t)groups * 16 * sizeof *t->gw);
    if (!t->goff || !t->gw) {
        free(t->goff);
        free(t->gw);
        t->goff = NULL;
        t->gw = NULL;
        return;
    }
    for (int g = 0; g < groups; g++) {
        int base = t->first[8 * g];
        for (int q = 0; q < 8; q++) {
            int x = 8 * g + q;
            t->goff[x] = t->first[x] - base;
            t->gw[16 * g + q] = t->weight[2 * x];
            t->gw[16 * g + 8 + q] = t->weight[2 * x + 1];
        }
        if (t->first[8 * g + 7] + 1 - base > 31)
            t->goff[8 * g] = -1;
    }
}

static enum gh_status taps_alloc(struct axis_taps *t, int out_size, int span)
{
    t->span = span;
    t->first = calloc((size_t)out_size, sizeof *t->first);
    t->weight = calloc((size_t)out_size * (size_t)span, sizeof *t->weight);
    t->scratch = calloc((size_t)span, sizeof *t->scratch);
    if (!t->first || !t->weight || !t->scratch) {
        taps_free(t);
        return gh_error(GH_ERR_NOMEM, "no memory for resize tables");
    }
    return GH_OK;
}

/* Clamps a tap window to the source so that borders replicate the edge pixel,
 * folding the weight of out-of-range taps onto the nearest valid index. */
static void taps_clamp(struct axis_taps *t, int o, int in_size)
{
    int first = t->first[o];
    float *w = t->weight + (size_t)o * (size_t)t->span;
    if (first >= 0 && first + t->span <= in_size)
        return;
    float *folded = t->scratch;
    memset(folded, 0, (size_t)t->span * sizeof *folded);
    int new_first = first < 0 ? 0 : first;
    if (new_first + t->span > in_size)
        new_first = in_size - t->span < 0 ? 0 : in_size - t->span;
    for (int k = 0; k < t->span; k++) {
        int i = first + k;
        if (i < 0)
            i = 0;
        if (i > in_size - 1)
            i = in_size - 1;
        folded[i - new_first] += w[k];
    }
    memcpy(w, folded, (size_t)t->span * sizeof *w);
    t->first[o] = new_first;
}

/* OpenCV's source coordinate of output o: pixel centers at +0.5, computed in
 * float like cv::resize so ties fall the same way. */
static float source_coord(int o, double scale)
{
    return (float)((o + 0.5) * scale - 0.5);
}

static void cubic_weights(float x, float *w)
{
    const float a = -0.75f; /* OpenCV's bicubic coefficient */
    w[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
    w[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
    w[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
    w[3] = 1.f - w[0] - w[1] - w[2];
}

/* Lanczos window with 4 lobes (cv2.INTER_LANCZOS4): sinc(t) sinc(t/4), 8 taps, normalized. */
static void lanczos4_weights(float x, float *w)
{
    if (x < 1.1920929e-7f) {
        for (int i = 0; i < 8; i++)
            w[i] = 0;
        w[3] = 1;
        return;
    }
    static const double s45 = 0.70710678118654752440;
    static const double cs[8][2] = {{1, 0}, {-s45, -s45}, {0, 1},  {s45, -s45},
                                    {-1, 0}, {s45, s45},  {0, -1}, {-s45, s45}};
    const double pi = 3.14159265358979323846;
    double y0 = -(x + 3) * pi * 0.25, s0 = sin(y0), c0 = cos(y0);
    float sum = 0;
    for (int i = 0; i < 8; i++) {
        double y = -(x + 3 - i) * pi * 0.25;
        w[i] = (float)((cs[i][0] * s0 + cs[i][1] * c0) / (y * y));
        sum += w[i];
    }
    sum = 1.f / sum;
    for (int i = 0; i < 8; i++)
        w[i] *= sum;
}

/* Interpolating kernels (linear, cubic, Lanczos-4) evaluated at OpenCV's
 * coordinates without widening when shrinking, exactly as cv2.resize does;
 * `area_up` gives INTER_AREA's coefficients when the image grows. */
static enum gh_status taps_interp(struct axis_taps *t, enum gh_interp interp, int in_size,
                                  int out_size, int area_up)
{
    int ksize = interp == GH_INTERP_CUBIC ? 4 : interp == GH_INTERP_LANCZOS4 ? 8 : 2;
    int span = ksize < in_size ? ksize : in_size;
    enum gh_status st = taps_alloc(t, out_size, ksize);
    if (st != GH_OK)
        return st;
    double scale = (double)in_size / out_size, inv_scale = (double)out_size / in_size;
    float w8[8];
    for (int o = 0; o < out_size; o++) {
        int i;
        float fx;
        if (area_up) {
            i = (int)floor(o * scale);
            fx = (float)((o + 1) - (i + 1) * inv_scale);
            fx = fx <= 0 ? 0.f : fx - floorf(fx);
        } else {
            fx = source_coord(o, scale);
            i = (int)floorf(fx);
            fx -= (float)i;
        }
        if (ksize == 2) {
            if (i < 0) {
                i = 0;
                fx = 0;
            }
            if (i >= in_size - 1) {
                i = in_size - 1;
                fx = 0;
            }
            w8[0] = 1.f - fx;
            w8[1] = fx;
        } else if (ksize == 4) {
            cubic_weights(fx, w8);
        } else {
            lanczos4_weights(fx, w8);
        }
        memcpy(t->weight + (size_t)o * (size_t)ksize, w8, (size_t)ksize * sizeof(float));
        t->first[o] = i - ksize / 2 + 1;
        taps_clamp(t, o, in_size);
    }
    if (span < ksize) { /* the source is narrower than the kernel: repack to `span` taps */
        for (int o = 0; o < out_size; o++)
            memmove(t->weight + (size_t)o * (size_t)span, t->weight + (size_t)o * (size_t)ksize,
                    (size_t)span * sizeof(float));
        t->span = span;
    }
    return GH_OK;
}

static enum gh_status taps_nearest(struct axis_taps *t, int in_size, int out_size)
{
    enum gh_status st = taps_alloc(t, out_size, 1);
    if (st != GH_OK)
        return st;
    double scale = (double)in_size / out_size;
    for (int o = 0; o < out_size; o++) {
        int i = (int)floor(o * scale);
        t->first[o] = i > in_size - 1 ? in_size - 1 : i;
        t->weight[o] = 1.0f;
    }
    return GH_OK;
}

/* Exact box integration: output o covers [o*scale, (o+1)*scale) of the source. */
static enum gh_status taps_area(struct axis_taps *t, int in_size, int out_size)
{
    double scale = (double)in_size / out_size;
    /* An integer factor aligns every window with pixel edges: no partial pixel. */
    int span = in_size % out_size == 0 ? in_size / out_size : (int)ceil(scale) + 1;
    /* A window wider than the source would read past it even with zero weights. */
    enum gh_status st = taps_alloc(t, out_size, span < in_size ? span : in_size);
    if (st != GH_OK)
        return st;
    for (int o = 0; o < out_size; o++) {
        double lo = o * scale, hi = (o + 1) * scale;
        int first = (int)floor(lo);
        if (first > in_size - t->span)
            first = in_size - t->span;
        float *w = t->weight + (size_t)o * (size_t)t->span;
        for (int k = 0; k < t->span; k++) {
            double a = first + k, b = first + k + 1;
            double overlap = fmin(b, hi) - fmax(a, lo);
            w[k] = overlap > 0 ? (float)(overlap / scale) : 0.0f;
        }
        t->first[o] = first;
    }
    return GH_OK;
}

struct resize_job {
    const struct gh_image *in;
    float *tmp; /* channels x rows x out width: the needed source rows, resampled in x */
    struct gh_image *out;
    const struct axis_taps *tx, *ty;
    const int *row; /* per source row: its index in tmp, or -1 when no vertical tap reads it */
    int rows;       /* rows in tmp */
    int y0;         /* out's first row is row y0 of the whole resized image */
};

/* One output row of the horizontal pass. */
static void hrow(const struct axis_taps *tx, const float *src, float *dst, int ow)
{
    const float *w = tx->weight;
    const int *first = tx->first;
    int span = tx->span;
    if (span == 2) {
        for (int x = 0; x < ow; x++)
            dst[x] = w[2 * x] * src[first[x]] + w[2 * x + 1] * src[first[x] + 1];
        return;
    }
    for (int x = 0; x < ow; x++) {
        const float *wx = w + (size_t)x * (size_t)span, *sx = src + first[x];
        float acc = 0;
        for (int k = 0; k < span; k++)
            acc += wx[k] * sx[k];
        dst[x] = acc;
    }
}

static void resize_rows_h(void *ctx, int begin, int end)
{
    struct resize_job *j = ctx;
    int ow = j->out->width;
    for (int r = begin; r < end; r++) { /* r enumerates (channel, row) pairs */
        int c = r / j->in->height, y = r % j->in->height;
        if (j->row[y] < 0) /* shrinking: most source rows carry no vertical weight */
            continue;
        hrow(j->tx, gh_image_plane(j->in, c) + (size_t)y * (size_t)j->in->width,
             j->tmp + ((size_t)c * (size_t)j->rows + (size_t)j->row[y]) * (size_t)ow, ow);
    }
}

#if GH_OPS_X86
#include <immintrin.h>

/* 8 lanes of the 32 floats r[0..3] picked by idx (0..31): AVX2 permutes within 8
 * floats, so pick from each register and keep the lanes whose index falls in it. */
__attribute__((target("avx2,fma"))) static inline __m256 pick32(const __m256 *r, __m256i idx)
{
    __m256 v = _mm256_permutevar8x32_ps(r[0], idx);
    for (int m = 1; m < 4; m++) {
        __m256 in = _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(8 * m - 1)));
        v = _mm256_blendv_ps(v, _mm256_permutevar8x32_ps(r[m], idx), in);
    }
    return v;
}

/* hrow for 2 taps without gathers (slow on some x86 cores): the taps of 8
 * consecutive outputs of a shrink by up to about 4 lie within 32 source values,
 * loaded as 4 vectors and picked by permutes. src must be readable 32 floats past
 * every group's first tap. */
__attribute__((target("avx2,fma"))) static void hrow2_avx2(const struct axis_taps *tx,
                                                           const float *src, float *dst, int ow)
{
    int x = 0;
    for (; x + 8 <= ow; x += 8) {
        const int *off = tx->goff + x;
        const float *w = tx->weight + 2 * x;
        if (off[0] < 0) {
            for (int q = 0; q < 8; q++)
                dst[x + q] = w[2 * q] * src[tx->first[x + q]] + w[2 * q + 1] * src[tx->first[x + q] + 1];
            continue;
        }
        const float *base = src + tx->first[x];
        __m256 r[4] = {_mm256_loadu_ps(base), _mm256_loadu_ps(base + 8), _mm256_loadu_ps(base + 16),
                       _mm256_loadu_ps(base + 24)};
        __m256i idx = _mm256_loadu_si256((const __m256i *)off);
        __m256 a = pick32(r, idx), b = pick32(r, _mm256_add_epi32(idx, _mm256_set1_epi32(1)));
        const float *gw = tx->gw + 2 * x;
        _mm256_storeu_ps(dst + x, _mm256_fmadd_ps(_mm256_loadu_ps(gw + 8), b,
                                                  _mm256_mul_ps(_mm256_loadu_ps(gw), a)));
    }
    for (; x < ow; x++)
        dst[x] = tx->weight[2 * x] * src[tx->first[x]] + tx->weight[2 * x + 1] * src[tx->first[x] + 1];
}
#endif

/* dst = sum of w[k] * src[k] over n >= 1 rows, in one pass over dst when n <= 4.
 * Compiled for the baseline ISA and, on x86-64, for AVX2+FMA. */
static inline __attribute__((always_inline)) void
vrow_body(int width, int n, const float *w, const float *const *src, float *restrict dst)
{
    const float *restrict s0 = src[0];
    float w0 = w[0];
    if (n == 2) {
        const float *restrict s1 = src[1];
        float w1 = w[1];
        for (int x = 0; x < width; x++)
            dst[x] = w0 * s0[x] + w1 * s1[x];
        return;
    }
    if (n == 4) {
        const float *restrict s1 = src[1], *restrict s2 = src[2], *restrict s3 = src[3];
        float w1 = w[1], w2 = w[2], w3 = w[3];
        for (int x = 0; x < width; x++)
            dst[x] = w0 * s0[x] + w1 * s1[x] + w2 * s2[x] + w3 * s3[x];
        return;
    }
    for (int x = 0; x < width; x++)
        dst[x] = w0 * s0[x];
    for (int k = 1; k < n; k++) {
        const float *restrict sk = src[k];
        float wk = w[k];
        for (int x = 0; x < width; x++)
            dst[x] += wk * sk[x];
    }
}

static void vrow_generic(int width, int n, const float *w, const float *const *src, float *dst)
{
    vrow_body(width, n, w, src, dst);
}

#if GH_OPS_X86
__attribute__((target("avx2,fma"))) static void
vrow_avx2(int width, int n, const float *w, const float *const *src, float *dst)
{
    vrow_body(width, n, w, src, dst);
}
#endif

static void resize_rows_v(void *ctx, int begin, int end)
{
    struct resize_job *j = ctx;
    int width = j->out->width, span = j->ty->span;
    void (*row_fn)(int, int, const float *, const float *const *, float *) = vrow_generic;
#if GH_OPS_X86
    if (gh_ops_simd_level() >= 1)
        row_fn = vrow_avx2;
#endif
    const float **src = malloc((size_t)span * sizeof *src);
    float *wts = malloc((size_t)span * sizeof *wts);
    for (int r = begin; r < end; r++) {
        int c = r / j->out->height, y = r % j->out->height, ty = j->y0 + y;
        const float *w = j->ty->weight + (size_t)ty * (size_t)span;
        const float *plane = j->tmp + (size_t)c * (size_t)j->rows * (size_t)width;
        float *dst = gh_image_plane(j->out, c) + (size_t)y * (size_t)width;
        if (!src || !wts) { /* no memory for the tap list: accumulate tap by tap */
            for (int x = 0; x < width; x++)
                dst[x] = 0;
            for (int k = 0; k < span; k++)
                if (w[k] != 0) {
                    const float *s = plane + (size_t)j->row[j->ty->first[ty] + k] * (size_t)width;
                    for (int x = 0; x < width; x++)
                        dst[x] += w[k] * s[x];
                }
            continue;
        }
        int n = 0; /* rows with zero weight were never resampled: skip them */
        for (int k = 0; k < span; k++)
            if (w[k] != 0) {
                wts[n] = w[k];
                src[n++] = plane + (size_t)j->row[j->ty->first[ty] + k] * (size_t)width;
            }
        if (n == 0) {
            for (int x = 0; x < width; x++)
                dst[x] = 0;
            continue;
        }
        row_fn(width, n, wts, src, dst);
    }
    free(src);
    free(wts);
}

/* Vertical-first order, used when the image shrinks vertically: for each output
 * row the vertical pass combines whole source rows (contiguous, vectorized) into
 * a row buffer, which the gathering horizontal pass then reads from cache. */
static void vfirst_rows(void *ctx, int begin, int end)
{
    struct resize_job *j = ctx;
    int iw = j->in->width, oh = j->out->height, ow = j->out->width, span = j->ty->span;
    void (*row_fn)(int, int, const float *, const float *const *, float *) = vrow_generic;
#if GH_OPS_X86
    if (gh_ops_simd_level() >= 1)
        row_fn = vrow_avx2;
#endif
    const float **src = malloc((size_t)span * sizeof *src);
    float *wts = malloc((size_t)span * sizeof *wts);
    /* 32 floats of slack past the row for hrow2_avx2's vector loads */
    float *line = malloc(((size_t)iw + 32) * sizeof *line);
    int fast_h = 0;
#if GH_OPS_X86
    fast_h = j->tx->goff && gh_ops_simd_level() >= 1;
#endif
    if (line)
        memset(line + iw, 0, 32 * sizeof *line);
    for (int r = begin; r < end; r++) {
        int c = r / oh, y = r % oh, ty = j->y0 + y;
        const float *w = j->ty->weight + (size_t)ty * (size_t)span;
        const float *plane = gh_image_plane(j->in, c) + (size_t)j->ty->first[ty] * (size_t)iw;
        float *dst = gh_image_plane(j->out, c) + (size_t)y * (size_t)ow;
        if (!src || !wts || !line) { /* no memory for buffers: output pixel by pixel */
            for (int x = 0; x < ow; x++) {
                const float *wx = j->tx->weight + (size_t)x * (size_t)j->tx->span;
                float acc = 0;
                for (int k = 0; k < span; k++)
                    for (int q = 0; q < j->tx->span; q++)
                        acc += w[k] * wx[q] *
                               plane[(size_t)k * (size_t)iw + (size_t)(j->tx->first[x] + q)];
                dst[x] = acc;
            }
            continue;
        }
        int n = 0;
        for (int k = 0; k < span; k++)
            if (w[k] != 0) {
                wts[n] = w[k];
                src[n++] = plane + (size_t)k * (size_t)iw;
            }
        if (n == 0)
            for (int x = 0; x < iw; x++)
                line[x] = 0;
        else
            row_fn(iw, n, wts, src, line);
#if GH_OPS_X86
        if (fast_h) {
            hrow2_avx2(j->tx, line, dst, ow);
            continue;
        }
#endif
        hrow(j->tx, line, dst, ow);
    }
    free(src);
    free(wts);
    free(line);
}

static enum gh_status build_taps(struct axis_taps *t, enum gh_interp interp, int in_size,
                                 int out_size, int area_shrinks)
{
    switch (interp) {
    case GH_INTERP_NEAREST:
        return taps_nearest(t, in_size, out_size);
    case GH_INTERP_LINEAR:
    case GH_INTERP_CUBIC:
    case GH_INTERP_LANCZOS4:
        return taps_interp(t, interp, in_size, out_size, 0);
    case GH_INTERP_AREA:
        /* Like OpenCV: true area averaging only when neither axis grows. */
        if (area_shrinks)
            return taps_area(t, in_size, out_size);
        return taps_interp(t, GH_INTERP_LINEAR, in_size, out_size, 1);
    default:
        return gh_error(GH_ERR_ARGUMENT, "unknown interpolation %d", (int)interp);
    }
}

enum gh_status gh_ops_resize(const struct gh_image *in, int width, int height,
                             enum gh_interp interp, int threads, struct gh_image **out)
{
    return gh_ops_resize_rows(in, width, height, interp, 0, height, threads, out);
}

enum gh_status gh_ops_resize_rows(const struct gh_image *in, int width, int height,
                                  enum gh_interp interp, int y0, int y1, int threads,
                                  struct gh_image **out)
{
    struct axis_taps tx = {0}, ty = {0};
    float *tmp = NULL;
    int *row = NULL;
    enum gh_status st;
    *out = NULL;
    if (width < 1 || height < 1)
        return gh_error(GH_ERR_ARGUMENT, "resize to %dx%d", width, height);
    if (width > GH_IMAGE_MAX_SIDE || height > GH_IMAGE_MAX_SIDE)
        return gh_error(GH_ERR_TOO_LARGE, "resize to %dx%d", width, height);
    if (y0 < 0 || y1 > height || y0 >= y1)
        return gh_error(GH_ERR_ARGUMENT, "rows %d..%d of a resize to %dx%d", y0, y1, width, height);
    int shrinks = width <= in->width && height <= in->height;
    if ((st = build_taps(&tx, interp, in->width, width, shrinks)) != GH_OK)
        goto out;
    if ((st = build_taps(&ty, interp, in->height, height, shrinks)) != GH_OK)
        goto out;
    if (height < in->height) { /* vertical shrink: vertical pass first */
        if ((st = gh_image_new_uninit(width, y1 - y0, in->channels, out)) != GH_OK)
            goto out;
        taps_groups(&tx, width);
        struct resize_job vj = {in, NULL, *out, &tx, &ty, NULL, 0, y0};
        gh_ops_parallel_chunks(in->channels * (y1 - y0), 32, threads, vfirst_rows, &vj);
        goto out;
    }
    row = malloc((size_t)in->height * sizeof *row);
    if (!row) {
        st = gh_error(GH_ERR_NOMEM, "no memory for resize tables");
        goto out;
    }
    for (int y = 0; y < in->height; y++)
        row[y] = -1;
    for (int y = y0; y < y1; y++)
        for (int k = 0; k < ty.span; k++)
            if (ty.weight[(size_t)y * (size_t)ty.span + (size_t)k] != 0)
                row[ty.first[y] + k] = 0;
    int rows = 0;
    for (int y = 0; y < in->height; y++)
        if (row[y] == 0)
            row[y] = rows++;
    tmp = malloc((size_t)in->channels * (size_t)(rows ? rows : 1) * (size_t)width * sizeof *tmp);
    if (!tmp) {
        st = gh_error(GH_ERR_NOMEM, "no memory to resize %dx%d to %dx%d", in->width, in->height,
                      width, height);
        goto out;
    }
    if ((st = gh_image_new_uninit(width, y1 - y0, in->channels, out)) != GH_OK)
        goto out;
    struct resize_job job = {in, tmp, *out, &tx, &ty, row, rows, y0};
    gh_parallel_for(in->channels * in->height, threads, resize_rows_h, &job);
    gh_parallel_for(in->channels * (y1 - y0), threads, resize_rows_v, &job);
out:
    taps_free(&tx);
    taps_free(&ty);
    free(tmp);
    free(row);
    return st;
}
