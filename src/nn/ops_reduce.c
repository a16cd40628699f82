/* Reduction and normalization kernels: the ops whose values can span the
 * whole image (spatial means, softmax over positions, the normalizations),
 * so the statistics mode (stats.c) records and replays them here. Reductions
 * accumulate in double (like the Hayao reference), so a spatial mean over a
 * million pixels keeps float32 accuracy. */
#include "nn/nn_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 16384 /* elements per parallel work item */

/* ---- reductions ---- */

/* Sum of n floats: 8 float lanes over blocks of 256 (vectorizable), block
 * sums in double, so long spatial sums keep float accuracy. */
GH_NN_SIMD static double sum_f32(const float *p, int64_t n)
{
    double total = 0;
    int64_t i = 0;
    for (; i + 256 <= n; i += 256) {
        float lane[8] = {0};
        for (int64_t j = 0; j < 256; j += 8)
            for (int k = 0; k < 8; k++)
                lane[k] += p[i + j + k];
        total += (double)((lane[0] + lane[1]) + (lane[2] + lane[3])) + (double)((lane[4] + lane[5]) + (lane[6] + lane[7]));
    }
    for (; i < n; i++)
        total += p[i];
    return total;
}

struct red_ctx {
    const float *in;
    float *out;
    int64_t outer, len, inner;
    int mean;
};

static void red_range(void *arg, int begin, int end)
{
    const struct red_ctx *c = arg;
    for (int64_t o = begin; o < end; o++) {
        const float *p = c->in + o * c->len * c->inner;
        float *q = c->out + o * c->inner;
        if (c->inner == 1) {
            q[0] = (float)(c->mean ? sum_f32(p, c->len) / (double)c->len : sum_f32(p, c->len));
            continue;
        }
        for (int64_t j = 0; j < c->inner; j++) {
            double s = 0;
            for (int64_t i = 0; i < c->len; i++)
                s += p[i * c->inner + j];
            q[j] = (float)(c->mean ? s / (double)c->len : s);
        }
    }
}

struct moments_ctx {
    const float *x, *mean;
    float *out;
    int64_t len;
};

GH_NN_SIMD static void moments_range(void *arg, int begin, int end)
{
    const struct moments_ctx *c = arg;
    for (int64_t o = begin; o < end; o++) {
        const float *p = c->x + o * c->len;
        float mu = c->mean[o];
        double total = 0;
        int64_t i = 0;
        for (; i + 256 <= c->len; i += 256) {
            float lane[8] = {0};
            for (int64_t j = 0; j < 256; j += 8)
                for (int k = 0; k < 8; k++) {
                    float d = p[i + j + k] - mu;
                    lane[k] += d * d;
                }
            total += (double)((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                     (double)((lane[4] + lane[5]) + (lane[6] + lane[7]));
        }
        for (; i < c->len; i++) {
            float d = p[i] - mu;
            total += (double)(d * d);
        }
        c->out[o] = (float)(total / (double)c->len);
    }
}

/* Fused moments (graph.c): out[n,c] = mean over H, W of (x - mean[n,c])^2. */
static enum gh_status run_moments(struct gh_nn_exec *x, const struct gh_nn_node *node)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0), *mean = gh_nn_in(x, node, 1);
    if (in->dtype != GH_NN_F32 || in->ndim != 4 || mean->ndim != 4 || mean->shape[0] != in->shape[0] ||
        mean->shape[1] != in->shape[1] || mean->shape[2] != 1 || mean->shape[3] != 1)
        return gh_error(GH_ERR_MODEL, "fused moments: unexpected shapes");
    int64_t shape[4] = {in->shape[0], in->shape[1], 1, 1};
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, GH_NN_F32, 4, shape, &out);
    if (st)
        return st;
    struct moments_ctx c = {in->data, mean->data, out->data, in->shape[2] * in->shape[3]};
    int64_t rows = in->shape[0] * in->shape[1];
    if (c.len == 0) {
        for (int64_t i = 0; i < rows; i++)
            c.out[i] = NAN;
        return GH_OK;
    }
    gh_parallel_for((int)rows, rows * c.len >= 2 * CHUNK ? x->threads : 1, moments_range, &c);
    return GH_OK;
}

