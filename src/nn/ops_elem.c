/* Elementwise kernels (unary, Cast, broadcast binary ops and folded chains). */
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
                /* cppcheck-suppress invalidPointerCast ; a and b are byte views of float tensors */
                bin_row_f32(c->op, (const float *)a, sa, (const float *)b, sb, o, n);
            } else {
                for (int64_t i = 0; i < n; i++)
                    /* cppcheck-suppress invalidPointerCast ; byte views of a float and an int64 tensor */
                    o[i] = (float)pow(((const float *)a)[i * sa], (double)((const int64_t *)b)[i * sb]);
            }
        } else {
            int64_t *o = (int64_t *)c->out + row * n;
            for (int64_t i = 0; i < n; i++) {
                int64_t va = ((const int64_t *)a)[i * sa];
                if (c->tb == GH_NN_I64)
                    o[i] = ibin(c->op, va, ((const int64_t *)b)[i * sb]);
                else
                    /* cppcheck-suppress invalidPointerCast ; b is a byte view of a float tensor */
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
        for (int64_t i = 0; i < w; i++) /* p[0] is set: the loop above runs for k = 0 (n_ops >= 0) */
            row[i] = p[0][i * s0]; /* NOLINT(clang-analyzer-core.NullDereference) */
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
