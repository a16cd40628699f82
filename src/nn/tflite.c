/* TFLite loader: reads a TFLite flatbuffer (schema tensorflow/lite/schema/
 * schema.fbs, file identifier "TFL3") by hand and translates its operators
 * into the ONNX-semantics graph IR the ONNX loader fills, so both formats
 * share the executor and the kernels.
 *
 * Flatbuffer reading: every uoffset, soffset, vtable entry and vector length
 * is checked against the buffer before it is followed; vectors are checked
 * for count * element size <= bytes left before anything is allocated, and a
 * bounded amount of memory is materialized per model (constants at most
 * 16x the file size), so a hostile file cannot make us read out of bounds,
 * loop or allocate without bound. The flatbuffer format has no recursion we
 * follow (Model -> SubGraph -> Tensor/Operator -> options), so vtable loops
 * cannot loop us.
 *
 * Layout: TFLite is NHWC; the IR's kernels are NCHW. Like
 * ../shared/tools/tflite_to_onnx.py, every TFLite tensor is held as an IR
 * value plus a layout permutation (IR axis i holds TFLite axis lay[i]):
 * rank-4 activations are NCHW, convolution weights are transposed once at
 * load, TRANSPOSE ops become relabelings, and an NHWC image model gets one
 * Transpose after the input and one before the output.
 *
 * Size generalization: the file's shapes are for one input size (the
 * template, 512x512 for the Hayao model), RESHAPE targets and RESIZE sizes
 * are constants for it. As in tflite_reference.py's SymbolicShapes, the
 * input [1, H, W, C] is propagated symbolically: a dimension is an ordered
 * product of factors coef * var + off (var H, W or constant); reshape targets
 * are matched against the ordered factors of their input (flatten /
 * unflatten of the spatial grid), a resize keeps its template scale factor.
 * At the template size every inferred shape must equal the file's. A reshape
 * entry that depends on the size is computed at run time from Shape(input).
 *
 * float16 weights: DEQUANTIZE of a constant is folded at load (FLOAT16
 * widened exactly to float32; INT8/UINT8 with scale/zero point dequantized).
 *
 * Translations into existing IR ops (kernels stay shared with ONNX; for the
 * Hayao model the result is node for node the graph of the converted ONNX
 * file): SQUARED_DIFFERENCE = Sub, Mul(d, d); RSQRT = Sqrt, Reciprocal (so the
 * flat-image Sqrt floor applies as on the ONNX path); MIRROR_PAD with all-zero
 * paddings = no node, SYMMETRIC by at most 1 pixel = Pad edge; SAME padding =
 * explicit pads (stride 1) or auto_pad SAME_UPPER (TF's rule, extra pixel
 * bottom/right); fused activations = Relu / Clip / Tanh; RELU6, RELU_N1_TO_1 =
 * Clip; AVERAGE_POOL_2D = depthwise Conv with 1/(k*k) weights (VALID) or window
 * sums / window counts (SAME, as TFLite excludes padding); MAXIMUM / MINIMUM =
 * Clip against a uniform constant, else b + Relu(a - b) / a - Relu(a - b)
 * (equal up to rounding); RESIZE_NEAREST_NEIGHBOR legacy / align_corners /
 * half_pixel_centers = Resize nearest asymmetric+floor / align_corners+
 * round_prefer_ceil / tf_half_pixel_for_nn+floor.
 * Refused (GH_ERR_UNSUPPORTED, naming the operator): other builtins, custom
 * ops, quantized activations, several graph inputs or subgraphs, sparse
 * tensors, STRIDED_SLICE of a size-dependent axis (other than the whole axis)
 * or with ellipsis/new-axis masks, MIRROR_PAD SYMMETRIC wider than 1 pixel,
 * resizes by more than 64x (a corrupt size; it would make runs allocate
 * gigabytes). */
#include "nn/nn_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TFL_MAX_TENSORS (1 << 20)
#define TFL_MAX_OPS (1 << 20)
#define TFL_MAX_OP_IO 4096
#define SYM_MAX_FACTORS 8

/* ---------------------------------------------------------------------- */
/* Flatbuffer access                                                      */
/* ---------------------------------------------------------------------- */

struct fb {
    const uint8_t *d;
    size_t n;
};

struct fb_table {
    const struct fb *fb;
    size_t pos;     /* table start */
    size_t vt;      /* vtable start */
    unsigned nf;    /* fields in the vtable */
    unsigned tlen;  /* inline table size */
    const char *what;
};

static enum gh_status bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static enum gh_status bad(const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gh_error(GH_ERR_MODEL, "TFLite: %s", msg);
}

static enum gh_status nomem(void)
{
    return gh_error(GH_ERR_NOMEM, "TFLite: out of memory");
}

static int fb_has(const struct fb *fb, size_t pos, size_t len)
{
    return pos <= fb->n && len <= fb->n - pos;
}

static uint32_t rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t rd_u64(const uint8_t *p)
{
    return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32;
}

static enum gh_status fb_table_at(const struct fb *fb, size_t pos, const char *what, struct fb_table *t)
{
    if (!fb_has(fb, pos, 4))
        return bad("%s: table at %zu outside the file (%zu bytes)", what, pos, fb->n);
    int32_t so = (int32_t)rd_u32(fb->d + pos);
    int64_t vt = (int64_t)pos - so;
    if (vt < 0 || !fb_has(fb, (size_t)vt, 4))
        return bad("%s: vtable offset %d out of range", what, so);
    unsigned vlen = rd_u16(fb->d + vt), tlen = rd_u16(fb->d + vt + 2);
    if (vlen < 4 || vlen % 2 || !fb_has(fb, (size_t)vt, vlen))
        return bad("%s: bad vtable size %u", what, vlen);
    if (tlen < 4 || !fb_has(fb, pos, tlen))
        return bad("%s: table size %u runs past the end of the file", what, tlen);
    t->fb = fb;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->nf = (vlen - 4) / 2;
    t->tlen = tlen;
    t->what = what;
    return GH_OK;
}

/* Offset of field i inside the table (0 = absent); size is the field's
 * inline size, which must fit in the table. */
static enum gh_status fb_field(const struct fb_table *t, unsigned i, unsigned size, size_t *off)
{
    *off = 0;
    if (i >= t->nf)
        return GH_OK;
    unsigned o = rd_u16(t->fb->d + t->vt + 4 + 2 * i);
    if (!o)
        return GH_OK;
    if (o < 4 || o + size > t->tlen)
        return bad("%s: field %u at offset %u lies outside its table (%u bytes)", t->what, i, o, t->tlen);
    *off = t->pos + o;
    return GH_OK;
}

static enum gh_status fb_scalar(const struct fb_table *t, unsigned i, unsigned size, uint64_t dflt, uint64_t *v)
{
    size_t off;
    enum gh_status st = fb_field(t, i, size, &off);
    if (st)
        return st;
    if (!off) {
        *v = dflt;
        return GH_OK;
    }
    const uint8_t *p = t->fb->d + off;
    *v = size == 1 ? p[0] : size == 2 ? rd_u16(p) : size == 4 ? rd_u32(p) : rd_u64(p);
    return GH_OK;
}

static enum gh_status fb_i32(const struct fb_table *t, unsigned i, int32_t dflt, int32_t *v)
{
    uint64_t u = 0;
    enum gh_status st = fb_scalar(t, i, 4, (uint32_t)dflt, &u);
    *v = (int32_t)(uint32_t)u;
    return st;
}

static enum gh_status fb_i8(const struct fb_table *t, unsigned i, int8_t dflt, int *v)
{
    uint64_t u = 0;
    enum gh_status st = fb_scalar(t, i, 1, (uint8_t)dflt, &u);
    *v = (int8_t)(uint8_t)u;
    return st;
}

static enum gh_status fb_f32(const struct fb_table *t, unsigned i, float dflt, float *v)
{
    uint32_t d;
    memcpy(&d, &dflt, 4);
    uint64_t u = 0;
    enum gh_status st = fb_scalar(t, i, 4, d, &u);
    uint32_t b = (uint32_t)u;
    memcpy(v, &b, 4);
    return st;
}

/* Absolute position a reference field points to (0 = absent). */
static enum gh_status fb_ref(const struct fb_table *t, unsigned i, size_t *pos)
{
    size_t off;
    enum gh_status st = fb_field(t, i, 4, &off);
    *pos = 0;
    if (st || !off)
        return st;
    uint64_t p = (uint64_t)off + rd_u32(t->fb->d + off);
    if (p >= t->fb->n)
        return bad("%s: field %u points past the end of the file", t->what, i);
    *pos = (size_t)p;
    return GH_OK;
}

/* A vector field: start of its elements and count (count 0, start 0 when absent). */
static enum gh_status fb_vector(const struct fb_table *t, unsigned i, size_t elem, size_t *start, uint32_t *count)
{
    size_t p;
    enum gh_status st = fb_ref(t, i, &p);
    *start = 0;
    *count = 0;
    if (st || !p)
        return st;
    if (!fb_has(t->fb, p, 4))
        return bad("%s: field %u: vector length outside the file", t->what, i);
    uint32_t n = rd_u32(t->fb->d + p);
    if ((uint64_t)n * elem > (uint64_t)(t->fb->n - p - 4))
        return bad("%s: field %u: vector of %u elements runs past the end of the file", t->what, i, n);
    *start = p + 4;
    *count = n;
    return GH_OK;
}

/* Element k of a vector of tables. */
static enum gh_status fb_vector_table(const struct fb *fb, size_t start, uint32_t k, const char *what,
                                      struct fb_table *t)
{
    size_t slot = start + 4 * (size_t)k;
    uint64_t p = (uint64_t)slot + rd_u32(fb->d + slot);
    if (p >= fb->n)
        return bad("%s[%u]: offset past the end of the file", what, k);
    return fb_table_at(fb, (size_t)p, what, t);
}

/* ---------------------------------------------------------------------- */
/* Parsed model                                                           */
/* ---------------------------------------------------------------------- */

enum tfl_type { TFL_FLOAT32 = 0, TFL_FLOAT16 = 1, TFL_INT32 = 2, TFL_UINT8 = 3, TFL_INT64 = 4, TFL_INT8 = 9 };

enum tfl_op {
    OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONCATENATION = 2, OP_CONV_2D = 3, OP_DEPTHWISE_CONV_2D = 4,
    OP_DEQUANTIZE = 6, OP_LOGISTIC = 14, OP_MUL = 18, OP_RELU = 19, OP_RELU_N1_TO_1 = 20, OP_RELU6 = 21,
    OP_RESHAPE = 22, OP_RESIZE_BILINEAR = 23, OP_SOFTMAX = 25, OP_TANH = 28, OP_CUSTOM = 32, OP_PAD = 34,
    OP_TRANSPOSE = 39, OP_MEAN = 40, OP_SUB = 41, OP_DIV = 42, OP_STRIDED_SLICE = 45, OP_MAXIMUM = 55,
    OP_MINIMUM = 57, OP_PADV2 = 60, OP_SUM = 74, OP_SQRT = 75, OP_RSQRT = 76, OP_RESIZE_NEAREST = 97,
    OP_LEAKY_RELU = 98, OP_SQUARED_DIFFERENCE = 99, OP_MIRROR_PAD = 100
};

static const char *op_name(int code)
{
    switch (code) {
    case OP_ADD: return "ADD";
    case OP_AVERAGE_POOL_2D: return "AVERAGE_POOL_2D";
    case OP_CONCATENATION: return "CONCATENATION";
    case OP_CONV_2D: return "CONV_2D";
    case OP_DEPTHWISE_CONV_2D: return "DEPTHWISE_CONV_2D";
    case OP_DEQUANTIZE: return "DEQUANTIZE";
    case OP_LOGISTIC: return "LOGISTIC";
    case OP_MUL: return "MUL";
    case OP_RELU: return "RELU";
    case OP_RELU_N1_TO_1: return "RELU_N1_TO_1";
    case OP_RELU6: return "RELU6";
    case OP_RESHAPE: return "RESHAPE";
    case OP_RESIZE_BILINEAR: return "RESIZE_BILINEAR";
    case OP_SOFTMAX: return "SOFTMAX";
    case OP_TANH: return "TANH";
    case OP_CUSTOM: return "CUSTOM";
    case OP_PAD: return "PAD";
    case OP_TRANSPOSE: return "TRANSPOSE";
    case OP_MEAN: return "MEAN";
    case OP_SUB: return "SUB";
    case OP_DIV: return "DIV";
    case OP_STRIDED_SLICE: return "STRIDED_SLICE";
    case OP_MAXIMUM: return "MAXIMUM";
    case OP_MINIMUM: return "MINIMUM";
    case OP_PADV2: return "PADV2";
    case OP_SUM: return "SUM";
    case OP_SQRT: return "SQRT";
    case OP_RSQRT: return "RSQRT";
    case OP_RESIZE_NEAREST: return "RESIZE_NEAREST_NEIGHBOR";
    case OP_LEAKY_RELU: return "LEAKY_RELU";
    case OP_SQUARED_DIFFERENCE: return "SQUARED_DIFFERENCE";
    case OP_MIRROR_PAD: return "MIRROR_PAD";
    default: return NULL;
    }
}