static enum gh_status reduce_compute(struct gh_nn_exec *x, const struct gh_nn_node *node)
{
    if (node->fused_moments)
        return run_moments(x, node);
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int64_t axes[GH_NN_MAX_DIMS];
    int n_axes = -1, r = in->ndim;
    int red[GH_NN_MAX_DIMS] = {0};
    int keep = 1, mean = node->op != GH_NN_OP_REDUCE_SUM;
    enum gh_status st;
    if (in->dtype != GH_NN_F32)
        return gh_error(GH_ERR_UNSUPPORTED, "input must be float32");
    if (node->op == GH_NN_OP_GLOBAL_AVERAGE_POOL) {
        if (r < 3)
            return gh_error(GH_ERR_MODEL, "input must have at least 3 dimensions");
        for (int i = 2; i < r; i++)
            red[i] = 1;
    } else {
        keep = (int)gh_nn_attr_int(node, "keepdims", 1);
        int input = node->op == GH_NN_OP_REDUCE_SUM && x->m->opset >= 13 ? 1 : -1;
        if ((st = gh_nn_ints_arg(x, node, input < 0 ? "axes" : NULL, input, axes, GH_NN_MAX_DIMS, &n_axes)))
            return st;
        if (n_axes <= 0) {
            if (gh_nn_attr_int(node, "noop_with_empty_axes", 0)) {
                struct gh_nn_tensor *out;
                if ((st = gh_nn_out(x, node, 0, GH_NN_F32, r, in->shape, &out)))
                    return st;
                memcpy(out->data, in->data, gh_nn_tensor_count(in) * sizeof(float));
                return GH_OK;
            }
            for (int i = 0; i < r; i++)
                red[i] = 1;
        }
        for (int i = 0; i < n_axes; i++) {
            int a = gh_nn_axis(axes[i], r);
            if (a < 0 || red[a])
                return gh_error(GH_ERR_MODEL, "bad or repeated axis %lld", (long long)axes[i]);
            red[a] = 1;
        }
    }
    int64_t oshape[GH_NN_MAX_DIMS];
    int on = 0;
    for (int i = 0; i < r; i++) {
        if (!red[i])
            oshape[on++] = in->shape[i];
        else if (keep)
            oshape[on++] = 1;
    }
    struct gh_nn_tensor *out;
    const float *src = in->data;
    if ((st = gh_nn_out(x, node, 0, GH_NN_F32, on, oshape, &out)))
        return st;
    /* Reduced axes as runs: reduce the innermost run of axes repeatedly
     * (contiguous runs cover every graph we run; scattered axes loop). */
    int64_t cur[GH_NN_MAX_DIMS] = {0};
    int cr = r;
    for (int i = 0; i < r; i++)
        cur[i] = in->shape[i];
    float *tmp = NULL;
    const float *p = src;
    for (;;) {
        int last = -1;
        for (int i = cr - 1; i >= 0; i--)
            if (red[i]) {
                last = i;
                break;
            }
        if (last < 0)
            break;
        int first = last;
        while (first > 0 && red[first - 1])
            first--;
        struct red_ctx c = {p, NULL, 1, 1, 1, mean};
        for (int i = 0; i < first; i++)
            c.outer *= cur[i];
        for (int i = first; i <= last; i++)
            c.len *= cur[i];
        for (int i = last + 1; i < cr; i++)
            c.inner *= cur[i];
        int more = 0;
        for (int i = 0; i < first; i++)
            more |= red[i];
        size_t n_out = (size_t)(c.outer * c.inner);
        float *dst;
        if (!more) {
            dst = out->data;
        } else {
            dst = malloc(n_out * sizeof(float) + 4);
            if (!dst) {
                free(tmp);
                return gh_error(GH_ERR_NOMEM, "out of memory");
            }
        }
        c.out = dst;
        if (c.len == 0) {
            for (size_t i = 0; i < n_out; i++)
                dst[i] = mean ? NAN : 0;
        } else {
            gh_parallel_for((int)c.outer, c.outer * c.len * c.inner >= 2 * CHUNK ? x->threads : 1, red_range, &c);
        }
        free(tmp);
        tmp = more ? dst : NULL;
        p = dst;
        /* Collapse the reduced run into one size-1 dim not marked reduced. */
        int64_t ns[GH_NN_MAX_DIMS] = {0};
        int nr[GH_NN_MAX_DIMS] = {0}, k = 0;
        for (int i = 0; i < cr; i++) {
            if (i >= first && i <= last) {
                if (i == first)
                    ns[k++] = 1;
                continue;
            }
            nr[k] = red[i];
            ns[k++] = cur[i];
        }
        cr = k;
        memcpy(cur, ns, sizeof ns);
        memcpy(red, nr, sizeof nr);
        if (!more)
            break;
    }
    if (p == src) /* nothing reduced (all axes absent cannot happen; keep it safe) */
        memcpy(out->data, src, gh_nn_tensor_count(in) * sizeof(float));
    free(tmp);
    return GH_OK;
}

/* A global reduction's output is tiny (per channel), so replay computes it
 * anyway, for the shape, and overwrites it. */
GH_NN_KERNEL(gh_nn_k_reduce)
{
    enum gh_status st = reduce_compute(x, node);
    enum gh_nn_freeze fz = gh_nn_freeze_of(x);
    if (st || fz == GH_NN_FREEZE_OFF)
        return st;
    struct gh_nn_tensor *out = &x->vals[node->out[0]];
    size_t n = gh_nn_tensor_count(out);
    if (fz == GH_NN_FREEZE_RECORD)
        return gh_nn_stats_put(x, out->data, n);
    const float *v;
    if ((st = gh_nn_stats_get(x, n, &v)))
        return st;
    /* A sum over the positions grows with their number; a mean does not. */
    float k = node->op == GH_NN_OP_REDUCE_SUM && !node->fused_moments ? (float)x->m->count_ratio : 1.0f;
    float *o = out->data;
    for (size_t i = 0; i < n; i++)
        o[i] = v[i] * k;
    return GH_OK;
}

