/* Canny's per-row kernels. Included twice by edges.c: once for the baseline
 * instruction set and once compiled for AVX2, so both instances come from the same
 * source (and give the same bits). The includer defines CANNY_FN(name), which names
 * an instance, and CANNY_TARGET, its function attribute. The loops are written
 * without branches in their bodies so GCC vectorizes them (-fopt-info-vec). */

/* Sobel dx, dy and magnitude of one image row from its source rows r0 (above),
 * r1, r2 (below), borders replicated. sv and dv are scratch rows of w + 2. */
CANNY_TARGET static void CANNY_FN(grad_row)(const uint8_t *restrict r0,
                                            const uint8_t *restrict r1,
                                            const uint8_t *restrict r2, int w, int l2,
                                            int16_t *restrict sv, int16_t *restrict dv,
                                            int16_t *restrict dx, int16_t *restrict dy,
                                            int32_t *restrict mag)
{
    /* Vertical [1 2 1] and [-1 0 1] first (|values| <= 1020: int16). */
    for (int x = 0; x < w; x++) {
        sv[x + 1] = (int16_t)(r0[x] + 2 * r1[x] + r2[x]);
        dv[x + 1] = (int16_t)(r2[x] - r0[x]);
    }
    sv[0] = sv[1];
    sv[w + 1] = sv[w];
    dv[0] = dv[1];
    dv[w + 1] = dv[w];
    if (l2) {
        for (int x = 0; x < w; x++) {
            int16_t gx = (int16_t)(sv[x + 2] - sv[x]);
            int16_t gy = (int16_t)(dv[x] + 2 * dv[x + 1] + dv[x + 2]);
            dx[x] = gx;
            dy[x] = gy;
            mag[x] = (int32_t)gx * gx + (int32_t)gy * gy;
        }
    } else {
        for (int x = 0; x < w; x++) {
            int16_t gx = (int16_t)(sv[x + 2] - sv[x]);
            int16_t gy = (int16_t)(dv[x] + 2 * dv[x + 1] + dv[x + 2]);
            dx[x] = gx;
            dy[x] = gy;
            mag[x] = (int16_t)(gx < 0 ? -gx : gx) + (int16_t)(gy < 0 ? -gy : gy);
        }
    }
}

/* OpenCV's non-maximum suppression of pixels [x0, x0 + n) of a row: mp, mc, mn
 * are the magnitudes of the rows above, at and below (valid from index -1 to w).
 * Writes map[x] = 1 (not an edge), 2 (a maximum above high) or 0 (a maximum above
 * low: a candidate). The direction test is OpenCV's: |dy| << 15 against |dx|
 * tan(22.5) and tan(67.5) in fixed point (all below 2^27, so int32 lanes). */
CANNY_TARGET static inline void CANNY_FN(nms_span)(const int32_t *restrict mp,
                                                   const int32_t *restrict mc,
                                                   const int32_t *restrict mn,
                                                   const int16_t *restrict dx,
                                                   const int16_t *restrict dy, int x0, int n,
                                                   int32_t low, int32_t high,
                                                   uint8_t *restrict map)
{
    for (int x = x0; x < x0 + n; x++) {
        int32_t m = mc[x], xs = dx[x], ys = dy[x];
        int32_t ax = xs < 0 ? -xs : xs, ay = (ys < 0 ? -ys : ys) << CANNY_SHIFT;
        int32_t tg22x = ax * CANNY_TG22;
        int32_t tg67x = tg22x + (ax << (CANNY_SHIFT + 1));
        int32_t hor = ay < tg22x, ver = ay > tg67x, anti = (xs ^ ys) < 0;
        /* The two neighbours along the gradient; the second one is compared with >=
         * except on diagonals (OpenCV's tie rule), i.e. m > b - 1 there.
         * All eight are loaded unconditionally, so the selects need no masked loads. */
        int32_t pl = mp[x - 1], pc = mp[x], pr = mp[x + 1], cl = mc[x - 1], cr = mc[x + 1];
        int32_t nl = mn[x - 1], nc = mn[x], nr = mn[x + 1];
        int32_t a_diag = anti ? pr : pl, b_diag = anti ? nl : nr;
        int32_t a = hor ? cl : ver ? pc : a_diag;
        int32_t b = hor ? cr : ver ? nc : b_diag + 1;
        int32_t keep = (m > low) & (m > a) & (m >= b);
        map[x] = (uint8_t)(keep ? (m > high ? 2 : 0) : 1);
    }
}

/* NMS of a whole row. Only a few percent of pixels of a photo are above low, so
 * blocks of 16 without one are filled with 1 after a cheap test. */
CANNY_TARGET static void CANNY_FN(nms_row)(const int32_t *restrict mp, const int32_t *restrict mc,
                                           const int32_t *restrict mn,
                                           const int16_t *restrict dx,
                                           const int16_t *restrict dy, int w, int32_t low,
                                           int32_t high, uint8_t *restrict map)
{
    /* map[x] = m > low first (one vector loop), then tested 16 bytes at a time. */
    for (int x = 0; x < w; x++)
        map[x] = (uint8_t)(mc[x] > low);
    int x = 0;
    for (; x + 16 <= w; x += 16) {
        uint64_t a, b;
        memcpy(&a, map + x, 8);
        memcpy(&b, map + x + 8, 8);
        if (a | b)
            CANNY_FN(nms_span)(mp, mc, mn, dx, dy, x, 16, low, high, map);
        else
            memset(map + x, 1, 16);
    }
    CANNY_FN(nms_span)(mp, mc, mn, dx, dy, x, w - x, low, high, map);
}

/* dst = 255 where map == 2 (edges), else 0. */
CANNY_TARGET static void CANNY_FN(out_row_u8)(const uint8_t *restrict map, int w,
                                              uint8_t *restrict dst)
{
    for (int x = 0; x < w; x++)
        dst[x] = (uint8_t)-(map[x] >> 1);
}
