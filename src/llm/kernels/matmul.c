/* matmul.c: the loop nest of a (weight rows) x (activation columns) product on top of the
 * per-type kernels: columns are taken in tiles that stay in the L2 cache, each weight row of
 * the caller's row range is read once per tile, and up to four columns at a time go through
 * llm_vec_dot_nc. Threading is the caller's: give each thread its own row range. */
#include "llm/quant/quant.h"

enum { MATMUL_COL_TILE = 32, MATMUL_NC = 4 };

void llm_matmul_rows(const struct llm_type_traits *t, int64_t n, const void *w,
                     size_t w_row_bytes, int64_t r0, int64_t r1, const void *a, size_t a_stride,
                     int nc, float *y, size_t ldy)
{
    if (t->gemm) {
        t->gemm(n, w, w_row_bytes, r0, r1, a, a_stride, nc, y, ldy);
        return;
    }
    float out[MATMUL_NC];
    for (int c0 = 0; c0 < nc; c0 += MATMUL_COL_TILE) {
        const int c1 = c0 + MATMUL_COL_TILE < nc ? c0 + MATMUL_COL_TILE : nc;
        for (int64_t r = r0; r < r1; r++) {
            const char *wr = (const char *)w + (size_t)r * w_row_bytes;
            for (int c = c0; c < c1; c += MATMUL_NC) {
                const int k = c1 - c < MATMUL_NC ? c1 - c : MATMUL_NC;
                llm_vec_dot_nc(t, n, k, out, wr, (const char *)a + (size_t)c * a_stride,
                               a_stride);
                for (int j = 0; j < k; j++)
                    y[(size_t)(c + j) * ldy + (size_t)r] = out[j];
            }
        }
    }
}
