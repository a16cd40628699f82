/* EXIF orientation: finding tag 0x0112 in IFD0 and applying it to the pixels.
 *
 * The EXIF payload comes straight from the file, so every offset is checked
 * against the segment's size before it is read; any inconsistency means
 * "no orientation" rather than an error, because the pixels are still fine. */
#include "io/io_internal.h"

#include <string.h>

struct tiff {
    const unsigned char *p;
    size_t n;
    int little; /* "II" byte order; "MM" is big-endian */
};

static unsigned get16(const struct tiff *t, size_t at)
{
    const unsigned char *b = t->p + at;
    return t->little ? (unsigned)b[0] | (unsigned)b[1] << 8 : (unsigned)b[0] << 8 | (unsigned)b[1];
}

static uint32_t get32(const struct tiff *t, size_t at)
{
    const unsigned char *b = t->p + at;
    if (t->little)
        return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

int gh_io_exif_orientation(const unsigned char *data, size_t size)
{
    if (!data || size < 6 || memcmp(data, "Exif\0\0", 6) != 0)
        return 0;
    struct tiff t = {data + 6, size - 6, 0};
    if (t.n < 8)
        return 0;
    if (t.p[0] == 'I' && t.p[1] == 'I')
        t.little = 1;
    else if (!(t.p[0] == 'M' && t.p[1] == 'M'))
        return 0;
    if (get16(&t, 2) != 42)
        return 0;
    uint32_t ifd = get32(&t, 4);
    if (ifd > t.n || t.n - ifd < 2)
        return 0;
    unsigned count = get16(&t, ifd);
    /* Only as many 12-byte entries as actually fit, whatever the count says. */
    size_t fit = (t.n - ifd - 2) / 12;
    if (count > fit)
        count = (unsigned)fit;
    for (unsigned i = 0; i < count; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        if (get16(&t, e) != 0x0112)
            continue;
        unsigned type = get16(&t, e + 2);
        uint32_t n = get32(&t, e + 4);
        unsigned v;
        if (type == 3 && n >= 1) /* SHORT, stored left-justified in the value field */
            v = get16(&t, e + 8);
        else if (type == 4 && n >= 1) /* LONG: not per spec, but unambiguous */
            v = (unsigned)get32(&t, e + 8);
        else
            return 0;
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

/* Copies plane src (w x h) into dst (display size) with dst(x, y) = src(sx, sy)
 * as the EXIF orientation defines. */
static void reorient_plane(const float *src, int w, int h, float *dst, int orientation)
{
    int dw = orientation >= 5 ? h : w, dh = orientation >= 5 ? w : h;
    for (int y = 0; y < dh; y++) {
        float *out = dst + (size_t)y * (size_t)dw;
        for (int x = 0; x < dw; x++) {
            int sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;         /* mirror left-right */
            case 3: sx = w - 1 - x; sy = h - 1 - y; break; /* rotate 180 */
            case 4: sx = x; sy = h - 1 - y; break;         /* mirror top-bottom */
            case 5: sx = y; sy = x; break;                 /* transpose */
            case 6: sx = y; sy = h - 1 - x; break;         /* rotate 90 clockwise */
            case 7: sx = w - 1 - y; sy = h - 1 - x; break; /* transverse */
            case 8: sx = w - 1 - y; sy = x; break;         /* rotate 90 counterclockwise */
            default: sx = x; sy = y; break;
            }
            out[x] = src[(size_t)sy * (size_t)w + (size_t)sx];
        }
    }
}

static enum gh_status reorient(const struct gh_image *src, int orientation, struct gh_image **out)
{
    int swap = orientation >= 5;
    enum gh_status st = gh_image_new(swap ? src->height : src->width,
                                     swap ? src->width : src->height, src->channels, out);
    if (st != GH_OK)
        return st;
    for (int c = 0; c < src->channels; c++)
        reorient_plane(gh_image_plane(src, c), src->width, src->height, gh_image_plane(*out, c),
                       orientation);
    return GH_OK;
}

enum gh_status gh_io_apply_orientation(struct gh_picture *picture, int orientation)
{
    if (orientation < 2 || orientation > 8)
        return GH_OK;
    struct gh_image *rgb = NULL, *alpha = NULL;
    enum gh_status st = reorient(picture->rgb, orientation, &rgb);
    if (st == GH_OK && picture->alpha)
        st = reorient(picture->alpha, orientation, &alpha);
    if (st != GH_OK) {
        gh_image_free(rgb);
        return st;
    }
    gh_image_free(picture->rgb);
    gh_image_free(picture->alpha);
    picture->rgb = rgb;
    picture->alpha = alpha;
    picture->orientation = orientation;
    return GH_OK;
}
