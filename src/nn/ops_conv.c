/* Convolutions and MatMul on SGEMM (gemm.c). NCHW throughout.
 * - 1x1, stride 1, no padding: out[n] = W[M,C] * X[n][C,HW], one GEMM.
 * - depthwise (group == C == M): a direct loop per channel, parallel over channels.
 * - everything else: im2col of a band of output rows into scratch, then GEMM
 *   into that band of the output (ldc = OH*OW), so the column buffer stays
 *   small at any image size.
 * 1-D convolutions run as 2-D with a height of 1. */
#include "nn/nn_ops.h"
#include "nn/nn_winograd.h"

#include <stdlib.h>
#include <string.h>

#define COL_BYTES (8u << 20) /* im2col band budget */

int gh_nn_use_winograd = 1;
int gh_nn_use_direct_small = 1;
int gh_nn_use_banded_im2col = 1;

/* Transformed weights for node i: cached in the model when the weights are a
 * constant, else made into scratch for this run. */
static enum gh_status wino_weights(struct gh_nn_exec *x, const struct gh_nn_node *node, const float *w, int64_t m,
                                   int64_t c, const float **out)
{
    struct gh_nn_model *md = x->m;
    size_t n = gh_nn_wino_weights_size(m, c);
    enum gh_status st;
    if (md->values[node->in[1]].kind != GH_NN_VALUE_CONST) {
        float *u;
        if ((st = gh_nn_scratch(x, n * sizeof(float), (void **)&u)))
            return st;
        gh_nn_wino_weights(w, m, c, u);
        *out = u;
        return GH_OK;
    }
    if (!md->wino && !(md->wino = calloc((size_t)md->n_nodes, sizeof *md->wino)))
        return gh_error(GH_ERR_NOMEM, "out of memory");
    if (!md->wino[x->node_index]) {
        float *u = malloc(n * sizeof(float));
        if (!u)
            return gh_error(GH_ERR_NOMEM, "out of memory");
        gh_nn_wino_weights(w, m, c, u);
        md->wino[x->node_index] = u;
    }
    *out = md->wino[x->node_index];
    return GH_OK;
}

struct conv_geom {
    int64_t n, c, h, w;     /* input */
    int64_t m, oh, ow;      /* output channels and size */
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pt, pl, pb, pr; /* pads: top, left, bottom, right */
    int reflect;            /* pads reflect the input (a fused Pad) instead of zeros */
    int64_t group;
};

GH_NN_CHECK(gh_nn_c_conv)
{
    (void)opset;
    const char *ap = gh_nn_attr_string(node, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && strcmp(ap, "SAME_UPPER") && strcmp(ap, "SAME_LOWER"))
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported auto_pad '%s' (node '%s')", ap, node->name);
    return GH_OK;
}

/* Reads spatial attributes for `sp` spatial dims (1 or 2) into 2-D form. */
static enum gh_status conv_attrs(struct gh_nn_exec *x, const struct gh_nn_node *node, int sp, int64_t *k,
                                 const int64_t *wk, int64_t *s, int64_t *d, int64_t *pads, int *have_k)
{
    int64_t v[8];
    int n;
    enum gh_status st;
    for (int i = 0; i < 2; i++) {
        k[i] = 1;
        s[i] = 1;
        d[i] = 1;
        pads[i] = pads[2 + i] = 0;
    }
    int off = 2 - sp; /* 1-D: the single dim is the width */
    for (int i = 0; i < sp; i++)
        k[off + i] = wk[i];
    *have_k = 0;
    if ((st = gh_nn_ints_arg(x, node, "kernel_shape", -1, v, 8, &n)))
        return st;
    if (n >= 0) {
        if (n != sp)
            return gh_error(GH_ERR_MODEL, "kernel_shape has %d values", n);
        for (int i = 0; i < sp; i++)
            if (v[i] != wk[i])
                return gh_error(GH_ERR_MODEL, "kernel_shape does not match the weights");
        *have_k = 1;
    }
    if ((st = gh_nn_ints_arg(x, node, "strides", -1, v, 8, &n)))
        return st;
    if (n >= 0 && n != sp)
        return gh_error(GH_ERR_MODEL, "strides has %d values", n);
    for (int i = 0; i < n; i++)
        s[off + i] = v[i];
    if ((st = gh_nn_ints_arg(x, node, "dilations", -1, v, 8, &n)))
        return st;
    if (n >= 0 && n != sp)
        return gh_error(GH_ERR_MODEL, "dilations has %d values", n);
    for (int i = 0; i < n; i++)
        d[off + i] = v[i];
    if ((st = gh_nn_ints_arg(x, node, "pads", -1, v, 8, &n)))
        return st;
    if (n >= 0 && n != 2 * sp)
        return gh_error(GH_ERR_MODEL, "pads has %d values", n);
    for (int i = 0; i < sp && n > 0; i++) {
        pads[off + i] = v[i];
        pads[2 + off + i] = v[sp + i];
    }
    for (int i = 0; i < 2; i++)
        if (s[i] < 1 || d[i] < 1 || s[i] > 65536 || d[i] > 65536 || pads[i] < 0 || pads[2 + i] < 0 ||
            pads[i] > 65536 || pads[2 + i] > 65536 || k[i] > 65536)
            return gh_error(GH_ERR_MODEL, "bad stride, dilation, kernel or pad");
    return GH_OK;
}

