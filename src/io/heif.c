/* HEIC/HEIF and AVIF through libheif: sniffing (always built) and decoding.
 *
 * libheif reports errors as returned structs, never by longjmp, and applies the
 * file's geometric transforms (irot, imir, clap) itself. Those properties, not
 * EXIF, are what orient a HEIF image: the HEIF specification says EXIF
 * orientation is informative only, and writers (iPhones) store the rotation in
 * irot. So the EXIF orientation is never applied here, only reset to 1 in the
 * copy kept for output, or a rotated photo would be turned twice. */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The brand's format: HEIF for the HEVC image brands and the generic MIAF
 * ones (mif1/msf1, which AVIF files list too, so AVIF wins when named). */
static enum gh_format brand_format(const unsigned char *b)
{
    static const char heif[][5] = {"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs",
                                   "mif1", "msf1"};
    if (!memcmp(b, "avif", 4) || !memcmp(b, "avis", 4))
        return GH_FORMAT_AVIF;
    for (size_t i = 0; i < sizeof heif / sizeof heif[0]; i++)
        if (!memcmp(b, heif[i], 4))
            return GH_FORMAT_HEIF;
    return GH_FORMAT_UNKNOWN;
}

enum gh_format gh_io_sniff_heif(const unsigned char *data, size_t size)
{
    if (!data || size < 16 || memcmp(data + 4, "ftyp", 4) != 0)
        return GH_FORMAT_UNKNOWN;
    size_t box = be32(data);
    if (box < 16 || box > size)
        box = size; /* a truncated file is still recognized; its decoder says what is wrong */
    enum gh_format found = brand_format(data + 8);
    /* Compatible brands follow the major brand and the minor version. */
    for (size_t at = 16; at + 4 <= box && found != GH_FORMAT_AVIF; at += 4) {
        enum gh_format f = brand_format(data + at);
        if (f != GH_FORMAT_UNKNOWN)
            found = f;
    }
    return found;
}

#ifndef GH_HAVE_HEIF

enum gh_status gh_io_heif_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out)
{
    (void)max_pixels;
    *out = NULL;
    return gh_error(GH_ERR_UNSUPPORTED, "%s image, but this ghiblify was built without libheif "
                    "(GH_WITH_HEIF=OFF)",
                    gh_io_sniff_heif(data, size) == GH_FORMAT_AVIF ? "AVIF" : "HEIF");
}

#else

#include <libheif/heif.h>

/* libheif's error as ours: "truncated" for data ending early (what a cut-off
 * download gives), "unsupported" for features, "corrupt" for the rest. */
static enum gh_status heif_status(struct heif_error err, const char *kind)
{
    if (err.subcode == heif_suberror_End_of_data)
        return gh_error(GH_ERR_FORMAT, "truncated %s data", kind);
    if (err.code == heif_error_Unsupported_feature || err.code == heif_error_Unsupported_filetype)
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported %s: %s", kind, err.message);
    if (err.code == heif_error_Memory_allocation_error)
        return gh_error(GH_ERR_NOMEM, "no memory to decode the %s image", kind);
    return gh_error(GH_ERR_FORMAT, "corrupt %s data: %s", kind, err.message);
}

/* The first Exif block's TIFF structure: the block starts with a 4-byte
 * big-endian offset from its end to the TIFF header (ISO/IEC 23008-12 A.2.1). */
static enum gh_status find_exif(const struct heif_image_handle *handle, struct gh_picture *picture)
{
    heif_item_id id;
    if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) < 1)
        return GH_OK;
    size_t n = heif_image_handle_get_metadata_size(handle, id);
    if (n < 4 + 8 || n > GH_IO_EXIF_MAX_BYTES + 4096)
        return GH_OK; /* dropped, as gh_picture says of malformed or oversized EXIF */
    unsigned char *block = malloc(n);
    if (!block)
        return gh_error(GH_ERR_NOMEM, "no memory for %zu bytes of EXIF", n);
    enum gh_status st = GH_OK;
    if (heif_image_handle_get_metadata(handle, id, block).code == heif_error_Ok) {
        size_t skip = be32(block);
        if (skip < n - 4)
            st = gh_io_exif_prepare(block + 4 + skip, n - 4 - skip, &picture->exif,
                                    &picture->exif_size);
    }
    free(block);
    return st;
}

