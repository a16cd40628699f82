/* ghiblify: classical image operations on struct gh_image, one header per family:
 *   ops_resize.h   resampling (area, bilinear, bicubic, Lanczos-4), joint bilateral upsampling
 *   ops_filter.h   Gaussian, bilateral (exact and fast), guided filter, Kuwahara, sky mask
 *   ops_edges.h    Canny, XDoG, long-contour filter, edge density
 *   ops_color.h    sRGB / linear / XYZ / Lab / HSV, Reinhard transfer, histogram matching
 *   ops_cluster.h  k-means, palettes, palette mapping, SLIC superpixels
 *
 * Conventions follow OpenCV so results can be checked against it: pixel centers
 * at integer coordinates + 0.5 when resampling, reflect-101 borders for filters
 * (…cb|abcdefgh|gfe…), sigma_color of the bilateral filter in 0..255 units.
 * Every function allocates its result (*out), which the caller frees; `threads`
 * is the number of threads to split rows across (<= 1: the calling thread only).
 * Results never depend on the thread count. tests/unit/test_ops_*.c check every
 * operation against OpenCV / scikit-image goldens (tests/data/ops/, written by
 * tools/make-goldens); tools/bench-ops times them against the same libraries. */
#ifndef GHIBLIFY_OPS_H
#define GHIBLIFY_OPS_H

#include "ghiblify/image.h"
#include "ghiblify/ops_cluster.h"
#include "ghiblify/ops_color.h"
#include "ghiblify/ops_edges.h"
#include "ghiblify/ops_filter.h"
#include "ghiblify/ops_resize.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allows (enable = 1, the default) or forbids the AVX2+FMA kernels chosen at run
 * time on CPUs that have them; returns the previous setting. Results agree with
 * the portable kernels to float rounding. Setting GH_OPS_NO_SIMD=1 in the
 * environment also forbids them. Tests use this to exercise both paths. */
int gh_ops_simd_enable(int enable);

/* 1 if the AVX2+FMA kernels are in use, else 0. */
int gh_ops_simd_active(void);

#ifdef __cplusplus
}
#endif
#endif