struct im2col_ctx {
    const float *x; /* one group's input channels [cg, h, w] */
    float *col;     /* [cg*kh*kw, rows*ow] */
    const struct conv_geom *g;
    int64_t cg, y0, rows;
};

GH_NN_SIMD static void im2col_range(void *arg, int begin, int end)
{
    const struct im2col_ctx *c = arg;
    const struct conv_geom *g = c->g;
    int64_t ncol = c->rows * g->ow;
    for (int64_t r = begin; r < end; r++) {
        int64_t ch = r / (g->kh * g->kw), ky = (r / g->kw) % g->kh, kx = r % g->kw;
        const float *plane = c->x + ch * g->h * g->w;
        float *dst = c->col + r * ncol;
        /* Valid output x range: 0 <= ox*sw - pl + kx*dw < w. */
        int64_t xoff = kx * g->dw - g->pl;
        int64_t x0 = 0, x1 = g->ow;
        while (x0 < g->ow && x0 * g->sw + xoff < 0)
            x0++;
        while (x1 > x0 && (x1 - 1) * g->sw + xoff >= g->w)
            x1--;
        for (int64_t oy = c->y0; oy < c->y0 + c->rows; oy++, dst += g->ow) {
            int64_t iy = oy * g->sh - g->pt + ky * g->dh;
            if (g->reflect) {
                const float *row = plane + gh_nn_reflect(iy, g->h) * g->w;
                for (int64_t ox = 0; ox < x0; ox++)
                    dst[ox] = row[gh_nn_reflect(ox * g->sw + xoff, g->w)];
                for (int64_t ox = x1; ox < g->ow; ox++)
                    dst[ox] = row[gh_nn_reflect(ox * g->sw + xoff, g->w)];
                if (g->sw == 1)
                    memcpy(dst + x0, row + xoff + x0, (size_t)(x1 - x0) * sizeof *dst);
                else
                    for (int64_t ox = x0; ox < x1; ox++)
                        dst[ox] = row[ox * g->sw + xoff];
                continue;
            }
            if (iy < 0 || iy >= g->h) {
                memset(dst, 0, (size_t)g->ow * sizeof *dst);
                continue;
            }
            const float *src = plane + iy * g->w + xoff;
            for (int64_t ox = 0; ox < x0; ox++)
                dst[ox] = 0;
            if (g->sw == 1)
                memcpy(dst + x0, src + x0, (size_t)(x1 - x0) * sizeof *dst);
            else
                for (int64_t ox = x0; ox < x1; ox++)
                    dst[ox] = src[ox * g->sw];
            for (int64_t ox = x1; ox < g->ow; ox++)
                dst[ox] = 0;
        }
    }
}

struct dw_ctx {
    const float *x, *w, *b;
    float *y;
    const struct conv_geom *g;
    const struct gh_nn_node *node; /* its post_act, applied per channel while hot */
};

GH_NN_SIMD static void depthwise_range(void *arg, int begin, int end)
{
    const struct dw_ctx *c = arg;
    const struct conv_geom *g = c->g;
    for (int64_t nc = begin; nc < end; nc++) {
        int64_t ch = nc % g->c;
        const float *plane = c->x + nc * g->h * g->w;
        const float *k = c->w + ch * g->kh * g->kw;
        float *out = c->y + nc * g->oh * g->ow;
        float bias = c->b ? c->b[ch] : 0;
        for (int64_t i = 0; i < g->oh * g->ow; i++)
            out[i] = bias;
        for (int64_t ky = 0; ky < g->kh; ky++)
            for (int64_t kx = 0; kx < g->kw; kx++) {
                float wv = k[ky * g->kw + kx];
                int64_t xoff = kx * g->dw - g->pl;
                int64_t x0 = 0, x1 = g->ow;
                while (x0 < g->ow && x0 * g->sw + xoff < 0)
                    x0++;
                while (x1 > x0 && (x1 - 1) * g->sw + xoff >= g->w)
                    x1--;
                for (int64_t oy = 0; oy < g->oh; oy++) {
                    int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                    if (iy < 0 || iy >= g->h)
                        continue;
                    const float *src = plane + iy * g->w + xoff;
                    float *dst = out + oy * g->ow;
                    if (g->sw == 1)
                        for (int64_t ox = x0; ox < x1; ox++)
                            dst[ox] += wv * src[ox];
                    else
                        for (int64_t ox = x0; ox < x1; ox++)
                            dst[ox] += wv * src[ox * g->sw];
                }
            }
        if (gh_nn_has_post_act(c->node)) {
            enum gh_nn_op act = c->node->post_act;
            float lo = c->node->post_lo, hi = c->node->post_hi;
            for (int64_t i = 0; i < g->oh * g->ow; i++)
                out[i] = gh_nn_post_act(act, out[i], lo, hi);
        }
    }
}

