/* Elementwise, reduction and normalization kernels. Reductions accumulate in
 * double (like the Hayao reference), so a spatial mean over a million pixels
 * keeps float32 accuracy. */
#include "nn/nn_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 16384 /* elements per parallel work item */

static enum gh_status run_chain(struct gh_nn_exec *x, const struct gh_nn_node *node);

static int work_items(size_t n)
{
    return (int)((n + CHUNK - 1) / CHUNK);
}

/* ---- unary ---- */

struct unary_ctx {
    enum gh_nn_op op;
    const float *in;
    float *out;
    size_t n;
    float alpha, lo, hi;
};

GH_NN_SIMD static void unary_range(void *arg, int begin, int end)
{
    const struct unary_ctx *c = arg;
    size_t b = (size_t)begin * CHUNK, e = (size_t)end * CHUNK;
    if (e > c->n)
        e = c->n;
    const float *in = c->in;
    float *out = c->out;
    switch (c->op) {
    case GH_NN_OP_RELU:
        for (size_t i = b; i < e; i++)
            out[i] = in[i] > 0 ? in[i] : 0;
        break;
    case GH_NN_OP_LEAKY_RELU:
        for (size_t i = b; i < e; i++)
            out[i] = in[i] >= 0 ? in[i] : in[i] * c->alpha;
        break;
    case GH_NN_OP_SIGMOID:
        for (size_t i = b; i < e; i++)
            out[i] = 1.0f / (1.0f + expf(-in[i]));
        break;
    case GH_NN_OP_TANH:
        for (size_t i = b; i < e; i++)
            out[i] = tanhf(in[i]);
        break;
    case GH_NN_OP_SQRT:
        /* Floor documented in nn.h: keeps 0/0 out of zero-epsilon normalizations. */
        for (size_t i = b; i < e; i++) {
            float v = in[i];
            out[i] = sqrtf(v >= 0 && v < GH_NN_SQRT_FLOOR ? GH_NN_SQRT_FLOOR : v);
        }
        break;
    case GH_NN_OP_RECIPROCAL:
        for (size_t i = b; i < e; i++)
            out[i] = 1.0f / in[i];
        break;
    case GH_NN_OP_CLIP:
        for (size_t i = b; i < e; i++) {
            float v = in[i];
            v = v < c->lo ? c->lo : v;
            out[i] = v > c->hi ? c->hi : v;
        }
        break;
    default: break;
    }
}

static enum gh_status run_unary(struct gh_nn_exec *x, const struct gh_nn_node *node, float alpha, float lo,
                                float hi)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    struct gh_nn_tensor *out;
    if (in->dtype != GH_NN_F32)
        return gh_error(GH_ERR_UNSUPPORTED, "input must be float32");
    struct unary_ctx c = {node->op, in->data, NULL, gh_nn_tensor_count(in), alpha, lo, hi};
    enum gh_status st = gh_nn_out_inplace(x, node, 0, 0, GH_NN_F32, in->ndim, in->shape, &out);
    if (st)
        return st;
    c.out = out->data;
    gh_parallel_for(work_items(c.n), x->threads, unary_range, &c);
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_unary)
{
    if (node->chain_len)
        return run_chain(x, node);
    return run_unary(x, node, gh_nn_attr_float(node, "alpha", 0.01f), 0, 0);
}

GH_NN_KERNEL(gh_nn_k_clip)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    const struct gh_nn_tensor *lo = gh_nn_in(x, node, 1), *hi = gh_nn_in(x, node, 2);
    if ((lo && (gh_nn_tensor_count(lo) != 1 || lo->dtype != in->dtype)) ||
        (hi && (gh_nn_tensor_count(hi) != 1 || hi->dtype != in->dtype)))
        return gh_error(GH_ERR_MODEL, "min and max must be scalars of the input's type");
    if (in->dtype == GH_NN_I64) {
        struct gh_nn_tensor *out;
        enum gh_status st = gh_nn_out(x, node, 0, GH_NN_I64, in->ndim, in->shape, &out);
        if (st)
            return st;
        int64_t l = lo ? gh_nn_get_i64(lo, 0) : INT64_MIN, h = hi ? gh_nn_get_i64(hi, 0) : INT64_MAX;
        size_t n = gh_nn_tensor_count(in);
        for (size_t i = 0; i < n; i++) {
            int64_t v = ((const int64_t *)in->data)[i];
            ((int64_t *)out->data)[i] = v < l ? l : v > h ? h : v;
        }
        return GH_OK;
    }
    return run_unary(x, node, 0, lo ? (float)gh_nn_get_f64(lo, 0) : -INFINITY,
                     hi ? (float)gh_nn_get_f64(hi, 0) : INFINITY);
}

