/* TFLite loader: translation of each operator into IR nodes (see tflite.c
 * for the design). */
#include "nn/tflite_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Translation into IR nodes, one op at a time                            */
/* ---------------------------------------------------------------------- */

static enum gh_status activation(struct conv *c, int act, char *in, char **out)
{
    enum gh_status st;
    char *lo, *hi;
    switch (act) {
    case 0: *out = in; return GH_OK;
    case 1: return gh_tfl_node1(c, GH_NN_OP_RELU, in, out);
    case 2: case 3: {
        if ((st = gh_tfl_const_f32_scalar(c, act == 3 ? 0.0f : -1.0f, &lo)) ||
            (st = gh_tfl_const_f32_scalar(c, act == 3 ? 6.0f : 1.0f, &hi)))
            return st;
        const char *ins[3] = {in, lo, hi};
        return gh_tfl_add_node(c, GH_NN_OP_CLIP, 3, ins, 0, NULL, out);
    }
    case 4: return gh_tfl_node1(c, GH_NN_OP_TANH, in, out);
    default: return gh_tfl_shape_err(c, "unsupported fused activation %d", act);
    }
}

/* Common layout of an elementwise op: that of its highest-rank activation input. */
static void binary_layout(struct conv *c, const int *ins, int n, uint8_t *lay, int *rank)
{
    int best = -1;
    for (int k = 0; k < n; k++) {
        int ti = ins[k];
        if (c->t[ti].val && (best < 0 || gh_tfl_rank_of(c, ti) > gh_tfl_rank_of(c, best)))
            best = ti;
    }
    if (best < 0) { /* only constants (not folded): TFLite layout */
        int r = 0;
        for (int k = 0; k < n; k++)
            if (gh_tfl_rank_of(c, ins[k]) > r)
                r = gh_tfl_rank_of(c, ins[k]);
        *rank = r;
        gh_tfl_lay_identity(lay, r);
        return;
    }
    int r = gh_tfl_rank_of(c, best);
    memcpy(lay, c->t[best].lay, (size_t)r);
    *rank = r;
    for (int k = 0; k < n; k++)
        if (c->t[ins[k]].val && gh_tfl_rank_of(c, ins[k]) != r)
            gh_tfl_lay_identity(lay, r);
}

static enum gh_status operand(struct conv *c, int ti, const uint8_t *lay, int r, char **name)
{
    if (!c->t[ti].val) {
        if (!gh_tfl_is_const(c, ti))
            return gh_tfl_shape_err(c, "input tensor %d is used before it is produced", ti);
        if (gh_tfl_rank_of(c, ti) == 0) {
            uint8_t none[1] = {0};
            return gh_tfl_emit_const(c, ti, none, 0, 0, name);
        }
        return gh_tfl_emit_const(c, ti, lay, r, 0, name);
    }
    if (gh_tfl_rank_of(c, ti) != r) {
        uint8_t id[GH_NN_MAX_DIMS];
        gh_tfl_lay_identity(id, gh_tfl_rank_of(c, ti));
        return gh_tfl_get(c, ti, id, name, NULL);
    }
    return gh_tfl_get(c, ti, lay, name, NULL);
}

/* If constant ti holds one repeated value, returns 1 and it in *v. */
static int const_uniform(const struct conv *c, int ti, float *v)
{
    int dq;
    const struct tfl_tensor *S = gh_tfl_const_of(c, ti, &dq);
    if (!S || c->t[ti].val)
        return 0;
    size_t n = gh_tfl_const_count(S);
    if (!n)
        return 0;
    dq |= S->quant;
    double first = gh_tfl_const_get(c, S, 0, dq);
    for (size_t i = 1; i < n; i++)
        if (gh_tfl_const_get(c, S, i, dq) != first)
            return 0;
    *v = (float)first;
    return 1;
}

static int same_dims(const struct conv *c, int a, int b)
{
    if (c->t[a].ndim != c->t[b].ndim)
        return 0;
    for (int i = 0; i < c->t[a].ndim; i++)
        if (!gh_tfl_dim_eq(&c->t[a].dims[i], &c->t[b].dims[i]))
            return 0;
    return 1;
}

/* IR bias of a convolution: an int32 bias without quantization parameters
 * of an int8 convolution is b = q * input_scale * weight_scale[c] (TFLite's
 * definition; files normally store that scale on the bias itself). */
