/* Internal: the stage definitions, one per file under src/stages/. */
#ifndef GH_STAGE_DEFS_H
#define GH_STAGE_DEFS_H

#include "ghiblify/stages.h"

/* 0 below lo, 1 above hi, a smooth cubic between: soft masks without seams. */
static inline float gh_smoothstep(float lo, float hi, float v)
{
    float t = (v - lo) / (hi - lo);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return t * t * (3 - 2 * t);
}

#define GH_ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

extern const struct gh_stage_def gh_stage_resize;
extern const struct gh_stage_def gh_stage_denoise;
extern const struct gh_stage_def gh_stage_stylize;
extern const struct gh_stage_def gh_stage_skysmooth;
extern const struct gh_stage_def gh_stage_color;
extern const struct gh_stage_def gh_stage_edges;
extern const struct gh_stage_def gh_stage_segments;
extern const struct gh_stage_def gh_stage_palette;
extern const struct gh_stage_def gh_stage_transfer;
extern const struct gh_stage_def gh_stage_histmatch;
extern const struct gh_stage_def gh_stage_texture;
extern const struct gh_stage_def gh_stage_lines;
extern const struct gh_stage_def gh_stage_depth;
extern const struct gh_stage_def gh_stage_fog;
extern const struct gh_stage_def gh_stage_upsample;
extern const struct gh_stage_def gh_stage_dither;

/* Choices of the palette stage's `source`: "image", then every look's name in
 * table order (checked by tests/unit/test_looks.c). */
extern const char *const gh_palette_sources[];

#endif
