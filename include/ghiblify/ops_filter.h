/* ghiblify: neighborhood filters: Gaussian, bilateral (exact and fast), guided,
 * Kuwahara. Part of ops.h. Borders are reflect-101 unless stated otherwise. */
#ifndef GHIBLIFY_OPS_FILTER_H
#define GHIBLIFY_OPS_FILTER_H

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

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
