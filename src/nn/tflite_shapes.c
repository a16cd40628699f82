/* TFLite loader: rationals, symbolic dimensions and shape inference for the
 * actual input size (see tflite.c for the design). */
#include "nn/tflite_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct q gh_tfl_qi(int64_t v)
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

int gh_tfl_dim_eq(const struct dim *a, const struct dim *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (!factor_eq(&a->f[i], &b->f[i]))
            return 0;
    return 1;
}

struct dim gh_tfl_const_dim(int64_t c)
{
    struct dim d;
    memset(&d, 0, sizeof d);
    if (c != 1) {
        d.n = 1;
        d.f[0].coef = gh_tfl_qi(0);
        d.f[0].off = gh_tfl_qi(c);
    }
    return d;
}

int gh_tfl_dim_is_const(const struct dim *d)
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
    *v = gh_tfl_qi(1);
    for (int i = 0; i < d->n; i++) {
        struct q f;
        if (!factor_value(&d->f[i], H, W, &f) || !q_mul(*v, f, v))
            return 0;
    }
    return 1;
}

/* Template value of a dim; -1 if it is not a positive integer. */
int64_t gh_tfl_dim_tval(const struct conv *c, const struct dim *d)
{
    struct q v;
    if (!dim_value(d, gh_tfl_qi(c->tH), gh_tfl_qi(c->tW), &v) || v.d != 1 || v.n < 0)
        return -1;
    return v.n;
}

enum gh_status (gh_tfl_shape_err)(const struct conv *c, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const struct tfl_op_rec *op = &c->ops[c->cur_op];
    return gh_error(GH_ERR_UNSUPPORTED, "TFLite: operator %d (%s): %s", c->cur_op,
                    gh_tfl_op_name(op->code) ? gh_tfl_op_name(op->code) : "?", msg);
}

