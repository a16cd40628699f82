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
 * Quantized models (semantics in include/ghiblify/nn.h "Quantized models"):
 * every quantized constant (int8/uint8 weights, int32 biases) is dequantized
 * by emit_const whether or not a DEQUANTIZE stands in front of it; QUANTIZE
 * and DEQUANTIZE of activations are relabelings (no node); in grid mode
 * (gh_nn_load_options.quant_grid) build() appends a ghiblify.FakeQuant node
 * (src/nn/ops_quant.c) after every op whose output is a quantized int8/uint8
 * activation, and after a quantized graph input. So identity mode gives the
 * same node graph as the float model and keeps every load-time fusion; grid
 * mode's rounding nodes sit between ops and block the fusions they separate.
 * Quantization parameters are validated in read_tensors (scale finite and
 * > 0, zero point in the type's range, per-channel axis and count matching
 * the shape); only INT8/UINT8/INT32 tensors may be quantized (float tensors'
 * parameters are ignored, as TFLite does).
 *
 * Export-size constants: a constant [1, tH, tW, C] holding one repeated value
 * (White-box's guided-filter ones) becomes a run-time Resize of a 1x1
 * constant to the input's H x W (regen_constants); a tensor whose shape keeps
 * the export size and meets a size-dependent one is refused at load, named.
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
 * round_prefer_ceil / tf_half_pixel_for_nn+floor; TRANSPOSE_CONV =
 * ConvTranspose (SAME = SAME_UPPER, output = input * stride: its
 * output_shape input is the export size's and is not used).
 * Refused (GH_ERR_UNSUPPORTED, naming the operator): other builtins, custom
 * ops, per-channel quantized activations, several graph inputs or subgraphs, sparse
 * tensors, STRIDED_SLICE of a size-dependent axis (other than the whole axis)
 * or with ellipsis/new-axis masks, MIRROR_PAD SYMMETRIC wider than 1 pixel,
 * resizes by more than 64x (a corrupt size; it would make runs allocate
 * gigabytes). */
#include "nn/nn_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include "nn/tflite_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Export-size constants: a constant [1, tH, tW, C] (tH x tW the template
 * size) holding one repeated value, e.g. White-box's guided-filter "ones"
 * whose box filter gives the normalizer N, is regenerated for the actual size
 * at run time (a 1x1 constant resized to the input's H x W), so N follows
 * the size. A non-uniform one keeps the template shape; the first op that
 * combines it with a size-dependent tensor is refused at load, naming it. */
static enum gh_status regen_constants(struct conv *c)
{
    enum gh_status st;
    if (!c->symbolic || (c->tH < 2 && c->tW < 2))
        return GH_OK;
    const struct tfl_tensor *I = &c->t[c->input];
    for (int ti = 0; ti < c->n_tensors; ti++) {
        struct tfl_tensor *T = &c->t[ti];
        if (!T->data || T->ndim != 4 || T->shape[0] != 1 || T->shape[1] != c->tH || T->shape[2] != c->tW ||
            T->shape[3] < 1)
            continue;
        int dq = T->quant;
        size_t n = gh_tfl_const_count(T);
        double v = gh_tfl_const_get(c, T, 0, dq);
        size_t i = 1;
        while (i < n && gh_tfl_const_get(c, T, i, dq) == v)
            i++;
        if (i < n)
            continue;
        /* [1, C, 1, 1] of v, resized (nearest) to [1, C, H, W] = [1, C] ++ Shape(input)[1:3] */
        int64_t C = T->shape[3], s1[4] = {1, C, 1, 1}, lead[2] = {1, C}, one = 1, three = 3, zero = 0;
        float *d = malloc((size_t)C * sizeof *d);
        if (!d)
            return gh_tfl_nomem();
        for (int64_t k = 0; k < C; k++)
            d[k] = (float)v;
        char *val, *shp, *k0, *k1, *k2, *hw, *lk, *sizes, *y;
        if ((st = gh_tfl_add_const(c, GH_NN_F32, 4, s1, d, &val)) ||
            (st = gh_tfl_node1(c, GH_NN_OP_SHAPE, c->input_nhwc, &shp)) || (st = gh_tfl_const_i64(c, 1, &one, &k0)) ||
            (st = gh_tfl_const_i64(c, 1, &three, &k1)) || (st = gh_tfl_const_i64(c, 1, &zero, &k2)))
            return st;
        const char *sl[4] = {shp, k0, k1, k2};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_SLICE, 4, sl, 0, NULL, &hw)) || (st = gh_tfl_const_i64(c, 2, lead, &lk)))
            return st;
        struct attr_spec ax = A_INT("axis", 0), nearest = A_STR("mode", "nearest");
        const char *cc[2] = {lk, hw};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_CONCAT, 2, cc, 1, &ax, &sizes)))
            return st;
        const char *rs[4] = {val, NULL, NULL, sizes};
        if ((st = gh_tfl_add_node(c, GH_NN_OP_RESIZE, 4, rs, 1, &nearest, &y)))
            return st;
        uint8_t cf[4];
        gh_tfl_lay_channels_first(cf, 4);
        T->data = NULL; /* an activation from now on, with the input's H and W */
        T->regen = 1;
        T->dims[1] = I->dims[1];
        T->dims[2] = I->dims[2];
        gh_tfl_set_val(c, ti, y, cf);
    }
    return GH_OK;
}

