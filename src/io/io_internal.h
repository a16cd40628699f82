/* ghiblify: pieces of the image I/O module shared between its files.
 *
 * Every function here follows the module's rules: no printing, details without a
 * file name (the public entry points add it), and libpng/libjpeg longjmps never
 * leave the file that called setjmp. */
#ifndef GHIBLIFY_IO_INTERNAL_H
#define GHIBLIFY_IO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ghiblify/io.h"

/* Refuses a header's dimensions before any pixel buffer exists: zero sides
 * (GH_ERR_FORMAT), sides over GH_IMAGE_MAX_SIDE or more than max_pixels pixels
 * (GH_ERR_TOO_LARGE, detail "image is WxH (X.X MP), over the limit of Y.Y MP
 * (--max-pixels)"). */
enum gh_status gh_io_check_size(uint64_t width, uint64_t height, uint64_t max_pixels);

/* Decoders behind gh_io_decode; data was sniffed as their format. */
enum gh_status gh_io_png_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                struct gh_picture **out);
enum gh_status gh_io_jpeg_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out);

/* WebP (webp.c) and HEIF/AVIF (heif.c): without their library the decoders
 * (and the WebP encoder) only return GH_ERR_UNSUPPORTED saying the build lacks
 * the format. */
#ifdef GH_HAVE_WEBP
#define GH_IO_HAVE_WEBP 1
#else
#define GH_IO_HAVE_WEBP 0
#endif
#ifdef GH_HAVE_HEIF
#define GH_IO_HAVE_HEIF 1
#else
#define GH_IO_HAVE_HEIF 0
#endif
enum gh_status gh_io_webp_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out);
enum gh_status gh_io_heif_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                 struct gh_picture **out);
enum gh_status gh_io_webp_encode(const struct gh_image *rgb, const struct gh_image *alpha,
                                 const struct gh_encode_options *options, unsigned char **data,
                                 size_t *size);

/* GH_FORMAT_HEIF or GH_FORMAT_AVIF for an ISO BMFF file whose leading "ftyp"
 * box names a HEIF image brand, GH_FORMAT_UNKNOWN otherwise (heif.c; always
 * built, so a build without libheif still recognizes what it cannot read). */
enum gh_format gh_io_sniff_heif(const unsigned char *data, size_t size);

/* Color management after decoding (color.c): a picture whose ICC profile is not
 * sRGB has its pixels converted to sRGB with Little CMS and the profile
 * replaced by an sRGB one; see gh_picture. No-op without GH_WITH_LCMS2. */
enum gh_status gh_io_color_to_srgb(struct gh_picture *picture);

/* An ICC profile (malloc'd) for RGB with the given CIE xy primaries and white
 * point (red x y, green x y, blue x y, white x y) and the sRGB curve, for HEIF's
 * coded (nclx) colors; *icc NULL when they make no profile, and always without
 * GH_WITH_LCMS2 (nothing would convert it). */
enum gh_status gh_io_icc_from_primaries(const float xy[8], unsigned char **icc, size_t *size);

/* Encoders behind gh_io_encode; arguments already validated (rgb has 3 channels,
 * alpha is NULL or 1 channel of the same size, options complete and in range,
 * metadata pointers non-NULL when their sizes are, EXIF with a TIFF header). */
enum gh_status gh_io_png_encode(const struct gh_image *rgb, const struct gh_image *alpha,
                                const struct gh_encode_options *options, unsigned char **data,
                                size_t *size);
enum gh_status gh_io_jpeg_encode(const struct gh_image *rgb,
                                 const struct gh_encode_options *options, unsigned char **data,
                                 size_t *size);

/* Row y of rgb (and alpha, may be NULL) as interleaved 8-bit RGB or RGBA, each
 * sample gh_io_quantize8'ed, into dst (width * 3 or 4 bytes). Branch-free so the
 * compiler vectorizes it: encoders call it once per row, with no full-size copy. */
void gh_io_pack_row8(const struct gh_image *rgb, const struct gh_image *alpha, int y,
                     unsigned char *dst);

/* JPEG YCbCr samples (JFIF, rounded to 8 bits) of rgb's rows y0 and y0 + 1 (the
 * last row when y0 is the last): Y of row y0 into luma0 and, when subsampled,
 * of row y0 + 1 into luma1 (may be NULL); Cb and Cr into cb and cr, either of
 * row y0 alone (subsampled == 0, width samples) or averaged over 2x2 blocks of
 * both rows ((width + 1) / 2 samples; an odd last column is averaged with
 * itself). scratch holds 3 * width floats. Samples are clamped to [0, 1] first
 * (NaN -> 0). Same results on the portable and the AVX2 path. */
void gh_io_ycc_rows(const struct gh_image *rgb, int y0, int subsampled, float *scratch,
                    unsigned char *luma0, unsigned char *luma1, unsigned char *cb,
                    unsigned char *cr);

