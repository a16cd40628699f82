/* ghiblify: classical image operations on struct gh_image.
 *
 * Conventions follow OpenCV so results can be checked against it: pixel centers
 * at integer coordinates + 0.5 when resampling, reflect-101 borders for filters
 * (…cb|abcdefgh|gfe…), sigma_color of the bilateral filter in 0..255 units.
 * Every function allocates its result (*out), which the caller frees; `threads`
 * is the number of threads to split rows across (<= 1: the calling thread only). */
#ifndef GHIBLIFY_OPS_H
#define GHIBLIFY_OPS_H

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

enum gh_interp {
    GH_INTERP_NEAREST,
    GH_INTERP_LINEAR, /* cv2.INTER_LINEAR */
    GH_INTERP_AREA,   /* cv2.INTER_AREA: exact area averaging when shrinking */
    GH_INTERP_COUNT
};

/* Resamples in to width x height with the given interpolation. */
enum gh_status gh_ops_resize(const struct gh_image *in, int width, int height,
                             enum gh_interp interp, int threads, struct gh_image **out);

/* Gaussian blur with standard deviation sigma (pixels) in both directions; the
 * kernel spans 2 * round(4 * sigma) + 1 taps like cv2.GaussianBlur on float
 * images with ksize (0, 0). sigma <= 0 copies. */
enum gh_status gh_ops_gaussian(const struct gh_image *in, double sigma, int threads,
                               struct gh_image **out);

/* Exact bilateral filter with cv2.bilateralFilter's meaning: diameter d (d <= 0:
 * derived from sigma_space as 2 * round(1.5 * sigma_space) + 1), sigma_color in
 * 0..255 units on the L1 color distance summed over channels, sigma_space in pixels. */
enum gh_status gh_ops_bilateral(const struct gh_image *in, int d, double sigma_color,
                                double sigma_space, int threads, struct gh_image **out);

#ifdef __cplusplus
}
#endif
#endif
