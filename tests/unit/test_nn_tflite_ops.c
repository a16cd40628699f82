/* TFLite operator semantics, one small model per case (built in memory by
 * tests/unit/tflite_builder.h), against direct NHWC implementations of
 * TFLite's reference kernels written here: CONV_2D (SAME with the extra pixel
 * bottom/right, stride 2, dilation, float16 weights behind DEQUANTIZE, bias,
 * fused activations), DEPTHWISE_CONV_2D (depth multiplier), AVERAGE_POOL_2D
 * (VALID, and SAME averaging over the pixels inside the image only),
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR in their three sampling modes
 * (legacy asymmetric, align_corners, half_pixel_centers), PAD / PADV2 /
 * MIRROR_PAD (REFLECT, SYMMETRIC), CONCATENATION, STRIDED_SLICE (masks,
 * shrink), MAXIMUM / MINIMUM, the unary ops, MEAN / SUM / SOFTMAX, TRANSPOSE
 * + RESHAPE, ADD/SUB/MUL/DIV with broadcasting and fused activations,
 * DEQUANTIZE of INT8 (per channel) / UINT8 weights, TRANSPOSE_CONV (SAME,
 * VALID, bias), and a model with a fixed
 * (batch 2) input whose RESIZE keeps its stored size.
 * Where an op is size-agnostic the model also runs at a size other than the
 * one stored in the file (the loader's size generalization). Tolerance 1e-5
 * (float32 summation order). */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "tflite_builder.h"

#define TOL 1e-5

enum {
    ADD = 0, AVG_POOL = 1, CONCAT = 2, CONV = 3, DWCONV = 4, DEQUANT = 6, LOGISTIC = 14, MUL = 18, RELU = 19,
    RELU_N1 = 20, RELU6 = 21, RESHAPE = 22, RESIZE_BL = 23, SOFTMAX = 25, TANH = 28, PAD = 34, TRANSPOSE = 39,
    MEAN = 40, SUB = 41, DIV = 42, SSLICE = 45, MAXIMUM = 55, MINIMUM = 57, PADV2 = 60, SUM = 74, SQRT = 75,
    RSQRT = 76, RESIZE_NN = 97, LEAKY = 98, SQDIFF = 99, MIRROR = 100
};

static float pattern(size_t i)
{
    return 2.0f * sinf((float)i * 0.37f + 0.1f);
}

static float *input(size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = pattern(i);
    return x;
}

static float act_ref(float v, int act)
{
    switch (act) {
    case 1: return v > 0 ? v : 0;
    case 2: return v < -1 ? -1 : v > 1 ? 1 : v;
    case 3: return v < 0 ? 0 : v > 6 ? 6 : v;
    case 4: return tanhf(v);
    default: return v;
    }
}

/* Runs model m on x [1,h,w,c]; returns the output data (caller frees) or NULL. */
static float *run(struct tb_model *m, const float *x, int h, int w, int c, struct gh_nn_tensor *y, const char *what)
{
    size_t n;
    uint8_t *d = tb_build(m, &n);
    struct gh_nn_model *model = NULL;
    enum gh_status st = gh_nn_load_memory(d, n, &model);
    free(d);
    CHECK_MSG(st == GH_OK, "%s: load: %s", what, gh_error_detail());
    if (st)
        return NULL;
    struct gh_nn_tensor in = {GH_NN_F32, 4, {1, h, w, c}, (void *)x};
    st = gh_nn_run(model, &in, y);
    CHECK_MSG(st == GH_OK, "%s: run: %s", what, gh_error_detail());
    gh_nn_free(model);
    return st ? NULL : y->data;
}

static void compare(const char *what, const struct gh_nn_tensor *y, const float *want, int ndim, const int64_t *shape)
{
    int ok = y->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = y->shape[i] == shape[i];
    CHECK_MSG(ok, "%s: output shape differs (rank %d, [%lld %lld %lld %lld])", what, y->ndim, (long long)y->shape[0],
              (long long)y->shape[1], (long long)y->shape[2], (long long)y->shape[3]);
    if (!ok)
        return;
    double mx = 0;
    size_t n = gh_nn_tensor_count(y);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)((float *)y->data)[i] - want[i]) / (1.0 + fabs(want[i]));
        if (!(d <= mx))
            mx = d;
    }
    CHECK_MSG(mx <= TOL, "%s: max error %g", what, mx);
}

/* ---- convolution family ---- */

struct convp {
    int kh, kw, sh, sw, dh, dw, same, act, mult; /* mult: 0 = CONV_2D, else depthwise multiplier */
};

/* TFLite conv / depthwise on NHWC x [h,w,c], w OHWI or [1,kh,kw,c*mult]. */
static float *conv_ref(const float *x, int h, int w, int c, const float *wt, const float *b, int o, struct convp p,
                       int *oh, int *ow)
{
    int ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1, pt = 0, pl = 0;
    if (p.same) {
        *oh = (h + p.sh - 1) / p.sh;
        *ow = (w + p.sw - 1) / p.sw;
        int th = (*oh - 1) * p.sh + ekh - h, tw = (*ow - 1) * p.sw + ekw - w;
        pt = th > 0 ? th / 2 : 0;
        pl = tw > 0 ? tw / 2 : 0;
    } else {
        *oh = (h - ekh) / p.sh + 1;
        *ow = (w - ekw) / p.sw + 1;
    }
    float *y = calloc((size_t)*oh * *ow * o, sizeof *y);
    for (int i = 0; i < *oh; i++)
        for (int j = 0; j < *ow; j++)
            for (int m = 0; m < o; m++) {
                double s = b ? b[m] : 0;
                for (int ky = 0; ky < p.kh; ky++)
                    for (int kx = 0; kx < p.kw; kx++) {
                        int yy = i * p.sh + ky * p.dh - pt, xx = j * p.sw + kx * p.dw - pl;
                        if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                            continue;
                        if (p.mult) {
                            int ci = m / p.mult;
                            s += (double)x[((size_t)yy * w + xx) * c + ci] * wt[((size_t)ky * p.kw + kx) * o + m];
                        } else {
                            for (int ci = 0; ci < c; ci++)
                                s += (double)x[((size_t)yy * w + xx) * c + ci] *
                                     wt[(((size_t)m * p.kh + ky) * p.kw + kx) * c + ci];
                        }
                    }
                y[((size_t)i * *ow + j) * o + m] = act_ref((float)s, p.act);
            }
    return y;
}

