/* Separable resampling: each axis is described by a table of taps (first source
 * index, weights), built once per call, so every interpolation shares one
 * horizontal and one vertical pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"

struct axis_taps {
    int *first;   /* first source index per output coordinate */
    float *weight; /* per output coordinate: `span` weights */
    float *scratch; /* span floats for taps_clamp */
    int span;
};

static void taps_free(struct axis_taps *t)
{
    free(t->first);
    free(t->weight);
    free(t->scratch);
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

static enum gh_status taps_linear(struct axis_taps *t, int in_size, int out_size)
{
    enum gh_status st = taps_alloc(t, out_size, in_size > 1 ? 2 : 1);
    if (st != GH_OK)
        return st;
    double scale = (double)in_size / out_size;
    for (int o = 0; o < out_size; o++) {
        double f = (o + 0.5) * scale - 0.5;
        int i = (int)floor(f);
        double frac = f - i;
        /* OpenCV replicates the edge by clamping the sample position itself. */
        if (i < 0) {
            i = 0;
            frac = 0;
        }
        if (i >= in_size - 1) {
            i = in_size - 1;
            frac = 0;
        }
        float *w = t->weight + (size_t)o * (size_t)t->span;
        w[0] = (float)(1.0 - frac);
        if (t->span == 2)
            w[1] = (float)frac;
        t->first[o] = i;
        taps_clamp(t, o, in_size);
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
    if (scale <= 1.0)
        return taps_linear(t, in_size, out_size);
    int span = (int)ceil(scale) + 1;
    /* A window wider than the source would read past it even with zero weights. */
    enum gh_status st = taps_alloc(t, out_size, span < in_size ? span : in_size);
    if (st != GH_OK)
        return st;
    for (int o = 0; o < out_size; o++) {
        double lo = o * scale, hi = (o + 1) * scale;
        int first = (int)floor(lo);
        float *w = t->weight + (size_t)o * (size_t)t->span;
        for (int k = 0; k < t->span; k++) {
            double a = first + k, b = first + k + 1;
            double overlap = fmin(b, hi) - fmax(a, lo);
            w[k] = overlap > 0 ? (float)(overlap / scale) : 0.0f;
        }
        t->first[o] = first;
        taps_clamp(t, o, in_size);
    }
    return GH_OK;
}

struct resize_job {
    const struct gh_image *in;
    struct gh_image *tmp; /* out width x in height */
    struct gh_image *out;
    const struct axis_taps *tx, *ty;
};

static void resize_rows_h(void *ctx, int begin, int end)
{
    struct resize_job *j = ctx;
    for (int r = begin; r < end; r++) { /* r enumerates (channel, row) pairs */
        int c = r / j->in->height, y = r % j->in->height;
        const float *src = gh_image_plane(j->in, c) + (size_t)y * (size_t)j->in->width;
        float *dst = gh_image_plane(j->tmp, c) + (size_t)y * (size_t)j->tmp->width;
        for (int x = 0; x < j->tmp->width; x++) {
            const float *w = j->tx->weight + (size_t)x * (size_t)j->tx->span;
            const float *s = src + j->tx->first[x];
            float acc = 0;
            for (int k = 0; k < j->tx->span; k++)
                acc += w[k] * s[k];
            dst[x] = acc;
        }
    }
}

static void resize_rows_v(void *ctx, int begin, int end)
{
    struct resize_job *j = ctx;
    int width = j->out->width;
    for (int r = begin; r < end; r++) {
        int c = r / j->out->height, y = r % j->out->height;
        const float *w = j->ty->weight + (size_t)y * (size_t)j->ty->span;
        const float *src = gh_image_plane(j->tmp, c) + (size_t)j->ty->first[y] * (size_t)width;
        float *dst = gh_image_plane(j->out, c) + (size_t)y * (size_t)width;
        for (int x = 0; x < width; x++)
            dst[x] = 0;
        for (int k = 0; k < j->ty->span; k++) {
            const float *s = src + (size_t)k * (size_t)width;
            float wk = w[k];
            if (wk == 0)
                continue;
            for (int x = 0; x < width; x++)
                dst[x] += wk * s[x];
        }
    }
}

static enum gh_status build_taps(struct axis_taps *t, enum gh_interp interp, int in_size,
                                 int out_size)
{
    switch (interp) {
    case GH_INTERP_NEAREST:
        return taps_nearest(t, in_size, out_size);
    case GH_INTERP_LINEAR:
        return taps_linear(t, in_size, out_size);
    case GH_INTERP_AREA:
        return taps_area(t, in_size, out_size);
    default:
        return gh_error(GH_ERR_ARGUMENT, "unknown interpolation %d", (int)interp);
    }
}

enum gh_status gh_ops_resize(const struct gh_image *in, int width, int height,
                             enum gh_interp interp, int threads, struct gh_image **out)
{
    struct axis_taps tx = {0}, ty = {0};
    struct gh_image *tmp = NULL;
    enum gh_status st;
    *out = NULL;
    if (width < 1 || height < 1)
        return gh_error(GH_ERR_ARGUMENT, "resize to %dx%d", width, height);
    if ((st = build_taps(&tx, interp, in->width, width)) != GH_OK)
        goto out;
    if ((st = build_taps(&ty, interp, in->height, height)) != GH_OK)
        goto out;
    if ((st = gh_image_new(width, in->height, in->channels, &tmp)) != GH_OK)
        goto out;
    if ((st = gh_image_new(width, height, in->channels, out)) != GH_OK)
        goto out;
    struct resize_job job = {in, tmp, *out, &tx, &ty};
    gh_parallel_for(in->channels * in->height, threads, resize_rows_h, &job);
    gh_parallel_for(in->channels * height, threads, resize_rows_v, &job);
out:
    taps_free(&tx);
    taps_free(&ty);
    gh_image_free(tmp);
    return st;
}
