/* ghiblify: image files in and out (PNG via libpng, JPEG via libjpeg-turbo).
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
};

/* A decoded image: RGB planes plus an optional alpha plane, both [0, 1]. */
struct gh_picture {
    struct gh_image *rgb;   /* 3 channels, always present */
    struct gh_image *alpha; /* 1 channel, or NULL when the file has no alpha */
    enum gh_format format;  /* what the data was */
    int bit_depth;          /* 8 or 16: precision of the source samples */
    int orientation;        /* EXIF orientation found (1..8; 1 when absent); already applied */
};

/* Default for the pixel limit (width * height) of decoders: 100 megapixels. */
#define GH_IO_DEFAULT_MAX_PIXELS 100000000ULL

/* Frees a picture and its planes (NULL is fine). */
void gh_picture_free(struct gh_picture *picture);

/* Recognizes PNG or JPEG by their signature bytes, whatever the file name says. */
enum gh_format gh_io_sniff(const unsigned char *data, size_t size);

/* Format implied by a file name's extension (.png, .jpg, .jpeg, .jpe; any case). */
enum gh_format gh_io_format_from_name(const char *path);

/* Format from a name such as "png", "jpg" or "jpeg" (any case); GH_FORMAT_UNKNOWN otherwise. */
enum gh_format gh_io_format_parse(const char *name);

/* Canonical file extension without the dot ("png", "jpg"; "" for UNKNOWN). */
const char *gh_io_format_extension(enum gh_format format);

/* Decodes PNG or JPEG bytes (format sniffed). JPEG EXIF orientation is applied.
 * Images whose header declares more than max_pixels pixels (0 means
 * GH_IO_DEFAULT_MAX_PIXELS) or a side over GH_IMAGE_MAX_SIDE are refused with
 * GH_ERR_TOO_LARGE before any pixel buffer is allocated. On failure *out is NULL
 * and the detail says why (without a file name: callers prefix it):
 *   GH_ERR_FORMAT     "empty file", "not a PNG or JPEG file", "truncated PNG data",
 *                     "truncated JPEG data", "corrupt PNG data: <libpng's text>"
 *                     (e.g. "corrupt PNG data: IDAT: CRC error"), "corrupt JPEG
 *                     data: <libjpeg's text>", "invalid PNG header: <reason>"
 *   GH_ERR_TOO_LARGE  "image is 12000x9000 (108.0 MP), over the limit of 100.0 MP
 *                     (--max-pixels)", "image is 70000x1, over the limit of 65535
 *                     pixels a side"
 *   GH_ERR_UNSUPPORTED "unsupported JPEG: ..." (12-bit, odd color spaces),
 *                     "JPEG has more than 1000 scans"
 * PNG: 1/2/4/8/16-bit gray, gray+alpha, palette (tRNS), RGB, RGBA, Adam7; gray is
 * copied to three planes; alpha (alpha channel or tRNS) goes to ->alpha;
 * bit_depth is 16 only for 16-bit files; values are exactly v / 255.0f or
 * v / 65535.0f. Gamma, iCCP and eXIf chunks are ignored. JPEG: baseline,
 * progressive, grayscale, CMYK/YCCK (an Adobe APP14 marker means Photoshop's
 * inverted CMYK); bit_depth 8; truncated data is an error, not gray padding. */
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

/* How gh_io_encode_with encodes; gh_io_encode_defaults fills in the defaults. */
struct gh_encode_options {
    int quality;                     /* JPEG quality 1..100 (default 92) */
    enum gh_jpeg_chroma chroma;      /* JPEG (default GH_CHROMA_420) */
    enum gh_png_compression png;     /* PNG (default GH_PNG_FAST) */
};

#define GH_IO_DEFAULT_QUALITY 92

/* Sets *options to the defaults above. */
void gh_io_encode_defaults(struct gh_encode_options *options);

/* Encodes rgb (3 channels) and an optional alpha plane (used by PNG only; JPEG
 * drops it) with the given options (NULL: the defaults). The result is malloc'd.
 * Samples are clamped to [0, 1] and rounded to nearest 8-bit values (NaN becomes
 * 0). PNG: 8-bit RGB or RGBA, non-interlaced, compressed per options->png.
 * JPEG: baseline, standard (not optimized) Huffman tables, chroma per
 * options->chroma; the YCbCr samples are computed from the floats (JFIF
 * weights), so they can differ by a level from libjpeg's own conversion of the
 * 8-bit-rounded pixels.
 * Bad arguments (wrong channel counts, alpha size mismatch, quality, unknown
 * chroma or compression value) give GH_ERR_ARGUMENT. */
enum gh_status gh_io_encode_with(const struct gh_image *rgb, const struct gh_image *alpha,
                                 enum gh_format format, const struct gh_encode_options *options,
                                 unsigned char **data, size_t *size);

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