/* ONNX TensorProto type codes that map to our float type. */
static int cast_to_float(int64_t to)
{
    return to == 1 || to == 10 || to == 11 || to == 16;
}

GH_NN_CHECK(gh_nn_c_cast)
{
    (void)opset;
    int64_t to = gh_nn_attr_int(node, "to", 0);
    if (!((to >= 1 && to <= 7) || (to >= 9 && to <= 13) || to == 16))
        return gh_error(GH_ERR_UNSUPPORTED, "Cast to unsupported type %lld (node '%s')", (long long)to, node->name);
    return GH_OK;
}

/* Rounds f to the nearest float16 (ties to even) and widens it back, so a
 * Cast to FLOAT16 keeps exactly the values a float16 tensor would hold. */
static float round_half(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = u & 0x80000000u, a = u & 0x7fffffffu;
    uint16_t h;
    if (a >= 0x7f800000u) {
        h = (uint16_t)((sign >> 16) | (a > 0x7f800000u ? 0x7e00 : 0x7c00));
    } else if (a >= 0x477ff000u) { /* rounds to >= 65520: infinity */
        h = (uint16_t)((sign >> 16) | 0x7c00);
    } else if (a < 0x38800000u) { /* subnormal half (or zero) */
        float v;
        memcpy(&v, &a, 4);
        float q = nearbyintf(v * 16777216.0f); /* units of 2^-24 */
        h = (uint16_t)((sign >> 16) | (uint32_t)q);
    } else {
        uint32_t mant = a & 0x7fffff, exp = (a >> 23) - 127 + 15;
        uint32_t r = (exp << 10) | (mant >> 13), rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (r & 1)))
            r++;
        h = (uint16_t)((sign >> 16) | r);
    }
    return gh_nn_half_to_float(h);
}

static float round_bfloat16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return f;
    u += 0x7fff + ((u >> 16) & 1);
    u &= 0xffff0000u;
    memcpy(&f, &u, 4);
    return f;
}

GH_NN_KERNEL(gh_nn_k_cast)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int64_t to = gh_nn_attr_int(node, "to", 0);
    struct gh_nn_tensor *out;
    enum gh_nn_dtype dt = cast_to_float(to) ? GH_NN_F32 : GH_NN_I64;
    enum gh_status st;
    size_t n = gh_nn_tensor_count(in);
    if (in->dtype == GH_NN_F32 && dt == GH_NN_F32 && to != 10 && to != 16) {
        /* float to float32/double: the values as they are (float16 models
         * cast every activation around their Upsamples this way). */
        if ((st = gh_nn_out_inplace(x, node, 0, 0, GH_NN_F32, in->ndim, in->shape, &out)))
            return st;
        if (out->data != in->data && n)
            memcpy(out->data, in->data, n * sizeof(float));
        return GH_OK;
    }
    if ((st = gh_nn_out(x, node, 0, dt, in->ndim, in->shape, &out)))
        return st;
    for (size_t i = 0; i < n; i++) {
        if (dt == GH_NN_F32) {
            float f = (float)gh_nn_get_f64(in, i);
            ((float *)out->data)[i] = to == 10 ? round_half(f) : to == 16 ? round_bfloat16(f) : f;
            continue;
        }
        int64_t v;
        if (in->dtype == GH_NN_F32) {
            float f = ((const float *)in->data)[i];
            if (to == 9)
                v = f != 0;
            else
                v = gh_nn_f2i(f); /* out of range or NaN: undefined in ONNX; keep it defined in C */
        } else {
            v = ((const int64_t *)in->data)[i];
            if (to == 9)
                v = v != 0;
        }
        /* Wrap to the target width like a C conversion would. */
        switch (to) {
        case 2: v = (uint8_t)v; break;
        case 3: v = (int8_t)v; break;
        case 4: v = (uint16_t)v; break;
        case 5: v = (int16_t)v; break;
        case 6: v = (int32_t)v; break;
        case 12: v = (uint32_t)v; break;
        default: break;
        }
        ((int64_t *)out->data)[i] = v;
    }
    return GH_OK;
}