/* d * scale + shift for padding, strided convolution, resize. */
static enum gh_status dim_affine(const struct conv *c, const struct dim *d, struct q scale, struct q shift,
                                 struct dim *out)
{
    if (q_eq(scale, gh_tfl_qi(1)) && shift.n == 0) {
        *out = *d;
        return GH_OK;
    }
    if (d->n > 1)
        return gh_tfl_shape_err(c, "cannot pad, stride or resize a flattened dimension");
    struct factor f;
    if (d->n) {
        f = d->f[0];
    } else {
        f.var = 0;
        f.coef = gh_tfl_qi(0);
        f.off = gh_tfl_qi(1);
    }
    struct factor g;
    g.var = f.var;
    if (f.var) {
        if (!q_mul(f.coef, scale, &g.coef))
            return gh_tfl_shape_err(c, "dimension too large");
    } else {
        g.coef = gh_tfl_qi(0);
    }
    struct q t;
    if (!q_mul(f.off, scale, &t) || !q_add(t, shift, &g.off))
        return gh_tfl_shape_err(c, "dimension too large");
    if (!g.var) {
        if (g.off.d != 1 || g.off.n < 0)
            return gh_tfl_shape_err(c, "constant dimension becomes %lld/%lld", (long long)g.off.n, (long long)g.off.d);
        *out = gh_tfl_const_dim(g.off.n);
        return GH_OK;
    }
    memset(out, 0, sizeof *out);
    out->n = 1;
    out->f[0] = g;
    return GH_OK;
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
        struct dim one = gh_tfl_const_dim(1);
        const struct dim *da = ia >= 0 ? &A->dims[ia] : &one, *db = ib >= 0 ? &B->dims[ib] : &one;
        if (gh_tfl_dim_eq(da, db) || db->n == 0)
            out[i] = *da;
        else if (da->n == 0)
            out[i] = *db;
        else if (gh_tfl_dim_is_const(da) != gh_tfl_dim_is_const(db)) {
            /* a fixed size meets the input's H or W: a tensor made for the export size */
            int f = gh_tfl_dim_is_const(da) ? a : b;
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: operator %d (%s): tensor %d (%s) has a shape fixed by the "
                            "export size %lldx%lld and cannot be regenerated for other sizes (only uniform "
                            "constants can)", c->cur_op, gh_tfl_op_name(c->ops[c->cur_op].code), f, c->t[f].name,
                            (long long)c->tH, (long long)c->tW);
        } else
            return gh_tfl_shape_err(c, "cannot broadcast tensor %d with tensor %d (dimension %d)", a, b, i);
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
        int64_t v = gh_tfl_dim_tval(c, &X->dims[i]);
        if (v < 0 || __builtin_mul_overflow(total, v, &total) || total > GH_NN_MAX_ELEMS)
            return gh_tfl_shape_err(c, "reshape input too large");
    }
    int minus = -1;
    int64_t known = 1;
    for (int i = 0; i < nt; i++) {
        target[i] = target_in[i];
        if (target[i] == -1) {
            if (minus >= 0)
                return gh_tfl_shape_err(c, "reshape target has several -1 entries");
            minus = i;
        } else if (target[i] < 0 || __builtin_mul_overflow(known, target[i], &known) || known > GH_NN_MAX_ELEMS) {
            return gh_tfl_shape_err(c, "bad reshape target entry %lld", (long long)target[i]);
        }
    }
    if (minus >= 0) {
        if (known == 0)
            return gh_tfl_shape_err(c, "reshape target with -1 and a zero entry");
        target[minus] = total / known;
        known *= target[minus];
    }
    if (known != total)
        return gh_tfl_shape_err(c, "reshape target does not hold %lld elements", (long long)total);
    struct factor fs[GH_NN_MAX_DIMS * SYM_MAX_FACTORS];
    int nf = 0, head = 0;
    for (int i = 0; i < X->ndim; i++)
        for (int k = 0; k < X->dims[i].n; k++) {
            const struct factor *f = &X->dims[i].f[k];
            struct q v;
            if (!factor_value(f, gh_tfl_qi(c->tH), gh_tfl_qi(c->tW), &v))
                return gh_tfl_shape_err(c, "dimension too large");
            if (v.n == 1 && v.d == 1) {
                if (f->var)
                    return gh_tfl_shape_err(c, "symbolic factor is 1 at the template size (ambiguous reshape)");
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
                return gh_tfl_shape_err(c, "cannot map the reshape target onto its input's dimensions");
            struct factor f = fs[head++];
            struct q fv;
            factor_value(&f, gh_tfl_qi(c->tH), gh_tfl_qi(c->tW), &fv);
            if (fv.d != 1 || fv.n <= 0)
                return gh_tfl_shape_err(c, "non-integer dimension in reshape");
            int64_t v = fv.n;
            if (d.n >= SYM_MAX_FACTORS)
                return gh_tfl_shape_err(c, "reshape merges too many dimensions");
            if (p * v > t && !f.var && t % p == 0 && v % (t / p) == 0) {
                int64_t need = t / p; /* split a constant factor */
                d.f[d.n].var = 0;
                d.f[d.n].coef = gh_tfl_qi(0);
                d.f[d.n++].off = gh_tfl_qi(need);
                fs[--head].off = gh_tfl_qi(v / need);
                p = t;
            } else {
                d.f[d.n++] = f;
                if (__builtin_mul_overflow(p, v, &p))
                    return gh_tfl_shape_err(c, "reshape too large");
            }
        }
        if (p != t)
            return gh_tfl_shape_err(c, "reshape target splits a size-dependent dimension");
        out[i] = d;
    }
    if (head < nf)
        return gh_tfl_shape_err(c, "reshape target leaves input dimensions unused");
    return GH_OK;
}

/* ---------------------------------------------------------------------- */
/* Run-time dimensions for reshape targets                                */
/* ---------------------------------------------------------------------- */

