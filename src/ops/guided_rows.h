/* Per-row kernels of the guided filter. Included twice by guided.c: once for the
 * baseline instruction set and once compiled for AVX2 (without FMA, so both give
 * the same bits). The includer defines GF_FN(name), which names an instance, and
 * GF_TARGET, its function attribute. Rows are double; the loops over x have no
 * branches so GCC vectorizes them. */

/* v += a0 a1 - s0 s1 over a row (products of floats are exact in double). a1 / s1
 * NULL: the factor is 1; a0 / s0 NULL: nothing is added / subtracted. */
GF_TARGET static void GF_FN(vacc)(double *restrict v, const float *restrict a0,
                                  const float *restrict a1, const float *restrict s0,
                                  const float *restrict s1, int w)
{
    if (a0 && s0) {
        if (a1)
            for (int x = 0; x < w; x++)
                v[x] += (double)a0[x] * a1[x] - (double)s0[x] * s1[x];
        else
            for (int x = 0; x < w; x++)
                v[x] += (double)a0[x] - (double)s0[x];
    } else if (a0) {
        if (a1)
            for (int x = 0; x < w; x++)
                v[x] += (double)a0[x] * a1[x];
        else
            for (int x = 0; x < w; x++)
                v[x] += (double)a0[x];
    } else if (s0) {
        if (s1)
            for (int x = 0; x < w; x++)
                v[x] -= (double)s0[x] * s1[x];
        else
            for (int x = 0; x < w; x++)
                v[x] -= (double)s0[x];
    }
}

/* vacc for the nine guide planes of a 3-channel guide at once (I_0..2, then the
 * products 00 01 02 11 12 22), rows a (entering) and s (leaving) both present:
 * each guide value is loaded once for all its products. Same operations as vacc. */
GF_TARGET static void GF_FN(vacc9)(double *restrict v0, double *restrict v1, double *restrict v2,
                                   double *restrict v3, double *restrict v4, double *restrict v5,
                                   double *restrict v6, double *restrict v7, double *restrict v8,
                                   const float *restrict a0, const float *restrict a1,
                                   const float *restrict a2, const float *restrict s0,
                                   const float *restrict s1, const float *restrict s2, int w)
{
    for (int x = 0; x < w; x++) {
        double p0 = a0[x], p1 = a1[x], p2 = a2[x], q0 = s0[x], q1 = s1[x], q2 = s2[x];
        v0[x] += p0 - q0;
        v1[x] += p1 - q1;
        v2[x] += p2 - q2;
        v3[x] += p0 * p0 - q0 * q0;
        v4[x] += p0 * p1 - q0 * q1;
        v5[x] += p0 * p2 - q0 * q2;
        v6[x] += p1 * p1 - q1 * q1;
        v7[x] += p1 * p2 - q1 * q2;
        v8[x] += p2 * p2 - q2 * q2;
    }
}

/* v += a - s over a row of doubles (either may be NULL). */
GF_TARGET static void GF_FN(vaccd)(double *restrict v, const double *restrict a,
                                   const double *restrict s, int w)
{
    if (a && s)
        for (int x = 0; x < w; x++)
            v[x] += a[x] - s[x];
    else if (a)
        for (int x = 0; x < w; x++)
            v[x] += a[x];
    else if (s)
        for (int x = 0; x < w; x++)
            v[x] -= s[x];
}

/* Horizontal window sums (radius rx, clipped) of planes [k0, k1) of v (stride st),
 * times f[x], into out. A running sum is one serial chain per plane: four planes
 * at a time keep four chains in flight. */
