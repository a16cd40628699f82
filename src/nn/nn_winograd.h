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


/* The single-image core (tests use it directly): x[c,h,w] -> y[m,oh,ow] with
 * pads top/left/bottom/right, zeros or (reflect) a reflection of the input,
 * plus bias. */
struct gh_nn_wino {
    const float *x, *u;
    float *y;
    int64_t c, h, w, m, oh, ow, pt, pl, pb, pr;
    int reflect;
    const float *bias; /* [m] added in the output transform, or NULL */
};
/* Scratch bytes gh_nn_wino_run needs with `threads` threads. */
size_t gh_nn_wino_scratch(const struct gh_nn_wino *a, int threads);
void gh_nn_wino_run(const struct gh_nn_wino *a, float *scratch, int threads);

#endif
