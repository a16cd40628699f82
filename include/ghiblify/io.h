/* ghiblify: image files in and out (PNG via libpng, JPEG via libjpeg-turbo; WebP
 * via libwebp, HEIC/HEIF and AVIF via libheif (read only) when built with them,
 * GH_WITH_WEBP / GH_WITH_HEIF; embedded ICC profiles converted to sRGB by Little
 * CMS 2 when built with GH_WITH_LCMS2).
 *
 * Decoding never trusts the file: the header's pixel count is checked against a
 * limit before any pixel buffer is allocated, and every libpng/libjpeg error
 * (which those libraries report by longjmp) becomes a status code inside src/io/.
 * Files are written atomically: the bytes go to an anonymous or hidden temporary
 * file in the target directory, which is renamed into place only when complete.
 * That alone makes outputs whole-or-absent when the process crashes or is killed
 * (the kernel keeps the written data); surviving a power loss or kernel crash
 * additionally needs GH_IO_WRITE_SYNC, which flushes to the disk (fsync) before
 * the rename. */
#ifndef GHIBLIFY_IO_H
#define GHIBLIFY_IO_H

#include <stddef.h>
#include <stdint.h>

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

enum gh_format {
    GH_FORMAT_UNKNOWN = 0,
    GH_FORMAT_PNG,
    GH_FORMAT_JPEG,
    GH_FORMAT_WEBP,
    GH_FORMAT_HEIF, /* HEIC/HEIF (HEVC); read only */
    GH_FORMAT_AVIF, /* AVIF (AV1 in HEIF); read only */
};

/* A decoded image: RGB planes plus an optional alpha plane, both [0, 1], and
 * the file's metadata, ready to be handed to gh_encode_options.
 *
 * exif: the file's EXIF as a TIFF structure (starting "II*\0" or "MM\0*",
 * without JPEG's "Exif\0\0"), already prepared for output: every Orientation
 * entry (0x0112) of IFD0 says 1 (the orientation is applied to the pixels), and
 * the thumbnail is dropped: IFD0's next-IFD offset is 0, and when IFD1 and the
 * thumbnail lie after all the data IFD0 and its Exif, GPS and Interop IFDs
 * reference (the usual layout) the bytes are cut there too, otherwise they stay
 * in the blob, unreferenced. Everything else (maker notes, PixelX/YDimension,
 * which still hold for the decoded size) is kept byte for byte. NULL/0 when the
 * file has none, or when it is malformed (bad TIFF header, IFD0 not whole inside
 * the data) or over GH_IO_EXIF_MAX_BYTES: dropped silently, the pixels are fine
 * (a PNG eXIf chunk that large is not even read, so its orientation is not
 * applied either).
 * Sources: JPEG, the first APP1 segment starting "Exif\0\0"; PNG, an eXIf
 * chunk before the image data (libpng stops reading chunks at IDAT; browsers
 * ignore a later eXIf too, and PNG's third edition requires it before IDAT).
 * A PNG eXIf orientation is applied to the pixels like a JPEG's, as Chromium,
 * WebKit and the W3C PNG test suite (png/exif-chunk.html) do. WebP: the EXIF
 * chunk (a leading "Exif\0\0" tolerated), its orientation applied likewise.
 * HEIF/AVIF: the first Exif item; its orientation is NOT applied (reset to 1
 * all the same): HEIF images are turned by their irot/imir properties, which
 * libheif applies, and the specification makes EXIF's informative only.
 *
 * icc: the ICC profile that describes the decoded pixels. From the file: JPEG
 * APP2 "ICC_PROFILE\0" chunks reassembled by their sequence numbers (dropped if
 * the set is incomplete, has duplicates or disagrees on the chunk count), PNG's
 * iCCP (decompressed, and checked, by libpng), WebP's ICCP chunk, HEIF/AVIF's
 * colr "prof"/"rICC", or one lcms2 builds from an nclx colr's
 * primaries when they are not BT.709's and the curve is sRGB's (AVIF's way of
 * saying Display P3; HDR curves are left alone; no nclx means sRGB). Kept only for an RGB
 * profile (data color space "RGB ") of at most GH_IO_ICC_MAX_BYTES: the decoded
 * pixels are RGB, so a gray or CMYK profile no longer describes them. NULL/0
 * otherwise. With Little CMS (GH_WITH_LCMS2) a profile that is not sRGB
 * (Display P3, Adobe RGB) has the pixels converted to sRGB (perceptual intent,
 * out-of-gamut colors clipped) and is replaced by lcms2's built-in sRGB profile
 * ("sRGB built-in", 588 bytes), so outputs are tagged sRGB and never carry a
 * profile that no longer describes their pixels; an sRGB profile (within a
 * quarter level on a grid of probe colors) and one lcms2 cannot use stay byte
 * for byte with their unconverted pixels. Without lcms2 every kept profile
 * stays byte for byte, pixels unconverted.
 *
 * Both are malloc'd, owned by the picture and freed by gh_picture_free. */
