/* The batch driver: a pool of workers, each taking the next input, running the
 * pipeline and writing the result atomically. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ghiblify/cli.h"
#include "ghiblify/ops.h"

struct batch {
    const struct gh_cli_config *config;
    struct gh_nn_model **generators; /* one per worker: a model runs one image at a time */
    int multiple;
    struct gh_image *reference; /* --reference, read-only once loaded, shared by all workers */
    const struct gh_cli_items *items;
    const struct gh_cli_events *events;
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
    const char *dir;
    const char *input;
    int step;
};

static enum gh_status dump_stage(void *user, const struct gh_stage_def *stage,
                                 const struct gh_image *image)
{
    struct dump_ctx *d = user;
    const char *base = strrchr(d->input, '/');
    base = base ? base + 1 : d->input;
    if (strcmp(base, "-") == 0)
        base = "stdin";
    const char *dot = strrchr(base, '.');
    int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%.*s.%02d-%s.png", d->dir, stem, base, ++d->step,
                     stage ? stage->name : "input");
    if (n < 0 || (size_t)n >= sizeof path)
        return gh_error(GH_ERR_ARGUMENT, "--dump-stages path too long");
    unsigned char *png = NULL;
    size_t size = 0;
    enum gh_status st = gh_io_encode(image, NULL, GH_FORMAT_PNG, 0, &png, &size);
    if (st == GH_OK)
        st = gh_io_write_all(path, png, size, GH_IO_WRITE_OVERWRITE);
    free(png);
    return st;
}

/* Runs one item; returns its outcome and leaves the reason in the error detail. */
static enum gh_cli_outcome process(const struct gh_cli_config *config, struct gh_nn_model *generator,
                                   int multiple, const struct gh_image *reference,
                                   const struct gh_cli_item *it)
{
    struct gh_picture *pic = NULL;
    struct gh_image *result = NULL, *alpha = NULL;
    unsigned char *encoded = NULL;
    size_t encoded_size = 0;
    enum gh_status st;
    enum gh_cli_outcome outcome = GH_CLI_FAILED;
    int to_stdout = strcmp(it->output, "-") == 0;

    if (it->error) {
        gh_error(GH_ERR_ARGUMENT, "%s", it->error);
        return GH_CLI_FAILED;
    }
    struct stat sb;
    if (!to_stdout && config->existing != GH_EXISTING_OVERWRITE && lstat(it->output, &sb) == 0) {
        if (config->existing == GH_EXISTING_SKIP) {
            gh_error(GH_ERR_EXISTS, "%s: %s exists, skipped", it->input, it->output);
            return GH_CLI_SKIPPED;
        }
        gh_error(GH_ERR_EXISTS, "%s: %s exists (use --overwrite or --skip-existing)", it->input,
                 it->output);
        return GH_CLI_FAILED;
    }
    if ((st = gh_io_read_picture(it->input, config->max_pixels, &pic)) != GH_OK)
        goto out;

    struct gh_stage_ctx ctx = {.threads = config->threads,
                               .original_width = pic->rgb->width,
                               .original_height = pic->rgb->height,
                               .generator = generator,
                               .generator_multiple = multiple,
                               .reference = reference};
    struct dump_ctx dump = {config->dump_dir, it->input, 0};
    if (config->dump_dir && (st = dump_stage(&dump, NULL, pic->rgb)) != GH_OK)
        goto fail_prefixed;
    st = gh_pipeline_run(&config->pipeline, &ctx, pic->rgb, config->dump_dir ? dump_stage : NULL,
                         &dump, &result);
    if (st != GH_OK)
        goto fail_prefixed;

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
        format = pic->format;
    struct gh_encode_options encode = {config->quality, config->chroma, config->png};
    st = gh_io_encode_with(result, out_alpha, format, &encode, &encoded, &encoded_size);
    if (st != GH_OK)
        goto fail_prefixed;
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
    outcome = GH_CLI_DONE;
    goto out;
fail_prefixed:
    /* Reader errors already name the file; later ones name the stage or output. */
    gh_error_prefix(st, it->input);
out:
    free(encoded);
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
    for (;;) {
        pthread_mutex_lock(&b->lock);
        if (b->next >= b->items->count) {
            pthread_mutex_unlock(&b->lock);
            return NULL;
        }
        const struct gh_cli_item *it = &b->items->item[b->next++];
        if (b->events && b->events->started)
            b->events->started(b->events->user, it);
        pthread_mutex_unlock(&b->lock);

        double t0 = gh_cli_seconds();
        gh_error_clear();
        enum gh_cli_outcome outcome = process(b->config, generator, b->multiple, b->reference, it);
        double seconds = gh_cli_seconds() - t0;

        pthread_mutex_lock(&b->lock);
        if (outcome == GH_CLI_DONE)
            b->summary.done++;
        else if (outcome == GH_CLI_SKIPPED)
            b->summary.skipped++;
        else
            b->summary.failed++;
        if (b->events && b->events->finished)
            b->events->finished(b->events->user, it, outcome,
                                outcome == GH_CLI_DONE ? NULL : gh_error_detail(), seconds,
                                &b->summary);
        pthread_mutex_unlock(&b->lock);
    }
}

