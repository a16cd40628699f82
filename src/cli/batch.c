/* The batch driver: a pool of workers, each taking the next input, running the
 * pipeline and writing the result atomically. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ghiblify/cli.h"
#include "ghiblify/ops.h"

struct batch {
    const struct gh_cli_config *config;
    struct gh_nn_model **generators; /* one per worker: a model runs one image at a time */
    struct gh_nn_model **depth_models; /* --depth-model, one per worker, or NULL */
    int multiple;
    struct gh_nn_footprint footprint; /* of generators[0]; all are the same model */
    int have_footprint;
    struct gh_image *reference; /* --reference, read-only once loaded, shared by all workers */
    struct gh_image *palette_image; /* --palette-from, likewise */
    const struct gh_cli_items *items;
    const struct gh_cli_events *events;
    /* Every output existed at the start (a rerun), so nothing was loaded: an
     * output that vanished since is skipped too rather than run without a model. */
    int nothing_to_do;
    struct gh_cli_summary summary;
    size_t next;
    pthread_mutex_t lock;
};

double gh_cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum gh_status gh_cli_make_dirs(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return gh_error(GH_ERR_IO, "%s: exists and is not a directory", dir);
        return GH_OK;
    }
    char *copy = gh_aprintf("%s/", dir);
    if (!copy)
        return gh_error(GH_ERR_NOMEM, "%s: no memory to create the directory", dir);
    enum gh_status st = GH_OK;
    for (char *p = copy + 1; *p && st == GH_OK; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST)
            st = gh_error(GH_ERR_IO, "%s: cannot create directory %s: %s", dir, copy, strerror(errno));
        else if (stat(copy, &sb) != 0 || !S_ISDIR(sb.st_mode))
            st = gh_error(GH_ERR_IO, "%s: %s is not a directory", dir, copy);
        *p = '/';
    }
    free(copy);
    return st;
}

/* Creates the directories leading to path's last component (for -r with -d). */
static enum gh_status make_parents(const char *path, size_t keep_prefix)
{
    char *copy = strdup(path);
    if (!copy)
        return gh_error(GH_ERR_NOMEM, "no memory");
    enum gh_status st = GH_OK;
    for (char *p = copy + keep_prefix; *p; p++) {
        if (*p != '/' || p == copy)
            continue;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            st = gh_error(GH_ERR_IO, "cannot create directory %s: %s", copy, strerror(errno));
            break;
        }
        *p = '/';
    }
    free(copy);
    return st;
}

struct dump_ctx {
    const char *dir; /* NULL: no dumps, only the stop check */
    const char *input;
    const char *depth_out; /* --depth-out FILE, or NULL */
    int depth_written;
    int overwrite;
    int step;
    const volatile sig_atomic_t *stop;
    /* Seconds each step took ("read 0.18, resize 0.02, ..."), for -v: users
     * ask which stage is slow, and this answers without a profiler. */
    char times[512];
    size_t times_len;
    double mark;
    struct gh_cli_result result; /* sizes and the same times, for --report */
};

static void add_time(struct dump_ctx *d, const char *name)
{
    double now = gh_cli_seconds();
    size_t room = sizeof d->times - d->times_len;
    int n = snprintf(d->times + d->times_len, room, "%s%s %.2f", d->times_len ? ", " : "", name,
                     now - d->mark);
    if (n > 0 && (size_t)n < room)
        d->times_len += (size_t)n;
    if (d->result.steps < GH_CLI_MAX_STEPS) {
        d->result.step_name[d->result.steps] = name;
        d->result.step_seconds[d->result.steps++] = now - d->mark;
    }
    d->mark = now;
}

