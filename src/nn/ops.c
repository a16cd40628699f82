/* The op table: one row per op (ONNX name, kernel, load-time check, input and
 * output counts, known attributes), indexed by enum gh_nn_op. */
#include "nn/nn_ops.h"

#include <string.h>

const struct gh_nn_op_info gh_nn_ops[] = {
    [GH_NN_OP_CONV] = {"Conv", gh_nn_k_conv, gh_nn_c_conv, 2, 3, 1, 1,
                       "auto_pad dilations group kernel_shape pads strides"},
    [GH_NN_OP_CONV_TRANSPOSE] = {"ConvTranspose", gh_nn_k_conv_transpose, gh_nn_c_conv, 2, 3, 1, 1,
                                 "auto_pad dilations group kernel_shape output_padding output_shape pads strides"},
    [GH_NN_OP_PAD] = {"Pad", gh_nn_k_pad, gh_nn_c_pad, 2, 3, 1, 1, "mode"},
    [GH_NN_OP_RELU] = {"Relu", gh_nn_k_unary, NULL, 1, 1, 1, 1, ""},
    [GH_NN_OP_LEAKY_RELU] = {"LeakyRelu", gh_nn_k_unary, NULL, 1, 1, 1, 1, "alpha"},
    [GH_NN_OP_SIGMOID] = {"Sigmoid", gh_nn_k_unary, NULL, 1, 1, 1, 1, ""},
    [GH_NN_OP_TANH] = {"Tanh", gh_nn_k_unary, NULL, 1, 1, 1, 1, ""},
    [GH_NN_OP_CLIP] = {"Clip", gh_nn_k_clip, NULL, 1, 3, 1, 1, ""},
    [GH_NN_OP_SQRT] = {"Sqrt", gh_nn_k_unary, NULL, 1, 1, 1, 1, ""},
    [GH_NN_OP_RECIPROCAL] = {"Reciprocal", gh_nn_k_unary, NULL, 1, 1, 1, 1, ""},
    [GH_NN_OP_IDENTITY] = {"Identity", gh_nn_k_reshape, NULL, 1, 1, 1, 1, ""},
    [GH_NN_OP_ADD] = {"Add", gh_nn_k_binary, NULL, 2, 2, 1, 1, ""},
    [GH_NN_OP_SUB] = {"Sub", gh_nn_k_binary, NULL, 2, 2, 1, 1, ""},
    [GH_NN_OP_MUL] = {"Mul", gh_nn_k_binary, NULL, 2, 2, 1, 1, ""},
    [GH_NN_OP_DIV] = {"Div", gh_nn_k_binary, NULL, 2, 2, 1, 1, ""},
    [GH_NN_OP_POW] = {"Pow", gh_nn_k_binary, NULL, 2, 2, 1, 1, ""},
    [GH_NN_OP_REDUCE_MEAN] = {"ReduceMean", gh_nn_k_reduce, NULL, 1, 1, 1, 1, "axes keepdims"},
    [GH_NN_OP_REDUCE_SUM] = {"ReduceSum", gh_nn_k_reduce, NULL, 1, 2, 1, 1, "axes keepdims noop_with_empty_axes"},
    [GH_NN_OP_GLOBAL_AVERAGE_POOL] = {"GlobalAveragePool", gh_nn_k_reduce, NULL, 1, 1, 1, 1, ""},
    [GH_NN_OP_INSTANCE_NORM] = {"InstanceNormalization", gh_nn_k_instance_norm, NULL, 3, 3, 1, 1, "epsilon"},
    [GH_NN_OP_SOFTMAX] = {"Softmax", gh_nn_k_softmax, NULL, 1, 1, 1, 1, "axis"},
    [GH_NN_OP_MATMUL] = {"MatMul", gh_nn_k_matmul, NULL, 2, 2, 1, 1, ""},
    [GH_NN_OP_TRANSPOSE] = {"Transpose", gh_nn_k_transpose, NULL, 1, 1, 1, 1, "perm"},
    [GH_NN_OP_RESHAPE] = {"Reshape", gh_nn_k_reshape, NULL, 2, 2, 1, 1, "allowzero"},
    [GH_NN_OP_FLATTEN] = {"Flatten", gh_nn_k_reshape, NULL, 1, 1, 1, 1, "axis"},
    [GH_NN_OP_SQUEEZE] = {"Squeeze", gh_nn_k_reshape, NULL, 1, 2, 1, 1, "axes"},
    [GH_NN_OP_UNSQUEEZE] = {"Unsqueeze", gh_nn_k_reshape, NULL, 1, 2, 1, 1, "axes"},
    [GH_NN_OP_CONCAT] = {"Concat", gh_nn_k_concat, gh_nn_c_concat, 1, 4096, 1, 1, "axis"},
    [GH_NN_OP_SLICE] = {"Slice", gh_nn_k_slice, NULL, 3, 5, 1, 1, ""},
    [GH_NN_OP_SPLIT] = {"Split", gh_nn_k_split, NULL, 1, 2, 1, 4096, "axis split"},
    [GH_NN_OP_SHAPE] = {"Shape", gh_nn_k_shape, NULL, 1, 1, 1, 1, "start end"},
    [GH_NN_OP_GATHER] = {"Gather", gh_nn_k_gather, NULL, 2, 2, 1, 1, "axis"},
    [GH_NN_OP_CAST] = {"Cast", gh_nn_k_cast, gh_nn_c_cast, 1, 1, 1, 1, "to"},
    [GH_NN_OP_CONSTANT] = {"Constant", gh_nn_k_constant, gh_nn_c_constant, 0, 0, 1, 1,
                           "value value_float value_floats value_int value_ints"},
    [GH_NN_OP_CONSTANT_OF_SHAPE] = {"ConstantOfShape", gh_nn_k_constant_of_shape, NULL, 1, 1, 1, 1, "value"},
    [GH_NN_OP_RESIZE] = {"Resize", gh_nn_k_resize, gh_nn_c_resize, 1, 4, 1, 1,
                         "mode coordinate_transformation_mode nearest_mode cubic_coeff_a exclude_outside "
                         "extrapolation_value"},
    /* Opset 7-8 scales attributes become input 1 at load (onnx.c). */
    [GH_NN_OP_UPSAMPLE] = {"Upsample", gh_nn_k_upsample, gh_nn_c_upsample, 2, 2, 1, 1, "mode"},
    [GH_NN_OP_CHANNEL_NORM] = {"ghiblify.ChannelNorm", gh_nn_k_channel_norm, gh_nn_c_internal, 4, 6, 1, 1, "alpha"},
    [GH_NN_OP_FAKE_QUANT] = {"ghiblify.FakeQuant", gh_nn_k_fake_quant, gh_nn_c_fake_quant, 1, 1, 1, 1,
                             "scale zero_point qmin qmax"},
};