/* Direct convolution for few input or output channels (the 3-channel 7x7
 * convolutions at both ends of a generator): GEMM shapes with M or K of 3
 * run far below peak and their im2col matrix would be 49x the input, so
 * instead each output row accumulates M rows of axpys over a padded copy of
 * each input row (vectorizable, no bounds checks inside). */
struct small_ctx {
    const float *x, *w, *b;
    float *y;
    const struct conv_geom *g;
};

#define SMALL_X 16 /* output pixels kept in registers per accumulation */
typedef float gh_v8 __attribute__((vector_size(32)));

static size_t small_buffer(const struct conv_geom *g)
{
    int64_t pw = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 + SMALL_X * g->sw;
    return (size_t)(g->c * g->kh) * (size_t)pw;
}

GH_NN_SIMD static void small_rows(void *arg, int begin, int end)
{
    const struct small_ctx *c = arg;
    const struct conv_geom *g = c->g;
    /* Padded input rows for every (channel, ky) of one output row, plus slack
     * so the last pixel block may read past the end without checks. */
    int64_t pw = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 + SMALL_X * g->sw;
    float *rows = malloc(small_buffer(g) * sizeof(float));
    if (!rows)
        return; /* the caller checked that this size can be allocated */
    int64_t taps = g->c * g->kh * g->kw;
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / g->oh, oy = r % g->oh;
        for (int64_t ch = 0; ch < g->c; ch++) {
            const float *plane = c->x + (n * g->c + ch) * g->h * g->w;
            for (int64_t ky = 0; ky < g->kh; ky++) {
                float *pr = rows + (ch * g->kh + ky) * pw;
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                if (g->reflect)
                    iy = gh_nn_reflect(iy, g->h);
                if (iy < 0 || iy >= g->h) {
                    memset(pr, 0, (size_t)pw * sizeof *pr);
                    continue;
                }
                const float *row = plane + iy * g->w;
                for (int64_t j = 0; j < pw; j++) {
                    int64_t ix = j - g->pl;
                    pr[j] = ix >= 0 && ix < g->w ? row[ix] : g->reflect ? row[gh_nn_reflect(ix, g->w)] : 0;
                }
            }
        }
        for (int64_t m = 0; m < g->m; m++) {
            const float *wm = c->w + m * taps;
            float *out = c->y + ((n * g->m + m) * g->oh + oy) * g->ow;
            float bias = c->b ? c->b[m] : 0;
            for (int64_t x0 = 0; x0 < g->ow; x0 += SMALL_X) {
                /* Two 8-float vectors of accumulators stay in registers over all taps. */
                gh_v8 a0 = bias - (gh_v8){0}, a1 = a0, v;
                const float *wt = wm;
                for (int64_t rowi = 0; rowi < g->c * g->kh; rowi++) {
                    const float *base = rows + rowi * pw + x0;
                    for (int64_t kx = 0; kx < g->kw; kx++, wt++) {
                        const float *src = base + kx * g->dw;
                        float wv = *wt;
                        memcpy(&v, src, sizeof v);
                        a0 += wv * v;
                        memcpy(&v, src + 8, sizeof v);
                        a1 += wv * v;
                    }
                }
                float acc[SMALL_X];
                memcpy(acc, &a0, sizeof a0);
                memcpy(acc + 8, &a1, sizeof a1);
                int64_t nx = g->ow - x0 < SMALL_X ? g->ow - x0 : SMALL_X;
                memcpy(out + x0, acc, (size_t)nx * sizeof(float));
            }
        }
    }
    free(rows);
}

/* im2col + GEMM in bands of output rows small enough to stay in each
 * thread's L2: each thread makes its band's columns and multiplies them
 * itself (gh_nn_gemm_nn: single-threaded, reads the band in place), then
 * adds the bias while the band is hot.
 * With one 8 MB band split across threads (below) the column matrix went
 * through memory twice, which dominated the stride-2 3x3 convolutions. */
#define BAND_BYTES (640u << 10)

struct band_ctx {
    const float *x, *w, *b;
    float *y, *col;
    const struct conv_geom *g;
    int64_t kk, band, nbands;
    size_t per; /* floats of col per thread */
    int threads;
    const struct gh_nn_node *node; /* its post_act, applied with the bias */
};

