/* Kernels of the op table (src/nn/ops.c), one per op, plus shared helpers. */
#ifndef GH_NN_OPS_H
#define GH_NN_OPS_H

#include "nn/nn_internal.h"

#define GH_NN_KERNEL(fn) enum gh_status fn(struct gh_nn_exec *x, const struct gh_nn_node *node)
#define GH_NN_CHECK(fn) enum gh_status fn(const struct gh_nn_node *node, int opset)

GH_NN_KERNEL(gh_nn_k_conv);
GH_NN_KERNEL(gh_nn_k_conv_transpose);
GH_NN_KERNEL(gh_nn_k_matmul);
GH_NN_KERNEL(gh_nn_k_unary);
GH_NN_KERNEL(gh_nn_k_clip);
GH_NN_KERNEL(gh_nn_k_cast);
GH_NN_KERNEL(gh_nn_k_binary);
GH_NN_KERNEL(gh_nn_k_reduce);
GH_NN_KERNEL(gh_nn_k_instance_norm);
GH_NN_KERNEL(gh_nn_k_softmax);
GH_NN_KERNEL(gh_nn_k_pad);
GH_NN_KERNEL(gh_nn_k_transpose);
GH_NN_KERNEL(gh_nn_k_reshape);
GH_NN_KERNEL(gh_nn_k_concat);
GH_NN_KERNEL(gh_nn_k_slice);
GH_NN_KERNEL(gh_nn_k_split);
GH_NN_KERNEL(gh_nn_k_shape);
GH_NN_KERNEL(gh_nn_k_gather);
GH_NN_KERNEL(gh_nn_k_constant);
GH_NN_KERNEL(gh_nn_k_constant_of_shape);
GH_NN_KERNEL(gh_nn_k_resize);
GH_NN_KERNEL(gh_nn_k_upsample);
GH_NN_KERNEL(gh_nn_k_channel_norm);
GH_NN_KERNEL(gh_nn_k_fake_quant);

GH_NN_CHECK(gh_nn_c_conv);
GH_NN_CHECK(gh_nn_c_pad);
GH_NN_CHECK(gh_nn_c_resize);
GH_NN_CHECK(gh_nn_c_upsample);
GH_NN_CHECK(gh_nn_c_cast);
GH_NN_CHECK(gh_nn_c_constant);
GH_NN_CHECK(gh_nn_c_concat);
GH_NN_CHECK(gh_nn_c_internal);
GH_NN_CHECK(gh_nn_c_fake_quant);

/* Direct stride-1, undilated, ungrouped convolution of one image
 * x[c,h,w] -> y[m,oh,ow] (conv_small.c) for few input or few output
 * channels, pads top/left given (bottom/right follow from oh, ow), zeros or
 * reflect; bias[m] may be NULL. */
struct gh_nn_conv_small {
    const float *x, *wt; /* wt: weights [m, c, kh, kw] */
    float *y;
    int64_t c, h, w, m, oh, ow, kh, kw, pt, pl;
    int reflect;
    const float *bias;
};
size_t gh_nn_conv_small_scratch(const struct gh_nn_conv_small *a, int threads);
/* Use conv_small.c's AVX-512 variant when the CPU has x86-64-v4 (default 1;
 * tests clear it to run the AVX2 clone too). */
extern int gh_nn_conv_small_avx512;
void gh_nn_conv_small_run(const struct gh_nn_conv_small *a, float *scratch, int threads);

/* g[c*c] += D D^T for D = d[c rows, n columns, row stride ld] (gram.c):
 * float sums within the call, added to g in double; g stays symmetric. */
void gh_nn_gram_add(const float *d, int64_t ld, int64_t c, int64_t n, double *g);
/* Use gram.c's AVX-512 variant on x86-64-v4 CPUs (default 1; tests clear it). */
extern int gh_nn_gram_avx512;

/* Normalizes axis against rank (negative counts from the end); -1 if out of range. */
static inline int gh_nn_axis(int64_t axis, int rank)
{
    if (axis < 0)
        axis += rank;
    return axis < 0 || axis >= rank ? -1 : (int)axis;
}

/* Ints of an INTS attribute, or of a 1-D int64 input tensor (newer opsets moved
 * attributes to inputs); *n = -1 if neither is present. At most max values. */
enum gh_status gh_nn_ints_arg(struct gh_nn_exec *x, const struct gh_nn_node *node, const char *attr, int input,
                              int64_t *vals, int max, int *n);

#endif
