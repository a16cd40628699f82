#include <math.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_L_MEAN, P_A_MEAN, P_B_MEAN, P_L_STD, P_A_STD, P_B_STD, P_AMOUNT };

/* Target distributions of the Lab channels; placeholders until the look is tuned. */
static const struct gh_param_def params[] = {
    [P_L_MEAN] = {"l-mean", NULL, GH_PARAM_FLOAT, 60, 0, 100, NULL, "target mean lightness L"},
    [P_A_MEAN] = {"a-mean", NULL, GH_PARAM_FLOAT, -2, -100, 100, NULL, "target mean of a"},
    [P_B_MEAN] = {"b-mean", NULL, GH_PARAM_FLOAT, 10, -100, 100, NULL, "target mean of b"},
    [P_L_STD] = {"l-std", NULL, GH_PARAM_FLOAT, 22, 0.1, 60, NULL, "target standard deviation of L"},
    [P_A_STD] = {"a-std", NULL, GH_PARAM_FLOAT, 12, 0.1, 60, NULL, "target standard deviation of a"},
    [P_B_STD] = {"b-std", NULL, GH_PARAM_FLOAT, 18, 0.1, 60, NULL, "target standard deviation of b"},
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 0.5, 0, 1, NULL,
                  "0 keeps the image, 1 gives each Lab channel exactly the target histogram"},
};

/* Inverse of the standard normal CDF (Acklam's rational approximation,
 * relative error below 1.2e-9). */
static double probit(double q)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (q < 0.02425) {
        double t = sqrt(-2 * log(q));
        return (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
               ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    }
    if (q > 1 - 0.02425)
        return -probit(1 - q);
    double t = q - 0.5, r = t * t;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * t /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* Lab channel c to [0, 1] for gh_ops_histmatch's 16-bit bins, and back. */
static const float OFFSET[3] = {0, 128, 128}, SCALE[3] = {100, 256, 256};

/* Histogram specification: each Lab channel is mapped (by gh_ops_histmatch, as
 * skimage.exposure.match_histograms) onto the same channel of the reference
 * still when there is one (--reference), else onto a normal distribution with
 * the target mean and standard deviation, represented by 4096 exact quantiles. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_image *lab = NULL, *ref = NULL, *matched = NULL;
    *out = NULL;
    enum gh_status st = gh_ops_color_convert(in, GH_COLOR_SRGB, GH_COLOR_LAB, ctx->threads, &lab);
    if (st == GH_OK)
        st = ctx->reference ? gh_ops_color_convert(ctx->reference, GH_COLOR_SRGB, GH_COLOR_LAB,
                                                   ctx->threads, &ref)
                            : gh_image_new(64, 64, 3, &ref);
    if (st != GH_OK)
        goto out;
    size_t n = gh_image_plane_size(lab), m = gh_image_plane_size(ref);
    for (int c = 0; c < 3; c++) {
        float *v = gh_image_plane(lab, c), *r = gh_image_plane(ref, c);
        for (size_t i = 0; i < n; i++)
            v[i] = (v[i] + OFFSET[c]) / SCALE[c];
        if (ctx->reference) {
            for (size_t i = 0; i < m; i++)
                r[i] = (r[i] + OFFSET[c]) / SCALE[c];
            continue;
        }
        double mean = p[P_L_MEAN + c], sd = p[P_L_STD + c];
        for (size_t i = 0; i < m; i++) {
            double t = (mean + sd * probit(((double)i + 0.5) / (double)m) + OFFSET[c]) / SCALE[c];
            r[i] = (float)(t < 0 ? 0 : t > 1 ? 1 : t);
        }
    }
    if ((st = gh_ops_histmatch(lab, ref, ctx->threads, &matched)) != GH_OK)
        goto out;
    float amount = (float)p[P_AMOUNT];
    for (int c = 0; c < 3; c++) {
        float *v = gh_image_plane(lab, c), *mt = gh_image_plane(matched, c);
        for (size_t i = 0; i < n; i++)
            v[i] = (v[i] + amount * (mt[i] - v[i])) * SCALE[c] - OFFSET[c];
    }
    st = gh_ops_color_convert(lab, GH_COLOR_LAB, GH_COLOR_SRGB, ctx->threads, out);
out:
    gh_image_free(lab);
    gh_image_free(ref);
    gh_image_free(matched);
    return st;
}

const struct gh_stage_def gh_stage_histmatch = {
    "histmatch", "histogram specification of the Lab channels to target normal distributions (or to --reference's)",
    0, params, GH_ARRAY_LEN(params), run, 0,
};