/* ---- InstanceNormalization ---- */

struct inorm_ctx {
    const float *in, *scale, *bias;
    float *out;
    int64_t c, len;
    double eps;
    /* Statistics mode: per row, the mean and the variance, each as two
     * floats (high and low part of the double), recorded or replayed. */
    float *rec;
    const float *rep;
};

GH_NN_SIMD static void inorm_range(void *arg, int begin, int end)
{
    const struct inorm_ctx *c = arg;
    for (int64_t o = begin; o < end; o++) {
        const float *p = c->in + o * c->len;
        float *q = c->out + o * c->len;
        double s = 0, v = 0, mean;
        if (c->rep) {
            mean = (double)c->rep[4 * o] + (double)c->rep[4 * o + 1];
            v = (double)c->rep[4 * o + 2] + (double)c->rep[4 * o + 3];
        } else {
            for (int64_t i = 0; i < c->len; i++)
                s += p[i];
            mean = s / (double)c->len;
            for (int64_t i = 0; i < c->len; i++)
                v += (p[i] - mean) * (p[i] - mean);
            v = v / (double)c->len;
            if (c->rec) {
                c->rec[4 * o] = (float)mean;
                c->rec[4 * o + 1] = (float)(mean - (double)(float)mean);
                c->rec[4 * o + 2] = (float)v;
                c->rec[4 * o + 3] = (float)(v - (double)(float)v);
            }
        }
        v += c->eps;
        if (v < GH_NN_SQRT_FLOOR)
            v = GH_NN_SQRT_FLOOR;
        int64_t ch = o % c->c;
        float k = (float)(c->scale[ch] / sqrt(v)), m = (float)mean, b = c->bias[ch];
        for (int64_t i = 0; i < c->len; i++)
            q[i] = (p[i] - m) * k + b;
    }
}

GH_NN_KERNEL(gh_nn_k_instance_norm)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0), *s = gh_nn_in(x, node, 1), *b = gh_nn_in(x, node, 2);
    if (!s || !b || in->dtype != GH_NN_F32 || s->dtype != GH_NN_F32 || b->dtype != GH_NN_F32 || in->ndim < 3 ||
        (int64_t)gh_nn_tensor_count(s) != in->shape[1] || (int64_t)gh_nn_tensor_count(b) != in->shape[1])
        return gh_error(GH_ERR_MODEL, "needs float input [N,C,...] with C scales and biases");
    struct inorm_ctx c = {in->data, s->data, b->data, NULL, in->shape[1], 1, gh_nn_attr_float(node, "epsilon", 1e-5f),
                          NULL, NULL};
    for (int i = 2; i < in->ndim; i++)
        c.len *= in->shape[i];
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, GH_NN_F32, in->ndim, in->shape, &out);
    if (st)
        return st;
    c.out = out->data;
    enum gh_nn_freeze fz = gh_nn_freeze_of(x);
    size_t rows = (size_t)(in->shape[0] * in->shape[1]);
    if (fz == GH_NN_FREEZE_REPLAY && (st = gh_nn_stats_get(x, 4 * rows, &c.rep)))
        return st;
    if (fz == GH_NN_FREEZE_RECORD && (st = gh_nn_scratch(x, 4 * rows * sizeof(float) + 1, (void **)&c.rec)))
        return st;
    if (c.len)
        gh_parallel_for((int)rows, x->threads, inorm_range, &c);
    if (c.rec && c.len)
        return gh_nn_stats_put(x, c.rec, 4 * rows);
    return GH_OK;
}

/* ---- Softmax ---- */

struct softmax_ctx {
    const float *in;
    float *out;
    int64_t len, inner;
    /* Statistics mode: per row, the maximum and 1 / sum of exp(x - max):
     * rec receives them, or rep supplies them (1 / sum divided by ratio). */
    float *rec;
    const float *rep;
    float ratio;
};

GH_NN_SIMD static void softmax_range(void *arg, int begin, int end)
{
    const struct softmax_ctx *c = arg;
    for (int64_t r = begin; r < end; r++) {
        int64_t o = r / c->inner, j = r % c->inner;
        const float *p = c->in + o * c->len * c->inner + j;
        float *q = c->out + o * c->len * c->inner + j;
        float mx = -INFINITY, k;
        if (c->rep) {
            mx = c->rep[2 * r];
            k = c->rep[2 * r + 1] / c->ratio;
            for (int64_t i = 0; i < c->len; i++)
                q[i * c->inner] = expf(p[i * c->inner] - mx);
        } else {
            for (int64_t i = 0; i < c->len; i++)
                mx = p[i * c->inner] > mx ? p[i * c->inner] : mx;
            double s = 0;
            for (int64_t i = 0; i < c->len; i++) {
                float e = expf(p[i * c->inner] - mx);
                q[i * c->inner] = e;
                s += e;
            }
            k = (float)(1.0 / s);
            if (c->rec) {
                c->rec[2 * r] = mx;
                c->rec[2 * r + 1] = k;
            }
        }
        for (int64_t i = 0; i < c->len; i++)
            q[i * c->inner] *= k;
    }
}