/* The BuiltinOptions union tag each supported op carries (0 = none expected). */
static int op_options_tag(int code)
{
    switch (code) {
    case OP_CONV_2D: return 1;
    case OP_DEPTHWISE_CONV_2D: return 2;
    case OP_AVERAGE_POOL_2D: return 5;
    case OP_SOFTMAX: return 9;
    case OP_CONCATENATION: return 10;
    case OP_ADD: return 11;
    case OP_RESIZE_BILINEAR: return 15;
    case OP_RESHAPE: return 17;
    case OP_MUL: return 21;
    case OP_PAD: return 22;
    case OP_TRANSPOSE: return 26;
    case OP_MEAN: case OP_SUM: return 27;
    case OP_SUB: return 28;
    case OP_DIV: return 29;
    case OP_STRIDED_SLICE: return 32;
    case OP_DEQUANTIZE: return 38;
    case OP_MAXIMUM: case OP_MINIMUM: return 39;
    case OP_PADV2: return 43;
    case OP_RESIZE_NEAREST: return 74;
    case OP_LEAKY_RELU: return 75;
    case OP_SQUARED_DIFFERENCE: return 76;
    case OP_MIRROR_PAD: return 77;
    default: return 0;
    }
}

struct q {
    int64_t n, d;
};

struct factor {
    int var; /* 0: constant, 1: H, 2: W */
    struct q coef, off;
};

struct dim {
    int n; /* 0 = the constant 1 */
    struct factor f[SYM_MAX_FACTORS];
};

struct cache_ent {
    uint8_t lay[GH_NN_MAX_DIMS];
    int rank;
    int kind; /* 0: plain layout, 1: OIHW conv weight, 2: depthwise weight, 3: broadcast to rank */
    char *name;
    struct cache_ent *next;
};

struct tfl_tensor {
    int ndim;
    int64_t shape[GH_NN_MAX_DIMS];
    int type;
    const uint8_t *data; /* constant bytes in the file, NULL for activations */
    size_t nbytes;
    int quant;           /* has per-tensor/per-axis scale + zero point */
    size_t q_scale, q_zp; /* vector starts (float32 / int64) */
    uint32_t q_n;
    int q_axis;
    char name[96];
    int deq_of;          /* folded DEQUANTIZE: index of the source constant (-1: none) */
    /* symbolic shape */
    int sym_ok;
    struct dim dims[GH_NN_MAX_DIMS];
    /* current IR value */
    char *val;           /* NULL until produced */
    uint8_t lay[GH_NN_MAX_DIMS];
    struct cache_ent *cache;
};

struct tfl_op_rec {
    int code;
    int opt_tag;
    int have_opts;
    struct fb_table opts;
    int n_in, n_out;
    int *in, *out;
};

struct conv {
    struct fb fb;
    int n_tensors, n_ops;
    struct tfl_tensor *t;
    struct tfl_op_rec *ops;
    int input, output_count;
    int *outputs;
    int symbolic;          /* input is [1, H, W, C]: H and W are variables */
    int64_t tH, tW;        /* template size */
    struct gh_nn_graph_def *g;
    int counter;
    size_t const_bytes, const_limit;
    char *input_nhwc;      /* IR value: the graph input as given */
    char *input_shape;     /* IR value: Shape(graph input), made on demand */
    char *input_dim[3];    /* IR values: Gather of H / W */
    float *half;           /* float16 -> float32 table, made on first use */
    int cur_op;
};

/* ---------------------------------------------------------------------- */
/* Rationals and symbolic dimensions (tflite_reference.py SymbolicShapes)  */
/* ---------------------------------------------------------------------- */

#define Q_LIMIT ((int64_t)1 << 40)

static int64_t gcd64(int64_t a, int64_t b)
{
    if (a < 0)
        a = -a;
    if (b < 0)
        b = -b;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Normalized n/d; 0 on overflow or zero denominator. */
static int q_make(int64_t n, int64_t d, struct q *o)
{
    if (d == 0 || n > Q_LIMIT || n < -Q_LIMIT || d > Q_LIMIT || d < -Q_LIMIT)
        return 0;
    if (d < 0) {
        n = -n;
        d = -d;
    }
    int64_t g = gcd64(n, d);
    if (g > 1) {
        n /= g;
        d /= g;
    }
    o->n = n;
    o->d = d;
    return 1;
}

static int q_mul(struct q a, struct q b, struct q *o)
{
    int64_t n, d;
    if (__builtin_mul_overflow(a.n, b.n, &n) || __builtin_mul_overflow(a.d, b.d, &d))
        return 0;
    return q_make(n, d, o);
}

static int q_add(struct q a, struct q b, struct q *o)
{
    int64_t x, y, n, d;
    if (__builtin_mul_overflow(a.n, b.d, &x) || __builtin_mul_overflow(b.n, a.d, &y) ||
        __builtin_add_overflow(x, y, &n) || __builtin_mul_overflow(a.d, b.d, &d))
        return 0;
    return q_make(n, d, o);
}

static struct q qi(int64_t v)
{
    struct q r = {v, 1};
    return r;
}

static int q_eq(struct q a, struct q b)
{
    return a.n == b.n && a.d == b.d;
}

static int factor_eq(const struct factor *a, const struct factor *b)
{
    return a->var == b->var && q_eq(a->coef, b->coef) && q_eq(a->off, b->off);
}

static int dim_eq(const struct dim *a, const struct dim *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (!factor_eq(&a->f[i], &b->f[i]))
            return 0;
    return 1;
}

static struct dim const_dim(int64_t c)
{
    struct dim d;
    memset(&d, 0, sizeof d);
    if (c != 1) {
        d.n = 1;
        d.f[0].coef = qi(0);
        d.f[0].off = qi(c);
    }
    return d;
}

static int dim_is_const(const struct dim *d)
{
    for (int i = 0; i < d->n; i++)
        if (d->f[i].var)
            return 0;
    return 1;
}

/* Value of a factor / dim at H, W (0 on overflow). */
static int factor_value(const struct factor *f, struct q H, struct q W, struct q *v)
{
    if (!f->var) {
        *v = f->off;
        return 1;
    }
    struct q t;
    return q_mul(f->coef, f->var == 1 ? H : W, &t) && q_add(t, f->off, v);
}

static int dim_value(const struct dim *d, struct q H, struct q W, struct q *v)
{
    *v = qi(1);
    for (int i = 0; i < d->n; i++) {
        struct q f;
        if (!factor_value(&d->f[i], H, W, &f) || !q_mul(*v, f, v))
            return 0;
    }
    return 1;
}

/* Template value of a dim; -1 if it is not a positive integer. */
static int64_t dim_tval(const struct conv *c, const struct dim *d)
{
    struct q v;
    if (!dim_value(d, qi(c->tH), qi(c->tW), &v) || v.d != 1 || v.n < 0)
        return -1;
    return v.n;
}

static enum gh_status shape_err(const struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static enum gh_status shape_err(const struct conv *c, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const struct tfl_op_rec *op = &c->ops[c->cur_op];
    return gh_error(GH_ERR_UNSUPPORTED, "TFLite: operator %d (%s): %s", c->cur_op,
                    op_name(op->code) ? op_name(op->code) : "?", msg);
}

/* d * scale + shift for padding, strided convolution, resize. */
static enum gh_status dim_affine(const struct conv *c, const struct dim *d, struct q scale, struct q shift,
                                 struct dim *out)
{
    if (q_eq(scale, qi(1)) && shift.n == 0) {
        *out = *d;
        return GH_OK;
    }
    if (d->n > 1)
        return shape_err(c, "cannot pad, stride or resize a flattened dimension");
    struct factor f;
    if (d->n) {
        f = d->f[0];
    } else {
        f.var = 0;
        f.coef = qi(0);
        f.off = qi(1);
    }
    struct factor g;
    g.var = f.var;
    if (f.var) {
        if (!q_mul(f.coef, scale, &g.coef))
            return shape_err(c, "dimension too large");
    } else {
        g.coef = qi(0);
    }
    struct q t;
    if (!q_mul(f.off, scale, &t) || !q_add(t, shift, &g.off))
        return shape_err(c, "dimension too large");
    if (!g.var) {
        if (g.off.d != 1 || g.off.n < 0)
            return shape_err(c, "constant dimension becomes %lld/%lld", (long long)g.off.n, (long long)g.off.d);
        *out = const_dim(g.off.n);
        return GH_OK;
    }
    memset(out, 0, sizeof *out);
    out->n = 1;
    out->f[0] = g;
    return GH_OK;
}

/* ---------------------------------------------------------------------- */
/* Reading the model                                                      */
/* ---------------------------------------------------------------------- */

static size_t type_size(int type)
{
    switch (type) {
    case TFL_FLOAT32: case TFL_INT32: return 4;
    case TFL_FLOAT16: return 2;
    case TFL_INT64: return 8;
    case TFL_UINT8: case TFL_INT8: return 1;
    default: return 0;
    }
}

static enum gh_status read_int_vector(const struct fb_table *t, unsigned field, int **out, int *n, int max,
                                      const char *what)
{
    size_t start;
    uint32_t cnt;
    enum gh_status st = fb_vector(t, field, 4, &start, &cnt);
    *out = NULL;
    *n = 0;
    if (st)
        return st;
    if (cnt > (uint32_t)max)
        return bad("%s: %u entries (at most %d)", what, cnt, max);
    *out = malloc((size_t)cnt * sizeof **out + 1);
    if (!*out)
        return nomem();
    for (uint32_t i = 0; i < cnt; i++)
        (*out)[i] = (int32_t)rd_u32(t->fb->d + start + 4 * (size_t)i);
    *n = (int)cnt;
    return GH_OK;
}

static enum gh_status read_tensors(struct conv *c, const struct fb_table *sg, const struct fb_table *model)
{
    size_t tstart, bstart;
    uint32_t nt, nb;
    enum gh_status st;
    if ((st = fb_vector(sg, 0, 4, &tstart, &nt)) || (st = fb_vector(model, 4, 4, &bstart, &nb)))
        return st;
    if (nt > TFL_MAX_TENSORS)
        return bad("%u tensors (at most %d)", nt, TFL_MAX_TENSORS);
    c->t = calloc((size_t)nt + 1, sizeof *c->t);
    if (!c->t)
        return nomem();
    c->n_tensors = (int)nt;
    for (uint32_t i = 0; i < nt; i++) {
        struct tfl_tensor *T = &c->t[i];
        struct fb_table tt;
        T->deq_of = -1;
        if ((st = fb_vector_table(&c->fb, tstart, i, "Tensor", &tt)))
            return st;
        size_t sstart;
        uint32_t sn;
        if ((st = fb_vector(&tt, 0, 4, &sstart, &sn)))
            return st;
        if (sn > GH_NN_MAX_DIMS)
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: tensor %u has %u dimensions (at most %d)", i, sn,
                            GH_NN_MAX_DIMS);
        T->ndim = (int)sn;
        for (uint32_t k = 0; k < sn; k++)
            T->shape[k] = (int32_t)rd_u32(c->fb.d + sstart + 4 * (size_t)k);
        int type;
        if ((st = fb_i8(&tt, 1, 0, &type)))
            return st;
        T->type = type;
        uint64_t bi;
        if ((st = fb_scalar(&tt, 2, 4, 0, &bi)))
            return st;
        size_t nstart;
        uint32_t nn;
        if ((st = fb_vector(&tt, 3, 1, &nstart, &nn)))
            return st;
        size_t cp = nn < sizeof T->name - 1 ? nn : sizeof T->name - 1;
        for (size_t k = 0; k < cp; k++) {
            uint8_t ch = c->fb.d[nstart + k];
            T->name[k] = ch >= 32 && ch < 127 ? (char)ch : '?';
        }
        size_t qpos;
        if ((st = fb_ref(&tt, 4, &qpos)))
            return st;
        if (qpos) {
            struct fb_table qt;
            uint32_t zn;
            size_t zs;
            int32_t axis;
            if ((st = fb_table_at(&c->fb, qpos, "QuantizationParameters", &qt)) ||
                (st = fb_vector(&qt, 2, 4, &T->q_scale, &T->q_n)) || (st = fb_vector(&qt, 3, 8, &zs, &zn)) ||
                (st = fb_i32(&qt, 6, 0, &axis)))
                return st;
            size_t dpos;
            if ((st = fb_ref(&qt, 5, &dpos)))
                return st;
            if (dpos)
                return gh_error(GH_ERR_UNSUPPORTED, "TFLite: tensor %u: custom quantization", i);
            if (T->q_n) {
                if (zn != T->q_n && zn != 0)
                    return bad("tensor %u: %u scales but %u zero points", i, T->q_n, zn);
                T->quant = 1;
                T->q_zp = zn ? zs : 0;
                T->q_axis = axis;
            }
        }
        size_t sp;
        if ((st = fb_ref(&tt, 6, &sp)))
            return st;
        if (sp)
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: tensor %u (%s): sparse tensors", i, T->name);
        if (bi == 0)
            continue;
        if (bi >= nb)
            return bad("tensor %u (%s): buffer index %llu out of range (%u buffers)", i, T->name,
                       (unsigned long long)bi, nb);
        struct fb_table bt;
        size_t ds;
        uint32_t dn;
        if ((st = fb_vector_table(&c->fb, bstart, (uint32_t)bi, "Buffer", &bt)) ||
            (st = fb_vector(&bt, 0, 1, &ds, &dn)))
            return st;
        if (!dn) {
            uint64_t off, size;
            if ((st = fb_scalar(&bt, 1, 8, 0, &off)) || (st = fb_scalar(&bt, 2, 8, 0, &size)))
                return st;
            if (off > 1) {
                if (off > c->fb.n || size > c->fb.n - off)
                    return bad("tensor %u (%s): external buffer [%llu, +%llu) outside the file", i, T->name,
                               (unsigned long long)off, (unsigned long long)size);
                ds = (size_t)off;
                dn = (uint32_t)size;
                if (size > UINT32_MAX)
                    return bad("tensor %u: buffer too large", i);
            }
        }
        if (!dn)
            continue;
        size_t es = type_size(T->type);
        if (!es)
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: tensor %u (%s): constant of unsupported type %d", i, T->name,
                            T->type);
        uint64_t count = 1;
        for (int k = 0; k < T->ndim; k++) {
            if (T->shape[k] < 0)
                return bad("tensor %u (%s): constant with negative dimension", i, T->name);
            count *= (uint64_t)T->shape[k];
            if (count > (uint64_t)GH_NN_MAX_ELEMS)
                return bad("tensor %u (%s): constant too large", i, T->name);
        }
        if ((uint64_t)dn != count * es)
            return bad("tensor %u (%s): buffer has %u bytes, shape and type need %llu", i, T->name, dn,
                       (unsigned long long)(count * es));
        T->data = c->fb.d + ds;
        T->nbytes = dn;
    }
    return GH_OK;
}

