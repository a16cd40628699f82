#include "ghiblify/image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Large images ask for transparent huge pages, as numpy does for its arrays: with
 * 4 KiB pages a 12 MB plane costs thousands of page faults and a TLB miss every
 * 4 KiB of a row walk, which on this kind of VM weighs as much as a cheap
 * operation itself. Only the 2 MiB-aligned interior of the block can be backed
 * by huge pages; the kernel ignores the advice where THP is off. */
void gh_image_advise_huge(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)1 << 21;
    if (bytes < ((size_t)1 << 22))
        return;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

static enum gh_status image_alloc(int width, int height, int channels, int zero,
                                  struct gh_image **out)
{
    *out = NULL;
    if (width < 1 || height < 1 || width > GH_IMAGE_MAX_SIDE || height > GH_IMAGE_MAX_SIDE ||
        channels < 1 || channels > 4)
        return gh_error(GH_ERR_ARGUMENT, "image size %dx%dx%d out of range", width, height,
                        channels);
    size_t count = (size_t)width * (size_t)height * (size_t)channels;
    if (count > SIZE_MAX / sizeof(float))
        return gh_error(GH_ERR_TOO_LARGE, "image %dx%dx%d too large", width, height, channels);
    struct gh_image *image = malloc(sizeof *image);
    if (!image)
        return gh_error(GH_ERR_NOMEM, "no memory for an image header");
    image->data = zero ? calloc(count, sizeof(float)) : malloc(count * sizeof(float));
    if (!image->data) {
        free(image);
        return gh_error(GH_ERR_NOMEM, "no memory for a %dx%dx%d image", width, height, channels);
    }
    gh_image_advise_huge(image->data, count * sizeof(float));
    image->width = width;
    image->height = height;
    image->channels = channels;
    *out = image;
    return GH_OK;
}

enum gh_status gh_image_new(int width, int height, int channels, struct gh_image **out)
{
    return image_alloc(width, height, channels, 1, out);
}

enum gh_status gh_image_new_uninit(int width, int height, int channels, struct gh_image **out)
{
    return image_alloc(width, height, channels, 0, out);
}

void gh_image_free(struct gh_image *image)
{
    if (!image)
        return;
    free(image->data);
    free(image);
}

enum gh_status gh_image_clone(const struct gh_image *src, struct gh_image **out)
{
    enum gh_status st = gh_image_new_uninit(src->width, src->height, src->channels, out);
    if (st != GH_OK)
        return st;
    memcpy((*out)->data, src->data, gh_image_plane_size(src) * (size_t)src->channels * sizeof(float));
    return GH_OK;
}
