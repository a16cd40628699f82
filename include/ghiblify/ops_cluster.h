/* ghiblify: clustering of colors and pixels: k-means, palettes (k-means and
 * median cut), palette mapping, SLIC superpixels. Part of ops.h. */
#ifndef GHIBLIFY_OPS_CLUSTER_H
#define GHIBLIFY_OPS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GH_KMEANS_MAX_K 256
#define GH_KMEANS_MAX_DIM 8

struct gh_kmeans_params {
    int k;              /* clusters, 1 .. GH_KMEANS_MAX_K */
    int max_iter;       /* Lloyd iterations per attempt (<= 0: 100) */
    double eps;         /* stop when no center moves more than eps (<= 0: 1e-6) */
    int attempts;       /* independent k-means++ starts; the lowest inertia wins (<= 0: 1) */
    uint64_t seed;      /* the same seed and data give the same result on any thread count */
    size_t max_samples; /* fit on at most this many points (a seeded subsample); 0: all */
};

/* k-means on n points of dim values each (interleaved: point i at points[i * dim]),
 * k-means++ seeding (greedy, 2 + ln k trials as OpenCV and scikit-learn), Lloyd
 * iterations; an empty cluster takes the point farthest from its center.
 * centers receives k * dim values; labels (optional, n ints) the nearest center of
 * every point; inertia (optional) the sum of squared distances of all n points to
 * their centers, as cv2.kmeans's compactness. Needs n >= k. */
enum gh_status gh_ops_kmeans(const float *points, size_t n, int dim,
                             const struct gh_kmeans_params *params, int threads, float *centers,
                             int *labels, double *inertia);

#define GH_PALETTE_MAX 64

/* Dominant colors (sRGB values), most frequent first. */
struct gh_palette {
    int count;
    float color[GH_PALETTE_MAX][3];
    double weight[GH_PALETTE_MAX]; /* fraction of the pixels each color stands for */
};

/* Palette of k colors by k-means on the pixels of a 3-channel sRGB image,
 * clustered in CIELAB (lab = 1) or in sRGB values (lab = 0); at most
 * max_samples pixels are used for fitting (0: all). */
enum gh_status gh_ops_palette_kmeans(const struct gh_image *rgb, int k, int lab, uint64_t seed,
                                     size_t max_samples, int threads, struct gh_palette *out);

/* Palette by modified median cut quantization (MMCQ, Bloomberg; the algorithm of
 * ColorThief): 5-bit histogram, boxes split at the median of their longest axis,
 * the first 75% of the splits by population and the rest by population x volume.
 * Colors are the mean of the pixels in each box. */
enum gh_status gh_ops_palette_mmcq(const struct gh_image *rgb, int count, struct gh_palette *out);

/* Modes of gh_ops_palette_apply (its chroma_only argument). */
#define GH_PALETTE_FULL 0   /* replace whole Lab colors */
#define GH_PALETTE_CHROMA 1 /* keep L, map a and b (distances on a, b only) */
#define GH_PALETTE_HUE 2    /* keep L and the chroma magnitude, take the mapped hue */
/* In GH_PALETTE_HUE mode a pixel whose a, b lie d Lab units from the nearest
 * palette color moves only exp(-d^2 / (2 REACH^2)) of the way to its hue. */
#define GH_PALETTE_HUE_REACH 30.0f

/* Maps every pixel onto the palette in CIELAB. softness 0 takes the nearest color
 * (hard quantization); softness s > 0 blends the colors with weights
 * exp(-d^2 / (2 s^2)) (d: Lab distance), which keeps gradients smooth.
 * chroma_only (a GH_PALETTE_ mode; 0 and 1 as before) GH_PALETTE_CHROMA keeps
 * each pixel's own lightness L and maps only a and b, so smooth skies do not
 * turn into bands; GH_PALETTE_HUE also keeps each pixel's chroma magnitude and
 * moves toward the hue of the mapped a, b (a gray pixel stays gray), the less
 * the farther it is from every palette color (GH_PALETTE_HUE_REACH). */
enum gh_status gh_ops_palette_apply(const struct gh_image *rgb, const struct gh_palette *palette,
                                    double softness, int chroma_only, int threads,
                                    struct gh_image **out);

/* SLIC superpixels (Achanta et al. 2012) in CIELAB: seeds on a regular grid of
 * step S = round(sqrt(pixels / n_segments)), distance d_lab^2 / compactness^2 +
 * d_xy^2 / S^2 (as skimage.segmentation.slic), each center reaching +-S (the paper;
 * skimage searches +-2S),
 * max_iter iterations (<= 0: 10), then connectivity enforcement: 4-connected
 * pieces smaller than half the average segment join a neighbor, and labels are
 * renumbered 0 .. *count - 1 in raster order. labels receives width * height ints.
 * The result does not depend on the thread count. */
enum gh_status gh_ops_slic(const struct gh_image *rgb, int n_segments, double compactness,
                           int max_iter, int threads, int *labels, int *count);

/* Replaces every pixel by the mean color of its label (labels 0 .. count - 1). */
enum gh_status gh_ops_label_mean(const struct gh_image *in, const int *labels, int count,
                                 struct gh_image **out);

#ifdef __cplusplus
}
#endif
#endif