static void conv_case(const char *what, int th, int tw, int c, int o, struct convp p, int rh, int rw)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int wn = p.mult ? p.kh * p.kw * o : o * p.kh * p.kw * c;
    uint16_t *w16 = malloc((size_t)wn * 2);
    float *wf = malloc((size_t)wn * sizeof *wf), *b = malloc((size_t)o * sizeof *b);
    for (int i = 0; i < wn; i++) {
        w16[i] = tb_half((float)((i * 5) % 17) / 17.0f - 0.45f);
        wf[i] = 0;
    }
    for (int i = 0; i < o; i++)
        b[i] = 0.1f * (float)i - 0.2f;
    int ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1;
    int oh = p.same ? (th + p.sh - 1) / p.sh : (th - ekh) / p.sh + 1;
    int ow = p.same ? (tw + p.sw - 1) / p.sw : (tw - ekw) / p.sw + 1;
    int32_t sx[4] = {1, th, tw, c}, sw4[4] = {p.mult ? 1 : o, p.kh, p.kw, p.mult ? o : c}, sb[1] = {o},
            sy[4] = {1, oh, ow, o};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int wh = tb_tensor(&m, TB_F16, 4, sw4, w16, (size_t)wn * 2);
    int wd = tb_tensor(&m, TB_F32, 4, sw4, NULL, 0);
    int bt = tb_tensor(&m, TB_F32, 1, sb, b, (size_t)o * sizeof *b);
    int y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t i1[1] = {wh}, i2[3] = {x, wd, bt};
    tb_op(&m, DEQUANT, 0, 1, i1, wd);
    struct tb_op *op = tb_op(&m, p.mult ? DWCONV : CONV, p.mult ? 2 : 1, 3, i2, y);
    tb_opt(op, 0, 1, p.same ? 0 : 1);
    tb_opt(op, 1, 4, (uint32_t)p.sw);
    tb_opt(op, 2, 4, (uint32_t)p.sh);
    if (p.mult) {
        tb_opt(op, 3, 4, (uint32_t)p.mult);
        tb_opt(op, 4, 1, (uint32_t)p.act);
        tb_opt(op, 5, 4, (uint32_t)p.dw);
        tb_opt(op, 6, 4, (uint32_t)p.dh);
    } else {
        tb_opt(op, 3, 1, (uint32_t)p.act);
        tb_opt(op, 4, 4, (uint32_t)p.dw);
        tb_opt(op, 5, 4, (uint32_t)p.dh);
    }
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    for (int i = 0; i < wn; i++) { /* the reference sees the exact float16 values */
        uint16_t h = w16[i];
        int e = (h >> 10) & 31, man = h & 1023;
        float v = e ? ldexpf((float)(man | 1024), e - 25) : ldexpf((float)man, -24);
        wf[i] = (h & 0x8000) ? -v : v;
    }
    int sizes[2][2] = {{th, tw}, {rh, rw}};
    for (int s = 0; s < 2; s++) {
        int h = sizes[s][0], w = sizes[s][1];
        float *xi = input((size_t)h * w * c);
        float *want = conv_ref(xi, h, w, c, wf, b, o, p, &oh, &ow);
        struct gh_nn_tensor yt;
        char name[128];
        snprintf(name, sizeof name, "%s at %dx%d", what, h, w);
        if (run(&m, xi, h, w, c, &yt, name)) {
            int64_t shape[4] = {1, oh, ow, o};
            compare(name, &yt, want, 4, shape);
            gh_nn_tensor_release(&yt);
        }
        free(xi);
        free(want);
    }
    free(w16);
    free(wf);
    free(b);
}

/* TRANSPOSE_CONV (filter [O, kh, kw, I], float32, optional bias, SAME or
 * VALID) against TFLite's reference kernel written here as a scatter: every
 * input pixel adds its weighted filter to the output at (i * s - pad_top,
 * j * s - pad_left), pad = floor(total / 2) with total = (in - 1) * s + k -
 * out (SAME: out = in * s; VALID: out = (in - 1) * s + k, no pad). Also at a
 * size other than the file's (its output_shape input is for the file's). */
