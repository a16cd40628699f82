/* WebP through libwebp: decoding (still images, lossy or lossless, with alpha,
 * EXIF and ICCP chunks) and lossy encoding with the metadata muxed back in.
 *
 * libwebp reports errors by return values; nothing here longjmps. EXIF
 * orientation is applied as for JPEG (Chromium and Firefox do so for WebP). */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

#ifndef GH_HAVE_WEBP

enum gh_status gh_io_webp_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out)
{
    (void)data, (void)size, (void)max_pixels;
    *out = NULL;
    return gh_error(GH_ERR_UNSUPPORTED, "WebP image, but this ghiblify was built without libwebp "
                    "(GH_WITH_WEBP=OFF)");
}

enum gh_status gh_io_webp_encode(const struct gh_image *rgb, const struct gh_image *alpha,
                                 const struct gh_encode_options *options, unsigned char **data,
                                 size_t *size)
{
    (void)rgb, (void)alpha, (void)options;
    *data = NULL;
    *size = 0;
    return gh_error(GH_ERR_UNSUPPORTED, "cannot write WebP: this ghiblify was built without "
                    "libwebp (GH_WITH_WEBP=OFF)");
}

#else

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

/* WebP's format limit on a side (14-bit dimensions). */
#define WEBP_MAX_SIDE 16383

/* EXIF and ICC from the extended format's chunks. An EXIF chunk should hold a
 * bare TIFF structure, but some writers put JPEG's "Exif\0\0" in front. */
static enum gh_status find_metadata(const unsigned char *data, size_t size,
                                    struct gh_picture *picture, int *orientation)
{
    *orientation = 0;
    WebPData whole = {data, size};
    WebPDemuxer *demux = WebPDemux(&whole);
    if (!demux)
        return GH_OK; /* the decoder has already accepted the image: metadata is optional */
    enum gh_status st = GH_OK;
    WebPChunkIterator it;
    if (WebPDemuxGetChunk(demux, "EXIF", 1, &it)) {
        const unsigned char *exif = it.chunk.bytes;
        size_t n = it.chunk.size;
        if (n >= 6 && memcmp(exif, "Exif\0\0", 6) == 0)
            exif += 6, n -= 6;
        *orientation = gh_io_exif_tiff_orientation(exif, n);
        st = gh_io_exif_prepare(exif, n, &picture->exif, &picture->exif_size);
        WebPDemuxReleaseChunkIterator(&it);
    }
    if (st == GH_OK && WebPDemuxGetChunk(demux, "ICCP", 1, &it)) {
        if (gh_io_icc_usable(it.chunk.bytes, it.chunk.size)) {
            if ((picture->icc = malloc(it.chunk.size))) {
                memcpy(picture->icc, it.chunk.bytes, it.chunk.size);
                picture->icc_size = it.chunk.size;
            } else {
                st = gh_error(GH_ERR_NOMEM, "no memory for a %zu-byte ICC profile", it.chunk.size);
            }
        }
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(demux);
    return st;
}

enum gh_status gh_io_webp_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out)
{
    *out = NULL;
    WebPBitstreamFeatures f;
    VP8StatusCode vs = WebPGetFeatures(data, size, &f);
    if (vs == VP8_STATUS_NOT_ENOUGH_DATA)
        return gh_error(GH_ERR_FORMAT, "truncated WebP data");
    if (vs != VP8_STATUS_OK)
        return gh_error(GH_ERR_FORMAT, "corrupt WebP data: bad header (libwebp status %d)", (int)vs);
    if (f.has_animation)
        return gh_error(GH_ERR_UNSUPPORTED, "animated WebP is not supported");
    enum gh_status st = gh_io_check_size(f.width > 0 ? (uint64_t)f.width : 0,
                                         f.height > 0 ? (uint64_t)f.height : 0, max_pixels);
    if (st != GH_OK)
        return st;
    int channels = f.has_alpha ? 4 : 3;
    size_t stride = (size_t)f.width * (size_t)channels, bytes = stride * (size_t)f.height;
    struct gh_picture *pic = NULL;
    unsigned char *pixels = malloc(bytes);
    if (!pixels)
        return gh_error(GH_ERR_NOMEM, "no memory for a %dx%d WebP image", f.width, f.height);
    uint8_t *ok = f.has_alpha ? WebPDecodeRGBAInto(data, size, pixels, bytes, (int)stride)
                              : WebPDecodeRGBInto(data, size, pixels, bytes, (int)stride);
    if (!ok) {
        /* Decoding again incrementally tells a cut-off stream from a bad one. */
        WebPIDecoder *idec = WebPINewRGB(f.has_alpha ? MODE_RGBA : MODE_RGB, pixels, bytes,
                                         (int)stride);
        vs = idec ? WebPIAppend(idec, data, size) : VP8_STATUS_OUT_OF_MEMORY;
        WebPIDelete(idec);
        st = vs == VP8_STATUS_SUSPENDED || vs == VP8_STATUS_NOT_ENOUGH_DATA
                 ? gh_error(GH_ERR_FORMAT, "truncated WebP data")
                 : gh_error(GH_ERR_FORMAT, "corrupt WebP data (libwebp status %d)", (int)vs);
        goto out;
    }
    if (!(pic = calloc(1, sizeof *pic))) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a picture");
        goto out;
    }
    pic->format = GH_FORMAT_WEBP;
    pic->bit_depth = 8;
    pic->orientation = 1;
    if ((st = gh_image_new_uninit(f.width, f.height, 3, &pic->rgb)) != GH_OK ||
        (f.has_alpha && (st = gh_image_new_uninit(f.width, f.height, 1, &pic->alpha)) != GH_OK))
        goto out;
    float *plane[4] = {gh_image_plane(pic->rgb, 0), gh_image_plane(pic->rgb, 1),
                       gh_image_plane(pic->rgb, 2), pic->alpha ? gh_image_plane(pic->alpha, 0) : NULL};
    size_t n = (size_t)f.width * (size_t)f.height;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
            /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): channels is 4 only with alpha */
            plane[c][i] = gh_io_unorm8(pixels[i * (size_t)channels + (size_t)c]);
    int orientation;
    if ((st = find_metadata(data, size, pic, &orientation)) != GH_OK ||
        (st = gh_io_apply_orientation(pic, orientation)) != GH_OK)
        goto out;
    *out = pic;
    pic = NULL;
