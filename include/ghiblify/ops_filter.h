/* ghiblify: neighborhood filters: Gaussian, bilateral (exact and fast), guided,
 * Kuwahara (classic and generalized), and the sky mask built on the guided filter. Part of ops.h. Borders are reflect-101
 * unless stated otherwise. */
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
 * filtered. guide == src (or a source with the guide's values) gives the
 * edge-preserving smoother, and is faster: only the guide's products are summed.
 * The result is the same for any thread count and with or without AVX2. */
enum gh_status gh_ops_guided(const struct gh_image *guide, const struct gh_image *src, int radius,
                             double eps, int threads, struct gh_image **out);

/* The guided filter's window-averaged coefficients instead of its output:
 * for each source channel ch (at most 3) an image coef[ch] of guide channels
 * + 1 channels, the mean a_c per guide channel c, then the mean b, so that
 * gh_ops_guided's output is sum_c a_c guide_c + b (rounded to float here).
 * For the fast guided filter (He & Sun 2015): coefficients found on reduced
 * copies, enlarged, and applied to the full-size guide. */
enum gh_status gh_ops_guided_coefficients(const struct gh_image *guide, const struct gh_image *src,
                                          int radius, double eps, int threads,
                                          struct gh_image *coef[3]);

/* Kuwahara filter (painterly smoothing): every pixel takes the mean of whichever of
 * its four (radius + 1)^2 quadrant windows (clipped at the borders) has the least
 * variance summed over channels, so flat areas flatten and edges stay sharp. */
enum gh_status gh_ops_kuwahara(const struct gh_image *in, int radius, int threads,
                               struct gh_image **out);

/* Parameters of gh_ops_kuwahara_generalized; GH_KUWAHARA_PARAMS_DEFAULT holds the
 * usual values. */
struct gh_kuwahara_params {
    int radius;       /* disc radius r in pixels, 1..32 (4 is typical) */
    double sharpness; /* q in 1 / (1 + s^q), 0..16 (8 is typical; 0: all sectors equal) */
    double smoothing; /* sector overlap sigma_s / sigma_r, 0.05..1 (1/3 is typical) */
};
#define GH_KUWAHARA_PARAMS_DEFAULT {4, 8.0, 1.0 / 3.0}

/* Generalized Kuwahara filter (Papari, Petkov & Campisi 2007, with the bounded
 * weights of Kyprianidis et al. 2009): the disc of radius r around a pixel is
 * covered by N = 8 overlapping sectors with smooth weights
 *     K_i(p) = (chi_i * G_sigma_s)(p) * G_sigma_r(|p|),   |p| <= r,
 * chi_i the indicator of the infinite wedge of angles [(2i-1) pi/8, (2i+1) pi/8),
 * sigma_r = r / 2 and sigma_s = smoothing * sigma_r (the wedge blur is exact, not
 * sampled, so the 8 weights sum to G_sigma_r at every tap). Each sector gives a
 * weighted mean m_i (per channel) and a deviation s_i = 255 sqrt(sum_c var_i,c),
 * the standard deviation in 8-bit levels with variances summed over channels;
 * the output is sum_i a_i m_i / sum_i a_i with a_i = 1 / (1 + s_i^q). Sectors
 * flatter than about one level all count, otherwise the flattest dominate, so
 * flat areas smooth while edges and corners stay sharp. Any channel count and
 * size (1x1 too); borders are reflect-101 (OpenCV's BORDER_DEFAULT). The output
 * stays within the range of the input. Single-precision sums; within 1e-4 of a
 * float64 evaluation of the same formulas (tools/make-kuwahara-goldens). */
enum gh_status gh_ops_kuwahara_generalized(const struct gh_image *in,
                                           const struct gh_kuwahara_params *p, int threads,
                                           struct gh_image **out);

/* Sky mask of an RGB photo: a W x H x 1 image in [0, 1], 1 on sky. Decided on a
 * copy reduced to 512 px on the long side: candidates are smooth (mean luminance
 * gradient over 3x3 at most 0.02 per pixel) and either bright and grey (clouds,
 * haze, overcast: luminance >= 0.35, saturation <= 0.3) or blue (B above R and
 * about G, luminance >= 0.12: dusk); the sky is the candidates 4-connected to the top
 * row, if they cover at least 1% of the image. That coarse mask is brought to
 * full size and refined by gh_ops_guided with the photo as guide (radius four
 * reduced pixels, eps 1e-3), so its edges follow the photo's. A photo without
 * such a region (nothing smooth and bright or blue touching the top) gives an
 * all-zero mask. */
enum gh_status gh_ops_sky_mask(const struct gh_image *photo, int threads, struct gh_image **mask);

/* Built-in depth estimate of an outdoor RGB photo, no network: a W x H x 1
 * relative inverse depth in [0, 1] (1 near, 0 far). Land mixes three cues on a
 * copy reduced to 256 px (half the weight the height in the frame, 0.3 the
 * haze of He et al.'s dark channel, 0.2 the lack of local texture), smoothed to
 * region scale and spread over [0.15, 1] by its 2nd and 98th percentiles; sky
 * (the optional mask, 1 on sky, the photo's size) is 0. The map is brought to
 * full size and refined by gh_ops_guided with the photo's luma as guide (radius
 * side/64, eps 1e-3) so its edges follow the photo's. Meant for landscapes;
 * indoor scenes and close-ups get little more than the height cue. */
enum gh_status gh_ops_depth_estimate(const struct gh_image *photo, const struct gh_image *sky,
                                     int threads, struct gh_image **depth);

#ifdef __cplusplus
}
#endif
#endif
