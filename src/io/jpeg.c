/* JPEG decoding and encoding with libjpeg-turbo's classic API.
 *
 * libjpeg reports fatal errors through error_exit, which we make longjmp back
 * into a small function holding the setjmp; all state that must survive the jump
 * lives in a context struct owned by the caller (see png.c for the same
 * pattern). Messages are recorded, never printed. */
#include "io/io_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

/* A progressive file can declare thousands of tiny scans, each costing a full
 * pass over the coefficients; real encoders use about ten. At most MAX_SCANS,
 * and on large images at most SCAN_WORK / (8x8 blocks) but never fewer than
 * MIN_SCANS. A pass costs 20-40 ns a block here (test_io_bombs), so the scans
 * of any file cost at most about 2 s, or on the largest images (100 MP, 2.3M
 * blocks at 4:2:0) 64 passes, 3-6 s, a few times their plain decoding. */
#define MAX_SCANS 1000
#define MIN_SCANS 64
#define SCAN_WORK 50000000.0

struct jpeg_err {
    struct jpeg_error_mgr pub; /* first, so the j_common_ptr's err can be cast back */
    jmp_buf jump;
    int failed;
    int code;              /* libjpeg message code of the failure */
    int too_many_scans;
    int max_scans;         /* set from the image's size after the header */
    char message[JMSG_LENGTH_MAX];
};

static void on_error_exit(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)(void *)cinfo->err;
    e->failed = 1;
    e->code = e->pub.msg_code;
    (*e->pub.format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

static void on_output_message(j_common_ptr cinfo)
{
    (void)cinfo; /* library code never prints */
}

/* Warnings are ignored except running out of data: libjpeg then pads the image
 * with gray and calls it a warning, but for us a truncated file is an error. */
static void on_emit_message(j_common_ptr cinfo, int level)
{
    struct jpeg_err *e = (struct jpeg_err *)(void *)cinfo->err;
    if (level < 0) {
        e->pub.num_warnings++;
        if (e->pub.msg_code == JWRN_JPEG_EOF)
            on_error_exit(cinfo);
    }
}

static void init_err(struct jpeg_err *e)
{
    jpeg_std_error(&e->pub);
    e->max_scans = MAX_SCANS;
    e->pub.error_exit = on_error_exit;
    e->pub.output_message = on_output_message;
    e->pub.emit_message = on_emit_message;
}

struct jpeg_dec {
    struct jpeg_err err;
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress;
    int created;
    const unsigned char *data;
    size_t size;
    uint64_t max_pixels;
    struct gh_picture *picture;
    unsigned char *row;
};

static void on_progress(j_common_ptr cinfo)
{
    if (!cinfo->is_decompressor)
        return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    struct jpeg_err *e = (struct jpeg_err *)(void *)cinfo->err;
    if (d->input_scan_number > e->max_scans) {
        e->too_many_scans = 1;
        e->failed = 1;
        snprintf(e->message, sizeof e->message, "JPEG has more than %d scans", e->max_scans);
        longjmp(e->jump, 1);
    }
}

/* Orientation from the first APP1 segment that is EXIF. */
static int find_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 6 || memcmp(m->data, "Exif\0\0", 6))
            continue;
        int o = gh_io_exif_orientation(m->data, m->data_length);
        return o ? o : 1;
    }
    return 1;
}

/* The EXIF of the first APP1 "Exif\0\0" segment and the ICC profile of the
 * APP2 "ICC_PROFILE\0" chunks, into the picture (see gh_picture). */
static enum gh_status find_metadata(j_decompress_ptr cinfo, struct gh_picture *picture)
{
    const unsigned char *chunks[255];
    size_t sizes[255], n = 0;
    int exif_done = 0, icc_bad = 0;
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && !exif_done && m->data_length >= 6 &&
            !memcmp(m->data, "Exif\0\0", 6)) {
            exif_done = 1;
            enum gh_status st = gh_io_exif_prepare(m->data + 6, m->data_length - 6,
                                                   &picture->exif, &picture->exif_size);
            if (st != GH_OK)
                return st;
        } else if (m->marker == JPEG_APP0 + 2 && m->data_length >= 12 &&
                   !memcmp(m->data, "ICC_PROFILE", 12)) {
            if (n == 255)
                icc_bad = 1; /* more chunks than sequence numbers */
            else {
                chunks[n] = m->data + 12;
                sizes[n++] = m->data_length - 12;
            }
        }
    }
    if (icc_bad || n == 0)
        return GH_OK;
    return gh_io_icc_assemble(chunks, sizes, n, &picture->icc, &picture->icc_size);
}