struct gh_picture {
    struct gh_image *rgb;   /* 3 channels, always present */
    struct gh_image *alpha; /* 1 channel, or NULL when the file has no alpha */
    enum gh_format format;  /* what the data was */
    int bit_depth;          /* 8 or 16: precision of the source samples */
    int orientation;        /* EXIF orientation found (1..8; 1 when absent); already applied */
    unsigned char *exif;    /* EXIF (TIFF structure) prepared for output, or NULL */
    size_t exif_size;
    unsigned char *icc;     /* ICC profile, or NULL */
    size_t icc_size;
};

/* Bounds on the metadata decoders keep (larger is dropped, see gh_picture). A
 * JPEG EXIF segment holds at most 64 KiB anyway; PNG eXIf is capped at 1 MiB. */
#define GH_IO_EXIF_MAX_BYTES ((size_t)1 << 20)
#define GH_IO_ICC_MAX_BYTES ((size_t)4 << 20)

/* Default for the pixel limit (width * height) of decoders: 100 megapixels. */
#define GH_IO_DEFAULT_MAX_PIXELS 100000000ULL

/* Frees a picture, its planes and its metadata (NULL is fine). */
void gh_picture_free(struct gh_picture *picture);

/* Recognizes PNG, JPEG, WebP ("RIFF" size "WEBP"), HEIF and AVIF (an ISO BMFF
 * "ftyp" box whose major or compatible brands name them) by their signature
 * bytes, whatever the file name says, and whether or not this build can decode
 * them (gh_io_decode says so). */
enum gh_format gh_io_sniff(const unsigned char *data, size_t size);

/* Format implied by a file name's extension (.png, .jpg, .jpeg, .jpe, .webp,
 * .heic, .heif, .hif, .avif; any case). */
enum gh_format gh_io_format_from_name(const char *path);

/* Format from a name such as "png", "jpg", "jpeg", "webp", "heic" or "avif" (any
 * case); GH_FORMAT_UNKNOWN otherwise. */
enum gh_format gh_io_format_parse(const char *name);

/* Canonical file extension without the dot ("png", "jpg", "webp", "heic",
 * "avif"; "" for UNKNOWN). */
const char *gh_io_format_extension(enum gh_format format);

/* 1 when this build can decode / encode the format: PNG and JPEG always, WebP
 * with libwebp (both ways), HEIF and AVIF with libheif (decode only). */
int gh_io_format_readable(enum gh_format format);
int gh_io_format_writable(enum gh_format format);

/* One line saying which optional codecs this build has and their versions,
 * e.g. "WebP: libwebp 1.2.4; HEIC/HEIF and AVIF: libheif 1.15.1; ICC profiles
 * to sRGB: lcms2 2.14" ("no" for a missing one), into buf (truncated to size). */
void gh_io_codec_versions(char *buf, size_t size);