/* ---- binary with broadcasting ---- */

struct bin_ctx {
    enum gh_nn_op op;
    int ndim; /* after merging dims; innermost is ndim-1 */
    int64_t shape[GH_NN_MAX_DIMS];
    int64_t sa[GH_NN_MAX_DIMS], sb[GH_NN_MAX_DIMS];
    const void *a, *b;
    void *out;
    enum gh_nn_dtype ta, tb;
    int64_t rows; /* product of all but the innermost dim */
};

static float fbin(enum gh_nn_op op, float a, float b)
{
    switch (op) {
    case GH_NN_OP_ADD: return a + b;
    case GH_NN_OP_SUB: return a - b;
    case GH_NN_OP_MUL: return a * b;
    case GH_NN_OP_DIV: return a / b;
    default: return powf(a, b);
    }
}

static int64_t ipow(int64_t a, int64_t b)
{
    int64_t r = 1;
    if (b < 0)
        return a == 1 ? 1 : a == -1 ? (b & 1 ? -1 : 1) : 0;
    while (b) {
        if (b & 1)
            r = (int64_t)((uint64_t)r * (uint64_t)a);
        a = (int64_t)((uint64_t)a * (uint64_t)a);
        b >>= 1;
    }
    return r;
}

static int64_t ibin(enum gh_nn_op op, int64_t a, int64_t b)
{
    switch (op) {
    case GH_NN_OP_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case GH_NN_OP_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
    case GH_NN_OP_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    case GH_NN_OP_DIV: return b == 0 ? 0 : (a == INT64_MIN && b == -1) ? a : a / b;
    default: return ipow(a, b);
    }
}

GH_NN_SIMD static void bin_row_f32(enum gh_nn_op op, const float *a, int64_t sa, const float *b, int64_t sb, float *o, int64_t n)
{
    /* The common cases get their own loops so the compiler vectorizes them. */
    if (sa == 1 && sb == 1) {
        switch (op) {
        case GH_NN_OP_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + b[i]; return;
        case GH_NN_OP_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - b[i]; return;
        case GH_NN_OP_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * b[i]; return;
        case GH_NN_OP_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / b[i]; return;
        default: break;
        }
    } else if (sa == 1 && sb == 0) {
        float v = b[0];
        switch (op) {
        case GH_NN_OP_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + v; return;
        case GH_NN_OP_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - v; return;
        case GH_NN_OP_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * v; return;
        case GH_NN_OP_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / v; return;
        default: break;
        }
    } else if (sa == 0 && sb == 1) {
        float v = a[0];
        switch (op) {
        case GH_NN_OP_ADD: for (int64_t i = 0; i < n; i++) o[i] = v + b[i]; return;
        case GH_NN_OP_SUB: for (int64_t i = 0; i < n; i++) o[i] = v - b[i]; return;
        case GH_NN_OP_MUL: for (int64_t i = 0; i < n; i++) o[i] = v * b[i]; return;
        case GH_NN_OP_DIV: for (int64_t i = 0; i < n; i++) o[i] = v / b[i]; return;
        default: break;
        }
    }
    for (int64_t i = 0; i < n; i++)
        o[i] = fbin(op, a[i * sa], b[i * sb]);
}

GH_NN_SIMD static void bin_range(void *arg, int begin, int end)
{
    const struct bin_ctx *c = arg;
    int d = c->ndim;
    int64_t n = c->shape[d - 1];
    size_t ea = gh_nn_dtype_size(c->ta), eb = gh_nn_dtype_size(c->tb);
    for (int64_t row = begin; row < end; row++) {
        /* Offsets of this row from its coordinates. */
        int64_t r = row, oa = 0, ob = 0;
        for (int k = d - 2; k >= 0; k--) {
            int64_t i = r % c->shape[k];
            r /= c->shape[k];
            oa += i * c->sa[k];
            ob += i * c->sb[k];
        }
        const char *a = (const char *)c->a + (size_t)oa * ea;
        const char *b = (const char *)c->b + (size_t)ob * eb;
        int64_t sa = c->sa[d - 1], sb = c->sb[d - 1];
        if (c->ta == GH_NN_F32) {
            float *o = (float *)c->out + row * n;
            if (c->tb == GH_NN_F32) {
                bin_row_f32(c->op, (const float *)a, sa, (const float *)b, sb, o, n);
            } else {
                for (int64_t i = 0; i < n; i++)
                    o[i] = (float)pow(((const float *)a)[i * sa], (double)((const int64_t *)b)[i * sb]);
            }
        } else {
            int64_t *o = (int64_t *)c->out + row * n;
            for (int64_t i = 0; i < n; i++) {
                int64_t va = ((const int64_t *)a)[i * sa];
                if (c->tb == GH_NN_I64)
                    o[i] = ibin(c->op, va, ((const int64_t *)b)[i * sb]);
                else
                    o[i] = gh_nn_f2i(pow((double)va, (double)((const float *)b)[i * sb]));
            }
        }
    }
}

