/* kdot.c: reference dot products of K-quant weight rows (Q2_K..Q6_K) with Q8_K
 * activation rows. Within a super-block everything is exact integer arithmetic (quants
 * times activations, times the small sub-block scales; the min terms use Q8_K's bsums);
 * only the final per-super-block scaling is in float, as in ggml. */
#include "llm/quant/q_k.h"
#include "llm/quant/quant.h"

#define QK_K LLM_QK_K

static inline float h2f(uint16_t h) { return llm_fp16_to_f32(h); }

float llm_vec_dot_q2_K_q8_K_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q2_K *x = w;
    const struct llm_block_q8_K *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q2 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        int summs = 0;
        for (int j = 0; j < 16; j++)
            summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
        const float dall = y[i].d * h2f(x[i].d);
        const float dmin = y[i].d * h2f(x[i].dmin);
        int isum = 0, is = 0;
        for (int k = 0; k < QK_K / 128; k++) {
            int shift = 0;
            for (int j = 0; j < 4; j++) {
                int d = x[i].scales[is++] & 0xF;
                int s = 0;
                for (int l = 0; l < 16; l++)
                    s += q8[l] * ((q2[l] >> shift) & 3);
                isum += d * s;
                d = x[i].scales[is++] & 0xF;
                s = 0;
                for (int l = 16; l < 32; l++)
                    s += q8[l] * ((q2[l] >> shift) & 3);
                isum += d * s;
                shift += 2;
                q8 += 32;
            }
            q2 += 32;
        }
        sumf += dall * (float)isum - dmin * (float)summs;
    }
    return sumf;
}

float llm_vec_dot_q3_K_q8_K_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q3_K *x = w;
    const struct llm_block_q8_K *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int8_t sc[16];
        for (int j = 0; j < 16; j++) {
            int lo = j < 8 ? x[i].scales[j] & 0xF : x[i].scales[j - 8] >> 4;
            int hi = (x[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3;
            sc[j] = (int8_t)((lo | hi << 4) - 32);
        }
        const uint8_t *q = x[i].qs;
        const uint8_t *hm = x[i].hmask;
        const int8_t *q8 = y[i].qs;
        int isum = 0, is = 0;
        unsigned m = 1;
        for (int k = 0; k < QK_K / 128; k++) {
            int shift = 0;
            for (int j = 0; j < 4; j++) {
                for (int half = 0; half < 2; half++) {
                    int s = 0;
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        int v = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
                        s += v * q8[l];
                    }
                    isum += sc[is++] * s;
                }
                shift += 2;
                m <<= 1;
                q8 += 32;
            }
            q += 32;
        }
        sumf += h2f(x[i].d) * y[i].d * (float)isum;
    }
    return sumf;
}

/* The dot product of one Q4_K or Q5_K super-block (its scales, d, dmin, low nibbles ql and,
 * for Q5_K, the fifth bits qh; NULL for Q4_K) with a Q8_K block. */
static inline float dot_q45_K_block(const uint8_t *scales, uint16_t d16, uint16_t dmin16,
                                    const uint8_t *ql, const uint8_t *qh,
                                    const struct llm_block_q8_K *y)
{
    const int8_t *q8 = y->qs;
    int isum = 0, summs = 0;
    unsigned u1 = 1, u2 = 2;
    for (int j = 0; j < QK_K / 64; j++) {
        uint8_t sc0, m0, sc1, m1;
        llm_k_scale_min(2 * j, scales, &sc0, &m0);
        llm_k_scale_min(2 * j + 1, scales, &sc1, &m1);
        int s0 = 0, s1 = 0;
        for (int l = 0; l < 32; l++) {
            s0 += (ql[l] & 0xF) * q8[l];
            s1 += (ql[l] >> 4) * q8[l + 32];
        }
        if (qh) { /* (q + 16 h) * a summed as q * a plus 16 h * a: exact in integers */
            for (int l = 0; l < 32; l++) {
                s0 += (qh[l] & u1 ? 16 : 0) * q8[l];
                s1 += (qh[l] & u2 ? 16 : 0) * q8[l + 32];
            }
        }
        isum += sc0 * s0 + sc1 * s1;
        summs += m0 * (y->bsums[4 * j] + y->bsums[4 * j + 1]) +
                 m1 * (y->bsums[4 * j + 2] + y->bsums[4 * j + 3]);
        ql += 32;
        q8 += 64;
        u1 <<= 2;
        u2 <<= 2;
    }
    const float d = y->d * h2f(d16);
    const float dmin = y->d * h2f(dmin16);
    return d * (float)isum - dmin * (float)summs;
}

float llm_vec_dot_q4_K_q8_K_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q4_K *x = w;
    const struct llm_block_q8_K *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK_K; i++)
        sumf += dot_q45_K_block(x[i].scales, x[i].d, x[i].dmin, x[i].qs, NULL, &y[i]);
    return sumf;
}

float llm_vec_dot_q5_K_q8_K_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q5_K *x = w;
    const struct llm_block_q8_K *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK_K; i++)
        sumf += dot_q45_K_block(x[i].scales, x[i].d, x[i].dmin, x[i].qs, x[i].qh, &y[i]);
    return sumf;
}

float llm_vec_dot_q6_K_q8_K_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q6_K *x = w;
    const struct llm_block_q8_K *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *ql = x[i].ql;
        const uint8_t *qh = x[i].qh;
        const int8_t *sc = x[i].scales;
        const int8_t *q8 = y[i].qs;
        int isum = 0;
        for (int k = 0; k < QK_K / 128; k++) {
            int s[8] = {0};
            for (int l = 0; l < 32; l++) {
                const int is = l / 16;
                int q[4];
                llm_q6_K_unpack(ql, qh, l, q);
                s[is + 0] += q[0] * q8[l];
                s[is + 2] += q[1] * q8[l + 32];
                s[is + 4] += q[2] * q8[l + 64];
                s[is + 6] += q[3] * q8[l + 96];
            }
            for (int j = 0; j < 8; j++)
                isum += sc[j] * s[j];
            ql += 64;
            qh += 32;
            sc += 8;
            q8 += 128;
        }
        sumf += h2f(x[i].d) * y[i].d * (float)isum;
    }
    return sumf;
}
