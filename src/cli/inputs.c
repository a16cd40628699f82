/* Input lists, output names and sharding for batch runs. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ghiblify/cli.h"

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void gh_cli_items_free(struct gh_cli_items *items)
{
    for (size_t i = 0; i < items->count; i++) {
        free(items->item[i].input);
        free(items->item[i].rel_dir);
        free(items->item[i].output);
        free(items->item[i].error);
        free(items->item[i].skip);
    }
    free(items->item);
    memset(items, 0, sizeof *items);
}

/* Takes ownership of input and error (either may be NULL on entry only if
 * allocation failed, which is reported). */
static enum gh_status push(struct gh_cli_items *items, char *input, const char *rel_dir,
                           char *error)
{
    if (items->count == items->capacity) {
        size_t cap = items->capacity ? items->capacity * 2 : 64;
        struct gh_cli_item *grown = realloc(items->item, cap * sizeof *grown);
        if (!grown)
            goto nomem;
        items->item = grown;
        items->capacity = cap;
    }
    char *rel = dup_string(rel_dir);
    if (!input || !rel) {
        free(rel);
        goto nomem;
    }
    items->item[items->count++] = (struct gh_cli_item){input, rel, NULL, error, NULL, 0};
    return GH_OK;
nomem:
    free(input);
    free(error);
    return gh_error(GH_ERR_NOMEM, "no memory for the input list");
}

static int has_image_extension(const char *name)
{
    return gh_io_format_from_name(name) != GH_FORMAT_UNKNOWN;
}

int gh_cli_is_output_name(const char *path, const char *suffix)
{
    size_t n = suffix ? strlen(suffix) : 0;
    if (n == 0 || strcmp(path, "-") == 0)
        return 0;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return stem > n && memcmp(base + stem - n, suffix, n) == 0;
}

/* Adds a file input, or a skipped item when its name says it is one of our outputs. */
static enum gh_status push_file(struct gh_cli_items *items, char *path, const char *rel,
                                const struct gh_cli_config *config)
{
    enum gh_status st = push(items, path, rel, NULL);
    if (st != GH_OK || !gh_cli_is_output_name(items->item[items->count - 1].input, config->suffix))
        return st;
    struct gh_cli_item *it = &items->item[items->count - 1];
    it->earlier_output = 1;
    it->skip = gh_aprintf("%s: left out: its name ends in '%s', so it is taken for the output of an "
                          "earlier run (use another --suffix to process it)",
                          it->input, config->suffix);
    return it->skip ? GH_OK : gh_error(GH_ERR_NOMEM, "no memory for the input list");
}

