/* PNG decoding and encoding with libpng's classic API, and a fast encoder of our
 * own (Up filter + libdeflate) for the default GH_PNG_FAST.
 *
 * libpng reports errors by longjmp. Each setjmp sits in a small function whose
 * only locals are never modified after it, and everything that must survive a
 * longjmp (allocations, messages) lives in a context struct owned by the caller,
 * so no automatic variable is indeterminate after the jump and the caller can
 * free everything on one path. */
#include "io/io_internal.h"

#include <libdeflate.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Bytes libpng may read after the last row (see dec_read): at most 16 MB
 * inflated. */
#define TRAILING_MAX ((size_t)16 << 10)
/* libpng's limit on one ancillary chunk's memory (see dec_run). */
#define PNG_CHUNK_MAX ((size_t)8 << 20)

struct png_dec {
    png_structp png;
    png_infop info;
    const unsigned char *data;
    size_t size;
    size_t pos;
    uint64_t max_pixels;
    int truncated;        /* the read callback ran out of bytes */
    uint64_t idat;        /* bytes of IDAT data in the file (idat_bytes) */
    int exif_too_large;   /* an eXIf chunk over GH_IO_EXIF_MAX_BYTES */
    int passes;           /* 7 for Adam7, else 1 */
    int channels, depth;  /* of the rows libpng gives (3 or 4; 8 or 16) */
    size_t rowbytes;
    png_uint_32 height;
    int orientation;      /* EXIF orientation to apply (0: none) */
    int reading_rows;     /* the row data is being read */
    int rows_done;        /* every row is in: dec_read stopped libpng */
    size_t trailing;      /* bytes read after the last row */
    int failed;           /* libpng reported an error (message holds its text) */
    char message[256];    /* libpng's error text */
    char warning[256];    /* libpng's first warning (explains "Invalid IHDR data") */
    struct gh_picture *picture;
    unsigned char *pixels; /* a row, or the whole image for interlaced files */
    png_bytep *rows;       /* row pointers into pixels (interlaced files) */
};

static void dec_error(png_structp png, png_const_charp msg)
{
    struct png_dec *d = png_get_error_ptr(png);
    snprintf(d->message, sizeof d->message, "%s", msg ? msg : "unknown error");
    d->failed = 1;
    png_longjmp(png, 1);
}

static void dec_warning(png_structp png, png_const_charp msg)
{
    struct png_dec *d = png_get_error_ptr(png);
    if (!d->warning[0])
        snprintf(d->warning, sizeof d->warning, "%s", msg ? msg : "");
}

static void dec_read(png_structp png, png_bytep out, size_t length)
{
    struct png_dec *d = png_get_io_ptr(png);
    /* Once the last row is in, libpng reads on to the end of the IDAT stream
     * and its CRC, inflating whatever follows just to warn about extra data:
     * at deflate's 1000x ratio a 1 GB file is 1 TB of zeros, hours of work.
     * A whole file ends within a few bytes (the CRC errors of those still
     * count); past TRAILING_MAX the image is complete: stop reading. */
    if (d->reading_rows && (d->passes > 1 ? png_get_current_pass_number(png) >= 7
                                          : png_get_current_row_number(png) >= d->height)) {
        d->trailing += length;
        if (d->trailing > TRAILING_MAX) {
            d->rows_done = 1;
            png_longjmp(png, 1);
        }
    }
    if (length > d->size - d->pos) {
        d->truncated = 1;
        png_error(png, "truncated PNG data");
    }
    memcpy(out, d->data + d->pos, length);
    d->pos += length;
}

/* Converts one decoded row (3 or 4 interleaved samples of 8 or 16 bits, native
 * byte order) into row y of the picture's planes. */