static void tconv_case(const char *what, int th, int tw, int c, int o, int k, int s, int same, int bias, int rh,
                       int rw)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int wn = o * k * k * c;
    float *wf = malloc((size_t)wn * sizeof *wf), b[8];
    for (int i = 0; i < wn; i++)
        wf[i] = (float)((i * 5) % 17) / 17.0f - 0.45f;
    for (int i = 0; i < o; i++)
        b[i] = 0.1f * (float)i - 0.2f;
    int oh = same ? th * s : (th - 1) * s + k, ow = same ? tw * s : (tw - 1) * s + k;
    int32_t sx[4] = {1, th, tw, c}, sw4[4] = {o, k, k, c}, sb[1] = {o}, sy[4] = {1, oh, ow, o}, s1[1] = {4};
    int32_t oshape[4] = {1, oh, ow, o};
    int os = tb_tensor(&m, TB_I32, 1, s1, oshape, sizeof oshape);
    int wt = tb_tensor(&m, TB_F32, 4, sw4, wf, (size_t)wn * sizeof *wf);
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int bt = tb_tensor(&m, TB_F32, 1, sb, b, (size_t)o * sizeof *b);
    int y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t ins[4] = {os, wt, x, bt};
    struct tb_op *op = tb_op(&m, 67, 49, bias ? 4 : 3, ins, y);
    tb_opt(op, 0, 1, same ? 0 : 1);
    tb_opt(op, 1, 4, (uint32_t)s);
    tb_opt(op, 2, 4, (uint32_t)s);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    int sizes[2][2] = {{th, tw}, {rh, rw}};
    for (int z = 0; z < 2; z++) {
        int h = sizes[z][0], w = sizes[z][1];
        int yh = same ? h * s : (h - 1) * s + k, yw = same ? w * s : (w - 1) * s + k;
        int pt = same ? ((h - 1) * s + k - yh) / 2 : 0, pl = same ? ((w - 1) * s + k - yw) / 2 : 0;
        float *xi = input((size_t)h * w * c), *want = calloc((size_t)yh * yw * o, sizeof *want);
        for (int i = 0; i < yh * yw; i++)
            for (int q = 0; q < o; q++)
                want[(size_t)i * o + q] = bias ? b[q] : 0.0f;
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++) {
                        int oi = i * s - pt + u, oj = j * s - pl + v;
                        if (oi < 0 || oi >= yh || oj < 0 || oj >= yw)
                            continue;
                        for (int q = 0; q < o; q++)
                            for (int ci = 0; ci < c; ci++)
                                want[((size_t)oi * yw + oj) * o + q] +=
                                    xi[((size_t)i * w + j) * c + ci] * wf[((q * k + u) * k + v) * c + ci];
                    }
        struct gh_nn_tensor yt;
        char name[128];
        snprintf(name, sizeof name, "%s at %dx%d", what, h, w);
        if (run(&m, xi, h, w, c, &yt, name)) {
            int64_t shape[4] = {1, yh, yw, o};
            compare(name, &yt, want, 4, shape);
            gh_nn_tensor_release(&yt);
        }
        free(xi);
        free(want);
    }
    free(wf);
}

/* AVERAGE_POOL_2D k x k, stride st, VALID or SAME (TFLite averages over the
 * pixels inside the image only), fused RELU. */
static void pool_case(int k, int st, int same, int th, int tw, int rh, int rw)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int toh = same ? (th + st - 1) / st : (th - k) / st + 1, tow = same ? (tw + st - 1) / st : (tw - k) / st + 1;
    int32_t sx[4] = {1, th, tw, 3}, sy[4] = {1, toh, tow, 3};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t in[1] = {x};
    struct tb_op *op = tb_op(&m, AVG_POOL, 5, 1, in, y);
    tb_opt(op, 0, 1, same ? 0 : 1);
    tb_opt(op, 1, 4, (uint32_t)st);
    tb_opt(op, 2, 4, (uint32_t)st);
    tb_opt(op, 3, 4, (uint32_t)k);
    tb_opt(op, 4, 4, (uint32_t)k);
    tb_opt(op, 5, 1, 1);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    int sizes[2][2] = {{th, tw}, {rh, rw}};
    for (int s = 0; s < 2; s++) {
        int h = sizes[s][0], w = sizes[s][1];
        int oh = same ? (h + st - 1) / st : (h - k) / st + 1, ow = same ? (w + st - 1) / st : (w - k) / st + 1;
        int pt = same ? ((oh - 1) * st + k - h) / 2 : 0, pl = same ? ((ow - 1) * st + k - w) / 2 : 0;
        pt = pt < 0 ? 0 : pt;
        pl = pl < 0 ? 0 : pl;
        float *xi = input((size_t)h * w * 3), *want = malloc((size_t)oh * ow * 3 * sizeof *want);
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int c = 0; c < 3; c++) {
                    float a = 0;
                    int cnt = 0;
                    for (int dy = 0; dy < k; dy++)
                        for (int dx = 0; dx < k; dx++) {
                            int yy = i * st + dy - pt, xx = j * st + dx - pl;
                            if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                                continue;
                            a += xi[((size_t)yy * w + xx) * 3 + c];
                            cnt++;
                        }
                    want[((size_t)i * ow + j) * 3 + c] = act_ref(a / (float)cnt, 1);
                }
        char name[96];
        snprintf(name, sizeof name, "AVERAGE_POOL_2D %dx%d/%d %s at %dx%d", k, k, st, same ? "SAME" : "VALID", h, w);
        struct gh_nn_tensor yt;
        if (run(&m, xi, h, w, 3, &yt, name)) {
            int64_t shape[4] = {1, oh, ow, 3};
            compare(name, &yt, want, 4, shape);
            gh_nn_tensor_release(&yt);
        }
        free(xi);
        free(want);
    }
}

static void resize_ref_coords(int out, int in, int ac, int hp, int nearest, int *lo, int *hi, float *f);

/* 1x1 CONV_2D whose weights are INT8 per output channel (scale and zero point
 * per channel, quantized_dimension 0) or UINT8 per tensor, behind DEQUANTIZE:
 * w = scale * (q - zero_point), folded at load. */