static enum gh_status bias_const(struct conv *c, int bi, int xi, int wi, int wch_axis, char **name)
{
    const struct tfl_tensor *B = &c->t[bi], *X = &c->t[xi], *W = gh_tfl_const_of(c, wi, NULL);
    uint8_t id[1] = {0};
    if (B->type != TFL_INT32 || B->quant || !B->data)
        return gh_tfl_emit_const(c, bi, id, 1, 0, name);
    if (!X->quant || X->q_n != 1 || !W || !W->quant)
        return gh_tfl_shape_err(c, "int32 bias of a convolution whose input and filter are not quantized");
    int64_t n = B->shape[0];
    if (W->q_n > 1 && (W->q_axis != wch_axis || (int64_t)W->q_n != n))
        return gh_tfl_shape_err(c, "filter scales do not match the bias's %lld channels", (long long)n);
    float *d = malloc((size_t)n * sizeof *d + 4);
    if (!d)
        return gh_tfl_nomem();
    uint32_t u = rd_u32(c->fb.d + X->q_scale);
    float sx, sw;
    memcpy(&sx, &u, 4);
    for (int64_t k = 0; k < n; k++) {
        u = rd_u32(c->fb.d + W->q_scale + 4 * (size_t)(W->q_n > 1 ? k : 0));
        memcpy(&sw, &u, 4);
        d[k] = (float)((double)(int32_t)rd_u32(B->data + 4 * (size_t)k) * sx * sw);
    }
    int64_t shape[1] = {n};
    return gh_tfl_add_const(c, GH_NN_F32, 1, shape, d, name);
}

enum gh_status gh_tfl_convert_op(struct conv *c, const struct tfl_op_rec *op)
{
    enum gh_status st;
    int x = op->in[0], o = op->out[0];
    int r = gh_tfl_rank_of(c, x);
    uint8_t lay[GH_NN_MAX_DIMS], cf[GH_NN_MAX_DIMS], id[GH_NN_MAX_DIMS];
    char *xin, *y, *k;
    int64_t v[GH_NN_MAX_DIMS * 2];
    int n, act;
    gh_tfl_lay_channels_first(cf, 4);
    gh_tfl_lay_identity(id, GH_NN_MAX_DIMS);