static void store_row(struct png_dec *d, const unsigned char *row, int y, int channels, int depth)
{
    struct gh_image *rgb = d->picture->rgb;
    size_t width = (size_t)rgb->width, off = (size_t)y * width;
    float *r = gh_image_plane(rgb, 0) + off, *g = gh_image_plane(rgb, 1) + off;
    float *b = gh_image_plane(rgb, 2) + off;
    float *a = d->picture->alpha ? d->picture->alpha->data + off : NULL;
    if (depth == 16) {
        const uint16_t *s = (const uint16_t *)(const void *)row;
        for (size_t x = 0; x < width; x++, s += channels) {
            r[x] = gh_io_unorm16(s[0]);
            g[x] = gh_io_unorm16(s[1]);
            b[x] = gh_io_unorm16(s[2]);
            if (a)
                a[x] = gh_io_unorm16(s[3]);
        }
    } else {
        const unsigned char *s = row;
        for (size_t x = 0; x < width; x++, s += channels) {
            r[x] = gh_io_unorm8(s[0]);
            g[x] = gh_io_unorm8(s[1]);
            b[x] = gh_io_unorm8(s[2]);
            if (a)
                a[x] = gh_io_unorm8(s[3]);
        }
    }
}

/* The eXIf and iCCP chunks read before IDAT, into the picture (see gh_picture);
 * returns the EXIF orientation to apply (0: none). Both are bounded before we
 * copy them: an eXIf over GH_IO_EXIF_MAX_BYTES is skipped unread, and libpng
 * inflates iCCP up to PNG_CHUNK_MAX. */
static enum gh_status find_metadata(struct png_dec *d, int *orientation)
{
    *orientation = 0;
    png_bytep exif = NULL;
    png_uint_32 exif_size = 0;
    if (png_get_eXIf_1(d->png, d->info, &exif_size, &exif) && exif) {
        *orientation = gh_io_exif_tiff_orientation(exif, exif_size);
        enum gh_status st =
            gh_io_exif_prepare(exif, exif_size, &d->picture->exif, &d->picture->exif_size);
        if (st != GH_OK)
            return st;
    }
    png_charp name = NULL;
    int method = 0;
    png_bytep icc = NULL;
    png_uint_32 icc_size = 0;
    if (png_get_iCCP(d->png, d->info, &name, &method, &icc, &icc_size) && icc &&
        gh_io_icc_usable(icc, icc_size)) {
        d->picture->icc = malloc(icc_size);
        if (!d->picture->icc)
            return gh_error(GH_ERR_NOMEM, "no memory for a %u-byte ICC profile", icc_size);
        memcpy(d->picture->icc, icc, icc_size);
        d->picture->icc_size = icc_size;
    }
    return GH_OK;
}

/* Deflate's densest output is about 1032 bytes per input byte (258-byte
 * matches at two bits each), so an image needs at least raw / 1032 bytes of
 * IDAT. */
#define DEFLATE_MAX_RATIO 1032

/* Bytes of IDAT chunk data in the file (those present, for a cut file), and
 * whether an eXIf chunk is over GH_IO_EXIF_MAX_BYTES. The chunks are walked
 * from the buffer directly, before libpng reads them. */
static uint64_t idat_bytes(const unsigned char *data, size_t size, int *exif_too_large)
{
    uint64_t total = 0;
    *exif_too_large = 0;
    for (size_t at = 8; size - at >= 8;) {
        uint64_t len = (uint64_t)data[at] << 24 | (uint64_t)data[at + 1] << 16 |
                       (uint64_t)data[at + 2] << 8 | data[at + 3];
        const unsigned char *type = data + at + 4;
        uint64_t left = size - at - 8;
        if (!memcmp(type, "IDAT", 4))
            total += len < left ? len : left;
        if (!memcmp(type, "eXIf", 4) && len > GH_IO_EXIF_MAX_BYTES)
            *exif_too_large = 1;
        if (!memcmp(type, "IEND", 4) || len + 4 > left)
            break;
        at += 8 + (size_t)len + 4;
    }
    return total;
}

/* After the last row: an interlaced image's rows into the planes (a
 * non-interlaced one's are stored as they come, but for the last one when
 * last_pending), then the EXIF orientation. */
