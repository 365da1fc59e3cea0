/* kbench.c: micro-benchmark of the quantization kernels (src/llm/quant, src/llm/kernels):
 * for each weight type, a matrix-vector product of ROWS x N with the reference kernels and
 * with the dispatched (SIMD) ones, and the multi-column product for 8 activation rows.
 * Prints the best of several runs (the machine is shared; the minimum is the least noisy).
 *
 *   kbench [ROWS [N]]        defaults 1024 x 4096 (about 2-17 MB of weights per type)
 *
 * Bounded: a few seconds in total. RELAIS_LLM_KERNELS=ref|avx2 changes the dispatched set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "base/str.h"
#include "llm/quant/quant.h"

enum { REPS = 9, NCOLS = 8, MMCOLS = 64 };

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Best time of REPS matrix-vector products with `dot`. */
static double time_matvec(llm_vec_dot_fn dot, int64_t n, int64_t rows, const char *w,
                          size_t row_bytes, const void *a)
{
    double best = 1e30;
    volatile float sink = 0;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now_s();
        for (int64_t r = 0; r < rows; r++)
            sink += dot(n, w + (size_t)r * row_bytes, a);
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    (void)sink;
    return best;
}

/* Best time of REPS products with NCOLS activation rows through llm_vec_dot_nc. */
static double time_nc(const struct llm_type_traits *t, int64_t n, int64_t rows, const char *w,
                      size_t row_bytes, const char *a, size_t a_stride)
{
    double best = 1e30;
    float out[NCOLS];
    volatile float sink = 0;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now_s();
        for (int64_t r = 0; r < rows; r++) {
            llm_vec_dot_nc(t, n, NCOLS, out, w + (size_t)r * row_bytes, a, a_stride);
            sink += out[0];
        }
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    (void)sink;
    return best;
}

/* Best time of REPS products of all rows with MMCOLS activation rows (llm_matmul_rows, the
 * prompt-processing path). */
static double time_mm(const struct llm_type_traits *t, int64_t n, int64_t rows, const char *w,
                      size_t row_bytes, const char *a, size_t a_stride, float *y)
{
    double best = 1e30;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now_s();
        llm_matmul_rows(t, n, w, row_bytes, 0, rows, a, a_stride, MMCOLS, y, (size_t)rows);
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    int64_t rows = 1024, n = 4096;
    if ((argc > 1 && str_to_i64(argv[1], strlen(argv[1]), 1, 1 << 20, &rows) != 0) ||
        (argc > 2 && (str_to_i64(argv[2], strlen(argv[2]), 256, 1 << 16, &n) != 0 || n % 256))) {
        fprintf(stderr, "usage: kbench [ROWS [N]]   (N a multiple of 256)\n");
        return 2;
    }
    static const enum llm_type types[] = {
        LLM_TYPE_F32,  LLM_TYPE_F16,  LLM_TYPE_BF16, LLM_TYPE_Q8_0, LLM_TYPE_Q4_0,
        LLM_TYPE_Q4_1, LLM_TYPE_Q5_0, LLM_TYPE_Q5_1, LLM_TYPE_Q4_K, LLM_TYPE_Q5_K,
        LLM_TYPE_Q6_K,
    };
    float *x = xmalloc((size_t)(n * NCOLS) * sizeof(float));
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int64_t i = 0; i < n * NCOLS; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = (float)(s >> 40) / 8388608.0f - 1.0f;
    }
    printf("kernels: %s; %lld rows x %lld, best of %d\n", llm_kernels_name(), (long long)rows,
           (long long)n, REPS);
    printf("%-5s %10s %10s %8s %10s %12s %8s %12s %8s\n", "type", "ref ms", "simd ms", "Gw/s",
           "GB/s", "nc=8 ms/col", "nc gain", "mm64 ms/col", "GMAC/s");
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const struct llm_type_traits *ref = llm_type_traits_ref(types[k]);
        const struct llm_type_traits *best = llm_type_traits(types[k]);
        const struct llm_type_traits *act = llm_type_traits(best->vec_dot_type);
        size_t row_bytes, a_bytes;
        if (llm_type_row_size(types[k], n, &row_bytes) ||
            llm_type_row_size(best->vec_dot_type, n, &a_bytes))
            return 1;
        char *w = xmalloc(row_bytes * (size_t)rows);
        for (int64_t r = 0; r < rows; r++)
            ref->quantize_ref(x + (r % NCOLS) * n, w + (size_t)r * row_bytes, n);
        for (size_t i = 0; i < row_bytes * (size_t)rows; i += 97)
            w[i] ^= (char)i; /* rows differ a little */
        char *a = xmalloc(a_bytes * MMCOLS);
        for (int c = 0; c < MMCOLS; c++)
            act->from_float(x + (c % NCOLS) * n, a + (size_t)c * a_bytes, n);
        float *y = xmalloc(sizeof(float) * (size_t)rows * MMCOLS);
        double t_ref = time_matvec(ref->vec_dot, n, rows, w, row_bytes, a);
        double t_best = time_matvec(best->vec_dot, n, rows, w, row_bytes, a);
        double t_nc = time_nc(best, n, rows, w, row_bytes, a, a_bytes) / NCOLS;
        double t_mm = time_mm(best, n, rows, w, row_bytes, a, a_bytes, y) / MMCOLS;
        printf("%-5s %10.3f %10.3f %8.1f %10.1f %12.3f %7.2fx %12.3f %8.1f\n", best->name,
               t_ref * 1e3, t_best * 1e3, (double)(n * rows) / t_best * 1e-9,
               (double)row_bytes * (double)rows / t_best * 1e-9, t_nc * 1e3, t_best / t_nc,
               t_mm * 1e3, (double)(n * rows) / t_mm * 1e-9);
        free(y);
        free(w);
        free(a);
    }
    free(x);
    return 0;
}