/* After every stage: stop when asked to, else dump the stage's output. */
static enum gh_status dump_stage(void *user, const char *name, const struct gh_image *image)
{
    struct dump_ctx *d = user;
    /* Products ("sky", "depth-map") arrive after the last stage and took no
     * time of their own; "input" is the read, already counted. */
    if (gh_stages_find(name))
        add_time(d, name);
    if (d->stop && *d->stop)
        return gh_error(GH_ERR_STOPPED, "interrupted");
    if (d->depth_out && image->channels == 1 && (!strcmp(name, "depth") || !strcmp(name, "depth-map"))) {
        unsigned char *png = NULL;
        size_t size = 0;
        enum gh_status st = gh_io_encode_gray16(image, &png, &size);
        if (st == GH_OK)
            st = gh_io_write_all(d->depth_out, png, size, d->overwrite ? GH_IO_WRITE_OVERWRITE : 0);
        free(png);
        if (st != GH_OK)
            return st;
        d->depth_written = 1;
    }
    if (!d->dir)
        return GH_OK;
    const char *base = strrchr(d->input, '/');
    base = base ? base + 1 : d->input;
    if (strcmp(base, "-") == 0)
        base = "stdin";
    const char *dot = strrchr(base, '.');
    int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%.*s.%02d-%s.png", d->dir, stem, base, ++d->step,
                     name);
    if (n < 0 || (size_t)n >= sizeof path)
        return gh_error(GH_ERR_ARGUMENT, "--dump-stages path too long");
    unsigned char *png = NULL;
    size_t size = 0;
    /* Masks and maps as 16-bit gray: the depth map's steps matter to whoever
     * tunes the fog, and 8 bits would show bands that are not there. */
    enum gh_status st = image->channels == 1 ? gh_io_encode_gray16(image, &png, &size)
                                             : gh_io_encode(image, NULL, GH_FORMAT_PNG, 0, &png, &size);
    if (st == GH_OK)
        st = gh_io_write_all(path, png, size, GH_IO_WRITE_OVERWRITE);
    free(png);
    d->mark = gh_cli_seconds(); /* dumping is not the stage's time */
    return st;
}

/* rgb composited over a flat background by alpha, for formats without alpha. */
static enum gh_status flatten(const struct gh_image *rgb, const struct gh_image *alpha,
                              const float background[3], struct gh_image **out)
{
    enum gh_status st = gh_image_new(rgb->width, rgb->height, 3, out);
    if (st != GH_OK)
        return st;
    size_t n = (size_t)rgb->width * (size_t)rgb->height;
    const float *a = gh_image_plane(alpha, 0);
    for (int c = 0; c < 3; c++) {
        const float *src = gh_image_plane(rgb, c);
        float *dst = gh_image_plane(*out, c), bg = background[c];
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i] * a[i] + bg * (1.0f - a[i]);
    }
    return GH_OK;
}

/* Runs one item; returns its outcome and leaves the reason in the error detail.
 * *note receives a malloc'd remark for the user (or stays NULL). */