/* Whether dir is one of the directories the run writes into. */
static int is_output_dir(const struct stat *dir, const struct gh_cli_config *config)
{
    const char *outs[2] = {config->out_dir, config->dump_dir};
    for (int i = 0; i < 2; i++) {
        struct stat sb;
        if (outs[i] && stat(outs[i], &sb) == 0 && sb.st_dev == dir->st_dev && sb.st_ino == dir->st_ino)
            return 1;
    }
    return 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directories an expansion has scanned, by device and inode. */
struct seen_dirs {
    struct {
        dev_t dev;
        ino_t ino;
    } *id;
    size_t count, cap;
};

/* Whether sb's directory was scanned before; if not, records it. A failed
 * allocation is reported as GH_ERR_NOMEM in *st. */
static int seen_before(struct seen_dirs *seen, const struct stat *sb, enum gh_status *st)
{
    for (size_t i = 0; i < seen->count; i++)
        if (seen->id[i].dev == sb->st_dev && seen->id[i].ino == sb->st_ino)
            return 1;
    if (seen->count == seen->cap) {
        size_t cap = seen->cap ? seen->cap * 2 : 16;
        void *grown = realloc(seen->id, cap * sizeof *seen->id);
        if (!grown) {
            *st = gh_error(GH_ERR_NOMEM, "no memory for a directory listing");
            return 0;
        }
        seen->id = grown;
        seen->cap = cap;
    }
    seen->id[seen->count].dev = sb->st_dev;
    seen->id[seen->count++].ino = sb->st_ino;
    return 0;
}

/* Adds the images of dir (sorted), descending when recursive; *found counts them. */
static enum gh_status scan_dir(struct gh_cli_items *items, const char *dir, const char *rel,
                               const struct gh_cli_config *config, size_t *found,
                               struct seen_dirs *seen)
{
    enum gh_status st = GH_OK;
    char **names = NULL;
    size_t count = 0, cap = 0;
    DIR *d = opendir(dir);
    if (!d)
        return push(items, dup_string(dir), rel,
                    gh_aprintf("%s: cannot open directory: %s", dir, strerror(errno)));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') /* hidden files, ".", "..", our own temporaries */
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) {
                st = gh_error(GH_ERR_NOMEM, "no memory for a directory listing");
                goto out;
            }
            names = grown;
        }
        if (!(names[count] = dup_string(e->d_name))) {
            st = gh_error(GH_ERR_NOMEM, "no memory for a directory listing");
            goto out;
        }
        count++;
    }
    if (count > 1)
        qsort(names, count, sizeof *names, compare_strings);
    for (size_t i = 0; i < count && st == GH_OK; i++) {
        const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
        char *path = gh_aprintf("%s%s%s", dir, sep, names[i]);
        struct stat sb;
        if (!path) {
            st = gh_error(GH_ERR_NOMEM, "no memory for a path");
            break;
        }
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            /* Never into our own output: a rerun would stylize the results. */
            /* Never into our own output: a rerun would stylize the results. A
             * directory reached again (a symbolic link to an ancestor, or a
             * second link) is scanned once: two links to "." would otherwise
             * make 2^40 paths, until the kernel's limit on links in a path. */
            if (config->recursive && !is_output_dir(&sb, config)) {
                if (seen_before(seen, &sb, &st)) {
                    st = push(items, path, rel, NULL);
                    path = NULL;
                    if (st == GH_OK) {
                        struct gh_cli_item *it = &items->item[items->count - 1];
                        it->skip = gh_aprintf("%s: left out: a directory already scanned (a "
                                              "symbolic link to it), scanned once", it->input);
                        if (!it->skip)
                            st = gh_error(GH_ERR_NOMEM, "no memory for the input list");
                    }
                } else if (st == GH_OK) {
                    char *sub = gh_aprintf("%s%s%s", rel, rel[0] ? "/" : "", names[i]);
                    st = sub ? scan_dir(items, path, sub, config, found, seen)
                             : gh_error(GH_ERR_NOMEM, "no memory for a path");
                    free(sub);
                }
            }
            free(path);
        } else if (has_image_extension(names[i])) {
            (*found)++;
            st = push_file(items, path, rel, config);
        } else {
            free(path);
        }
    }
out:
    closedir(d);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return st;
}

enum gh_status gh_cli_expand(struct gh_cli_items *items, const char *arg,
                             const struct gh_cli_config *config)
{
    struct stat sb;
    if (strcmp(arg, "-") == 0)
        return push(items, dup_string(arg), "", NULL);
    if (stat(arg, &sb) != 0)
        return push(items, dup_string(arg), "", gh_aprintf("%s: %s", arg, strerror(errno)));
    if (!S_ISDIR(sb.st_mode))
        return push_file(items, dup_string(arg), "", config);
    size_t found = 0;
    struct seen_dirs seen = {0};
    enum gh_status st = GH_OK;
    if (!seen_before(&seen, &sb, &st) && st == GH_OK)
        st = scan_dir(items, arg, "", config, &found, &seen);
    free(seen.id);
    if (st == GH_OK && found == 0)
        st = push(items, dup_string(arg), "",
                  gh_aprintf("%s: no images (PNG, JPEG, WebP, HEIC, AVIF) in this directory%s", arg,
                                config->recursive ? " or below" : " (-r descends into subdirectories)"));
    return st;
}

enum gh_status gh_cli_parse_shard(const char *text, int *index, int *count)
{
    char *end = NULL;
    long k = strtol(text, &end, 10);
    if (end == text || *end != '/')
        goto bad;
    const char *rest = end + 1;
    long n = strtol(rest, &end, 10);
    if (end == rest || *end != '\0')
        goto bad;
    if (n < 1 || n > 1000000 || k < 1 || k > n)
        return gh_error(GH_ERR_ARGUMENT, "--shard %s: K must be 1..N and N 1..1000000 (K counts from 1)",
                        text);
    *index = (int)k;
    *count = (int)n;
    return GH_OK;
bad:
    return gh_error(GH_ERR_ARGUMENT, "--shard %s: expected K/N, e.g. 1/4", text);
}

