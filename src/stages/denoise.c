#include <math.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_METHOD, P_SIGMA, P_DIAMETER, P_SIGMA_COLOR, P_SIGMA_SPACE };
enum { M_BILATERAL, M_GAUSSIAN, M_BOTH };

static const char *const methods[] = {"bilateral", "gaussian", "both", NULL};

static const struct gh_param_def params[] = {
    [P_METHOD] = {"method", NULL, GH_PARAM_ENUM, M_BILATERAL, 0, 0, methods,
                  "bilateral (edge-preserving), gaussian, or both (Gaussian first)"},
    [P_SIGMA] = {"sigma", NULL, GH_PARAM_FLOAT, 0.8, 0.1, 50, NULL,
                 "Gaussian standard deviation in pixels"},
    [P_DIAMETER] = {"diameter", NULL, GH_PARAM_INT, 0, 0, 61, NULL,
                    "bilateral neighbourhood diameter; 0 derives it from sigma-space"},
    [P_SIGMA_COLOR] = {"sigma-color", NULL, GH_PARAM_FLOAT, 20, 0.1, 1000, NULL,
                       "bilateral color sigma on the 0..255 scale"},
    [P_SIGMA_SPACE] = {"sigma-space", NULL, GH_PARAM_FLOAT, 2, 0.1, 40, NULL,
                       "bilateral spatial sigma in pixels"},
};

struct job {
    const struct gh_stage_ctx *ctx;
    const double *p;
};

static enum gh_status denoise_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    const struct job *j = user;
    const double *p = j->p;
    const struct gh_image *in = band->in;
    int method = (int)p[P_METHOD], threads = j->ctx->threads;
    if (method == M_GAUSSIAN)
        return gh_ops_gaussian(in, p[P_SIGMA], threads, out);
    if (method == M_BILATERAL)
        return gh_ops_bilateral(in, (int)p[P_DIAMETER], p[P_SIGMA_COLOR], p[P_SIGMA_SPACE], threads,
                                out);
    struct gh_image *blurred = NULL;
    enum gh_status st = gh_ops_gaussian(in, p[P_SIGMA], threads, &blurred);
    if (st == GH_OK)
        st = gh_ops_bilateral(blurred, (int)p[P_DIAMETER], p[P_SIGMA_COLOR], p[P_SIGMA_SPACE],
                              threads, out);
    gh_image_free(blurred);
    return st;
}

/* In bands: a pixel reads the Gaussian's half kernel and the bilateral's
 * radius of rows around it. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    int method = (int)p[P_METHOD], halo = 0;
    if (method != M_BILATERAL)
        halo += gh_ops_gaussian_ksize_for(p[P_SIGMA], 0) / 2;
    if (method != M_GAUSSIAN)
        halo += p[P_DIAMETER] > 0 ? (int)p[P_DIAMETER] / 2 : (int)lround(1.5 * p[P_SIGMA_SPACE]);
    struct job j = {ctx, p};
    return gh_stage_bands(ctx, in, halo, denoise_band, &j, out);
}

const struct gh_stage_def gh_stage_denoise = {
    "denoise", "remove sensor noise and fine texture before stylization", 1, params,
    GH_ARRAY_LEN(params), run, 1,
};
