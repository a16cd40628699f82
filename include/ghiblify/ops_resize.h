/* ghiblify: resampling (cv2.resize's conventions) and joint bilateral upsampling.
 * Part of ops.h. */
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

/* Rows y0..y1-1 (0 <= y0 < y1 <= height) of gh_ops_resize(in, width, height),
 * the same values, as a width x (y1 - y0) image: a band of a full-size mask
 * without the whole of it (a 50 MP plane is 201 MB). */
enum gh_status gh_ops_resize_rows(const struct gh_image *in, int width, int height,
                                  enum gh_interp interp, int y0, int y1, int threads,
                                  struct gh_image **out);

/* Parameters of gh_ops_jbu. GH_JBU_PARAMS_DEFAULT holds the values chosen with
 * tools/eval-upsample (paintings made at 1024 px brought back to up to 2048 px):
 * a narrow spatial kernel keeps the painting's own strokes and lines (sigma 1
 * blurs them away: 37 dB instead of 41 from the painting after reduction), while
 * the range term still snaps its edges to the photo's (gradient correlation with
 * the photo 0.73 against bicubic's 0.65); radius 2 adds nothing at sigma 0.6. */
struct gh_jbu_params {
    int radius;           /* taps: (2 radius + 1)^2 low-resolution pixels, 0..16 */
    double sigma_spatial; /* Gaussian on the low-resolution grid, in low-res pixels, 0.1..100 */
    double sigma_range;   /* Gaussian on the guide's colour distance, [0, 1] units, > 0 */
};
#define GH_JBU_PARAMS_DEFAULT {1, 0.6, 0.1}

/* Joint bilateral upsampling (Kopf, Cohen, Lischinski & Uyttendaele, SIGGRAPH
 * 2007): src (w x h, any channel count, e.g. a painting made at working size) is
 * brought to the size of guide (W x H >= w x h, the full-resolution photo) so its
 * edges follow the guide's, while every output value stays a weighted mean of
 * src's own pixels (never the guide's detail). guide_low is the guide at w x h
 * (same channel count as guide, 1..4), as the pipeline made it. Output pixel p
 * sits at low-res position x(p) = (X + 0.5) w / W - 0.5 (likewise y, cv2.resize's
 * centres); its taps are the (2 radius + 1)^2 low-res pixels q around the nearest
 * one, with weight
 *     exp(-|x(p) - q|^2 / (2 sigma_spatial^2)) * exp(-|guide(p) - guide_low(q)|^2 / (2 sigma_range^2)),
 * |.|^2 the squared distance summed over channels, and out(p) = sum w src(q) / sum w.
 * Borders replicate (taps beyond the edge read the edge pixel; their distance is
 * the unclamped one). Should every weight underflow (tiny sigma_spatial with a
 * guide colour far from all taps), the spatial weights alone are used. Outputs
 * are convex combinations of src values, so they stay within src's range. Any
 * scale factor, 1 included (then it is a cross/joint bilateral filter of src).
 * Single-precision weights; within 1e-4 of a float64 evaluation of the formula
 * (tools/make-jbu-goldens), the same bytes for any thread count. */
enum gh_status gh_ops_jbu(const struct gh_image *src, const struct gh_image *guide_low,
                          const struct gh_image *guide, const struct gh_jbu_params *p,
                          int threads, struct gh_image **out);

#ifdef __cplusplus
}
#endif
#endif
