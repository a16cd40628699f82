/* The AnimeGANv2 generator architecture exported by torch.onnx.export
 * (tools/make-nn-animeganv2: reduced widths, random weights, fixed seed):
 * reflection pads, GroupNorm(1) as InstanceNormalization, inverted residual
 * blocks with depthwise convs, bilinear Resize in both align_corners modes.
 * Our output must match PyTorch's within 1e-3 (max abs). */
#include "check.h"

#include <math.h>
#include <stdlib.h>

#include "ghiblify/nn.h"
#include "../nn/npy.h"
#include "nn/nn_internal.h" /* gh_nn_use_winograd */

static void check_model(const char *tag, const struct npy *in)
{
    char rel[256];
    struct npy ref;
    struct gh_nn_model *m = NULL;
    snprintf(rel, sizeof rel, "tests/data/nn/animeganv2_w16_%s.onnx", tag);
    CHECK_OK(gh_nn_load_file(check_source_path(rel), &m));
    snprintf(rel, sizeof rel, "tests/data/nn/animeganv2_w16_%s_out.npy", tag);
    CHECK_MSG(npy_read(check_source_path(rel), &ref), "%s", rel);
    if (!m || !ref.data)
        goto out;
    struct gh_nn_tensor x = {GH_NN_F32, 4, {in->shape[0], in->shape[1], in->shape[2], in->shape[3]}, in->data}, y = {0};
    /* Both 3x3 paths (Winograd and im2col), each with 1 and 2 threads. */
    for (int run = 0; run < 4; run++) {
        int threads = 1 + (run & 1);
        gh_nn_use_winograd = run < 2;
        gh_nn_set_threads(m, threads);
        CHECK_OK(gh_nn_run(m, &x, &y));
        if (!y.data)
            continue;
        CHECK(gh_nn_tensor_count(&y) == ref.count && y.ndim == 4 && y.shape[2] == in->shape[2] &&
              y.shape[3] == in->shape[3]);
        double maxerr = 0;
        for (size_t i = 0; i < ref.count && i < gh_nn_tensor_count(&y); i++) {
            double e = fabs(((float *)y.data)[i] - npy_get(&ref, i));
            if (!(e <= maxerr))
                maxerr = e;
        }
        printf("AnimeGANv2 (%s) %s, %d thread(s): max abs error %.3g vs PyTorch\n", tag,
               gh_nn_use_winograd ? "Winograd" : "im2col", threads, maxerr);
        CHECK_MSG(maxerr <= 1e-3, "%s: max abs error %g", tag, maxerr);
        gh_nn_tensor_release(&y);
    }
    gh_nn_use_winograd = 1;
out:
    gh_nn_free(m);
    free(ref.data);
}

int main(void)
{
    struct npy in;
    CHECK(npy_read(check_source_path("tests/data/nn/animeganv2_input.npy"), &in));
    if (in.data) {
        CHECK(in.elem == 4 && in.ndim == 4 && in.shape[1] == 3);
        check_model("ac", &in); /* Resize to sizes, align_corners */
        check_model("hp", &in); /* Resize by scale 2, half_pixel */
    }
    free(in.data);
    return check_finish();
}