static enum gh_cli_outcome process(const struct batch *b, struct gh_nn_model *generator,
                                   struct gh_nn_model *depth_model, const struct gh_cli_item *it,
                                   int last, char **note, struct dump_ctx *dump)
{
    const struct gh_cli_config *config = b->config;
    struct gh_picture *pic = NULL;
    struct gh_image *result = NULL, *alpha = NULL, *flat = NULL;
    unsigned char *encoded = NULL;
    size_t encoded_size = 0;
    enum gh_status st;
    enum gh_cli_outcome outcome = GH_CLI_FAILED;
    int to_stdout = strcmp(it->output, "-") == 0;

    if (it->error) {
        gh_error(GH_ERR_ARGUMENT, "%s", it->error);
        return GH_CLI_FAILED;
    }
    if (it->skip) {
        gh_error(GH_ERR_EXISTS, "%s", it->skip);
        return GH_CLI_SKIPPED;
    }
    struct stat sb;
    if (b->nothing_to_do) {
        gh_error(GH_ERR_EXISTS, "%s: %s exists, skipped", it->input,
                 it->output);
        return GH_CLI_SKIPPED;
    }
    if (!to_stdout && config->existing != GH_EXISTING_OVERWRITE && lstat(it->output, &sb) == 0) {
        if (config->existing == GH_EXISTING_SKIP) {
            gh_error(GH_ERR_EXISTS, "%s: %s exists, skipped", it->input, it->output);
            return GH_CLI_SKIPPED;
        }
        gh_error(GH_ERR_EXISTS, "%s: %s exists (use --overwrite or --skip-existing)", it->input,
                 it->output);
        return GH_CLI_FAILED;
    }
    *dump = (struct dump_ctx){.dir = config->dump_dir,
                              .input = it->input,
                              .depth_out = config->depth_out,
                              .overwrite = config->existing == GH_EXISTING_OVERWRITE,
                              .stop = config->stop,
                              .mark = gh_cli_seconds()};
    if ((st = gh_io_read_picture(it->input, config->max_pixels, &pic)) != GH_OK)
        goto out;
    add_time(dump, "read");
    dump->result.in_width = pic->rgb->width;
    dump->result.in_height = pic->rgb->height;

    struct gh_stage_ctx ctx = {.threads = config->threads,
                               .original_width = pic->rgb->width,
                               .original_height = pic->rgb->height,
                               .generator = generator,
                               .generator_multiple = b->multiple,
                               .release_generator = last,
                               .footprint = b->have_footprint ? &b->footprint : NULL,
                               .memory_limit = (double)config->max_memory,
                               .detail_full = gh_pipeline_uses(&config->pipeline, "stylize") &&
                                              gh_pipeline_get(&config->pipeline, "stylize", "detail") == 1,
                               .working_size = (int)gh_pipeline_get(&config->pipeline, "resize", "size"),
                               .verbose = config->verbose,
                               .reference = b->reference,
                               .palette_image = b->palette_image,
                               .depth_model = depth_model,
                               .seed = config->seed};
    if (config->dump_dir && (st = dump_stage(dump, "input", pic->rgb)) != GH_OK)
        goto fail_prefixed;
    if (ctx.detail_full) {
        /* The pipeline may paint the photo in place: held once, not twice. */
        st = gh_pipeline_run_owned(&config->pipeline, &ctx, pic->rgb, dump_stage, dump, &result);
        pic->rgb = NULL;
    } else {
        st = gh_pipeline_run(&config->pipeline, &ctx, pic->rgb, dump_stage, dump, &result);
    }
    if (st != GH_OK)
        goto fail_prefixed;
    if (config->depth_out && !dump->depth_written) {
        st = gh_error(GH_ERR_ARGUMENT, "--depth-out %s: no depth map was made (--fog 0 with the depth "
                      "stage skipped)", config->depth_out);
        goto fail_prefixed;
    }

    const struct gh_image *out_alpha = pic->alpha;
    if (pic->alpha && (pic->alpha->width != result->width || pic->alpha->height != result->height)) {
        st = gh_ops_resize(pic->alpha, result->width, result->height, GH_INTERP_AREA,
                           config->threads, &alpha);
        if (st != GH_OK)
            goto fail_prefixed;
        out_alpha = alpha;
    }
    enum gh_format format = gh_cli_output_format(config, to_stdout ? "" : it->output);
    if (to_stdout && config->format == GH_FORMAT_UNKNOWN && pic->format != GH_FORMAT_UNKNOWN)
        format = gh_cli_default_format(pic->format);
    const struct gh_image *out_rgb = result;
    if (out_alpha && format == GH_FORMAT_JPEG) {
        /* JPEG has no alpha: what the transparent pixels happen to hold must not show. */
        if ((st = flatten(result, out_alpha, config->background, &flat)) != GH_OK)
            goto fail_prefixed;
        out_rgb = flat;
        out_alpha = NULL;
        *note = gh_aprintf("%s: JPEG has no transparency: composited over #%02x%02x%02x "
                           "(--background; -f png keeps the alpha)",
                           it->input, (int)(config->background[0] * 255.0f + 0.5f),
                           (int)(config->background[1] * 255.0f + 0.5f),
                           (int)(config->background[2] * 255.0f + 0.5f));
    }
    struct gh_encode_options encode = {.quality = config->quality,
                                       .chroma = config->chroma,
                                       .png = config->png};
    if (!config->strip) {
        encode.exif = pic->exif;
        encode.exif_size = pic->exif_size;
        encode.icc = pic->icc;
        encode.icc_size = pic->icc_size;
    }
    st = gh_io_encode_with(out_rgb, out_alpha, format, &encode, &encoded, &encoded_size);
    if (st != GH_OK)
        goto fail_prefixed;
    add_time(dump, "encode");
    dump->result.out_width = out_rgb->width;
    dump->result.out_height = out_rgb->height;
    dump->result.out_bytes = encoded_size;
    if (!to_stdout && it->rel_dir[0] && config->out_dir &&
        (st = make_parents(it->output, strlen(config->out_dir))) != GH_OK)
        goto fail_prefixed;
    st = gh_io_write_all(it->output, encoded, encoded_size,
                         (config->existing == GH_EXISTING_OVERWRITE ? GH_IO_WRITE_OVERWRITE : 0) |
                             (config->sync ? GH_IO_WRITE_SYNC : 0));
    if (st == GH_ERR_EXISTS && config->existing == GH_EXISTING_SKIP) {
        outcome = GH_CLI_SKIPPED; /* appeared while we worked */
        goto fail_prefixed;
    }
    if (st != GH_OK)
        goto fail_prefixed;
    add_time(dump, "write");
    outcome = GH_CLI_DONE;
    goto out;
fail_prefixed:
    /* Reader errors already name the file; later ones name the stage or output. */
    gh_error_prefix(st, it->input);
out:
    if (outcome == GH_CLI_FAILED && st == GH_ERR_STOPPED)
        outcome = GH_CLI_STOPPED;
    free(encoded);
    gh_image_free(flat);
    gh_image_free(alpha);
    gh_image_free(result);
    gh_picture_free(pic);
    return outcome;
}