static void quant_conv_case(int per_channel)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    static int8_t qi8[6] = {-128, -5, 0, 7, 127, 33};
    static uint8_t qu8[6] = {0, 100, 128, 200, 255, 17};
    static const float sc2[2] = {0.01f, 0.03f}, sc1[1] = {0.02f};
    static const int64_t zp2[2] = {-3, 4}, zp1[1] = {128};
    int32_t sx[4] = {1, 4, 4, 3}, sw[4] = {2, 1, 1, 3}, sy[4] = {1, 4, 4, 2};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int wq = per_channel ? tb_tensor(&m, TB_I8, 4, sw, qi8, 6) : tb_tensor(&m, TB_U8, 4, sw, qu8, 6);
    m.t[wq].q_n = per_channel ? 2 : 1;
    m.t[wq].q_scale = per_channel ? sc2 : sc1;
    m.t[wq].q_zp = per_channel ? zp2 : zp1;
    m.t[wq].q_axis = 0;
    int wf = tb_tensor(&m, TB_F32, 4, sw, NULL, 0), y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    tb_op(&m, DEQUANT, 0, 1, (int32_t[]){wq}, wf);
    struct tb_op *op = tb_op(&m, CONV, 1, 2, (int32_t[]){x, wf}, y);
    tb_opt(op, 0, 1, 1);
    tb_opt(op, 1, 4, 1);
    tb_opt(op, 2, 4, 1);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    float w[6], *xi = input(48), want[32];
    for (int o = 0; o < 2; o++)
        for (int c = 0; c < 3; c++) {
            int i = o * 3 + c;
            w[i] = per_channel ? sc2[o] * (float)(qi8[i] - zp2[o]) : sc1[0] * (float)(qu8[i] - zp1[0]);
        }
    for (int p = 0; p < 16; p++)
        for (int o = 0; o < 2; o++)
            want[p * 2 + o] = xi[p * 3] * w[o * 3] + xi[p * 3 + 1] * w[o * 3 + 1] + xi[p * 3 + 2] * w[o * 3 + 2];
    const char *name = per_channel ? "DEQUANTIZE int8 per channel + CONV_2D" : "DEQUANTIZE uint8 + CONV_2D";
    struct gh_nn_tensor yt;
    if (run(&m, xi, 4, 4, 3, &yt, name)) {
        int64_t shape[4] = {1, 4, 4, 2};
        compare(name, &yt, want, 4, shape);
        gh_nn_tensor_release(&yt);
    }
    free(xi);
}

/* A model without an [1, H, W, C] input (batch 2) keeps its fixed sizes: a
 * RESIZE_BILINEAR then uses its stored output size directly (3 -> 5, legacy). */
static void static_resize_case(void)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    static const int32_t size[2] = {5, 5};
    int32_t sx[4] = {2, 3, 3, 1}, s2[1] = {2}, sy[4] = {2, 5, 5, 1};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), st = tb_tensor(&m, TB_I32, 1, s2, size, 8);
    int y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    tb_op(&m, RESIZE_BL, 15, 2, (int32_t[]){x, st}, y);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    size_t n;
    uint8_t *d = tb_build(&m, &n);
    struct gh_nn_model *model = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &model));
    free(d);
    if (!model)
        return;
    struct gh_nn_tensor info;
    CHECK_OK(gh_nn_input_info(model, 0, &info));
    CHECK(info.ndim == 4 && info.shape[0] == 2 && info.shape[1] == 3 && info.shape[2] == 3);
    float *xi = input(18), want[50];
    int lo[5], hi[5];
    float f[5];
    resize_ref_coords(5, 3, 0, 0, 0, lo, hi, f);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) {
                const float *s = xi + b * 9;
                want[b * 25 + i * 5 + j] = s[lo[i] * 3 + lo[j]] * (1 - f[i]) * (1 - f[j]) +
                                           s[hi[i] * 3 + lo[j]] * f[i] * (1 - f[j]) +
                                           s[lo[i] * 3 + hi[j]] * (1 - f[i]) * f[j] + s[hi[i] * 3 + hi[j]] * f[i] * f[j];
            }
    struct gh_nn_tensor in = {GH_NN_F32, 4, {2, 3, 3, 1}, xi}, yt;
    CHECK_OK(gh_nn_run(model, &in, &yt));
    if (yt.data) {
        int64_t shape[4] = {2, 5, 5, 1};
        compare("RESIZE_BILINEAR static size 3 -> 5", &yt, want, 4, shape);
        gh_nn_tensor_release(&yt);
    }
    free(xi);
    gh_nn_free(model);
}

/* ---- resize ---- */

static void resize_ref_coords(int out, int in, int ac, int hp, int nearest, int *lo, int *hi, float *f)
{
    for (int i = 0; i < out; i++) {
        float scale = ac && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
        if (nearest) {
            float s = hp ? ((float)i + 0.5f) * scale : (float)i * scale;
            int v = ac ? (int)roundf(s) : (int)floorf(s);
            lo[i] = hi[i] = v < 0 ? 0 : v > in - 1 ? in - 1 : v;
            f[i] = 0;
            continue;
        }
        float s = hp ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
        int l = (int)floorf(s);
        lo[i] = l < 0 ? 0 : l;
        int h = (int)ceilf(s);
        hi[i] = h > in - 1 ? in - 1 : h;
        f[i] = s - (float)lo[i];
    }
}

