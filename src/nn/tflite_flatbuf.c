/* TFLite loader: bounds-checked flatbuffer access, the parsed model (tensors,
 * operators, options) and constant values (see tflite.c for the design). */
#include "nn/tflite_internal.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Flatbuffer access                                                      */
/* ---------------------------------------------------------------------- */

enum gh_status (gh_tfl_bad)(const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gh_error(GH_ERR_MODEL, "TFLite: %s", msg);
}

enum gh_status (gh_tfl_nomem)(void)
{
    return gh_error(GH_ERR_NOMEM, "TFLite: out of memory");
}

enum gh_status gh_tfl_fb_table_at(const struct fb *fb, size_t pos, const char *what, struct fb_table *t)
{
    if (!fb_has(fb, pos, 4))
        return gh_tfl_bad("%s: table at %zu outside the file (%zu bytes)", what, pos, fb->n);
    int32_t so = (int32_t)rd_u32(fb->d + pos);
    int64_t vt = (int64_t)pos - so;
    if (vt < 0 || !fb_has(fb, (size_t)vt, 4))
        return gh_tfl_bad("%s: vtable offset %d out of range", what, so);
    unsigned vlen = rd_u16(fb->d + vt), tlen = rd_u16(fb->d + vt + 2);
    if (vlen < 4 || vlen % 2 || !fb_has(fb, (size_t)vt, vlen))
        return gh_tfl_bad("%s: bad vtable size %u", what, vlen);
    if (tlen < 4 || !fb_has(fb, pos, tlen))
        return gh_tfl_bad("%s: table size %u runs past the end of the file", what, tlen);
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
        return gh_tfl_bad("%s: field %u at offset %u lies outside its table (%u bytes)", t->what, i, o, t->tlen);
    *off = t->pos + o;
    return GH_OK;
}

enum gh_status gh_tfl_fb_scalar(const struct fb_table *t, unsigned i, unsigned size, uint64_t dflt, uint64_t *v)
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
    enum gh_status st = gh_tfl_fb_scalar(t, i, 4, (uint32_t)dflt, &u);
    *v = (int32_t)(uint32_t)u;
    return st;
}

static enum gh_status fb_i8(const struct fb_table *t, unsigned i, int8_t dflt, int *v)
{
    uint64_t u = 0;
    enum gh_status st = gh_tfl_fb_scalar(t, i, 1, (uint8_t)dflt, &u);
    *v = (int8_t)(uint8_t)u;
    return st;
}

static enum gh_status fb_f32(const struct fb_table *t, unsigned i, float dflt, float *v)
{
    uint32_t d;
    memcpy(&d, &dflt, 4);
    uint64_t u = 0;
    enum gh_status st = gh_tfl_fb_scalar(t, i, 4, d, &u);
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
        return gh_tfl_bad("%s: field %u points past the end of the file", t->what, i);
    *pos = (size_t)p;
    return GH_OK;
}

/* A vector field: start of its elements and count (count 0, start 0 when absent). */
enum gh_status gh_tfl_fb_vector(const struct fb_table *t, unsigned i, size_t elem, size_t *start, uint32_t *count)
{
    size_t p;
    enum gh_status st = fb_ref(t, i, &p);
    *start = 0;
    *count = 0;
    if (st || !p)
        return st;
    if (!fb_has(t->fb, p, 4))
        return gh_tfl_bad("%s: field %u: vector length outside the file", t->what, i);
    uint32_t n = rd_u32(t->fb->d + p);
    if ((uint64_t)n * elem > (uint64_t)(t->fb->n - p - 4))
        return gh_tfl_bad("%s: field %u: vector of %u elements runs past the end of the file", t->what, i, n);
    *start = p + 4;
    *count = n;
    return GH_OK;
}

/* Element k of a vector of tables. */
enum gh_status gh_tfl_fb_vector_table(const struct fb *fb, size_t start, uint32_t k, const char *what,
                                      struct fb_table *t)
{
    size_t slot = start + 4 * (size_t)k;
    uint64_t p = (uint64_t)slot + rd_u32(fb->d + slot);
    if (p >= fb->n)
        return gh_tfl_bad("%s[%u]: offset past the end of the file", what, k);
    return gh_tfl_fb_table_at(fb, (size_t)p, what, t);
}

/* ---------------------------------------------------------------------- */
/* Operator names                                                         */
/* ---------------------------------------------------------------------- */


