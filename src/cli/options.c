/* ghiblify's command line, parsed into a gh_cli_config: options are one table
 * (below) plus the parameters of every stage (include/ghiblify/stages.h);
 * getopt_long's array and --help are both generated from them. Split from
 * main.c so that tests and the argv fuzzer (tests/fuzz/fuzz_argv.c) run the
 * real parser; it writes only to the streams it is given. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <getopt.h>
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
#include "gh_license.h"

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
    OPT_DEPTH_OUT,
    OPT_DEPTH_MODEL,
    OPT_LOOK,
    OPT_CONFIG,
    OPT_PRINT_CONFIG,
    OPT_LIST_LOOKS,
    OPT_LIST_MODELS,
    OPT_MODEL,
    OPT_REFERENCE,
    OPT_PALETTE_FROM,
    OPT_STRIP,
    OPT_BACKGROUND,
    OPT_MAX_MEMORY,
    OPT_SEED,
    OPT_REPORT,
    OPT_DRY_RUN,
    OPT_VERBOSE,
    OPT_QUIET,
    OPT_LICENSE,
    OPT_VERSION,
    OPT_HELP,
    OPT_COUNT
};

static const struct gh_cli_option options[] = {
    [OPT_OUTPUT] = {"output", 'o', "FILE", NULL, "write the result to FILE ('-': standard output, never a terminal); one input only"},
    [OPT_OUT_DIR] = {"out-dir", 'd', "DIR", "beside each input", "write results into DIR as STEM+SUFFIX.EXT; DIR and its parents are created when missing"},
    [OPT_SUFFIX] = {"suffix", 0, "TEXT", "_ghibli", "appended to the input's file stem; inputs whose stem already ends with it are taken for earlier outputs and left out"},
    [OPT_FORMAT] = {"format", 'f', "png|jpg|webp", "from -o, else the input's (jpg for HEIC/AVIF)", "output format (must agree with -o's extension)"},
    [OPT_QUALITY] = {"quality", 'q', "N", "92", "JPEG and WebP quality, 1..100"},
    [OPT_CHROMA] = {"chroma", 0, "420|444", "420", "JPEG color resolution: 444 keeps full-resolution color (sharper saturated edges, ~35% larger, slower)"},
    [OPT_PNG_COMPRESSION] = {"png-compression", 0, "fast|small", "fast", "PNG effort: small tries every filter per row (4-15% smaller, ~4x the time)"},
    [OPT_SYNC] = {"sync", 0, NULL, NULL, "flush each output to disk (fsync) before it gets its name, so it also survives a power loss"},
    [OPT_OVERWRITE] = {"overwrite", 0, NULL, NULL, "replace existing outputs (inputs are never replaced)"},
    [OPT_SKIP_EXISTING] = {"skip-existing", 0, NULL, "on", "leave existing outputs alone and count them as skipped, so a rerun does only what is missing"},
    [OPT_RECURSIVE] = {"recursive", 'r', NULL, NULL, "descend into subdirectories of directory inputs"},
    [OPT_JOBS] = {"jobs", 'j', "N", "1", "images processed in parallel"},
    [OPT_THREADS] = {"threads", 0, "N", "CPUs / jobs", "threads per image"},
    [OPT_SHARD] = {"shard", 0, "K/N", NULL, "process only share K (1..N) of N deterministic shares of the inputs"},
    [OPT_MAX_PIXELS] = {"max-pixels", 0, "N", "100000000", "refuse images with more pixels, before decoding"},
    [OPT_STAGES] = {"stages", 0, "LIST", NULL, "run exactly these comma-separated stages (always in pipeline order)"},
    [OPT_SKIP] = {"skip", 0, "LIST", NULL, "do not run these comma-separated stages"},
    [OPT_KEEP_SIZE] = {"keep-size", 0, NULL, "on", "write the result at the photo's original size"},
    [OPT_NO_KEEP_SIZE] = {"no-keep-size", 0, NULL, NULL, "write the result at the working size (skips upsample)"},
    [OPT_DUMP_STAGES] = {"dump-stages", 0, "DIR", NULL, "write every stage's output as DIR/STEM.NN-STAGE.png (DIR is created when missing)"},
    [OPT_DEPTH_MODEL] = {"depth-model", 0, "FILE", "the built-in estimate", "a MiDaS v2.1 small depth network (ONNX or TFLite) for the depth stage"},
    [OPT_DEPTH_OUT] = {"depth-out", 0, "FILE", NULL, "also write the depth map (16-bit gray PNG at the working size, or at most 2048 px with --detail full; white near) of the one input to FILE"},
    [OPT_LOOK] = {"look", 0, "NAME", "hayao", "a preset of palette and stage strengths (--list-looks); options after it override its values"},
    [OPT_CONFIG] = {"config", 0, "FILE", NULL, "read stage parameters, seed and generator from a JSON file made by --print-config; options after it override its values"},
    [OPT_PRINT_CONFIG] = {"print-config", 0, NULL, NULL, "print the effective parameters of every stage (after --look, --config and the flags), the seed and the generator as JSON, and exit"},
    [OPT_LIST_LOOKS] = {"list-looks", 0, NULL, NULL, "print the looks with their palettes and settings, and exit"},
    [OPT_LIST_MODELS] = {"list-models", 0, NULL, NULL, "print the built-in generators (style, source, license, size, sha256), and exit"},
    [OPT_MODEL] = {"model", 'm', "NAME|FILE", "hayao", "generator for the stylize stage: a built-in one by name (--list-models) or an AnimeGAN-family ONNX or TFLite file (format by content; ./NAME for a file called like a built-in)"},
    [OPT_REFERENCE] = {"reference", 0, "FILE", NULL, "a still whose colors transfer and histmatch aim at instead of the look's targets (transfer amount 0.5 unless given after it)"},
    [OPT_PALETTE_FROM] = {"palette-from", 0, "FILE", NULL, "a still whose dominant colors the palette stage pulls toward (instead of the image's own or the look's)"},
    [OPT_STRIP] = {"strip", 0, NULL, NULL, "write no metadata: by default EXIF (date, camera, GPS; orientation reset to upright) and the ICC profile are copied to the output (sRGB, once a wide-gamut input is converted)"},
    [OPT_BACKGROUND] = {"background", 0, "COLOR", "white", "what transparent pixels are composited over when the output is JPEG: #RRGGBB, white or black"},
    [OPT_MAX_MEMORY] = {"max-memory", 0, "MB", "3/4 of RAM (or the cgroup limit) / jobs", "memory one image may use; a --size that cannot fit is refused before any work"},
    [OPT_SEED] = {"seed", 0, "N", "1", "seed of the stages' random choices (grain, dithering): the same seed gives the same bytes"},
    [OPT_REPORT] = {"report", 0, "FILE", NULL, "write one JSON object per input to FILE as each finishes ('-': standard error): input, output, status, error, sizes, seconds per step, peak memory"},
    [OPT_DRY_RUN] = {"dry-run", 'n', NULL, NULL, "print what would be written, skipped or refused (one tab-separated line per input) without reading or writing any image"},
    [OPT_VERBOSE] = {"verbose", 'v', NULL, NULL, "print a line per image (with internal details in errors)"},
    [OPT_QUIET] = {"quiet", 0, NULL, NULL, "print only errors (not with -v)"},
    [OPT_LICENSE] = {"license", 0, NULL, NULL, "print the licenses of ghiblify and of its built-in generators' weights (non-commercial), and exit"},
    [OPT_VERSION] = {"version", 0, NULL, NULL, "print version information and exit"},
    [OPT_HELP] = {"help", 'h', NULL, NULL, "print this help and exit"},
};
_Static_assert(sizeof options / sizeof options[0] == OPT_COUNT, "one table entry per option");

const struct gh_cli_option *gh_cli_options(int *count)
{
    *count = OPT_COUNT;
    return options;
}

void gh_cli_param_flag(const struct gh_stage_def *stage, const struct gh_param_def *param, char *buf, size_t size)
{
    if (param->flag)
        snprintf(buf, size, "%s", param->flag);
    else
        snprintf(buf, size, "%s-%s", stage->name, param->name);
}

const char *const gh_cli_examples[][2] = {
    {"ghiblify photo.jpg", "writes photo_ghibli.jpg beside it"},
    {"ghiblify *.jpg -d out/", "every photo into out/ (created if missing)"},
    {"ghiblify -r photos/ -d out/ --skip-existing", "a tree, mirrored; reruns resume"},
    {"cat photo.jpg | ghiblify - > out.jpg", "a filter: standard input to standard output"},
    {"ghiblify --look totoro photo.jpg", "lush greens and soft blue skies (--list-looks)"},
    {NULL, NULL},
};

const char gh_cli_exit_status[] =
    "0 all inputs succeeded or were skipped, 1 some failed (the others are still processed), 2 usage error "
    "or the run could not start (an output folder cannot be created, the model cannot be loaded, the size "
    "does not fit in memory), 130/143 interrupted by SIGINT/SIGTERM (finished outputs stay; rerun with "
    "--skip-existing to do the rest). Outputs are written to a temporary file and renamed into place; "
    "inputs are never overwritten.";

/* text as lines of at most width columns, each starting with indent. */
static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
    const char *p = text;
    while (*p) {
        int len = (int)strlen(p);
        if (len > width) {
            len = width;
            while (len > 0 && p[len] != ' ')
                len--;
            if (len == 0)
                len = width;
        }
        fprintf(out, "%*s%.*s\n", indent, "", len, p);
        p += len;
        while (*p == ' ')
            p++;
    }
}

