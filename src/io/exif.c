/* EXIF orientation: finding tag 0x0112 in IFD0 and applying it to the pixels.
 *
 * The EXIF payload comes straight from the file, so every offset is checked
 * against the segment's size before it is read; any inconsistency means
 * "no orientation" rather than an error, because the pixels are still fine. */
#include "io/io_internal.h"

#include <stdlib.h>
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
    return gh_io_exif_tiff_orientation(data + 6, size - 6);
}

int gh_io_exif_tiff_orientation(const unsigned char *data, size_t size)
{
    if (!data || size < 8)
        return 0;
    struct tiff t = {data, size, 0};
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

/* Preparing EXIF for output (gh_io_exif_prepare). */

static void put16(unsigned char *b, int little, unsigned v)
{
    b[little ? 0 : 1] = (unsigned char)v;
    b[little ? 1 : 0] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *b, int little, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[little ? i : 3 - i] = (unsigned char)(v >> (8 * i));
}

/* Bytes per value of a TIFF field type (0: unknown type). */
static unsigned type_size(unsigned type)
{
    static const unsigned char sizes[14] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4};
    return type < 14 ? sizes[type] : 0;
}

/* What walk_ifd learns: the end of every byte IFD0 and its sub-IFDs use, and
 * whether some reference could not be sized or lies outside the data (then
 * nothing is cut). */
struct extent {
    size_t end;
    int unsure;
};

/* Number of whole entries of the IFD at ifd when its entries and next-IFD
 * offset lie inside the data; -1 otherwise. */
static long ifd_entries(const struct tiff *t, uint32_t ifd)
{
    if (ifd < 8 || ifd > t->n || t->n - ifd < 6)
        return -1;
    unsigned count = get16(t, ifd);
    if ((t->n - ifd - 6) / 12 < count)
        return -1;
    return (long)count;
}

/* Records the IFD at ifd, its out-of-line values and (depth permitting) the
 * Exif, GPS and Interoperability IFDs it points to. depth bounds the recursion,
 * so offsets pointing back at an IFD cannot loop. */
static void walk_ifd(const struct tiff *t, uint32_t ifd, int depth, struct extent *x)
{
    long count = ifd_entries(t, ifd);
    if (count < 0) {
        x->unsure = 1;
        return;
    }
    size_t end = ifd + 2 + (size_t)count * 12 + 4;
    if (end > x->end)
        x->end = end;
    for (long i = 0; i < count; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        unsigned tag = get16(t, e), type = get16(t, e + 2), size = type_size(type);
        uint64_t bytes = (uint64_t)get32(t, e + 4) * size;
        if (size == 0) {
            x->unsure = 1;
        } else if (bytes > 4) {
            uint32_t at = get32(t, e + 8);
            if (at > t->n || bytes > t->n - at)
                x->unsure = 1;
            else if (at + bytes > x->end)
                x->end = (size_t)(at + bytes);
        }
        int sub = tag == 0x8769 || tag == 0x8825 || tag == 0xa005; /* Exif, GPS, Interop */
        if (sub && depth < 2 && (type == 4 || type == 13) && get32(t, e + 4) == 1)
            walk_ifd(t, get32(t, e + 8), depth + 1, x);
    }
}

enum gh_status gh_io_exif_prepare(const unsigned char *data, size_t size, unsigned char **out,
                                  size_t *out_size)
{
    *out = NULL;
    *out_size = 0;
    if (!data || size < 8 || size > GH_IO_EXIF_MAX_BYTES)
        return GH_OK;
    struct tiff t = {data, size, 0};
    if (t.p[0] == 'I' && t.p[1] == 'I')
        t.little = 1;
    else if (!(t.p[0] == 'M' && t.p[1] == 'M'))
        return GH_OK;
    if (get16(&t, 2) != 42)
        return GH_OK;
    uint32_t ifd0 = get32(&t, 4);
    long count = ifd_entries(&t, ifd0);
    if (count < 0)
        return GH_OK; /* IFD0 must be whole: it is rewritten */
    size_t next_at = ifd0 + 2 + (size_t)count * 12;
    uint32_t ifd1 = get32(&t, next_at);

    /* Where the thumbnail (IFD1 and its JPEG) starts, if it can be cut: only
     * when it lies after everything IFD0 and its sub-IFDs use (the usual
     * layout, thumbnail last). */
    size_t keep = size;
    struct extent x = {0, 0};
    walk_ifd(&t, ifd0, 0, &x);
    if (ifd1 && !x.unsure && ifd1 >= x.end && ifd1 < size) {
        keep = ifd1;
        long n1 = ifd_entries(&t, ifd1);
        for (long i = 0; i < n1; i++) {
            size_t e = ifd1 + 2 + (size_t)i * 12;
            if (get16(&t, e) == 0x0201 && get16(&t, e + 2) == 4) { /* JPEGInterchangeFormat */
                uint32_t at = get32(&t, e + 8);
                if (at >= x.end && at < keep)
                    keep = at;
            }
        }
    }

    unsigned char *copy = malloc(keep);
    if (!copy)
        return gh_error(GH_ERR_NOMEM, "no memory for %zu bytes of EXIF", keep);
    memcpy(copy, data, keep);
    /* Orientation 1 (as a proper SHORT, whatever type it had): the decoder
     * turned the pixels upright. */
    for (long i = 0; i < count; i++) {
        unsigned char *e = copy + ifd0 + 2 + (size_t)i * 12;
        if (get16(&t, (size_t)(e - copy)) != 0x0112)
            continue;
        put16(e + 2, t.little, 3);
        put32(e + 4, t.little, 1);
        put16(e + 8, t.little, 1);
        put16(e + 10, t.little, 0);
    }
    put32(copy + next_at, t.little, 0); /* unlink IFD1, the thumbnail */
    *out = copy;
    *out_size = keep;
    return GH_OK;
}
