#include "ghiblify/image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