static enum gh_status dec_run(struct jpeg_dec *d)
{
    j_decompress_ptr cinfo = &d->cinfo;
    if (setjmp(d->err.jump))
        return GH_ERR_FORMAT; /* the caller words the detail */

    cinfo->err = &d->err.pub;
    jpeg_create_decompress(cinfo);
    d->created = 1;
    d->progress.progress_monitor = on_progress;
    cinfo->progress = &d->progress;
    jpeg_mem_src(cinfo, d->data, (unsigned long)d->size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_save_markers(cinfo, JPEG_APP0 + 2, 0xffff);
    jpeg_read_header(cinfo, TRUE);

    enum gh_status st = gh_io_check_size(cinfo->image_width, cinfo->image_height, d->max_pixels);
    if (st != GH_OK)
        return st;
    /* A Huffman-coded image spends at least one bit on every 8x8 block (its DC
     * code, in a baseline scan or a progressive DC scan), so fewer bits than
     * blocks cannot be a whole image. Refusing it here, from the header, keeps a
     * few hundred bytes declaring 100 MP from getting 1.5 GB allocated (our
     * planes, and a progressive file's coefficients) before the data runs out.
     * Arithmetic coding can spend far less than a bit a block (a flat 100 MP
     * image fits in a few hundred bytes), so no size is too small there. But
     * the arithmetic decoder reads ahead up to the EOI marker, and runs out of
     * data (JWRN_JPEG_EOF, an error for us) in any file that lacks it: such a
     * file is refused as truncated here, before those allocations. In
     * entropy-coded data 0xFF is followed by a stuffed 0 or a marker, so
     * FF D9 after the scan header is an EOI. */
    double blocks = 0.0;
    for (int c = 0; c < cinfo->num_components; c++)
        blocks += (double)cinfo->comp_info[c].width_in_blocks *
                  (double)cinfo->comp_info[c].height_in_blocks;
    if (!cinfo->arith_code && (double)d->size * 8.0 < blocks)
        return gh_error(GH_ERR_FORMAT,
                        "truncated JPEG data: %zu bytes cannot hold a %ux%u image (%.0f blocks)",
                        d->size, cinfo->image_width, cinfo->image_height, blocks);
    if (cinfo->arith_code &&
        !memmem(cinfo->src->next_input_byte, cinfo->src->bytes_in_buffer, "\xff\xd9", 2))
        return gh_error(GH_ERR_FORMAT,
                        "truncated JPEG data: no end-of-image marker after the arithmetic-coded "
                        "data of a %ux%u image", cinfo->image_width, cinfo->image_height);
    d->err.max_scans = blocks > SCAN_WORK / MAX_SCANS ? (int)(SCAN_WORK / blocks) : MAX_SCANS;
    if (d->err.max_scans < MIN_SCANS)
        d->err.max_scans = MIN_SCANS;

    int cmyk = 0, gray = 0;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        gray = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK; /* libjpeg turns YCCK into CMYK */
        cmyk = 1;
        break;
    default:
        cinfo->out_color_space = JCS_RGB;
        break;
    }
    /* Photoshop, the main source of CMYK JPEGs, stores inverted values (0 = full
     * ink) and marks its files with an Adobe APP14 segment. */
    int inverted = cmyk && cinfo->saw_Adobe_marker;
    int orientation = find_orientation(cinfo);

    jpeg_start_decompress(cinfo);
    int comps = cinfo->output_components;
    if (comps != (gray ? 1 : cmyk ? 4 : 3) || cinfo->output_width != cinfo->image_width ||
        cinfo->output_height != cinfo->image_height)
        return gh_error(GH_ERR_INTERNAL, "libjpeg gave %d components of %ux%u", comps,
                        cinfo->output_width, cinfo->output_height);

    int width = (int)cinfo->output_width, height = (int)cinfo->output_height;
    d->picture = calloc(1, sizeof *d->picture);
    if (!d->picture)
        return gh_error(GH_ERR_NOMEM, "no memory for a picture");
    d->picture->format = GH_FORMAT_JPEG;
    d->picture->bit_depth = 8;
    d->picture->orientation = 1;
    st = find_metadata(cinfo, d->picture);
    if (st == GH_OK)
        st = gh_image_new(width, height, 3, &d->picture->rgb);
    if (st != GH_OK)
        return st;
    d->row = malloc((size_t)width * (size_t)comps);
    if (!d->row)
        return gh_error(GH_ERR_NOMEM, "no memory for a JPEG row");