static void band_range(void *arg, int begin, int end)
{
    const struct band_ctx *c = arg;
    const struct conv_geom *g = c->g;
    int64_t hw = g->oh * g->ow;
    for (int th = begin; th < end; th++) {
        float *col = c->col + (size_t)th * c->per;
        for (int64_t b = th; b < c->nbands; b += c->threads) {
            int64_t y0 = b * c->band, rows = g->oh - y0 < c->band ? g->oh - y0 : c->band;
            struct im2col_ctx ic = {c->x, col, g, g->c, y0, rows};
            im2col_range(&ic, 0, (int)c->kk);
            int ncol = (int)(rows * g->ow);
            float *yb = c->y + y0 * g->ow;
            gh_nn_gemm_nn(g->m, ncol, c->kk, c->w, c->kk, col, ncol, yb, hw);
            if (c->b)
                for (int64_t m = 0; m < g->m; m++) {
                    float v = c->b[m], *p = yb + m * hw;
                    for (int64_t i = 0; i < ncol; i++)
                        p[i] += v;
                }
            if (gh_nn_has_post_act(c->node)) {
                enum gh_nn_op act = c->node->post_act;
                float lo = c->node->post_lo, hi = c->node->post_hi;
                for (int64_t m = 0; m < g->m; m++) {
                    float *p = yb + m * hw;
                    for (int64_t i = 0; i < ncol; i++)
                        p[i] = gh_nn_post_act(act, p[i], lo, hi);
                }
            }
        }
    }
}

/* Bias and folded activation over whole channel planes, in parallel over
 * channels: one pass after the GEMMs instead of two (bias, then the Relu or
 * Clip node). b may be NULL, act GH_NN_OP_COUNT for none. */
struct bias_act_ctx {
    float *y;
    const float *b;
    int64_t m, hw;
    enum gh_nn_op act;
    float lo, hi;
};

GH_NN_SIMD static void bias_act_range(void *arg, int begin, int end)
{
    const struct bias_act_ctx *c = arg;
    for (int64_t r = begin; r < end; r++) {
        float v = c->b ? c->b[r % c->m] : 0.0f, *p = c->y + r * c->hw;
        if (c->act == GH_NN_OP_RELU || c->act == GH_NN_OP_CLIP)
            for (int64_t j = 0; j < c->hw; j++)
                p[j] = gh_nn_post_act(c->act, p[j] + v, c->lo, c->hi);
        else if (v != 0)
            for (int64_t j = 0; j < c->hw; j++)
                p[j] += v;
    }
}

static void add_bias(float *y, const float *b, int64_t m, int64_t hw)
{
    for (int64_t i = 0; i < m; i++) {
        if (b[i] == 0)
            continue;
        float v = b[i];
        float *p = y + i * hw;
        for (int64_t j = 0; j < hw; j++)
            p[j] += v;
    }
}

static int64_t same_pad_total(int64_t in, int64_t s, int64_t dk)
{
    int64_t out = (in + s - 1) / s;
    int64_t t = (out - 1) * s + dk - in;
    return t > 0 ? t : 0;
}