static enum gh_status input_dim(struct conv *c, int var, char **out)
{
    enum gh_status st;
    if (!c->input_shape && (st = gh_tfl_node1(c, GH_NN_OP_SHAPE, c->input_nhwc, &c->input_shape)))
        return st;
    if (!c->input_dim[var]) {
        int64_t idx = var == 1 ? 1 : 2; /* NHWC input */
        char *ci;
        if ((st = gh_tfl_const_i64(c, 1, &idx, &ci)))
            return st;
        struct attr_spec a = A_INT("axis", 0);
        const char *ins[2] = {c->input_shape, ci};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_GATHER, 2, ins, 1, &a, &c->input_dim[var])))
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
        return gh_tfl_const_i64(c, 1, &v, out);
    }
    /* value = (p * var + r) / q with integers p, r, q */
    int64_t q, p, r;
    if (__builtin_mul_overflow(f->coef.d, f->off.d, &q) || __builtin_mul_overflow(f->coef.n, q / f->coef.d, &p) ||
        __builtin_mul_overflow(f->off.n, q / f->off.d, &r))
        return gh_tfl_shape_err(c, "dimension expression too large");
    char *v, *k;
    if ((st = input_dim(c, f->var, &v)))
        return st;
    if (p != 1 && ((st = gh_tfl_const_i64(c, 1, &p, &k)) || (st = gh_tfl_node2(c, GH_NN_OP_MUL, v, k, &v))))
        return st;
    if (r && ((st = gh_tfl_const_i64(c, 1, &r, &k)) || (st = gh_tfl_node2(c, GH_NN_OP_ADD, v, k, &v))))
        return st;
    if (q != 1 && ((st = gh_tfl_const_i64(c, 1, &q, &k)) || (st = gh_tfl_node2(c, GH_NN_OP_DIV, v, k, &v))))
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
        else if ((st = gh_tfl_node2(c, GH_NN_OP_MUL, v, f, &v)))
            return st;
    }
    if (!v) {
        int64_t one = 1;
        return gh_tfl_const_i64(c, 1, &one, out);
    }
    *out = v;
    return GH_OK;
}

/* Reshape target in IR order: constants inline, 0 = copy the input dim at
 * that position, -1 for the last size-dependent dim, the others computed at
 * run time from the input's shape (as tflite_to_onnx.py does). */