static enum gh_status read_ops(struct conv *c, const struct fb_table *sg, const struct fb_table *model)
{
    size_t cstart, ostart;
    uint32_t nc, no;
    enum gh_status st;
    if ((st = fb_vector(model, 1, 4, &cstart, &nc)) || (st = fb_vector(sg, 3, 4, &ostart, &no)))
        return st;
    if (no > TFL_MAX_OPS)
        return bad("%u operators (at most %d)", no, TFL_MAX_OPS);
    c->ops = calloc((size_t)no + 1, sizeof *c->ops);
    if (!c->ops)
        return nomem();
    for (uint32_t i = 0; i < no; i++) {
        struct tfl_op_rec *op = &c->ops[i];
        struct fb_table ot, ct;
        c->n_ops = (int)i + 1;
        if ((st = fb_vector_table(&c->fb, ostart, i, "Operator", &ot)))
            return st;
        uint64_t ci;
        if ((st = fb_scalar(&ot, 0, 4, 0, &ci)))
            return st;
        if (ci >= nc)
            return bad("operator %u: opcode index %llu out of range (%u operator codes)", i, (unsigned long long)ci,
                       nc);
        if ((st = fb_vector_table(&c->fb, cstart, (uint32_t)ci, "OperatorCode", &ct)))
            return st;
        int dep;
        int32_t code;
        if ((st = fb_i8(&ct, 0, 0, &dep)) || (st = fb_i32(&ct, 3, 0, &code)))
            return st;
        /* builtin_code (int32) superseded the byte-sized deprecated code; TFLite takes the larger. */
        op->code = dep > code ? dep : code;
        if (op->code == OP_CUSTOM)
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: operator %u: custom operators are not supported", i);
        if (!op_name(op->code))
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: operator %u: unsupported builtin operator code %d", i,
                            op->code);
        if ((st = read_int_vector(&ot, 1, &op->in, &op->n_in, TFL_MAX_OP_IO, "operator inputs")) ||
            (st = read_int_vector(&ot, 2, &op->out, &op->n_out, TFL_MAX_OP_IO, "operator outputs")))
            return st;
        for (int k = 0; k < op->n_in; k++)
            if (op->in[k] < -1 || op->in[k] >= c->n_tensors)
                return bad("operator %u (%s): input tensor index %d out of range", i, op_name(op->code), op->in[k]);
        for (int k = 0; k < op->n_out; k++)
            if (op->out[k] < 0 || op->out[k] >= c->n_tensors)
                return bad("operator %u (%s): output tensor index %d out of range", i, op_name(op->code),
                           op->out[k]);
        uint64_t tag;
        if ((st = fb_scalar(&ot, 3, 1, 0, &tag)))
            return st;
        op->opt_tag = (int)tag;
        int want = op_options_tag(op->code);
        if (tag && tag != (uint64_t)want)
            return bad("operator %u (%s): options of type %d, expected %d", i, op_name(op->code), (int)tag, want);
        size_t opos;
        if ((st = fb_ref(&ot, 4, &opos)))
            return st;
        if (tag && opos) {
            if ((st = fb_table_at(&c->fb, opos, "operator options", &op->opts)))
                return st;
            op->have_opts = 1;
        }
    }
    return GH_OK;
}

/* Option field of an op (default when the op has no options table). */
static enum gh_status opt_i32(const struct tfl_op_rec *op, unsigned i, int32_t dflt, int32_t *v)
{
    if (!op->have_opts) {
        *v = dflt;
        return GH_OK;
    }
    return fb_i32(&op->opts, i, dflt, v);
}

static enum gh_status opt_i8(const struct tfl_op_rec *op, unsigned i, int *v)
{
    if (!op->have_opts) {
        *v = 0;
        return GH_OK;
    }
    return fb_i8(&op->opts, i, 0, v);
}

static enum gh_status opt_f32(const struct tfl_op_rec *op, unsigned i, float dflt, float *v)
{
    if (!op->have_opts) {
        *v = dflt;
        return GH_OK;
    }
    return fb_f32(&op->opts, i, dflt, v);
}

/* ---------------------------------------------------------------------- */
/* Constants                                                              */
/* ---------------------------------------------------------------------- */

/* The constant behind tensor ti (following folded DEQUANTIZEs), or NULL. */
static const struct tfl_tensor *const_of(const struct conv *c, int ti, int *dequant)
{
    if (ti < 0)
        return NULL;
    const struct tfl_tensor *T = &c->t[ti];
    if (dequant)
        *dequant = 0;
    if (T->deq_of >= 0) {
        if (dequant)
            *dequant = 1;
        return &c->t[T->deq_of];
    }
    return T->data ? T : NULL;
}

static int is_const(const struct conv *c, int ti)
{
    return const_of(c, ti, NULL) != NULL;
}

static size_t const_count(const struct tfl_tensor *T)
{
    return T->nbytes / type_size(T->type);
}

/* Element i of a constant as double (dequantized if dq). */
static double const_get(const struct conv *c, const struct tfl_tensor *T, size_t i, int dq)
{
    const uint8_t *p = T->data + i * type_size(T->type);
    double v;
    switch (T->type) {
    case TFL_FLOAT32: {
        float f;
        uint32_t u = rd_u32(p);
        memcpy(&f, &u, 4);
        v = f;
        break;
    }
    case TFL_FLOAT16: v = gh_nn_half_to_float(rd_u16(p)); break;
    case TFL_INT32: v = (int32_t)rd_u32(p); break;
    case TFL_INT64: v = (double)(int64_t)rd_u64(p); break;
    case TFL_UINT8: v = p[0]; break;
    case TFL_INT8: v = (int8_t)p[0]; break;
    default: v = 0; break;
    }
    if (dq && T->quant && (T->type == TFL_UINT8 || T->type == TFL_INT8 || T->type == TFL_INT32)) {
        /* f = scale * (q - zero_point), per tensor or per channel of q_axis */
        size_t ch = 0;
        if (T->q_n > 1) {
            size_t inner = 1;
            for (int k = T->q_axis + 1; k < T->ndim; k++)
                inner *= (size_t)T->shape[k];
            ch = (i / inner) % (size_t)T->shape[T->q_axis];
        }
        uint32_t su = rd_u32(c->fb.d + T->q_scale + 4 * ch);
        float s;
        memcpy(&s, &su, 4);
        double zp = T->q_zp ? (double)(int64_t)rd_u64(c->fb.d + T->q_zp + 8 * ch) : 0;
        v = (double)s * (v - zp);
    }
    return v;
}

/* Integer values of a small constant (axes, paddings, shapes). */
static enum gh_status const_ints(const struct conv *c, int ti, int64_t *vals, int max, int *n, const char *what)
{
    const struct tfl_tensor *T = const_of(c, ti, NULL);
    if (!T)
        return shape_err(c, "%s must be a constant", what);
    if (T->type != TFL_INT32 && T->type != TFL_INT64)
        return shape_err(c, "%s must be int32 or int64", what);
    size_t cnt = const_count(T);
    if (cnt > (size_t)max)
        return shape_err(c, "%s has %zu values (at most %d)", what, cnt, max);
    for (size_t i = 0; i < cnt; i++)
        vals[i] = (int64_t)const_get(c, T, i, 0);
    *n = (int)cnt;
    return GH_OK;
}

/* ---------------------------------------------------------------------- */
/* Graph construction helpers                                             */
/* ---------------------------------------------------------------------- */

static enum gh_status add_const(struct conv *c, enum gh_nn_dtype dtype, int ndim, const int64_t *shape, void *data,
                                char **name_out)
{
    struct gh_nn_graph_def *g = c->g;
    size_t bytes = gh_nn_count(ndim, shape) * gh_nn_dtype_size(dtype);
    c->const_bytes += bytes;
    if (c->const_bytes > c->const_limit) {
        free(data);
        return bad("constants would need more than %zu bytes (file has %zu)", c->const_limit, c->fb.n);
    }
    if (g->n_consts == g->cap_consts) {
        int cap = g->cap_consts ? g->cap_consts * 2 : 64;
        void *p = realloc(g->consts, (size_t)cap * sizeof *g->consts);
        if (!p) {
            free(data);
            return nomem();
        }
        g->consts = p;
        g->cap_consts = cap;
    }
    struct gh_nn_value *v = &g->consts[g->n_consts];
    memset(v, 0, sizeof *v);
    v->name = gh_aprintf("c%d", c->counter++);
    if (!v->name) {
        free(data);
        return nomem();
    }
    v->kind = GH_NN_VALUE_CONST;
    v->t.dtype = dtype;
    v->t.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        v->t.shape[i] = shape[i];
    v->t.data = data;
    g->n_consts++;
    *name_out = v->name;
    return GH_OK;
}

static enum gh_status const_i64(struct conv *c, int n, const int64_t *vals, char **name)
{
    int64_t *d = malloc((size_t)n * sizeof *d + 8);
    if (!d)
        return nomem();
    memcpy(d, vals, (size_t)n * sizeof *d);
    int64_t shape[1] = {n};
    return add_const(c, GH_NN_I64, 1, shape, d, name);
}

static enum gh_status const_f32_scalar(struct conv *c, float v, char **name)
{
    float *d = malloc(sizeof *d);
    if (!d)
        return nomem();
    *d = v;
    return add_const(c, GH_NN_F32, 0, NULL, d, name);
}

struct attr_spec {
    const char *name;
    enum gh_nn_attr_type type;
    int64_t i;
    float f;
    const char *s;
    int n;
    const int64_t *ints;
};

#define A_INT(nm, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_INT, .i = (v)})
#define A_FLOAT(nm, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_FLOAT, .f = (v)})
#define A_STR(nm, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_STRING, .s = (v)})
#define A_INTS(nm, cnt, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_INTS, .n = (cnt), .ints = (v)})

static char *dup_s(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* Appends a node with inputs ins (NULL = optional input left out) and one new
 * output value, whose name is returned in *out (owned by the graph def). */
static enum gh_status add_node(struct conv *c, enum gh_nn_op opk, int n_in, const char *const *ins, int n_attrs,
                               const struct attr_spec *attrs, char **out)
{
    struct gh_nn_graph_def *g = c->g;
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        void *p = realloc(g->nodes, (size_t)cap * sizeof *g->nodes);
        if (!p)
            return nomem();
        g->nodes = p;
        g->cap_nodes = cap;
    }
    struct gh_nn_node_def *nd = &g->nodes[g->n_nodes++];
    memset(nd, 0, sizeof *nd);
    const struct tfl_op_rec *op = c->cur_op >= 0 ? &c->ops[c->cur_op] : NULL;
    const char *tn = op && op->n_out ? c->t[op->out[0]].name : "";
    nd->op = opk;
    nd->name = op ? gh_aprintf("%s#%d:%s", op_name(op->code), c->cur_op, tn) : gh_aprintf("io%d", c->counter);
    nd->in = calloc((size_t)n_in + 1, sizeof *nd->in);
    nd->out = calloc(1, sizeof *nd->out);
    nd->attrs = calloc((size_t)n_attrs + 1, sizeof *nd->attrs);
    if (!nd->name || !nd->in || !nd->out || !nd->attrs)
        return nomem();
    for (int k = 0; k < n_in; k++) {
        nd->in[k] = dup_s(ins[k] ? ins[k] : "");
        if (!nd->in[k])
            return nomem();
        nd->n_in++;
    }
    nd->out[0] = gh_aprintf("v%d", c->counter++);
    if (!nd->out[0])
        return nomem();
    nd->n_out = 1;
    for (int k = 0; k < n_attrs; k++) {
        struct gh_nn_attr *a = &nd->attrs[k];
        const struct attr_spec *s = &attrs[k];
        nd->n_attrs++;
        a->name = dup_s(s->name);
        if (!a->name)
            return nomem();
        a->type = s->type;
        a->i = s->i;
        a->f = s->f;
        if (s->type == GH_NN_ATTR_STRING && !(a->s = dup_s(s->s)))
            return nomem();
        if (s->type == GH_NN_ATTR_INTS) {
            a->ints = malloc((size_t)s->n * sizeof *a->ints + 8);
            if (!a->ints)
                return nomem();
            memcpy(a->ints, s->ints, (size_t)s->n * sizeof *a->ints);
            a->n = s->n;
        }
    }
    *out = nd->out[0];
    return GH_OK;
}

static enum gh_status node1(struct conv *c, enum gh_nn_op opk, const char *in, char **out)
{
    return add_node(c, opk, 1, &in, 0, NULL, out);
}

static enum gh_status node2(struct conv *c, enum gh_nn_op opk, const char *a, const char *b, char **out)
{
    const char *ins[2] = {a, b};
    return add_node(c, opk, 2, ins, 0, NULL, out);
}

/* ---- layouts ---- */

static void lay_identity(uint8_t *lay, int r)
{
    if (r > GH_NN_MAX_DIMS)
        r = GH_NN_MAX_DIMS;
    for (int i = 0; i < r; i++)
        lay[i] = (uint8_t)i;
}

