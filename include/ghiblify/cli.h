/* ghiblify: the command-line driver's building blocks (input lists, output
 * names, sharding, batch runs), public so that tests and other front ends can
 * use them. The program itself is src/cli/main.c. */
#ifndef GHIBLIFY_CLI_H
#define GHIBLIFY_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ghiblify/io.h"
#include "ghiblify/nn.h"
#include "ghiblify/stages.h"

#ifdef __cplusplus
extern "C" {
#endif

enum gh_existing {
    GH_EXISTING_REFUSE,    /* an existing output is an error for that input */
    GH_EXISTING_OVERWRITE, /* --overwrite (never an input file, though) */
    GH_EXISTING_SKIP,      /* the CLI's default (and --skip-existing): leave it and count
                            * the input as skipped; when every output exists, no model
                            * or still is loaded at all */
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
    const char *depth_out;  /* --depth-out FILE (one input), or NULL */
    const char *depth_model_path; /* --depth-model FILE (MiDaS v2.1 small, ONNX or TFLite), or NULL */
    const char *model_path; /* --model NAME or FILE (ONNX or TFLite), or NULL: the default */
    const char *reference_path; /* --reference FILE for transfer/histmatch, or NULL */
    const char *palette_path;   /* --palette-from FILE for palette, or NULL */
    int strip;              /* --strip: write no EXIF or ICC profile */
    unsigned long seed;     /* --seed: every random choice of the stages */
    float background[3];    /* --background: what alpha is composited over for JPEG */
    size_t max_memory;      /* bytes one image may use (--max-memory); 0: no limit */
    const char *report_path; /* --report FILE ("-": standard error), or NULL */
    int dry_run;             /* --dry-run: list what would happen, touch nothing */
    /* Set (to the signal number) by the program's SIGINT/SIGTERM handler: no
     * new item starts and running ones stop at their next stage; NULL: never. */
    const volatile sig_atomic_t *stop;
    struct gh_pipeline pipeline;
};

/* One option of ghiblify's command line; the table (gh_cli_options) is the
 * one source of getopt_long's array, --help, the man page and the shell
 * completions (gh_cli_write_docs). */
struct gh_cli_option {
    const char *name;     /* long name, without "--" */
    int short_name;       /* 0: long only */
    const char *arg;      /* argument name ("FILE", "png|jpg": choices), NULL for a flag */
    const char *fallback; /* default shown in --help, NULL if none */
    const char *doc;
};
const struct gh_cli_option *gh_cli_options(int *count);

struct gh_stage_def;
struct gh_param_def;
/* A stage parameter's long option name ("denoise-sigma-color") into buf. */
void gh_cli_param_flag(const struct gh_stage_def *stage, const struct gh_param_def *param, char *buf, size_t size);
/* --help's examples ({command, what it does}, NULL-terminated) and exit status text. */
extern const char *const gh_cli_examples[][2];
extern const char gh_cli_exit_status[];

/* Writes the documentation generated from the tables above, the stage table,
 * the looks and the built-in models: kind "man" (ghiblify(1), roff), "bash",
 * "zsh" or "fish" (completions). Returns 0, or -1 for an unknown kind or a
 * write error. src/cli/docs.c; the build runs it (tools/gen_docs.c). */
int gh_cli_write_docs(FILE *out, const char *kind);

/* The command line parsed (gh_cli_parse). */
struct gh_cli_args {
    struct gh_cli_config config; /* config.stop and config.threads are left to the caller */
    int first_input;             /* argv index of the first INPUT */
    int threads;                 /* --threads, or 0 when not given */
    int max_memory_set;          /* --max-memory given (else the caller picks a default) */
};

/* Parses ghiblify's command line (src/cli/options.c) into *args: options,
 * stage parameters and looks, checked against each other, without touching
 * the file system. Returns -1 when the run should go on; otherwise the exit
 * status: 0 after --help, --version, --list-looks or --list-models (their text
 * written to out), 2 after a usage error (the message and a --help hint
 * written to err). Nothing else is written, and only to those streams. */
int gh_cli_parse(int argc, char **argv, FILE *out, FILE *err, struct gh_cli_args *args);

/* Turns the inputs argv[args->first_input..argc) into items (gh_cli_expand),
 * checks -o and --depth-out against their count, shards and plans the outputs
 * (gh_cli_plan_outputs). Reads directories, writes nothing. Returns -1 when
 * the run should go on, else 2 with the message written to err. The output
 * folders (-d, --dump-stages) should exist before, so that a scan skips them. */
struct gh_cli_items;
int gh_cli_plan(const struct gh_cli_args *args, int argc, char **argv, FILE *err,
                struct gh_cli_items *items);

/* One unit of work: an input file, where its result goes, or why it cannot run. */
struct gh_cli_item {
    char *input;    /* path as given or found ("-" for standard input) */
    char *rel_dir;  /* subdirectory below the scanned directory ("" if none) */
    char *output;   /* output path, set by gh_cli_plan_outputs */
    char *error;    /* non-NULL: this input already failed (missing, empty directory, ...) */
    char *skip;     /* non-NULL: why this input is skipped without being read */
    int earlier_output; /* skipped because its name marks it as an output of ours */
};

struct gh_cli_items {
    struct gh_cli_item *item;
    size_t count;
    size_t capacity;
};

/* Frees every item and the array. */
void gh_cli_items_free(struct gh_cli_items *items);

/* Appends the inputs named by arg: a file, "-", or a directory's PNG/JPEG files
 * (sorted by name; subdirectories too with config->recursive, but never
 * config->out_dir or config->dump_dir themselves). A missing path or a directory
 * without images becomes an item with an error, so the rest of the batch goes
 * on. A file whose stem ends with config->suffix (when not empty) is an output
 * of an earlier run: it becomes a skipped item (earlier_output set), so reruns
 * over a glob or a folder never stylize their own results.
 * Fails only when out of memory. */
enum gh_status gh_cli_expand(struct gh_cli_items *items, const char *arg,
                             const struct gh_cli_config *config);

/* Whether path's file stem (name without directory and extension) ends with
 * suffix; 0 for an empty suffix. */
int gh_cli_is_output_name(const char *path, const char *suffix);

/* Parses "K/N" (1 <= K <= N <= 1000000). */
enum gh_status gh_cli_parse_shard(const char *text, int *index, int *count);

/* Keeps the K-th of N deterministic shares: items are ordered by input path
 * (bytewise, so every machine agrees whatever the shell's locale or argument
 * order) and item i of that order belongs to share i mod N + 1. */
void gh_cli_shard(struct gh_cli_items *items, int index, int count);

/* Output path for one input under config: -o as given; "-" (standard output)
 * for standard input without -d; else DIR (or the input's directory) / rel_dir /
 * stem + suffix + extension (stem "stdin" for standard input). The extension is the input's
 * own when it matches the output format, else the format's canonical one.
 * Returns a malloc'd string or NULL when out of memory. */
char *gh_cli_output_name(const struct gh_cli_config *config, const char *input,
                         const char *rel_dir);

/* Output format for an item: --format, else the output name's extension, else PNG. */
enum gh_format gh_cli_output_format(const struct gh_cli_config *config, const char *output);

/* Sets every item's output and turns collisions into per-item errors: two inputs
 * that would write the same file, and an output that is (a path or link to) one of
 * the inputs (with GH_EXISTING_SKIP that output exists, so the item is skipped
 * instead). */
enum gh_status gh_cli_plan_outputs(const struct gh_cli_config *config, struct gh_cli_items *items);

struct gh_cli_summary {
    size_t done, skipped, failed;
    size_t stopped; /* started but cut short by config->stop */
};

/* STOPPED: cut short by config->stop; counted in summary.stopped. */
enum gh_cli_outcome { GH_CLI_DONE, GH_CLI_SKIPPED, GH_CLI_FAILED, GH_CLI_STOPPED };

/* Creates dir and its missing parents (mkdir -p); fails with a detail naming
 * the part that could not be made, or a part that is not a directory. */
enum gh_status gh_cli_make_dirs(const char *dir);

/* Reports from a batch run. Calls are serialized (never two at once), so the
 * callbacks may print without locking. Any of them may be NULL. */
/* What became of one item, for --report: sizes are 0 where the item did not
 * get that far (not read, not encoded). */
#define GH_CLI_MAX_STEPS 32
struct gh_cli_result {
    int in_width, in_height, out_width, out_height;
    size_t out_bytes;
    int steps;                               /* read, each stage, encode, write */
    const char *step_name[GH_CLI_MAX_STEPS]; /* static strings */
    double step_seconds[GH_CLI_MAX_STEPS];
    const char *times; /* the same as "read 0.18, resize 0.02, ..." */
};

struct gh_cli_events {
    void *user;
    /* A worker starts on items->item[index]. */
    void (*started)(void *user, const struct gh_cli_item *item);
    /* An item is finished; message is the one-line reason for SKIPPED/FAILED
     * ("path: why"), and for DONE the seconds of each step ("read 0.18,
     * resize 0.02, ..., encode 0.20, write 0.00"). */
    void (*finished)(void *user, const struct gh_cli_item *item, enum gh_cli_outcome outcome,
                     const char *message, double seconds, const struct gh_cli_summary *so_far,
                     const struct gh_cli_result *result);
    /* Something the user should know about a finished item that is not a
     * failure, e.g. "x.png: alpha composited over #ffffff for JPEG". */
    void (*note)(void *user, const struct gh_cli_item *item, const char *message);
};

/* --report: one JSON object (no newline) for a finished item: input, output,
 * status (done/skipped/failed/stopped), error (null when done), input_size and
 * output_size ([w, h] or null), output_bytes, seconds, steps ({"read": s,
 * "resize": s, ..., "write": s}) and peak_rss_mb (the process's peak so far).
 * malloc'd (free() it), NULL when out of memory. src/cli/report.c. */
char *gh_cli_report_line(const struct gh_cli_item *item, enum gh_cli_outcome outcome, const char *message,
                         double seconds, const struct gh_cli_result *result, double peak_rss_mb);
/* The process's peak resident memory so far, in MB. */
double gh_cli_peak_rss_mb(void);

/* --dry-run: what a run would do with an item, and why (NULL for WRITE). */
enum gh_cli_plan_kind { GH_CLI_PLAN_WRITE, GH_CLI_PLAN_SKIP, GH_CLI_PLAN_REFUSE };
enum gh_cli_plan_kind gh_cli_dry_run_kind(const struct gh_cli_config *config, const struct gh_cli_item *item,
                                          const char **why);

/* Memory for one image by default: three quarters of the machine's memory (or
 * of its cgroup's limit, as under Slurm or Kubernetes) divided among jobs. */
size_t gh_cli_default_memory(int jobs);

/* Checks before any work that the stylize stage fits in config->max_memory at
 * the largest working size config allows (a square of --size pixels a side,
 * the worst case), given the generator's footprint; the refusal names the
 * largest --size that fits. GH_OK when stylize or resize does not run. */
enum gh_status gh_cli_check_memory(const struct gh_cli_config *config,
                                   const struct gh_nn_footprint *footprint);

/* Seconds on the monotonic clock, for timings and progress. */
double gh_cli_seconds(void);

/* The built-in generator that --model NAME means, or NULL when name is a file
 * path (it has a '/' or a '.') or no built-in is called that. */
const struct gh_nn_builtin *gh_cli_builtin_model(const char *name);

/* Loads the generator the stylize stage uses: config->model_path (a built-in
 * name, or a file whose format is found by content), else the default
 * built-in model, with its size multiple in *multiple. Errors name the file. */
enum gh_status gh_cli_load_generator(const struct gh_cli_config *config, struct gh_nn_model **out,
                                     int *multiple);

/* Loads config->reference_path for the color stages: decoded with the pixel
 * limit, EXIF-oriented, and area-shrunk to at most GH_CLI_REFERENCE_SIDE pixels on
 * its long side (color statistics need no more, and every image reuses it).
 * Errors name the file. */
#define GH_CLI_REFERENCE_SIDE 1024
enum gh_status gh_cli_load_reference(const struct gh_cli_config *config, int threads,
                                     struct gh_image **out);

/* The same for any still (path), errors prefixed with what ("palette-from"). */
enum gh_status gh_cli_load_still(const struct gh_cli_config *config, const char *path,
                                 const char *what, int threads, struct gh_image **out);

/* Processes every item (read, run the pipeline, write atomically) with
 * config->jobs workers and returns the tally in *summary. Fails before touching
 * any item only when the run cannot start (the generator or the reference image
 * cannot be loaded, or the working size does not fit in memory). Items not
 * started because config->stop was set are in none of the counts. */
enum gh_status gh_cli_run(const struct gh_cli_config *config, const struct gh_cli_items *items,
                const struct gh_cli_events *events, struct gh_cli_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
