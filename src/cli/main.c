/* ghiblify command line: options are one table (below) plus the parameters of
 * every stage (include/ghiblify/stages.h); getopt_long's array and --help are
 * both generated from them. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ghiblify/ghiblify.h"
#include "ghiblify/cli.h"
#include "ghiblify/nn.h"

#ifndef GH_VERSION
#define GH_VERSION "0.0.0"
#endif

enum option_id {
    OPT_OUTPUT,
    OPT_OUT_DIR,
    OPT_SUFFIX,
    OPT_FORMAT,
    OPT_QUALITY,
    OPT_CHROMA,
    OPT_PNG_COMPRESSION,
    OPT_SYNC,
    OPT_OVERWRITE,
    OPT_SKIP_EXISTING,
    OPT_RECURSIVE,
    OPT_JOBS,
    OPT_THREADS,
    OPT_SHARD,
    OPT_MAX_PIXELS,
    OPT_STAGES,
    OPT_SKIP,
    OPT_KEEP_SIZE,
    OPT_NO_KEEP_SIZE,
    OPT_DUMP_STAGES,
    OPT_MODEL,
    OPT_REFERENCE,
    OPT_VERBOSE,
    OPT_QUIET,
    OPT_VERSION,
    OPT_HELP,
    OPT_COUNT
};

struct cli_option {
    const char *name;
    int short_name;       /* 0: long only */
    const char *arg;      /* argument name, NULL for a flag */
    const char *fallback; /* default shown in --help, NULL if none */
    const char *doc;
};

static const struct cli_option options[] = {
    [OPT_OUTPUT] = {"output", 'o', "FILE", NULL, "write the result to FILE ('-': standard output); one input only"},
    [OPT_OUT_DIR] = {"out-dir", 'd', "DIR", "beside each input", "write results into DIR as STEM+SUFFIX.EXT"},
    [OPT_SUFFIX] = {"suffix", 0, "TEXT", "_ghibli", "appended to the input's file stem"},
    [OPT_FORMAT] = {"format", 'f', "png|jpg", "from -o, else the input's", "output format"},
    [OPT_QUALITY] = {"quality", 'q', "N", "92", "JPEG quality, 1..100"},
    [OPT_CHROMA] = {"chroma", 0, "420|444", "420", "JPEG color resolution: 444 keeps full-resolution color (sharper saturated edges, ~35% larger, slower)"},
    [OPT_PNG_COMPRESSION] = {"png-compression", 0, "fast|small", "fast", "PNG effort: small tries every filter per row (4-15% smaller, ~4x the time)"},
    [OPT_SYNC] = {"sync", 0, NULL, NULL, "flush each output to disk (fsync) before it gets its name, so it also survives a power loss"},
    [OPT_OVERWRITE] = {"overwrite", 0, NULL, NULL, "replace existing outputs (inputs are never replaced)"},
    [OPT_SKIP_EXISTING] = {"skip-existing", 0, NULL, NULL, "leave existing outputs alone and count them as skipped"},
    [OPT_RECURSIVE] = {"recursive", 'r', NULL, NULL, "descend into subdirectories of directory inputs"},
    [OPT_JOBS] = {"jobs", 'j', "N", "1", "images processed in parallel"},
    [OPT_THREADS] = {"threads", 0, "N", "CPUs / jobs", "threads per image"},
    [OPT_SHARD] = {"shard", 0, "K/N", NULL, "process only share K (1..N) of N deterministic shares of the inputs"},
    [OPT_MAX_PIXELS] = {"max-pixels", 0, "N", "100000000", "refuse images with more pixels, before decoding"},
    [OPT_STAGES] = {"stages", 0, "LIST", NULL, "run exactly these comma-separated stages (always in pipeline order)"},
    [OPT_SKIP] = {"skip", 0, "LIST", NULL, "do not run these comma-separated stages"},
    [OPT_KEEP_SIZE] = {"keep-size", 0, NULL, "on", "write the result at the photo's original size"},
    [OPT_NO_KEEP_SIZE] = {"no-keep-size", 0, NULL, NULL, "write the result at the working size (skips upsample)"},
    [OPT_DUMP_STAGES] = {"dump-stages", 0, "DIR", NULL, "write every stage's output as DIR/STEM.NN-STAGE.png"},
    [OPT_MODEL] = {"model", 'm', "FILE", "the built-in Hayao model", "generator for the stylize stage: an AnimeGAN-family ONNX or TFLite file (format by content)"},
    [OPT_REFERENCE] = {"reference", 0, "FILE", NULL, "a still whose colors transfer and histmatch aim at instead of their stored targets; turns on transfer unless --stages is given"},
    [OPT_VERBOSE] = {"verbose", 'v', NULL, NULL, "print a line per image, and progress even when not on a terminal"},
    [OPT_QUIET] = {"quiet", 0, NULL, NULL, "print only errors"},
    [OPT_VERSION] = {"version", 0, NULL, NULL, "print version information and exit"},
    [OPT_HELP] = {"help", 'h', NULL, NULL, "print this help and exit"},
};
_Static_assert(sizeof options / sizeof options[0] == OPT_COUNT, "one table entry per option");