static void resize_case(int nearest, int ac, int hp)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    const int th = 4, tw = 6, c = 2, toh = 8, tow = 9; /* 2x and 1.5x */
    int32_t sx[4] = {1, th, tw, c}, ss[1] = {2}, sy[4] = {1, toh, tow, c}, size[2] = {toh, tow};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), st = tb_tensor(&m, TB_I32, 1, ss, size, sizeof size);
    int y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t in[2] = {x, st};
    struct tb_op *op = tb_op(&m, nearest ? RESIZE_NN : RESIZE_BL, nearest ? 74 : 15, 2, in, y);
    tb_opt(op, nearest ? 0 : 2, 1, (uint32_t)ac);
    tb_opt(op, nearest ? 1 : 3, 1, (uint32_t)hp);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    int sizes[2][2] = {{th, tw}, {2 * th, 2 * tw}};
    for (int s = 0; s < 2; s++) {
        int h = sizes[s][0], w = sizes[s][1], oh = h * 2, ow = w * 3 / 2;
        float *xi = input((size_t)h * w * c), *want = malloc((size_t)oh * ow * c * sizeof *want);
        int ylo[64], yhi[64], xlo[64], xhi[64];
        float fy[64], fx[64];
        resize_ref_coords(oh, h, ac, hp, nearest, ylo, yhi, fy);
        resize_ref_coords(ow, w, ac, hp, nearest, xlo, xhi, fx);
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int k = 0; k < c; k++) {
                    float tl = xi[((size_t)ylo[i] * w + xlo[j]) * c + k], tr = xi[((size_t)ylo[i] * w + xhi[j]) * c + k];
                    float bl = xi[((size_t)yhi[i] * w + xlo[j]) * c + k], br = xi[((size_t)yhi[i] * w + xhi[j]) * c + k];
                    want[((size_t)i * ow + j) * c + k] = tl * (1 - fy[i]) * (1 - fx[j]) + bl * fy[i] * (1 - fx[j]) +
                                                          tr * (1 - fy[i]) * fx[j] + br * fy[i] * fx[j];
                }
        char name[96];
        snprintf(name, sizeof name, "%s%s%s at %dx%d", nearest ? "RESIZE_NEAREST_NEIGHBOR" : "RESIZE_BILINEAR",
                 ac ? " align_corners" : "", hp ? " half_pixel_centers" : "", h, w);
        struct gh_nn_tensor yt;
        if (run(&m, xi, h, w, c, &yt, name)) {
            int64_t shape[4] = {1, oh, ow, c};
            compare(name, &yt, want, 4, shape);
            gh_nn_tensor_release(&yt);
        }
        free(xi);
        free(want);
    }
}

/* ---- padding ---- */

static int mirror(int i, int n, int symmetric)
{
    if (i < 0)
        return symmetric ? -i - 1 : -i;
    if (i >= n)
        return symmetric ? 2 * n - i - 1 : 2 * n - i - 2;
    return i;
}

/* mode 0 PAD, 1 PADV2 (value 0.5), 2 MIRROR REFLECT, 3 MIRROR SYMMETRIC */
static void pad_case(int mode, const int32_t *pads)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    const int th = 4, tw = 5, c = 2;
    int ph = pads[2] + pads[3], pw = pads[4] + pads[5];
    static const float value = 0.5f;
    int32_t sx[4] = {1, th, tw, c}, sp[2] = {4, 2}, sy[4] = {1, th + ph, tw + pw, c};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), pt = tb_tensor(&m, TB_I32, 2, sp, pads, 32);
    int vt = tb_tensor(&m, TB_F32, 0, sp, &value, 4);
    int y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t in[3] = {x, pt, vt};
    static const int codes[4] = {PAD, PADV2, MIRROR, MIRROR}, tags[4] = {22, 43, 77, 77};
    struct tb_op *op = tb_op(&m, codes[mode], tags[mode], mode == 1 ? 3 : 2, in, y);
    if (mode >= 2)
        tb_opt(op, 0, 1, (uint32_t)(mode - 2));
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    int sizes[2][2] = {{th, tw}, {6, 3}};
    for (int s = 0; s < 2; s++) {
        int h = sizes[s][0], w = sizes[s][1], oh = h + ph, ow = w + pw;
        float *xi = input((size_t)h * w * c), *want = malloc((size_t)oh * ow * c * sizeof *want);
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int k = 0; k < c; k++) {
                    int yy = i - pads[2], xx = j - pads[4];
                    float v;
                    if (mode < 2)
                        v = yy < 0 || yy >= h || xx < 0 || xx >= w ? (mode ? value : 0)
                                                                  : xi[((size_t)yy * w + xx) * c + k];
                    else
                        v = xi[((size_t)mirror(yy, h, mode == 3) * w + mirror(xx, w, mode == 3)) * c + k];
                    want[((size_t)i * ow + j) * c + k] = v;
                }
        static const char *names[4] = {"PAD", "PADV2", "MIRROR_PAD REFLECT", "MIRROR_PAD SYMMETRIC"};
        struct gh_nn_tensor yt;
        if (run(&m, xi, h, w, c, &yt, names[mode])) {
            int64_t shape[4] = {1, oh, ow, c};
            compare(names[mode], &yt, want, 4, shape);
            gh_nn_tensor_release(&yt);
        }
        free(xi);
        free(want);
    }
}

/* ---- concat, slice, max/min ---- */

static void concat_case(void)
{
    /* y = RELU(concat([x, K], axis 3)); z = concat([x, x], axis 1) (H + H = 2H) */
    struct tb_model m;
    memset(&m, 0, sizeof m);
    static float kc[4 * 4];
    for (int i = 0; i < 16; i++)
        kc[i] = (float)i / 8.0f - 1.0f;
    int32_t sx[4] = {1, 4, 4, 2}, sk[4] = {1, 4, 4, 1}, sy[4] = {1, 4, 4, 3}, sz[4] = {1, 8, 4, 2};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), k = tb_tensor(&m, TB_F32, 4, sk, kc, sizeof kc);
    int y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0), z = tb_tensor(&m, TB_F32, 4, sz, NULL, 0);
    int32_t i1[2] = {x, k}, i2[2] = {x, x};
    struct tb_op *op = tb_op(&m, CONCAT, 10, 2, i1, y);
    tb_opt(op, 0, 4, 3);
    tb_opt(op, 1, 1, 1);
    op = tb_op(&m, CONCAT, 10, 2, i2, z);
    tb_opt(op, 0, 4, (uint32_t)-3); /* axis -3 = H */
    m.n_in = 1;
    m.in[0] = x;
    m.n_out = 2;
    m.out[0] = y;
    m.out[1] = z;
    size_t n;
    uint8_t *d = tb_build(&m, &n);
    struct gh_nn_model *model = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &model));
    free(d);
    if (!model)
        return;
    float *xi = input(32);
    struct gh_nn_tensor in = {GH_NN_F32, 4, {1, 4, 4, 2}, xi}, out[2];
    CHECK_OK(gh_nn_run_multi(model, 1, &in, 2, out));
    if (out[0].data) {
        float want[48], wz[64];
        for (int p = 0; p < 16; p++) {
            want[p * 3] = act_ref(xi[p * 2], 1);
            want[p * 3 + 1] = act_ref(xi[p * 2 + 1], 1);
            want[p * 3 + 2] = act_ref(kc[p], 1);
        }
        memcpy(wz, xi, 32 * sizeof *xi);
        memcpy(wz + 32, xi, 32 * sizeof *xi);
        int64_t s1[4] = {1, 4, 4, 3}, s2[4] = {1, 8, 4, 2};
        compare("CONCATENATION channels + RELU", &out[0], want, 4, s1);
        compare("CONCATENATION along H", &out[1], wz, 4, s2);
        gh_nn_tensor_release(&out[0]);
        gh_nn_tensor_release(&out[1]);
    }
    free(xi);
    gh_nn_free(model);
}