/* Coded colors (an nclx colr box) with primaries other than sRGB's BT.709 and
 * the sRGB curve (or none said) get a profile built from them, so they are
 * converted like an embedded one: AVIF encoders write Display P3 this way.
 * Other curves (PQ, HLG: HDR) are not handled and stay as they are. */
static enum gh_status nclx_icc(const struct heif_image_handle *handle, struct gh_picture *picture)
{
    struct heif_color_profile_nclx *nclx = NULL;
    if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code != heif_error_Ok || !nclx)
        return GH_OK;
    enum gh_status st = GH_OK;
    int primaries = nclx->color_primaries, transfer = nclx->transfer_characteristics;
    if (primaries != heif_color_primaries_ITU_R_BT_709_5 &&
        primaries != heif_color_primaries_unspecified &&
        (transfer == heif_transfer_characteristic_IEC_61966_2_1 ||
         transfer == heif_transfer_characteristic_unspecified)) {
        const float xy[8] = {nclx->color_primary_red_x,   nclx->color_primary_red_y,
                             nclx->color_primary_green_x, nclx->color_primary_green_y,
                             nclx->color_primary_blue_x,  nclx->color_primary_blue_y,
                             nclx->color_primary_white_x, nclx->color_primary_white_y};
        st = gh_io_icc_from_primaries(xy, &picture->icc, &picture->icc_size);
    }
    heif_nclx_color_profile_free(nclx);
    return st;
}

static enum gh_status find_icc(const struct heif_image_handle *handle, struct gh_picture *picture)
{
    enum heif_color_profile_type type = heif_image_handle_get_color_profile_type(handle);
    if (type == heif_color_profile_type_nclx)
        return nclx_icc(handle, picture);
    if (type != heif_color_profile_type_prof && type != heif_color_profile_type_rICC)
        return GH_OK; /* none: taken as sRGB */
    size_t n = heif_image_handle_get_raw_color_profile_size(handle);
    if (n < 128 || n > GH_IO_ICC_MAX_BYTES)
        return GH_OK;
    unsigned char *icc = malloc(n);
    if (!icc)
        return gh_error(GH_ERR_NOMEM, "no memory for a %zu-byte ICC profile", n);
    if (heif_image_handle_get_raw_color_profile(handle, icc).code != heif_error_Ok ||
        !gh_io_icc_usable(icc, n)) {
        free(icc);
        return GH_OK;
    }
    picture->icc = icc;
    picture->icc_size = n;
    return GH_OK;
}

/* Interleaved 8-bit or little-endian 16-bit (bits significant) samples into the
 * picture's planes. */
static void copy_pixels(const uint8_t *src, int stride, int width, int height, int channels,
                        int bits, struct gh_picture *picture)
{
    float *plane[4] = {gh_image_plane(picture->rgb, 0), gh_image_plane(picture->rgb, 1),
                       gh_image_plane(picture->rgb, 2),
                       picture->alpha ? gh_image_plane(picture->alpha, 0) : NULL};
    float scale = 1.0f / (float)((1u << bits) - 1);
    for (int y = 0; y < height; y++) {
        const uint8_t *row = src + (size_t)y * (size_t)stride;
        size_t off = (size_t)y * (size_t)width;
        for (int x = 0; x < width; x++)
            for (int c = 0; c < channels; c++) {
                size_t i = (size_t)x * (size_t)channels + (size_t)c;
                /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): channels is 4 only with alpha */
                plane[c][off + x] = bits == 8 ? gh_io_unorm8(row[i])
                                              : (float)(row[2 * i] | row[2 * i + 1] << 8) * scale;
            }
    }
}

static int have_decoder(const char *id)
{
    const struct heif_decoder_descriptor *d[8];
    int n = heif_get_decoder_descriptors(heif_compression_AV1, d, 8);
    for (int i = 0; i < n; i++)
        if (!strcmp(heif_decoder_descriptor_get_id_name(d[i]), id))
            return 1;
    return 0;
}

