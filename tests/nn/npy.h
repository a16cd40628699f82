/* Minimal .npy reader for the nn tests' golden files: '|u1', '<f2' or '<f4',
 * C order, up to 4 dimensions. Header-only (static functions). */
#ifndef GH_TEST_NPY_H
#define GH_TEST_NPY_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct npy {
    int ndim;
    long shape[4];
    int elem; /* 1 (uint8), 2 (float16) or 4 (float32) */
    unsigned char *data;
    size_t count;
};

static float npy_half(unsigned short h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? INFINITY : ldexpf((float)(m | 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

static int npy_read(const char *path, struct npy *a)
{
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char pre[10];
    char header[1024];
    int ok = fread(pre, 1, 10, f) == 10 && pre[0] == 0x93 && memcmp(pre + 1, "NUMPY", 5) == 0 && pre[6] == 1;
    size_t hl = ok ? (size_t)(pre[8] | pre[9] << 8) : 0;
    ok = ok && hl < sizeof header && fread(header, 1, hl, f) == hl;
    if (ok) {
        header[hl] = 0;
        a->elem = strstr(header, "'<f4'") ? 4 : strstr(header, "'<f2'") ? 2 : strstr(header, "'|u1'") ? 1 : 0;
        const char *s = strstr(header, "'shape': (");
        ok = a->elem && strstr(header, "'fortran_order': False") && s;
        if (ok) {
            s += 10;
            a->count = 1;
            while (*s && *s != ')' && a->ndim < 4) {
                char *end;
                long v = strtol(s, &end, 10);
                if (end == s)
                    break;
                a->shape[a->ndim++] = v;
                a->count *= (size_t)v;
                s = end;
                while (*s == ',' || *s == ' ')
                    s++;
            }
        }
    }
    if (ok) {
        size_t bytes = a->count * (size_t)a->elem;
        a->data = malloc(bytes ? bytes : 1);
        ok = a->data && fread(a->data, 1, bytes, f) == bytes;
    }
    (void)fclose(f); /* read-only */
    if (!ok) {
        free(a->data);
        a->data = NULL;
    }
    return ok;
}

static float npy_get(const struct npy *a, size_t i)
{
    if (a->elem == 1)
        return a->data[i];
    if (a->elem == 2)
        return npy_half((unsigned short)(a->data[2 * i] | a->data[2 * i + 1] << 8));
    float v;
    memcpy(&v, a->data + 4 * i, 4);
    return v;
}

#endif