enum gh_status gh_cli_load_generator(const struct gh_cli_config *config, struct gh_nn_model **out,
                                     int *multiple)
{
    enum gh_status st;
    *out = NULL;
    if (config->model_path) {
        /* AnimeGANv3's tiny models need 16; 16 is also safe for the others. */
        *multiple = 16;
        if ((st = gh_nn_load_file(config->model_path, out)) != GH_OK)
            return gh_error_prefix(st, config->model_path);
        return GH_OK;
    }
    struct gh_nn_embedded_model builtin;
    *multiple = 8;
    if ((st = gh_nn_embedded(&builtin)) != GH_OK)
        return st;
    if ((st = gh_nn_load_memory(builtin.data, builtin.size, out)) != GH_OK)
        return gh_error_prefix(st, builtin.name);
    return GH_OK;
}

enum gh_status gh_cli_load_reference(const struct gh_cli_config *config, int threads,
                                     struct gh_image **out)
{
    struct gh_picture *pic = NULL;
    *out = NULL;
    enum gh_status st = gh_io_read_picture(config->reference_path, config->max_pixels, &pic);
    if (st != GH_OK)
        return gh_error_prefix(st, "reference");
    int w = pic->rgb->width, h = pic->rgb->height, side = w > h ? w : h;
    if (side <= GH_CLI_REFERENCE_SIDE) {
        *out = pic->rgb;
        pic->rgb = NULL;
    } else {
        double scale = (double)GH_CLI_REFERENCE_SIDE / side;
        int rw = (int)(w * scale + 0.5), rh = (int)(h * scale + 0.5);
        st = gh_ops_resize(pic->rgb, rw < 1 ? 1 : rw, rh < 1 ? 1 : rh, GH_INTERP_AREA, threads, out);
        if (st != GH_OK)
            st = gh_error_prefix(st, config->reference_path);
    }
    gh_picture_free(pic);
    return st;
}

enum gh_status gh_cli_run(const struct gh_cli_config *config, const struct gh_cli_items *items,
                          const struct gh_cli_events *events, struct gh_cli_summary *summary)
{
    struct batch b = {.config = config, .items = items, .events = events};
    enum gh_status st = GH_OK;
    int jobs = config->jobs < 1 ? 1 : config->jobs;
    if ((size_t)jobs > items->count)
        jobs = items->count ? (int)items->count : 1;
    pthread_t *tids = calloc((size_t)jobs, sizeof *tids);
    struct worker_arg *args = calloc((size_t)jobs, sizeof *args);
    memset(summary, 0, sizeof *summary);
    if (!tids || !args) {
        st = gh_error(GH_ERR_NOMEM, "no memory for %d workers", jobs);
        goto out;
    }
    if (gh_pipeline_uses(&config->pipeline, "stylize")) {
        if (!(b.generators = calloc((size_t)jobs, sizeof *b.generators))) {
            st = gh_error(GH_ERR_NOMEM, "no memory for %d workers", jobs);
            goto out;
        }
        for (int t = 0; t < jobs; t++)
            if ((st = gh_cli_load_generator(config, &b.generators[t], &b.multiple)) != GH_OK)
                goto out;
    }
    if (config->reference_path &&
        (st = gh_cli_load_reference(config, config->threads, &b.reference)) != GH_OK)
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
    gh_image_free(b.reference);
    free(args);
    free(tids);
    return st;
}