/* EXIF orientation (1..8) in the payload of an APP1 segment (starting with
 * "Exif\0\0"), or 0 when it is absent, invalid or the data is malformed. Reads
 * nothing outside [data, data + size). */
int gh_io_exif_orientation(const unsigned char *data, size_t size);

/* EXIF orientation (1..8) in a TIFF structure (the payload without "Exif\0\0",
 * as in a PNG eXIf chunk); 0 as gh_io_exif_orientation. */
int gh_io_exif_tiff_orientation(const unsigned char *data, size_t size);

/* EXIF (a TIFF structure: "II*\0" or "MM\0*") prepared for output, into a
 * malloc'd *out: every Orientation entry of IFD0 becomes SHORT 1, IFD0's
 * next-IFD offset 0 (IFD1, the thumbnail, unlinked), and when IFD1 and the
 * thumbnail's JPEG lie after all bytes that IFD0 and its Exif, GPS and Interop
 * IFDs reference, the data is cut where they start. Malformed data (bad header,
 * IFD0 not whole inside the data) or over GH_IO_EXIF_MAX_BYTES gives GH_OK with
 * *out NULL; only a failed malloc is an error. Reads nothing outside [data,
 * data + size) and follows no IFD chain, so looping offsets cannot hang it. */
enum gh_status gh_io_exif_prepare(const unsigned char *data, size_t size, unsigned char **out,
                                  size_t *out_size);

/* An ICC profile the decoders keep: at least a 128-byte header, data color
 * space (bytes 16..19) "RGB " (the decoded pixels are RGB; a gray or CMYK
 * profile would be wrong for them), at most GH_IO_ICC_MAX_BYTES. */
int gh_io_icc_usable(const unsigned char *icc, size_t size);

/* Reassembles a profile from JPEG APP2 ICC chunks: payloads[i] (sizes[i] bytes)
 * is what follows "ICC_PROFILE\0": sequence number (1-based), chunk count,
 * data. The set must be complete and consistent (every chunk gives the same
 * count, equal to n; each sequence number once) and the profile usable
 * (gh_io_icc_usable); otherwise GH_OK with *out NULL. */
enum gh_status gh_io_icc_assemble(const unsigned char *const *payloads, const size_t *sizes,
                                  size_t n, unsigned char **out, size_t *out_size);

/* The body of a PNG iCCP chunk for a profile: the name "ICC profile", a NUL,
 * compression method 0, the zlib-compressed profile (malloc'd). */
enum gh_status gh_io_png_iccp_body(const unsigned char *icc, size_t size, unsigned char **body,
                                   size_t *body_size);

/* Most bytes of a JPEG APP1 EXIF payload after "Exif\0\0" (65533 - 6), and of
 * an APP2 ICC chunk's profile data (65533 - 14). */
#define GH_IO_JPEG_EXIF_MAX 65527
#define GH_IO_JPEG_ICC_CHUNK 65519

/* Turns picture->rgb (and ->alpha) from stored into display orientation for the
 * EXIF value (1..8; anything else is left alone). 5..8 swap width and height.
 * On failure the picture is unchanged. */
enum gh_status gh_io_apply_orientation(struct gh_picture *picture, int orientation);

/* Test hook of gh_io_write_all: called once the data is whole in its
 * temporary file and before that file gets the target's name; temp is the
 * temporary file's path (NULL for an O_TMPFILE file, which has none). A
 * nonzero return fails the write right there ("<path>: write stopped before
 * linking"), as a crash, a signal or a full directory would; the hook may also
 * end the process. Tests use it to prove the target never exists early and no
 * temporary file outlives a failure. NULL (the default): none. Not
 * thread-safe: set it while no write runs. */
typedef int (*gh_io_write_hook)(void *user, const char *path, const char *temp);
void gh_io_write_set_hook(gh_io_write_hook hook, void *user);

/* gh_io_write_all forced onto its fallback for filesystems without O_TMPFILE
 * (a hidden mkstemp file renamed or linked into place), so tests cover it. */
enum gh_status gh_io_write_all_named_temp(const char *path, const unsigned char *data,
                                          size_t size, int flags);

/* Float sample of an 8-bit / 16-bit value, exactly v / 255.0f and v / 65535.0f. */
static inline float gh_io_unorm8(unsigned v)
{
    return (float)v / 255.0f;
}
static inline float gh_io_unorm16(unsigned v)
{
    return (float)v / 65535.0f;
}

/* 8-bit value of a float sample: clamped to [0, 1], rounded to nearest, NaN -> 0. */
static inline unsigned char gh_io_quantize8(float v)
{
    if (!(v > 0.0f))
        return 0;
    if (v >= 1.0f)
        return 255;
    return (unsigned char)(v * 255.0f + 0.5f);
}

#endif
