/* ghiblify: resampling (cv2.resize's conventions). Part of ops.h. */
#ifndef GHIBLIFY_OPS_RESIZE_H
#define GHIBLIFY_OPS_RESIZE_H

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

enum gh_interp {
    GH_INTERP_NEAREST,
    GH_INTERP_LINEAR, /* cv2.INTER_LINEAR */
    GH_INTERP_AREA,   /* cv2.INTER_AREA: exact area averaging when shrinking;
                         when either axis grows, OpenCV's area-upsampling weights */
    GH_INTERP_CUBIC,  /* cv2.INTER_CUBIC: 4 taps, a = -0.75 */
    GH_INTERP_LANCZOS4, /* cv2.INTER_LANCZOS4: 8 taps, sinc(t) sinc(t/4) */
    GH_INTERP_COUNT
};

/* Resamples in to width x height with the given interpolation, separably, with
 * cv2.resize's pixel-center convention and replicated borders. Like OpenCV the
 * interpolating kernels (LINEAR, CUBIC, LANCZOS4) are not widened when shrinking:
 * use AREA to shrink. CUBIC and LANCZOS4 may overshoot [0,1] (writers clamp). */
enum gh_status gh_ops_resize(const struct gh_image *in, int width, int height,
                             enum gh_interp interp, int threads, struct gh_image **out);

#ifdef __cplusplus
}
#endif
#endif