GH_NN_KERNEL(gh_nn_k_softmax)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int r = in->ndim;
    if (in->dtype != GH_NN_F32 || r < 1)
        return gh_error(GH_ERR_MODEL, "input must be a float tensor");
    int old = x->m->opset < 13;
    int axis = gh_nn_axis(gh_nn_attr_int(node, "axis", old ? 1 : -1), r);
    if (axis < 0)
        return gh_error(GH_ERR_MODEL, "axis out of range");
    struct softmax_ctx c = {in->data, NULL, 1, 1, NULL, NULL, 1.0f};
    int64_t outer = 1;
    for (int i = 0; i < axis; i++)
        outer *= in->shape[i];
    if (old) { /* opset < 13: softmax over the flattened trailing dims */
        for (int i = axis; i < r; i++)
            c.len *= in->shape[i];
    } else {
        c.len = in->shape[axis];
        for (int i = axis + 1; i < r; i++)
            c.inner *= in->shape[i];
    }
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, GH_NN_F32, r, in->shape, &out);
    if (st)
        return st;
    c.out = out->data;
    enum gh_nn_freeze fz = gh_nn_freeze_of(x);
    size_t rows = (size_t)(outer * c.inner);
    if (fz == GH_NN_FREEZE_REPLAY) {
        if ((st = gh_nn_stats_get(x, 2 * rows, &c.rep)))
            return st;
        c.ratio = (float)x->m->count_ratio;
    } else if (fz == GH_NN_FREEZE_RECORD) {
        if ((st = gh_nn_scratch(x, 2 * rows * sizeof(float) + 1, (void **)&c.rec)))
            return st;
    }
    if (c.len)
        gh_parallel_for((int)(outer * c.inner), x->threads, softmax_range, &c);
    if (c.rec && c.len)
        return gh_nn_stats_put(x, c.rec, 2 * rows);
    return GH_OK;
}

/* ---- ChannelNorm (internal, made by fuse.c) ----
 * y = (x - mean(x)) * sqrt(var(x1) + eps1) / sqrt(var(x) + eps) + mean(x1),
 * then LeakyRelu(alpha), statistics per (n, c) over the spatial dims: one
 * pass each for the statistics of x and x1 (channel_stats), the same Sqrt
 * floor (nn.h), then one pass writing y (in place of x when x dies). */

#define NORM_LANES 16
#define NORM_RUN 1024
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

/* Mean and population variance in one pass over shifted values d = x - x[0]
 * (float lanes per short run, summed in double): var = E[d^2] - E[d]^2 keeps
 * float accuracy because the shift is a sample of the data, so E[d] is a few
 * standard deviations at most for any image. */
static inline void channel_stats(const float *p, int64_t n, float *mean, float *var)
{
    float s = n > 0 ? p[0] : 0;
    double s1 = 0, s2 = 0;
    for (int64_t i0 = 0; i0 < n; i0 += NORM_RUN) {
        int64_t e = n - i0 < NORM_RUN ? n - i0 : NORM_RUN;
        float a1[NORM_LANES] = {0}, a2[NORM_LANES] = {0};
        int64_t i = 0;
        for (; i + NORM_LANES <= e; i += NORM_LANES)
            for (int l = 0; l < NORM_LANES; l++) {
                float d = p[i0 + i + l] - s;
                a1[l] += d;
                a2[l] += d * d;
            }
        for (; i < e; i++) {
            float d = p[i0 + i] - s;
            a1[0] += d;
            a2[0] += d * d;
        }
        for (int l = 0; l < NORM_LANES; l++) {
            s1 += a1[l];
            s2 += a2[l];
        }
    }
    double m1 = s1 / (double)n, v = s2 / (double)n - m1 * m1;
    *mean = (float)((double)s + m1);
    *var = (float)(v > 0 ? v : 0);
}

static float sqrt_floor(float v)
{
    return sqrtf(v >= 0 && v < GH_NN_SQRT_FLOOR ? GH_NN_SQRT_FLOOR : v);
}

struct cnorm_ctx {
    const float *x, *x1;
    const float *m1, *v1; /* when set: the statistics of x1, per (n, c), instead of x1 */
    const float *m0, *v0; /* when set: the statistics of x, per (n, c) */
    float *y;
    int64_t len, len1;
    float eps, eps1, alpha;
};

/* Statistics of x1 = W xin + b (a 1x1 convolution folded into the norm by
 * fuse.c) without materializing x1: column blocks of the product go through
 * a per-thread buffer and are summed there, shifted by x1's first column.
 *
 * Determinism: the blocks are summed in STAT_GROUPS fixed groups of
 * consecutive blocks (each group in block order into its own sums), and the
 * groups are added in group order; threads only decide who sums which group,
 * so the statistics (and the output bytes) do not depend on the thread count.
 * 12 groups: whole groups per thread for 2, 3, 4 or 6 threads. */
