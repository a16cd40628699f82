/* gh_nn_set_memory_limit: a run whose activations exceed the cap fails with
 * GH_ERR_TOO_LARGE and allocates nothing more; without a cap it runs. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ghiblify/nn.h"

int main(void)
{
    struct gh_nn_model *m = NULL;
    CHECK_OK(gh_nn_load_file(check_shared_path("models/AnimeGANv3_tiny_Cute.onnx"), &m));
    if (!m)
        return check_finish();
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 64, 64, 3}, NULL}, y = {0};
    x.data = calloc(64 * 64 * 3, sizeof(float));
    for (int i = 0; i < 64 * 64 * 3; i++)
        ((float *)x.data)[i] = (float)(i % 17) / 8.5f - 1.0f;

    gh_nn_set_memory_limit(m, 64 << 10); /* far below what 64x64 needs */
    CHECK(gh_nn_run(m, &x, &y) == GH_ERR_TOO_LARGE);
    CHECK_MSG(strstr(gh_error_detail(), "over the limit") != NULL, "detail: %s", gh_error_detail());
    CHECK(y.data == NULL);

    gh_nn_set_memory_limit(m, 0);
    CHECK_OK(gh_nn_run(m, &x, &y));
    CHECK(y.data != NULL && y.ndim == 4 && y.shape[1] == 64 && y.shape[2] == 64);
    gh_nn_tensor_release(&y);

    gh_nn_set_memory_limit(m, (size_t)1 << 30); /* generous: runs */
    CHECK_OK(gh_nn_run(m, &x, &y));
    gh_nn_tensor_release(&y);
    free(x.data);
    gh_nn_free(m);
    return check_finish();
}