static int compare_items(const void *a, const void *b)
{
    const struct gh_cli_item *x = a, *y = b;
    return strcmp(x->input, y->input);
}

void gh_cli_shard(struct gh_cli_items *items, int index, int count)
{
    /* No items: item may be NULL, which qsort must not get even for 0
     * (found by fuzz_argv: --shard with every input left out). */
    if (count <= 1 || items->count == 0)
        return;
    qsort(items->item, items->count, sizeof *items->item, compare_items);
    size_t kept = 0;
    for (size_t i = 0; i < items->count; i++) {
        struct gh_cli_item *it = &items->item[i];
        if ((int)(i % (size_t)count) == index - 1) {
            items->item[kept++] = *it;
        } else {
            free(it->input);
            free(it->rel_dir);
            free(it->output);
            free(it->error);
            free(it->skip);
        }
    }
    items->count = kept;
}

enum gh_format gh_cli_output_format(const struct gh_cli_config *config, const char *output)
{
    if (config->format != GH_FORMAT_UNKNOWN)
        return config->format;
    enum gh_format f = gh_io_format_from_name(output);
    return f != GH_FORMAT_UNKNOWN ? f : GH_FORMAT_PNG;
}

enum gh_format gh_cli_default_format(enum gh_format input)
{
    if (gh_io_format_writable(input))
        return input;
    /* HEIC and AVIF are lossy photos: JPEG keeps files of the same order of size. */
    if (input == GH_FORMAT_HEIF || input == GH_FORMAT_AVIF)
        return GH_FORMAT_JPEG;
    return GH_FORMAT_PNG;
}

const char *gh_cli_unwritable(enum gh_format format)
{
    if (format == GH_FORMAT_WEBP)
        return "this ghiblify was built without libwebp (GH_WITH_WEBP=OFF); use png or jpg";
    return "ghiblify reads HEIC/HEIF and AVIF but does not write them; use jpg, png or webp";
}

char *gh_cli_output_name(const struct gh_cli_config *config, const char *input,
                         const char *rel_dir)
{
    if (config->output)
        return dup_string(config->output);
    int from_stdin = strcmp(input, "-") == 0;
    /* A filter: standard input goes to standard output unless -d names a folder. */
    if (from_stdin && !config->out_dir)
        return dup_string("-");
    const char *slash_at = from_stdin ? NULL : strrchr(input, '/');
    const char *base = from_stdin ? "stdin" : slash_at ? slash_at + 1 : input;
    const char *dot = strrchr(base, '.');
    size_t stem_len = dot && dot != base ? (size_t)(dot - base) : strlen(base);

    enum gh_format in_format = gh_io_format_from_name(input);
    enum gh_format out_format =
        config->format != GH_FORMAT_UNKNOWN ? config->format : gh_cli_default_format(in_format);
    /* Keep the input's spelling (.jpeg, .JPG) when the format is unchanged, so
     * Makefile pattern rules such as out/%_ghibli.JPG: %.JPG find their targets. */
    const char *ext = in_format == out_format && dot && dot != base ? dot + 1
                                                                    : gh_io_format_extension(out_format);

    const char *dir = config->out_dir;
    int dir_len = dir ? (int)strlen(dir) : 0;
    if (!dir && slash_at) { /* the input's own directory; "/" for "/x.jpg" */
        dir = input;
        dir_len = slash_at == input ? 1 : (int)(slash_at - input);
    }
    if (!dir || dir_len == 0)
        return gh_aprintf("%.*s%s.%s", (int)stem_len, base, config->suffix, ext);
    const char *sep = dir[dir_len - 1] == '/' ? "" : "/";
    const char *sub = rel_dir && rel_dir[0] && config->out_dir ? rel_dir : "";
    return gh_aprintf("%.*s%s%s%s%.*s%s.%s", dir_len, dir, sep, sub, sub[0] ? "/" : "",
                         (int)stem_len, base, config->suffix, ext);
}

struct file_id {
    dev_t dev;
    ino_t ino;
};

static int compare_ids(const void *a, const void *b)
{
    const struct file_id *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return 0;
}

struct named_index {
    const char *name;
    size_t index;
};