/* The convolution; *act_done tells whether the path applied node's post_act. */
static enum gh_status conv_run(struct gh_nn_exec *x, const struct gh_nn_node *node, struct gh_nn_tensor **yout,
                               int *act_done)
{
    const struct gh_nn_tensor *X = gh_nn_in(x, node, 0), *W = gh_nn_in(x, node, 1), *B = gh_nn_in(x, node, 2);
    struct conv_geom g;
    int64_t k[2], s[2], d[2], pads[4];
    int have_k;
    enum gh_status st;
    if (X->dtype != GH_NN_F32 || W->dtype != GH_NN_F32 || (B && B->dtype != GH_NN_F32))
        return gh_error(GH_ERR_UNSUPPORTED, "inputs must be float32");
    if ((X->ndim != 4 && X->ndim != 3) || W->ndim != X->ndim)
        return gh_error(GH_ERR_UNSUPPORTED, "only 1-D and 2-D convolutions (input rank %d)", X->ndim);
    int sp = X->ndim - 2;
    if ((st = conv_attrs(x, node, sp, k, W->shape + 2, s, d, pads, &have_k)))
        return st;
    memset(&g, 0, sizeof g);
    g.n = X->shape[0];
    g.c = X->shape[1];
    g.h = sp == 2 ? X->shape[2] : 1;
    g.w = X->shape[X->ndim - 1];
    g.m = W->shape[0];
    g.kh = k[0];
    g.kw = k[1];
    g.sh = s[0];
    g.sw = s[1];
    g.dh = d[0];
    g.dw = d[1];
    g.group = gh_nn_attr_int(node, "group", 1);
    if (g.group < 1 || g.c % g.group || g.m % g.group || W->shape[1] * g.group != g.c)
        return gh_error(GH_ERR_MODEL, "channels (%lld in, weights %lldx%lld) do not fit group %lld", (long long)g.c,
                        (long long)g.m, (long long)W->shape[1], (long long)g.group);
    if (B && (B->ndim != 1 || B->shape[0] != g.m))
        return gh_error(GH_ERR_MODEL, "bias must have %lld values", (long long)g.m);
    const char *ap = gh_nn_attr_string(node, "auto_pad", "NOTSET");
    int64_t dkh = (g.kh - 1) * g.dh + 1, dkw = (g.kw - 1) * g.dw + 1;
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        int64_t th = same_pad_total(g.h, g.sh, dkh), tw = same_pad_total(g.w, g.sw, dkw);
        int upper = !strcmp(ap, "SAME_UPPER");
        g.pt = upper ? th / 2 : th - th / 2;
        g.pb = th - g.pt;
        g.pl = upper ? tw / 2 : tw - tw / 2;
        g.pr = tw - g.pl;
    } else if (strcmp(ap, "VALID")) {
        g.pt = pads[0];
        g.pl = pads[1];
        g.pb = pads[2];
        g.pr = pads[3];
    }
    if (node->fused_pad) { /* load-time fusion guarantees the Conv's own pads are 0 */
        int64_t fp[4] = {node->fpads[0], node->fpads[1], node->fpads[2], node->fpads[3]};
        if (node->fused_pad == 3) { /* the folded Pad's computed pads, [n, c, h, w] begins then ends */
            const struct gh_nn_tensor *pt = gh_nn_in(x, node, 3);
            const int64_t *pv = pt && pt->dtype == GH_NN_I64 ? pt->data : NULL;
            if (!pv || gh_nn_tensor_count(pt) != 8 || X->ndim != 4)
                return gh_error(GH_ERR_MODEL, "Pad before Conv '%s': pads must be 8 int64 values", node->name);
            for (int i = 0; i < 8; i++)
                if ((i % 4 < 2 && pv[i]) || pv[i] < 0 || pv[i] > 64)
                    return gh_error(GH_ERR_UNSUPPORTED,
                                    "Pad before Conv '%s': only spatial pads of 0..64 fold into it (got %lld)",
                                    node->name, (long long)pv[i]);
            fp[0] = pv[2];
            fp[1] = pv[3];
            fp[2] = pv[6];
            fp[3] = pv[7];
        }
        g.pt = fp[0];
        g.pl = fp[1];
        g.pb = fp[2];
        g.pr = fp[3];
        g.reflect = node->fused_pad == 2;
        if (g.reflect && (g.h == 0 || g.w == 0))
            return gh_error(GH_ERR_MODEL, "cannot reflect-pad an empty input");
    }
    int64_t hh = g.h + g.pt + g.pb - dkh, ww = g.w + g.pl + g.pr - dkw;
    if (hh < 0 || ww < 0)
        return gh_error(GH_ERR_MODEL, "kernel larger than the padded input");
    g.oh = hh / g.sh + 1;
    g.ow = ww / g.sw + 1;
    int64_t oshape[4] = {g.n, g.m, g.oh, g.ow};
    if (sp == 1) {
        oshape[2] = g.ow;
    }
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out(x, node, 0, GH_NN_F32, X->ndim, oshape, &out)))
        return st;
    *yout = out;
    const float *xd = X->data, *wd = W->data, *bd = B ? B->data : NULL;
    float *yd = out->data;
    int64_t hw = g.oh * g.ow, ihw = g.h * g.w;
    if (!hw || !g.n || !g.m)
        return GH_OK;
    if (gh_nn_use_direct_small && g.group == 1 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
        g.kh * g.kw >= 9 && g.oh * g.ow >= 256 && ((g.m <= 4 && g.c * g.kh * g.kw >= 64) || g.c <= 4)) {
        /* Few output or input channels (conv_small.c): 4 outputs'
         * accumulators in registers over a pixel chunk, padded input rows
         * made once per output row for all outputs. */
        struct gh_nn_conv_small a = {NULL, wd, NULL, g.c, g.h, g.w, g.m, g.oh, g.ow, g.kh, g.kw, g.pt, g.pl, g.reflect, bd};
        int threads = x->threads < 1 ? 1 : x->threads;
        float *scratch;
        if ((st = gh_nn_scratch(x, gh_nn_conv_small_scratch(&a, threads), (void **)&scratch)))
            return st;
        for (int64_t n = 0; n < g.n; n++) {
            a.x = xd + n * g.c * ihw;
            a.y = yd + n * g.m * hw;
            gh_nn_conv_small_run(&a, scratch, threads);
        }
        return GH_OK;
    }
    if (gh_nn_use_winograd && sp == 2 && g.group == 1 && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 &&
        g.dh == 1 && g.dw == 1 && g.c >= 4 && g.m >= 4 && gh_nn_wino_pays(g.oh, g.ow)) {
        const float *u = NULL;
        if ((st = wino_weights(x, node, wd, g.m, g.c, &u)))
            return st;
        struct gh_nn_wino_geom wg = {g.n, g.c, g.h, g.w, g.m, g.oh, g.ow, g.pt, g.pl, g.reflect};
        return gh_nn_wino_conv(x, &wg, xd, u, bd, yd);
    }
    if (gh_nn_use_direct_small && g.group == 1 && g.sw == 1 && (g.c <= 4 || g.m <= 4) && g.kh * g.kw >= 9 &&
        hw >= 64) {
        struct small_ctx c = {xd, wd, bd, yd, &g};
        /* Probe the per-thread buffer size once so small_rows cannot fail silently. */
        void *probe = malloc(small_buffer(&g) * sizeof(float));
        if (!probe)
            return gh_error(GH_ERR_NOMEM, "out of memory");
        free(probe);
        if (g.n * g.oh > INT32_MAX)
            return gh_error(GH_ERR_TOO_LARGE, "too many rows");
        gh_parallel_for((int)(g.n * g.oh), x->threads, small_rows, &c);
        return GH_OK;
    }
    if (g.group == g.c && g.m == g.c && g.group > 1) {
        struct dw_ctx c = {xd, wd, bd, yd, &g, node};
        *act_done = 1;
        if (g.n * g.c > INT32_MAX)
            return gh_error(GH_ERR_TOO_LARGE, "too many channels");
        gh_parallel_for((int)(g.n * g.c), x->threads, depthwise_range, &c);
        return GH_OK;
    }
    int64_t cg = g.c / g.group, mg = g.m / g.group, kk = cg * g.kh * g.kw;
    if (kk > INT32_MAX || hw > INT32_MAX || mg > INT32_MAX)
        return gh_error(GH_ERR_TOO_LARGE, "convolution too large for GEMM");
    int pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && !g.pt && !g.pl && !g.pb && !g.pr;
    if (!pointwise && g.group == 1 && gh_nn_use_banded_im2col) {
        size_t row_bytes = (size_t)kk * (size_t)g.ow * sizeof(float);
        struct band_ctx c = {NULL, wd, bd, NULL, NULL, &g, kk, 1, 0, 0, x->threads < 1 ? 1 : x->threads, node};
        *act_done = 1;
        c.band = (int64_t)(BAND_BYTES / row_bytes);
        c.band = c.band < 1 ? 1 : c.band > g.oh ? g.oh : c.band;
        c.nbands = (g.oh + c.band - 1) / c.band;
        if (c.threads > c.nbands)
            c.threads = (int)c.nbands;
        c.per = (size_t)c.band * row_bytes / sizeof(float);
        if ((st = gh_nn_scratch(x, (size_t)c.threads * c.per * sizeof(float), (void **)&c.col)))
            return st;
        for (int64_t n = 0; n < g.n; n++) {
            c.x = xd + n * g.c * ihw;
            c.y = yd + n * g.m * hw;
            gh_parallel_for(c.threads, c.threads, band_range, &c);
        }
        return GH_OK;
    }
    float *col = NULL;
    int64_t band = g.oh;
    if (!pointwise) {
        size_t row_bytes = (size_t)kk * (size_t)g.ow * sizeof(float);
        band = (int64_t)(COL_BYTES / (row_bytes ? row_bytes : 1));
        if (band < 1)
            band = 1;
        if (band > g.oh)
            band = g.oh;
        if ((st = gh_nn_scratch(x, (size_t)band * row_bytes, (void **)&col)))
            return st;
    }
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t gi = 0; gi < g.group; gi++) {
            const float *xg = xd + (n * g.c + gi * cg) * ihw;
            const float *wg = wd + gi * mg * kk;
            float *yg = yd + (n * g.m + gi * mg) * hw;
            if (pointwise) {
                gh_nn_sgemm(x->threads, 0, 0, (int)mg, (int)hw, (int)kk, 1.0f, wg, (int)kk, xg, (int)hw, 0.0f, yg, (int)hw);
                continue;
            }
            for (int64_t y0 = 0; y0 < g.oh; y0 += band) {
                int64_t rows = g.oh - y0 < band ? g.oh - y0 : band;
                struct im2col_ctx c = {xg, col, &g, cg, y0, rows};
                gh_parallel_for((int)kk, x->threads, im2col_range, &c);
                int ncol = (int)(rows * g.ow);
                gh_nn_sgemm(x->threads, 0, 0, (int)mg, ncol, (int)kk, 1.0f, wg, (int)kk, col, ncol, 0.0f, yg + y0 * g.ow,
                            (int)hw);
            }
        }
    struct bias_act_ctx ba = {yd, bd, g.m, hw, gh_nn_has_post_act(node) ? node->post_act : GH_NN_OP_COUNT,
                              node->post_lo, node->post_hi};
    *act_done = 1;
    if ((bd || ba.act != GH_NN_OP_COUNT) && g.n * g.m <= INT32_MAX)
        gh_parallel_for((int)(g.n * g.m), x->threads, bias_act_range, &ba);
    else if (bd || ba.act != GH_NN_OP_COUNT)
        return gh_error(GH_ERR_TOO_LARGE, "too many channels");
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_conv)
{
    struct gh_nn_tensor *y = NULL;
    int act_done = 0;
    enum gh_status st = conv_run(x, node, &y, &act_done);
    if (st || act_done || !y || !gh_nn_has_post_act(node))
        return st;
    /* Paths that write their output in their own blocking (Winograd, the
     * direct kernels) get the activation as one pass here. */
    int64_t planes = 1, hw = y->shape[y->ndim - 1];
    for (int d = 0; d < y->ndim - 1; d++)
        planes *= y->shape[d];
    if (planes > INT32_MAX)
        return gh_error(GH_ERR_TOO_LARGE, "too many channels");
    struct bias_act_ctx ba = {y->data, NULL, 1, hw, node->post_act, node->post_lo, node->post_hi};
    gh_parallel_for((int)planes, x->threads, bias_act_range, &ba);
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_conv_transpose)
{
    const struct gh_nn_tensor *X = gh_nn_in(x, node, 0), *W = gh_nn_in(x, node, 1), *B = gh_nn_in(x, node, 2);
    int64_t k[2], s[2], d[2], pads[4], v[8];
    int have_k, n;
    enum gh_status st;
    if (X->dtype != GH_NN_F32 || W->dtype != GH_NN_F32 || (B && B->dtype != GH_NN_F32))
        return gh_error(GH_ERR_UNSUPPORTED, "inputs must be float32");
    if ((X->ndim != 4 && X->ndim != 3) || W->ndim != X->ndim)
        return gh_error(GH_ERR_UNSUPPORTED, "only 1-D and 2-D transposed convolutions (input rank %d)", X->ndim);
    int sp = X->ndim - 2, off = 2 - sp;
    if ((st = conv_attrs(x, node, sp, k, W->shape + 2, s, d, pads, &have_k)))
        return st;
    int64_t group = gh_nn_attr_int(node, "group", 1);
    int64_t N = X->shape[0], C = X->shape[1], H = sp == 2 ? X->shape[2] : 1, Wd = X->shape[X->ndim - 1];
    if (group < 1 || C % group || W->shape[0] != C)
        return gh_error(GH_ERR_MODEL, "weights do not fit the input channels and group");
    int64_t mg = W->shape[1], M = mg * group, cg = C / group;
    if (B && (B->ndim != 1 || B->shape[0] != M))
        return gh_error(GH_ERR_MODEL, "bias must have %lld values", (long long)M);
    int64_t opad[2] = {0, 0}, oshape_attr[2] = {-1, -1};
    if ((st = gh_nn_ints_arg(x, node, "output_padding", -1, v, 8, &n)))
        return st;
    if (n >= 0 && n != sp)
        return gh_error(GH_ERR_MODEL, "output_padding has %d values", n);
    for (int i = 0; i < n; i++)
        opad[off + i] = v[i];
    if ((st = gh_nn_ints_arg(x, node, "output_shape", -1, v, 8, &n)))
        return st;
    if (n >= 0 && n != sp)
        return gh_error(GH_ERR_MODEL, "output_shape has %d values", n);
    for (int i = 0; i < n; i++)
        oshape_attr[off + i] = v[i];
    int64_t in_sz[2] = {H, Wd}, out_sz[2], pb[2] = {pads[0], pads[1]}, pe[2] = {pads[2], pads[3]};
    const char *ap = gh_nn_attr_string(node, "auto_pad", "NOTSET");
    for (int i = 0; i < 2; i++) {
        if (opad[i] < 0 || opad[i] > 65536 || oshape_attr[i] > GH_NN_MAX_ELEMS)
            return gh_error(GH_ERR_MODEL, "bad output_padding or output_shape");
        int64_t dk = (k[i] - 1) * d[i] + 1;
        int64_t full = s[i] * (in_sz[i] - 1) + opad[i] + dk;
        if (oshape_attr[i] >= 0 || !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            int64_t target = oshape_attr[i] >= 0 ? oshape_attr[i] : in_sz[i] * s[i];
            int64_t total = full - target;
            if (total < -65536)
                return gh_error(GH_ERR_MODEL, "output_shape much larger than the full output");
            if (!strcmp(ap, "SAME_LOWER")) {
                pb[i] = total - total / 2;
                pe[i] = total / 2;
            } else {
                pb[i] = total / 2;
                pe[i] = total - total / 2;
            }
        } else if (!strcmp(ap, "VALID")) {
            pb[i] = pe[i] = 0;
        }
        out_sz[i] = full - pb[i] - pe[i];
        if (out_sz[i] < 0)
            return gh_error(GH_ERR_MODEL, "negative output size");
    }
    int64_t oshape[4] = {N, M, out_sz[0], out_sz[1]};
    if (sp == 1)
        oshape[2] = out_sz[1];
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out(x, node, 0, GH_NN_F32, X->ndim, oshape, &out)))
        return st;
    int64_t ohw = out_sz[0] * out_sz[1], ihw = H * Wd, kk = mg * k[0] * k[1];
    float *yd = out->data;
    memset(yd, 0, gh_nn_tensor_count(out) * sizeof(float));
    if (!ihw || !N || !M)
        goto bias;
    if (kk > INT32_MAX || ihw > INT32_MAX || (uint64_t)kk * (uint64_t)ihw > (uint64_t)GH_NN_MAX_ELEMS)
        return gh_error(GH_ERR_TOO_LARGE, "transposed convolution too large");
    float *col;
    if ((st = gh_nn_scratch(x, (size_t)kk * (size_t)ihw * sizeof(float), (void **)&col)))
        return st;
    for (int64_t b = 0; b < N; b++)
        for (int64_t gi = 0; gi < group; gi++) {
            const float *xg = (const float *)X->data + (b * C + gi * cg) * ihw;
            const float *wg = (const float *)W->data + gi * cg * kk;
            /* col[kk, ihw] = Wg^T[kk, cg] * Xg[cg, ihw] */
            gh_nn_sgemm(x->threads, 1, 0, (int)kk, (int)ihw, (int)cg, 1.0f, wg, (int)kk, xg, (int)ihw, 0.0f, col, (int)ihw);
            float *yg = yd + (b * M + gi * mg) * ohw;
            for (int64_t r = 0; r < kk; r++) {
                int64_t m = r / (k[0] * k[1]), ky = (r / k[1]) % k[0], kx = r % k[1];
                const float *src = col + r * ihw;
                float *plane = yg + m * ohw;
                for (int64_t iy = 0; iy < H; iy++) {
                    int64_t oy = iy * s[0] - pb[0] + ky * d[0];
                    if (oy < 0 || oy >= out_sz[0])
                        continue;
                    for (int64_t ix = 0; ix < Wd; ix++) {
                        int64_t ox = ix * s[1] - pb[1] + kx * d[1];
                        if (ox >= 0 && ox < out_sz[1])
                            plane[oy * out_sz[1] + ox] += src[iy * Wd + ix];
                    }
                }
            }
        }
