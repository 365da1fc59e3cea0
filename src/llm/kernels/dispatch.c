/* dispatch.c: chooses, once, the kernels llm_type_traits() hands out: the scalar
 * reference table, with entries replaced by SIMD versions the CPU supports (checked with
 * cpuid through __builtin_cpu_supports, which also checks that the OS saves the wider
 * registers), at first use under pthread_once. SIMD kernels live in avx2.c / avx512.c,
 * compiled as separate static libraries with their own -m flags (src/llm/meson.build);
 * nothing else in src/llm assumes any instruction-set extension.
 *
 * RELAIS_LLM_KERNELS=ref in the environment forces the reference kernels (for comparing
 * results and speed); =avx2 stops at AVX2. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "llm/kernels/kernels.h"
#include "llm/quant/quant.h"

static struct llm_type_traits table[LLM_TYPE_COUNT]; /* written once under `once` */
static pthread_once_t once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) && defined(LLM_HAVE_X86_KERNELS)
static void use_avx2(void)
{
    table[LLM_TYPE_Q4_0].vec_dot = llm_avx2_vec_dot_q4_0_q8_0;
    table[LLM_TYPE_Q8_0].vec_dot = llm_avx2_vec_dot_q8_0_q8_0;
    table[LLM_TYPE_Q4_1].vec_dot = llm_avx2_vec_dot_q4_1_q8_1;
    table[LLM_TYPE_Q5_0].vec_dot = llm_avx2_vec_dot_q5_0_q8_0;
    table[LLM_TYPE_Q5_1].vec_dot = llm_avx2_vec_dot_q5_1_q8_1;
    table[LLM_TYPE_Q2_K].vec_dot = llm_avx2_vec_dot_q2_K_q8_K;
    table[LLM_TYPE_Q3_K].vec_dot = llm_avx2_vec_dot_q3_K_q8_K;
    table[LLM_TYPE_Q4_K].vec_dot = llm_avx2_vec_dot_q4_K_q8_K;
    table[LLM_TYPE_Q5_K].vec_dot = llm_avx2_vec_dot_q5_K_q8_K;
    table[LLM_TYPE_Q6_K].vec_dot = llm_avx2_vec_dot_q6_K_q8_K;
    table[LLM_TYPE_F32].vec_dot = llm_avx2_vec_dot_f32;
    table[LLM_TYPE_F16].vec_dot = llm_avx2_vec_dot_f16;
    table[LLM_TYPE_BF16].vec_dot = llm_avx2_vec_dot_bf16;
    table[LLM_TYPE_Q4_0].vec_dot_nc = llm_avx2_vec_dot_nc_q4_0_q8_0;
    table[LLM_TYPE_Q8_0].vec_dot_nc = llm_avx2_vec_dot_nc_q8_0_q8_0;
    table[LLM_TYPE_Q4_1].vec_dot_nc = llm_avx2_vec_dot_nc_q4_1_q8_1;
    table[LLM_TYPE_Q5_0].vec_dot_nc = llm_avx2_vec_dot_nc_q5_0_q8_0;
    table[LLM_TYPE_Q5_1].vec_dot_nc = llm_avx2_vec_dot_nc_q5_1_q8_1;
    table[LLM_TYPE_Q4_K].vec_dot_nc = llm_avx2_vec_dot_nc_q4_K_q8_K;
    table[LLM_TYPE_Q5_K].vec_dot_nc = llm_avx2_vec_dot_nc_q5_K_q8_K;
    table[LLM_TYPE_Q6_K].vec_dot_nc = llm_avx2_vec_dot_nc_q6_K_q8_K;
    table[LLM_TYPE_Q8_0].from_float = llm_avx2_quantize_row_q8_0;
    table[LLM_TYPE_Q8_1].from_float = llm_avx2_quantize_row_q8_1;
    table[LLM_TYPE_Q8_K].from_float = llm_avx2_quantize_row_q8_K;
    table[LLM_TYPE_F16].from_float = llm_avx2_quantize_row_f16;
}

