/* Winograd F(4x4,3x3) convolution (winograd.c), used by the Conv kernel for
 * stride-1, undilated, ungrouped 3x3 convolutions. */
#ifndef GH_NN_WINOGRAD_H
#define GH_NN_WINOGRAD_H

#include "nn/nn_internal.h"

struct gh_nn_wino_geom {
    int64_t n, c, h, w, m, oh, ow, pt, pl; /* padding top/left (bottom/right implied by oh, ow) */
    int reflect;                           /* padding reflects the input instead of zeros */
};

/* Floats needed for the transformed weights of an [m, c, 3, 3] kernel. */
size_t gh_nn_wino_weights_size(int64_t m, int64_t c);
/* Transforms weights w [m, c, 3, 3] into u (gh_nn_wino_weights_size floats). */
void gh_nn_wino_weights(const float *w, int64_t m, int64_t c, float *u);
/* y [n, m, oh, ow] = conv(x [n, c, h, w]) + bias (may be NULL). */
enum gh_status gh_nn_wino_conv(struct gh_nn_exec *x, const struct gh_nn_wino_geom *g, const float *xd,
                               const float *u, const float *bias, float *yd);

#endif
