/* The raw float image files the benchmark and evaluation drivers in tools/
 * exchange with their Python scripts: a text line "GHF1 W H C" and then the
 * planar float32 samples. Header-only, for the drivers' single files. */
#ifndef GH_TOOLS_GHF_H
#define GH_TOOLS_GHF_H

#include <stdio.h>

#include "ghiblify/image.h"

static inline struct gh_image *read_ghf(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct gh_image *img = NULL;
    int w, h, c;
    if (f && fscanf(f, "GHF1 %d %d %d", &w, &h, &c) == 3 && fgetc(f) == '\n' &&
        gh_image_new(w, h, c, &img) == GH_OK) {
        size_t n = (size_t)w * (size_t)h * (size_t)c;
        if (fread(img->data, sizeof(float), n, f) != n) {
            gh_image_free(img);
            img = NULL;
        }
    }
    if (f)
        (void)fclose(f); /* read-only */
    return img;
}

static inline int write_ghf(const char *path, const struct gh_image *img)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = gh_image_plane_size(img) * (size_t)img->channels;
    fprintf(f, "GHF1 %d %d %d\n", img->width, img->height, img->channels);
    int ok = fwrite(img->data, sizeof(float), n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

#endif