/* Decodes PNG, JPEG, WebP, HEIF or AVIF bytes (format sniffed; the last three
 * give GH_ERR_UNSUPPORTED "... built without libwebp/libheif" in builds without
 * them). Color is converted to sRGB as gh_picture's icc says. EXIF orientation is applied, and
 * the EXIF and ICC profile are kept as gh_picture describes (metadata problems
 * are never errors).
 * Images whose header declares more than max_pixels pixels (0 means
 * GH_IO_DEFAULT_MAX_PIXELS) or a side over GH_IMAGE_MAX_SIDE are refused with
 * GH_ERR_TOO_LARGE before any pixel buffer is allocated. On failure *out is NULL
 * and the detail says why (without a file name: callers prefix it):
 *   GH_ERR_FORMAT     "empty file", "not a PNG, JPEG, WebP, HEIF or AVIF file", "truncated PNG data",
 *                     "truncated JPEG data", "corrupt PNG data: <libpng's text>"
 *                     (e.g. "corrupt PNG data: IDAT: CRC error"), "corrupt JPEG
 *                     data: <libjpeg's text>", "invalid PNG header: <reason>"
 *   GH_ERR_TOO_LARGE  "image is 12000x9000 (108.0 MP), over the limit of 100.0 MP
 *                     (--max-pixels)", "image is 70000x1, over the limit of 65535
 *                     pixels a side"
 *   GH_ERR_UNSUPPORTED "unsupported JPEG: ..." (12-bit, odd color spaces),
 *                     "JPEG has more than 1000 scans" (fewer on large images:
 *                     about 50M 8x8-block passes, at least 64 scans),
 *                     "animated WebP is not supported", "unsupported HEIF:
 *                     <libheif's text>"
 *   WebP, HEIF, AVIF  "truncated WebP data", "corrupt WebP data ...",
 *                     "truncated HEIF data", "corrupt AVIF data: <libheif's
 *                     text>" (GH_ERR_FORMAT)
 * A file too short for the size its header declares (fewer bytes of PNG image
 * data than deflate's 1032:1 ratio needs, fewer bits of Huffman-coded JPEG
 * than it has 8x8 blocks) is "truncated PNG/JPEG data: ..." before any pixel
 * buffer is allocated. PNG chunks that are never used (tEXt, zTXt, iTXt, sPLT,
 * hIST) and an eXIf over GH_IO_EXIF_MAX_BYTES are skipped unread, and no more
 * than a few KiB of the IDAT stream past the last row is read. Bounds measured
 * on decompression bombs: tests/unit/test_io_bombs.c.
 * PNG: 1/2/4/8/16-bit gray, gray+alpha, palette (tRNS), RGB, RGBA, Adam7; gray is
 * copied to three planes; alpha (alpha channel or tRNS) goes to ->alpha;
 * bit_depth is 16 only for 16-bit files; values are exactly v / 255.0f or
 * v / 65535.0f. Gamma chunks are ignored, iCCP and eXIf only kept (the samples
 * are not color-managed). JPEG: baseline,
 * progressive, grayscale, CMYK/YCCK (an Adobe APP14 marker means Photoshop's
 * inverted CMYK); bit_depth 8; truncated data is an error, not gray padding.
 * WebP: still images, lossy or lossless, alpha; bit_depth 8. HEIF/AVIF: the
 * primary image, with alpha, 8-bit or (bit_depth 16, values v / (2^bits - 1))
 * 10/12-bit; libheif applies irot/imir/clap; strict decoding, so a cut-off
 * stream is an error. */
enum gh_status gh_io_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                            struct gh_picture **out);

/* Reads a whole file ("-" is standard input) into a malloc'd buffer. Refuses
 * directories, and files over max_bytes. Unlike gh_io_decode, the detail starts
 * with the path ("standard input" for "-"): "<path>: <strerror>" (GH_ERR_IO),
 * "<path>: is a directory" (GH_ERR_IO), "<path>: empty file" (GH_ERR_FORMAT),
 * "<path>: file is N bytes, over the limit of M bytes" (GH_ERR_TOO_LARGE). */
enum gh_status gh_io_read_all(const char *path, size_t max_bytes, unsigned char **data,
                              size_t *size);

/* gh_io_read_all (limit 1 GiB) + gh_io_decode with the path in every error
 * detail, e.g. "photos/x.jpg: truncated JPEG data". */
enum gh_status gh_io_read_picture(const char *path, uint64_t max_pixels, struct gh_picture **out);

/* Chroma resolution of JPEG output. 4:2:0 stores color at half resolution in both
 * directions (what cameras, libjpeg and OpenCV default to); 4:4:4 keeps it at full
 * resolution, which avoids smeared saturated edges, for about 35% larger files and
 * 1.7x the encoding time (tools/BENCHMARKS.md, "Image I/O"). */
enum gh_jpeg_chroma {
    GH_CHROMA_420 = 0,
    GH_CHROMA_444,
};

/* PNG compression effort (measured in tools/BENCHMARKS.md, "Image I/O").
 *   GH_PNG_FAST   the Up filter on every row, compressed by libdeflate at level 1:
 *                 about cv2.imwrite's file size (0.86-1.04x on photos and stylized
 *                 output) in half its time.
 *   GH_PNG_SMALL  libpng picks one of the five filters per row, zlib's Z_RLE
 *                 strategy: 4-15% smaller than GH_PNG_FAST, about 4x its time. */
enum gh_png_compression {
    GH_PNG_FAST = 0,
    GH_PNG_SMALL,
};

/* How gh_io_encode_with encodes; gh_io_encode_defaults fills in the defaults.
 *
 * Metadata to embed (NULL/0: none, the default; the bytes are the caller's and
 * are only read): exif is a TIFF structure ("II*\0" or "MM\0*", no
 * "Exif\0\0"), written as given, so it should say orientation 1 as
 * gh_picture's does; icc an ICC profile. JPEG: EXIF as an APP1 "Exif\0\0"
 * segment, the profile as APP2 "ICC_PROFILE\0" chunks of at most 65519 bytes
 * with sequence numbers (the ICC specification's JPEG embedding), both right
 * after the JFIF APP0 segment. EXIF over 65527 bytes does not fit one segment
 * and a profile over 255 chunks (16707345 bytes) does not fit the chunk
 * numbering: either is left out of a JPEG, without error. PNG: an iCCP chunk
 * (profile name "ICC profile", zlib-compressed) and an eXIf chunk, after IHDR
 * and before IDAT, on both compression paths. */