#define C1_BLOCK 1024
#define STAT_GROUPS 12

/* Blocks [*b0, *b1) of group g out of nblocks. */
static void group_blocks(int64_t nblocks, int g, int64_t *b0, int64_t *b1)
{
    *b0 = nblocks * g / STAT_GROUPS;
    *b1 = nblocks * (g + 1) / STAT_GROUPS;
}

struct c1_ctx {
    const float *xin, *w, *shift;
    float *buf;   /* per thread: m * C1_BLOCK */
    double *sums; /* per group: s1[m], s2[m] */
    int64_t m, cin, hw;
    int threads;
};

GH_NN_SIMD static void c1_range(void *arg, int begin, int end)
{
    const struct c1_ctx *c = arg;
    int64_t nblocks = (c->hw + C1_BLOCK - 1) / C1_BLOCK;
    for (int th = begin; th < end; th++) {
        float *buf = c->buf + (size_t)th * (size_t)(c->m * C1_BLOCK);
        for (int g = STAT_GROUPS * th / c->threads; g < STAT_GROUPS * (th + 1) / c->threads; g++) {
            double *s1 = c->sums + (size_t)g * (size_t)(2 * c->m), *s2 = s1 + c->m;
            for (int64_t o = 0; o < 2 * c->m; o++)
                s1[o] = 0;
            int64_t b0, b1;
            group_blocks(nblocks, g, &b0, &b1);
            for (int64_t b = b0; b < b1; b++) {
                int64_t c0 = b * C1_BLOCK, nb = c->hw - c0 < C1_BLOCK ? c->hw - c0 : C1_BLOCK;
                gh_nn_gemm_nn(c->m, nb, c->cin, c->w, c->cin, c->xin + c0, c->hw, buf, nb);
                for (int64_t o = 0; o < c->m; o++) {
                    const float *p = buf + o * nb;
                    float sh = c->shift[o], a1[NORM_LANES] = {0}, a2[NORM_LANES] = {0};
                    int64_t i = 0;
                    for (; i + NORM_LANES <= nb; i += NORM_LANES)
                        for (int l = 0; l < NORM_LANES; l++) {
                            float d = p[i + l] - sh;
                            a1[l] += d;
                            a2[l] += d * d;
                        }
                    for (; i < nb; i++) {
                        float d = p[i] - sh;
                        a1[0] += d;
                        a2[0] += d * d;
                    }
                    for (int l = 0; l < NORM_LANES; l++) {
                        s1[o] += a1[l];
                        s2[o] += a2[l];
                    }
                }
            }
        }
    }
}

/* Per-channel mean and variance of W xin + b for each image of xin. */
static enum gh_status conv1x1_stats(struct gh_nn_exec *x, const struct gh_nn_tensor *xin,
                                    const struct gh_nn_tensor *w, const struct gh_nn_tensor *b, int64_t m,
                                    float *mean, float *var)
{
    int64_t n = xin->shape[0], cin = xin->shape[1], hw = xin->shape[2] * xin->shape[3];
    if (w->ndim != 4 || w->shape[0] != m || w->shape[1] != cin || w->shape[2] != 1 || w->shape[3] != 1 ||
        (b && (int64_t)gh_nn_tensor_count(b) != m) || m > INT32_MAX || cin > INT32_MAX || hw > INT32_MAX)
        return gh_error(GH_ERR_MODEL, "folded 1x1 convolution: weights do not fit");
    int threads = x->threads < 1 ? 1 : x->threads > STAT_GROUPS ? STAT_GROUPS : x->threads;
    float *buf;
    size_t floats = (size_t)threads * (size_t)(m * C1_BLOCK) + (size_t)m, dbl = (size_t)STAT_GROUPS * (size_t)(2 * m);
    enum gh_status st = gh_nn_scratch(x, floats * sizeof(float) + dbl * sizeof(double) + 16, (void **)&buf);
    if (st)
        return st;
    float *shift = buf + (size_t)threads * (size_t)(m * C1_BLOCK);
    double *sums = (double *)(((uintptr_t)(shift + m) + 15) & ~(uintptr_t)15);
    const float *wd = w->data, *bd = b ? b->data : NULL;
    for (int64_t img = 0; img < n; img++) {
        const float *xi = (const float *)xin->data + img * cin * hw;
        for (int64_t o = 0; o < m; o++) { /* the product at the first pixel: the shift */
            double v = 0;
            for (int64_t k = 0; hw && k < cin; k++)
                v += (double)wd[o * cin + k] * xi[k * hw];
            shift[o] = (float)v;
        }
        struct c1_ctx c = {xi, wd, shift, buf, sums, m, cin, hw, threads};
        if (hw)
            gh_parallel_for(threads, threads, c1_range, &c);
        for (int64_t o = 0; o < m; o++) {
            double s1 = 0, s2 = 0;
            for (int g = 0; hw && g < STAT_GROUPS; g++) {
                s1 += sums[(size_t)g * (size_t)(2 * m) + (size_t)o];
                s2 += sums[(size_t)g * (size_t)(2 * m) + (size_t)(m + o)];
            }
            double m1 = hw ? s1 / (double)hw : NAN, v = hw ? s2 / (double)hw - m1 * m1 : NAN;
            mean[img * m + o] = (float)((double)shift[o] + (bd ? bd[o] : 0) + m1);
            var[img * m + o] = (float)(v > 0 || v != v ? v : 0);
        }
    }
    return GH_OK;
}

