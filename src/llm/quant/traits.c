/* traits.c: the table of scalar reference kernels per type (llm_type_traits_ref). The
 * table of kernels actually used (SIMD where available) is built from this one by
 * kernels/dispatch.c. Geometry here must agree with tensor.c (a unit test checks). */
#include "llm/quant/quant.h"

#define ROW(t, nm, bs, ts, q, vdt, tof, fromf, qref, dot)                                      \
    [LLM_TYPE_##t] = {.type = LLM_TYPE_##t, .name = nm, .block_size = bs, .type_size = ts,     \
                      .is_quantized = q, .vec_dot_type = LLM_TYPE_##vdt, .to_float = tof,     \
                      .from_float = fromf, .quantize_ref = qref, .vec_dot = dot}

static const struct llm_type_traits ref_table[LLM_TYPE_COUNT] = {
    ROW(F32, "f32", 1, 4, false,
        F32, llm_dequantize_row_f32, llm_quantize_row_f32, llm_quantize_row_f32,
        llm_vec_dot_f32_ref),
    ROW(F16, "f16", 1, 2, false,
        F16, llm_dequantize_row_f16, llm_quantize_row_f16, llm_quantize_row_f16,
        llm_vec_dot_f16_ref),
    ROW(BF16, "bf16", 1, 2, false,
        BF16, llm_dequantize_row_bf16, llm_quantize_row_bf16, llm_quantize_row_bf16,
        llm_vec_dot_bf16_ref),
    ROW(Q4_0, "q4_0", 32, 18, true,
        Q8_0, llm_dequantize_row_q4_0, llm_quantize_row_q4_0_ref,
        llm_quantize_row_q4_0_ref, llm_vec_dot_q4_0_q8_0_ref),
    ROW(Q4_1, "q4_1", 32, 20, true,
        Q8_1, llm_dequantize_row_q4_1, llm_quantize_row_q4_1_ref,
        llm_quantize_row_q4_1_ref, llm_vec_dot_q4_1_q8_1_ref),
    ROW(Q5_0, "q5_0", 32, 22, true,
        Q8_0, llm_dequantize_row_q5_0, llm_quantize_row_q5_0_ref,
        llm_quantize_row_q5_0_ref, llm_vec_dot_q5_0_q8_0_ref),
    ROW(Q5_1, "q5_1", 32, 24, true,
        Q8_1, llm_dequantize_row_q5_1, llm_quantize_row_q5_1_ref,
        llm_quantize_row_q5_1_ref, llm_vec_dot_q5_1_q8_1_ref),
    ROW(Q8_0, "q8_0", 32, 34, true,
        Q8_0, llm_dequantize_row_q8_0, llm_quantize_row_q8_0_act,
        llm_quantize_row_q8_0_ref, llm_vec_dot_q8_0_q8_0_ref),
    ROW(Q8_1, "q8_1", 32, 36, true,
        Q8_1, llm_dequantize_row_q8_1, llm_quantize_row_q8_1_act,
        llm_quantize_row_q8_1_ref, NULL),
    ROW(Q2_K, "q2_K", 256, 84, true,
        Q8_K, llm_dequantize_row_q2_K, NULL, NULL, llm_vec_dot_q2_K_q8_K_ref),
    ROW(Q3_K, "q3_K", 256, 110, true,
        Q8_K, llm_dequantize_row_q3_K, NULL, NULL, llm_vec_dot_q3_K_q8_K_ref),
    ROW(Q4_K, "q4_K", 256, 144, true,
        Q8_K, llm_dequantize_row_q4_K, llm_quantize_row_q4_K_ref,
        llm_quantize_row_q4_K_ref, llm_vec_dot_q4_K_q8_K_ref),
    ROW(Q5_K, "q5_K", 256, 176, true,
        Q8_K, llm_dequantize_row_q5_K, llm_quantize_row_q5_K_ref,
        llm_quantize_row_q5_K_ref, llm_vec_dot_q5_K_q8_K_ref),
    ROW(Q6_K, "q6_K", 256, 210, true,
        Q8_K, llm_dequantize_row_q6_K, llm_quantize_row_q6_K_ref,
        llm_quantize_row_q6_K_ref, llm_vec_dot_q6_K_q8_K_ref),
    ROW(Q8_K, "q8_K", 256, 292, true,
        Q8_K, llm_dequantize_row_q8_K, llm_quantize_row_q8_K_ref,
        llm_quantize_row_q8_K_ref, NULL),
};

const struct llm_type_traits *llm_type_traits_ref(enum llm_type t)
{
    if (!llm_type_known((uint32_t)t))
        return NULL;
    return &ref_table[t];
}
