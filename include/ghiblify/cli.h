/* ghiblify: the command-line driver's building blocks (input lists, output
 * names, sharding, batch runs), public so that tests and other front ends can
 * use them. The program itself is src/cli/main.c. */
#ifndef GHIBLIFY_CLI_H
#define GHIBLIFY_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "ghiblify/io.h"
#include "ghiblify/nn.h"
#include "ghiblify/stages.h"

#ifdef __cplusplus
extern "C" {
#endif

enum gh_existing {
    GH_EXISTING_REFUSE,    /* default: an existing output is an error for that input */
    GH_EXISTING_OVERWRITE, /* --overwrite (never an input file, though) */
    GH_EXISTING_SKIP,      /* --skip-existing: leave it and count the input as skipped */
};

/* Everything a batch run needs; filled from the command line by main.c. */
struct gh_cli_config {
    const char *output;     /* -o FILE ("-": standard output), or NULL */
    const char *out_dir;    /* -d DIR, or NULL: outputs go beside their inputs */
    const char *suffix;     /* appended to the input's stem ("_ghibli") */
    enum gh_format format;  /* -f; GH_FORMAT_UNKNOWN: from -o's name or the input's */
    int quality;            /* JPEG quality 1..100 */
    enum gh_jpeg_chroma chroma;      /* --chroma (zero: 4:2:0) */
    enum gh_png_compression png;     /* --png-compression (zero: fast) */
    int sync;               /* --sync: outputs are fsync'ed (GH_IO_WRITE_SYNC) */
    int jobs;               /* images processed in parallel */
    int threads;            /* threads per image */
    enum gh_existing existing;
    int shard_index;        /* 1-based K of --shard K/N; 0 when not sharding */
    int shard_count;        /* N */
    int recursive;          /* -r: descend into subdirectories */
    int verbose;            /* -v */
    int quiet;              /* --quiet */
    int progress;           /* draw a progress line on stderr */
    uint64_t max_pixels;
    const char *dump_dir;   /* --dump-stages DIR, or NULL */
    const char *model_path; /* --model FILE (ONNX or TFLite), or NULL: the built-in one */
    const char *reference_path; /* --reference FILE for transfer/histmatch, or NULL */
    struct gh_pipeline pipeline;
};

/* One unit of work: an input file, where its result goes, or why it cannot run. */
struct gh_cli_item {
    char *input;    /* path as given or found ("-" for standard input) */
    char *rel_dir;  /* subdirectory below the scanned directory ("" if none) */
    char *output;   /* output path, set by gh_cli_plan_outputs */
    char *error;    /* non-NULL: this input already failed (missing, empty directory, ...) */
};

struct gh_cli_items {
    struct gh_cli_item *item;
    size_t count;
    size_t capacity;
};

/* Frees every item and the array. */
void gh_cli_items_free(struct gh_cli_items *items);

/* Appends the inputs named by arg: a file, "-", or a directory's PNG/JPEG files
 * (sorted by name; subdirectories too with recursive). A missing path or a directory
 * without images becomes an item with an error, so the rest of the batch goes on.
 * Fails only when out of memory. */
enum gh_status gh_cli_expand(struct gh_cli_items *items, const char *arg, int recursive);

/* Parses "K/N" (1 <= K <= N <= 1000000). */
enum gh_status gh_cli_parse_shard(const char *text, int *index, int *count);

/* Keeps the K-th of N deterministic shares: items are ordered by input path
 * (bytewise, so every machine agrees whatever the shell's locale or argument
 * order) and item i of that order belongs to share i mod N + 1. */
void gh_cli_shard(struct gh_cli_items *items, int index, int count);

/* Output path for one input under config: -o as given; else DIR (or the input's
 * directory) / rel_dir / stem + suffix + extension. The extension is the input's
 * own when it matches the output format, else the format's canonical one.
 * Returns a malloc'd string or NULL when out of memory. */
char *gh_cli_output_name(const struct gh_cli_config *config, const char *input,
                         const char *rel_dir);

/* Output format for an item: --format, else the output name's extension, else PNG. */
enum gh_format gh_cli_output_format(const struct gh_cli_config *config, const char *output);

/* Sets every item's output and turns collisions into per-item errors: two inputs
 * that would write the same file, and an output that is (a path or link to) one of
 * the inputs. */
enum gh_status gh_cli_plan_outputs(const struct gh_cli_config *config, struct gh_cli_items *items);

struct gh_cli_summary {
    size_t done, skipped, failed;
};

enum gh_cli_outcome { GH_CLI_DONE, GH_CLI_SKIPPED, GH_CLI_FAILED };

/* Reports from a batch run. Calls are serialized (never two at once), so the
 * callbacks may print without locking. Any of them may be NULL. */
struct gh_cli_events {
    void *user;
    /* A worker starts on items->item[index]. */
    void (*started)(void *user, const struct gh_cli_item *item);
    /* An item is finished; message is the one-line reason for SKIPPED/FAILED
     * ("path: why"), NULL for DONE. */
    void (*finished)(void *user, const struct gh_cli_item *item, enum gh_cli_outcome outcome,
                     const char *message, double seconds, const struct gh_cli_summary *so_far);
};

/* Seconds on the monotonic clock, for timings and progress. */
double gh_cli_seconds(void);

/* Loads the generator the stylize stage uses: config->model_path (format by
 * content), else the built-in model. Errors name the file. */
enum gh_status gh_cli_load_generator(const struct gh_cli_config *config, struct gh_nn_model **out,
                                     int *multiple);

/* Loads config->reference_path for the color stages: decoded with the pixel
 * limit, EXIF-oriented, and area-shrunk to at most GH_CLI_REFERENCE_SIDE pixels on
 * its long side (color statistics need no more, and every image reuses it).
 * Errors name the file. */
#define GH_CLI_REFERENCE_SIDE 1024
enum gh_status gh_cli_load_reference(const struct gh_cli_config *config, int threads,
                                     struct gh_image **out);

/* Processes every item (read, run the pipeline, write atomically) with
 * config->jobs workers and returns the tally in *summary. Fails before touching
 * any item only when the run cannot start (the generator or the reference image
 * cannot be loaded). */
enum gh_status gh_cli_run(const struct gh_cli_config *config, const struct gh_cli_items *items,
                const struct gh_cli_events *events, struct gh_cli_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
