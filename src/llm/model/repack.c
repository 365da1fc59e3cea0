/* model/repack.c: packs a loaded model's Q4_0/Q8_0 weight matrices into the
 * 16-row layout of kernels/packed.h when this machine's kernels use it.
 *
 * All packed matrices share one anonymous mapping (model->packed, huge pages
 * requested), so the memory stays about the model's size: the file pages a
 * matrix was read from are dropped (MADV_DONTNEED on the read-only file
 * mapping) as soon as it is packed, and nothing reads them again (the embedding
 * lookup of a tied, packed token_embd reads the packed rows). A matrix the
 * kernels cannot take (other types, rows not a multiple of 16) stays in place.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "llm/kernels/packed.h"
#include "llm/model/internal.h"

enum { REPACK_MAX_MATS = 8 }; /* matrices per layer, and the output */

/* The matrices of the forward pass that could be packed (each once). */
static int collect(struct llm_model *m, int il, struct llm_mat **out)
{
    int n = 0;
    if (il < 0) {
        out[n++] = m->tied_output ? &m->token_embd : &m->output;
        return n;
    }
    struct llm_layer *L = &m->layers[il];
    struct llm_mat *all[] = {&L->wq,       &L->wk,     &L->wv,      &L->wo,
                             &L->ffn_gate, &L->ffn_up, &L->ffn_down};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        out[n++] = all[i];
    return n;
}

static bool packable(const struct llm_mat *w)
{
    return !w->packed && llm_pack_supported(w->type, w->n_in, w->n_out);
}

static size_t packed_size(const struct llm_mat *w)
{
    return llm_pack_group_bytes(w->type, w->n_in) * (size_t)(w->n_out / LLM_PACK_ROWS);
}

/* Gives the whole pages inside [p, p + len) back to the kernel (they are clean
 * file pages). */
static void drop_pages(const void *p, size_t len, size_t page)
{
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t b = ((uintptr_t)p + len) & ~(uintptr_t)(page - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, MADV_DONTNEED);
}

void llm__repack_model(struct llm_model *m)
{
    size_t total = 0;
    struct llm_mat *mats[REPACK_MAX_MATS];
    for (int il = -1; il < m->hp.n_layer; il++) {
        int n = collect(m, il, mats);
        for (int i = 0; i < n; i++)
            if (packable(mats[i]))
                total += (packed_size(mats[i]) + 63) & ~(size_t)63;
    }
    if (total == 0)
        return;
    void *mem = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return; /* the unpacked kernels still work */
#ifdef MADV_HUGEPAGE
    (void)madvise(mem, total, MADV_HUGEPAGE);
#endif
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;
    size_t off = 0;
    for (int il = -1; il < m->hp.n_layer; il++) {
        int n = collect(m, il, mats);
        for (int i = 0; i < n; i++) {
            struct llm_mat *w = mats[i];
            if (!packable(w))
                continue;
            char *dst = (char *)mem + off;
            llm_pack_rows(w->type, w->data, w->row_bytes, w->n_in, 0, w->n_out / LLM_PACK_ROWS,
                          dst);
            drop_pages(w->data, w->row_bytes * (size_t)w->n_out, page);
            w->data = dst;
            w->packed = true;
            off += (packed_size(w) + 63) & ~(size_t)63;
        }
    }
    if (m->tied_output)
        m->output = m->token_embd;
    (void)mprotect(mem, total, PROT_READ);
    m->packed = mem;
    m->packed_bytes = total;
}