static enum gh_status build(struct conv *c, const struct fb_table *model)
{
    enum gh_status st;
    uint64_t version;
    if ((st = gh_tfl_fb_scalar(model, 0, 4, 0, &version)))
        return st;
    if (version != 3)
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: schema version %llu (supported: 3)", (unsigned long long)version);
    size_t sgs;
    uint32_t nsg;
    if ((st = gh_tfl_fb_vector(model, 2, 4, &sgs, &nsg)))
        return st;
    if (nsg < 1)
        return gh_tfl_bad("model has no subgraph");
    struct fb_table sg;
    if ((st = gh_tfl_fb_vector_table(&c->fb, sgs, 0, "SubGraph", &sg)))
        return st;
    if ((st = gh_tfl_read_tensors(c, &sg, model)) || (st = gh_tfl_read_ops(c, &sg, model)))
        return st;
    int *ins = NULL, nin = 0;
    if ((st = gh_tfl_read_int_vector(&sg, 1, &ins, &nin, TFL_MAX_OP_IO, "subgraph inputs")))
        return st;
    int in0 = nin == 1 ? ins[0] : -1;
    free(ins);
    if (nin != 1)
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: %d graph inputs (supported: exactly 1)", nin);
    if (in0 < 0 || in0 >= c->n_tensors)
        return gh_tfl_bad("graph input tensor index %d out of range", in0);
    if ((st = gh_tfl_read_int_vector(&sg, 2, &c->outputs, &c->output_count, TFL_MAX_OP_IO, "subgraph outputs")))
        return st;
    if (c->output_count < 1)
        return gh_tfl_bad("graph has no outputs");
    for (int i = 0; i < c->output_count; i++)
        if (c->outputs[i] < 0 || c->outputs[i] >= c->n_tensors)
            return gh_tfl_bad("graph output tensor index %d out of range", c->outputs[i]);
    c->input = in0;
    struct tfl_tensor *I = &c->t[in0];
    int qin = (I->type == TFL_INT8 || I->type == TFL_UINT8) && I->quant;
    if ((I->type != TFL_FLOAT32 && !qin) || I->data)
        return gh_error(GH_ERR_UNSUPPORTED, "TFLite: graph input must be a float32 or quantized int8/uint8 "
                        "activation");
    for (int i = 0; i < I->ndim; i++)
        if (I->shape[i] < 1 || I->shape[i] > GH_NN_MAX_ELEMS)
            return gh_tfl_bad("graph input has dimension %lld", (long long)I->shape[i]);
    c->symbolic = I->ndim == 4 && I->shape[0] == 1;
    c->tH = c->symbolic ? I->shape[1] : 1;
    c->tW = c->symbolic ? I->shape[2] : 1;
    for (int i = 0; i < I->ndim; i++)
        I->dims[i] = gh_tfl_const_dim(I->shape[i]);
    if (c->symbolic) {
        for (int a = 0; a < 2; a++) {
            memset(&I->dims[1 + a], 0, sizeof I->dims[0]);
            I->dims[1 + a].n = 1;
            I->dims[1 + a].f[0].var = 1 + a;
            I->dims[1 + a].f[0].coef = gh_tfl_qi(1);
            I->dims[1 + a].f[0].off = gh_tfl_qi(0);
        }
    }
    I->sym_ok = 1;
    for (int i = 0; i < c->n_tensors; i++) {
        struct tfl_tensor *T = &c->t[i];
        if (!T->data)
            continue;
        for (int k = 0; k < T->ndim; k++)
            T->dims[k] = gh_tfl_const_dim(T->shape[k]);
        T->sym_ok = 1;
    }