/* getopt_long values: short letters for options that have one, else these. */
#define LONG_BASE 256
#define PARAM_BASE 512

struct param_ref {
    const struct gh_stage_def *stage;
    const struct gh_param_def *param;
    char flag[64];
};

static int usage_error(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(FILE *err, const char *fmt, ...)
{
    va_list ap;
    fputs("ghiblify: ", err);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputs("\nTry 'ghiblify --help' for more information.\n", err);
    return 2;
}

static void print_help(FILE *out, const struct param_ref *params, int param_count)
{
    fprintf(out, "Usage: ghiblify [OPTIONS] INPUT...\n"
           "Turn photos into the look of a Studio Ghibli background painting.\n"
           "INPUT is a PNG, JPEG, WebP, HEIC/HEIF or AVIF file, a directory of them, or '-' for standard input.\n\n"
           "Options:\n");
    for (int i = 0; i < OPT_COUNT; i++) {
        const struct gh_cli_option *o = &options[i];
        char head[64];
        snprintf(head, sizeof head, "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
                 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
                 o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-28s %s", head, o->doc);
        if (o->fallback)
            fprintf(out, " (default: %s)", o->fallback);
        fputc('\n', out);
    }
    int count;
    const struct gh_stage_def *const *stages = gh_stages_table(&count);
    fprintf(out, "\nStages, in pipeline order:\n");
    for (int s = 0; s < count; s++)
        fprintf(out, "  %-12s %s%s\n", stages[s]->name, stages[s]->doc,
               stages[s]->enabled_by_default ? "" : " (off by default)");
    fprintf(out, "\nStage parameters:\n");
    for (int i = 0; i < param_count; i++) {
        const struct gh_param_def *p = params[i].param;
        char head[96], def[64];
        const char *argname = p->type == GH_PARAM_ENUM ? "NAME" : p->type == GH_PARAM_INT ? "N" : "X";
        snprintf(head, sizeof head, "    --%s %s", params[i].flag, argname);
        if (p->type == GH_PARAM_ENUM)
            snprintf(def, sizeof def, "%s", p->choices[(int)p->default_value]);
        else
            snprintf(def, sizeof def, "%.10g", p->default_value);
        fprintf(out, "  %-28s %s: %s (default: %s", head, params[i].stage->name, p->doc, def);
        if (p->type == GH_PARAM_ENUM) {
            fprintf(out, "; one of");
            for (int c = 0; p->choices[c]; c++)
                fprintf(out, " %s", p->choices[c]);
        } else {
            fprintf(out, "; %.10g..%.10g", p->min, p->max);
        }
        fprintf(out, ")\n");
    }
    fprintf(out, "\nExamples:\n");
    for (int i = 0; gh_cli_examples[i][0]; i++)
        fprintf(out, "  %-37s %s\n", gh_cli_examples[i][0], gh_cli_examples[i][1]);
    fprintf(out, "\nExit status:\n");
    print_wrapped(out, gh_cli_exit_status, 2, 78);
}

static void print_looks(FILE *out)
{
    int count;
    const struct gh_look *looks = gh_looks_table(&count);
    for (int i = 0; i < count; i++) {
        fprintf(out, "%s%s\n  %s\n  palette:", looks[i].name, i == 0 ? " (default)" : "", looks[i].doc);
        for (int c = 0; c < GH_LOOK_MAX_COLORS && looks[i].palette[c]; c++)
            fprintf(out, " %s", looks[i].palette[c]);
        fprintf(out, "\n  settings: %s\n", looks[i].settings);
    }
}

static void print_models(FILE *out)
{
    for (int i = 0; i < gh_nn_builtin_count(); i++) {
        const struct gh_nn_builtin *m = gh_nn_builtin_at(i);
        fprintf(out, "%s%s\n  %s\n  source: %s\n  license: %s\n", m->name, i == 0 ? " (default)" : "",
               m->style, m->source, m->license);
        if (m->data)
            fprintf(out, "  file: %s, %zu bytes, sha256 %.16s\n", m->file, m->size, m->sha256);
        else
            fprintf(out, "  file: %s: not in this build (tools/fetch-models.sh, then rebuild)\n", m->file);
    }
}

/* The program's license (LICENSE, built in) and each built-in generator's:
 * the weights are not ghiblify's and their terms differ (non-commercial). */
static void print_license(FILE *out)
{
    fprintf(out, "ghiblify %s\n\n%s\n", GH_VERSION, gh_license_text);
    fprintf(out, "The built-in generators' weights are not covered by the license above.\n"
                 "Each has its own terms (installed as MODELS.md beside this license):\n\n");
    for (int i = 0; i < gh_nn_builtin_count(); i++) {
        const struct gh_nn_builtin *m = gh_nn_builtin_at(i);
        fprintf(out, "%s (%s)%s\n  license: %s\n  source: %s\n", m->name, m->file,
                m->data ? "" : " [not in this build]", m->license, m->source);
    }
}

static void print_version(FILE *out)
{
    fprintf(out, "ghiblify %s\n", GH_VERSION);
    fprintf(out, "libpng %s, libjpeg-turbo (libjpeg API %d)\n", png_get_libpng_ver(NULL), JPEG_LIB_VERSION);
    char codecs[160];
    gh_io_codec_versions(codecs, sizeof codecs);
    fprintf(out, "%s\n", codecs);
    int n = 0;
    for (int i = 0; i < gh_nn_builtin_count(); i++)
        n += gh_nn_builtin_at(i)->data != NULL;
    const struct gh_nn_builtin *def = gh_nn_builtin_at(0);
    if (def && def->data)
        fprintf(out, "built-in model: %s (%s), %zu bytes, sha256 %.16s; %d of %d built in (--list-models)\n",
               def->name, def->file, def->size, def->sha256, n, gh_nn_builtin_count());
    else
        fprintf(out, "built-in model: none (run tools/fetch-models.sh and rebuild); %d of %d built in\n", n,
               gh_nn_builtin_count());
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

/* "#RRGGBB", "RRGGBB", "white" or "black" into [0, 1] floats. */
static int parse_color(const char *text, float rgb[3])
{
    unsigned long v;
    const char *hex = text[0] == '#' ? text + 1 : text;
    if (!strcmp(text, "white"))
        v = 0xffffff;
    else if (!strcmp(text, "black"))
        v = 0;
    /* Exactly six hex digits: sscanf's %6x also took a sign, leading blanks
     * and a 0x prefix ("#-12345", "# 12345", "0x1234" were colors). */
    else if (strlen(hex) == 6 && strspn(hex, "0123456789abcdefABCDEF") == 6)
        v = strtoul(hex, NULL, 16);
    else
        return -1;
    for (int c = 0; c < 3; c++)
        rgb[c] = (float)((v >> (16 - 8 * c)) & 0xff) / 255.0f;
    return 0;
}

/* "512", "512M", "4G", "4096K": a size in MB by default. */
static int parse_megabytes(const char *text, size_t *bytes)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    double unit = 1048576.0;
    if (end == text || errno == ERANGE || !(v > 0))
        return -1;
    if (*end == 'K' || *end == 'k')
        unit = 1024.0, end++;
    else if (*end == 'M' || *end == 'm')
        end++;
    else if (*end == 'G' || *end == 'g')
        unit = 1073741824.0, end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || v * unit > 1e18)
        return -1;
    *bytes = (size_t)(v * unit);
    return 0;
}

int gh_cli_parse(int argc, char **argv, FILE *out, FILE *err, struct gh_cli_args *args)
{
    struct gh_cli_config config = {
        .suffix = "_ghibli",
        .quality = GH_IO_DEFAULT_QUALITY,
        .chroma = GH_CHROMA_420,
        /* A rerun of the same command must do nothing and succeed; replacing
         * is asked for with --overwrite. */
        .existing = GH_EXISTING_SKIP,
        .png = GH_PNG_FAST,
        .jobs = 1,
        .max_pixels = GH_IO_DEFAULT_MAX_PIXELS,
        .background = {1.0f, 1.0f, 1.0f},
        .seed = 1,
    };
    int max_memory_set = 0;
    struct param_ref *params = NULL;
    struct option *longopts = NULL;
    const char *stage_list = NULL, *skip_list = NULL;
    int keep_size = 1, threads = 0, rc = 2;
    int stage_count, param_count = 0;
    const struct gh_stage_def *const *stages = gh_stages_table(&stage_count);

    gh_pipeline_init(&config.pipeline);
    for (int s = 0; s < stage_count; s++)
        param_count += stages[s]->param_count;
    params = calloc((size_t)param_count + 1, sizeof *params);
    longopts = calloc((size_t)OPT_COUNT + (size_t)param_count + 1, sizeof *longopts);
    if (!params || !longopts) {
        fputs("ghiblify: out of memory\n", err);
        goto out;
    }
    char shortopts[64] = "";
    int n = 0;
    for (int i = 0; i < OPT_COUNT; i++) {
        const struct gh_cli_option *o = &options[i];
        int val = o->short_name ? o->short_name : LONG_BASE + i;
        longopts[n++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, val};
        if (o->short_name) {
            size_t len = strlen(shortopts);
            shortopts[len++] = (char)o->short_name;
            if (o->arg)
                shortopts[len++] = ':';
            shortopts[len] = '\0';
        }
    }
    int p = 0;
    for (int s = 0; s < stage_count; s++)
        for (int k = 0; k < stages[s]->param_count; k++, p++) {
            const struct gh_param_def *pd = &stages[s]->params[k];
            params[p].stage = stages[s];
            params[p].param = pd;
            gh_cli_param_flag(stages[s], pd, params[p].flag, sizeof params[p].flag);
            longopts[n++] = (struct option){params[p].flag, required_argument, NULL, PARAM_BASE + p};
        }

    int c;
    long v;
    opterr = 0;
    /* 0, not 1: glibc then starts afresh, so a second parse in one process
     * (tests, the fuzzer) does not inherit the first one's scanning state. */
    optind = 0;
    int size_given = 0, print_config = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        int id = -1;
        for (int i = 0; i < OPT_COUNT; i++)
            if (c == options[i].short_name || c == LONG_BASE + i)
                id = i;
        if (c >= PARAM_BASE && c < PARAM_BASE + param_count) {
            const struct param_ref *pr = &params[c - PARAM_BASE];
            if (gh_pipeline_set(&config.pipeline, pr->stage->name, pr->param->name, optarg) != GH_OK) {
                rc = usage_error(err, "--%s: %s", pr->flag, gh_error_detail());
                goto out;
            }
            size_given |= strcmp(pr->stage->name, "resize") == 0 && strcmp(pr->param->name, "size") == 0;
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
                rc = usage_error(err, "--format %s: expected png, jpg or webp", optarg);
                goto out;
            }
            if (!gh_io_format_writable(config.format)) {
                rc = usage_error(err, "--format %s: %s", optarg, gh_cli_unwritable(config.format));
                goto out;
            }
            break;
        case OPT_QUALITY:
            if (parse_int(optarg, 1, 100, &v) != 0) {
                rc = usage_error(err, "--quality %s: expected 1..100", optarg);
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
                rc = usage_error(err, "--chroma %s: expected 420 or 444", optarg);
                goto out;
            }
            break;
        case OPT_PNG_COMPRESSION:
            if (!strcmp(optarg, "fast")) {
                config.png = GH_PNG_FAST;
            } else if (!strcmp(optarg, "small")) {
                config.png = GH_PNG_SMALL;
            } else {
                rc = usage_error(err, "--png-compression %s: expected fast or small", optarg);
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
                rc = usage_error(err, "--jobs %s: expected 1..1024", optarg);
                goto out;
            }
            config.jobs = (int)v;
            break;
        case OPT_THREADS:
            if (parse_int(optarg, 1, 1024, &v) != 0) {
                rc = usage_error(err, "--threads %s: expected 1..1024", optarg);
                goto out;
            }
            threads = (int)v;
            break;
        case OPT_SHARD:
            if (gh_cli_parse_shard(optarg, &config.shard_index, &config.shard_count) != GH_OK) {
                rc = usage_error(err, "%s", gh_error_detail());
                goto out;
            }
            break;
        case OPT_MAX_PIXELS: {
            char *end = NULL;
            errno = 0;
            unsigned long long mp = strtoull(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno == ERANGE || mp == 0 || optarg[0] == '-') {
                rc = usage_error(err, "--max-pixels %s: expected a positive number of pixels", optarg);
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
        case OPT_DEPTH_OUT:
            config.depth_out = optarg;
            break;
        case OPT_DEPTH_MODEL:
            config.depth_model_path = optarg;
            break;
        case OPT_LOOK: {
            const struct gh_look *look = gh_looks_find(optarg);
            if (!look) {
                char names[256] = "";
                int count;
                const struct gh_look *all = gh_looks_table(&count);
                for (int l = 0; l < count; l++) {
                    strncat(names, l ? ", " : "", sizeof names - strlen(names) - 1);
                    strncat(names, all[l].name, sizeof names - strlen(names) - 1);
                }
                rc = usage_error(err, "--look %s: unknown look (looks: %s)", optarg, names);
                goto out;
            }
            if (gh_look_apply(&config.pipeline, look) != GH_OK) {
                rc = usage_error(err, "--look %s: %s", optarg, gh_error_detail());
                goto out;
            }
            break;
        }
        case OPT_CONFIG:
            if (gh_cli_config_load(optarg, &config) != GH_OK) {
                rc = usage_error(err, "--config %s", gh_error_detail());
                goto out;
            }
            size_given = 1; /* its resize.size is as given, even for a generator with its own */
            break;
        case OPT_PRINT_CONFIG:
            print_config = 1;
            break;
        case OPT_LIST_MODELS:
            print_models(out);
            rc = 0;
            goto out;
        case OPT_LIST_LOOKS:
            print_looks(out);
            rc = 0;
            goto out;
        case OPT_PALETTE_FROM:
            config.palette_path = optarg;
            break;
        case OPT_MODEL:
            config.model_path = optarg;
            break;
        case OPT_REFERENCE:
            config.reference_path = optarg;
            /* A still the user chose is meant to show: stronger than a look's
             * partial pull (a --transfer-amount after it still wins). */
            gh_pipeline_set(&config.pipeline, "transfer", "amount", "0.5");
            break;
        case OPT_STRIP:
            config.strip = 1;
            break;
        case OPT_BACKGROUND:
            if (parse_color(optarg, config.background) != 0) {
                rc = usage_error(err, "--background %s: expected #RRGGBB, white or black", optarg);
                goto out;
            }
            break;
        case OPT_MAX_MEMORY:
            if (parse_megabytes(optarg, &config.max_memory) != 0) {
                rc = usage_error(err, "--max-memory %s: expected megabytes, e.g. 4096 or 4G", optarg);
                goto out;
            }
            max_memory_set = 1;
            break;
        case OPT_SEED:
            if (parse_int(optarg, 0, 2147483647, &v) != 0) {
                rc = usage_error(err, "--seed %s: expected 0..2147483647", optarg);
                goto out;
            }
            config.seed = (unsigned long)v;
            break;
        case OPT_REPORT:
            config.report_path = optarg;
            break;
        case OPT_DRY_RUN:
            config.dry_run = 1;
            break;
        case OPT_VERBOSE:
            config.verbose = 1;
            break;
        case OPT_QUIET:
            config.quiet = 1;
            break;
        case OPT_LICENSE:
            print_license(out);
            rc = 0;
            goto out;
        case OPT_VERSION:
            print_version(out);
            rc = 0;
            goto out;
        case OPT_HELP:
            print_help(out, params, param_count);
            rc = 0;
            goto out;
        default:
            if (optopt >= PARAM_BASE)
                rc = usage_error(err, "option --%s needs an argument", params[optopt - PARAM_BASE].flag);
            else if (optopt >= LONG_BASE)
                rc = usage_error(err, "option --%s needs an argument", options[optopt - LONG_BASE].name);
            else if (optopt && strchr(shortopts, optopt))
                rc = usage_error(err, "option -%c needs an argument", optopt);
            else if (optopt)
                rc = usage_error(err, "unknown option -%c", optopt);
            else
                rc = usage_error(err, "unknown or incomplete option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind >= argc && !print_config) {
        rc = usage_error(err, "no input given");
        goto out;
    }
    if (config.quiet && config.verbose) {
        rc = usage_error(err, "--quiet and -v contradict each other; give one");
        goto out;
    }
    if (config.output && config.out_dir) {
        rc = usage_error(err, "-o and -d cannot be used together");
        goto out;
    }
    /* A reference still means the user wants its colors: unless the stages are
     * chosen explicitly, transfer joins the default ones (--skip still wins). */
    if (config.reference_path && !stage_list)
        gh_pipeline_enable(&config.pipeline, "transfer", 1);
    if (gh_pipeline_select(&config.pipeline, stage_list, skip_list) != GH_OK) {
        rc = usage_error(err, "%s", gh_error_detail());
        goto out;
    }
    if (gh_pipeline_count(&config.pipeline) == 0) {
        /* It would only re-encode the photo, which is never what was asked. */
        rc = usage_error(err, "no stage left to run (--stages %s%s%s)", stage_list ? stage_list : "(default)",
                         skip_list ? " --skip " : "", skip_list ? skip_list : "");
        goto out;
    }
    if (config.reference_path && !gh_pipeline_uses(&config.pipeline, "transfer") &&
        !gh_pipeline_uses(&config.pipeline, "histmatch")) {
        rc = usage_error(err, "--reference is used by the transfer and histmatch stages, and neither runs");
        goto out;
    }
    if (config.palette_path && !gh_pipeline_uses(&config.pipeline, "palette")) {
        rc = usage_error(err, "--palette-from is used by the palette stage, which does not run");
        goto out;
    }
    if (!keep_size && gh_pipeline_select(&config.pipeline, NULL, "upsample") != GH_OK) {
        rc = usage_error(err, "%s", gh_error_detail());
        goto out;
    }
    if (config.output && strcmp(config.output, "-") != 0) {
        enum gh_format named = gh_io_format_from_name(config.output);
        if (config.format == GH_FORMAT_UNKNOWN && named == GH_FORMAT_UNKNOWN) {
            rc = usage_error(err, "-o %s: cannot tell the format from the name (use .png/.jpg/.webp or --format)",
                             config.output);
            goto out;
        }
        if (config.format == GH_FORMAT_UNKNOWN && !gh_io_format_writable(named)) {
            rc = usage_error(err, "-o %s: %s", config.output, gh_cli_unwritable(named));
            goto out;
        }
        if (config.format != GH_FORMAT_UNKNOWN && named != GH_FORMAT_UNKNOWN && named != config.format) {
            rc = usage_error(err, "-o %s contradicts --format %s (name the file .%s, or drop --format)",
                             config.output, gh_io_format_extension(config.format),
                             gh_io_format_extension(config.format));
            goto out;
        }
    }
    int stdin_inputs = 0;
    for (int i = optind; i < argc; i++)
        stdin_inputs += strcmp(argv[i], "-") == 0;
    if (stdin_inputs > 1) {
        rc = usage_error(err, "standard input ('-') can be read only once");
        goto out;
    }
    /* A built-in generator that looks best at another working size gets it,
     * unless --size says otherwise. */
    const struct gh_nn_builtin *chosen =
        config.model_path ? gh_cli_builtin_model(config.model_path) : gh_nn_builtin_at(0);
    if (chosen && chosen->working_size > 0 && !size_given) {
        char text[16];
        snprintf(text, sizeof text, "%d", chosen->working_size);
        gh_pipeline_set(&config.pipeline, "resize", "size", text);
    }
    if (print_config) {
        char *json = gh_cli_config_json(&config);
        if (!json) {
            fputs("ghiblify: out of memory\n", err);
            goto out;
        }
        fprintf(out, "%s\n", json);
        free(json);
        rc = 0;
        goto out;
    }
    args->config = config;
    args->first_input = optind;
    args->threads = threads;
    args->max_memory_set = max_memory_set;
    rc = -1;
out:
    free(params);
    free(longopts);
    return rc;
}

int gh_cli_plan(const struct gh_cli_args *args, int argc, char **argv, FILE *err,
                struct gh_cli_items *items)
{
    const struct gh_cli_config *config = &args->config;
    for (int i = args->first_input; i < argc; i++) {
        if (gh_cli_expand(items, argv[i], config) != GH_OK) {
            fprintf(err, "ghiblify: %s\n", gh_error_detail());
            return 2;
        }
    }
    if (config->output && items->count > 1)
        return usage_error(err, "-o takes one input, but the inputs name %zu images (use -d DIR)",
                           items->count);
    if (config->depth_out && items->count > 1)
        return usage_error(err, "--depth-out takes one input, but the inputs name %zu images "
                                "(--dump-stages DIR writes each one's depth map)",
                           items->count);
    if (config->depth_out && !gh_pipeline_uses(&config->pipeline, "depth") &&
        !gh_pipeline_uses(&config->pipeline, "fog"))
        return usage_error(err, "--depth-out: neither the depth nor the fog stage runs, so no depth map is made");
    if (config->shard_count > 1)
        gh_cli_shard(items, config->shard_index, config->shard_count);
    if (gh_cli_plan_outputs(config, items) != GH_OK) {
        fprintf(err, "ghiblify: %s\n", gh_error_detail());
        return 2;
    }
    return -1;
}