/* When the folded 1x1 conv reads x itself (x1 = W x + b, AnimeGANv3's LADE),
 * both statistics follow from x's per-channel sums and its C x C Gram
 * matrix: mean(x1) = W mean(x) + b, var(x1)[o] = w_o^T Cov(x) w_o. One pass
 * over x (gram.c per column block of x shifted by its first column, float
 * within a block, double across blocks) replaces the statistics pass over x
 * and the 1x1 product with its own statistics pass. */
struct gram_ctx {
    const float *x, *shift;
    float *buf;   /* per thread: c * C1_BLOCK shifted values */
    double *acc;  /* per group (STAT_GROUPS, see c1_range): Gram c * c, then sums c */
    int64_t c, hw;
    int threads;
};

GH_NN_SIMD static void gram_range(void *arg, int begin, int end)
{
    const struct gram_ctx *c = arg;
    int64_t nblocks = (c->hw + C1_BLOCK - 1) / C1_BLOCK, cc = c->c;
    for (int th = begin; th < end; th++) {
        float *d = c->buf + (size_t)th * (size_t)(cc * C1_BLOCK);
        for (int g = STAT_GROUPS * th / c->threads; g < STAT_GROUPS * (th + 1) / c->threads; g++) {
            double *G = c->acc + (size_t)g * (size_t)(cc * cc + cc), *S = G + cc * cc;
            for (int64_t i = 0; i < cc * cc + cc; i++)
                G[i] = 0;
            int64_t b0, b1;
            group_blocks(nblocks, g, &b0, &b1);
            for (int64_t b = b0; b < b1; b++) {
                int64_t c0 = b * C1_BLOCK, nb = c->hw - c0 < C1_BLOCK ? c->hw - c0 : C1_BLOCK;
                for (int64_t ch = 0; ch < cc; ch++) {
                    const float *p = c->x + ch * c->hw + c0;
                    float *q = d + ch * nb, sh = c->shift[ch], a1[NORM_LANES] = {0};
                    int64_t i = 0;
                    for (; i + NORM_LANES <= nb; i += NORM_LANES)
                        for (int l = 0; l < NORM_LANES; l++) {
                            float t = p[i + l] - sh;
                            q[i + l] = t;
                            a1[l] += t;
                        }
                    for (; i < nb; i++) {
                        q[i] = p[i] - sh;
                        a1[0] += q[i];
                    }
                    for (int l = 0; l < NORM_LANES; l++)
                        S[ch] += a1[l];
                }
                gh_nn_gram_add(d, nb, cc, nb, G);
            }
        }
    }
}

/* var1[o] = w_o^T Cov w_o for the rows o of W: cin^3 multiply-adds in
 * double, once serial and latency-bound (2 ms a node at 128 channels, one
 * core idle). Cov is exactly symmetric, so (Cov w_o)_i = sum_j Cov[j][i] w_o[j]
 * runs over j outside and i inside: the same additions in the same order,
 * vectorized across i, and rows o split across threads. */
struct quad_ctx {
    const double *cov, *shifted_mean; /* shift + mu */
    const float *w, *b;
    double *r; /* per thread: cin */
    float *mean1, *var1;
    int64_t cin;
    int threads;
};

GH_NN_SIMD static void quad_range(void *arg, int begin, int end)
{
    const struct quad_ctx *c = arg;
    int64_t cin = c->cin;
    for (int th = begin; th < end; th++) {
        double *r = c->r + (size_t)th * (size_t)cin;
        for (int64_t o = cin * th / c->threads; o < cin * (th + 1) / c->threads; o++) {
            const float *wo = c->w + o * cin;
            for (int64_t i = 0; i < cin; i++)
                r[i] = 0;
            for (int64_t j = 0; j < cin; j++) {
                const double *row = c->cov + j * cin, wj = wo[j];
                for (int64_t i = 0; i < cin; i++)
                    r[i] += row[i] * wj;
            }
            double m1 = c->b ? c->b[o] : 0, v = 0;
            for (int64_t i = 0; i < cin; i++) {
                v += wo[i] * r[i];
                m1 += wo[i] * c->shifted_mean[i];
            }
            c->mean1[o] = (float)m1;
            c->var1[o] = (float)(v > 0 || v != v ? v : 0);
        }
    }
}