    /* graph input */
    struct gh_nn_graph_def *g = c->g;
    g->inputs = calloc(1, sizeof *g->inputs);
    if (!g->inputs)
        return gh_tfl_nomem();
    g->cap_inputs = 1;
    struct gh_nn_value *gi = &g->inputs[0];
    gi->name = gh_tfl_dup_s("input");
    if (!gi->name)
        return gh_tfl_nomem();
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
    gh_tfl_lay_identity(id, GH_NN_MAX_DIMS);
    gh_tfl_set_val(c, in0, gi->name, id);
    c->cur_op = -1;
    /* a quantized input holds real values; grid mode puts them on its grid */
    if (c->grid && (st = gh_tfl_fake_quant(c, in0)))
        return st;
    if (I->ndim == 4) {
        /* NHWC -> NCHW once, right after the input; the NHWC value stays reachable */
        char *nchw, *nhwc = I->val;
        gh_tfl_lay_channels_first(cf, 4);
        if ((st = gh_tfl_get(c, in0, cf, &nchw, NULL)) || (st = gh_tfl_cache_put(I, id, 4, 0, nhwc)))
            return st;
        gh_tfl_set_val(c, in0, nchw, cf);
    }
    if ((st = regen_constants(c)))
        return st;

    for (int i = 0; i < c->n_ops; i++) {
        c->cur_op = i;
        const struct tfl_op_rec *op = &c->ops[i];
        if ((st = gh_tfl_infer(c, op)) || (st = gh_tfl_convert_op(c, op)))
            return st;
        /* every quantized activation on its grid, as the int8 kernels leave it */
        if (c->grid && (st = gh_tfl_fake_quant(c, op->out[0])))
            return st;
    }
    c->cur_op = -1;

    g->outputs = calloc((size_t)c->output_count, sizeof *g->outputs);
    if (!g->outputs)
        return gh_tfl_nomem();
    g->cap_outputs = c->output_count;
    for (int i = 0; i < c->output_count; i++) {
        int ti = c->outputs[i];
        struct tfl_tensor *T = &c->t[ti];
        if (!T->val)
            return gh_error(GH_ERR_UNSUPPORTED, "TFLite: graph output %d (%s) is a constant or never produced", ti,
                            T->name);
        char *name;
        if ((st = gh_tfl_get(c, ti, id, &name, NULL)))
            return st;
        if (!(g->outputs[i] = gh_tfl_dup_s(name)))
            return gh_tfl_nomem();
        g->n_outputs++;
    }
    return GH_OK;
}

enum gh_status gh_nn_tflite_load(const uint8_t *data, size_t size, const struct gh_nn_load_options *opts,
                                 struct gh_nn_model **out)
{
    struct gh_nn_graph_def g;
    struct conv c;
    enum gh_status st;
    memset(&g, 0, sizeof g);
    memset(&c, 0, sizeof c);
    *out = NULL;
    if (!data || size < 8)
        return gh_tfl_bad("file too small (%zu bytes)", size);
    if (memcmp(data + 4, "TFL3", 4) != 0)
        return gh_tfl_bad("file identifier is not \"TFL3\"");
    c.fb.d = data;
    c.fb.n = size;
    c.g = &g;
    c.grid = opts && opts->quant_grid;
    c.const_limit = 16 * size + ((size_t)1 << 20);
    g.opset = 13; /* the IR's ONNX semantics the translation targets */
    struct fb_table model;
    uint32_t root = rd_u32(data);
    if ((st = gh_tfl_fb_table_at(&c.fb, root, "Model", &model)) == GH_OK)
        st = build(&c, &model);
    if (!st)
        st = gh_nn_graph_build(&g, out);
    conv_free(&c);
    gh_nn_graph_def_free(&g);
    return st;
}