struct worker_arg {
    struct batch *batch;
    int index;
};

static void *worker(void *arg)
{
    const struct worker_arg *self = arg;
    struct batch *b = self->batch;
    struct gh_nn_model *generator = b->generators ? b->generators[self->index] : NULL;
    struct gh_nn_model *depth_model = b->depth_models ? b->depth_models[self->index] : NULL;
    const volatile sig_atomic_t *stop = b->config->stop;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        if (b->next >= b->items->count || (stop && *stop)) {
            pthread_mutex_unlock(&b->lock);
            return NULL;
        }
        const struct gh_cli_item *it = &b->items->item[b->next++];
        int last = b->next >= b->items->count; /* no more items for any worker */
        if (b->events && b->events->started)
            b->events->started(b->events->user, it);
        pthread_mutex_unlock(&b->lock);

        double t0 = gh_cli_seconds();
        gh_error_clear();
        char *note = NULL;
        struct dump_ctx times = {0};
        enum gh_cli_outcome outcome = process(b, generator, depth_model, it, last, &note, &times);
        double seconds = gh_cli_seconds() - t0;

        pthread_mutex_lock(&b->lock);
        if (outcome == GH_CLI_DONE)
            b->summary.done++;
        else if (outcome == GH_CLI_SKIPPED)
            b->summary.skipped++;
        else if (outcome == GH_CLI_STOPPED)
            b->summary.stopped++;
        else
            b->summary.failed++;
        if (note && b->events && b->events->note)
            b->events->note(b->events->user, it, note);
        free(note);
        times.result.times = times.times;
        if (b->events && b->events->finished)
            b->events->finished(b->events->user, it, outcome,
                                outcome == GH_CLI_DONE ? times.times : gh_error_detail(), seconds,
                                &b->summary, &times.result);
        pthread_mutex_unlock(&b->lock);
    }
}

enum gh_status gh_cli_load_generator(const struct gh_cli_config *config, struct gh_nn_model **out,
                                     int *multiple)
{
    *out = NULL;
    const char *name = config->model_path;
    const struct gh_nn_builtin *builtin =
        name ? gh_cli_builtin_model(name) : gh_nn_builtin_at(0);
    if (builtin) {
        *multiple = builtin->multiple;
        return gh_nn_builtin_load(builtin, out);
    }
    if (!name)
        return gh_error(GH_ERR_MODEL, "this build knows no built-in generator: pass --model FILE");
    if (!strchr(name, '/') && !strchr(name, '.') && access(name, F_OK) != 0) {
        char names[256] = "";
        for (int i = 0; i < gh_nn_builtin_count(); i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, gh_nn_builtin_at(i)->name, sizeof names - strlen(names) - 1);
        }
        return gh_error(GH_ERR_ARGUMENT, "--model %s: no built-in generator and no file of that name "
                        "(built in: %s)", name, names);
    }
    /* AnimeGANv3's tiny models need 16; 16 is also safe for the others. */
    *multiple = 16;
    /* gh_nn_load_file's details already start with the path. */
    return gh_nn_load_file(name, out);
}

const struct gh_nn_builtin *gh_cli_builtin_model(const char *name)
{
    /* A path (with a slash or an extension) is a file even if a built-in has its name. */
    if (strchr(name, '/') || strchr(name, '.'))
        return NULL;
    return gh_nn_builtin_find(name);
}

enum gh_status gh_cli_load_still(const struct gh_cli_config *config, const char *path,
                                 const char *what, int threads, struct gh_image **out)
{
    struct gh_picture *pic = NULL;
    *out = NULL;
    enum gh_status st = gh_io_read_picture(path, config->max_pixels, &pic);
    if (st != GH_OK)
        return gh_error_prefix(st, what);
    int w = pic->rgb->width, h = pic->rgb->height, side = w > h ? w : h;
    if (side <= GH_CLI_REFERENCE_SIDE) {
        *out = pic->rgb;
        pic->rgb = NULL;
    } else {
        double scale = (double)GH_CLI_REFERENCE_SIDE / side;
        int rw = (int)(w * scale + 0.5), rh = (int)(h * scale + 0.5);
        st = gh_ops_resize(pic->rgb, rw < 1 ? 1 : rw, rh < 1 ? 1 : rh, GH_INTERP_AREA, threads, out);
        if (st != GH_OK)
            st = gh_error_prefix(st, path);
    }
    gh_picture_free(pic);
    return st;
}