/* getopt_long values: short letters for options that have one, else these. */
#define LONG_BASE 256
#define PARAM_BASE 512

struct param_ref {
    const struct gh_stage_def *stage;
    const struct gh_param_def *param;
    char flag[64];
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("ghiblify: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'ghiblify --help' for more information.\n", stderr);
    return 2;
}

static void print_help(const struct param_ref *params, int param_count)
{
    printf("Usage: ghiblify [OPTIONS] INPUT...\n"
           "Turn photos into the look of a Studio Ghibli background painting.\n"
           "INPUT is a PNG or JPEG file, a directory of them, or '-' for standard input.\n\n"
           "Options:\n");
    for (int i = 0; i < OPT_COUNT; i++) {
        const struct cli_option *o = &options[i];
        char head[64];
        snprintf(head, sizeof head, "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
                 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
                 o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-28s %s", head, o->doc);
        if (o->fallback)
            printf(" (default: %s)", o->fallback);
        putchar('\n');
    }
    int count;
    const struct gh_stage_def *const *stages = gh_stages_table(&count);
    printf("\nStages, in pipeline order:\n");
    for (int s = 0; s < count; s++)
        printf("  %-12s %s%s\n", stages[s]->name, stages[s]->doc,
               stages[s]->enabled_by_default ? "" : " (off by default)");
    printf("\nStage parameters:\n");
    for (int i = 0; i < param_count; i++) {
        const struct gh_param_def *p = params[i].param;
        char head[96], def[64];
        const char *argname = p->type == GH_PARAM_ENUM ? "NAME" : p->type == GH_PARAM_INT ? "N" : "X";
        snprintf(head, sizeof head, "    --%s %s", params[i].flag, argname);
        if (p->type == GH_PARAM_ENUM)
            snprintf(def, sizeof def, "%s", p->choices[(int)p->default_value]);
        else
            snprintf(def, sizeof def, "%.10g", p->default_value);
        printf("  %-28s %s: %s (default: %s", head, params[i].stage->name, p->doc, def);
        if (p->type == GH_PARAM_ENUM) {
            printf("; one of");
            for (int c = 0; p->choices[c]; c++)
                printf(" %s", p->choices[c]);
        } else {
            printf("; %.10g..%.10g", p->min, p->max);
        }
        printf(")\n");
    }
    printf("\nExit status: 0 all inputs succeeded, 1 some failed (the others are still\n"
           "processed), 2 usage error. Outputs are written to a temporary file and renamed\n"
           "into place; inputs are never overwritten.\n");
}

static void print_version(void)
{
    printf("ghiblify %s\n", GH_VERSION);
    printf("libpng %s, libjpeg-turbo (libjpeg API %d)\n", png_get_libpng_ver(NULL), JPEG_LIB_VERSION);
    struct gh_nn_embedded_model builtin;
    if (gh_nn_embedded(&builtin) == GH_OK)
        printf("built-in model: %s, %zu bytes, sha256 %.16s\n", builtin.name, builtin.size,
               builtin.sha256);
    else
        printf("built-in model: none (run tools/fetch-models.sh and rebuild)\n");
}

static int parse_int(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* --- progress and reporting on stderr --- */

struct reporter {
    const struct gh_cli_config *config;
    size_t total;
    double t0;
    int line_shown;
};

static void clear_progress(struct reporter *r)
{
    if (r->line_shown) {
        fputs("\r\033[K", stderr);
        r->line_shown = 0;
    }
}

static void show_progress(struct reporter *r, const struct gh_cli_item *current,
                          const struct gh_cli_summary *s)
{
    size_t finished = s->done + s->skipped + s->failed;
    double elapsed = gh_cli_seconds() - r->t0;
    char eta[32] = "--:--";
    if (finished > 0 && finished < r->total) {
        double left = elapsed / (double)finished * (double)(r->total - finished);
        snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
    }
    const char *name = current ? current->input : "";
    fprintf(stderr, "\r\033[K[%zu/%zu] %3d%%  %d:%02d elapsed, ETA %s  %.60s", finished, r->total,
            (int)(100.0 * (double)finished / (double)(r->total ? r->total : 1)), (int)elapsed / 60,
            (int)elapsed % 60, eta, name);
    fflush(stderr);
    r->line_shown = 1;
}

static struct gh_cli_summary last_summary;

static void on_started(void *user, const struct gh_cli_item *item)
{
    struct reporter *r = user;
    if (r->config->progress)
        show_progress(r, item, &last_summary);
}

static void on_finished(void *user, const struct gh_cli_item *item, enum gh_cli_outcome outcome,
                        const char *message, double seconds, const struct gh_cli_summary *so_far)
{
    struct reporter *r = user;
    last_summary = *so_far;
    clear_progress(r);
    if (outcome == GH_CLI_FAILED)
        fprintf(stderr, "ghiblify: %s\n", message);
    else if (outcome == GH_CLI_SKIPPED && r->config->verbose)
        fprintf(stderr, "ghiblify: %s\n", message);
    else if (outcome == GH_CLI_DONE && r->config->verbose)
        fprintf(stderr, "ghiblify: %s -> %s (%.2f s)\n", item->input, item->output, seconds);
    if (r->config->progress && so_far->done + so_far->skipped + so_far->failed < r->total)
        show_progress(r, NULL, so_far);
}

int main(int argc, char **argv)
{
    struct gh_cli_config config = {
        .suffix = "_ghibli",
        .quality = GH_IO_DEFAULT_QUALITY,
        .chroma = GH_CHROMA_420,
        .png = GH_PNG_FAST,
        .jobs = 1,
        .max_pixels = GH_IO_DEFAULT_MAX_PIXELS,
    };
    struct gh_cli_items items = {0};
    struct param_ref *params = NULL;
    struct option *longopts = NULL;
    const char *stage_list = NULL, *skip_list = NULL;
    int keep_size = 1, threads = 0, rc = 2;
    int stage_count, param_count = 0;
    const struct gh_stage_def *const *stages = gh_stages_table(&stage_count);

    /* Every stage allocates and frees whole images. Keeping freed memory in the
     * heap (instead of returning each large block to the kernel) avoids paying
     * the page faults again for every image and stage: on our VMs that costs
     * more than many of the filters themselves (tools/BENCHMARKS.md). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);

    gh_pipeline_init(&config.pipeline);
    for (int s = 0; s < stage_count; s++)
        param_count += stages[s]->param_count;
    params = calloc((size_t)param_count + 1, sizeof *params);
    longopts = calloc((size_t)(OPT_COUNT + param_count + 1), sizeof *longopts);
    if (!params || !longopts) {
        fputs("ghiblify: out of memory\n", stderr);
        goto out;
    }
    char shortopts[64] = "";
    int n = 0;
    for (int i = 0; i < OPT_COUNT; i++) {
        const struct cli_option *o = &options[i];
        int val = o->short_name ? o->short_name : LONG_BASE + i;
        longopts[n++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, val};
        if (o->short_name) {
            size_t len = strlen(shortopts);
            shortopts[len] = (char)o->short_name;
            shortopts[len + 1] = '\0';
            if (o->arg)
                strcat(shortopts, ":");
        }
    }
    int p = 0;
    for (int s = 0; s < stage_count; s++)
        for (int k = 0; k < stages[s]->param_count; k++, p++) {
            const struct gh_param_def *pd = &stages[s]->params[k];
            params[p].stage = stages[s];
            params[p].param = pd;
            if (pd->flag)
                snprintf(params[p].flag, sizeof params[p].flag, "%s", pd->flag);
            else
                snprintf(params[p].flag, sizeof params[p].flag, "%s-%s", stages[s]->name, pd->name);
            longopts[n++] = (struct option){params[p].flag, required_argument, NULL, PARAM_BASE + p};
        }

    int c;
    long v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        int id = -1;
        for (int i = 0; i < OPT_COUNT; i++)
            if (c == options[i].short_name || c == LONG_BASE + i)
                id = i;
        if (c >= PARAM_BASE && c < PARAM_BASE + param_count) {
            const struct param_ref *pr = &params[c - PARAM_BASE];
            if (gh_pipeline_set(&config.pipeline, pr->stage->name, pr->param->name, optarg) != GH_OK) {
                rc = usage_error("--%s: %s", pr->flag, gh_error_detail());
                goto out;
            }
            continue;
        }
        switch (id) {
        case OPT_OUTPUT:
            config.output = optarg;
            break;
        case OPT_OUT_DIR:
            config.out_dir = optarg;
            break;
        case OPT_SUFFIX:
            config.suffix = optarg;
            break;
        case OPT_FORMAT:
            if ((config.format = gh_io_format_parse(optarg)) == GH_FORMAT_UNKNOWN) {
                rc = usage_error("--format %s: expected png or jpg", optarg);
                goto out;
            }
            break;
        case OPT_QUALITY:
            if (parse_int(optarg, 1, 100, &v) != 0) {
                rc = usage_error("--quality %s: expected 1..100", optarg);
                goto out;
            }
            config.quality = (int)v;
            break;
        case OPT_CHROMA:
            if (!strcmp(optarg, "420")) {
                config.chroma = GH_CHROMA_420;
            } else if (!strcmp(optarg, "444")) {
                config.chroma = GH_CHROMA_444;
            } else {
                rc = usage_error("--chroma %s: expected 420 or 444", optarg);
                goto out;
            }
            break;
        case OPT_PNG_COMPRESSION:
            if (!strcmp(optarg, "fast")) {
                config.png = GH_PNG_FAST;
            } else if (!strcmp(optarg, "small")) {
                config.png = GH_PNG_SMALL;
            } else {
                rc = usage_error("--png-compression %s: expected fast or small", optarg);
                goto out;
            }
            break;
        case OPT_SYNC:
            config.sync = 1;
            break;
        case OPT_OVERWRITE:
            config.existing = GH_EXISTING_OVERWRITE;
            break;
        case OPT_SKIP_EXISTING:
            config.existing = GH_EXISTING_SKIP;
            break;
        case OPT_RECURSIVE:
            config.recursive = 1;
            break;
        case OPT_JOBS:
            if (parse_int(optarg, 1, 1024, &v) != 0) {
                rc = usage_error("--jobs %s: expected 1..1024", optarg);
                goto out;
            }
            config.jobs = (int)v;
            break;
        case OPT_THREADS:
            if (parse_int(optarg, 1, 1024, &v) != 0) {
                rc = usage_error("--threads %s: expected 1..1024", optarg);
                goto out;
            }
            threads = (int)v;
            break;
        case OPT_SHARD:
            if (gh_cli_parse_shard(optarg, &config.shard_index, &config.shard_count) != GH_OK) {
                rc = usage_error("%s", gh_error_detail());
                goto out;
            }
            break;
        case OPT_MAX_PIXELS: {
            char *end = NULL;
            errno = 0;
            unsigned long long mp = strtoull(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno == ERANGE || mp == 0 || optarg[0] == '-') {
                rc = usage_error("--max-pixels %s: expected a positive number of pixels", optarg);
                goto out;
            }
            config.max_pixels = mp;
            break;
        }
        case OPT_STAGES:
            stage_list = optarg;
            break;
        case OPT_SKIP:
            skip_list = optarg;
            break;
        case OPT_KEEP_SIZE:
            keep_size = 1;
            break;
        case OPT_NO_KEEP_SIZE:
            keep_size = 0;
            break;
        case OPT_DUMP_STAGES:
            config.dump_dir = optarg;
            break;
        case OPT_MODEL:
            config.model_path = optarg;
            break;
        case OPT_REFERENCE:
            config.reference_path = optarg;
            break;
        case OPT_VERBOSE:
            config.verbose = 1;
            break;
        case OPT_QUIET:
            config.quiet = 1;
            break;
        case OPT_VERSION:
            print_version();
            rc = 0;
            goto out;
        case OPT_HELP:
            print_help(params, param_count);
            rc = 0;
            goto out;
        default:
            if (optopt >= PARAM_BASE)
                rc = usage_error("option --%s needs an argument", params[optopt - PARAM_BASE].flag);
            else if (optopt >= LONG_BASE)
                rc = usage_error("option --%s needs an argument", options[optopt - LONG_BASE].name);
            else if (optopt && strchr(shortopts, optopt))
                rc = usage_error("option -%c needs an argument", optopt);
            else if (optopt)
                rc = usage_error("unknown option -%c", optopt);
            else
                rc = usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind >= argc) {
        rc = usage_error("no input given");
        goto out;
    }
    if (config.output && config.out_dir) {
        rc = usage_error("-o and -d cannot be used together");
        goto out;
    }
    /* A reference still means the user wants its colors: unless the stages are
     * chosen explicitly, transfer joins the default ones (--skip still wins). */
    if (config.reference_path && !stage_list)
        gh_pipeline_enable(&config.pipeline, "transfer", 1);
    if (gh_pipeline_select(&config.pipeline, stage_list, skip_list) != GH_OK) {
        rc = usage_error("%s", gh_error_detail());
        goto out;
    }
    if (config.reference_path && !gh_pipeline_uses(&config.pipeline, "transfer") &&
        !gh_pipeline_uses(&config.pipeline, "histmatch")) {
        rc = usage_error("--reference is used by the transfer and histmatch stages, and neither runs");
        goto out;
    }
    if (!keep_size && gh_pipeline_select(&config.pipeline, NULL, "upsample") != GH_OK) {
        rc = usage_error("%s", gh_error_detail());
        goto out;
    }
    int stdin_inputs = 0;
    for (int i = optind; i < argc; i++) {
        stdin_inputs += strcmp(argv[i], "-") == 0;
        if (gh_cli_expand(&items, argv[i], config.recursive) != GH_OK) {
            fprintf(stderr, "ghiblify: %s\n", gh_error_detail());
            rc = 1;
            goto out;
        }
    }
    if (stdin_inputs > 1) {
        rc = usage_error("standard input ('-') can be read only once");
        goto out;
    }
    if (config.output && items.count > 1) {
        rc = usage_error("-o takes one input, but the inputs name %zu images (use -d DIR)", items.count);
        goto out;
    }
    if (config.output && strcmp(config.output, "-") != 0 && config.format == GH_FORMAT_UNKNOWN &&
        gh_io_format_from_name(config.output) == GH_FORMAT_UNKNOWN) {
        rc = usage_error("-o %s: cannot tell the format from the name (use .png/.jpg or --format)",
                         config.output);
        goto out;
    }
    const char *dirs[2] = {config.out_dir, config.dump_dir};
    for (int i = 0; i < 2; i++) {
        struct stat sb;
        if (!dirs[i])
            continue;
        if (stat(dirs[i], &sb) != 0) {
            fprintf(stderr, "ghiblify: %s: %s\n", dirs[i], strerror(errno));
            rc = 1;
            goto out;
        }
        if (!S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "ghiblify: %s: not a directory\n", dirs[i]);
            rc = 1;
            goto out;
        }
        if (access(dirs[i], W_OK) != 0) {
            fprintf(stderr, "ghiblify: %s: directory is not writable: %s\n", dirs[i], strerror(errno));
            rc = 1;
            goto out;
        }
    }
    if (config.shard_count > 1)
        gh_cli_shard(&items, config.shard_index, config.shard_count);
    if (gh_cli_plan_outputs(&config, &items) != GH_OK) {
        fprintf(stderr, "ghiblify: %s\n", gh_error_detail());
        rc = 1;
        goto out;
    }

    int cpus = gh_cpu_count();
    config.threads = threads ? threads : (cpus / config.jobs > 0 ? cpus / config.jobs : 1);
    config.progress = !config.quiet && (isatty(STDERR_FILENO) || config.verbose);

    struct reporter reporter = {&config, items.count, gh_cli_seconds(), 0};
    struct gh_cli_events events = {&reporter, on_started, on_finished};
    struct gh_cli_summary summary;
    if (gh_cli_run(&config, &items, &events, &summary) != GH_OK) {
        fprintf(stderr, "ghiblify: %s\n", gh_error_detail());
        rc = 1;
        goto out;
    }
    clear_progress(&reporter);
    if (!config.quiet)
        fprintf(stderr, "ghiblify: %zu done, %zu skipped, %zu failed (%.1f s)\n", summary.done,
                summary.skipped, summary.failed, gh_cli_seconds() - reporter.t0);
    rc = summary.failed ? 1 : 0;
out:
    gh_cli_items_free(&items);
    free(params);
    free(longopts);
    return rc;
}
