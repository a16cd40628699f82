/* ghiblify.FakeQuant: the int8/uint8 grid of a quantized TFLite activation,
 * applied to its float32 real values (the TFLite loader's grid mode, see
 * include/ghiblify/nn.h "Quantized models"):
 *   y = (clamp(round(x / scale) + zero_point, qmin, qmax) - zero_point) * scale
 * round half away from zero as TFLite's QUANTIZE (std::round), with a tie
 * band: |v| rounds as floor(|v| + 0.5 + 1/1024). Exact halves are common on
 * the grid (a 2x bilinear average or the mean of grid values lands on k + 1/2
 * steps) and float32 noise in how they were summed would otherwise decide
 * their rounding, and then propagate a one-step difference through every
 * later layer; with the band any two implementations whose float error stays
 * far below 1/1024 step agree (tools/tflite-quant-reference does the same).
 * Computed in double from the float input. */
#include "nn/nn_ops.h"

#include <math.h>

#define CHUNK 16384
#define GH_NN_TIE_BAND (1.0 / 1024)

struct fq_ctx {
    const float *in;
    float *out;
    size_t n;
    double scale, zp, qmin, qmax;
};

static void fq_range(void *arg, int begin, int end)
{
    const struct fq_ctx *c = arg;
    size_t b = (size_t)begin * CHUNK, e = (size_t)end * CHUNK;
    if (e > c->n)
        e = c->n;
    for (size_t i = b; i < e; i++) {
        double v = (double)c->in[i] / c->scale;
        double q = copysign(floor(fabs(v) + (0.5 + GH_NN_TIE_BAND)), v) + c->zp;
        /* NaN stays NaN (as a float kernel would propagate it) */
        q = q < c->qmin ? c->qmin : q > c->qmax ? c->qmax : q;
        c->out[i] = (float)((q - c->zp) * c->scale);
    }
}

GH_NN_CHECK(gh_nn_c_fake_quant)
{
    (void)opset;
    float s = gh_nn_attr_float(node, "scale", 0.0f);
    int64_t zp = gh_nn_attr_int(node, "zero_point", 0), lo = gh_nn_attr_int(node, "qmin", 0),
            hi = gh_nn_attr_int(node, "qmax", -1);
    if (!(s > 0.0f) || !isfinite(s) || lo > hi || zp < lo || zp > hi)
        return gh_error(GH_ERR_MODEL, "node '%s': FakeQuant needs scale > 0 and qmin <= zero_point <= qmax",
                        node->name);
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_fake_quant)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    struct gh_nn_tensor *out;
    if (in->dtype != GH_NN_F32)
        return gh_error(GH_ERR_UNSUPPORTED, "input must be float32");
    struct fq_ctx c = {in->data, NULL, gh_nn_tensor_count(in), gh_nn_attr_float(node, "scale", 1.0f),
                       (double)gh_nn_attr_int(node, "zero_point", 0), (double)gh_nn_attr_int(node, "qmin", 0),
                       (double)gh_nn_attr_int(node, "qmax", 0)};
    enum gh_status st = gh_nn_out_inplace(x, node, 0, 0, GH_NN_F32, in->ndim, in->shape, &out);
    if (st)
        return st;
    c.out = out->data;
    gh_parallel_for((int)((c.n + CHUNK - 1) / CHUNK), x->threads, fq_range, &c);
    return GH_OK;
}