    struct gh_image *rgb = d->picture->rgb;
    float *r = gh_image_plane(rgb, 0), *g = gh_image_plane(rgb, 1), *b = gh_image_plane(rgb, 2);
    while (cinfo->output_scanline < cinfo->output_height) {
        size_t off = (size_t)cinfo->output_scanline * (size_t)width;
        JSAMPROW rows[1] = {d->row};
        if (jpeg_read_scanlines(cinfo, rows, 1) != 1)
            return gh_error(GH_ERR_FORMAT, "truncated JPEG data");
        const unsigned char *s = d->row;
        if (gray) {
            for (int x = 0; x < width; x++)
                r[off + x] = g[off + x] = b[off + x] = gh_io_unorm8(s[x]);
        } else if (cmyk) {
            for (int x = 0; x < width; x++, s += 4) {
                unsigned c = s[0], m = s[1], y = s[2], k = s[3];
                if (!inverted) {
                    c = 255 - c;
                    m = 255 - m;
                    y = 255 - y;
                    k = 255 - k;
                }
                /* Inverted c is the share of light the cyan ink lets through. */
                r[off + x] = (float)(c * k) / (255.0f * 255.0f);
                g[off + x] = (float)(m * k) / (255.0f * 255.0f);
                b[off + x] = (float)(y * k) / (255.0f * 255.0f);
            }
        } else {
            for (int x = 0; x < width; x++, s += 3) {
                r[off + x] = gh_io_unorm8(s[0]);
                g[off + x] = gh_io_unorm8(s[1]);
                b[off + x] = gh_io_unorm8(s[2]);
            }
        }
    }
    /* No jpeg_finish_decompress: every pixel is in, and insisting on the EOI
     * marker would reject files that browsers show whole. */
    return gh_io_apply_orientation(d->picture, orientation);
}

enum gh_status gh_io_jpeg_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out)
{
    *out = NULL;
    struct jpeg_dec *d = calloc(1, sizeof *d);
    if (!d)
        return gh_error(GH_ERR_NOMEM, "no memory for a JPEG decoder");
    d->data = data;
    d->size = size;
    d->max_pixels = max_pixels;
    init_err(&d->err);
    enum gh_status st = dec_run(d);
    if (d->err.failed) {
        int code = d->err.code;
        if (d->err.too_many_scans)
            st = gh_error(GH_ERR_UNSUPPORTED, "%s", d->err.message);
        else if (code == JWRN_JPEG_EOF)
            st = gh_error(GH_ERR_FORMAT, "truncated JPEG data");
        else if (code == JERR_INPUT_EMPTY)
            st = gh_error(GH_ERR_FORMAT, "empty file");
        else if (code == JERR_OUT_OF_MEMORY)
            st = gh_error(GH_ERR_NOMEM, "JPEG decoder: %s", d->err.message);
        else if (code == JERR_BAD_PRECISION || code == JERR_CONVERSION_NOTIMPL ||
                 code == JERR_NOT_COMPILED)
            st = gh_error(GH_ERR_UNSUPPORTED, "unsupported JPEG: %s", d->err.message);
        else if (code == JERR_EMPTY_IMAGE)
            st = gh_error(GH_ERR_FORMAT,
                          "JPEG header gives a zero width or height (DNL markers are not supported)");
        else if (code == JERR_IMAGE_TOO_BIG)
            st = gh_error(GH_ERR_TOO_LARGE, "JPEG too large: %s", d->err.message);
        else
            st = gh_error(GH_ERR_FORMAT, "corrupt JPEG data: %s", d->err.message);
    }
    if (d->created)
        jpeg_destroy_decompress(&d->cinfo);
    free(d->row);
    if (st == GH_OK)
        *out = d->picture;
    else
        gh_picture_free(d->picture);
    free(d);
    return st;
}

/* Encoding: a destination manager writing into a buffer we own, so an error
 * midway cannot strand libjpeg's own (jpeg_mem_dest) allocation. */
struct jpeg_enc {
    struct jpeg_err err;
    struct jpeg_compress_struct cinfo;
    struct jpeg_destination_mgr dest;
    int created;
    unsigned char *buf;
    size_t cap;
    size_t size; /* final size, set by term_destination */
    unsigned char *row; /* one iMCU row of Y, Cb and Cr samples */
    float *scratch;
};

static void dest_init(j_compress_ptr cinfo)
{
    struct jpeg_enc *e = (struct jpeg_enc *)cinfo->client_data;
    e->dest.next_output_byte = e->buf;
    e->dest.free_in_buffer = e->cap;
}

