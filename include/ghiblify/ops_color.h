/* ghiblify: color spaces and color statistics (Reinhard transfer, histogram
 * matching). Part of ops.h.
 *
 * Color spaces follow skimage.color (D65, 2-degree observer, sRGB gamma with
 * the 0.04045 / 0.0031308 breakpoints): Lab with L in 0..100, XYZ with Y in
 * 0..1, HSV with every component in 0..1 (hue 0 for grays). Conversions do not
 * clip: Lab colors outside the sRGB gamut give RGB values outside [0, 1], which
 * writers clamp (skimage clips them in lab2rgb). */
#ifndef GHIBLIFY_OPS_COLOR_H
#define GHIBLIFY_OPS_COLOR_H

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

enum gh_color_space {
    GH_COLOR_SRGB,   /* sRGB-encoded RGB: what struct gh_image holds */
    GH_COLOR_LINEAR, /* linear-light RGB */
    GH_COLOR_XYZ,    /* CIE XYZ, D65 */
    GH_COLOR_LAB,    /* CIELAB, D65 */
    GH_COLOR_HSV,    /* hue, saturation, value of the sRGB values */
    GH_COLOR_COUNT
};

/* Converts a 3-channel image between color spaces (from == to copies). */
enum gh_status gh_ops_color_convert(const struct gh_image *in, enum gh_color_space from,
                                    enum gh_color_space to, int threads, struct gh_image **out);

/* Luma 0.299 R + 0.587 G + 0.114 B of sRGB values (cv2.COLOR_RGB2GRAY), 1 channel. */
enum gh_status gh_ops_rgb_to_gray(const struct gh_image *in, int threads, struct gh_image **out);

/* Per-channel statistics of an image in CIELAB (population standard deviation). */
struct gh_lab_stats {
    double mean[3];
    double std[3];
};

/* Mean and standard deviation of the Lab channels of an sRGB image. */
enum gh_status gh_ops_lab_stats(const struct gh_image *rgb, int threads,
                                struct gh_lab_stats *stats);

/* Reinhard et al. 2001 color transfer in CIELAB: each channel of in is shifted
 * and scaled from its own mean/std to target's, then mixed with the input by
 * `amount` (0: unchanged, 1: full transfer) in Lab. Returns sRGB. */
enum gh_status gh_ops_reinhard(const struct gh_image *in, const struct gh_lab_stats *target,
                               double amount, int threads, struct gh_image **out);

/* gh_ops_reinhard with in's statistics given (own: those of the whole image
 * when in is one band of it). */
enum gh_status gh_ops_reinhard_from(const struct gh_image *in, const struct gh_lab_stats *own,
                                    const struct gh_lab_stats *target, double amount, int threads,
                                    struct gh_image **out);

/* skimage.exposure.match_histograms(in, reference, channel_axis=-1): every
 * channel is mapped so its cumulative histogram follows reference's (linear
 * interpolation between the reference's quantiles). Values are binned at 16-bit
 * precision over [0, 1] (values outside are clamped into the end bins), exact
 * for 8- and 16-bit data. Channel counts must match; sizes may differ. */
enum gh_status gh_ops_histmatch(const struct gh_image *in, const struct gh_image *reference,
                                int threads, struct gh_image **out);

#ifdef __cplusplus
}
#endif
#endif
