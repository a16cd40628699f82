/* ghiblify: edge and line operations (Canny, XDoG, long-contour filter, edge
 * density). Part of ops.h. */
#ifndef GHIBLIFY_OPS_EDGES_H
#define GHIBLIFY_OPS_EDGES_H

#include <stddef.h>
#include <stdint.h>

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cv2.Canny on a 1-channel image: values are quantized to 8 bits (round(v * 255))
 * as for a uint8 image, then gh_ops_canny_u8 runs on that plane: 3x3 Sobel with
 * replicated borders; |dx| + |dy| (l2 = 0) or sqrt(dx^2 + dy^2) (l2 = 1) compared
 * with low/high in OpenCV's units (0..255 scale gradients; swapped if low > high);
 * OpenCV's non-maximum suppression; 8-connected hysteresis. *out is 1 channel
 * with 1 on edges and 0 elsewhere. */
enum gh_status gh_ops_canny(const struct gh_image *gray, double low, double high, int l2,
                            int threads, struct gh_image **out);

/* cv2.Canny(src, low, high, L2gradient = l2) on an 8-bit plane of width x height
 * whose rows start src_stride bytes apart (the fast path: no conversion). Writes
 * the edge map to dst, rows dst_stride bytes apart (bytes past the width are left
 * alone; dst must not overlap src), as 255 on edges and 0 elsewhere like
 * cv2.Canny. The image is split into `threads` bands of rows; the result is the
 * same for every thread count. GH_ERR_ARGUMENT for negative thresholds or strides
 * below the width, GH_ERR_NOMEM when out of memory (dst then undefined). */
enum gh_status gh_ops_canny_u8(const uint8_t *src, size_t src_stride, int width, int height,
                               double low, double high, int l2, int threads, uint8_t *dst,
                               size_t dst_stride);

/* XDoG of Winnemoeller et al. 2012 on every channel: D = G_sigma - tau G_{k sigma}
 * (Gaussians as gh_ops_gaussian, reflect-101), out = 1 where D >= epsilon and
 * 1 + tanh(phi (D - epsilon)) elsewhere (values in [0, 1]: dark lines on white). */
enum gh_status gh_ops_xdog(const struct gh_image *in, double sigma, double k, double tau,
                           double epsilon, double phi, int threads, struct gh_image **out);

/* Long-contour filter of a binary edge map (1 channel; values > 0.5 are edge
 * pixels, e.g. gh_ops_canny's output): keeps the 8-connected components that
 * have at least min_length pixels and whose bounding box has a diagonal of at
 * least min_diagonal pixels, and clears the rest. A thin edge's pixel count is
 * about its length, so min_length drops short edges (texture, noise); the
 * diagonal drops compact blobs that have many pixels but no extent (a patch of
 * gravel whose edges all touch). min_diagonal <= 0: no extent test. *out is 1
 * channel with 1 on kept pixels and 0 elsewhere. Exact and single-threaded
 * (a component may span the whole image), so the result is the same for every
 * `threads` value, which is accepted for symmetry. GH_ERR_ARGUMENT for a
 * multi-channel map, GH_ERR_NOMEM when out of memory. */
enum gh_status gh_ops_long_contours(const struct gh_image *edges, int min_length,
                                    double min_diagonal, int threads, struct gh_image **out);

/* Edge density: the fraction of edge pixels (values > 0.5) of a 1-channel map
 * in the (2 radius + 1)^2 window around each pixel (a box filter of the 0/1
 * map with reflect-101 borders, computed with gh_ops_separable), in [0, 1].
 * Foliage, gravel and rock give dense Canny edges, a roof or a horizon a few
 * per window: a threshold on this tells texture from contours. radius >= 0. */
enum gh_status gh_ops_edge_density(const struct gh_image *edges, int radius, int threads,
                                   struct gh_image **out);

#ifdef __cplusplus
}
#endif
#endif