/* Output shape of numpy-style broadcasting of a and b. */
static enum gh_status broadcast_shape(const struct gh_nn_tensor *a, const struct gh_nn_tensor *b, int *ndim,
                                      int64_t *shape)
{
    int r = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return gh_error(GH_ERR_MODEL, "shapes do not broadcast (dimension %d: %lld vs %lld)", i, (long long)da,
                            (long long)db);
        shape[i] = da == 1 ? db : da;
    }
    *ndim = r;
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_binary)
{
    if (node->chain_len)
        return run_chain(x, node);
    const struct gh_nn_tensor *a = gh_nn_in(x, node, 0), *b = gh_nn_in(x, node, 1);
    struct gh_nn_tensor *out;
    struct bin_ctx c;
    int64_t shape[GH_NN_MAX_DIMS];
    int r;
    enum gh_status st;
    if (a->dtype != b->dtype && node->op != GH_NN_OP_POW)
        return gh_error(GH_ERR_MODEL, "inputs of different types");
    if ((st = broadcast_shape(a, b, &r, shape)))
        return st;
    /* Snapshot the inputs: an in-place output may take over one's buffer. */
    struct gh_nn_tensor ta = *a, tb = *b;
    size_t total_out = gh_nn_count(r, shape);
    int from = 0;
    if (!(gh_nn_tensor_count(&ta) == total_out && x->m->values[node->in[0]].last_use == x->node_index) &&
        gh_nn_tensor_count(&tb) == total_out && tb.dtype == ta.dtype)
        from = 1;
    st = gh_nn_out_inplace(x, node, 0, from, a->dtype, r, shape, &out);
    if (st)
        return st;
    memset(&c, 0, sizeof c);
    c.op = node->op;
    c.a = ta.data;
    c.b = tb.data;
    c.ta = ta.dtype;
    c.tb = tb.dtype;
    c.out = out->data;
    /* Strides of a and b in output coordinates (0 where broadcast), merging
     * neighbouring dims that broadcast the same way for both. */
    int64_t sa_full[GH_NN_MAX_DIMS], sb_full[GH_NN_MAX_DIMS];
    int64_t acc_a = 1, acc_b = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ia = i - (r - ta.ndim), ib = i - (r - tb.ndim);
        int64_t da = ia >= 0 ? ta.shape[ia] : 1, db = ib >= 0 ? tb.shape[ib] : 1;
        sa_full[i] = da == 1 ? 0 : acc_a;
        sb_full[i] = db == 1 ? 0 : acc_b;
        acc_a *= da;
        acc_b *= db;
    }
    int n = 0;
    for (int i = 0; i < r; i++) {
        if (shape[i] == 1)
            continue;
        if (n > 0 && (c.sa[n - 1] == 0) == (sa_full[i] == 0) && (c.sb[n - 1] == 0) == (sb_full[i] == 0)) {
            c.shape[n - 1] *= shape[i];
            c.sa[n - 1] = sa_full[i];
            c.sb[n - 1] = sb_full[i];
            continue;
        }
        c.shape[n] = shape[i];
        c.sa[n] = sa_full[i];
        c.sb[n] = sb_full[i];
        n++;
    }
    if (n == 0) {
        c.shape[0] = 1;
        n = 1;
    }
    c.ndim = n;
    size_t total = gh_nn_count(r, shape);
    if (total == 0)
        return GH_OK;
    c.rows = (int64_t)(total / (size_t)c.shape[n - 1]);
    int threads = total >= 2 * CHUNK ? x->threads : 1;
    gh_parallel_for((int)c.rows, threads, bin_range, &c);
    return GH_OK;
}