/* Statistics of x (mean0, var0) and of W x + b (mean1, var1), per (n, c). */
static enum gh_status gram_stats(struct gh_nn_exec *x, const struct gh_nn_tensor *xt, const struct gh_nn_tensor *w,
                                 const struct gh_nn_tensor *b, float *mean0, float *var0, float *mean1,
                                 float *var1)
{
    int64_t n = xt->shape[0], cin = xt->shape[1], hw = xt->shape[2] * xt->shape[3];
    if (w->ndim != 4 || w->shape[0] != cin || w->shape[1] != cin || w->shape[2] != 1 || w->shape[3] != 1 ||
        (b && (int64_t)gh_nn_tensor_count(b) != cin) || cin > 4096 || hw > INT32_MAX)
        return gh_error(GH_ERR_MODEL, "folded 1x1 convolution: weights do not fit");
    int threads = x->threads < 1 ? 1 : x->threads > STAT_GROUPS ? STAT_GROUPS : x->threads;
    size_t per = (size_t)(cin * C1_BLOCK), dper = (size_t)(cin * cin + cin);
    size_t floats = (size_t)threads * per + (size_t)cin;
    size_t dbl = (size_t)STAT_GROUPS * dper + dper + (size_t)cin + (size_t)threads * (size_t)cin;
    float *buf;
    enum gh_status st = gh_nn_scratch(x, floats * sizeof(float) + dbl * sizeof(double) + 16, (void **)&buf);
    if (st)
        return st;
    float *shift = buf + (size_t)threads * per;
    double *acc = (double *)(((uintptr_t)(shift + cin) + 15) & ~(uintptr_t)15), *cov = acc + (size_t)STAT_GROUPS * dper;
    double *mu = cov + cin * cin, *smean = mu + cin, *rbuf = smean + cin;
    const float *wd = w->data, *bd = b ? b->data : NULL;
    for (int64_t img = 0; img < n; img++) {
        const float *xi = (const float *)xt->data + img * cin * hw;
        for (int64_t k = 0; k < cin; k++)
            shift[k] = xi[k * hw];
        struct gram_ctx c = {xi, shift, buf, acc, cin, hw, threads};
        gh_parallel_for(threads, threads, gram_range, &c);
        for (int64_t i = 0; i < cin * cin + cin; i++) {
            double s = 0;
            for (int g = 0; g < STAT_GROUPS; g++)
                s += acc[(size_t)g * dper + (size_t)i];
            cov[i] = s / (double)hw;
        }
        for (int64_t i = 0; i < cin; i++)
            for (int64_t j = 0; j < cin; j++)
                cov[i * cin + j] -= mu[i] * mu[j];
        for (int64_t k = 0; k < cin; k++) {
            double v = cov[k * cin + k];
            smean[k] = (double)shift[k] + mu[k];
            mean0[img * cin + k] = (float)smean[k];
            var0[img * cin + k] = (float)(v > 0 || v != v ? v : 0);
        }
        struct quad_ctx q = {cov, smean, wd, bd, rbuf, mean1 + img * cin, var1 + img * cin, cin, threads};
        gh_parallel_for(threads, threads, quad_range, &q);
    }
    return GH_OK;
}

GH_NN_SIMD static void cnorm_range(void *arg, int begin, int end)
{
    const struct cnorm_ctx *c = arg;
    for (int64_t o = begin; o < end; o++) {
        const float *p = c->x + o * c->len, *p1 = c->x1 + o * c->len1;
        float *q = c->y + o * c->len;
        float m, v, m1, v1;
        if (c->m0) {
            m = c->m0[o];
            v = c->v0[o];
        } else {
            channel_stats(p, c->len, &m, &v);
        }
        if (c->m1) {
            m1 = c->m1[o];
            v1 = c->v1[o];
        } else {
            channel_stats(p1, c->len1, &m1, &v1);
        }
        float k = (1.0f / sqrt_floor(v + c->eps)) * sqrt_floor(v1 + c->eps1), a = c->alpha;
        /* Vector types: from scalar code GCC kept the LeakyRelu's branch (a
         * compare may trap, so it does not if-convert); q may be p. */
        int64_t i = 0;
        v8f vm = {m, m, m, m, m, m, m, m}, vk = {k, k, k, k, k, k, k, k}, vm1 = {m1, m1, m1, m1, m1, m1, m1, m1};
        v8f va = {a, a, a, a, a, a, a, a};
        for (; i + 8 <= c->len; i += 8) {
            v8f t;
            memcpy(&t, p + i, sizeof t);
            t = (t - vm) * vk + vm1;
            v8i pos = t >= 0, tb, ub;
            v8f u = t * va;
            memcpy(&tb, &t, sizeof tb);
            memcpy(&ub, &u, sizeof ub);
            tb = (tb & pos) | (ub & ~pos);
            memcpy(q + i, &tb, sizeof tb);
        }
        for (; i < c->len; i++) {
            float t = (p[i] - m) * k + m1;
            q[i] = t >= 0 ? t : t * a;
        }
    }
}

/* Record mode: all four statistics, whichever way they were computed (the
 * same channel_stats calls cnorm_range would make, so the output is the
 * normal run's), stored and then used from the record. */
