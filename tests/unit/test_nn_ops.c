/* Op table integrity and load-time fusion: every op row is complete, and a
 * graph the loader folds (Pad->Conv, moments variance) computes the same as
 * the same graph with the folds blocked (intermediates exported as outputs). */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "nn/nn_internal.h"

static void test_table(void)
{
    for (int op = 0; op < GH_NN_OP_COUNT; op++) {
        const struct gh_nn_op_info *i = &gh_nn_ops[op];
        CHECK_MSG(i->name && i->run && i->attrs && i->min_in <= i->max_in && i->min_out <= i->max_out &&
                      i->min_out >= 1,
                  "op %d row incomplete", op);
        for (int j = 0; j < op; j++)
            CHECK_MSG(!i->name || !gh_nn_ops[j].name || strcmp(i->name, gh_nn_ops[j].name),
                      "op name %s listed twice", i->name);
    }
}

static int count_dead(const struct gh_nn_model *m, int *fused_pads, int *fused_moments, int *chains)
{
    int dead = 0;
    *fused_pads = *fused_moments = *chains = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        dead += m->nodes[i].dead;
        *fused_pads += m->nodes[i].fused_pad != 0;
        *fused_moments += m->nodes[i].fused_moments;
        *chains += m->nodes[i].chain_len > 0;
    }
    return dead;
}

static void test_fusion(void)
{
    struct gh_nn_model *a = NULL, *b = NULL;
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/fusion_a.onnx"), &a));
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/fusion_b.onnx"), &b));
    if (!a || !b)
        goto out;
    int fp, fm, fc;
    /* 2 Pads, Sub and Mul of the variance, Sub and Div of the chain ending in LeakyRelu */
    CHECK(count_dead(a, &fp, &fm, &fc) == 6 && fp == 2 && fm == 1 && fc == 1);
    CHECK(count_dead(b, &fp, &fm, &fc) == 0 && fp == 0 && fm == 0 && fc == 0);
    int h = 21, w = 26;
    float *data = malloc((size_t)3 * h * w * sizeof(float));
    for (int i = 0; i < 3 * h * w; i++)
        data[i] = sinf(0.37f * (float)i) + 0.3f * cosf(0.011f * (float)(i * i % 977));
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 3, h, w}, data}, ya = {0}, yb[5];
    for (int threads = 1; threads <= 2; threads++) {
        gh_nn_set_threads(a, threads);
        gh_nn_set_threads(b, threads);
        CHECK_OK(gh_nn_run(a, &x, &ya));
        CHECK_OK(gh_nn_run_multi(b, 1, &x, 5, yb));
        if (ya.data && yb[0].data) {
            CHECK(ya.ndim == 4 && ya.shape[1] == 3 && ya.shape[2] == h && ya.shape[3] == w);
            CHECK(gh_nn_tensor_count(&ya) == gh_nn_tensor_count(&yb[0]));
            double maxerr = 0;
            for (size_t i = 0; i < gh_nn_tensor_count(&ya); i++) {
                double e = fabs(((float *)ya.data)[i] - ((float *)yb[0].data)[i]);
                maxerr = e > maxerr || e != e ? e : maxerr;
            }
            CHECK_MSG(maxerr <= 1e-4, "fused vs unfused: max abs difference %g", maxerr);
            /* The padded intermediate really is the reflect-padded input. */
            CHECK(yb[1].shape[2] == h + 2 && yb[1].shape[3] == w + 2);
            CHECK(((float *)yb[1].data)[0] == data[1 * w + 1]);
        }
        gh_nn_tensor_release(&ya);
        for (int i = 0; i < 5; i++)
            gh_nn_tensor_release(&yb[i]);
    }
    free(data);
out:
    gh_nn_free(a);
    gh_nn_free(b);
}

int main(void)
{
    test_table();
    test_fusion();
    return check_finish();
}
