/* libFuzzer harness for every path untrusted image bytes take: gh_io_decode
 * (PNG, JPEG, and in builds with them WebP, HEIC and AVIF, sniffed; EXIF
 * orientation, eXIf/APP1/WebP/HEIF EXIF, iCCP/APP2/ICCP/colr ICC and the lcms2
 * conversion to sRGB, 16-bit, palette, interlace), then, as the CLI does,
 * re-encoding what decoded to PNG, JPEG and WebP with the decoded EXIF and ICC passed back, and decoding that
 * output again (our own output must always read back). The same bytes also go
 * straight to the EXIF and ICC parsers of src/io/exif.c and meta.c, which the
 * decoders reach only behind a valid image.
 *
 * Built like fuzz_onnx.c (see there): fuzz_image_replay always, replayed by
 * ctest over tests/fuzz/image (seeds, made by tests/fuzz/make-image-seeds.py)
 * and tests/fuzz/regressions-image; with -DGH_FUZZ=ON the libFuzzer target
 * fuzz_image and its smoke run. By hand:
 *   build-fuzz/tests/fuzz_image -dict=tests/fuzz/image.dict CORPUS_DIR tests/fuzz/image */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/io.h"
#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 16 MP, a --max-pixels a user might give: legitimate images that large cost
 * ~200 MB of float planes, well below the fuzzer's RSS limit. */
#define FUZZ_MAX_PIXELS 16000000ULL
/* Re-encoding is linear in the pixels; above this it only slows the fuzzer
 * down without reaching new code. */
#define FUZZ_MAX_ENCODE_PIXELS (1u << 20)

static void roundtrip(const struct gh_picture *pic, enum gh_format format, int variant)
{
    struct gh_encode_options opt;
    gh_io_encode_defaults(&opt);
    opt.exif = pic->exif;
    opt.exif_size = pic->exif_size;
    opt.icc = pic->icc;
    opt.icc_size = pic->icc_size;
    opt.png = variant ? GH_PNG_SMALL : GH_PNG_FAST;
    opt.chroma = variant ? GH_CHROMA_444 : GH_CHROMA_420;
    unsigned char *enc = NULL;
    size_t enc_size = 0;
    if (gh_io_encode_with(pic->rgb, pic->alpha, format, &opt, &enc, &enc_size) != GH_OK)
        abort(); /* a decoded picture and its own metadata are always encodable */
    struct gh_picture *back = NULL;
    if (gh_io_decode(enc, enc_size, FUZZ_MAX_PIXELS, &back) != GH_OK)
        abort(); /* so is reading our own output */
    if (back->rgb->width != pic->rgb->width || back->rgb->height != pic->rgb->height)
        abort(); /* orientation was applied and written as 1: no second turn */
    gh_picture_free(back);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The metadata parsers on their own, with the bytes as an APP1 payload
     * ("Exif\0\0" + TIFF), a bare TIFF structure (eXIf) and an ICC profile. */
    (void)gh_io_exif_orientation(data, size);
    (void)gh_io_exif_tiff_orientation(data, size);
    unsigned char *exif = NULL;
    size_t exif_size = 0;
    if (gh_io_exif_prepare(data, size, &exif, &exif_size) == GH_OK && exif) {
        /* prepared EXIF says orientation 1 (or has none) and prepares to itself */
        int o = gh_io_exif_tiff_orientation(exif, exif_size);
        if (o != 0 && o != 1)
            abort();
        free(exif);
    }
    (void)gh_io_icc_usable(data, size);

    struct gh_picture *pic = NULL;
    if (gh_io_decode(data, size, FUZZ_MAX_PIXELS, &pic) != GH_OK)
        return 0;
    if ((uint64_t)pic->rgb->width * (uint64_t)pic->rgb->height <= FUZZ_MAX_ENCODE_PIXELS) {
        int variant = (int)(size & 1);
        roundtrip(pic, GH_FORMAT_PNG, variant);
        roundtrip(pic, GH_FORMAT_JPEG, variant);
        if (GH_IO_HAVE_WEBP && pic->rgb->width <= 16383 && pic->rgb->height <= 16383)
            roundtrip(pic, GH_FORMAT_WEBP, variant);
    }
    gh_picture_free(pic);
    return 0;
}

#include "replay.h"