static enum gh_status cnorm_record(struct gh_nn_exec *x, struct cnorm_ctx *c, int64_t nc)
{
    float *rec;
    enum gh_status st = gh_nn_scratch(x, (size_t)(4 * nc) * sizeof(float) + 1, (void **)&rec);
    if (st)
        return st;
    for (int64_t o = 0; o < nc; o++) {
        if (c->m0) {
            rec[o] = c->m0[o];
            rec[nc + o] = c->v0[o];
        } else {
            channel_stats(c->x + o * c->len, c->len, &rec[o], &rec[nc + o]);
        }
        if (c->m1) {
            rec[2 * nc + o] = c->m1[o];
            rec[3 * nc + o] = c->v1[o];
        } else {
            channel_stats(c->x1 + o * c->len1, c->len1, &rec[2 * nc + o], &rec[3 * nc + o]);
        }
    }
    c->m0 = rec;
    c->v0 = rec + nc;
    c->m1 = rec + 2 * nc;
    c->v1 = rec + 3 * nc;
    return gh_nn_stats_put(x, rec, (size_t)(4 * nc));
}

GH_NN_KERNEL(gh_nn_k_channel_norm)
{
    const struct gh_nn_tensor *X = gh_nn_in(x, node, 0), *X1 = gh_nn_in(x, node, 1);
    const struct gh_nn_tensor *E = gh_nn_in(x, node, 2), *E1 = gh_nn_in(x, node, 3);
    if (!X || !X1 || !E || !E1 || X->dtype != GH_NN_F32 || X1->dtype != GH_NN_F32 || E->dtype != GH_NN_F32 ||
        E1->dtype != GH_NN_F32 || gh_nn_tensor_count(E) != 1 || gh_nn_tensor_count(E1) != 1)
        return gh_error(GH_ERR_MODEL, "needs two float tensors and two float scalars");
    if (X->ndim != 4 || X1->ndim != 4 || X->shape[0] != X1->shape[0])
        return gh_error(GH_ERR_MODEL, "inputs must be [N,C,H,W] with the same N");
    const struct gh_nn_tensor *W1 = gh_nn_in(x, node, 4), *B1 = gh_nn_in(x, node, 5);
    if (W1 && (W1->dtype != GH_NN_F32 || (B1 && B1->dtype != GH_NN_F32)))
        return gh_error(GH_ERR_MODEL, "folded 1x1 convolution: weights must be float");
    if (!W1 && X->shape[1] != X1->shape[1])
        return gh_error(GH_ERR_MODEL, "inputs must have the same channels");
    struct cnorm_ctx c = {X->data, X1->data, NULL, NULL, NULL, NULL, NULL, X->shape[2] * X->shape[3], X1->shape[2] * X1->shape[3],
                          ((const float *)E->data)[0], ((const float *)E1->data)[0],
                          gh_nn_attr_float(node, "alpha", 1.0f)};
    int64_t nc = X->shape[0] * X->shape[1];
    enum gh_nn_freeze fz = gh_nn_freeze_of(x);
    enum gh_status st;
    if (fz == GH_NN_FREEZE_REPLAY) {
        const float *v;
        if ((st = gh_nn_stats_get(x, (size_t)(4 * nc), &v)))
            return st;
        c.m0 = v;
        c.v0 = v + nc;
        c.m1 = v + 2 * nc;
        c.v1 = v + 3 * nc;
    } else if (W1 && X1->data == X->data && c.len > 0) { /* x1 = W1 x + B1 */
        float *stats;
        if ((st = gh_nn_scratch(x, (size_t)(4 * nc) * sizeof(float) + 1, (void **)&stats)) ||
            (st = gram_stats(x, X, W1, B1, stats, stats + nc, stats + 2 * nc, stats + 3 * nc)))
            return st;
        c.m0 = stats;
        c.v0 = stats + nc;
        c.m1 = stats + 2 * nc;
        c.v1 = stats + 3 * nc;
    } else if (W1) { /* input 1 is the input of a folded 1x1 conv: x1 = W1 * input 1 + B1 */
        float *stats;
        if ((st = gh_nn_scratch(x, (size_t)(2 * nc) * sizeof(float) + 1, (void **)&stats)) ||
            (st = conv1x1_stats(x, X1, W1, B1, X->shape[1], stats, stats + nc)))
            return st;
        c.m1 = stats;
        c.v1 = stats + nc;
    }
    if (fz == GH_NN_FREEZE_RECORD && (st = cnorm_record(x, &c, nc)))
        return st;
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out_inplace(x, node, 0, 0, GH_NN_F32, 4, X->shape, &out)))
        return st;
    c.y = out->data;
    if (!c.len || !nc)
        return GH_OK;
    if (!c.len1) /* the graph's mean of nothing: NaN */
        c.eps1 = NAN;
    if (nc > INT32_MAX)
        return gh_error(GH_ERR_TOO_LARGE, "too many channels");
    gh_parallel_for((int)nc, x->threads, cnorm_range, &c);
    return GH_OK;
}