/* NHWC-style TFLite axes -> N, C, spatial... */
static void lay_channels_first(uint8_t *lay, int r)
{
    if (r < 3 || r > GH_NN_MAX_DIMS) {
        lay_identity(lay, r);
        return;
    }
    lay[0] = 0;
    lay[1] = (uint8_t)(r - 1);
    for (int i = 2; i < r; i++)
        lay[i] = (uint8_t)(i - 1);
}

static int lay_eq(const uint8_t *a, const uint8_t *b, int r)
{
    return memcmp(a, b, (size_t)r) == 0;
}

static int lay_index(const uint8_t *lay, int r, int axis)
{
    for (int i = 0; i < r; i++)
        if (lay[i] == axis)
            return i;
    return -1;
}

static int rank_of(const struct conv *c, int ti)
{
    return c->t[ti].ndim;
}

static struct cache_ent *cache_find(struct tfl_tensor *T, const uint8_t *lay, int r, int kind)
{
    for (struct cache_ent *e = T->cache; e; e = e->next)
        if (e->kind == kind && e->rank == r && lay_eq(e->lay, lay, r))
            return e;
    return NULL;
}

static enum gh_status cache_put(struct tfl_tensor *T, const uint8_t *lay, int r, int kind, char *name)
{
    struct cache_ent *e = calloc(1, sizeof *e);
    if (!e)
        return nomem();
    memcpy(e->lay, lay, (size_t)r);
    e->rank = r;
    e->kind = kind;
    e->name = name;
    e->next = T->cache;
    T->cache = e;
    return GH_OK;
}

/* Float (or int64 for integer types) IR constant of tensor ti with its data
 * permuted to lay (ONNX axis i = TFLite axis lay[i]); rank r >= ndim pads
 * leading 1s first (broadcast to r dims). */
static enum gh_status emit_const(struct conv *c, int ti, const uint8_t *lay, int r, int kind, char **name)
{
    struct tfl_tensor *T = &c->t[ti];
    struct cache_ent *e = cache_find(T, lay, r, kind);
    if (e) {
        *name = e->name;
        return GH_OK;
    }
    int dq;
    const struct tfl_tensor *S = const_of(c, ti, &dq);
    int is_int = !dq && (S->type == TFL_INT32 || S->type == TFL_INT64 ||
                         ((S->type == TFL_UINT8 || S->type == TFL_INT8) && !S->quant));
    if ((S->type == TFL_UINT8 || S->type == TFL_INT8) && !dq && S->quant)
        return shape_err(c, "quantized tensor %d used without DEQUANTIZE", ti);
    int64_t src_shape[GH_NN_MAX_DIMS];
    int sr = S->ndim;
    if (r < sr)
        return shape_err(c, "constant %d of rank %d used as rank %d", ti, sr, r);
    for (int i = 0; i < r; i++)
        src_shape[i] = i < r - sr ? 1 : S->shape[i - (r - sr)];
    int64_t shape[GH_NN_MAX_DIMS];
    for (int i = 0; i < r; i++)
        shape[i] = src_shape[lay[i]];
    size_t cnt = gh_nn_count(r, shape);
    enum gh_nn_dtype dt = is_int ? GH_NN_I64 : GH_NN_F32;
    if ((c->const_bytes += cnt * 8) > c->const_limit) /* checked again in add_const; early before malloc */
        return bad("constants would need more than %zu bytes (file has %zu)", c->const_limit, c->fb.n);
    c->const_bytes -= cnt * 8;
    void *data = malloc(cnt * gh_nn_dtype_size(dt) + 8);
    if (!data)
        return nomem();
    /* Source values in TFLite order (float16 through a lookup table, the
     * model's bulk), then walked in the target order, innermost axis as a
     * strided run. */
    size_t es = is_int ? sizeof(int64_t) : sizeof(float);
    void *src = malloc(cnt * es + 8);
    if (!src) {
        free(data);
        return nomem();
    }
    if (!is_int && !dq && S->type == TFL_FLOAT32) {
        for (size_t i = 0; i < cnt; i++) {
            uint32_t u = rd_u32(S->data + 4 * i);
            memcpy((float *)src + i, &u, 4);
        }
    } else if (!is_int && S->type == TFL_FLOAT16) {
        if (!c->half) {
            c->half = malloc(65536 * sizeof *c->half);
            if (!c->half) {
                free(src);
                free(data);
                return nomem();
            }
            for (uint32_t h = 0; h < 65536; h++)
                c->half[h] = gh_nn_half_to_float((uint16_t)h);
        }
        for (size_t i = 0; i < cnt; i++)
            ((float *)src)[i] = c->half[rd_u16(S->data + 2 * i)];
    } else {
        for (size_t i = 0; i < cnt; i++) {
            double v = const_get(c, S, i, dq);
            if (is_int)
                ((int64_t *)src)[i] = (int64_t)v;
            else
                ((float *)src)[i] = (float)v;
        }
    }
    int64_t sstride[GH_NN_MAX_DIMS], ostride[GH_NN_MAX_DIMS];
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        sstride[i] = acc;
        acc *= src_shape[i];
    }
    for (int i = 0; i < r; i++)
        ostride[i] = sstride[lay[i]];
    if (r == 0 || cnt == 0) {
        memcpy(data, src, cnt * es);
    } else {
        int64_t idx[GH_NN_MAX_DIMS] = {0};
        int64_t inner = shape[r - 1], istr = ostride[r - 1];
        size_t o = 0;
        while (o < cnt) {
            int64_t base = 0;
            for (int i = 0; i < r - 1; i++)
                base += idx[i] * ostride[i];
            if (is_int)
                for (int64_t j = 0; j < inner; j++)
                    ((int64_t *)data)[o + (size_t)j] = ((const int64_t *)src)[base + j * istr];
            else
                for (int64_t j = 0; j < inner; j++)
                    ((float *)data)[o + (size_t)j] = ((const float *)src)[base + j * istr];
            o += (size_t)inner;
            for (int i = r - 2; i >= 0; i--) {
                if (++idx[i] < shape[i])
                    break;
                idx[i] = 0;
            }
        }
    }
    free(src);
    enum gh_status st = add_const(c, dt, r, shape, data, name);
    if (st)
        return st;
    return cache_put(T, lay, r, kind, *name);
}

/* IR value of tensor ti in layout lay (NULL: its current layout, whose
 * permutation is returned in got if non-NULL). */
static enum gh_status get(struct conv *c, int ti, const uint8_t *lay, char **name, uint8_t *got)
{
    struct tfl_tensor *T = &c->t[ti];
    int r = T->ndim;
    if (!T->val) {
        if (!is_const(c, ti))
            return shape_err(c, "input tensor %d (%s) is used before it is produced", ti, T->name);
        uint8_t id[GH_NN_MAX_DIMS];
        lay_identity(id, r);
        const uint8_t *L = lay ? lay : id;
        if (got)
            memcpy(got, L, (size_t)r);
        return emit_const(c, ti, L, r, 0, name);
    }
    if (!lay || lay_eq(lay, T->lay, r)) {
        if (got)
            memcpy(got, T->lay, (size_t)r);
        *name = T->val;
        return GH_OK;
    }
    struct cache_ent *e = cache_find(T, lay, r, 0);
    if (e) {
        *name = e->name;
    } else {
        int64_t perm[GH_NN_MAX_DIMS];
        for (int i = 0; i < r; i++)
            perm[i] = lay_index(T->lay, r, lay[i]);
        struct attr_spec a = A_INTS("perm", r, perm);
        const char *in = T->val;
        enum gh_status st = add_node(c, GH_NN_OP_TRANSPOSE, 1, &in, 1, &a, name);
        if (st || (st = cache_put(T, lay, r, 0, *name)))
            return st;
    }
    if (got)
        memcpy(got, lay, (size_t)r);
    return GH_OK;
}

static void set_val(struct conv *c, int ti, char *name, const uint8_t *lay)
{
    struct tfl_tensor *T = &c->t[ti];
    T->val = name;
    memcpy(T->lay, lay, (size_t)T->ndim);
}

/* ---------------------------------------------------------------------- */
/* Symbolic shape inference, one op at a time                             */
/* ---------------------------------------------------------------------- */

static enum gh_status sym_broadcast(struct conv *c, int a, int b, struct dim *out, int *rank)
{
    const struct tfl_tensor *A = &c->t[a], *B = &c->t[b];
    int n = A->ndim > B->ndim ? A->ndim : B->ndim;
    for (int i = 0; i < n; i++) {
        int ia = i - (n - A->ndim), ib = i - (n - B->ndim);
        struct dim one = const_dim(1);
        const struct dim *da = ia >= 0 ? &A->dims[ia] : &one, *db = ib >= 0 ? &B->dims[ib] : &one;
        if (dim_eq(da, db) || db->n == 0)
            out[i] = *da;
        else if (da->n == 0)
            out[i] = *db;
        else
            return shape_err(c, "cannot broadcast tensor %d with tensor %d (dimension %d)", a, b, i);
    }
    *rank = n;
    return GH_OK;
}

/* Regroups the input's factors into the target's dimensions (see SymbolicShapes._reshape). */
static enum gh_status sym_reshape(struct conv *c, int x, const int64_t *target_in, int nt, struct dim *out)
{
    const struct tfl_tensor *X = &c->t[x];
    int64_t target[GH_NN_MAX_DIMS];
    int64_t total = 1;
    for (int i = 0; i < X->ndim; i++) {
        int64_t v = dim_tval(c, &X->dims[i]);
        if (v < 0 || __builtin_mul_overflow(total, v, &total) || total > GH_NN_MAX_ELEMS)
            return shape_err(c, "reshape input too large");
    }
    int minus = -1;
    int64_t known = 1;
    for (int i = 0; i < nt; i++) {
        target[i] = target_in[i];
        if (target[i] == -1) {
            if (minus >= 0)
                return shape_err(c, "reshape target has several -1 entries");
            minus = i;
        } else if (target[i] < 0 || __builtin_mul_overflow(known, target[i], &known) || known > GH_NN_MAX_ELEMS) {
            return shape_err(c, "bad reshape target entry %lld", (long long)target[i]);
        }
    }
    if (minus >= 0) {
        if (known == 0)
            return shape_err(c, "reshape target with -1 and a zero entry");
        target[minus] = total / known;
        known *= target[minus];
    }
    if (known != total)
        return shape_err(c, "reshape target does not hold %lld elements", (long long)total);
    struct factor fs[GH_NN_MAX_DIMS * SYM_MAX_FACTORS];
    int nf = 0, head = 0;
    for (int i = 0; i < X->ndim; i++)
        for (int k = 0; k < X->dims[i].n; k++) {
            const struct factor *f = &X->dims[i].f[k];
            struct q v;
            if (!factor_value(f, qi(c->tH), qi(c->tW), &v))
                return shape_err(c, "dimension too large");
            if (v.n == 1 && v.d == 1) {
                if (f->var)
                    return shape_err(c, "symbolic factor is 1 at the template size (ambiguous reshape)");
                continue;
            }
            fs[nf++] = *f;
        }
    for (int i = 0; i < nt; i++) {
        struct dim d;
        memset(&d, 0, sizeof d);
        int64_t p = 1, t = target[i];
        while (p < t) {
            if (head >= nf)
                return shape_err(c, "cannot map the reshape target onto its input's dimensions");
            struct factor f = fs[head++];
            struct q fv;
            factor_value(&f, qi(c->tH), qi(c->tW), &fv);
            if (fv.d != 1 || fv.n <= 0)
                return shape_err(c, "non-integer dimension in reshape");
            int64_t v = fv.n;
            if (d.n >= SYM_MAX_FACTORS)
                return shape_err(c, "reshape merges too many dimensions");
            if (p * v > t && !f.var && t % p == 0 && v % (t / p) == 0) {
                int64_t need = t / p; /* split a constant factor */
                d.f[d.n].var = 0;
                d.f[d.n].coef = qi(0);
                d.f[d.n++].off = qi(need);
                fs[--head].off = qi(v / need);
                p = t;
            } else {
                d.f[d.n++] = f;
                if (__builtin_mul_overflow(p, v, &p))
                    return shape_err(c, "reshape too large");
            }
        }
        if (p != t)
            return shape_err(c, "reshape target splits a size-dependent dimension");
        out[i] = d;
    }
    if (head < nf)
        return shape_err(c, "reshape target leaves input dimensions unused");
    return GH_OK;
}

/* ---------------------------------------------------------------------- */
/* Run-time dimensions for reshape targets                                */
/* ---------------------------------------------------------------------- */

static enum gh_status input_dim(struct conv *c, int var, char **out)
{
    enum gh_status st;
    if (!c->input_shape && (st = node1(c, GH_NN_OP_SHAPE, c->input_nhwc, &c->input_shape)))
        return st;
    if (!c->input_dim[var]) {
        int64_t idx = var == 1 ? 1 : 2; /* NHWC input */
        char *ci;
        if ((st = const_i64(c, 1, &idx, &ci)))
            return st;
        struct attr_spec a = A_INT("axis", 0);
        const char *ins[2] = {c->input_shape, ci};
        if ((st = add_node(c, GH_NN_OP_GATHER, 2, ins, 1, &a, &c->input_dim[var])))
            return st;
    }
    *out = c->input_dim[var];
    return GH_OK;
}