bias:
    if (B)
        for (int64_t b = 0; b < N; b++)
            add_bias(yd + b * M * ohw, B->data, M, ohw);
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_matmul)
{
    const struct gh_nn_tensor *A = gh_nn_in(x, node, 0), *B = gh_nn_in(x, node, 1);
    if (A->dtype != GH_NN_F32 || B->dtype != GH_NN_F32 || A->ndim < 1 || B->ndim < 1)
        return gh_error(GH_ERR_UNSUPPORTED, "inputs must be float32 tensors");
    /* Promote 1-D operands to matrices, remember to drop the dims again. */
    int64_t as[GH_NN_MAX_DIMS + 1], bs[GH_NN_MAX_DIMS + 1];
    int ar = A->ndim, br = B->ndim;
    memcpy(as, A->shape, sizeof A->shape);
    memcpy(bs, B->shape, sizeof B->shape);
    int drop_m = 0, drop_n = 0;
    if (ar == 1) {
        as[1] = as[0];
        as[0] = 1;
        ar = 2;
        drop_m = 1;
    }
    if (br == 1) {
        bs[1] = 1;
        br = 2;
        drop_n = 1;
    }
    int64_t M = as[ar - 2], K = as[ar - 1], N = bs[br - 1];
    if (bs[br - 2] != K)
        return gh_error(GH_ERR_MODEL, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)bs[br - 2]);
    int bat = (ar > br ? ar : br) - 2;
    int64_t bshape[GH_NN_MAX_DIMS] = {0}, astr[GH_NN_MAX_DIMS], bstr[GH_NN_MAX_DIMS];
    int64_t sa = M * K, sb = K * N;
    for (int i = bat - 1; i >= 0; i--) {
        int ia = i - (bat - (ar - 2)), ib = i - (bat - (br - 2));
        int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return gh_error(GH_ERR_MODEL, "batch dimensions do not broadcast");
        bshape[i] = da == 1 ? db : da;
        astr[i] = da == 1 ? 0 : sa;
        bstr[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
    }
    int64_t oshape[GH_NN_MAX_DIMS];
    int on = 0;
    for (int i = 0; i < bat; i++)
        oshape[on++] = bshape[i];
    if (!drop_m)
        oshape[on++] = M;
    if (!drop_n)
        oshape[on++] = N;
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX)
        return gh_error(GH_ERR_TOO_LARGE, "matrices too large");
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, GH_NN_F32, on, oshape, &out);
    if (st)
        return st;
    size_t batches = gh_nn_count(bat, bshape);
    int64_t idx[GH_NN_MAX_DIMS] = {0};
    for (size_t b = 0; b < batches; b++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < bat; i++) {
            oa += idx[i] * astr[i];
            ob += idx[i] * bstr[i];
        }
        float *c = (float *)out->data + b * (size_t)(M * N);
        if (K == 0)
            memset(c, 0, (size_t)(M * N) * sizeof *c);
        else
            gh_nn_sgemm(x->threads, 0, 0, (int)M, (int)N, (int)K, 1.0f, (const float *)A->data + oa, (int)K,
                        (const float *)B->data + ob, (int)N, 0.0f, c, (int)N);
        for (int i = bat - 1; i >= 0; i--) {
            if (++idx[i] < bshape[i])
                break;
            idx[i] = 0;
        }
    }
    return GH_OK;
}