    switch (op->code) {
    case OP_QUANTIZE: case OP_DEQUANTIZE: {
        int dq;
        const struct tfl_tensor *S = gh_tfl_const_of(c, x, &dq);
        if (op->code == OP_QUANTIZE || !S || c->t[x].val) {
            /* Activations are held as real values: (de)quantizing one changes
             * nothing but the grid, which build() applies in grid mode to
             * every quantized output, this one included. */
            if ((st = gh_tfl_get(c, x, NULL, &xin, lay)))
                return st;
            gh_tfl_set_val(c, o, xin, lay);
            return GH_OK;
        }
        if (dq || !(S->type == TFL_FLOAT16 || S->type == TFL_FLOAT32 ||
                    ((S->type == TFL_INT8 || S->type == TFL_UINT8) && S->quant)))
            return gh_tfl_shape_err(c, "DEQUANTIZE of an unsupported constant type %d", S->type);
        if (S->quant && S->q_n > 1 && (S->q_axis < 0 || S->q_axis >= S->ndim || S->shape[S->q_axis] != S->q_n))
            return gh_tfl_shape_err(c, "per-axis quantization does not match the tensor shape");
        c->t[o].deq_of = (int)(S - c->t);
        return GH_OK;
    }
    case OP_MIRROR_PAD: case OP_PAD: case OP_PADV2: {
        if ((st = gh_tfl_get(c, x, NULL, &xin, lay)))
            return st;
        gh_tfl_const_ints(c, op->in[1], v, GH_NN_MAX_DIMS * 2, &n, "paddings"); /* validated by infer */
        int any = 0, big = 0;
        for (int i = 0; i < 2 * r; i++) {
            any |= v[i] != 0;
            big |= v[i] > 1;
        }
        if (!any) {
            gh_tfl_set_val(c, o, xin, lay);
            return GH_OK;
        }
        const char *mode = "constant";
        if (op->code == OP_MIRROR_PAD) {
            int m;
            if ((st = gh_tfl_opt_i8(op, 0, &m)))
                return st;
            if (m == 1 && big)
                return gh_tfl_shape_err(c, "MIRROR_PAD SYMMETRIC wider than 1 pixel is not supported");
            if (m != 0 && m != 1)
                return gh_tfl_shape_err(c, "unknown MIRROR_PAD mode %d", m);
            mode = m == 0 ? "reflect" : "edge"; /* symmetric by 1 pixel repeats the edge */
        }
        int64_t pads[GH_NN_MAX_DIMS * 2];
        for (int i = 0; i < r; i++) {
            pads[i] = v[2 * lay[i]];
            pads[r + i] = v[2 * lay[i] + 1];
        }
        char *pn, *cv = NULL;
        if ((st = gh_tfl_const_i64(c, 2 * r, pads, &pn)))
            return st;
        if (op->code == OP_PADV2 && op->n_in > 2 && op->in[2] >= 0) {
            float f;
            if (!const_uniform(c, op->in[2], &f))
                return gh_tfl_shape_err(c, "PADV2 constant value must be a constant scalar");
            if ((st = gh_tfl_const_f32_scalar(c, f, &cv)))
                return st;
        }
        struct attr_spec a = A_STR("mode", mode);
        const char *ins[3] = {xin, pn, cv};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_PAD, cv ? 3 : 2, ins, 1, &a, &y)))
            return st;
        gh_tfl_set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_CONV_2D: case OP_DEPTHWISE_CONV_2D: case OP_AVERAGE_POOL_2D: {
        int pool = op->code == OP_AVERAGE_POOL_2D, dw = op->code == OP_DEPTHWISE_CONV_2D;
        int pad;
        int32_t sw, sh, dlw = 1, dlh = 1, kh, kw;
        gh_tfl_opt_i8(op, 0, &pad);
        gh_tfl_opt_i32(op, 1, 0, &sw);
        gh_tfl_opt_i32(op, 2, 0, &sh);
        if (pool) {
            gh_tfl_opt_i32(op, 3, 0, &kw);
            gh_tfl_opt_i32(op, 4, 0, &kh);
            if ((st = gh_tfl_opt_i8(op, 5, &act)))
                return st;
        } else {
            const struct tfl_tensor *W = &c->t[op->in[1]];
            kh = (int32_t)W->shape[1];
            kw = (int32_t)W->shape[2];
            if (!gh_tfl_is_const(c, op->in[1]) || W->val)
                return gh_tfl_shape_err(c, "filter must be a constant");
            if (dw) { /* depth_multiplier (field 3) follows from the filter's channel count */
                if ((st = gh_tfl_opt_i8(op, 4, &act)))
                    return st;
                gh_tfl_opt_i32(op, 5, 1, &dlw);
                gh_tfl_opt_i32(op, 6, 1, &dlh);
            } else {
                if ((st = gh_tfl_opt_i8(op, 3, &act)))
                    return st;
                gh_tfl_opt_i32(op, 4, 1, &dlw);
                gh_tfl_opt_i32(op, 5, 1, &dlh);
            }
        }
        int64_t C = c->t[x].shape[3];
        if (C < 1)
            return gh_tfl_shape_err(c, "input with %lld channels", (long long)C);
        if ((st = gh_tfl_get(c, x, cf, &xin, NULL)))
            return st;
        char *wn = NULL, *bn = NULL;
        float *pool_w = NULL;
        int64_t group = 1;
        if (pool) {
            int64_t shape[4] = {C, 1, kh, kw};
            size_t cnt = gh_nn_count(4, shape);
            if (cnt > (size_t)GH_NN_MAX_ELEMS) /* C >= 1: checked above */
                return gh_tfl_shape_err(c, "bad pooling size");
            float *w = malloc(cnt * sizeof *w);
            if (!w)
                return gh_tfl_nomem();
            for (size_t i = 0; i < cnt; i++)
                w[i] = 1.0f / (float)(kh * kw);
            if ((st = gh_tfl_add_const(c, GH_NN_F32, 4, shape, w, &wn)))
                return st;
            pool_w = w;
            group = C;
        } else if (dw) {
            const struct tfl_tensor *W = &c->t[op->in[1]];
            uint8_t wl[4] = {3, 0, 1, 2}; /* [1, kh, kw, C*M] -> [C*M, 1, kh, kw] */
            if (W->shape[0] != 1 || C < 1 || W->shape[3] % C)
                return gh_tfl_shape_err(c, "depthwise filter does not fit %lld input channels", (long long)C);
            if ((st = gh_tfl_emit_const(c, op->in[1], wl, 4, 0, &wn)))
                return st;
            group = C;
        } else {
            const struct tfl_tensor *W = &c->t[op->in[1]];
            uint8_t wl[4] = {0, 3, 1, 2}; /* OHWI -> OIHW */
            if (W->shape[3] < 1 || C % W->shape[3] || W->shape[0] % (C / W->shape[3]))
                return gh_tfl_shape_err(c, "filter with %lld input channels does not fit %lld", (long long)W->shape[3],
                                 (long long)C);
            if ((st = gh_tfl_emit_const(c, op->in[1], wl, 4, 0, &wn)))
                return st;
            group = C / W->shape[3];
        }
        if (!pool && op->n_in > 2 && op->in[2] >= 0) {
            if (!gh_tfl_is_const(c, op->in[2]) || c->t[op->in[2]].val || gh_tfl_rank_of(c, op->in[2]) != 1)
                return gh_tfl_shape_err(c, "bias must be a constant vector");
            if ((st = bias_const(c, op->in[2], x, op->in[1], dw ? 3 : 0, &bn)))
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
                    return gh_tfl_nomem();
                }
                *onev = 1.0f;
                for (int i = 0; i < kh * kw; i++)
                    w1v[i] = 1.0f;
                int64_t s11[4] = {1, 1, 1, 1};
                /* gh_tfl_add_const owns (frees) its buffer even when it fails;
                 * w1v is not its yet if the first call fails. */
                if ((st = gh_tfl_add_const(c, GH_NN_F32, 4, s11, onev, &one))) {
                    free(w1v);
                    return st;
                }
                if ((st = gh_tfl_add_const(c, GH_NN_F32, 4, s1, w1v, &w1)))
                    return st;
                if ((st = gh_tfl_add_node(c, GH_NN_OP_CONV, 2, cin, na, at, &sum)) || (st = gh_tfl_node1(c, GH_NN_OP_SHAPE, xin, &shp)) ||
                    (st = gh_tfl_const_i64(c, 1, &two, &k0)) || (st = gh_tfl_const_i64(c, 1, &four, &k1)) ||
                    (st = gh_tfl_const_i64(c, 1, &zero, &k2)))
                    return st;
                const char *sl[4] = {shp, k0, k1, k2};
                if ((st = gh_tfl_add_node(c, GH_NN_OP_SLICE, 4, sl, 0, NULL, &hw)) || (st = gh_tfl_const_i64(c, 2, lead, &k0)))
                    return st;
                struct attr_spec ax = A_INT("axis", 0), nearest = A_STR("mode", "nearest");
                const char *cc[2] = {k0, hw};
                if ((st = gh_tfl_add_node(c, GH_NN_OP_CONCAT, 2, cc, 1, &ax, &sizes)))
                    return st;
                const char *rs[4] = {one, NULL, NULL, sizes};
                if ((st = gh_tfl_add_node(c, GH_NN_OP_RESIZE, 4, rs, 1, &nearest, &ones)))
                    return st;
                struct attr_spec at1[5];
                int n1 = 0;
                for (int i = 0; i < na; i++)
                    if (strcmp(at[i].name, "group"))
                        at1[n1++] = at[i];
                const char *dc[2] = {ones, w1};
                if ((st = gh_tfl_add_node(c, GH_NN_OP_CONV, 2, dc, n1, at1, &den)) || (st = gh_tfl_node2(c, GH_NN_OP_DIV, sum, den, &y)) ||
                    (st = activation(c, act, y, &y)))
                    return st;
                gh_tfl_set_val(c, o, y, cf);
                return GH_OK;
            }
        }
        const char *ins[3] = {xin, wn, bn};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_CONV, bn ? 3 : 2, ins, na, at, &y)) || (st = activation(c, act, y, &y)))
            return st;
        gh_tfl_set_val(c, o, y, cf);
        return GH_OK;
    }
    case OP_TRANSPOSE_CONV: {
        /* ConvTranspose with weights [I, O, kh, kw]; SAME = SAME_UPPER, whose
         * crop of floor(total / 2) before is TFLite's padding offset */
        int pad;
        int32_t sw, sh;
        gh_tfl_opt_i8(op, 0, &pad);
        gh_tfl_opt_i32(op, 1, 0, &sw);
        gh_tfl_opt_i32(op, 2, 0, &sh);
        if ((st = gh_tfl_opt_i8(op, 3, &act)))
            return st;
        const struct tfl_tensor *W = &c->t[op->in[1]];
        if (!gh_tfl_is_const(c, op->in[1]) || W->val)
            return gh_tfl_shape_err(c, "filter must be a constant");
        char *wn, *bn = NULL;
        uint8_t wl[4] = {3, 0, 1, 2}; /* OHWI -> IOHW */
        if ((st = gh_tfl_get(c, op->in[2], cf, &xin, NULL)) || (st = gh_tfl_emit_const(c, op->in[1], wl, 4, 0, &wn)))
            return st;
        if (op->n_in > 3 && op->in[3] >= 0) {
            if (!gh_tfl_is_const(c, op->in[3]) || c->t[op->in[3]].val || gh_tfl_rank_of(c, op->in[3]) != 1)
                return gh_tfl_shape_err(c, "bias must be a constant vector");
            if ((st = bias_const(c, op->in[3], op->in[2], op->in[1], 0, &bn)))
                return st;
        }
        int64_t ks[2] = {W->shape[1], W->shape[2]}, strides[2] = {sh, sw}, zeros[4] = {0, 0, 0, 0};
        struct attr_spec at[4] = {A_INTS("kernel_shape", 2, ks), A_INTS("strides", 2, strides),
                                  pad == 0 ? A_STR("auto_pad", "SAME_UPPER") : A_INTS("pads", 4, zeros)};
        const char *ins[3] = {xin, wn, bn};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_CONV_TRANSPOSE, bn ? 3 : 2, ins, 3, at, &y)) ||
            (st = activation(c, act, y, &y)))
            return st;
        gh_tfl_set_val(c, o, y, cf);
        return GH_OK;
    }
    case OP_MEAN: case OP_SUM: {
        if ((st = gh_tfl_get(c, x, NULL, &xin, lay)))
            return st;
        gh_tfl_const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "axes");
        int red[GH_NN_MAX_DIMS] = {0};
        for (int i = 0; i < n; i++)
            red[(v[i] + r) % r] = 1;
        int64_t axes[GH_NN_MAX_DIMS];
        int na = 0;
        for (int i = 0; i < r; i++)
            if (red[lay[i]])
                axes[na++] = i;
        int keep;
        gh_tfl_opt_i8(op, 0, &keep);
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
            st = gh_tfl_add_node(c, GH_NN_OP_REDUCE_MEAN, 1, (const char *const *)&xin, 2, at, &y);
        } else {
            struct attr_spec at = A_INT("keepdims", keep);
            if ((st = gh_tfl_const_i64(c, na, axes, &k)))
                return st;
            const char *ins[2] = {xin, k};
            st = gh_tfl_add_node(c, GH_NN_OP_REDUCE_SUM, 2, ins, 1, &at, &y);
        }
        if (st)
            return st;
        gh_tfl_set_val(c, o, y, ol);
        return GH_OK;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_SQUARED_DIFFERENCE: case OP_MAXIMUM:
    case OP_MINIMUM: {
        int br;
        binary_layout(c, op->in, 2, lay, &br);
        int orank = gh_tfl_rank_of(c, o);
        if (br != orank) { /* the result's rank comes from a constant: TFLite layout */
            br = orank;
            gh_tfl_lay_identity(lay, br);
        }
        act = 0;
        if (op->code == OP_ADD || op->code == OP_SUB || op->code == OP_MUL || op->code == OP_DIV) {
            if ((st = gh_tfl_opt_i8(op, 0, &act))) /* fused_activation_function is field 0 of all four */
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
                    if ((st = gh_tfl_get(c, other, lay, &xin, NULL)) || (st = gh_tfl_const_f32_scalar(c, cv, &bound)))
                        return st;
                    const char *ins[3] = {xin, op->code == OP_MAXIMUM ? bound : NULL,
                                          op->code == OP_MINIMUM ? bound : NULL};
                    if ((st = gh_tfl_add_node(c, GH_NN_OP_CLIP, 3, ins, 0, NULL, &y)))
                        return st;
                    gh_tfl_set_val(c, o, y, lay);
                    return GH_OK;
                }
            }
        }
        char *a, *b;
        if ((st = operand(c, op->in[0], lay, br, &a)) || (st = operand(c, op->in[1], lay, br, &b)))
            return st;
        switch (op->code) {
        case OP_SQUARED_DIFFERENCE:
            if ((st = gh_tfl_node2(c, GH_NN_OP_SUB, a, b, &y)) || (st = gh_tfl_node2(c, GH_NN_OP_MUL, y, y, &y)))
                return st;
            break;
        case OP_MAXIMUM:
            if ((st = gh_tfl_node2(c, GH_NN_OP_SUB, a, b, &y)) || (st = gh_tfl_node1(c, GH_NN_OP_RELU, y, &y)) ||
                (st = gh_tfl_node2(c, GH_NN_OP_ADD, b, y, &y)))
                return st;
            break;
        case OP_MINIMUM:
            if ((st = gh_tfl_node2(c, GH_NN_OP_SUB, a, b, &y)) || (st = gh_tfl_node1(c, GH_NN_OP_RELU, y, &y)) ||
                (st = gh_tfl_node2(c, GH_NN_OP_SUB, a, y, &y)))
                return st;
            break;
        default: {
            enum gh_nn_op k2 = op->code == OP_ADD ? GH_NN_OP_ADD : op->code == OP_SUB ? GH_NN_OP_SUB
                             : op->code == OP_MUL ? GH_NN_OP_MUL : GH_NN_OP_DIV;
            if ((st = gh_tfl_node2(c, k2, a, b, &y)) || (st = activation(c, act, y, &y)))
                return st;
        }
        }
        gh_tfl_set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_SQRT: case OP_RSQRT: case OP_TANH: case OP_LEAKY_RELU: case OP_LOGISTIC: case OP_RELU:
    case OP_RELU6: case OP_RELU_N1_TO_1: {
        if ((st = gh_tfl_get(c, x, NULL, &xin, lay)))
            return st;
        switch (op->code) {
        case OP_SQRT: st = gh_tfl_node1(c, GH_NN_OP_SQRT, xin, &y); break;
        case OP_RSQRT:
            if (!(st = gh_tfl_node1(c, GH_NN_OP_SQRT, xin, &y)))
                st = gh_tfl_node1(c, GH_NN_OP_RECIPROCAL, y, &y);
            break;
        case OP_TANH: st = gh_tfl_node1(c, GH_NN_OP_TANH, xin, &y); break;
        case OP_LOGISTIC: st = gh_tfl_node1(c, GH_NN_OP_SIGMOID, xin, &y); break;
        case OP_RELU: st = activation(c, 1, xin, &y); break;
        case OP_RELU6: st = activation(c, 3, xin, &y); break;
        case OP_RELU_N1_TO_1: st = activation(c, 2, xin, &y); break;
        default: {
            float alpha;
            if ((st = gh_tfl_opt_f32(op, 0, 0.0f, &alpha)))
                return st;
            struct attr_spec a = A_FLOAT("alpha", alpha);
            st = gh_tfl_add_node(c, GH_NN_OP_LEAKY_RELU, 1, (const char *const *)&xin, 1, &a, &y);
        }
        }
        if (st)
            return st;
        gh_tfl_set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_SOFTMAX: {
        float beta;
        if ((st = gh_tfl_opt_f32(op, 0, 0.0f, &beta)) || (st = gh_tfl_get(c, x, NULL, &xin, lay)))
            return st;
        if (r < 1)
            return gh_tfl_shape_err(c, "softmax of a scalar");
        int axis = gh_tfl_lay_index(lay, r, r - 1);
        if (beta != 1.0f) {
            if ((st = gh_tfl_const_f32_scalar(c, beta, &k)) || (st = gh_tfl_node2(c, GH_NN_OP_MUL, xin, k, &xin)))
                return st;
        }
        struct attr_spec a = A_INT("axis", axis == r - 1 ? -1 : axis);
        if ((st = gh_tfl_add_node(c, GH_NN_OP_SOFTMAX, 1, (const char *const *)&xin, 1, &a, &y)))
            return st;
        gh_tfl_set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_TRANSPOSE: {
        if ((st = gh_tfl_get(c, x, NULL, &xin, lay)))
            return st;
        gh_tfl_const_ints(c, op->in[1], v, GH_NN_MAX_DIMS, &n, "permutation");
        uint8_t inv[GH_NN_MAX_DIMS], ol[GH_NN_MAX_DIMS];
        for (int i = 0; i < r; i++)
            inv[v[i]] = (uint8_t)i;
        for (int i = 0; i < r; i++)
            ol[i] = inv[lay[i]];
        gh_tfl_set_val(c, o, xin, ol); /* relabel only: no data movement */
        return GH_OK;
    }
    case OP_RESHAPE: {
        const struct tfl_tensor *X = &c->t[x], *O = &c->t[o];
        int ro = O->ndim;
        if ((st = gh_tfl_get(c, x, NULL, &xin, lay)))
            return st;
        uint8_t ol[GH_NN_MAX_DIMS];
        uint8_t cfr[GH_NN_MAX_DIMS];
        gh_tfl_lay_channels_first(cfr, r);
        int keeps = r >= 3 && ro >= 3 && gh_tfl_lay_eq(lay, cfr, r) && gh_tfl_dim_eq(&X->dims[0], &O->dims[0]) &&
                    gh_tfl_dim_eq(&X->dims[r - 1], &O->dims[ro - 1]);
        if (keeps) {
            gh_tfl_lay_channels_first(ol, ro);
        } else {
            if ((st = gh_tfl_get(c, x, id, &xin, lay)))
                return st;
            gh_tfl_lay_identity(ol, ro);
        }
        struct dim idims[GH_NN_MAX_DIMS], odims[GH_NN_MAX_DIMS];
        for (int i = 0; i < r; i++)
            idims[i] = X->dims[lay[i]];
        for (int i = 0; i < ro; i++)
            odims[i] = O->dims[ol[i]];
        char *shape;
        if ((st = gh_tfl_shape_tensor(c, odims, ro, idims, r, &shape)) || (st = gh_tfl_node2(c, GH_NN_OP_RESHAPE, xin, shape, &y)))
            return st;
        gh_tfl_set_val(c, o, y, ol);
        return GH_OK;
    }
    case OP_RESIZE_BILINEAR: case OP_RESIZE_NEAREST: {
        const struct tfl_tensor *X = &c->t[x], *O = &c->t[o];
        int ac, hp;
        unsigned base = op->code == OP_RESIZE_BILINEAR ? 2 : 0;
        if ((st = gh_tfl_opt_i8(op, base, &ac)) || (st = gh_tfl_opt_i8(op, base + 1, &hp)))
            return st;
        if (ac && hp)
            return gh_tfl_shape_err(c, "align_corners and half_pixel_centers together are not supported");
        if ((st = gh_tfl_get(c, x, cf, &xin, NULL)))
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
        int dynamic = !gh_tfl_dim_is_const(&X->dims[1]) || !gh_tfl_dim_is_const(&X->dims[2]);
        if (dynamic) {
            float s[4] = {1, 1, 1, 1};
            for (int a = 0; a < 2; a++)
                s[2 + a] = (float)((double)gh_tfl_dim_tval(c, &O->dims[1 + a]) / (double)gh_tfl_dim_tval(c, &X->dims[1 + a]));
            float *d = malloc(sizeof s);
            int64_t shape[1] = {4};
            if (!d)
                return gh_tfl_nomem();
            memcpy(d, s, sizeof s);
            if ((st = gh_tfl_add_const(c, GH_NN_F32, 1, shape, d, &sc)))
                return st;
        } else {
            int64_t sz[4] = {O->shape[0], O->shape[3], O->shape[1], O->shape[2]};
            if ((st = gh_tfl_const_i64(c, 4, sz, &sc)))
                return st;
        }
        struct attr_spec at[3] = {A_STR("mode", linear ? "linear" : "nearest"),
                                  A_STR("coordinate_transformation_mode", ct), A_STR("nearest_mode", nm ? nm : "")};
        const char *ins[4] = {xin, NULL, dynamic ? sc : NULL, dynamic ? NULL : sc};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_RESIZE, dynamic ? 3 : 4, ins, nm ? 3 : 2, at, &y)))
            return st;
        gh_tfl_set_val(c, o, y, cf);
        return GH_OK;
    }
    case OP_CONCATENATION: {
        int32_t axis;
        gh_tfl_opt_i32(op, 0, 0, &axis);
        if ((st = gh_tfl_opt_i8(op, 1, &act)))
            return st;
        axis = (axis + r) % r;
        int br;
        binary_layout(c, op->in, op->n_in, lay, &br);
        if (br != r)
            gh_tfl_lay_identity(lay, r);
        const char **ins = calloc((size_t)op->n_in + 1, sizeof *ins);
        if (!ins)
            return gh_tfl_nomem();
        for (int i = 0; i < op->n_in && !st; i++) {
            char *nmv = NULL;
            st = operand(c, op->in[i], lay, r, &nmv);
            ins[i] = nmv;
        }
        struct attr_spec a = A_INT("axis", gh_tfl_lay_index(lay, r, axis));
        if (!st)
            st = gh_tfl_add_node(c, GH_NN_OP_CONCAT, op->n_in, ins, 1, &a, &y);
        free(ins);
        if (st || (st = activation(c, act, y, &y)))
            return st;
        gh_tfl_set_val(c, o, y, lay);
        return GH_OK;
    }
    case OP_STRIDED_SLICE: {
        int64_t b[GH_NN_MAX_DIMS], e[GH_NN_MAX_DIMS], s[GH_NN_MAX_DIMS], axes[GH_NN_MAX_DIMS], sq[GH_NN_MAX_DIMS];
        int nb, nsq = 0;
        int32_t bm, em, sam;
        gh_tfl_const_ints(c, op->in[1], b, GH_NN_MAX_DIMS, &nb, "begin");
        gh_tfl_const_ints(c, op->in[2], e, GH_NN_MAX_DIMS, &nb, "end");
        gh_tfl_const_ints(c, op->in[3], s, GH_NN_MAX_DIMS, &nb, "strides");
        gh_tfl_opt_i32(op, 0, 0, &bm);
        gh_tfl_opt_i32(op, 1, 0, &em);
        gh_tfl_opt_i32(op, 4, 0, &sam);
        if ((st = gh_tfl_get(c, x, id, &xin, NULL)))
            return st;
        for (int i = 0; i < r; i++) {
            axes[i] = i;
            int full_sym = !gh_tfl_dim_is_const(&c->t[x].dims[i]);
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
        if ((st = gh_tfl_const_i64(c, r, b, &bn)) || (st = gh_tfl_const_i64(c, r, e, &en)) || (st = gh_tfl_const_i64(c, r, axes, &an)) ||
            (st = gh_tfl_const_i64(c, r, s, &sn)))
            return st;
        const char *ins[5] = {xin, bn, en, an, sn};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_SLICE, 5, ins, 0, NULL, &y)))
            return st;
        if (nsq) {
            if ((st = gh_tfl_const_i64(c, nsq, sq, &k)) || (st = gh_tfl_node2(c, GH_NN_OP_SQUEEZE, y, k, &y)))
                return st;
        }
        gh_tfl_set_val(c, o, y, id);
        return GH_OK;
    }
    default:
        return gh_tfl_shape_err(c, "operator not supported");
    }
}