enum gh_status gh_io_heif_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out)
{
    *out = NULL;
    const char *kind = gh_io_sniff_heif(data, size) == GH_FORMAT_AVIF ? "AVIF" : "HEIF";
    struct heif_context *ctx = heif_context_alloc();
    struct heif_image_handle *handle = NULL;
    struct heif_image *img = NULL;
    struct heif_decoding_options *dopt = NULL;
    struct gh_picture *pic = NULL;
    enum gh_status st;
    if (!ctx)
        return gh_error(GH_ERR_NOMEM, "no memory for a %s decoder", kind);
    /* libheif's own cap, for the tiles of grid images it allocates itself. */
    heif_context_set_maximum_image_size_limit(ctx, GH_IMAGE_MAX_SIDE + 1);
    struct heif_error err = heif_context_read_from_memory_without_copy(ctx, data, size, NULL);
    if (err.code == heif_error_Ok)
        err = heif_context_get_primary_image_handle(ctx, &handle);
    if (err.code != heif_error_Ok) {
        st = heif_status(err, kind);
        goto out;
    }
    int width = heif_image_handle_get_width(handle), height = heif_image_handle_get_height(handle);
    if ((st = gh_io_check_size(width > 0 ? (uint64_t)width : 0, height > 0 ? (uint64_t)height : 0,
                               max_pixels)) != GH_OK)
        goto out;
    int has_alpha = heif_image_handle_has_alpha_channel(handle) != 0;
    int deep = heif_image_handle_get_luma_bits_per_pixel(handle) > 8;
    enum heif_chroma chroma = deep ? (has_alpha ? heif_chroma_interleaved_RRGGBBAA_LE
                                                : heif_chroma_interleaved_RRGGBB_LE)
                                   : (has_alpha ? heif_chroma_interleaved_RGBA
                                                : heif_chroma_interleaved_RGB);
    if (!(dopt = heif_decoding_options_alloc())) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %s decoder", kind);
        goto out;
    }
    /* Without it, a cut-off HEVC stream decodes to gray padding with a warning. */
    dopt->strict_decoding = 1;
    /* dav1d, libheif's first choice for AV1, prints its parse errors to stderr
     * (libheif sets no logger), which would break the one-line error of a
     * corrupt AVIF; libaom returns them. */
    if (!strcmp(kind, "AVIF") && have_decoder("aom"))
        dopt->decoder_id = "aom";
    err = heif_decode_image(handle, &img, heif_colorspace_RGB, chroma, dopt);
    if (err.code != heif_error_Ok) {
        st = heif_status(err, kind);
        goto out;
    }
    int stride = 0;
    const uint8_t *pixels = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
    int w = heif_image_get_width(img, heif_channel_interleaved);
    int h = heif_image_get_height(img, heif_channel_interleaved);
    int bits = heif_image_get_bits_per_pixel_range(img, heif_channel_interleaved);
    if (!pixels || w <= 0 || h <= 0 || (uint64_t)w * (uint64_t)h > (uint64_t)width * (uint64_t)height ||
        bits < 8 || bits > 16 || (!deep && bits != 8)) {
        st = gh_error(GH_ERR_INTERNAL, "libheif gave a %dx%d image of %d bits", w, h, bits);
        goto out;
    }
    if (!(pic = calloc(1, sizeof *pic))) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a picture");
        goto out;
    }
    pic->format = gh_io_sniff_heif(data, size);
    pic->bit_depth = bits > 8 ? 16 : 8;
    pic->orientation = 1;
    if ((st = gh_image_new_uninit(w, h, 3, &pic->rgb)) != GH_OK ||
        (has_alpha && (st = gh_image_new_uninit(w, h, 1, &pic->alpha)) != GH_OK))
        goto out;
    copy_pixels(pixels, stride, w, h, has_alpha ? 4 : 3, bits, pic);
    if ((st = find_exif(handle, pic)) != GH_OK || (st = find_icc(handle, pic)) != GH_OK)
        goto out;
    *out = pic;
    pic = NULL;
out:
    gh_picture_free(pic);
    heif_decoding_options_free(dopt);
    heif_image_release(img);
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    return st;
}

#endif
