/* Helpers shared by the test_io_*.c tests: writing PNG and JPEG files with
 * libpng / libjpeg directly (independently of src/io/), into memory.
 * Errors in these writers abort the test (libpng aborts, libjpeg exits), which is
 * fine for test code and keeps setjmp out of it. */
#ifndef GH_TEST_IO_UTIL_H
#define GH_TEST_IO_UTIL_H

#include <png.h>
#include "check.h"
#include "ghiblify/io.h"
#include <stdio.h>
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tbuf {
    unsigned char *data;
    size_t size, cap;
};

static inline void tbuf_append(struct tbuf *b, const void *bytes, size_t n)
{
    if (b->size + n > b->cap || !b->data) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->size + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort();
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->size, bytes, n);
    b->size += n;
}

static inline void tbuf_png_write(png_structp png, png_bytep bytes, size_t n)
{
    tbuf_append(png_get_io_ptr(png), bytes, n);
}

static inline void tbuf_png_flush(png_structp png)
{
    (void)png;
}

/* A PNG description for test_png_write. rows holds height rows of packed
 * samples exactly as PNG stores them (16-bit big-endian, sub-byte MSB first). */
struct tpng {
    int width, height, depth, color, interlace;
    const png_color *palette;
    int npalette;
    const png_byte *trns; /* palette alpha, ntrns entries */
    int ntrns;
    const png_color_16 *trns_color; /* gray/RGB transparent color, or NULL */
    unsigned char **rows;
};

static inline void test_png_write(const struct tpng *p, struct tbuf *out)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!png || !info)
        abort();
    png_set_write_fn(png, out, tbuf_png_write, tbuf_png_flush);
    png_set_IHDR(png, info, (png_uint_32)p->width, (png_uint_32)p->height, p->depth, p->color,
                 p->interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (p->palette)
        png_set_PLTE(png, info, p->palette, p->npalette);
    if (p->trns || p->trns_color)
        png_set_tRNS(png, info, p->trns, p->ntrns, p->trns_color);
    png_write_info(png, info);
    png_write_image(png, p->rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
}

/* Writes a JPEG of width x height with comps interleaved 8-bit samples in
 * color space cs. progressive: jpeg_simple_progression. adobe: -1 leaves
 * libjpeg's default, 0/1 forces the Adobe APP14 marker off/on. app1 (if not NULL)
 * is written as an APP1 segment. The result is malloc'd (free()). */
static inline void test_jpeg_write(int width, int height, int comps, J_COLOR_SPACE cs,
                                   const unsigned char *pixels, int quality, int full_chroma,
                                   int progressive, int adobe, const unsigned char *app1,
                                   size_t app1_size, unsigned char **data, size_t *size)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &buf, &len);
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = comps;
    c.in_color_space = cs;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (full_chroma)
        for (int i = 0; i < c.num_components; i++)
            c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    if (progressive)
        jpeg_simple_progression(&c);
    if (adobe >= 0)
        c.write_Adobe_marker = adobe ? TRUE : FALSE;
    jpeg_start_compress(&c, TRUE);
    if (app1)
        jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_size);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)c.next_scanline * (size_t)width * (size_t)comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *data = buf;
    *size = len;
}

/* The same JPEG with arithmetic instead of Huffman coding (as jpegtran
 * -arithmetic): the coefficients, and so the pixels, are unchanged; sequential
 * stays sequential (SOF9), progressive stays progressive (SOF10) with the same
 * scans. The result is malloc'd (free()). */
static inline void test_jpeg_to_arith(const unsigned char *data, size_t size, unsigned char **out,
                                      size_t *out_size)
{
    struct jpeg_decompress_struct d;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr derr, cerr;
    d.err = jpeg_std_error(&derr);
    c.err = jpeg_std_error(&cerr);
    jpeg_create_decompress(&d);
    jpeg_create_compress(&c);
    jpeg_mem_src(&d, data, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    jvirt_barray_ptr *coefs = jpeg_read_coefficients(&d);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &buf, &len);
    jpeg_copy_critical_parameters(&d, &c);
    c.arith_code = TRUE;
    c.optimize_coding = FALSE;
    if (d.progressive_mode)
        jpeg_simple_progression(&c);
    jpeg_write_coefficients(&c, coefs);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    *out = buf;
    *out_size = len;
}

/* Decodes a JPEG with libjpeg directly into interleaved bytes of out_cs. */
static inline unsigned char *test_jpeg_read(const unsigned char *data, size_t size,
                                            J_COLOR_SPACE out_cs, int *width, int *height,
                                            int *comps)
{
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    d.out_color_space = out_cs;
    jpeg_start_decompress(&d);
    *width = (int)d.output_width;
    *height = (int)d.output_height;
    *comps = d.output_components;
    size_t stride = (size_t)d.output_width * (size_t)d.output_components;
    unsigned char *px = malloc(stride * d.output_height);
    if (!px)
        abort();
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = px + stride * d.output_scanline;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return px;
}

/* Sends stderr into an anonymous temporary file until stderr_capture_end, which
 * returns how many bytes were written there (libraries must print nothing). */
struct stderr_capture {
    FILE *file;
    int saved;
};

static inline struct stderr_capture stderr_capture_begin(void)
{
    struct stderr_capture c = {tmpfile(), -1};
    if (!c.file)
        abort();
    (void)fflush(stderr);
    c.saved = dup(STDERR_FILENO);
    dup2(fileno(c.file), STDERR_FILENO);
    return c;
}

static inline long stderr_capture_end(struct stderr_capture c)
{
    (void)fflush(stderr);
    dup2(c.saved, STDERR_FILENO);
    close(c.saved);
    struct stat sb;
    long size = fstat(fileno(c.file), &sb) == 0 ? (long)sb.st_size : -1;
    (void)fclose(c.file);
    return size;
}

/* The bytes of tests/data/NAME (a failed check, and NULL, if unreadable). */
static inline unsigned char *read_fixture(const char *name, size_t *size)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/%s", name);
    unsigned char *data = NULL;
    enum gh_status st = gh_io_read_all(check_source_path(rel), (size_t)1 << 24, &data, size);
    CHECK_MSG(st == GH_OK, "%s: %s", name, gh_error_detail());
    return data;
}

#endif
