/* Test helpers for running one stage by name with its default parameters. */
#ifndef GH_TEST_STAGE_UTIL_H
#define GH_TEST_STAGE_UTIL_H

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

#endif