static enum gh_status finish_rows(struct png_dec *d, int last_pending)
{
    if (d->passes > 1)
        for (png_uint_32 y = 0; y < d->height; y++)
            store_row(d, d->pixels + (size_t)y * d->rowbytes, (int)y, d->channels, d->depth);
    else if (last_pending)
        store_row(d, d->pixels, (int)d->height - 1, d->channels, d->depth);
    return gh_io_apply_orientation(d->picture, d->orientation);
}

static enum gh_status dec_run(struct png_dec *d)
{
    if (setjmp(png_jmpbuf(d->png))) {
        if (d->rows_done)
            return finish_rows(d, 1);
        return GH_ERR_FORMAT; /* the caller words the detail from d->message */
    }

    png_set_read_fn(d->png, d, dec_read);
    /* Chunks we never use are skipped without being read into memory (libpng
     * would buffer each whole, however large, and inflate zTXt/iTXt). So is an
     * eXIf over what we keep: libpng would hold it twice before we drop it. */
    static const png_byte unused[] = "tEXt\0zTXt\0iTXt\0sPLT\0hIST\0";
    png_set_keep_unknown_chunks(d->png, PNG_HANDLE_CHUNK_NEVER, unused, 5);
    if (d->exif_too_large)
        png_set_keep_unknown_chunks(d->png, PNG_HANDLE_CHUNK_NEVER, (png_const_bytep) "eXIf", 1);
    /* Our own limits decide (with a clear message); libpng's default 1e6 cap
     * would only turn some too-large images into "corrupt" ones. */
    png_set_user_limits(d->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    /* Ancillary chunks (eXIf, iCCP and zTXt inflated) larger than this are
     * skipped: above what we keep (GH_IO_ICC_MAX_BYTES, GH_IO_EXIF_MAX_BYTES),
     * set here rather than left to how libpng was built. */
    png_set_chunk_malloc_max(d->png, PNG_CHUNK_MAX);
    png_read_info(d->png, d->info);

    png_uint_32 width, height;
    int depth, color, interlace;
    png_get_IHDR(d->png, d->info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    enum gh_status st = gh_io_check_size(width, height, d->max_pixels);
    if (st != GH_OK)
        return st;
    /* Before the planes (12 bytes a pixel) are allocated: a file too short to
     * hold the image it declares is cut, however small it is. */
    uint64_t raw = (uint64_t)height * (((uint64_t)width * png_get_channels(d->png, d->info) *
                                        (uint64_t)depth + 7) / 8);
    if (d->idat < raw / DEFLATE_MAX_RATIO)
        return gh_error(GH_ERR_FORMAT,
                        "truncated PNG data: %llu bytes of image data cannot hold a %ux%u image",
                        (unsigned long long)d->idat, width, height);

    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(d->png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(d->png);
    if (png_get_valid(d->png, d->info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(d->png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(d->png);
    if (depth == 16) {
        const uint16_t probe = 1;
        if (*(const unsigned char *)&probe == 1)
            png_set_swap(d->png);
    }
    d->passes = png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->info);

    int channels = png_get_channels(d->png, d->info);
    int out_depth = png_get_bit_depth(d->png, d->info);
    size_t rowbytes = png_get_rowbytes(d->png, d->info);
    if ((channels != 3 && channels != 4) || (out_depth != 8 && out_depth != 16) ||
        rowbytes != (size_t)width * (size_t)channels * (size_t)(out_depth / 8))
        return gh_error(GH_ERR_INTERNAL, "PNG transforms gave %d channels of %d bits", channels,
                        out_depth);
    d->channels = channels;
    d->depth = out_depth;
    d->rowbytes = rowbytes;
    d->height = height;

    d->picture = calloc(1, sizeof *d->picture);
    if (!d->picture)
        return gh_error(GH_ERR_NOMEM, "no memory for a picture");
    d->picture->format = GH_FORMAT_PNG;
    d->picture->bit_depth = out_depth;
    d->picture->orientation = 1;
    st = gh_image_new((int)width, (int)height, 3, &d->picture->rgb);
    if (st == GH_OK && channels == 4)
        st = gh_image_new((int)width, (int)height, 1, &d->picture->alpha);
    if (st != GH_OK)
        return st;
    st = find_metadata(d, &d->orientation);
    if (st != GH_OK)
        return st;

    if (d->passes == 1) {
        d->pixels = malloc(rowbytes);
        if (!d->pixels)
            return gh_error(GH_ERR_NOMEM, "no memory for a PNG row");
        d->reading_rows = 1;
        /* d->pixels is freed with the decoder (the analyzer loses it at png_read_row's setjmp) */
        for (png_uint_32 y = 0; y < height; y++) { /* NOLINT(clang-analyzer-unix.Malloc) */
            png_read_row(d->png, d->pixels, NULL);
            store_row(d, d->pixels, (int)y, channels, out_depth);
        }
    } else {
        /* Adam7 fills rows over several passes, so the whole image is needed. */
        d->pixels = malloc(rowbytes * height);
        d->rows = d->pixels ? malloc(sizeof *d->rows * height) : NULL;
        if (!d->rows)
            return gh_error(GH_ERR_NOMEM, "no memory for a %ux%u interlaced PNG", width, height);
        for (png_uint_32 y = 0; y < height; y++)
            d->rows[y] = d->pixels + (size_t)y * rowbytes;
        d->reading_rows = 1;
        png_read_image(d->png, d->rows);
    }
    return finish_rows(d, 0);
}

enum gh_status gh_io_png_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                struct gh_picture **out)
{
    *out = NULL;
    struct png_dec d = {.data = data, .size = size, .max_pixels = max_pixels};
    d.idat = idat_bytes(data, size, &d.exif_too_large);
    d.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &d, dec_error, dec_warning);
    if (!d.png)
        return gh_error(GH_ERR_NOMEM, "no memory for a PNG decoder");
    d.info = png_create_info_struct(d.png);
    enum gh_status st;
    if (!d.info) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a PNG decoder");
        goto out;
    }
    st = dec_run(&d);
    if (d.failed) {
        if (d.truncated)
            st = gh_error(GH_ERR_FORMAT, "truncated PNG data");
        else if (strstr(d.message, "memory"))
            st = gh_error(GH_ERR_NOMEM, "PNG decoder: %s", d.message);
        else if (!strcmp(d.message, "Invalid IHDR data") && d.warning[0])
            st = gh_error(GH_ERR_FORMAT, "invalid PNG header: %s", d.warning);
        else
            st = gh_error(GH_ERR_FORMAT, "corrupt PNG data: %s", d.message);
    }
out:
    png_destroy_read_struct(&d.png, d.info ? &d.info : NULL, NULL);
    free(d.rows);
    free(d.pixels);
    if (st == GH_OK)
        *out = d.picture;
    else
        gh_picture_free(d.picture);
    return st;
}

/* GH_PNG_SMALL encoding: libpng writes into a buffer that doubles as it fills. */
struct png_enc {
    png_structp png;
    png_infop info;
    unsigned char *buf;
    size_t size, cap;
    int failed;
    char message[256];
    unsigned char *row;
    unsigned char *iccp; /* iCCP chunk body, or NULL */
    size_t iccp_size;
};

static void enc_error(png_structp png, png_const_charp msg)
{
    struct png_enc *e = png_get_error_ptr(png);
    snprintf(e->message, sizeof e->message, "%s", msg ? msg : "unknown error");
    e->failed = 1;
    png_longjmp(png, 1);
}

static void enc_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void enc_write(png_structp png, png_bytep bytes, size_t length)
{
    struct png_enc *e = png_get_io_ptr(png);
    if (length > e->cap - e->size) {
        size_t cap = e->cap ? e->cap : 65536;
        while (cap - e->size < length) {
            if (cap > SIZE_MAX / 2)
                png_error(png, "out of memory");
            cap *= 2;
        }
        unsigned char *grown = realloc(e->buf, cap);
        if (!grown)
            png_error(png, "out of memory");
        e->buf = grown;
        e->cap = cap;
    }
    memcpy(e->buf + e->size, bytes, length);
    e->size += length;
}

static void enc_flush(png_structp png)
{
    (void)png;
}

static enum gh_status enc_run(struct png_enc *e, const struct gh_image *rgb,
                              const struct gh_image *alpha, const struct gh_encode_options *o)
{
    if (setjmp(png_jmpbuf(e->png)))
        return GH_ERR_FORMAT; /* the caller words the detail from e->message */

    int channels = alpha ? 4 : 3;
    size_t width = (size_t)rgb->width;
    e->row = malloc(width * (size_t)channels);
    if (!e->row)
        return gh_error(GH_ERR_NOMEM, "no memory for a PNG row");
    png_set_write_fn(e->png, e, enc_write, enc_flush);
    png_set_IHDR(e->png, e->info, (png_uint_32)rgb->width, (png_uint_32)rgb->height, 8,
                 alpha ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* GH_PNG_SMALL: libpng picks one of the five filters per row, then zlib's
     * Z_RLE strategy (run lengths + Huffman codes, no long-distance matches; the
     * level then only matters as nonzero). Measured on the shared photos and on
     * posterized copies that resemble stylized output, against the usual level 6 /
     * Z_FILTERED: 2-6x faster and 6-8% smaller on photos, at most 0.5% larger on
     * posterized images. On a 4000x3000 photo: 8.6 MB where GH_PNG_FAST writes
     * 10.1 MB, at about 4x its time (tools/BENCHMARKS.md, "Image I/O"). */
    png_set_compression_level(e->png, 6);
    png_set_compression_strategy(e->png, Z_RLE);
    png_set_filter(e->png, PNG_FILTER_TYPE_BASE, PNG_ALL_FILTERS);
    /* Signature and IHDR, then our metadata chunks as given (png_set_iCCP
     * would re-check the profile, and could drop it), then the rest. */
    png_write_info_before_PLTE(e->png, e->info);
    if (e->iccp)
        png_write_chunk(e->png, (png_const_bytep) "iCCP", e->iccp, e->iccp_size);
    if (o->exif_size)
        png_write_chunk(e->png, (png_const_bytep) "eXIf", o->exif, o->exif_size);
    png_write_info(e->png, e->info);
    for (int y = 0; y < rgb->height; y++) {
        gh_io_pack_row8(rgb, alpha, y, e->row);
        png_write_row(e->png, e->row);
    }
    png_write_end(e->png, e->info);
    return GH_OK;
}

/* GH_PNG_FAST: the PNG container is simple enough to write directly (signature,
 * IHDR, IDAT, IEND, each chunk with its CRC), which lets the compressor be
 * libdeflate instead of zlib. libdeflate compresses whole buffers only, so the
 * filtered image (1 + width * channels bytes a row, a quarter of the float
 * image's size) is built first. Measured on a 4000x3000 photo with the Up filter
 * (tools/BENCHMARKS.md, "Image I/O"): libdeflate level 1 takes 161 ms for 10.1 MB
 * where zlib's Z_RLE takes 311 ms for 9.8 MB (zlib level 1 default strategy:
 * larger than both); on a 6-level posterized copy (like flat stylized output)
 * 93 ms for 989 KB against Z_RLE's 63 ms for 779 KB, both far below a photo's
 * cost. Level 1 is where libdeflate's time stays well under zlib's. */
#define FAST_DEFLATE_LEVEL 1
/* IDAT chunks are split well below PNG's 2^31 - 1 byte chunk limit. */
#define IDAT_MAX ((size_t)1 << 30)

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return p + 4;
}

/* Writes one chunk at p (length, type, data, CRC of type + data); returns its end. */
static unsigned char *put_chunk(unsigned char *p, const char *type, const unsigned char *body,
                                size_t len)
{
    p = put_u32(p, (uint32_t)len);
    memcpy(p, type, 4);
    uLong crc = crc32(0L, p, 4);
    p += 4;
    if (len) {
        memcpy(p, body, len);
        crc = crc32_z(crc, p, len);
        p += len;
    }
    return put_u32(p, (uint32_t)crc);
}

/* Signature, IHDR, optional iCCP and eXIf (before IDAT, as PNG requires), the
 * compressed stream z split into IDAT chunks, IEND: a malloc'd file. */
static enum gh_status put_png(size_t width, size_t height, int depth, int color,
                              const unsigned char *iccp, size_t iccp_size, const unsigned char *exif,
                              size_t exif_size, const unsigned char *z, size_t zlen,
                              unsigned char **data, size_t *size)
{
    size_t total = 8 + (12 + 13) + (zlen / IDAT_MAX + 1) * 12 + zlen + 12;
    total += (iccp ? 12 + iccp_size : 0) + (exif_size ? 12 + exif_size : 0);
    unsigned char *out = malloc(total);
    if (!out)
        return gh_error(GH_ERR_NOMEM, "no memory for a %zux%zu PNG", width, height);
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13], *p = out;
    memcpy(p, signature, 8);
    p += 8;
    put_u32(ihdr, (uint32_t)width);
    put_u32(ihdr + 4, (uint32_t)height);
    ihdr[8] = (unsigned char)depth;     /* bits per sample */
    ihdr[9] = (unsigned char)color;     /* 0 gray, 2 RGB, 6 RGBA */
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
    p = put_chunk(p, "IHDR", ihdr, 13);
    if (iccp)
        p = put_chunk(p, "iCCP", iccp, iccp_size);
    if (exif_size)
        p = put_chunk(p, "eXIf", exif, exif_size);
    for (size_t off = 0; off < zlen; off += IDAT_MAX)
        p = put_chunk(p, "IDAT", z + off, zlen - off < IDAT_MAX ? zlen - off : IDAT_MAX);
    p = put_chunk(p, "IEND", NULL, 0);
    *data = out;
    *size = (size_t)(p - out);
    return GH_OK;
}

static enum gh_status encode_fast(const struct gh_image *rgb, const struct gh_image *alpha,
                                  const struct gh_encode_options *o, const unsigned char *iccp,
                                  size_t iccp_size, unsigned char **data, size_t *size)
{
    size_t channels = alpha ? 4 : 3, width = (size_t)rgb->width, height = (size_t)rgb->height;
    size_t row_bytes = width * channels, stride = row_bytes + 1, raw_size = stride * height;
    enum gh_status st = GH_OK;
    unsigned char *raw = malloc(raw_size), *rows = malloc(2 * row_bytes);
    unsigned char *z = NULL;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(FAST_DEFLATE_LEVEL);
    if (!raw || !rows || !c) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %zux%zu PNG", width, height);
        goto out;
    }
    /* Up filter: each byte minus the one above it (zero above the first row). */
    unsigned char *prev = rows, *cur = rows + row_bytes;
    memset(prev, 0, row_bytes);
    for (size_t y = 0; y < height; y++) {
        gh_io_pack_row8(rgb, alpha, (int)y, cur);
        unsigned char *restrict d = raw + y * stride;
        const unsigned char *restrict a = cur, *restrict b = prev;
        d[0] = 2;
        for (size_t i = 0; i < row_bytes; i++)
            d[1 + i] = (unsigned char)(a[i] - b[i]);
        unsigned char *t = prev;
        prev = cur;
        cur = t;
    }
    size_t bound = libdeflate_zlib_compress_bound(c, raw_size);
    z = malloc(bound);
    if (!z) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %zux%zu PNG", width, height);
        goto out;
    }
    size_t zlen = libdeflate_zlib_compress(c, raw, raw_size, z, bound);
    if (zlen == 0) {
        st = gh_error(GH_ERR_INTERNAL, "PNG encoder: compressed data exceeds its bound");
        goto out;
    }
    free(raw);
    raw = NULL;
    st = put_png(width, height, 8, alpha ? 6 : 2, iccp, iccp_size, o->exif, o->exif_size, z, zlen, data,
                 size);