/* Every op has a row: a new enum value without a table entry fails to build. */
_Static_assert(sizeof gh_nn_ops / sizeof gh_nn_ops[0] == GH_NN_OP_COUNT, "op table out of sync with enum gh_nn_op");

/* Internal ops exist only after rewrites: a model file naming one is refused. */
GH_NN_CHECK(gh_nn_c_internal)
{
    (void)opset;
    return gh_error(GH_ERR_UNSUPPORTED, "op %s is internal to ghiblify (node '%s')", gh_nn_ops[node->op].name,
                    node->name);
}

enum gh_status gh_nn_ints_arg(struct gh_nn_exec *x, const struct gh_nn_node *node, const char *attr, int input,
                              int64_t *vals, int max, int *n)
{
    const struct gh_nn_attr *a = attr ? gh_nn_attr_find(node, attr) : NULL;
    const struct gh_nn_tensor *t = input >= 0 ? gh_nn_in(x, node, input) : NULL;
    *n = -1;
    if (t) {
        if (t->dtype != GH_NN_I64 || t->ndim > 1)
            return gh_error(GH_ERR_MODEL, "input %d must be a 1-D int64 tensor", input);
        size_t c = gh_nn_tensor_count(t);
        if (c > (size_t)max)
            return gh_error(GH_ERR_UNSUPPORTED, "input %d has %zu values (at most %d)", input, c, max);
        for (size_t i = 0; i < c; i++)
            vals[i] = ((const int64_t *)t->data)[i];
        *n = (int)c;
    } else if (a) {
        if (a->type != GH_NN_ATTR_INTS)
            return gh_error(GH_ERR_MODEL, "attribute '%s' must be a list of ints", attr);
        if (a->n > max)
            return gh_error(GH_ERR_UNSUPPORTED, "attribute '%s' has %d values (at most %d)", attr, a->n, max);
        memcpy(vals, a->ints, (size_t)a->n * sizeof *vals);
        *n = a->n;
    }
    return GH_OK;
}