static void slice_case(int shrink, int slice_h)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t b[4] = {0, slice_h ? 1 : 0, 0, shrink ? 2 : 1}, e[4] = {1, 6, 6, 3}, s[4] = {1, 1, 1, 1};
    int32_t sx[4] = {1, 6, 6, 4}, s4[1] = {4}, sy[4] = {1, slice_h ? 5 : 6, 6, 2}, sys[3] = {1, 6, 6};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int bt = tb_tensor(&m, TB_I32, 1, s4, b, 16), et = tb_tensor(&m, TB_I32, 1, s4, e, 16),
        st = tb_tensor(&m, TB_I32, 1, s4, s, 16);
    int y = shrink ? tb_tensor(&m, TB_F32, 3, sys, NULL, 0) : tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t in[4] = {x, bt, et, st};
    struct tb_op *op = tb_op(&m, SSLICE, 32, 4, in, y);
    tb_opt(op, 0, 4, 1);             /* begin_mask: batch */
    tb_opt(op, 1, 4, 2);             /* end_mask: H */
    tb_opt(op, 4, 4, shrink ? 8 : 0); /* shrink_axis_mask: C */
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    if (slice_h) { /* slicing a size-dependent axis cannot be generalized: refused clearly */
        size_t n;
        uint8_t *d = tb_build(&m, &n);
        struct gh_nn_model *model = NULL;
        enum gh_status stt = gh_nn_load_memory(d, n, &model);
        free(d);
        CHECK(stt == GH_ERR_UNSUPPORTED && strstr(gh_error_detail(), "size-dependent"));
        gh_nn_free(model);
        return;
    }
    int sizes[2][2] = {{6, 6}, {4, 10}};
    for (int z = 0; z < 2; z++) {
        int h = sizes[z][0], w = sizes[z][1], oc = shrink ? 1 : 2;
        float *xi = input((size_t)h * w * 4), *want = malloc((size_t)h * w * oc * sizeof *want);
        for (int p = 0; p < h * w; p++)
            for (int k = 0; k < oc; k++)
                want[p * oc + k] = xi[p * 4 + (shrink ? 2 : 1) + k];
        struct gh_nn_tensor yt;
        const char *name = shrink ? "STRIDED_SLICE shrink" : "STRIDED_SLICE";
        if (run(&m, xi, h, w, 4, &yt, name)) {
            int64_t shape[4] = {1, h, w, oc};
            compare(name, &yt, want, shrink ? 3 : 4, shape);
            gh_nn_tensor_release(&yt);
        }
        free(xi);
        free(want);
    }
}

static void maxmin_case(void)
{
    /* y1 = MAXIMUM(x, 0.25) (a Clip), t = TANH(x), y2 = MINIMUM(x, t) */
    struct tb_model m;
    memset(&m, 0, sizeof m);
    static const float q = 0.25f;
    int32_t sx[4] = {1, 4, 4, 3}, s1[1] = {1};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), c = tb_tensor(&m, TB_F32, 1, s1, &q, 4);
    int y1 = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), t = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int y2 = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int32_t a[2] = {x, c}, b[1] = {x}, d2[2] = {x, t};
    tb_op(&m, MAXIMUM, 39, 2, a, y1);
    tb_op(&m, TANH, 0, 1, b, t);
    tb_op(&m, MINIMUM, 39, 2, d2, y2);
    m.n_in = 1;
    m.in[0] = x;
    m.n_out = 2;
    m.out[0] = y1;
    m.out[1] = y2;
    size_t n;
    uint8_t *d = tb_build(&m, &n);
    struct gh_nn_model *model = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &model));
    free(d);
    if (!model)
        return;
    float *xi = input(6 * 8 * 3);
    struct gh_nn_tensor in = {GH_NN_F32, 4, {1, 6, 8, 3}, xi}, out[2];
    CHECK_OK(gh_nn_run_multi(model, 1, &in, 2, out));
    if (out[0].data) {
        float w1[144], w2[144];
        for (int i = 0; i < 144; i++) {
            w1[i] = xi[i] > q ? xi[i] : q;
            float th = tanhf(xi[i]);
            w2[i] = xi[i] < th ? xi[i] : th;
        }
        int64_t shape[4] = {1, 6, 8, 3};
        compare("MAXIMUM with a constant", &out[0], w1, 4, shape);
        compare("MINIMUM of two tensors", &out[1], w2, 4, shape);
        gh_nn_tensor_release(&out[0]);
        gh_nn_tensor_release(&out[1]);
    }
    free(xi);
    gh_nn_free(model);
}

/* ---- unary, reductions, softmax, layout ---- */