const char *gh_tfl_op_name(int code)
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
    case OP_QUANTIZE: return "QUANTIZE";
    case OP_TRANSPOSE_CONV: return "TRANSPOSE_CONV";
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
    case OP_QUANTIZE: return 89;
    case OP_TRANSPOSE_CONV: return 49;
    default: return 0;
    }
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

enum gh_status gh_tfl_read_int_vector(const struct fb_table *t, unsigned field, int **out, int *n, int max,
                                      const char *what)
{
    size_t start;
    uint32_t cnt;
    enum gh_status st = gh_tfl_fb_vector(t, field, 4, &start, &cnt);
    *out = NULL;
    *n = 0;
    if (st)
        return st;
    if (cnt > (uint32_t)max)
        return gh_tfl_bad("%s: %u entries (at most %d)", what, cnt, max);
    *out = malloc((size_t)cnt * sizeof **out + 1);
    if (!*out)
        return gh_tfl_nomem();
    for (uint32_t i = 0; i < cnt; i++)
        (*out)[i] = (int32_t)rd_u32(t->fb->d + start + 4 * (size_t)i);
    *n = (int)cnt;
    return GH_OK;
}

/* Quantization parameters a kernel could not use are refused here, before
 * any value is computed from them: a zero, negative or non-finite scale would
 * make inf/NaN weights or a division by zero on the grid, a zero point
 * outside the type's range values no q can take, a bad axis or count reads
 * scales out of bounds. */
static enum gh_status check_quant(const struct conv *c, uint32_t i, const struct tfl_tensor *T)
{
    int64_t lo, hi;
    switch (T->type) {
    case TFL_INT8: lo = -128; hi = 127; break;
    case TFL_UINT8: lo = 0; hi = 255; break;
    case TFL_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
    default:
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: tensor %u (%s): quantized tensors of type %d (supported: "
                        "INT8, UINT8, INT32)", i, T->name, T->type);
    }
    if (T->q_n > 1) {
        if (T->q_axis < 0 || T->q_axis >= T->ndim)
            return gh_tfl_bad("tensor %u (%s): quantized_dimension %d out of range for rank %d", i, T->name,
                              T->q_axis, T->ndim);
        if (T->shape[T->q_axis] != (int64_t)T->q_n)
            return gh_tfl_bad("tensor %u (%s): %u scales for %lld channels on axis %d", i, T->name, T->q_n,
                              (long long)T->shape[T->q_axis], T->q_axis);
    }
    for (uint32_t k = 0; k < T->q_n; k++) {
        uint32_t su = rd_u32(c->fb.d + T->q_scale + 4 * (size_t)k);
        float s;
        memcpy(&s, &su, 4);
        if (!(s > 0.0f) || !isfinite(s))
            return gh_tfl_bad("tensor %u (%s): quantization scale %g (must be finite and > 0)", i, T->name,
                              (double)s);
        int64_t zp = T->q_zp ? (int64_t)rd_u64(c->fb.d + T->q_zp + 8 * (size_t)k) : 0;
        if (zp < lo || zp > hi)
            return gh_tfl_bad("tensor %u (%s): zero point %lld out of range for its type [%lld, %lld]", i, T->name,
                              (long long)zp, (long long)lo, (long long)hi);
    }
    return GH_OK;
}