/* int64 [1] value holding coef * var + off of factor f, from the input shape. */
static enum gh_status factor_node(struct conv *c, const struct factor *f, char **out)
{
    enum gh_status st;
    if (!f->var) {
        int64_t v = f->off.n / f->off.d;
        return const_i64(c, 1, &v, out);
    }
    /* value = (p * var + r) / q with integers p, r, q */
    int64_t q, p, r;
    if (__builtin_mul_overflow(f->coef.d, f->off.d, &q) || __builtin_mul_overflow(f->coef.n, q / f->coef.d, &p) ||
        __builtin_mul_overflow(f->off.n, q / f->off.d, &r))
        return shape_err(c, "dimension expression too large");
    char *v, *k;
    if ((st = input_dim(c, f->var, &v)))
        return st;
    if (p != 1 && ((st = const_i64(c, 1, &p, &k)) || (st = node2(c, GH_NN_OP_MUL, v, k, &v))))
        return st;
    if (r && ((st = const_i64(c, 1, &r, &k)) || (st = node2(c, GH_NN_OP_ADD, v, k, &v))))
        return st;
    if (q != 1 && ((st = const_i64(c, 1, &q, &k)) || (st = node2(c, GH_NN_OP_DIV, v, k, &v))))
        return st;
    *out = v;
    return GH_OK;
}

static enum gh_status dim_node(struct conv *c, const struct dim *d, char **out)
{
    char *v = NULL, *f;
    enum gh_status st;
    for (int i = 0; i < d->n; i++) {
        if ((st = factor_node(c, &d->f[i], &f)))
            return st;
        if (!v)
            v = f;
        else if ((st = node2(c, GH_NN_OP_MUL, v, f, &v)))
            return st;
    }
    if (!v) {
        int64_t one = 1;
        return const_i64(c, 1, &one, out);
    }
    *out = v;
    return GH_OK;
}

/* Reshape target in IR order: constants inline, 0 = copy the input dim at
 * that position, -1 for the last size-dependent dim, the others computed at
 * run time from the input's shape (as tflite_to_onnx.py does). */
static enum gh_status shape_tensor(struct conv *c, const struct dim *od, int ro, const struct dim *id, int ri,
                                   char **out)
{
    int64_t ent[GH_NN_MAX_DIMS];
    int sym[GH_NN_MAX_DIMS], last = -1;
    for (int i = 0; i < ro; i++) {
        sym[i] = 0;
        if (dim_is_const(&od[i])) {
            ent[i] = dim_tval(c, &od[i]);
        } else if (i < ri && dim_eq(&id[i], &od[i])) {
            ent[i] = 0;
        } else {
            sym[i] = 1;
            last = i;
        }
    }
    if (last >= 0) {
        sym[last] = 0;
        ent[last] = -1;
    }
    const char *parts[GH_NN_MAX_DIMS];
    int np = 0, run = 0;
    int64_t runv[GH_NN_MAX_DIMS];
    enum gh_status st;
    char *nm;
    for (int i = 0; i <= ro; i++) {
        if (i < ro && !sym[i]) {
            runv[run++] = ent[i];
            continue;
        }
        if (run) {
            if ((st = const_i64(c, run, runv, &nm)))
                return st;
            parts[np++] = nm;
            run = 0;
        }
        if (i < ro) {
            if ((st = dim_node(c, &od[i], &nm)))
                return st;
            parts[np++] = nm;
        }
    }
    if (np == 1) {
        *out = (char *)parts[0];
        return GH_OK;
    }
    struct attr_spec a = A_INT("axis", 0);
    return add_node(c, GH_NN_OP_CONCAT, np, parts, 1, &a, out);
}

/* ---------------------------------------------------------------------- */
/* Shape inference per op                                                 */
/* ---------------------------------------------------------------------- */

static int need_in(const struct tfl_op_rec *op, int n)
{
    if (op->n_in < n)
        return 0;
    for (int k = 0; k < n; k++)
        if (op->in[k] < 0)
            return 0;
    return 1;
}

static enum gh_status infer(struct conv *c, const struct tfl_op_rec *op)
{
    struct dim out[GH_NN_MAX_DIMS];
    int r = 0;
    enum gh_status st;
    int64_t v[GH_NN_MAX_DIMS * 2];
    int n;
    if (op->n_out != 1)
        return shape_err(c, "%d outputs (expected 1)", op->n_out);
    for (int k = 0; k < op->n_in; k++)
        if (op->in[k] >= 0 && !c->t[op->in[k]].sym_ok)
            return bad("operator %d (%s): input tensor %d (%s) is used before it is produced", c->cur_op,
                       op_name(op->code), op->in[k], c->t[op->in[k]].name);
    int nmin = 1;
    switch (op->code) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_SQUARED_DIFFERENCE: case OP_MAXIMUM:
    case OP_MINIMUM: case OP_MIRROR_PAD: case OP_PAD: case OP_PADV2: case OP_MEAN: case OP_SUM:
    case OP_TRANSPOSE: case OP_RESIZE_BILINEAR: case OP_RESIZE_NEAREST: case OP_CONV_2D:
    case OP_DEPTHWISE_CONV_2D: nmin = 2; break;
    case OP_STRIDED_SLICE: nmin = 4; break;
    default: break;
    }
    if (!need_in(op, nmin))
        return shape_err(c, "%d inputs (needs %d)", op->n_in, nmin);
    int x = op->in[0];
    const struct tfl_tensor *X = &c->t[x];
    switch (op->code) {
    case OP_DEQUANTIZE: case OP_SQRT: case OP_RSQRT: case OP_TANH: case OP_LEAKY_RELU: case OP_SOFTMAX:
    case OP_LOGISTIC: case OP_RELU: case OP_RELU6: case OP_RELU_N1_TO_1:
        r = X->ndim;
        memcpy(out, X->dims, sizeof out[0] * (size_t)r);
        break;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_SQUARED_DIFFERENCE: case OP_MAXIMUM:
    case OP_MINIMUM:
        if ((st = sym_broadcast(c, x, op->in[1], out, &r)))
            return st;
        break;
    case OP_MIRROR_PAD: case OP_PAD: case OP_PADV2:
        if ((st = const_ints(c, op->in[1], v, GH_NN_MAX_DIMS * 2, &n, "paddings")))
            return st;
        if (n != 2 * X->ndim)
            return shape_err(c, "paddings have %d values for a rank-%d tensor", n, X->ndim);
        r = X->ndim;
        for (int i = 0; i < r; i++) {
            if (v[2 * i] < 0 || v[2 * i + 1] < 0 || v[2 * i] > GH_NN_MAX_ELEMS || v[2 * i + 1] > GH_NN_MAX_ELEMS)
                return shape_err(c, "negative or huge padding");
            if ((st = dim_affine(c, &X->dims[i], qi(1), qi(v[2 * i] + v[2 * i + 1]), &out[i])))
                return st;
        }
        break;
    case OP_CONV_2D: case OP_DEPTHWISE_CONV_2D: case OP_AVERAGE_POOL_2D: {
        int pool = op->code == OP_AVERAGE_POOL_2D;
        int32_t pad, sw, sh, dw = 1, dh = 1, kh, kw;
        const struct tfl_tensor *W = pool ? NULL : &c->t[op->in[1]];
        if (X->ndim != 4 || (W && W->ndim != 4))
            return shape_err(c, "input and filter must have rank 4");
        int pi;
        if ((st = opt_i8(op, 0, &pi)))
            return st;
        pad = pi;
        if ((st = opt_i32(op, 1, 0, &sw)) || (st = opt_i32(op, 2, 0, &sh)))
            return st;
        if (pool) {
            if ((st = opt_i32(op, 3, 0, &kw)) || (st = opt_i32(op, 4, 0, &kh)))
                return st;
        } else {
            kh = (int32_t)W->shape[1];
            kw = (int32_t)W->shape[2];
            unsigned base = op->code == OP_CONV_2D ? 4 : 5;
            if ((st = opt_i32(op, base, 1, &dw)) || (st = opt_i32(op, base + 1, 1, &dh)))
                return st;
        }
        if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || kh < 1 || kw < 1 || sw > 1024 || sh > 1024 || dw > 1024 ||
            dh > 1024 || kh > 4096 || kw > 4096)
            return shape_err(c, "bad stride, dilation or filter size");
        if (pad != 0 && pad != 1)
            return shape_err(c, "unknown padding %d", pad);
        int32_t ks[2] = {kh, kw}, ss[2] = {sh, sw}, ds[2] = {dh, dw};
        for (int a = 0; a < 2; a++) {
            int64_t eff = (int64_t)(ks[a] - 1) * ds[a] + 1;
            struct q sc, sh2;
            q_make(1, ss[a], &sc);
            if (pad == 1) { /* VALID: (in - eff) / s + 1 */
                q_make(-eff + ss[a], ss[a], &sh2);
            } else {        /* SAME: ceil(in / s), exact for sizes the reference accepts */
                sh2 = qi(0);
            }
            if ((st = dim_affine(c, &X->dims[1 + a], sc, sh2, &out[1 + a])))
                return st;
        }
        out[0] = X->dims[0];
        if (pool)
            out[3] = X->dims[3];
        else
            out[3] = const_dim(op->code == OP_CONV_2D ? W->shape[0] : W->shape[3]);
        r = 4;
        break;
    }
    case OP_MEAN: case OP_SUM: {
        if ((st = const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "axes")))
            return st;
        int red[GH_NN_MAX_DIMS] = {0};
        for (int i = 0; i < n; i++) {
            if (v[i] < -X->ndim || v[i] >= X->ndim)
                return shape_err(c, "axis %lld out of range", (long long)v[i]);
            red[(v[i] + X->ndim) % X->ndim] = 1;
        }
        int keep;
        if ((st = opt_i8(op, 0, &keep)))
            return st;
        for (int i = 0; i < X->ndim; i++) {
            if (!red[i])
                out[r++] = X->dims[i];
            else if (keep)
                out[r++] = const_dim(1);
        }
        break;
    }
    case OP_RESHAPE: {
        if (op->n_in > 1 && op->in[1] >= 0) {
            if ((st = const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "reshape target")))
                return st;
        } else {
            size_t s0;
            uint32_t cnt = 0;
            if (op->have_opts && (st = fb_vector(&op->opts, 0, 4, &s0, &cnt)))
                return st;
            if (cnt > GH_NN_MAX_DIMS)
                return shape_err(c, "reshape target of rank %u", cnt);
            for (uint32_t i = 0; i < cnt; i++)
                v[i] = (int32_t)rd_u32(c->fb.d + s0 + 4 * (size_t)i);
            n = (int)cnt;
        }
        if ((st = sym_reshape(c, x, v, n, out)))
            return st;
        r = n;
        break;
    }
    case OP_TRANSPOSE: {
        if ((st = const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "permutation")))
            return st;
        if (n != X->ndim)
            return shape_err(c, "permutation of %d axes for a rank-%d tensor", n, X->ndim);
        int seen[GH_NN_MAX_DIMS] = {0};
        for (int i = 0; i < n; i++) {
            if (v[i] < 0 || v[i] >= n || seen[v[i]]++)
                return shape_err(c, "bad permutation");
            out[i] = X->dims[v[i]];
        }
        r = n;
        break;
    }
    case OP_RESIZE_BILINEAR: case OP_RESIZE_NEAREST: {
        if ((st = const_ints(c, op->in[1], v, 2, &n, "resize size")))
            return st;
        if (n != 2 || X->ndim != 4 || v[0] < 1 || v[1] < 1 || v[0] > GH_NN_MAX_ELEMS || v[1] > GH_NN_MAX_ELEMS)
            return shape_err(c, "resize needs a rank-4 input and a 2-value size");
        for (int a = 0; a < 2; a++) {
            int64_t tv = dim_tval(c, &X->dims[1 + a]);
            struct q sc;
            if (tv < 1 || !q_make(v[a], tv, &sc))
                return shape_err(c, "resize of an empty dimension");
            /* Real models upsample 2-32x; a larger factor is a corrupt or hostile
             * file that would make every other run size allocate without bound. */
            if (sc.n > 64 * sc.d)
                return shape_err(c, "resize by more than 64x (%lld -> %lld)", (long long)tv, (long long)v[a]);
            if ((st = dim_affine(c, &X->dims[1 + a], sc, qi(0), &out[1 + a])))
                return st;
        }
        out[0] = X->dims[0];
        out[3] = X->dims[3];
        r = 4;
        break;
    }
    case OP_CONCATENATION: {
        int32_t axis;
        if ((st = opt_i32(op, 0, 0, &axis)))
            return st;
        if (op->n_in < 1 || axis < -X->ndim || axis >= X->ndim)
            return shape_err(c, "bad concatenation axis %d", axis);
        axis = (axis + X->ndim) % X->ndim;
        r = X->ndim;
        memcpy(out, X->dims, sizeof out[0] * (size_t)r);
        for (int k = 1; k < op->n_in; k++) {
            const struct tfl_tensor *Y = &c->t[op->in[k]];
            if (op->in[k] < 0 || Y->ndim != r)
                return shape_err(c, "concatenation inputs of different ranks");
            for (int i = 0; i < r; i++) {
                if (i != axis) {
                    /* a constant input fixes that size; the symbolic side is kept so the
                     * template size still checks (another size fails at run time) */
                    if (dim_eq(&out[i], &Y->dims[i]))
                        continue;
                    if (dim_tval(c, &out[i]) != dim_tval(c, &Y->dims[i]))
                        return shape_err(c, "concatenation inputs differ in dimension %d", i);
                    if (dim_is_const(&out[i]))
                        out[i] = Y->dims[i];
                    continue;
                }
                const struct dim *a = &out[i], *b = &Y->dims[i];
                if (dim_is_const(a) && dim_is_const(b)) {
                    out[i] = const_dim(dim_tval(c, a) + dim_tval(c, b));
                } else if (a->n == 1 && b->n == 1 && a->f[0].var == b->f[0].var) {
                    struct factor f = a->f[0];
                    if (!q_add(f.coef, b->f[0].coef, &f.coef) || !q_add(f.off, b->f[0].off, &f.off))
                        return shape_err(c, "dimension too large");
                    out[i].f[0] = f;
                } else {
                    return shape_err(c, "cannot concatenate these size-dependent dimensions");
                }
            }
        }
        break;
    }
    case OP_STRIDED_SLICE: {
        int64_t b[GH_NN_MAX_DIMS], e[GH_NN_MAX_DIMS], s[GH_NN_MAX_DIMS];
        int nb, ne, ns;
        int32_t bm, em, elm, nam, sam;
        if ((st = const_ints(c, op->in[1], b, GH_NN_MAX_DIMS, &nb, "begin")) ||
            (st = const_ints(c, op->in[2], e, GH_NN_MAX_DIMS, &ne, "end")) ||
            (st = const_ints(c, op->in[3], s, GH_NN_MAX_DIMS, &ns, "strides")) || (st = opt_i32(op, 0, 0, &bm)) ||
            (st = opt_i32(op, 1, 0, &em)) || (st = opt_i32(op, 2, 0, &elm)) || (st = opt_i32(op, 3, 0, &nam)) ||
            (st = opt_i32(op, 4, 0, &sam)))
            return st;
        if (elm || nam)
            return shape_err(c, "ellipsis_mask and new_axis_mask are not supported");
        if (nb != X->ndim || ne != X->ndim || ns != X->ndim)
            return shape_err(c, "begin/end/strides must have one value per axis");
        for (int i = 0; i < X->ndim; i++) {
            if (s[i] != 1 && s[i] != -1 && (s[i] == 0 || s[i] > GH_NN_MAX_ELEMS || s[i] < -GH_NN_MAX_ELEMS))
                return shape_err(c, "bad stride");
            int64_t len = dim_tval(c, &X->dims[i]);
            int full = ((bm >> i & 1) || b[i] == 0 || (s[i] < 0 && b[i] == -1)) &&
                       ((em >> i & 1) || (s[i] > 0 ? e[i] >= len : e[i] < -len)) && !(sam >> i & 1);
            if (!dim_is_const(&X->dims[i])) {
                if (!full || (s[i] != 1 && s[i] != -1))
                    return shape_err(c, "strided slice of a size-dependent dimension");
                out[r++] = X->dims[i];
                continue;
            }
            int64_t lo, hi;
            if (s[i] > 0) {
                lo = (bm >> i & 1) ? 0 : b[i] < 0 ? b[i] + len : b[i];
                hi = (em >> i & 1) ? len : e[i] < 0 ? e[i] + len : e[i];
                lo = lo < 0 ? 0 : lo > len ? len : lo;
                hi = hi < 0 ? 0 : hi > len ? len : hi;
            } else {
                lo = (bm >> i & 1) ? len - 1 : b[i] < 0 ? b[i] + len : b[i];
                hi = (em >> i & 1) ? -1 : e[i] < 0 ? e[i] + len : e[i];
                lo = lo < -1 ? -1 : lo > len - 1 ? len - 1 : lo;
                hi = hi < -1 ? -1 : hi > len - 1 ? len - 1 : hi;
            }
            if (sam >> i & 1) {
                if (lo < 0 || lo >= len)
                    return shape_err(c, "shrink index out of range");
                continue;
            }
            int64_t cnt = s[i] > 0 ? (hi > lo ? (hi - lo + s[i] - 1) / s[i] : 0)
                                   : (lo > hi ? (lo - hi - s[i] - 1) / -s[i] : 0);
            out[r++] = const_dim(cnt);
        }
        break;
    }
    default:
        return shape_err(c, "operator not supported");
    }
    struct tfl_tensor *O = &c->t[op->out[0]];
    if (O->sym_ok || O->data)
        return bad("operator %d (%s): output tensor %d (%s) is produced twice or is a constant", c->cur_op,
                   op_name(op->code), op->out[0], O->name);
    if (O->ndim == 0 && r > 0) {
        /* unknown rank in the file: take the inferred shape */
        O->ndim = r;
        for (int i = 0; i < r; i++)
            O->shape[i] = dim_tval(c, &out[i]);
    }
    if (O->ndim != r)
        return bad("operator %d (%s): output tensor %d (%s): inferred rank %d, file says %d", c->cur_op,
                   op_name(op->code), op->out[0], O->name, r, O->ndim);
    for (int i = 0; i < r; i++) {
        int64_t tv = dim_tval(c, &out[i]);
        if (tv < 0 || (O->shape[i] >= 0 && tv != O->shape[i]))
            return bad("operator %d (%s): output tensor %d (%s): inferred dimension %d is %lld at the template "
                       "size, file says %lld", c->cur_op, op_name(op->code), op->out[0], O->name, i, (long long)tv,
                       (long long)O->shape[i]);
        O->dims[i] = out[i];
    }
    O->sym_ok = 1;
    return GH_OK;
}

