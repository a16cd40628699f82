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
#include "ghiblify/ops_cluster.h"
#include "ghiblify/ops_color.h"
#include "ghiblify/ops_edges.h"

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

/* Gaussian blur with standard deviation sigma (pixels) in both directions,
 * reflect-101 borders. The kernel size follows cv2.GaussianBlur with ksize (0, 0)
 * on FLOAT images: round(8 sigma + 1) | 1 taps (OpenCV uses round(6 sigma + 1) | 1
 * for 8-bit images; call gh_ops_gaussian_ksize with gh_ops_gaussian_ksize_for(sigma, 1)
 * to get that). Within 1 level of OpenCV either way. sigma <= 0 copies. */
enum gh_status gh_ops_gaussian(const struct gh_image *in, double sigma, int threads,
                               struct gh_image **out);

/* cv2.GaussianBlur(in, (ksize, ksize), sigma): ksize odd; ksize <= 0 derives it
 * from sigma by the float rule; sigma <= 0 derives sigma from ksize as OpenCV does
 * (0.3 ((ksize - 1) / 2 - 1) + 0.8, or OpenCV's fixed table for ksize <= 7). */
enum gh_status gh_ops_gaussian_ksize(const struct gh_image *in, int ksize, double sigma,
                                     int threads, struct gh_image **out);

/* OpenCV's kernel size for sigma: round(8 sigma + 1) | 1, or with eight_bit set
 * round(6 sigma + 1) | 1 (cv2.GaussianBlur on uint8 images). */
int gh_ops_gaussian_ksize_for(double sigma, int eight_bit);

/* Fills kernel[0..ksize) with cv2.getGaussianKernel(ksize, sigma). */
void gh_ops_gaussian_kernel(int ksize, double sigma, float *kernel);

/* Convolves every channel with the symmetric separable kernel[0 .. 2 radius]
 * in both directions, reflect-101 borders. */
enum gh_status gh_ops_separable(const struct gh_image *in, const float *kernel, int radius,
                                int threads, struct gh_image **out);

/* Exact bilateral filter with cv2.bilateralFilter's meaning: diameter d (d <= 0:
 * derived from sigma_space as 2 * round(1.5 * sigma_space) + 1), sigma_color in
 * 0..255 units on the L1 color distance summed over channels, sigma_space in pixels. */
enum gh_status gh_ops_bilateral(const struct gh_image *in, int d, double sigma_color,
                                double sigma_space, int threads, struct gh_image **out);

/* Fast approximation of gh_ops_bilateral(in, 0, sigma_color, sigma_space) for
 * large kernels: the same circular window of radius round(1.5 sigma_space), but
 * taps only every floor(sigma_space / 3) pixels, so about 64 taps whatever the
 * size (PSNR >= 32 dB against the exact filter on photos, see the tests). Exact
 * below sigma_space 6. */
enum gh_status gh_ops_bilateral_fast(const struct gh_image *in, double sigma_color,
                                     double sigma_space, int threads, struct gh_image **out);

/* Allows (enable = 1, the default) or forbids the AVX2+FMA kernels chosen at run
 * time on CPUs that have them; returns the previous setting. Results agree with
 * the portable kernels to float rounding. Setting GH_OPS_NO_SIMD=1 in the
 * environment also forbids them. Tests use this to exercise both paths. */
int gh_ops_simd_enable(int enable);

/* 1 if the AVX2+FMA kernels are in use, else 0. */
int gh_ops_simd_active(void);

/* Guided filter of He et al. (TPAMI 2013) of src with a 1- or 3-channel guide of
 * the same size: window (2 radius + 1)^2 clipped at the borders (the mean is over
 * the pixels inside, as He's reference box filter / N), regularization eps on the
 * [0, 1] value scale. Computed in double precision; every channel of src is
 * filtered. guide == src gives the edge-preserving smoother. */
enum gh_status gh_ops_guided(const struct gh_image *guide, const struct gh_image *src, int radius,
                             double eps, int threads, struct gh_image **out);

/* Kuwahara filter (painterly smoothing): every pixel takes the mean of whichever of
 * its four (radius + 1)^2 quadrant windows (clipped at the borders) has the least
 * variance summed over channels, so flat areas flatten and edges stay sharp. */
enum gh_status gh_ops_kuwahara(const struct gh_image *in, int radius, int threads,
                               struct gh_image **out);

#ifdef __cplusplus
}
#endif
#endif