out:
    libdeflate_free_compressor(c);
    free(raw);
    free(rows);
    free(z);
    return st;
}

enum gh_status gh_io_encode_gray16(const struct gh_image *gray, unsigned char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    if (!gray || gray->channels != 1)
        return gh_error(GH_ERR_ARGUMENT, "16-bit gray PNG: needs a 1-channel image");
    size_t width = (size_t)gray->width, height = (size_t)gray->height;
    size_t stride = 1 + 2 * width, raw_size = stride * height;
    enum gh_status st = GH_OK;
    unsigned char *raw = malloc(raw_size), *z = NULL;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(FAST_DEFLATE_LEVEL);
    if (!raw || !c) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %zux%zu PNG", width, height);
        goto out;
    }
    for (size_t y = 0; y < height; y++) {
        unsigned char *d = raw + y * stride;
        const float *src = gray->data + y * width;
        d[0] = 0; /* filter None: maps are smooth, but this is a debugging product */
        for (size_t x = 0; x < width; x++) {
            float v = src[x] > 0.0f ? (src[x] < 1.0f ? src[x] : 1.0f) : 0.0f; /* NaN -> 0 */
            unsigned q = (unsigned)(v * 65535.0f + 0.5f);
            d[1 + 2 * x] = (unsigned char)(q >> 8);
            d[2 + 2 * x] = (unsigned char)q;
        }
    }
    size_t bound = libdeflate_zlib_compress_bound(c, raw_size);
    size_t zlen = (z = malloc(bound)) ? libdeflate_zlib_compress(c, raw, raw_size, z, bound) : 0;
    if (zlen == 0) {
        st = gh_error(z ? GH_ERR_INTERNAL : GH_ERR_NOMEM, "16-bit gray PNG: compression failed");
        goto out;
    }
    st = put_png(width, height, 16, 0, NULL, 0, NULL, 0, z, zlen, data, size);