/* ---- folded elementwise chains (graph.c fuse_chains) ---- */

struct chain_ctx {
    const struct gh_nn_node *node;
    int r, n_ops;
    int64_t shape[GH_NN_MAX_DIMS];
    int64_t str[GH_NN_MAX_CHAIN + 1][GH_NN_MAX_DIMS]; /* per operand, 0 where broadcast */
    const float *src[GH_NN_MAX_CHAIN + 1];
    float *out;
    int64_t width;
};

GH_NN_SIMD static void chain_rows(void *arg, int begin, int end)
{
    const struct chain_ctx *c = arg;
    const struct gh_nn_node *node = c->node;
    int64_t w = c->width;
    float *row = malloc((size_t)w * sizeof *row);
    if (!row)
        return; /* the caller checked this allocation size */
    for (int64_t rr = begin; rr < end; rr++) {
        const float *p[GH_NN_MAX_CHAIN + 1] = {0};
        for (int k = 0; k <= c->n_ops; k++) {
            int64_t rem = rr, off = 0;
            for (int d = c->r - 2; d >= 0; d--) {
                off += rem % c->shape[d] * c->str[k][d];
                rem /= c->shape[d];
            }
            p[k] = c->src[k] + off;
        }
        int64_t s0 = c->str[0][c->r - 1];
        for (int64_t i = 0; i < w; i++)
            row[i] = p[0][i * s0];
        for (int k = 0; k < c->n_ops; k++) {
            const float *b = p[k + 1];
            int left = node->chain_left[k];
            if (c->str[k + 1][c->r - 1] == 0) {
                float v = b[0];
                switch (node->chain_op[k]) {
                case GH_NN_OP_ADD: for (int64_t i = 0; i < w; i++) row[i] = row[i] + v; break;
                case GH_NN_OP_MUL: for (int64_t i = 0; i < w; i++) row[i] = row[i] * v; break;
                case GH_NN_OP_SUB:
                    if (left)
                        for (int64_t i = 0; i < w; i++) row[i] = v - row[i];
                    else
                        for (int64_t i = 0; i < w; i++) row[i] = row[i] - v;
                    break;
                default:
                    if (left)
                        for (int64_t i = 0; i < w; i++) row[i] = v / row[i];
                    else
                        for (int64_t i = 0; i < w; i++) row[i] = row[i] / v;
                    break;
                }
            } else {
                switch (node->chain_op[k]) {
                case GH_NN_OP_ADD: for (int64_t i = 0; i < w; i++) row[i] = row[i] + b[i]; break;
                case GH_NN_OP_MUL: for (int64_t i = 0; i < w; i++) row[i] = row[i] * b[i]; break;
                case GH_NN_OP_SUB:
                    if (left)
                        for (int64_t i = 0; i < w; i++) row[i] = b[i] - row[i];
                    else
                        for (int64_t i = 0; i < w; i++) row[i] = row[i] - b[i];
                    break;
                default:
                    if (left)
                        for (int64_t i = 0; i < w; i++) row[i] = b[i] / row[i];
                    else
                        for (int64_t i = 0; i < w; i++) row[i] = row[i] / b[i];
                    break;
                }
            }
        }
        float *o = c->out + rr * w;
        if (node->chain_act == GH_NN_OP_LEAKY_RELU) {
            float a = node->chain_alpha;
            for (int64_t i = 0; i < w; i++)
                o[i] = row[i] >= 0 ? row[i] : row[i] * a;
        } else if (node->chain_act == GH_NN_OP_RELU) {
            for (int64_t i = 0; i < w; i++)
                o[i] = row[i] > 0 ? row[i] : 0;
        } else {
            memcpy(o, row, (size_t)w * sizeof *o);
        }
    }
    free(row);
}