enum gh_status gh_tfl_shape_tensor(struct conv *c, const struct dim *od, int ro, const struct dim *id, int ri,
                                   char **out)
{
    int64_t ent[GH_NN_MAX_DIMS];
    int sym[GH_NN_MAX_DIMS] = {0}, last = -1;
    for (int i = 0; i < ro; i++) {
        sym[i] = 0;
        if (gh_tfl_dim_is_const(&od[i])) {
            ent[i] = gh_tfl_dim_tval(c, &od[i]);
        } else if (i < ri && gh_tfl_dim_eq(&id[i], &od[i])) {
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
            if ((st = gh_tfl_const_i64(c, run, runv, &nm)))
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
    return gh_tfl_add_node(c, GH_NN_OP_CONCAT, np, parts, 1, &a, out);
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

enum gh_status gh_tfl_infer(struct conv *c, const struct tfl_op_rec *op)
{
    struct dim out[GH_NN_MAX_DIMS];
    int r = 0;
    enum gh_status st;
    int64_t v[GH_NN_MAX_DIMS * 2];
    int n;
    if (op->n_out != 1)
        return gh_tfl_shape_err(c, "%d outputs (expected 1)", op->n_out);
    for (int k = 0; k < op->n_in; k++)
        if (op->in[k] >= 0 && !c->t[op->in[k]].sym_ok)
            return gh_tfl_bad("operator %d (%s): input tensor %d (%s) is used before it is produced", c->cur_op,
                       gh_tfl_op_name(op->code), op->in[k], c->t[op->in[k]].name);
    int nmin = 1;
    switch (op->code) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_SQUARED_DIFFERENCE: case OP_MAXIMUM:
    case OP_MINIMUM: case OP_MIRROR_PAD: case OP_PAD: case OP_PADV2: case OP_MEAN: case OP_SUM:
    case OP_TRANSPOSE: case OP_RESIZE_BILINEAR: case OP_RESIZE_NEAREST: case OP_CONV_2D:
    case OP_DEPTHWISE_CONV_2D: nmin = 2; break;
    case OP_STRIDED_SLICE: nmin = 4; break;
    case OP_TRANSPOSE_CONV: nmin = 3; break;
    default: break;
    }
    if (!need_in(op, nmin))
        return gh_tfl_shape_err(c, "%d inputs (needs %d)", op->n_in, nmin);
    int x = op->in[0];
    const struct tfl_tensor *X = &c->t[x];
    switch (op->code) {
    case OP_DEQUANTIZE: case OP_QUANTIZE: case OP_SQRT: case OP_RSQRT: case OP_TANH: case OP_LEAKY_RELU: case OP_SOFTMAX:
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
        if ((st = gh_tfl_const_ints(c, op->in[1], v, GH_NN_MAX_DIMS * 2, &n, "paddings")))
            return st;
        if (n != 2 * X->ndim)
            return gh_tfl_shape_err(c, "paddings have %d values for a rank-%d tensor", n, X->ndim);
        r = X->ndim;
        for (int i = 0; i < r; i++) {
            if (v[2 * i] < 0 || v[2 * i + 1] < 0 || v[2 * i] > GH_NN_MAX_ELEMS || v[2 * i + 1] > GH_NN_MAX_ELEMS)
                return gh_tfl_shape_err(c, "negative or huge padding");
            if ((st = dim_affine(c, &X->dims[i], gh_tfl_qi(1), gh_tfl_qi(v[2 * i] + v[2 * i + 1]), &out[i])))
                return st;
        }
        break;
    case OP_CONV_2D: case OP_DEPTHWISE_CONV_2D: case OP_AVERAGE_POOL_2D: {
        int pool = op->code == OP_AVERAGE_POOL_2D;
        int32_t pad, sw, sh, dw = 1, dh = 1, kh, kw;
        const struct tfl_tensor *W = pool ? NULL : &c->t[op->in[1]];
        if (X->ndim != 4 || (W && W->ndim != 4))
            return gh_tfl_shape_err(c, "input and filter must have rank 4");
        int pi;
        if ((st = gh_tfl_opt_i8(op, 0, &pi)))
            return st;
        pad = pi;
        if ((st = gh_tfl_opt_i32(op, 1, 0, &sw)) || (st = gh_tfl_opt_i32(op, 2, 0, &sh)))
            return st;
        if (pool) {
            if ((st = gh_tfl_opt_i32(op, 3, 0, &kw)) || (st = gh_tfl_opt_i32(op, 4, 0, &kh)))
                return st;
        } else {
            kh = (int32_t)W->shape[1];
            kw = (int32_t)W->shape[2];
            unsigned base = op->code == OP_CONV_2D ? 4 : 5;
            if ((st = gh_tfl_opt_i32(op, base, 1, &dw)) || (st = gh_tfl_opt_i32(op, base + 1, 1, &dh)))
                return st;
        }
        if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || kh < 1 || kw < 1 || sw > 1024 || sh > 1024 || dw > 1024 ||
            dh > 1024 || kh > 4096 || kw > 4096)
            return gh_tfl_shape_err(c, "bad stride, dilation or filter size");
        if (pad != 0 && pad != 1)
            return gh_tfl_shape_err(c, "unknown padding %d", pad);
        int32_t ks[2] = {kh, kw}, ss[2] = {sh, sw}, ds[2] = {dh, dw};
        for (int a = 0; a < 2; a++) {
            int64_t eff = (int64_t)(ks[a] - 1) * ds[a] + 1;
            /* q_make cannot fail within the bounds checked above; initialized all the same */
            struct q sc = gh_tfl_qi(1), sh2 = gh_tfl_qi(0);
            q_make(1, ss[a], &sc);
            if (pad == 1) { /* VALID: (in - eff) / s + 1 */
                q_make(-eff + ss[a], ss[a], &sh2);
            } else {        /* SAME: ceil(in / s), exact for sizes the reference accepts */
                sh2 = gh_tfl_qi(0);
            }
            if ((st = dim_affine(c, &X->dims[1 + a], sc, sh2, &out[1 + a])))
                return st;
        }
        out[0] = X->dims[0];
        if (pool)
            out[3] = X->dims[3];
        else
            out[3] = gh_tfl_const_dim(op->code == OP_CONV_2D ? W->shape[0] : W->shape[3]);
        r = 4;
        break;
    }
    case OP_TRANSPOSE_CONV: {
        /* inputs: output_shape (fixed by the export size: not used, the
         * output follows the input), filter [O, kh, kw, I], input, bias */
        const struct tfl_tensor *W = &c->t[op->in[1]], *I = &c->t[op->in[2]];
        int pi;
        int32_t sw, sh;
        if ((st = gh_tfl_opt_i8(op, 0, &pi)) || (st = gh_tfl_opt_i32(op, 1, 0, &sw)) ||
            (st = gh_tfl_opt_i32(op, 2, 0, &sh)))
            return st;
        if (I->ndim != 4 || W->ndim != 4 || W->shape[3] != I->shape[3] || W->shape[0] < 1)
            return gh_tfl_shape_err(c, "filter [O, kh, kw, I] does not fit the rank-4 input");
        if (sw < 1 || sh < 1 || sw > 64 || sh > 64 || (pi != 0 && pi != 1))
            return gh_tfl_shape_err(c, "bad stride or padding");
        int32_t ks[2] = {(int32_t)W->shape[1], (int32_t)W->shape[2]}, ss[2] = {sh, sw};
        for (int a = 0; a < 2; a++) {
            /* SAME: in * s (TFLite's output_shape for SAME), VALID: (in - 1) * s + k */
            if (ks[a] < 1 || ks[a] > 4096 || (pi == 0 && ks[a] < ss[a]))
                return gh_tfl_shape_err(c, "filter smaller than the stride");
            if ((st = dim_affine(c, &I->dims[1 + a], gh_tfl_qi(ss[a]), gh_tfl_qi(pi == 0 ? 0 : ks[a] - ss[a]),
                                 &out[1 + a])))
                return st;
        }
        out[0] = I->dims[0];
        out[3] = gh_tfl_const_dim(W->shape[0]);
        r = 4;
        break;
    }
    case OP_MEAN: case OP_SUM: {
        if ((st = gh_tfl_const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "axes")))
            return st;
        int red[GH_NN_MAX_DIMS] = {0};
        for (int i = 0; i < n; i++) {
            if (v[i] < -X->ndim || v[i] >= X->ndim)
                return gh_tfl_shape_err(c, "axis %lld out of range", (long long)v[i]);
            red[(v[i] + X->ndim) % X->ndim] = 1;
        }
        int keep;
        if ((st = gh_tfl_opt_i8(op, 0, &keep)))
            return st;
        for (int i = 0; i < X->ndim; i++) {
            if (!red[i])
                out[r++] = X->dims[i];
            else if (keep)
                out[r++] = gh_tfl_const_dim(1);
        }
        break;
    }
    case OP_RESHAPE: {
        if (op->n_in > 1 && op->in[1] >= 0) {
            if ((st = gh_tfl_const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "reshape target")))
                return st;
        } else {
            size_t s0;
            uint32_t cnt = 0;
            if (op->have_opts && (st = gh_tfl_fb_vector(&op->opts, 0, 4, &s0, &cnt)))
                return st;
            if (cnt > GH_NN_MAX_DIMS)
                return gh_tfl_shape_err(c, "reshape target of rank %u", cnt);
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
        if ((st = gh_tfl_const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "permutation")))
            return st;
        if (n != X->ndim)
            return gh_tfl_shape_err(c, "permutation of %d axes for a rank-%d tensor", n, X->ndim);
        int seen[GH_NN_MAX_DIMS] = {0};
        for (int i = 0; i < n; i++) {
            if (v[i] < 0 || v[i] >= n || seen[v[i]]++)
                return gh_tfl_shape_err(c, "bad permutation");
            out[i] = X->dims[v[i]];
        }
        r = n;
        break;
    }
    case OP_RESIZE_BILINEAR: case OP_RESIZE_NEAREST: {
        if ((st = gh_tfl_const_ints(c, op->in[1], v, 2, &n, "resize size")))
            return st;
        if (n != 2 || X->ndim != 4 || v[0] < 1 || v[1] < 1 || v[0] > GH_NN_MAX_ELEMS || v[1] > GH_NN_MAX_ELEMS)
            return gh_tfl_shape_err(c, "resize needs a rank-4 input and a 2-value size");
        for (int a = 0; a < 2; a++) {
            int64_t tv = gh_tfl_dim_tval(c, &X->dims[1 + a]);
            struct q sc;
            if (tv < 1 || !q_make(v[a], tv, &sc))
                return gh_tfl_shape_err(c, "resize of an empty dimension");
            /* Real models upsample 2-32x; a larger factor is a corrupt or hostile
             * file that would make every other run size allocate without bound. */
            if (sc.n > 64 * sc.d)
                return gh_tfl_shape_err(c, "resize by more than 64x (%lld -> %lld)", (long long)tv, (long long)v[a]);
            if ((st = dim_affine(c, &X->dims[1 + a], sc, gh_tfl_qi(0), &out[1 + a])))
                return st;
        }
        out[0] = X->dims[0];
        out[3] = X->dims[3];
        r = 4;
        break;
    }
    case OP_CONCATENATION: {
        int32_t axis;
        if ((st = gh_tfl_opt_i32(op, 0, 0, &axis)))
            return st;
        if (op->n_in < 1 || axis < -X->ndim || axis >= X->ndim)
            return gh_tfl_shape_err(c, "bad concatenation axis %d", axis);
        axis = (axis + X->ndim) % X->ndim;
        r = X->ndim;
        memcpy(out, X->dims, sizeof out[0] * (size_t)r);
        for (int k = 1; k < op->n_in; k++) {
            const struct tfl_tensor *Y = &c->t[op->in[k]];
            if (op->in[k] < 0 || Y->ndim != r)
                return gh_tfl_shape_err(c, "concatenation inputs of different ranks");
            for (int i = 0; i < r; i++) {
                if (i != axis) {
                    /* a constant input fixes that size; the symbolic side is kept so the
                     * template size still checks (another size fails at run time) */
                    if (gh_tfl_dim_eq(&out[i], &Y->dims[i]))
                        continue;
                    if (gh_tfl_dim_tval(c, &out[i]) != gh_tfl_dim_tval(c, &Y->dims[i]))
                        return gh_tfl_shape_err(c, "concatenation inputs differ in dimension %d", i);
                    if (gh_tfl_dim_is_const(&out[i]))
                        out[i] = Y->dims[i];
                    continue;
                }
                const struct dim *a = &out[i], *b = &Y->dims[i];
                if (gh_tfl_dim_is_const(a) && gh_tfl_dim_is_const(b)) {
                    out[i] = gh_tfl_const_dim(gh_tfl_dim_tval(c, a) + gh_tfl_dim_tval(c, b));
                } else if (a->n == 1 && b->n == 1 && a->f[0].var == b->f[0].var) {
                    struct factor f = a->f[0];
                    if (!q_add(f.coef, b->f[0].coef, &f.coef) || !q_add(f.off, b->f[0].off, &f.off))
                        return gh_tfl_shape_err(c, "dimension too large");
                    out[i].f[0] = f;
                } else {
                    return gh_tfl_shape_err(c, "cannot concatenate these size-dependent dimensions");
                }
            }
        }
        break;
    }
    case OP_STRIDED_SLICE: {
        int64_t b[GH_NN_MAX_DIMS], e[GH_NN_MAX_DIMS], s[GH_NN_MAX_DIMS];
        int nb, ne, ns;
        int32_t bm, em, elm, nam, sam;
        if ((st = gh_tfl_const_ints(c, op->in[1], b, GH_NN_MAX_DIMS, &nb, "begin")) ||
            (st = gh_tfl_const_ints(c, op->in[2], e, GH_NN_MAX_DIMS, &ne, "end")) ||
            (st = gh_tfl_const_ints(c, op->in[3], s, GH_NN_MAX_DIMS, &ns, "strides")) || (st = gh_tfl_opt_i32(op, 0, 0, &bm)) ||
            (st = gh_tfl_opt_i32(op, 1, 0, &em)) || (st = gh_tfl_opt_i32(op, 2, 0, &elm)) || (st = gh_tfl_opt_i32(op, 3, 0, &nam)) ||
            (st = gh_tfl_opt_i32(op, 4, 0, &sam)))
            return st;
        if (elm || nam)
            return gh_tfl_shape_err(c, "ellipsis_mask and new_axis_mask are not supported");
        if (nb != X->ndim || ne != X->ndim || ns != X->ndim)
            return gh_tfl_shape_err(c, "begin/end/strides must have one value per axis");
        for (int i = 0; i < X->ndim; i++) {
            if (s[i] != 1 && s[i] != -1 && (s[i] == 0 || s[i] > GH_NN_MAX_ELEMS || s[i] < -GH_NN_MAX_ELEMS))
                return gh_tfl_shape_err(c, "bad stride");
            int64_t len = gh_tfl_dim_tval(c, &X->dims[i]);
            int full = ((bm >> i & 1) || b[i] == 0 || (s[i] < 0 && b[i] == -1)) &&
                       ((em >> i & 1) || (s[i] > 0 ? e[i] >= len : e[i] < -len)) && !(sam >> i & 1);
            if (!gh_tfl_dim_is_const(&X->dims[i])) {
                if (!full || (s[i] != 1 && s[i] != -1))
                    return gh_tfl_shape_err(c, "strided slice of a size-dependent dimension");
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
                    return gh_tfl_shape_err(c, "shrink index out of range");
                continue;
            }
            int64_t cnt = s[i] > 0 ? (hi > lo ? (hi - lo + s[i] - 1) / s[i] : 0)
                                   : (lo > hi ? (lo - hi - s[i] - 1) / -s[i] : 0);
            out[r++] = gh_tfl_const_dim(cnt);
        }
        break;
    }
    default:
        return gh_tfl_shape_err(c, "operator not supported");
    }
    struct tfl_tensor *O = &c->t[op->out[0]];
    if (O->sym_ok || O->data)
        return gh_tfl_bad("operator %d (%s): output tensor %d (%s) is produced twice or is a constant", c->cur_op,
                   gh_tfl_op_name(op->code), op->out[0], O->name);
    if (O->ndim == 0 && r > 0) {
        /* unknown rank in the file: take the inferred shape */
        O->ndim = r;
        for (int i = 0; i < r; i++)
            O->shape[i] = gh_tfl_dim_tval(c, &out[i]);
    }
    if (O->ndim != r)
        return gh_tfl_bad("operator %d (%s): output tensor %d (%s): inferred rank %d, file says %d", c->cur_op,
                   gh_tfl_op_name(op->code), op->out[0], O->name, r, O->ndim);
    for (int i = 0; i < r; i++) {
        int64_t tv = gh_tfl_dim_tval(c, &out[i]);
        if (tv < 0 || (O->shape[i] >= 0 && tv != O->shape[i]))
            return gh_tfl_bad("operator %d (%s): output tensor %d (%s): inferred dimension %d is %lld at the template "
                       "size, file says %lld", c->cur_op, gh_tfl_op_name(op->code), op->out[0], O->name, i, (long long)tv,
                       (long long)O->shape[i]);
        O->dims[i] = out[i];
    }
    O->sym_ok = 1;
    return GH_OK;
}
