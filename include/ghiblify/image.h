/* ghiblify: the image type and row-parallel loops.
 *
 * struct gh_image is planar float32: channel c of pixel (x, y) is
 * data[(size_t)c * width * height + (size_t)y * width + x]. Planar storage keeps
 * every per-channel filter a plain vectorizable loop and maps directly onto the
 * NCHW layout of the CNN core. Values are sRGB-encoded and nominally in [0, 1];
 * stages may leave them slightly outside, writers clamp. The pipeline works on
 * 3-channel RGB; alpha, when present, travels beside it as a 1-channel image. */
#ifndef GHIBLIFY_IMAGE_H
#define GHIBLIFY_IMAGE_H

#include <stddef.h>

#include "ghiblify/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest width or height accepted anywhere; keeps index arithmetic in int. */
#define GH_IMAGE_MAX_SIDE 65535

struct gh_image {
    int width;
    int height;
    int channels;
    float *data;
};

/* Allocates a zero-filled width x height x channels image (1 <= channels <= 4). */
enum gh_status gh_image_new(int width, int height, int channels, struct gh_image **out);

/* Like gh_image_new, but the values are left uninitialized: for outputs that the
 * caller overwrites entirely, where zero-filling would cost a full extra pass over
 * the memory (as much as a cheap operation itself). Never read a value before
 * writing it. */
enum gh_status gh_image_new_uninit(int width, int height, int channels, struct gh_image **out);

/* Frees an image from gh_image_new or gh_image_new_uninit (NULL is fine). */
void gh_image_free(struct gh_image *image);

/* Asks the kernel to back the 2 MiB-aligned interior of a large block (4 MiB
 * or more; smaller ones are left alone) with transparent huge pages. For
 * buffers that are written once and soon freed, such as images and the CNN's
 * activations: with 4 KiB pages a 12 MP run takes ~190,000 page faults, which
 * on a VM cost as much as the work. Harmless where THP is off. */
void gh_image_advise_huge(void *p, size_t bytes);

/* Allocates a copy of src. */
enum gh_status gh_image_clone(const struct gh_image *src, struct gh_image **out);

/* Pointer to the first value of channel c. */
static inline float *gh_image_plane(const struct gh_image *image, int c)
{
    return image->data + (size_t)c * (size_t)image->width * (size_t)image->height;
}

/* Number of values per channel (width * height). */
static inline size_t gh_image_plane_size(const struct gh_image *image)
{
    return (size_t)image->width * (size_t)image->height;
}

/* Calls fn(ctx, begin, end) over [0, n) split into contiguous ranges run by up to
 * `threads` threads (the calling thread takes one range). threads <= 1 runs fn
 * once inline. fn must not fail; keep fallible work outside. A range whose
 * thread cannot be started runs on the calling thread instead, so this cannot fail. */
void gh_parallel_for(int n, int threads, void (*fn)(void *ctx, int begin, int end), void *ctx);

/* Number of online CPUs (at least 1). */
int gh_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