static void unary_case(int code)
{
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t sx[4] = {1, 3, 4, 5};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), y = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int32_t in[1] = {x};
    struct tb_op *op = tb_op(&m, code, code == LEAKY ? 75 : 0, 1, in, y);
    if (code == LEAKY)
        tb_optf(op, 0, 0.1f);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    float *xi = input(60), want[60];
    for (int i = 0; i < 60; i++) {
        float v = xi[i] * 4;
        if (code == SQRT || code == RSQRT)
            v = fabsf(v) + 0.01f;
        xi[i] = v;
        switch (code) {
        case LOGISTIC: want[i] = 1 / (1 + expf(-v)); break;
        case RELU: want[i] = act_ref(v, 1); break;
        case RELU_N1: want[i] = act_ref(v, 2); break;
        case RELU6: want[i] = act_ref(v, 3); break;
        case TANH: want[i] = tanhf(v); break;
        case LEAKY: want[i] = v > 0 ? v : 0.1f * v; break;
        case SQRT: want[i] = sqrtf(v); break;
        default: want[i] = 1 / sqrtf(v); break;
        }
    }
    char name[32];
    snprintf(name, sizeof name, "unary op %d", code);
    struct gh_nn_tensor yt;
    if (run(&m, xi, 3, 4, 5, &yt, name)) {
        int64_t shape[4] = {1, 3, 4, 5};
        compare(name, &yt, want, 4, shape);
        gh_nn_tensor_release(&yt);
    }
    free(xi);
}

static void reduce_softmax_layout_case(void)
{
    /* mean = MEAN(x, [1,2], keep 0) -> [1,C]; sum = SUM(x, [3], keep 1) -> [1,H,W,1];
     * sm = SOFTMAX(x, beta 0.5); r = RESHAPE(TRANSPOSE(x, [0,3,1,2]), [1, C, H*W]);
     * e = SQUARED_DIFFERENCE(x, sum) then DIV by (1 + ...) etc.: arithmetic with broadcasting */
    struct tb_model m;
    memset(&m, 0, sizeof m);
    const int H = 4, W = 4, C = 3;
    static const int32_t ax12[2] = {1, 2}, ax3[1] = {3}, perm[4] = {0, 3, 1, 2}, rs[3] = {1, 3, 16};
    static const float bias[3] = {0.5f, -1.0f, 2.0f};
    int32_t sx[4] = {1, H, W, C}, s2[1] = {2}, s1[1] = {1}, s4[1] = {4}, s3[1] = {3}, smean[2] = {1, C},
            ssum[4] = {1, H, W, 1}, st[4] = {1, C, H, W}, sr[3] = {1, C, H * W};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int a12 = tb_tensor(&m, TB_I32, 1, s2, ax12, 8), a3 = tb_tensor(&m, TB_I32, 1, s1, ax3, 4);
    int pt = tb_tensor(&m, TB_I32, 1, s4, perm, 16), rt = tb_tensor(&m, TB_I32, 1, s3, rs, 12);
    int bt = tb_tensor(&m, TB_F32, 1, s3, bias, 12);
    int mean = tb_tensor(&m, TB_F32, 2, smean, NULL, 0), sum = tb_tensor(&m, TB_F32, 4, ssum, NULL, 0);
    int sm = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), tr = tb_tensor(&m, TB_F32, 4, st, NULL, 0);
    int r = tb_tensor(&m, TB_F32, 3, sr, NULL, 0);
    int sq = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), ad = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int dv = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), sb = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int ml = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    struct tb_op *op;
    op = tb_op(&m, MEAN, 27, 2, (int32_t[]){x, a12}, mean);
    tb_opt(op, 0, 1, 0);
    op = tb_op(&m, SUM, 27, 2, (int32_t[]){x, a3}, sum);
    tb_opt(op, 0, 1, 1);
    op = tb_op(&m, SOFTMAX, 9, 1, (int32_t[]){x}, sm);
    tb_optf(op, 0, 0.5f);
    tb_op(&m, TRANSPOSE, 26, 2, (int32_t[]){x, pt}, tr);
    tb_op(&m, RESHAPE, 17, 2, (int32_t[]){tr, rt}, r);
    tb_op(&m, SQDIFF, 76, 2, (int32_t[]){x, sum}, sq);
    op = tb_op(&m, ADD, 11, 2, (int32_t[]){sq, bt}, ad);
    tb_opt(op, 0, 1, 1); /* RELU */
    tb_op(&m, DIV, 29, 2, (int32_t[]){x, ad}, dv);
    op = tb_op(&m, SUB, 28, 2, (int32_t[]){dv, bt}, sb);
    tb_opt(op, 0, 1, 3); /* RELU6 */
    op = tb_op(&m, MUL, 21, 2, (int32_t[]){bt, x}, ml);
    tb_opt(op, 0, 1, 2); /* RELU_N1_TO_1 */
    m.n_in = 1;
    m.in[0] = x;
    m.n_out = 4;
    m.out[0] = mean;
    m.out[1] = sm;
    m.out[2] = r;
    m.out[3] = ml;
    m.n_out = 4;
    size_t n;
    uint8_t *d = tb_build(&m, &n);
    /* extra outputs through a second model view: sum-based chain checked via sb */
    struct gh_nn_model *model = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &model));
    free(d);
    if (!model)
        return;
    int sizes[2][2] = {{H, W}, {6, 2}};
    for (int z = 0; z < 2; z++) {
        int h = sizes[z][0], w = sizes[z][1], np = h * w;
        float *xi = input((size_t)np * C);
        struct gh_nn_tensor in = {GH_NN_F32, 4, {1, h, w, C}, xi}, out[4];
        CHECK_OK(gh_nn_run_multi(model, 1, &in, 4, out));
        if (out[0].data) {
            float *wm = calloc(C, sizeof *wm), *ws = malloc((size_t)np * C * sizeof *ws),
                  *wr = malloc((size_t)np * C * sizeof *wr), *wl = malloc((size_t)np * C * sizeof *wl);
            for (int k = 0; k < C; k++) {
                double a = 0;
                for (int p = 0; p < np; p++)
                    a += xi[p * C + k];
                wm[k] = (float)(a / np);
            }
            for (int p = 0; p < np; p++) {
                float mx = -INFINITY, den = 0;
                for (int k = 0; k < C; k++)
                    mx = fmaxf(mx, xi[p * C + k]);
                for (int k = 0; k < C; k++)
                    den += expf(0.5f * (xi[p * C + k] - mx));
                for (int k = 0; k < C; k++) {
                    ws[p * C + k] = expf(0.5f * (xi[p * C + k] - mx)) / den;
                    wr[k * np + p] = xi[p * C + k];
                    wl[p * C + k] = act_ref(bias[k] * xi[p * C + k], 2);
                }
            }
            int64_t s_m[2] = {1, C}, s_s[4] = {1, h, w, C}, s_r[3] = {1, C, np};
            compare("MEAN keep_dims=false", &out[0], wm, 2, s_m);
            compare("SOFTMAX beta 0.5", &out[1], ws, 4, s_s);
            compare("TRANSPOSE + RESHAPE (flatten H*W)", &out[2], wr, 3, s_r);
            compare("MUL broadcast + RELU_N1_TO_1", &out[3], wl, 4, s_s);
            for (int i = 0; i < 4; i++)
                gh_nn_tensor_release(&out[i]);
            free(wm);
            free(ws);
            free(wr);
            free(wl);
        }
        free(xi);
    }
    gh_nn_free(model);

    /* The SUM / SQUARED_DIFFERENCE / ADD+RELU / DIV / SUB+RELU6 chain, as its own output. */
    m.n_out = 1;
    m.out[0] = sb;
    d = tb_build(&m, &n);
    model = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &model));
    free(d);
    if (!model)
        return;
    float *xi = input((size_t)H * W * C), want[48];
    struct gh_nn_tensor in = {GH_NN_F32, 4, {1, H, W, C}, xi}, y;
    CHECK_OK(gh_nn_run(model, &in, &y));
    if (y.data) {
        for (int p = 0; p < H * W; p++) {
            float s = 0;
            for (int k = 0; k < C; k++)
                s += xi[p * C + k];
            for (int k = 0; k < C; k++) {
                float v = xi[p * C + k], dd = v - s;
                float a = act_ref(dd * dd + bias[k], 1);
                want[p * C + k] = act_ref(v / a - bias[k], 3);
            }
        }
        int64_t shape[4] = {1, H, W, C};
        compare("SUM/SQUARED_DIFFERENCE/ADD/DIV/SUB chain", &y, want, 4, shape);
        gh_nn_tensor_release(&y);
    }
    free(xi);
    gh_nn_free(model);
}

