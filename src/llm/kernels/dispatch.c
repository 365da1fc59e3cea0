/* dispatch.c: chooses, once, the kernels llm_type_traits() hands out: the scalar
 * reference table, with entries replaced by SIMD versions the CPU supports (cpuid, at
 * first use, under pthread_once). SIMD kernels live in avx2.c / avx512.c, compiled as
 * separate static libraries with their own -m flags; nothing else in src/llm assumes
 * any instruction-set extension. */
#include <pthread.h>
#include <string.h>

#include "llm/quant/quant.h"

static struct llm_type_traits table[LLM_TYPE_COUNT]; /* written once under `once` */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_table(void)
{
    for (uint32_t t = 0; t < LLM_TYPE_COUNT; t++) {
        const struct llm_type_traits *r = llm_type_traits_ref((enum llm_type)t);
        if (r)
            table[t] = *r;
    }
}

const struct llm_type_traits *llm_type_traits(enum llm_type t)
{
    if (!llm_type_known((uint32_t)t))
        return NULL;
    pthread_once(&once, init_table);
    return &table[t];
}