out:
    gh_picture_free(pic);
    free(pixels);
    return st;
}

/* The bitstream with EXIF and ICCP chunks added (VP8X container), into a
 * malloc'd buffer. */
static enum gh_status mux_metadata(const WebPMemoryWriter *bitstream,
                                   const struct gh_encode_options *o, unsigned char **data,
                                   size_t *size)
{
    WebPData in = {bitstream->mem, bitstream->size}, assembled = {NULL, 0};
    WebPMux *mux = WebPMuxCreate(&in, 0);
    enum gh_status st = GH_OK;
    if (!mux)
        return gh_error(GH_ERR_NOMEM, "no memory to add metadata to the WebP file");
    WebPData exif = {o->exif, o->exif_size}, icc = {o->icc, o->icc_size};
    if ((o->exif_size && WebPMuxSetChunk(mux, "EXIF", &exif, 0) != WEBP_MUX_OK) ||
        (o->icc_size && WebPMuxSetChunk(mux, "ICCP", &icc, 0) != WEBP_MUX_OK) ||
        WebPMuxAssemble(mux, &assembled) != WEBP_MUX_OK) {
        st = gh_error(GH_ERR_NOMEM, "cannot add metadata to the WebP file");
        goto out;
    }
    if (!(*data = malloc(assembled.size))) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %zu-byte WebP file", assembled.size);
        goto out;
    }
    memcpy(*data, assembled.bytes, assembled.size);
    *size = assembled.size;
out:
    WebPDataClear(&assembled);
    WebPMuxDelete(mux);
    return st;
}

enum gh_status gh_io_webp_encode(const struct gh_image *rgb, const struct gh_image *alpha,
                                 const struct gh_encode_options *options, unsigned char **data,
                                 size_t *size)
{
    *data = NULL;
    *size = 0;
    int width = rgb->width, height = rgb->height;
    if (width > WEBP_MAX_SIDE || height > WEBP_MAX_SIDE)
        return gh_error(GH_ERR_UNSUPPORTED, "image is %dx%d: WebP allows at most %d pixels a side",
                        width, height, WEBP_MAX_SIDE);
    int channels = alpha ? 4 : 3;
    size_t stride = (size_t)width * (size_t)channels;
    WebPConfig config;
    WebPPicture picture;
    WebPMemoryWriter writer;
    WebPMemoryWriterInit(&writer);
    if (!WebPConfigInit(&config) || !WebPPictureInit(&picture))
        return gh_error(GH_ERR_INTERNAL, "libwebp version mismatch");
    enum gh_status st = GH_OK;
    unsigned char *packed = malloc(stride * (size_t)height);
    if (!packed) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %dx%d WebP image", width, height);
        goto out;
    }
    for (int y = 0; y < height; y++)
        gh_io_pack_row8(rgb, alpha, y, packed + (size_t)y * stride);
    config.quality = (float)options->quality;
    /* RGB to YUV 4:2:0 with sharp chroma: the stylized output's flat color
     * regions meet at hard edges, which plain averaging fringes. */
    config.use_sharp_yuv = 1;
    config.exact = 0;
    picture.use_argb = 0;
    picture.width = width;
    picture.height = height;
    picture.writer = WebPMemoryWrite;
    picture.custom_ptr = &writer;
    if (!(alpha ? WebPPictureImportRGBA(&picture, packed, (int)stride)
                : WebPPictureImportRGB(&picture, packed, (int)stride))) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %dx%d WebP image", width, height);
        goto out;
    }
    if (!WebPEncode(&config, &picture)) {
        st = picture.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY
                 ? gh_error(GH_ERR_NOMEM, "no memory to encode a %dx%d WebP image", width, height)
                 : gh_error(GH_ERR_INTERNAL, "libwebp failed to encode (error %d)",
                            (int)picture.error_code);
        goto out;
    }
    if (options->exif_size || options->icc_size) {
        st = mux_metadata(&writer, options, data, size);
    } else if ((*data = malloc(writer.size))) {
        memcpy(*data, writer.mem, writer.size);
        *size = writer.size;
    } else {
        st = gh_error(GH_ERR_NOMEM, "no memory for a %zu-byte WebP file", writer.size);
    }
out:
    WebPPictureFree(&picture);
    WebPMemoryWriterClear(&writer);
    free(packed);
    return st;
}

#endif