struct gh_encode_options {
    int quality;                     /* JPEG quality 1..100 (default 92) */
    enum gh_jpeg_chroma chroma;      /* JPEG (default GH_CHROMA_420) */
    enum gh_png_compression png;     /* PNG (default GH_PNG_FAST) */
    const unsigned char *exif;       /* EXIF as a TIFF structure, or NULL */
    size_t exif_size;
    const unsigned char *icc;        /* ICC profile, or NULL */
    size_t icc_size;
};

/* Largest EXIF or ICC profile gh_io_encode_with accepts (PNG chunks are
 * limited to 2^31 - 1 bytes; real metadata is far smaller). */
#define GH_IO_ENCODE_META_MAX ((size_t)64 << 20)

#define GH_IO_DEFAULT_QUALITY 92

/* Sets *options to the defaults above (no metadata). */
void gh_io_encode_defaults(struct gh_encode_options *options);

/* Encodes rgb (3 channels) and an optional alpha plane (used by PNG and WebP;
 * JPEG drops it) with the given options (NULL: the defaults). The result is malloc'd.
 * Samples are clamped to [0, 1] and rounded to nearest 8-bit values (NaN becomes
 * 0). PNG: 8-bit RGB or RGBA, non-interlaced, compressed per options->png.
 * WebP (GH_WITH_WEBP; GH_ERR_UNSUPPORTED without): lossy at options->quality,
 * sharp RGB to YUV 4:2:0, lossless alpha, EXIF and ICCP chunks muxed in
 * (VP8X); sides over 16383 are GH_ERR_UNSUPPORTED. HEIF/AVIF are not written
 * (GH_ERR_UNSUPPORTED).
 * JPEG: baseline, standard (not optimized) Huffman tables, chroma per
 * options->chroma; the YCbCr samples are computed from the floats (JFIF
 * weights), so they can differ by a level from libjpeg's own conversion of the
 * 8-bit-rounded pixels.
 * Metadata per gh_encode_options.
 * Bad arguments (wrong channel counts, alpha size mismatch, quality, unknown
 * chroma or compression value; exif or icc NULL with a nonzero size, EXIF not
 * starting with a TIFF header, either over GH_IO_ENCODE_META_MAX) give
 * GH_ERR_ARGUMENT. */
enum gh_status gh_io_encode_with(const struct gh_image *rgb, const struct gh_image *alpha,
                                 enum gh_format format, const struct gh_encode_options *options,
                                 unsigned char **data, size_t *size);

/* A 1-channel image (maps: depth, masks) as a 16-bit grayscale PNG, values
 * clamped to [0, 1] and scaled to 0..65535 (NaN becomes 0). Malloc'd result. */
enum gh_status gh_io_encode_gray16(const struct gh_image *gray, unsigned char **data, size_t *size);

/* gh_io_encode_with the default options except JPEG quality 1..100 (ignored for
 * PNG). */
enum gh_status gh_io_encode(const struct gh_image *rgb, const struct gh_image *alpha,
                            enum gh_format format, int quality, unsigned char **data,
                            size_t *size);

/* Flags of gh_io_write_all. */
#define GH_IO_WRITE_OVERWRITE 1 /* replace an existing file */
#define GH_IO_WRITE_SYNC 2      /* fsync the data before the rename and the directory after */

/* Writes bytes to path atomically ("-" is standard output). flags: GH_IO_WRITE_*.
 * Without GH_IO_WRITE_OVERWRITE an existing path is refused with GH_ERR_EXISTS
 * (checked atomically at the final link). On any failure the target is untouched
 * and no temporary file remains. The target never shows partial data to any
 * reader, also when the process is killed midway. Without GH_IO_WRITE_SYNC the
 * data reaches the disk when the kernel flushes it (seconds later), so a power
 * loss or kernel crash soon after may leave the new name empty or the old file's
 * contents; with it, the data is fsync'ed before the rename and the directory
 * after, so once this returns GH_OK the file survives a power loss (costs a disk
 * flush per file). New files get mode 0666 & ~umask. Details: "<path> exists (use
 * --overwrite or --skip-existing)" (GH_ERR_EXISTS); "<path>: cannot create file:
 * <strerror>", "<path>: write failed: <strerror>" (e.g. No space left on device),
 * "<path>: cannot replace: <strerror>" (GH_ERR_IO). */
enum gh_status gh_io_write_all(const char *path, const unsigned char *data, size_t size,
                               int flags);

#ifdef __cplusplus
}
#endif
#endif