int main(void)
{
    conv_case("CONV_2D SAME stride 2 RELU6", 8, 8, 3, 4, (struct convp){3, 3, 2, 2, 1, 1, 1, 3, 0}, 12, 20);
    conv_case("CONV_2D SAME 4x4 (even kernel: extra pixel bottom/right)", 6, 6, 2, 3,
              (struct convp){4, 4, 1, 1, 1, 1, 1, 0, 0}, 8, 10);
    conv_case("CONV_2D SAME dilation 2 RELU", 8, 8, 2, 3, (struct convp){3, 3, 1, 1, 2, 2, 1, 1, 0}, 10, 6);
    conv_case("CONV_2D VALID stride 2 TANH", 9, 9, 3, 2, (struct convp){3, 3, 2, 2, 1, 1, 0, 4, 0}, 13, 7);
    conv_case("DEPTHWISE_CONV_2D SAME x2 RELU", 8, 8, 2, 4, (struct convp){3, 3, 1, 1, 1, 1, 1, 1, 2}, 10, 6);
    conv_case("DEPTHWISE_CONV_2D SAME stride 2", 8, 8, 3, 3, (struct convp){3, 3, 2, 2, 1, 1, 1, 0, 1}, 12, 16);
    tconv_case("TRANSPOSE_CONV SAME 3x3 stride 2 + bias", 4, 5, 3, 2, 3, 2, 1, 1, 6, 3);
    tconv_case("TRANSPOSE_CONV SAME 4x4 stride 2", 4, 4, 2, 3, 4, 2, 1, 0, 5, 7);
    tconv_case("TRANSPOSE_CONV VALID 3x3 stride 2", 3, 4, 2, 2, 3, 2, 0, 1, 5, 2);
    pool_case(2, 2, 0, 8, 8, 12, 6);
    pool_case(3, 1, 1, 6, 6, 5, 9);
    pool_case(3, 2, 1, 8, 8, 12, 6);
    for (int nearest = 0; nearest < 2; nearest++) {
        resize_case(nearest, 0, 0);
        resize_case(nearest, 1, 0);
        resize_case(nearest, 0, 1);
    }
    quant_conv_case(1);
    quant_conv_case(0);
    static_resize_case();
    static const int32_t pads[8] = {0, 0, 1, 2, 2, 1, 0, 0}, pads1[8] = {0, 0, 1, 1, 0, 1, 0, 0};
    pad_case(0, pads);
    pad_case(1, pads);
    pad_case(2, pads1);
    pad_case(3, pads1);
    concat_case();
    slice_case(0, 0);
    slice_case(1, 0);
    slice_case(0, 1);
    maxmin_case();
    static const int unary[] = {LOGISTIC, RELU, RELU_N1, RELU6, TANH, LEAKY, SQRT, RSQRT};
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++)
        unary_case(unary[i]);
    reduce_softmax_layout_case();
    return check_finish();
}