static int compare_named(const void *a, const void *b)
{
    const struct named_index *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

enum gh_status gh_cli_plan_outputs(const struct gh_cli_config *config, struct gh_cli_items *items)
{
    enum gh_status st = GH_OK;
    /* The model and the stills are inputs too: never written over. */
    const char *side_inputs[4] = {config->model_path, config->reference_path, config->palette_path,
                                  config->depth_model_path};
    struct file_id *ids = calloc(items->count + 4, sizeof *ids);
    struct named_index *names = calloc(items->count ? items->count : 1, sizeof *names);
    size_t id_count = 0, name_count = 0;
    if (!ids || !names) {
        st = gh_error(GH_ERR_NOMEM, "no memory to plan outputs");
        goto out;
    }
    for (size_t i = 0; i < items->count; i++) {
        struct gh_cli_item *it = &items->item[i];
        struct stat sb;
        if (strcmp(it->input, "-") != 0 && stat(it->input, &sb) == 0)
            ids[id_count++] = (struct file_id){sb.st_dev, sb.st_ino};
        if (!(it->output = gh_cli_output_name(config, it->input, it->rel_dir))) {
            st = gh_error(GH_ERR_NOMEM, "no memory for an output name");
            goto out;
        }
    }
    for (int i = 0; i < 4; i++) {
        struct stat sb;
        if (side_inputs[i] && stat(side_inputs[i], &sb) == 0)
            ids[id_count++] = (struct file_id){sb.st_dev, sb.st_ino};
    }
    qsort(ids, id_count, sizeof *ids, compare_ids);
    for (size_t i = 0; i < items->count; i++) {
        struct gh_cli_item *it = &items->item[i];
        struct stat sb;
        if (it->error || it->skip || strcmp(it->output, "-") == 0)
            continue;
        /* stat follows symlinks, so a link to an input is caught too. */
        if (stat(it->output, &sb) == 0) {
            struct file_id key = {sb.st_dev, sb.st_ino};
            if (bsearch(&key, ids, id_count, sizeof *ids, compare_ids)) {
                /* --skip-existing promises to leave existing outputs alone;
                 * that this one is also an input is no failure of the item. */
                if (config->existing == GH_EXISTING_SKIP)
                    it->skip = gh_aprintf("%s: %s exists, skipped", it->input, it->output);
                else
                    it->error = gh_aprintf("%s: output %s is an input file; refusing to overwrite it",
                                           it->input, it->output);
                if (!it->error && !it->skip) {
                    st = gh_error(GH_ERR_NOMEM, "no memory");
                    goto out;
                }
                continue;
            }
        }
        names[name_count++] = (struct named_index){it->output, i};
    }
    /* --depth-out (one input) is an output too: never an input file, never the image's output. */
    struct stat dsb, osb;
    if (config->depth_out && items->count == 1 && !items->item[0].error && !items->item[0].skip &&
        stat(config->depth_out, &dsb) == 0) {
        struct gh_cli_item *it = &items->item[0];
        struct file_id key = {dsb.st_dev, dsb.st_ino};
        if (bsearch(&key, ids, id_count, sizeof *ids, compare_ids))
            it->error = gh_aprintf("%s: --depth-out %s is an input file; refusing to overwrite it",
                                   it->input, config->depth_out);
        else if (stat(it->output, &osb) == 0 && osb.st_dev == dsb.st_dev && osb.st_ino == dsb.st_ino)
            it->error = gh_aprintf("%s: --depth-out %s is the image's own output", it->input,
                                   config->depth_out);
    }
    if (config->depth_out && items->count == 1 && strcmp(config->depth_out, items->item[0].output) == 0 &&
        !items->item[0].error)
        items->item[0].error = gh_aprintf("%s: --depth-out %s is the image's own output",
                                          items->item[0].input, config->depth_out);
    qsort(names, name_count, sizeof *names, compare_named);
    for (size_t i = 1; i < name_count; i++) {
        if (strcmp(names[i].name, names[i - 1].name) != 0)
            continue;
        struct gh_cli_item *it = &items->item[names[i].index];
        /* The first of a run of equal names keeps the output. */
        size_t first = i - 1;
        while (first > 0 && strcmp(names[first - 1].name, names[i].name) == 0)
            first--;
        it->error = gh_aprintf("%s: output %s would also be written for %s", it->input,
                                  it->output, items->item[names[first].index].input);
        if (!it->error) {
            st = gh_error(GH_ERR_NOMEM, "no memory");
            goto out;
        }
    }
out:
    free(ids);
    free(names);
    return st;
}