enum gh_status gh_cli_load_reference(const struct gh_cli_config *config, int threads,
                                     struct gh_image **out)
{
    return gh_cli_load_still(config, config->reference_path, "reference", threads, out);
}

/* cgroup v2 (memory.max) or v1 limit of this process's container; 0: none found. */
static uint64_t cgroup_limit(void)
{
    static const char *const files[] = {"/sys/fs/cgroup/memory.max",
                                        "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        FILE *f = fopen(files[i], "r");
        char line[64], *end;
        int ok = f && fgets(line, sizeof line, f) && line[0] >= '0' && line[0] <= '9';
        if (f)
            (void)fclose(f); /* read-only: nothing to lose */
        if (!ok)
            continue; /* missing, or "max" (no limit) */
        errno = 0;
        unsigned long long v = strtoull(line, &end, 10);
        if (!errno && end != line && v > 0)
            return v;
    }
    return 0;
}

size_t gh_cli_default_memory(int jobs)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t total = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : (uint64_t)4 << 30;
    uint64_t cg = cgroup_limit();
    if (cg && cg < total)
        total = cg;
    /* A quarter stays for the decoded photo, the other stages and the system. */
    uint64_t per_job = total / 4 * 3 / (uint64_t)(jobs < 1 ? 1 : jobs);
    return per_job > SIZE_MAX ? SIZE_MAX : (size_t)per_job;
}

static int fits(const struct gh_nn_footprint *fp, int side, double limit)
{
    double bytes, values;
    gh_nn_footprint_at(fp, side, side, &bytes, &values);
    return (limit <= 0 || bytes <= limit) && values <= GH_NN_MAX_TENSOR_VALUES;
}

enum gh_status gh_cli_check_memory(const struct gh_cli_config *config,
                                   const struct gh_nn_footprint *footprint)
{
    if (!gh_pipeline_uses(&config->pipeline, "stylize") || !gh_pipeline_uses(&config->pipeline, "resize"))
        return GH_OK;
    int size = (int)gh_pipeline_get(&config->pipeline, "resize", "size");
    double limit = (double)config->max_memory;
    if (fits(footprint, size, limit))
        return GH_OK;
    int lo = 16, hi = size; /* fits(lo), !fits(hi) */
    if (!fits(footprint, lo, limit))
        return gh_error(GH_ERR_TOO_LARGE, "--max-memory %.0f MB is too little for the generator at any size",
                        limit / 1048576.0);
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (fits(footprint, mid, limit))
            lo = mid;
        else
            hi = mid;
    }
    double bytes, values;
    gh_nn_footprint_at(footprint, size, size, &bytes, &values);
    const char *why = values > GH_NN_MAX_TENSOR_VALUES ? "over the generator's largest tensor (2^29 values)"
                                                       : "over --max-memory";
    return gh_error(GH_ERR_TOO_LARGE,
                    "--size %d: the generator would need %.1f GB for a %dx%d working image, %s; "
                    "the largest --size that fits is %d",
                    size, bytes / 1e9, size, size, why, lo);
}

