/* Looks: named presets of stage parameters and a palette, as data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

/* The palette stage's `source` choices: "image" (the photo's own dominant
 * colors) or a look's palette. Order must follow the looks table below. */
const char *const gh_palette_sources[] = {"image", "hayao", "totoro", "spirited", "mononoke",
                                          "howl", "kiki", NULL};

/* Settings are "stage.param=value" words applied in order. Every look names
 * every parameter it cares about, so switching looks never inherits another
 * look's values. */
static const struct gh_look looks[] = {
    {"hayao",
     "the default: the Hayao generator's painting with a gentle chroma lift and the photo's own "
     "colors flattened softly",
     {"#7fb2e5", "#f4f1e8", "#6a9a3a", "#2f5d34", "#b08a5a", "#b5533c", "#3d4e6b", "#e8d9b0"},
     "color.chroma=1.2 color.contrast=1.06 "
     "transfer.amount=0.15 transfer.l-mean=60 transfer.a-mean=-3 transfer.b-mean=12 "
     "transfer.l-std=22 transfer.a-std=14 transfer.b-std=22 "
     "palette.source=image palette.amount=0.5"},
    {"totoro", "lush greens and soft blue skies (My Neighbor Totoro)",
     {"#8ec3e8", "#ddebf2", "#5e9e3f", "#3b7a35", "#a4c65a", "#2d4f2a", "#c9b07a", "#f2ead3"},
     "color.chroma=1.3 color.contrast=1.04 "
     "transfer.amount=0.25 transfer.l-mean=60 transfer.a-mean=-10 transfer.b-mean=14 "
     "transfer.l-std=20 transfer.a-std=16 transfer.b-std=22 "
     "palette.source=totoro palette.amount=0.35"},
    {"spirited", "warm reds and golds, lantern light (Spirited Away)",
     {"#c8392f", "#e0a030", "#f2c45a", "#7a2e2a", "#3e2a3a", "#2f4a6a", "#f5e1b0", "#8a5a2b"},
     "color.chroma=1.3 color.contrast=1.08 "
     "transfer.amount=0.3 transfer.l-mean=52 transfer.a-mean=10 transfer.b-mean=22 "
     "transfer.l-std=22 transfer.a-std=16 transfer.b-std=22 "
     "palette.source=spirited palette.amount=0.35"},
    {"mononoke", "deep forest greens and mist (Princess Mononoke)",
     {"#1f3d2b", "#2f5a3a", "#5c8a5a", "#a9c2a8", "#d9e2da", "#4a4f3a", "#7d6b4a", "#b9c7cc"},
     "color.chroma=1.1 color.contrast=1.02 "
     "transfer.amount=0.3 transfer.l-mean=50 transfer.a-mean=-10 transfer.b-mean=6 "
     "transfer.l-std=20 transfer.a-std=10 transfer.b-std=12 "
     "palette.source=mononoke palette.amount=0.4"},
    {"howl", "bright sky blues and pastels (Howl's Moving Castle)",
     {"#5fa8e8", "#a8d4f5", "#f5f0e6", "#f2b8c6", "#c8e6a0", "#e8d28a", "#8a9ac8", "#6a8f4a"},
     "color.chroma=1.25 color.contrast=1.0 "
     "transfer.amount=0.3 transfer.l-mean=66 transfer.a-mean=-2 transfer.b-mean=-4 "
     "transfer.l-std=20 transfer.a-std=14 transfer.b-std=22 "
     "palette.source=howl palette.amount=0.35"},
    {"kiki", "sunny seaside pastels (Kiki's Delivery Service)",
     {"#4fa3d9", "#9ed8ef", "#f7e7c4", "#e97f5f", "#f2c14e", "#7dbf8e", "#c96b4b", "#fdf6e3"},
     "color.chroma=1.25 color.contrast=1.04 "
     "transfer.amount=0.25 transfer.l-mean=64 transfer.a-mean=2 transfer.b-mean=10 "
     "transfer.l-std=20 transfer.a-std=16 transfer.b-std=22 "
     "palette.source=kiki palette.amount=0.35"},
};

const struct gh_look *gh_looks_table(int *count)
{
    *count = GH_ARRAY_LEN(looks);
    return looks;
}

const struct gh_look *gh_looks_find(const char *name)
{
    for (int i = 0; i < GH_ARRAY_LEN(looks); i++)
        if (strcmp(looks[i].name, name) == 0)
            return &looks[i];
    return NULL;
}

enum gh_status gh_look_apply(struct gh_pipeline *pipeline, const struct gh_look *look)
{
    const char *p = look->settings;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        char word[128], *dot, *eq;
        if (len >= sizeof word)
            return gh_error(GH_ERR_INTERNAL, "look %s: setting too long", look->name);
        memcpy(word, p, len);
        word[len] = '\0';
        p += len;
        if (!(dot = strchr(word, '.')) || !(eq = strchr(dot, '=')))
            return gh_error(GH_ERR_INTERNAL, "look %s: malformed setting '%s'", look->name, word);
        *dot = '\0';
        *eq = '\0';
        enum gh_status st = gh_pipeline_set(pipeline, word, dot + 1, eq + 1);
        if (st != GH_OK)
            return gh_error_prefix(st, look->name);
    }
    return GH_OK;
}

enum gh_status gh_look_palette(const struct gh_look *look, struct gh_palette *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < GH_LOOK_MAX_COLORS && look->palette[i]; i++) {
        const char *p = look->palette[i];
        if (p[0] != '#' || strlen(p) != 7 || strspn(p + 1, "0123456789abcdefABCDEF") != 6)
            return gh_error(GH_ERR_INTERNAL, "look %s: bad color %s", look->name, p);
        unsigned long v = strtoul(p + 1, NULL, 16);
        for (int c = 0; c < 3; c++)
            out->color[out->count][c] = (float)((v >> (16 - 8 * c)) & 0xff) / 255.0f;
        out->weight[out->count] = 1.0;
        out->count++;
    }
    for (int i = 0; i < out->count; i++)
        out->weight[i] /= out->count;
    return GH_OK;
}