enum gh_status gh_tfl_read_tensors(struct conv *c, const struct fb_table *sg, const struct fb_table *model)
{
    size_t tstart, bstart;
    uint32_t nt, nb;
    enum gh_status st;
    if ((st = gh_tfl_fb_vector(sg, 0, 4, &tstart, &nt)) || (st = gh_tfl_fb_vector(model, 4, 4, &bstart, &nb)))
        return st;
    if (nt > TFL_MAX_TENSORS)
        return gh_tfl_bad("%u tensors (at most %d)", nt, TFL_MAX_TENSORS);
    c->t = calloc((size_t)nt + 1, sizeof *c->t);
    if (!c->t)
        return gh_tfl_nomem();
    c->n_tensors = (int)nt;
    for (uint32_t i = 0; i < nt; i++) {
        struct tfl_tensor *T = &c->t[i];
        struct fb_table tt;
        T->deq_of = -1;
        if ((st = gh_tfl_fb_vector_table(&c->fb, tstart, i, "Tensor", &tt)))
            return st;
        size_t sstart;
        uint32_t sn;
        if ((st = gh_tfl_fb_vector(&tt, 0, 4, &sstart, &sn)))
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
        if ((st = gh_tfl_fb_scalar(&tt, 2, 4, 0, &bi)))
            return st;
        size_t nstart;
        uint32_t nn;
        if ((st = gh_tfl_fb_vector(&tt, 3, 1, &nstart, &nn)))
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
            if ((st = gh_tfl_fb_table_at(&c->fb, qpos, "QuantizationParameters", &qt)) ||
                (st = gh_tfl_fb_vector(&qt, 2, 4, &T->q_scale, &T->q_n)) || (st = gh_tfl_fb_vector(&qt, 3, 8, &zs, &zn)) ||
                (st = fb_i32(&qt, 6, 0, &axis)))
                return st;
            size_t dpos;
            if ((st = fb_ref(&qt, 5, &dpos)))
                return st;
            if (dpos)
                return gh_error(GH_ERR_UNSUPPORTED, "TFLite: tensor %u: custom quantization", i);
            /* Float tensors may carry (meaningless) parameters: TFLite ignores them, so do we. */
            if (T->q_n && T->type != TFL_FLOAT32 && T->type != TFL_FLOAT16) {
                if (zn != T->q_n && zn != 0)
                    return gh_tfl_bad("tensor %u (%s): %u scales but %u zero points", i, T->name, T->q_n, zn);
                T->quant = 1;
                T->q_zp = zn ? zs : 0;
                T->q_axis = axis;
                if ((st = check_quant(c, i, T)))
                    return st;
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
            return gh_tfl_bad("tensor %u (%s): buffer index %llu out of range (%u buffers)", i, T->name,
                       (unsigned long long)bi, nb);
        struct fb_table bt;
        size_t ds;
        uint32_t dn;
        if ((st = gh_tfl_fb_vector_table(&c->fb, bstart, (uint32_t)bi, "Buffer", &bt)) ||
            (st = gh_tfl_fb_vector(&bt, 0, 1, &ds, &dn)))
            return st;
        if (!dn) {
            uint64_t off, size;
            if ((st = gh_tfl_fb_scalar(&bt, 1, 8, 0, &off)) || (st = gh_tfl_fb_scalar(&bt, 2, 8, 0, &size)))
                return st;
            if (off > 1) {
                if (off > c->fb.n || size > c->fb.n - off)
                    return gh_tfl_bad("tensor %u (%s): external buffer [%llu, +%llu) outside the file", i, T->name,
                               (unsigned long long)off, (unsigned long long)size);
                ds = (size_t)off;
                dn = (uint32_t)size;
                if (size > UINT32_MAX)
                    return gh_tfl_bad("tensor %u: buffer too large", i);
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
                return gh_tfl_bad("tensor %u (%s): constant with negative dimension", i, T->name);
            count *= (uint64_t)T->shape[k];
            if (count > (uint64_t)GH_NN_MAX_ELEMS)
                return gh_tfl_bad("tensor %u (%s): constant too large", i, T->name);
        }
        if ((uint64_t)dn != count * es)
            return gh_tfl_bad("tensor %u (%s): buffer has %u bytes, shape and type need %llu", i, T->name, dn,
                       (unsigned long long)count * es);
        T->data = c->fb.d + ds;
        T->nbytes = dn;
    }
    return GH_OK;
}

enum gh_status gh_tfl_read_ops(struct conv *c, const struct fb_table *sg, const struct fb_table *model)
{
    size_t cstart, ostart;
    uint32_t nc, no;
    enum gh_status st;
    if ((st = gh_tfl_fb_vector(model, 1, 4, &cstart, &nc)) || (st = gh_tfl_fb_vector(sg, 3, 4, &ostart, &no)))
        return st;
    if (no > TFL_MAX_OPS)
        return gh_tfl_bad("%u operators (at most %d)", no, TFL_MAX_OPS);
    c->ops = calloc((size_t)no + 1, sizeof *c->ops);
    if (!c->ops)
        return gh_tfl_nomem();
    for (uint32_t i = 0; i < no; i++) {
        struct tfl_op_rec *op = &c->ops[i];
        struct fb_table ot, ct;
        c->n_ops = (int)i + 1;
        if ((st = gh_tfl_fb_vector_table(&c->fb, ostart, i, "Operator", &ot)))
            return st;
        uint64_t ci;
        if ((st = gh_tfl_fb_scalar(&ot, 0, 4, 0, &ci)))
            return st;
        if (ci >= nc)
            return gh_tfl_bad("operator %u: opcode index %llu out of range (%u operator codes)", i, (unsigned long long)ci,
                       nc);
        if ((st = gh_tfl_fb_vector_table(&c->fb, cstart, (uint32_t)ci, "OperatorCode", &ct)))
            return st;
        int dep;
        int32_t code;
        if ((st = fb_i8(&ct, 0, 0, &dep)) || (st = fb_i32(&ct, 3, 0, &code)))
            return st;
        /* builtin_code (int32) superseded the byte-sized deprecated code; TFLite takes the larger. */
        op->code = dep > code ? dep : code;
        if (op->code == OP_CUSTOM)
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: operator %u: custom operators are not supported", i);
        if (!gh_tfl_op_name(op->code))
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: operator %u: unsupported builtin operator code %d", i,
                            op->code);
        if ((st = gh_tfl_read_int_vector(&ot, 1, &op->in, &op->n_in, TFL_MAX_OP_IO, "operator inputs")) ||
            (st = gh_tfl_read_int_vector(&ot, 2, &op->out, &op->n_out, TFL_MAX_OP_IO, "operator outputs")))
            return st;
        for (int k = 0; k < op->n_in; k++)
            if (op->in[k] < -1 || op->in[k] >= c->n_tensors)
                return gh_tfl_bad("operator %u (%s): input tensor index %d out of range", i, gh_tfl_op_name(op->code), op->in[k]);
        for (int k = 0; k < op->n_out; k++)
            if (op->out[k] < 0 || op->out[k] >= c->n_tensors)
                return gh_tfl_bad("operator %u (%s): output tensor index %d out of range", i, gh_tfl_op_name(op->code),
                           op->out[k]);
        uint64_t tag;
        if ((st = gh_tfl_fb_scalar(&ot, 3, 1, 0, &tag)))
            return st;
        op->opt_tag = (int)tag;
        int want = op_options_tag(op->code);
        if (tag && tag != (uint64_t)want)
            return gh_tfl_bad("operator %u (%s): options of type %d, expected %d", i, gh_tfl_op_name(op->code), (int)tag, want);
        size_t opos;
        if ((st = fb_ref(&ot, 4, &opos)))
            return st;
        if (tag && opos) {
            if ((st = gh_tfl_fb_table_at(&c->fb, opos, "operator options", &op->opts)))
                return st;
            op->have_opts = 1;
        }
    }
    return GH_OK;
}

/* Option field of an op (default when the op has no options table). */
enum gh_status gh_tfl_opt_i32(const struct tfl_op_rec *op, unsigned i, int32_t dflt, int32_t *v)
{
    if (!op->have_opts) {
        *v = dflt;
        return GH_OK;
    }
    return fb_i32(&op->opts, i, dflt, v);
}

enum gh_status gh_tfl_opt_i8(const struct tfl_op_rec *op, unsigned i, int *v)
{
    if (!op->have_opts) {
        *v = 0;
        return GH_OK;
    }
    return fb_i8(&op->opts, i, 0, v);
}

enum gh_status gh_tfl_opt_f32(const struct tfl_op_rec *op, unsigned i, float dflt, float *v)
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
const struct tfl_tensor *gh_tfl_const_of(const struct conv *c, int ti, int *dequant)
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

int gh_tfl_is_const(const struct conv *c, int ti)
{
    return gh_tfl_const_of(c, ti, NULL) != NULL;
}

size_t gh_tfl_const_count(const struct tfl_tensor *T)
{
    return T->nbytes / type_size(T->type);
}

/* Element i of a constant as double (dequantized if dq). */
double gh_tfl_const_get(const struct conv *c, const struct tfl_tensor *T, size_t i, int dq)
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
enum gh_status gh_tfl_const_ints(const struct conv *c, int ti, int64_t *vals, int max, int *n, const char *what)
{
    const struct tfl_tensor *T = gh_tfl_const_of(c, ti, NULL);
    if (!T)
        return gh_tfl_shape_err(c, "%s must be a constant", what);
    if (T->type != TFL_INT32 && T->type != TFL_INT64)
        return gh_tfl_shape_err(c, "%s must be int32 or int64", what);
    size_t cnt = gh_tfl_const_count(T);
    if (cnt > (size_t)max)
        return gh_tfl_shape_err(c, "%s has %zu values (at most %d)", what, cnt, max);
    for (size_t i = 0; i < cnt; i++)
        vals[i] = (int64_t)gh_tfl_const_get(c, T, i, 0);
    *n = (int)cnt;
    return GH_OK;
}