static enum gh_status run_chain(struct gh_nn_exec *x, const struct gh_nn_node *node)
{
    struct chain_ctx c;
    memset(&c, 0, sizeof c);
    c.node = node;
    c.n_ops = node->chain_len;
    struct gh_nn_tensor acc = *gh_nn_in(x, node, 0);
    enum gh_status st;
    for (int k = 0; k <= c.n_ops; k++) {
        const struct gh_nn_tensor *t = gh_nn_in(x, node, k);
        if (!t || t->dtype != GH_NN_F32)
            return gh_error(GH_ERR_MODEL, "elementwise chain: operand %d is not float32", k);
        if (k > 0 && (st = broadcast_shape(&acc, t, &acc.ndim, acc.shape)))
            return st;
        c.src[k] = t->data;
    }
    c.r = acc.ndim;
    if (c.r == 0) { /* scalars: treat as one element of rank 1 */
        c.r = 1;
        acc.shape[0] = 1;
    }
    memcpy(c.shape, acc.shape, sizeof c.shape);
    for (int k = 0; k <= c.n_ops; k++) {
        const struct gh_nn_tensor *t = gh_nn_in(x, node, k);
        int64_t s = 1;
        for (int d = c.r - 1; d >= 0; d--) {
            int td = d - (c.r - t->ndim);
            int64_t dim = td >= 0 ? t->shape[td] : 1;
            c.str[k][d] = dim == 1 ? 0 : s;
            s *= dim;
        }
    }
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out_inplace(x, node, 0, 0, GH_NN_F32, acc.ndim, acc.shape, &out)))
        return st;
    c.out = out->data;
    c.width = c.shape[c.r - 1];
    size_t total = gh_nn_count(c.r, c.shape);
    if (total == 0)
        return GH_OK;
    void *probe = malloc((size_t)c.width * sizeof(float));
    if (!probe)
        return gh_error(GH_ERR_NOMEM, "out of memory");
    free(probe);
    int64_t rows = (int64_t)(total / (size_t)c.width);
    if (rows > INT32_MAX)
        return gh_error(GH_ERR_TOO_LARGE, "too many rows");
    gh_parallel_for((int)rows, total >= 2 * CHUNK ? x->threads : 1, chain_rows, &c);
    return GH_OK;
}

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

GH_NN_KERNEL(gh_nn_k_reduce)
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
    int64_t cur[GH_NN_MAX_DIMS];
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
        int64_t ns[GH_NN_MAX_DIMS];
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

/* ---- InstanceNormalization ---- */

struct inorm_ctx {
    const float *in, *scale, *bias;
    float *out;
    int64_t c, len;
    double eps;
};

GH_NN_SIMD static void inorm_range(void *arg, int begin, int end)
{
    const struct inorm_ctx *c = arg;
    for (int64_t o = begin; o < end; o++) {
        const float *p = c->in + o * c->len;
        float *q = c->out + o * c->len;
        double s = 0, v = 0;
        for (int64_t i = 0; i < c->len; i++)
            s += p[i];
        double mean = s / (double)c->len;
        for (int64_t i = 0; i < c->len; i++)
            v += (p[i] - mean) * (p[i] - mean);
        v = v / (double)c->len + c->eps;
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
    struct inorm_ctx c = {in->data, s->data, b->data, NULL, in->shape[1], 1, gh_nn_attr_float(node, "epsilon", 1e-5f)};
    for (int i = 2; i < in->ndim; i++)
        c.len *= in->shape[i];
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, GH_NN_F32, in->ndim, in->shape, &out);
    if (st)
        return st;
    c.out = out->data;
    if (c.len)
        gh_parallel_for((int)(in->shape[0] * in->shape[1]), x->threads, inorm_range, &c);
    return GH_OK;
}

/* ---- Softmax ---- */

struct softmax_ctx {
    const float *in;
    float *out;
    int64_t len, inner;
};

GH_NN_SIMD static void softmax_range(void *arg, int begin, int end)
{
    const struct softmax_ctx *c = arg;
    for (int64_t r = begin; r < end; r++) {
        int64_t o = r / c->inner, j = r % c->inner;
        const float *p = c->in + o * c->len * c->inner + j;
        float *q = c->out + o * c->len * c->inner + j;
        float mx = -INFINITY;
        for (int64_t i = 0; i < c->len; i++)
            mx = p[i * c->inner] > mx ? p[i * c->inner] : mx;
        double s = 0;
        for (int64_t i = 0; i < c->len; i++) {
            float e = expf(p[i * c->inner] - mx);
            q[i * c->inner] = e;
            s += e;
        }
        float k = (float)(1.0 / s);
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
    struct softmax_ctx c = {in->data, NULL, 1, 1};
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
    if (c.len)
        gh_parallel_for((int)(outer * c.inner), x->threads, softmax_range, &c);
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
    enum gh_status st;
    if (W1 && X1->data == X->data && c.len > 0) { /* x1 = W1 x + B1 */
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