GF_TARGET static void GF_FN(hbox)(const double *restrict v, double *restrict out, int k0, int k1,
                                  size_t st, int w, int rx, const double *restrict f)
{
    int xa = rx + 1 < w ? rx + 1 : w; /* x < xa: nothing leaves the window yet */
    int xb = w - rx > xa ? w - rx : xa; /* x >= xb: nothing enters any more */
    int k = k0;
    for (; k + 4 <= k1; k += 4) {
        const double *p0 = v + (size_t)k * st, *p1 = p0 + st, *p2 = p1 + st, *p3 = p2 + st;
        double *o0 = out + (size_t)k * st, *o1 = o0 + st, *o2 = o1 + st, *o3 = o2 + st;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int x = 0; x < rx && x < w; x++) {
            s0 += p0[x];
            s1 += p1[x];
            s2 += p2[x];
            s3 += p3[x];
        }
        int x = 0;
        for (; x < xa; x++) {
            if (x + rx < w) {
                s0 += p0[x + rx];
                s1 += p1[x + rx];
                s2 += p2[x + rx];
                s3 += p3[x + rx];
            }
            o0[x] = s0 * f[x];
            o1[x] = s1 * f[x];
            o2[x] = s2 * f[x];
            o3[x] = s3 * f[x];
        }
        for (; x < xb; x++) {
            s0 += p0[x + rx] - p0[x - rx - 1];
            s1 += p1[x + rx] - p1[x - rx - 1];
            s2 += p2[x + rx] - p2[x - rx - 1];
            s3 += p3[x + rx] - p3[x - rx - 1];
            o0[x] = s0 * f[x];
            o1[x] = s1 * f[x];
            o2[x] = s2 * f[x];
            o3[x] = s3 * f[x];
        }
        for (; x < w; x++) {
            s0 -= p0[x - rx - 1];
            s1 -= p1[x - rx - 1];
            s2 -= p2[x - rx - 1];
            s3 -= p3[x - rx - 1];
            o0[x] = s0 * f[x];
            o1[x] = s1 * f[x];
            o2[x] = s2 * f[x];
            o3[x] = s3 * f[x];
        }
    }
    for (; k < k1; k++) {
        const double *p0 = v + (size_t)k * st;
        double *o0 = out + (size_t)k * st, s0 = 0;
        for (int x = 0; x < rx && x < w; x++)
            s0 += p0[x];
        int x = 0;
        for (; x < xa; x++) {
            if (x + rx < w)
                s0 += p0[x + rx];
            o0[x] = s0 * f[x];
        }
        for (; x < xb; x++) {
            s0 += p0[x + rx] - p0[x - rx - 1];
            o0[x] = s0 * f[x];
        }
        for (; x < w; x++) {
            s0 -= p0[x - rx - 1];
            o0[x] = s0 * f[x];
        }
    }
}

/* 3-channel guide: the inverse of Sigma + eps Id (by cofactors, over the
 * determinant) from the means of I (m0..m2) and of its products (c00..c22), into
 * k00..k22. Every plane is its own restrict parameter: GCC does not vectorize the
 * loop when the stores might overlap. */
GF_TARGET static void GF_FN(inverse3_planes)(
    const double *restrict m0, const double *restrict m1, const double *restrict m2,
    const double *restrict c00, const double *restrict c01, const double *restrict c02,
    const double *restrict c11, const double *restrict c12, const double *restrict c22, double eps,
    double *restrict k00, double *restrict k01, double *restrict k02, double *restrict k11,
    double *restrict k12, double *restrict k22, int w)
{
    for (int x = 0; x < w; x++) {
        double s00 = c00[x] - m0[x] * m0[x] + eps, s01 = c01[x] - m0[x] * m1[x],
               s02 = c02[x] - m0[x] * m2[x], s11 = c11[x] - m1[x] * m1[x] + eps,
               s12 = c12[x] - m1[x] * m2[x], s22 = c22[x] - m2[x] * m2[x] + eps;
        double i00 = s11 * s22 - s12 * s12, i01 = s02 * s12 - s01 * s22,
               i02 = s01 * s12 - s02 * s11, i11 = s00 * s22 - s02 * s02,
               i12 = s01 * s02 - s00 * s12, i22 = s00 * s11 - s01 * s01;
        double inv = 1.0 / (s00 * i00 + s01 * i01 + s02 * i02); /* one division, not six */
        k00[x] = i00 * inv;
        k01[x] = i01 * inv;
        k02[x] = i02 * inv;
        k11[x] = i11 * inv;
        k12[x] = i12 * inv;
        k22[x] = i22 * inv;
    }
}