enum gh_status gh_cli_run(const struct gh_cli_config *config, const struct gh_cli_items *items,
                          const struct gh_cli_events *events, struct gh_cli_summary *summary)
{
    struct batch b = {.config = config, .items = items, .events = events};
    enum gh_status st = GH_OK;
    /* Items that will be read: no more workers (and generators, a few hundred
     * MB each) than that, and none at all on a rerun where every output exists. */
    size_t pending = 0;
    for (size_t i = 0; i < items->count; i++) {
        const struct gh_cli_item *it = &items->item[i];
        struct stat sb;
        pending += !it->error && !it->skip &&
                   (config->existing == GH_EXISTING_OVERWRITE || strcmp(it->output, "-") == 0 ||
                    lstat(it->output, &sb) != 0);
    }
    b.nothing_to_do = pending == 0 && config->existing == GH_EXISTING_SKIP;
    int jobs = config->jobs < 1 ? 1 : config->jobs;
    if ((size_t)jobs > pending)
        jobs = pending ? (int)pending : 1;
    pthread_t *tids = calloc((size_t)jobs, sizeof *tids);
    struct worker_arg *args = calloc((size_t)jobs, sizeof *args);
    memset(summary, 0, sizeof *summary);
    if (!tids || !args) {
        st = gh_error(GH_ERR_NOMEM, "no memory for %d workers", jobs);
        goto out;
    }
    if (gh_pipeline_uses(&config->pipeline, "stylize") && !b.nothing_to_do) {
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of model pointers, one per worker */
        if (!(b.generators = calloc((size_t)jobs, sizeof *b.generators))) {
            st = gh_error(GH_ERR_NOMEM, "no memory for %d workers", jobs);
            goto out;
        }
        for (int t = 0; t < jobs; t++) {
            if ((st = gh_cli_load_generator(config, &b.generators[t], &b.multiple)) != GH_OK)
                goto out;
            gh_nn_set_stop(b.generators[t], config->stop);
        }
        /* Measured before any image, so a working size that cannot fit is
         * refused at once instead of after gigabytes and seconds. */
        gh_nn_set_threads(b.generators[0], config->threads);
        if (gh_nn_stylize_footprint(b.generators[0], b.multiple, &b.footprint) == GH_OK) {
            b.have_footprint = 1;
            if (gh_cli_check_memory(config, &b.footprint) != GH_OK) {
                /* Too large in one piece: it runs in tiles, if the model can
                 * and one tile window (the smallest) fits. */
                struct gh_nn_tiling t;
                int side = 0;
                if (gh_nn_analyze(b.generators[0], b.multiple, &t) == GH_OK)
                    side = t.align + 2 * t.margin;
                if (!side || !fits(&b.footprint, side, (double)config->max_memory)) {
                    st = gh_cli_check_memory(config, &b.footprint); /* its message again */
                    goto out;
                }
            }
        }
        for (int t = 0; t < jobs; t++)
            gh_nn_set_memory_limit(b.generators[t], config->max_memory);
    }
    if (config->depth_model_path && !b.nothing_to_do &&
        (gh_pipeline_uses(&config->pipeline, "depth") || gh_pipeline_uses(&config->pipeline, "fog"))) {
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of model pointers, one per worker */
        if (!(b.depth_models = calloc((size_t)jobs, sizeof *b.depth_models))) {
            st = gh_error(GH_ERR_NOMEM, "no memory for %d workers", jobs);
            goto out;
        }
        for (int t = 0; t < jobs; t++) {
            /* gh_nn_load_file's details already start with the path. */
            if ((st = gh_nn_load_file(config->depth_model_path, &b.depth_models[t])) != GH_OK)
                goto out;
            /* The contract is checked once, before any image, by a run on a
             * tiny picture: a wrong file is then a run-level error, not one
             * failure per input. */
            struct gh_image *probe = NULL, *map = NULL;
            if (t > 0) /* the same file: checked once */
                continue;
            if ((st = gh_image_new(32, 32, 3, &probe)) == GH_OK)
                st = gh_nn_depth(b.depth_models[t], probe, 1, &map);
            gh_image_free(probe);
            gh_image_free(map);
            if (st != GH_OK) {
                st = gh_error_prefix(st, config->depth_model_path);
                goto out;
            }
        }
    }
    if (config->reference_path && !b.nothing_to_do &&
        (st = gh_cli_load_reference(config, config->threads, &b.reference)) != GH_OK)
        goto out;
    if (config->palette_path && !b.nothing_to_do &&
        (st = gh_cli_load_still(config, config->palette_path, "palette-from", config->threads,
                                &b.palette_image)) != GH_OK)
        goto out;
    pthread_mutex_init(&b.lock, NULL);
    int started = 0;
    for (int t = 0; t < jobs; t++)
        args[t] = (struct worker_arg){&b, t};
    for (int t = 1; t < jobs; t++) {
        if (pthread_create(&tids[t], NULL, worker, &args[t]) != 0)
            break;
        started = t;
    }
    worker(&args[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&b.lock);
    *summary = b.summary;
out:
    if (b.generators)
        for (int t = 0; t < jobs; t++)
            gh_nn_free(b.generators[t]);
    free(b.generators);
    if (b.depth_models)
        for (int t = 0; t < jobs; t++)
            gh_nn_free(b.depth_models[t]);
    free(b.depth_models);
    gh_image_free(b.reference);
    gh_image_free(b.palette_image);
    free(args);
    free(tids);
    return st;
}
