/* The generator model built into the binary. The build passes the model file's
 * path, name, size and sha256 (see CMakeLists.txt); .incbin places the file's
 * bytes, unchanged (float16 weights stay float16), in read-only data, which
 * costs no start-up time and no generated source. */
#include "ghiblify/nn.h"

#ifdef GH_EMBED_PATH
__asm__(".section .rodata\n"
        ".balign 64\n"
        "gh_embedded_model_begin:\n"
        ".incbin \"" GH_EMBED_PATH "\"\n"
        "gh_embedded_model_end:\n"
        ".byte 0\n"
        ".previous\n");
extern const unsigned char gh_embedded_model_begin[] __asm__("gh_embedded_model_begin");
extern const unsigned char gh_embedded_model_end[] __asm__("gh_embedded_model_end");

enum gh_status gh_nn_embedded(struct gh_nn_embedded_model *out)
{
    out->data = gh_embedded_model_begin;
    out->size = (size_t)(gh_embedded_model_end - gh_embedded_model_begin);
    out->name = GH_EMBED_NAME;
    out->sha256 = GH_EMBED_SHA256;
    return GH_OK;
}
#else
enum gh_status gh_nn_embedded(struct gh_nn_embedded_model *out)
{
    out->data = NULL;
    out->size = 0;
    out->name = NULL;
    out->sha256 = NULL;
    return gh_error(GH_ERR_MODEL, "this build has no built-in generator model: run "
                                  "tools/fetch-models.sh and rebuild, or pass --model FILE");
}
#endif