/* ---------------------------------------------------------------------- */
/* Translation into IR nodes, one op at a time                            */
/* ---------------------------------------------------------------------- */

static enum gh_status activation(struct conv *c, int act, char *in, char **out)
{
    enum gh_status st;
    char *lo, *hi;
    switch (act) {
    case 0: *out = in; return GH_OK;
    case 1: return node1(c, GH_NN_OP_RELU, in, out);
    case 2: case 3: {
        if ((st = const_f32_scalar(c, act == 3 ? 0.0f : -1.0f, &lo)) ||
            (st = const_f32_scalar(c, act == 3 ? 6.0f : 1.0f, &hi)))
            return st;
        const char *ins[3] = {in, lo, hi};
        return add_node(c, GH_NN_OP_CLIP, 3, ins, 0, NULL, out);
    }
    case 4: return node1(c, GH_NN_OP_TANH, in, out);
    default: return shape_err(c, "unsupported fused activation %d", act);
    }
}

/* Common layout of an elementwise op: that of its highest-rank activation input. */
static void binary_layout(struct conv *c, const int *ins, int n, uint8_t *lay, int *rank)
{
    int best = -1;
    for (int k = 0; k < n; k++) {
        int ti = ins[k];
        if (c->t[ti].val && (best < 0 || rank_of(c, ti) > rank_of(c, best)))
            best = ti;
    }
    if (best < 0) { /* only constants (not folded): TFLite layout */
        int r = 0;
        for (int k = 0; k < n; k++)
            if (rank_of(c, ins[k]) > r)
                r = rank_of(c, ins[k]);
        *rank = r;
        lay_identity(lay, r);
        return;
    }
    int r = rank_of(c, best);
    memcpy(lay, c->t[best].lay, (size_t)r);
    *rank = r;
    for (int k = 0; k < n; k++)
        if (c->t[ins[k]].val && rank_of(c, ins[k]) != r)
            lay_identity(lay, r);
}

static enum gh_status operand(struct conv *c, int ti, const uint8_t *lay, int r, char **name)
{
    if (!c->t[ti].val) {
        if (!is_const(c, ti))
            return shape_err(c, "input tensor %d is used before it is produced", ti);
        if (rank_of(c, ti) == 0) {
            uint8_t none[1] = {0};
            return emit_const(c, ti, none, 0, 0, name);
        }
        return emit_const(c, ti, lay, r, 0, name);
    }
    if (rank_of(c, ti) != r) {
        uint8_t id[GH_NN_MAX_DIMS];
        lay_identity(id, rank_of(c, ti));
        return get(c, ti, id, name, NULL);
    }
    return get(c, ti, lay, name, NULL);
}

/* If constant ti holds one repeated value, returns 1 and it in *v. */
static int const_uniform(const struct conv *c, int ti, float *v)
{
    int dq;
    const struct tfl_tensor *S = const_of(c, ti, &dq);
    if (!S || c->t[ti].val)
        return 0;
    size_t n = const_count(S);
    if (!n)
        return 0;
    double first = const_get(c, S, 0, dq);
    for (size_t i = 1; i < n; i++)
        if (const_get(c, S, i, dq) != first)
            return 0;
    *v = (float)first;
    return 1;
}

static int same_dims(const struct conv *c, int a, int b)
{
    if (c->t[a].ndim != c->t[b].ndim)
        return 0;
    for (int i = 0; i < c->t[a].ndim; i++)
        if (!dim_eq(&c->t[a].dims[i], &c->t[b].dims[i]))
            return 0;
    return 1;
}

static enum gh_status convert_op(struct conv *c, const struct tfl_op_rec *op)
{
    enum gh_status st;
    int x = op->in[0], o = op->out[0];
    int r = rank_of(c, x);
    uint8_t lay[GH_NN_MAX_DIMS], cf[GH_NN_MAX_DIMS], id[GH_NN_MAX_DIMS];
    char *xin, *y, *k;
    int64_t v[GH_NN_MAX_DIMS * 2];
    int n, act;
    lay_channels_first(cf, 4);
    lay_identity(id, GH_NN_MAX_DIMS);

