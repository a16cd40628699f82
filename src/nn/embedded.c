/* The generator models built into the binary. CMakeLists.txt writes
 * gh_embedded.h, one GH_EMBEDDED(index, name, path) line per model file it
 * found in models/ (see src/nn/models.def); .incbin places each file's bytes,
 * unchanged (float16 and int8 weights stay as they are), in read-only data,
 * which costs no start-up time and no generated source. */
#include <string.h>

#include "nn/nn_internal.h"

#define GH_STR2(x) #x
#define GH_STR(x) GH_STR2(x)
#define GH_EMBEDDED(k, name, path)                                                               \
    __asm__(".section .rodata\n"                                                                 \
            ".balign 64\n"                                                                       \
            "gh_model_" GH_STR(k) "_begin:\n"                                                    \
            ".incbin \"" path "\"\n"                                                             \
            "gh_model_" GH_STR(k) "_end:\n"                                                      \
            ".byte 0\n"                                                                          \
            ".previous\n");                                                                      \
    extern const unsigned char gh_model_##k##_begin[] __asm__("gh_model_" GH_STR(k) "_begin");  \
    extern const unsigned char gh_model_##k##_end[] __asm__("gh_model_" GH_STR(k) "_end");
#include "gh_embedded.h"
#undef GH_EMBEDDED

struct embedded {
    const char *name;
    const unsigned char *begin, *end;
};

static const struct embedded table[] = {
#define GH_EMBEDDED(k, name, path) {name, gh_model_##k##_begin, gh_model_##k##_end},
#include "gh_embedded.h"
#undef GH_EMBEDDED
    {NULL, NULL, NULL},
};

int gh_nn_embedded_find(const char *name, const unsigned char **data, size_t *size)
{
    for (const struct embedded *e = table; e->name; e++)
        if (strcmp(e->name, name) == 0) {
            *data = e->begin;
            *size = (size_t)(e->end - e->begin);
            return 1;
        }
    *data = NULL;
    *size = 0;
    return 0;
}