static boolean dest_empty(j_compress_ptr cinfo)
{
    /* Called when the whole buffer is full (free_in_buffer is 0). */
    struct jpeg_enc *e = (struct jpeg_enc *)cinfo->client_data;
    size_t cap = e->cap * 2;
    unsigned char *grown = cap > e->cap ? realloc(e->buf, cap) : NULL;
    if (!grown)
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 99);
    e->dest.next_output_byte = grown + e->cap;
    e->dest.free_in_buffer = cap - e->cap;
    e->buf = grown;
    e->cap = cap;
    return TRUE;
}

static void dest_term(j_compress_ptr cinfo)
{
    struct jpeg_enc *e = (struct jpeg_enc *)cinfo->client_data;
    e->size = e->cap - e->dest.free_in_buffer;
}

/* The metadata segments (gh_encode_options), right after the JFIF APP0 that
 * jpeg_start_compress wrote. Too large for its container: left out. */
static void write_metadata(j_compress_ptr cinfo, const struct gh_encode_options *o)
{
    if (o->exif_size && o->exif_size <= GH_IO_JPEG_EXIF_MAX) {
        jpeg_write_m_header(cinfo, JPEG_APP0 + 1, (unsigned)(6 + o->exif_size));
        for (size_t i = 0; i < 6; i++)
            jpeg_write_m_byte(cinfo, "Exif\0\0"[i]);
        for (size_t i = 0; i < o->exif_size; i++)
            jpeg_write_m_byte(cinfo, o->exif[i]);
    }
    size_t chunks = (o->icc_size + GH_IO_JPEG_ICC_CHUNK - 1) / GH_IO_JPEG_ICC_CHUNK;
    if (chunks == 0 || chunks > 255)
        return;
    for (size_t c = 0; c < chunks; c++) {
        size_t at = c * GH_IO_JPEG_ICC_CHUNK, len = o->icc_size - at;
        if (len > GH_IO_JPEG_ICC_CHUNK)
            len = GH_IO_JPEG_ICC_CHUNK;
        jpeg_write_m_header(cinfo, JPEG_APP0 + 2, (unsigned)(14 + len));
        for (size_t i = 0; i < 12; i++)
            jpeg_write_m_byte(cinfo, "ICC_PROFILE"[i]); /* with its NUL */
        jpeg_write_m_byte(cinfo, (int)(c + 1));
        jpeg_write_m_byte(cinfo, (int)chunks);
        for (size_t i = 0; i < len; i++)
            jpeg_write_m_byte(cinfo, o->icc[at + i]);
    }
}