    switch (op->code) {
    case OP_DEQUANTIZE: {
        int dq;
        const struct tfl_tensor *S = const_of(c, x, &dq);
        if (!S || c->t[x].val)
            return shape_err(c, "DEQUANTIZE of a non-constant tensor is not supported");
        if (dq || !(S->type == TFL_FLOAT16 || S->type == TFL_FLOAT32 ||
                    ((S->type == TFL_INT8 || S->type == TFL_UINT8) && S->quant)))
            return shape_err(c, "DEQUANTIZE of an unsupported constant type %d", S->type);
        if (S->quant && S->q_n > 1 && (S->q_axis < 0 || S->q_axis >= S->ndim || S->shape[S->q_axis] != S->q_n))
            return shape_err(c, "per-axis quantization does not match the tensor shape");
        c->t[o].deq_of = (int)(S - c->t);
        return GH_OK;
    }
    case OP_MIRROR_PAD: case OP_PAD: case OP_PADV2: {
        if ((st = get(c, x, NULL, &xin, lay)))
            return st;
        const_ints(c, op->in[1], v, GH_NN_MAX_DIMS * 2, &n, "paddings"); /* validated by infer */
        int any = 0, big = 0;
        for (int i = 0; i < 2 * r; i++) {
            any |= v[i] != 0;
            big |= v[i] > 1;
        }
        if (!any) {
            set_val(c, o, xin, lay);
            return GH_OK;
        }
        const char *mode = "constant";
        if (op->code == OP_MIRROR_PAD) {
            int m;
            if ((st = opt_i8(op, 0, &m)))
                return st;
            if (m == 1 && big)
                return shape_err(c, "MIRROR_PAD SYMMETRIC wider than 1 pixel is not supported");
            if (m != 0 && m != 1)
                return shape_err(c, "unknown MIRROR_PAD mode %d", m);
            mode = m == 0 ? "reflect" : "edge"; /* symmetric by 1 pixel repeats the edge */
        }
        int64_t pads[GH_NN_MAX_DIMS * 2];
        for (int i = 0; i < r; i++) {
            pads[i] = v[2 * lay[i]];
            pads[r + i] = v[2 * lay[i] + 1];
        }
        char *pn, *cv = NULL;
        if ((st = const_i64(c, 2 * r, pads, &pn)))
            return st;
        if (op->code == OP_PADV2 && op->n_in > 2 && op->in[2] >= 0) {
            float f;
            if (!const_uniform(c, op->in[2], &f))
                return shape_err(c, "PADV2 constant value must be a constant scalar");
            if ((st = const_f32_scalar(c, f, &cv)))
                return st;
        }
        struct attr_spec a = A_STR("mode", mode);
        const char *ins[3] = {xin, pn, cv};
        if ((st = add_node(c, GH_NN_OP_PAD, cv ? 3 : 2, ins, 1, &a, &y)))
            return st;
        set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_CONV_2D: case OP_DEPTHWISE_CONV_2D: case OP_AVERAGE_POOL_2D: {
        int pool = op->code == OP_AVERAGE_POOL_2D, dw = op->code == OP_DEPTHWISE_CONV_2D;
        int pad;
        int32_t sw, sh, dlw = 1, dlh = 1, kh, kw;
        opt_i8(op, 0, &pad);
        opt_i32(op, 1, 0, &sw);
        opt_i32(op, 2, 0, &sh);
        if (pool) {
            opt_i32(op, 3, 0, &kw);
            opt_i32(op, 4, 0, &kh);
            if ((st = opt_i8(op, 5, &act)))
                return st;
        } else {
            const struct tfl_tensor *W = &c->t[op->in[1]];
            kh = (int32_t)W->shape[1];
            kw = (int32_t)W->shape[2];
            if (!is_const(c, op->in[1]) || W->val)
                return shape_err(c, "filter must be a constant");
            if (dw) { /* depth_multiplier (field 3) follows from the filter's channel count */
                if ((st = opt_i8(op, 4, &act)))
                    return st;
                opt_i32(op, 5, 1, &dlw);
                opt_i32(op, 6, 1, &dlh);
            } else {
                if ((st = opt_i8(op, 3, &act)))
                    return st;
                opt_i32(op, 4, 1, &dlw);
                opt_i32(op, 5, 1, &dlh);
            }
        }
        int64_t C = c->t[x].shape[3];
        if (C < 1)
            return shape_err(c, "input with %lld channels", (long long)C);
        if ((st = get(c, x, cf, &xin, NULL)))
            return st;
        char *wn = NULL, *bn = NULL;
        float *pool_w = NULL;
        int64_t group = 1;
        if (pool) {
            int64_t shape[4] = {C, 1, kh, kw};
            size_t cnt = gh_nn_count(4, shape);
            if (C < 1 || cnt > (size_t)GH_NN_MAX_ELEMS)
                return shape_err(c, "bad pooling size");
            float *w = malloc(cnt * sizeof *w);
            if (!w)
                return nomem();
            for (size_t i = 0; i < cnt; i++)
                w[i] = 1.0f / (float)(kh * kw);
            if ((st = add_const(c, GH_NN_F32, 4, shape, w, &wn)))
                return st;
            pool_w = w;
            group = C;
        } else if (dw) {
            const struct tfl_tensor *W = &c->t[op->in[1]];
            uint8_t wl[4] = {3, 0, 1, 2}; /* [1, kh, kw, C*M] -> [C*M, 1, kh, kw] */
            if (W->shape[0] != 1 || C < 1 || W->shape[3] % C)
                return shape_err(c, "depthwise filter does not fit %lld input channels", (long long)C);
            if ((st = emit_const(c, op->in[1], wl, 4, 0, &wn)))
                return st;
            group = C;
        } else {
            const struct tfl_tensor *W = &c->t[op->in[1]];
            uint8_t wl[4] = {0, 3, 1, 2}; /* OHWI -> OIHW */
            if (W->shape[3] < 1 || C % W->shape[3] || W->shape[0] % (C / W->shape[3]))
                return shape_err(c, "filter with %lld input channels does not fit %lld", (long long)W->shape[3],
                                 (long long)C);
            if ((st = emit_const(c, op->in[1], wl, 4, 0, &wn)))
                return st;
            group = C / W->shape[3];
        }
        if (!pool && op->n_in > 2 && op->in[2] >= 0) {
            if (!is_const(c, op->in[2]) || c->t[op->in[2]].val || rank_of(c, op->in[2]) != 1)
                return shape_err(c, "bias must be a constant vector");
            if ((st = emit_const(c, op->in[2], id, 1, 0, &bn)))
                return st;
        }
        int64_t ks[2] = {kh, kw}, strides[2] = {sh, sw}, dil[2] = {dlh, dlw}, pads[4] = {0, 0, 0, 0};
        struct attr_spec at[6];
        int na = 0;
        at[na++] = A_INTS("kernel_shape", 2, ks);
        at[na++] = A_INTS("strides", 2, strides);
        at[na++] = A_INTS("dilations", 2, dil);
        if (group > 1)
            at[na++] = A_INT("group", group);
        if (pad == 0) { /* SAME: total max(eff - s, 0) when in % s == 0, odd pixel bottom/right */
            int dynamic = 0;
            for (int a = 0; a < 2; a++) {
                int64_t eff = (ks[a] - 1) * dil[a] + 1, tot = eff - strides[a];
                if (strides[a] > 1)
                    dynamic = 1;
                if (tot < 0)
                    tot = 0;
                pads[a] = tot / 2;
                pads[2 + a] = tot - tot / 2;
            }
            if (dynamic)
                at[na++] = A_STR("auto_pad", "SAME_UPPER"); /* TF's rule for any size */
            else
                at[na++] = A_INTS("pads", 4, pads);
            if (pool) {
                /* TFLite averages over the pixels inside the image only: window
                 * sums (weights 1) divided by window counts, the same convolution
                 * applied to a ones image of the input's size. */
                size_t wcnt = (size_t)C * kh * kw;
                for (size_t i = 0; i < wcnt; i++)
                    pool_w[i] = 1.0f;
                char *sum, *shp, *hw, *sizes, *one, *ones, *w1, *den, *k0, *k1, *k2;
                const char *cin[2] = {xin, wn};
                int64_t two = 2, four = 4, zero = 0, lead[2] = {1, 1}, s1[4] = {1, 1, kh, kw};
                float *onev = malloc(sizeof *onev), *w1v = malloc((size_t)kh * kw * sizeof *w1v);
                if (!onev || !w1v) {
                    free(onev);
                    free(w1v);
                    return nomem();
                }
                *onev = 1.0f;
                for (int i = 0; i < kh * kw; i++)
                    w1v[i] = 1.0f;
                int64_t s11[4] = {1, 1, 1, 1};
                if ((st = add_const(c, GH_NN_F32, 4, s11, onev, &one)) || (st = add_const(c, GH_NN_F32, 4, s1, w1v, &w1)))
                    return st;
                if ((st = add_node(c, GH_NN_OP_CONV, 2, cin, na, at, &sum)) || (st = node1(c, GH_NN_OP_SHAPE, xin, &shp)) ||
                    (st = const_i64(c, 1, &two, &k0)) || (st = const_i64(c, 1, &four, &k1)) ||
                    (st = const_i64(c, 1, &zero, &k2)))
                    return st;
                const char *sl[4] = {shp, k0, k1, k2};
                if ((st = add_node(c, GH_NN_OP_SLICE, 4, sl, 0, NULL, &hw)) || (st = const_i64(c, 2, lead, &k0)))
                    return st;
                struct attr_spec ax = A_INT("axis", 0), nearest = A_STR("mode", "nearest");
                const char *cc[2] = {k0, hw};
                if ((st = add_node(c, GH_NN_OP_CONCAT, 2, cc, 1, &ax, &sizes)))
                    return st;
                const char *rs[4] = {one, NULL, NULL, sizes};
                if ((st = add_node(c, GH_NN_OP_RESIZE, 4, rs, 1, &nearest, &ones)))
                    return st;
                struct attr_spec at1[5];
                int n1 = 0;
                for (int i = 0; i < na; i++)
                    if (strcmp(at[i].name, "group"))
                        at1[n1++] = at[i];
                const char *dc[2] = {ones, w1};
                if ((st = add_node(c, GH_NN_OP_CONV, 2, dc, n1, at1, &den)) || (st = node2(c, GH_NN_OP_DIV, sum, den, &y)) ||
                    (st = activation(c, act, y, &y)))
                    return st;
                set_val(c, o, y, cf);
                return GH_OK;
            }
        }
        const char *ins[3] = {xin, wn, bn};
        if ((st = add_node(c, GH_NN_OP_CONV, bn ? 3 : 2, ins, na, at, &y)) || (st = activation(c, act, y, &y)))
            return st;
        set_val(c, o, y, cf);
        return GH_OK;
    }
    case OP_MEAN: case OP_SUM: {
        if ((st = get(c, x, NULL, &xin, lay)))
            return st;
        const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "axes");
        int red[GH_NN_MAX_DIMS] = {0};
        for (int i = 0; i < n; i++)
            red[(v[i] + r) % r] = 1;
        int64_t axes[GH_NN_MAX_DIMS];
        int na = 0;
        for (int i = 0; i < r; i++)
            if (red[lay[i]])
                axes[na++] = i;
        int keep;
        opt_i8(op, 0, &keep);
        keep = keep != 0;
        uint8_t ol[GH_NN_MAX_DIMS];
        if (keep) {
            memcpy(ol, lay, (size_t)r);
        } else {
            int m = 0;
            for (int i = 0; i < r; i++) {
                if (red[lay[i]])
                    continue;
                int rank = 0; /* position of lay[i] among the kept TFLite axes */
                for (int j = 0; j < r; j++)
                    if (!red[lay[j]] && lay[j] < lay[i])
                        rank++;
                ol[m++] = (uint8_t)rank;
            }
        }
        if (op->code == OP_MEAN) {
            struct attr_spec at[2] = {A_INTS("axes", na, axes), A_INT("keepdims", keep)};
            st = add_node(c, GH_NN_OP_REDUCE_MEAN, 1, (const char *const *)&xin, 2, at, &y);
        } else {
            struct attr_spec at = A_INT("keepdims", keep);
            if ((st = const_i64(c, na, axes, &k)))
                return st;
            const char *ins[2] = {xin, k};
            st = add_node(c, GH_NN_OP_REDUCE_SUM, 2, ins, 1, &at, &y);
        }
        if (st)
            return st;
        set_val(c, o, y, ol);
        return GH_OK;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_SQUARED_DIFFERENCE: case OP_MAXIMUM:
    case OP_MINIMUM: {
        int br;
        binary_layout(c, op->in, 2, lay, &br);
        int orank = rank_of(c, o);
        if (br != orank) { /* the result's rank comes from a constant: TFLite layout */
            br = orank;
            lay_identity(lay, br);
        }
        act = 0;
        if (op->code == OP_ADD || op->code == OP_SUB || op->code == OP_MUL || op->code == OP_DIV) {
            if ((st = opt_i8(op, 0, &act))) /* fused_activation_function is field 0 of all four */
                return st;
        }
        if (op->code == OP_MAXIMUM || op->code == OP_MINIMUM) {
            /* max/min with a uniform constant is a Clip (exact); otherwise
             * max(a, b) = b + relu(a - b), min(a, b) = a - relu(a - b). */
            float cv;
            for (int s = 0; s < 2; s++) {
                int other = op->in[1 - s];
                if (const_uniform(c, op->in[s], &cv) && same_dims(c, other, o) && c->t[other].val) {
                    char *bound;
                    if ((st = get(c, other, lay, &xin, NULL)) || (st = const_f32_scalar(c, cv, &bound)))
                        return st;
                    const char *ins[3] = {xin, op->code == OP_MAXIMUM ? bound : NULL,
                                          op->code == OP_MINIMUM ? bound : NULL};
                    if ((st = add_node(c, GH_NN_OP_CLIP, 3, ins, 0, NULL, &y)))
                        return st;
                    set_val(c, o, y, lay);
                    return GH_OK;
                }
            }
        }
        char *a, *b;
        if ((st = operand(c, op->in[0], lay, br, &a)) || (st = operand(c, op->in[1], lay, br, &b)))
            return st;
        switch (op->code) {
        case OP_SQUARED_DIFFERENCE:
            if ((st = node2(c, GH_NN_OP_SUB, a, b, &y)) || (st = node2(c, GH_NN_OP_MUL, y, y, &y)))
                return st;
            break;
        case OP_MAXIMUM:
            if ((st = node2(c, GH_NN_OP_SUB, a, b, &y)) || (st = node1(c, GH_NN_OP_RELU, y, &y)) ||
                (st = node2(c, GH_NN_OP_ADD, b, y, &y)))
                return st;
            break;
        case OP_MINIMUM:
            if ((st = node2(c, GH_NN_OP_SUB, a, b, &y)) || (st = node1(c, GH_NN_OP_RELU, y, &y)) ||
                (st = node2(c, GH_NN_OP_SUB, a, y, &y)))
                return st;
            break;
        default: {
            enum gh_nn_op k2 = op->code == OP_ADD ? GH_NN_OP_ADD : op->code == OP_SUB ? GH_NN_OP_SUB
                             : op->code == OP_MUL ? GH_NN_OP_MUL : GH_NN_OP_DIV;
            if ((st = node2(c, k2, a, b, &y)) || (st = activation(c, act, y, &y)))
                return st;
        }
        }
        set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_SQRT: case OP_RSQRT: case OP_TANH: case OP_LEAKY_RELU: case OP_LOGISTIC: case OP_RELU:
    case OP_RELU6: case OP_RELU_N1_TO_1: {
        if ((st = get(c, x, NULL, &xin, lay)))
            return st;
        switch (op->code) {
        case OP_SQRT: st = node1(c, GH_NN_OP_SQRT, xin, &y); break;
        case OP_RSQRT:
            if (!(st = node1(c, GH_NN_OP_SQRT, xin, &y)))
                st = node1(c, GH_NN_OP_RECIPROCAL, y, &y);
            break;
        case OP_TANH: st = node1(c, GH_NN_OP_TANH, xin, &y); break;
        case OP_LOGISTIC: st = node1(c, GH_NN_OP_SIGMOID, xin, &y); break;
        case OP_RELU: st = activation(c, 1, xin, &y); break;
        case OP_RELU6: st = activation(c, 3, xin, &y); break;
        case OP_RELU_N1_TO_1: st = activation(c, 2, xin, &y); break;
        default: {
            float alpha;
            if ((st = opt_f32(op, 0, 0.0f, &alpha)))
                return st;
            struct attr_spec a = A_FLOAT("alpha", alpha);
            st = add_node(c, GH_NN_OP_LEAKY_RELU, 1, (const char *const *)&xin, 1, &a, &y);
        }
        }
        if (st)
            return st;
        set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_SOFTMAX: {
        float beta;
        if ((st = opt_f32(op, 0, 0.0f, &beta)) || (st = get(c, x, NULL, &xin, lay)))
            return st;
        if (r < 1)
            return shape_err(c, "softmax of a scalar");
        int axis = lay_index(lay, r, r - 1);
        if (beta != 1.0f) {
            if ((st = const_f32_scalar(c, beta, &k)) || (st = node2(c, GH_NN_OP_MUL, xin, k, &xin)))
                return st;
        }
        struct attr_spec a = A_INT("axis", axis == r - 1 ? -1 : axis);
        if ((st = add_node(c, GH_NN_OP_SOFTMAX, 1, (const char *const *)&xin, 1, &a, &y)))
            return st;
        set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_TRANSPOSE: {
        if ((st = get(c, x, NULL, &xin, lay)))
            return st;
        const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "permutation");
        uint8_t inv[GH_NN_MAX_DIMS], ol[GH_NN_MAX_DIMS];
        for (int i = 0; i < r; i++)
            inv[v[i]] = (uint8_t)i;
        for (int i = 0; i < r; i++)
            ol[i] = inv[lay[i]];
        set_val(c, o, xin, ol); /* relabel only: no data movement */
        return GH_OK;
    }
    case OP_RESHAPE: {
        const struct tfl_tensor *X = &c->t[x], *O = &c->t[o];
        int ro = O->ndim;
        if ((st = get(c, x, NULL, &xin, lay)))
            return st;
        uint8_t ol[GH_NN_MAX_DIMS];
        uint8_t cfr[GH_NN_MAX_DIMS];
        lay_channels_first(cfr, r);
        int keeps = r >= 3 && ro >= 3 && lay_eq(lay, cfr, r) && dim_eq(&X->dims[0], &O->dims[0]) &&
                    dim_eq(&X->dims[r - 1], &O->dims[ro - 1]);
        if (keeps) {
            lay_channels_first(ol, ro);
        } else {
            if ((st = get(c, x, id, &xin, lay)))
                return st;
            lay_identity(ol, ro);
        }
        struct dim idims[GH_NN_MAX_DIMS], odims[GH_NN_MAX_DIMS];
        for (int i = 0; i < r; i++)
            idims[i] = X->dims[lay[i]];
        for (int i = 0; i < ro; i++)
            odims[i] = O->dims[ol[i]];
        char *shape;
        if ((st = shape_tensor(c, odims, ro, idims, r, &shape)) || (st = node2(c, GH_NN_OP_RESHAPE, xin, shape, &y)))
            return st;
        set_val(c, o, y, ol);
        return GH_OK;
    }
    case OP_RESIZE_BILINEAR: case OP_RESIZE_NEAREST: {
        const struct tfl_tensor *X = &c->t[x], *O = &c->t[o];
        int ac, hp;
        unsigned base = op->code == OP_RESIZE_BILINEAR ? 2 : 0;
        if ((st = opt_i8(op, base, &ac)) || (st = opt_i8(op, base + 1, &hp)))
            return st;
        if (ac && hp)
            return shape_err(c, "align_corners and half_pixel_centers together are not supported");
        if ((st = get(c, x, cf, &xin, NULL)))
            return st;
        const char *ct, *nm = NULL;
        int linear = op->code == OP_RESIZE_BILINEAR;
        if (linear) {
            ct = ac ? "align_corners" : hp ? "half_pixel" : "asymmetric"; /* asymmetric: TF legacy */
        } else if (ac) {
            ct = "align_corners";
            nm = "round_prefer_ceil"; /* TF rounds half away from zero */
        } else if (hp) {
            ct = "tf_half_pixel_for_nn";
            nm = "floor";
        } else {
            ct = "asymmetric";
            nm = "floor";
        }
        char *sc;
        int dynamic = !dim_is_const(&X->dims[1]) || !dim_is_const(&X->dims[2]);
        if (dynamic) {
            float s[4] = {1, 1, 1, 1};
            for (int a = 0; a < 2; a++)
                s[2 + a] = (float)((double)dim_tval(c, &O->dims[1 + a]) / (double)dim_tval(c, &X->dims[1 + a]));
            float *d = malloc(sizeof s);
            int64_t shape[1] = {4};
            if (!d)
                return nomem();
            memcpy(d, s, sizeof s);
            if ((st = add_const(c, GH_NN_F32, 1, shape, d, &sc)))
                return st;
        } else {
            int64_t sz[4] = {O->shape[0], O->shape[3], O->shape[1], O->shape[2]};
            if ((st = const_i64(c, 4, sz, &sc)))
                return st;
        }
        struct attr_spec at[3] = {A_STR("mode", linear ? "linear" : "nearest"),
                                  A_STR("coordinate_transformation_mode", ct), A_STR("nearest_mode", nm ? nm : "")};
        const char *ins[4] = {xin, NULL, dynamic ? sc : NULL, dynamic ? NULL : sc};
        if ((st = add_node(c, GH_NN_OP_RESIZE, dynamic ? 3 : 4, ins, nm ? 3 : 2, at, &y)))
            return st;
        set_val(c, o, y, cf);
        return GH_OK;
    }
    case OP_CONCATENATION: {
        int32_t axis;
        opt_i32(op, 0, 0, &axis);
        if ((st = opt_i8(op, 1, &act)))
            return st;
        axis = (axis + r) % r;
        int br;
        binary_layout(c, op->in, op->n_in, lay, &br);
        if (br != r)
            lay_identity(lay, r);
        const char **ins = calloc((size_t)op->n_in + 1, sizeof *ins);
        if (!ins)
            return nomem();
        for (int i = 0; i < op->n_in && !st; i++) {
            char *nmv;
            st = operand(c, op->in[i], lay, r, &nmv);
            ins[i] = nmv;
        }
        struct attr_spec a = A_INT("axis", lay_index(lay, r, axis));
        if (!st)
            st = add_node(c, GH_NN_OP_CONCAT, op->n_in, ins, 1, &a, &y);
        free(ins);
        if (st || (st = activation(c, act, y, &y)))
            return st;
        set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_STRIDED_SLICE: {
        int64_t b[GH_NN_MAX_DIMS], e[GH_NN_MAX_DIMS], s[GH_NN_MAX_DIMS], axes[GH_NN_MAX_DIMS], sq[GH_NN_MAX_DIMS];
        int nb, nsq = 0;
        int32_t bm, em, sam;
        const_ints(c, op->in[1], b, GH_NN_MAX_DIMS, &nb, "begin");
        const_ints(c, op->in[2], e, GH_NN_MAX_DIMS, &nb, "end");
        const_ints(c, op->in[3], s, GH_NN_MAX_DIMS, &nb, "strides");
        opt_i32(op, 0, 0, &bm);
        opt_i32(op, 1, 0, &em);
        opt_i32(op, 4, 0, &sam);
        if ((st = get(c, x, id, &xin, NULL)))
            return st;
        for (int i = 0; i < r; i++) {
            axes[i] = i;
            int full_sym = !dim_is_const(&c->t[x].dims[i]);
            if ((bm >> i & 1) || (full_sym && !(sam >> i & 1)))
                b[i] = s[i] > 0 ? 0 : INT64_MAX;
            if ((em >> i & 1) || (full_sym && !(sam >> i & 1)))
                e[i] = s[i] > 0 ? INT64_MAX : INT64_MIN;
            if (sam >> i & 1) {
                e[i] = b[i] == -1 ? INT64_MAX : b[i] + 1;
                s[i] = 1;
                sq[nsq++] = i;
            }
        }
        char *bn, *en, *an, *sn;
        if ((st = const_i64(c, r, b, &bn)) || (st = const_i64(c, r, e, &en)) || (st = const_i64(c, r, axes, &an)) ||
            (st = const_i64(c, r, s, &sn)))
            return st;
        const char *ins[5] = {xin, bn, en, an, sn};
        if ((st = add_node(c, GH_NN_OP_SLICE, 5, ins, 0, NULL, &y)))
            return st;
        if (nsq) {
            if ((st = const_i64(c, nsq, sq, &k)) || (st = node2(c, GH_NN_OP_SQUEEZE, y, k, &y)))
                return st;
        }
        set_val(c, o, y, id);
        return GH_OK;
    }
    default:
        return shape_err(c, "operator not supported");
    }
}

/* ---------------------------------------------------------------------- */
/* Entry point                                                            */
/* ---------------------------------------------------------------------- */

static void conv_free(struct conv *c)
{
    for (int i = 0; i < c->n_tensors; i++) {
        struct cache_ent *e = c->t[i].cache;
        while (e) {
            struct cache_ent *nx = e->next;
            free(e);
            e = nx;
        }
    }
    for (int i = 0; i < c->n_ops; i++) {
        free(c->ops[i].in);
        free(c->ops[i].out);
    }
    free(c->t);
    free(c->ops);
    free(c->outputs);
    free(c->half);
}

static enum gh_status build(struct conv *c, const struct fb_table *model)
{
    enum gh_status st;
    uint64_t version;
    if ((st = fb_scalar(model, 0, 4, 0, &version)))
        return st;
    if (version != 3)
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: schema version %llu (supported: 3)", (unsigned long long)version);
    size_t sgs;
    uint32_t nsg;
    if ((st = fb_vector(model, 2, 4, &sgs, &nsg)))
        return st;
    if (nsg < 1)
        return bad("model has no subgraph");
    struct fb_table sg;
    if ((st = fb_vector_table(&c->fb, sgs, 0, "SubGraph", &sg)))
        return st;
    if ((st = read_tensors(c, &sg, model)) || (st = read_ops(c, &sg, model)))
        return st;
    int *ins = NULL, nin = 0;
    if ((st = read_int_vector(&sg, 1, &ins, &nin, TFL_MAX_OP_IO, "subgraph inputs")))
        return st;
    int in0 = nin == 1 ? ins[0] : -1;
    free(ins);
    if (nin != 1)
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: %d graph inputs (supported: exactly 1)", nin);
    if (in0 < 0 || in0 >= c->n_tensors)
        return bad("graph input tensor index %d out of range", in0);
    if ((st = read_int_vector(&sg, 2, &c->outputs, &c->output_count, TFL_MAX_OP_IO, "subgraph outputs")))
        return st;
    if (c->output_count < 1)
        return bad("graph has no outputs");
    for (int i = 0; i < c->output_count; i++)
        if (c->outputs[i] < 0 || c->outputs[i] >= c->n_tensors)
            return bad("graph output tensor index %d out of range", c->outputs[i]);
    c->input = in0;
    struct tfl_tensor *I = &c->t[in0];
    if (I->type != TFL_FLOAT32 || I->data)
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: graph input must be a float32 activation");
    for (int i = 0; i < I->ndim; i++)
        if (I->shape[i] < 1 || I->shape[i] > GH_NN_MAX_ELEMS)
            return bad("graph input has dimension %lld", (long long)I->shape[i]);
    c->symbolic = I->ndim == 4 && I->shape[0] == 1;
    c->tH = c->symbolic ? I->shape[1] : 1;
    c->tW = c->symbolic ? I->shape[2] : 1;
    for (int i = 0; i < I->ndim; i++)
        I->dims[i] = const_dim(I->shape[i]);
    if (c->symbolic) {
        for (int a = 0; a < 2; a++) {
            memset(&I->dims[1 + a], 0, sizeof I->dims[0]);
            I->dims[1 + a].n = 1;
            I->dims[1 + a].f[0].var = 1 + a;
            I->dims[1 + a].f[0].coef = qi(1);
            I->dims[1 + a].f[0].off = qi(0);
        }
    }
    I->sym_ok = 1;
    for (int i = 0; i < c->n_tensors; i++) {
        struct tfl_tensor *T = &c->t[i];
        if (!T->data)
            continue;
        for (int k = 0; k < T->ndim; k++)
            T->dims[k] = const_dim(T->shape[k]);
        T->sym_ok = 1;
    }

    /* graph input */
    struct gh_nn_graph_def *g = c->g;
    g->inputs = calloc(1, sizeof *g->inputs);
    if (!g->inputs)
        return nomem();
    g->cap_inputs = 1;
    struct gh_nn_value *gi = &g->inputs[0];
    gi->name = dup_s("input");
    if (!gi->name)
        return nomem();
    g->n_inputs = 1;
    gi->kind = GH_NN_VALUE_INPUT;
    gi->t.dtype = GH_NN_F32;
    gi->t.ndim = I->ndim;
    for (int i = 0; i < I->ndim; i++)
        gi->t.shape[i] = I->shape[i];
    if (c->symbolic)
        gi->t.shape[1] = gi->t.shape[2] = -1;
    c->input_nhwc = gi->name;
    uint8_t id[GH_NN_MAX_DIMS], cf[GH_NN_MAX_DIMS];
    lay_identity(id, GH_NN_MAX_DIMS);
    set_val(c, in0, gi->name, id);
    c->cur_op = -1;
    if (I->ndim == 4) {
        /* NHWC -> NCHW once, right after the input; the NHWC value stays reachable */
        char *nchw;
        lay_channels_first(cf, 4);
        if ((st = get(c, in0, cf, &nchw, NULL)) || (st = cache_put(I, id, 4, 0, gi->name)))
            return st;
        set_val(c, in0, nchw, cf);
    }

    for (int i = 0; i < c->n_ops; i++) {
        c->cur_op = i;
        const struct tfl_op_rec *op = &c->ops[i];
        if ((st = infer(c, op)) || (st = convert_op(c, op)))
            return st;
    }
    c->cur_op = -1;

    g->outputs = calloc((size_t)c->output_count, sizeof *g->outputs);
    if (!g->outputs)
        return nomem();
    g->cap_outputs = c->output_count;
    for (int i = 0; i < c->output_count; i++) {
        int ti = c->outputs[i];
        struct tfl_tensor *T = &c->t[ti];
        if (!T->val)
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: graph output %d (%s) is a constant or never produced", ti,
                            T->name);
        char *name;
        if ((st = get(c, ti, id, &name, NULL)))
            return st;
        if (!(g->outputs[i] = dup_s(name)))
            return nomem();
        g->n_outputs++;
    }
    return GH_OK;
}

enum gh_status gh_nn_tflite_load(const uint8_t *data, size_t size, struct gh_nn_model **out)
{
    struct gh_nn_graph_def g;
    struct conv c;
    enum gh_status st;
    memset(&g, 0, sizeof g);
    memset(&c, 0, sizeof c);
    *out = NULL;
    if (!data || size < 8)
        return bad("file too small (%zu bytes)", size);
    if (memcmp(data + 4, "TFL3", 4) != 0)
        return bad("file identifier is not \"TFL3\"");
    c.fb.d = data;
    c.fb.n = size;
    c.g = &g;
    c.const_limit = 16 * size + ((size_t)1 << 20);
    g.opset = 13; /* the IR's ONNX semantics the translation targets */
    struct fb_table model;
    uint32_t root = rd_u32(data);
    if ((st = fb_table_at(&c.fb, root, "Model", &model)) == GH_OK)
        st = build(&c, &model);
    if (!st)
        st = gh_nn_graph_build(&g, out);
    conv_free(&c);
    gh_nn_graph_def_free(&g);
    return st;
}