/* Only where AVX-512 measured faster than AVX2 (AMD EPYC Zen 4, 1024 rows x 4096, min of
 * 60 interleaved runs): Q4_0 1.07x (256-bit VNNI, bit-identical to the AVX2 kernel, so the
 * AVX2 multi-column kernel still pairs with it) and BF16 1.8x (vdpbf16ps, which ggml uses
 * too). The 512-bit Q8_0 (0.97x), F16 (0.70x) and F32 (0.94x) dots are kept and tested
 * but not chosen. */
static void use_avx512(void)
{
    table[LLM_TYPE_Q4_0].vec_dot = llm_avx512_vec_dot_q4_0_q8_0_v2;
    table[LLM_TYPE_Q4_0].vec_dot_nc = NULL;
    table[LLM_TYPE_Q4_0].gemm = llm_avx512_gemm_q4_0_q8_0;
    table[LLM_TYPE_Q8_0].vec_dot = llm_avx512_vec_dot_q8_0_q8_0_v2;
    table[LLM_TYPE_Q8_0].vec_dot_nc = NULL;
    table[LLM_TYPE_Q8_0].gemm = llm_avx512_gemm_q8_0_q8_0;
    table[LLM_TYPE_Q5_0].vec_dot = llm_avx512_vec_dot_q5_0_q8_0_v2;
    table[LLM_TYPE_Q5_0].vec_dot_nc = NULL;
    table[LLM_TYPE_Q5_0].gemm = llm_avx512_gemm_q5_0_q8_0;
    /* K-quants: row dot and tile kernel in one summation order (avx512_k.c) */
    table[LLM_TYPE_Q4_K].vec_dot = llm_avx512_vec_dot_q4_K_q8_K;
    table[LLM_TYPE_Q4_K].vec_dot_nc = NULL;
    table[LLM_TYPE_Q4_K].gemm = llm_avx512_gemm_q4_K_q8_K;
    table[LLM_TYPE_Q6_K].vec_dot = llm_avx512_vec_dot_q6_K_q8_K;
    table[LLM_TYPE_Q6_K].vec_dot_nc = NULL;
    table[LLM_TYPE_Q6_K].gemm = llm_avx512_gemm_q6_K_q8_K;
}

static void use_avx512_bf16(void)
{
    table[LLM_TYPE_BF16].vec_dot = llm_avx512_vec_dot_bf16;
}
#endif

#if defined(__x86_64__)
/* F16C through cpuid leaf 1 (ECX bit 29): clang's __builtin_cpu_supports lacks "f16c". */
static bool cpu_has_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
}
#endif

bool llm_kernels_have_avx2(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
#else
    return false;
#endif
}

bool llm_kernels_have_avx512(void)
{
#if defined(__x86_64__)
    return llm_kernels_have_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

bool llm_kernels_have_avx512bf16(void)
{
#if defined(__x86_64__)
    return llm_kernels_have_avx512() && __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

static void init_table(void)
{
    for (uint32_t t = 0; t < LLM_TYPE_COUNT; t++) {
        const struct llm_type_traits *r = llm_type_traits_ref((enum llm_type)t);
        if (r)
            table[t] = *r;
    }
    const char *want = getenv("RELAIS_LLM_KERNELS");
    if (want && strcmp(want, "ref") == 0)
        return;
#if defined(__x86_64__) && defined(LLM_HAVE_X86_KERNELS)
    if (!llm_kernels_have_avx2())
        return;
    use_avx2();
    if (want && strcmp(want, "avx2") == 0)
        return;
    if (llm_kernels_have_avx512()) {
        use_avx512();
        if (llm_kernels_have_avx512bf16())
            use_avx512_bf16();
    }
#endif
}

const struct llm_type_traits *llm_type_traits(enum llm_type t)
{
    if (!llm_type_known((uint32_t)t))
        return NULL;
    pthread_once(&once, init_table);
    return &table[t];
}

const char *llm_kernels_name(void)
{
    pthread_once(&once, init_table);
    if (table[LLM_TYPE_Q8_0].vec_dot == llm_vec_dot_q8_0_q8_0_ref)
        return "reference";
#if defined(__x86_64__) && defined(LLM_HAVE_X86_KERNELS)
    if (table[LLM_TYPE_BF16].vec_dot == llm_avx512_vec_dot_bf16)
        return "avx512";
#endif
    return "avx2";
}