static enum gh_status enc_run(struct jpeg_enc *e, const struct gh_image *rgb,
                              const struct gh_encode_options *o)
{
    int quality = o->quality;
    enum gh_jpeg_chroma chroma = o->chroma;
    j_compress_ptr cinfo = &e->cinfo;
    if (setjmp(e->err.jump))
        return GH_ERR_INTERNAL; /* the caller words the detail */

    cinfo->err = &e->err.pub;
    jpeg_create_compress(cinfo);
    e->created = 1;
    cinfo->client_data = e;
    size_t width = (size_t)rgb->width;
    /* About twice a typical quality-92 4:2:0 file, so the buffer rarely grows
     * (each growth copies everything written so far). */
    e->cap = width * (size_t)rgb->height / 4;
    if (e->cap < 65536)
        e->cap = 65536;
    e->buf = malloc(e->cap);
    if (!e->buf)
        return gh_error(GH_ERR_NOMEM, "no memory for a JPEG encoder");
    e->dest.init_destination = dest_init;
    e->dest.empty_output_buffer = dest_empty;
    e->dest.term_destination = dest_term;
    cinfo->dest = &e->dest;

    cinfo->image_width = (JDIMENSION)rgb->width;
    cinfo->image_height = (JDIMENSION)rgb->height;
    cinfo->input_components = 3;
    cinfo->in_color_space = JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    /* Standard Huffman tables (jpeg_set_defaults): optimized ones need a second
     * pass over the image, about 2x the encoding time for 3-4% smaller files
     * (tools/BENCHMARKS.md, "Image I/O"). The chroma choice is the caller's. */
    int sub = chroma == GH_CHROMA_444 ? 1 : 2;
    cinfo->comp_info[0].h_samp_factor = sub;
    cinfo->comp_info[0].v_samp_factor = sub;
    cinfo->comp_info[1].h_samp_factor = cinfo->comp_info[1].v_samp_factor = 1;
    cinfo->comp_info[2].h_samp_factor = cinfo->comp_info[2].v_samp_factor = 1;
    /* Raw data in: we hand libjpeg Y, Cb and Cr planes made straight from the
     * floats (gh_io_ycc_rows), which reads the image once and replaces both our
     * conversion to 8-bit RGB and libjpeg's color conversion and downsampling. */
    cinfo->raw_data_in = TRUE;
    jpeg_start_compress(cinfo, TRUE);
    write_metadata(cinfo, o);

    /* One iMCU row per call: 16 image rows at 4:2:0, 8 at 4:4:4. Components are
     * padded to whole blocks (libjpeg reads them) by repeating the last column
     * and, past the image's end, the last row. */
    int lines = sub * DCTSIZE;
    size_t yw = (size_t)cinfo->comp_info[0].width_in_blocks * DCTSIZE;
    size_t cw = (size_t)cinfo->comp_info[1].width_in_blocks * DCTSIZE;
    size_t real_cw = sub == 2 ? (width + 1) / 2 : width;
    e->row = malloc(yw * (size_t)lines + 2 * cw * DCTSIZE);
    e->scratch = malloc(3 * width * sizeof *e->scratch);
    if (!e->row || !e->scratch)
        return gh_error(GH_ERR_NOMEM, "no memory for a JPEG encoder");
    JSAMPROW yrows[2 * DCTSIZE], cbrows[DCTSIZE], crrows[DCTSIZE];
    for (int i = 0; i < lines; i++)
        yrows[i] = e->row + (size_t)i * yw;
    for (int i = 0; i < DCTSIZE; i++) {
        cbrows[i] = e->row + yw * (size_t)lines + (size_t)i * cw;
        crrows[i] = cbrows[i] + cw * DCTSIZE;
    }
    JSAMPARRAY planes[3] = {yrows, cbrows, crrows};
    int height = rgb->height;
    for (int base = 0; base < height; base += lines) {
        for (int i = 0; i < DCTSIZE; i++) {
            int y = base + i * sub;
            JSAMPROW y0 = yrows[i * sub], y1 = sub == 2 ? yrows[i * 2 + 1] : NULL;
            if (y < height) {
                gh_io_ycc_rows(rgb, y, sub == 2, e->scratch, y0, y1, cbrows[i], crrows[i]);
                for (size_t x = width; x < yw; x++) {
                    y0[x] = y0[width - 1];
                    if (y1)
                        y1[x] = y1[width - 1];
                }
                for (size_t x = real_cw; x < cw; x++) {
                    cbrows[i][x] = cbrows[i][real_cw - 1];
                    crrows[i][x] = crrows[i][real_cw - 1];
                }
            } else { /* below the image: repeat the last row */
                JSAMPROW above = yrows[i * sub - 1];
                memcpy(y0, above, yw);
                if (y1)
                    memcpy(y1, above, yw);
                memcpy(cbrows[i], cbrows[i - 1], cw);
                memcpy(crrows[i], crrows[i - 1], cw);
            }
        }
        jpeg_write_raw_data(cinfo, planes, (JDIMENSION)lines);
    }
    jpeg_finish_compress(cinfo);
    return GH_OK;
}

enum gh_status gh_io_jpeg_encode(const struct gh_image *rgb,
                                 const struct gh_encode_options *options, unsigned char **data,
                                 size_t *size)
{
    *data = NULL;
    *size = 0;
    if (rgb->width > JPEG_MAX_DIMENSION || rgb->height > JPEG_MAX_DIMENSION)
        return gh_error(GH_ERR_TOO_LARGE, "image is %dx%d, over JPEG's limit of %d pixels a side",
                        rgb->width, rgb->height, (int)JPEG_MAX_DIMENSION);
    struct jpeg_enc *e = calloc(1, sizeof *e);
    if (!e)
        return gh_error(GH_ERR_NOMEM, "no memory for a JPEG encoder");
    init_err(&e->err);
    enum gh_status st = enc_run(e, rgb, options);
    if (e->err.failed)
        st = gh_error(e->err.code == JERR_OUT_OF_MEMORY ? GH_ERR_NOMEM : GH_ERR_INTERNAL,
                      "JPEG encoder: %s", e->err.message);
    if (e->created)
        jpeg_destroy_compress(&e->cinfo);
    free(e->row);
    free(e->scratch);
    if (st == GH_OK) {
        *data = e->buf;
        *size = e->size;
    } else {
        free(e->buf);
    }
    free(e);
    return st;
}
