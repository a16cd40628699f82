/* --print-config and --config FILE: the effective parameters of every stage
 * (after --look and the flags), the seed and the generator, as JSON (cJSON),
 * and the same JSON read back, so that a look can be shared and reproduced
 * exactly. Numbers are printed with 17 significant digits, so a double
 * survives the round trip bit for bit; values read back go through
 * gh_pipeline_set, the same type and range checks as the command line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ghiblify/cli.h"
#include "ghiblify/nn.h"

#define CONFIG_FORMAT 1 /* the "ghiblify_config" version: bumped when the meaning changes */

char *gh_cli_config_json(const struct gh_cli_config *config)
{
    cJSON *root = cJSON_CreateObject(), *stages;
    char *text = NULL;
    int ok = root != NULL, count;
    const struct gh_stage_def *const *table = gh_stages_table(&count);
    const char *model = config->model_path ? config->model_path : gh_nn_builtin_at(0)->name;
    ok = ok && cJSON_AddNumberToObject(root, "ghiblify_config", CONFIG_FORMAT);
    ok = ok && cJSON_AddStringToObject(root, "model", model);
    ok = ok && cJSON_AddNumberToObject(root, "seed", (double)config->seed);
    ok = ok && (stages = cJSON_AddObjectToObject(root, "stages"));
    for (int s = 0; ok && s < count; s++) {
        const struct gh_stage_def *st = table[s];
        cJSON *o = cJSON_AddObjectToObject(stages, st->name);
        ok = o && cJSON_AddBoolToObject(o, "enabled", gh_pipeline_uses(&config->pipeline, st->name));
        for (int k = 0; ok && k < st->param_count; k++) {
            const struct gh_param_def *p = &st->params[k];
            double v = gh_pipeline_get(&config->pipeline, st->name, p->name);
            if (p->type == GH_PARAM_ENUM)
                ok = cJSON_AddStringToObject(o, p->name, p->choices[(int)v]) != NULL;
            else
                ok = cJSON_AddNumberToObject(o, p->name, v) != NULL;
        }
    }
    if (ok)
        text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

/* A key or value from the file as it may appear in a one-line message:
 * control characters as '?', at most 40 bytes (keys are the user's bytes). */
static const char *shown(const char *text, char *buf, size_t size)
{
    size_t n = 0;
    for (; text[n] && n + 4 < size && n < 40; n++)
        buf[n] = (unsigned char)text[n] < 0x20 || text[n] == 0x7f ? '?' : text[n];
    if (text[n] && n + 4 < size)
        buf[n++] = '.', buf[n++] = '.', buf[n++] = '.';
    buf[n] = '\0';
    return buf;
}

static int has_control(const char *text)
{
    for (; *text; text++)
        if ((unsigned char)*text < 0x20 || *text == 0x7f)
            return 1;
    return 0;
}

static const char *type_name(const cJSON *item)
{
    return cJSON_IsString(item) ? "a string" : cJSON_IsNumber(item) ? "a number" : cJSON_IsBool(item) ? "true/false"
         : cJSON_IsObject(item) ? "an object" : cJSON_IsArray(item) ? "an array" : "null";
}

/* gh_pipeline_set's reason, under the file's name and the key's path. The
 * detail is copied first: gh_error writes the buffer it would read. */
static enum gh_status set_error(const char *path, const struct gh_stage_def *st, const struct gh_param_def *p)
{
    char why[256];
    snprintf(why, sizeof why, "%s", gh_error_detail());
    return gh_error(GH_ERR_ARGUMENT, "%s: stages.%s.%s: %s", path, st->name, p->name, why);
}

/* One stage's object: "enabled" and its parameters, nothing else. */
static enum gh_status load_stage(const char *path, const struct gh_stage_def *st, const cJSON *o,
                                 struct gh_cli_config *config)
{
    if (!cJSON_IsObject(o))
        return gh_error(GH_ERR_ARGUMENT, "%s: stages.%s: expected an object, got %s", path, st->name, type_name(o));
    char key[48];
    for (const cJSON *item = o->child; item; item = item->next) {
        if (!strcmp(item->string, "enabled")) {
            if (!cJSON_IsBool(item))
                return gh_error(GH_ERR_ARGUMENT, "%s: stages.%s.enabled: expected true/false, got %s", path,
                                st->name, type_name(item));
            gh_pipeline_enable(&config->pipeline, st->name, cJSON_IsTrue(item));
            continue;
        }
        const struct gh_param_def *p = NULL;
        for (int k = 0; k < st->param_count; k++)
            if (!strcmp(st->params[k].name, item->string))
                p = &st->params[k];
        if (!p)
            return gh_error(GH_ERR_ARGUMENT, "%s: stages.%s: unknown key '%s'", path, st->name,
                            shown(item->string, key, sizeof key));
        char text[64];
        if (p->type == GH_PARAM_ENUM) {
            if (!cJSON_IsString(item) || has_control(item->valuestring))
                return gh_error(GH_ERR_ARGUMENT, "%s: stages.%s.%s: expected a name, got %s", path, st->name,
                                p->name, type_name(item));
            if (gh_pipeline_set(&config->pipeline, st->name, p->name, item->valuestring) != GH_OK)
                return set_error(path, st, p);
            continue;
        }
        if (!cJSON_IsNumber(item))
            return gh_error(GH_ERR_ARGUMENT, "%s: stages.%s.%s: expected a number, got %s", path, st->name,
                            p->name, type_name(item));
        snprintf(text, sizeof text, "%.17g", item->valuedouble);
        if (gh_pipeline_set(&config->pipeline, st->name, p->name, text) != GH_OK)
            return set_error(path, st, p);
    }
    return GH_OK;
}

enum gh_status gh_cli_config_parse(const char *path, const char *text, size_t size, struct gh_cli_config *config)
{
    cJSON *root = cJSON_ParseWithLength(text, size);
    enum gh_status st;
    char key[48];
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        return gh_error(GH_ERR_ARGUMENT, "%s: not valid JSON (near byte %ld)", path,
                        at && at >= text && at <= text + size ? (long)(at - text) : 0L);
    }
    if (!cJSON_IsObject(root)) {
        st = gh_error(GH_ERR_ARGUMENT, "%s: expected a JSON object, got %s", path, type_name(root));
        goto out;
    }
    for (const cJSON *item = root->child; item; item = item->next) {
        if (!strcmp(item->string, "ghiblify_config")) {
            if (!cJSON_IsNumber(item) || item->valuedouble != CONFIG_FORMAT) {
                st = gh_error(GH_ERR_ARGUMENT, "%s: ghiblify_config: this ghiblify reads version %d", path,
                              CONFIG_FORMAT);
                goto out;
            }
        } else if (!strcmp(item->string, "model")) {
            /* By name only: the catalog's name outlives the file's text. */
            const struct gh_nn_builtin *m = cJSON_IsString(item) ? gh_nn_builtin_find(item->valuestring) : NULL;
            if (!m) {
                st = gh_error(GH_ERR_ARGUMENT, "%s: model: expected a built-in generator's name (--list-models; "
                              "a model file is given with --model)", path);
                goto out;
            }
            config->model_path = m->name;
        } else if (!strcmp(item->string, "seed")) {
            double v = cJSON_IsNumber(item) ? item->valuedouble : -1;
            if (!(v >= 0 && v <= 2147483647 && v == floor(v))) {
                st = gh_error(GH_ERR_ARGUMENT, "%s: seed: expected an integer 0..2147483647", path);
                goto out;
            }
            config->seed = (unsigned long)v;
        } else if (!strcmp(item->string, "stages")) {
            if (!cJSON_IsObject(item)) {
                st = gh_error(GH_ERR_ARGUMENT, "%s: stages: expected an object, got %s", path, type_name(item));
                goto out;
            }
            for (const cJSON *s = item->child; s; s = s->next) {
                const struct gh_stage_def *def = gh_stages_find(s->string);
                if (!def) {
                    st = gh_error(GH_ERR_ARGUMENT, "%s: stages: unknown stage '%s'", path,
                                  shown(s->string, key, sizeof key));
                    goto out;
                }
                if ((st = load_stage(path, def, s, config)) != GH_OK)
                    goto out;
            }
        } else {
            st = gh_error(GH_ERR_ARGUMENT, "%s: unknown key '%s'", path, shown(item->string, key, sizeof key));
            goto out;
        }
    }
    st = GH_OK;
out:
    cJSON_Delete(root);
    return st;
}

enum gh_status gh_cli_config_load(const char *path, struct gh_cli_config *config)
{
    unsigned char *data = NULL;
    size_t size = 0;
    enum gh_status st = gh_io_read_all(path, 1 << 20, &data, &size);
    if (st != GH_OK)
        return st;
    st = gh_cli_config_parse(path, (const char *)data, size, config);
    free(data);
    return st;
}