/* The same from m[0..8] (I, then pairs 00 01 02 11 12 22) into k[0..5], planes st apart. */
GF_TARGET static void GF_FN(inverse3)(const double *m, size_t st, double eps, double *k, int w)
{
    GF_FN(inverse3_planes)(m, m + st, m + 2 * st, m + 3 * st, m + 4 * st, m + 5 * st, m + 6 * st,
                           m + 7 * st, m + 8 * st, eps, k, k + st, k + 2 * st, k + 3 * st,
                           k + 4 * st, k + 5 * st, w);
}

/* 3-channel guide, one source channel: a = k cov(I, p), b = mean p - a . mean I,
 * from the means of I (mi, 3 planes), of p (mp) and of I_c p (mip[c]). */
GF_TARGET static void GF_FN(coef3)(const double *restrict k, const double *restrict mi,
                                   const double *restrict mp, const double *const mip[3],
                                   size_t st, double *restrict a0, double *restrict a1,
                                   double *restrict a2, double *restrict b, int w)
{
    const double *k00 = k, *k01 = k + st, *k02 = k + 2 * st, *k11 = k + 3 * st, *k12 = k + 4 * st,
                 *k22 = k + 5 * st, *m0 = mi, *m1 = mi + st, *m2 = mi + 2 * st;
    const double *restrict e0 = mip[0], *restrict e1 = mip[1], *restrict e2 = mip[2];
    for (int x = 0; x < w; x++) {
        double c0 = e0[x] - m0[x] * mp[x], c1 = e1[x] - m1[x] * mp[x], c2 = e2[x] - m2[x] * mp[x];
        double v0 = k00[x] * c0 + k01[x] * c1 + k02[x] * c2,
               v1 = k01[x] * c0 + k11[x] * c1 + k12[x] * c2,
               v2 = k02[x] * c0 + k12[x] * c1 + k22[x] * c2;
        a0[x] = v0;
        a1[x] = v1;
        a2[x] = v2;
        b[x] = mp[x] - v0 * m0[x] - v1 * m1[x] - v2 * m2[x];
    }
}

/* Gray guide, one source channel: a = cov(I, p) / (var I + eps), b = mean p - a mean I. */
GF_TARGET static void GF_FN(coef1)(const double *restrict mi, const double *restrict mii,
                                   const double *restrict mp, const double *restrict mip,
                                   double eps, double *restrict a, double *restrict b, int w)
{
    for (int x = 0; x < w; x++) {
        double va = (mip[x] - mi[x] * mp[x]) / (mii[x] - mi[x] * mi[x] + eps);
        a[x] = va;
        b[x] = mp[x] - va * mi[x];
    }
}

/* q = mean b + sum_c mean a_c I_c for one source channel and one row. */
GF_TARGET static void GF_FN(output)(const double *restrict ma, size_t st, const double *restrict mb,
                                    const float *const guide[3], int gc, float *restrict q, int w)
{
    if (gc == 3) {
        const float *restrict i0 = guide[0], *restrict i1 = guide[1], *restrict i2 = guide[2];
        const double *a0 = ma, *a1 = ma + st, *a2 = ma + 2 * st;
        for (int x = 0; x < w; x++)
            q[x] = (float)(mb[x] + a0[x] * i0[x] + a1[x] * i1[x] + a2[x] * i2[x]);
    } else {
        /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): gc is 1 or 3: guide[0] is set */
        const float *restrict i0 = guide[0];
        for (int x = 0; x < w; x++)
            q[x] = (float)(mb[x] + ma[x] * i0[x]);
    }
}
