/* Test helpers for running one stage by name with its default parameters. */
#ifndef GH_TEST_STAGE_UTIL_H
#define GH_TEST_STAGE_UTIL_H

#include <math.h>
#include <string.h>

#include "check.h"
#include "ghiblify/stages.h"

/* The stage named name, with params[] set to its defaults (each documented). */
static inline const struct gh_stage_def *stage_defaults(const char *name, double *params)
{
    const struct gh_stage_def *def = gh_stages_find(name);
    CHECK_MSG(def != NULL, "stage %s missing", name);
    for (int k = 0; def && k < def->param_count; k++) {
        params[k] = def->params[k].default_value;
        CHECK(def->params[k].doc && def->params[k].doc[0]);
    }
    return def;
}

/* Index of the parameter named name in def's table (a failed check if none). */
static inline int stage_param(const struct gh_stage_def *def, const char *name)
{
    for (int k = 0; def && k < def->param_count; k++)
        if (strcmp(def->params[k].name, name) == 0)
            return k;
    CHECK_MSG(0, "%s has no parameter %s", def ? def->name : "?", name);
    return 0;
}

/* A landscape: a blue gradient sky over textured green-brown ground with a
 * wavy horizon (test_ops_sky.c finds its sky), so the sky-share parameters
 * have a mask to act on; with_sky 0: ground only. */
static inline struct gh_image *sky_scene(int w, int h, int with_sky)
{
    struct gh_image *img = NULL;
    if (gh_image_new(w, h, 3, &img) != GH_OK)
        return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double horizon = 0.45 * h + 0.06 * h * sin(x * 9.0 / w);
            size_t i = (size_t)y * w + x;
            float rgb[3];
            if (with_sky && y < horizon) {
                double t = (double)y / h;
                rgb[0] = (float)(0.35 + 0.5 * t);
                rgb[1] = (float)(0.55 + 0.35 * t);
                rgb[2] = (float)(0.92 + 0.05 * t);
            } else {
                float base[3] = {0.42f + 0.2f * (float)x / w, 0.45f, 0.2f + 0.15f * (float)y / h};
                for (int c = 0; c < 3; c++)
                    rgb[c] = base[c] + 0.3f * (check_hash01((unsigned)x, (unsigned)y, (unsigned)c) - 0.5f);
            }
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[i] = rgb[c];
        }
    return img;
}

#endif