/* Grid mode: rounds the real values of quantized activation ti to its int
 * grid with a FakeQuant node (see nn.h "Quantized models"). */
enum gh_status gh_tfl_fake_quant(struct conv *c, int ti)
{
    struct tfl_tensor *T = &c->t[ti];
    if (!T->val || !T->quant || (T->type != TFL_INT8 && T->type != TFL_UINT8))
        return GH_OK;
    if (T->q_n != 1)
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: tensor %d (%s): per-channel quantized activations", ti,
                        T->name);
    uint32_t su = rd_u32(c->fb.d + T->q_scale);
    float scale;
    memcpy(&scale, &su, 4);
    int64_t zp = T->q_zp ? (int64_t)rd_u64(c->fb.d + T->q_zp) : 0;
    int u8 = T->type == TFL_UINT8;
    struct attr_spec at[4] = {A_FLOAT("scale", scale), A_INT("zero_point", zp), A_INT("qmin", u8 ? 0 : -128),
                              A_INT("qmax", u8 ? 255 : 127)};
    const char *in = T->val;
    char *y;
    enum gh_status st = gh_tfl_add_node(c, GH_NN_OP_FAKE_QUANT, 1, &in, 4, at, &y);
    if (st)
        return st;
    T->val = y;
    return GH_OK;
}