out:
    libdeflate_free_compressor(c);
    free(raw);
    free(z);
    return st;
}

enum gh_status gh_io_png_encode(const struct gh_image *rgb, const struct gh_image *alpha,
                                const struct gh_encode_options *options, unsigned char **data,
                                size_t *size)
{
    *data = NULL;
    *size = 0;
    struct png_enc e = {0};
    enum gh_status st = GH_OK;
    if (options->icc_size) {
        st = gh_io_png_iccp_body(options->icc, options->icc_size, &e.iccp, &e.iccp_size);
        if (st != GH_OK)
            return st;
    }
    if (options->png == GH_PNG_FAST) {
        st = encode_fast(rgb, alpha, options, e.iccp, e.iccp_size, data, size);
        free(e.iccp);
        return st;
    }
    e.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &e, enc_error, enc_warning);
    if (!e.png) {
        free(e.iccp);
        return gh_error(GH_ERR_NOMEM, "no memory for a PNG encoder");
    }
    e.info = png_create_info_struct(e.png);
    if (!e.info) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a PNG encoder");
        goto out;
    }
    st = enc_run(&e, rgb, alpha, options);
    if (e.failed)
        st = gh_error(strstr(e.message, "memory") ? GH_ERR_NOMEM : GH_ERR_INTERNAL,
                      "PNG encoder: %s", e.message);
out:
    png_destroy_write_struct(&e.png, e.info ? &e.info : NULL);
    free(e.row);
    free(e.iccp);
    if (st == GH_OK) {
        *data = e.buf;
        *size = e.size;
    } else {
        free(e.buf);
    }
    return st;
}
