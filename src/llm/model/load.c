/* model/load.c: opening a GGUF model, choosing its architecture, the reference count, and the
 * model-level accessors of llm.h (info, tokenizer, chat template).
 *
 * The architecture table maps general.architecture to a family and its loader; each family's
 * file (model/llama.c, ...) reads its own hyper-parameters and tensors. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "base/err.h"
#include "base/mem.h"
#include "llm/llm.h"
#include "llm/model/internal.h"
#include "llm/tokenizer/tokenizer.h"

struct arch_entry {
    const char *name;   /* general.architecture */
    enum llm_arch arch; /* family */
};

static const struct arch_entry arch_table[] = {
    {"llama", LLM_ARCH_LLAMA},
    {"qwen2", LLM_ARCH_QWEN2},
};

static void model_free(struct llm_model *m)
{
    if (!m)
        return;
    llm_vocab_free(m->vocab);
    free(m->chat_template);
    free(m->layers);
    free(m->floats);
    if (m->packed)
        munmap(m->packed, m->packed_bytes);
    llm_gguf_close(m->gguf);
    free(m);
}

int llm_model_load(const char *path, struct llm_model **out, char *err, size_t err_len)
{
    *out = NULL;
    if (err_len > 0)
        err[0] = '\0';
    struct llm_model *m = xcalloc(1, sizeof *m);
    atomic_init(&m->refs, 1);
    int rc = llm_gguf_open(path, &m->gguf, err, err_len);
    if (rc != 0)
        goto out;
    struct str arch = {0};
    rc = llm_gguf_get_str(m->gguf, "general.architecture", (struct str){"", 0}, &arch);
    if (rc != 0 || arch.len == 0 || arch.len >= sizeof m->arch_name) {
        rc = ERR_INVALID;
        snprintf(err, err_len, "missing or bad general.architecture");
        goto out;
    }
    memcpy(m->arch_name, arch.ptr, arch.len);
    m->arch_name[arch.len] = '\0';
    rc = ERR_UNSUPPORTED;
    for (size_t i = 0; i < sizeof arch_table / sizeof arch_table[0]; i++) {
        if (strcmp(arch_table[i].name, m->arch_name) == 0) {
            m->arch = arch_table[i].arch;
            rc = 0;
        }
    }
    if (rc != 0) {
        snprintf(err, err_len, "architecture %s is not supported", m->arch_name);
        goto out;
    }
    rc = llm__llama_load(m, err, err_len);
    if (rc != 0)
        goto out;
    llm__repack_model(m);
    if (llm_gguf_find_key(m->gguf, "tokenizer.ggml.model") >= 0) {
        rc = llm_vocab_load(m->gguf, &m->vocab, err, err_len);
        if (rc != 0)
            goto out;
        if (llm_vocab_n_tokens(m->vocab) > m->hp.n_vocab) {
            rc = ERR_INVALID;
            snprintf(err, err_len, "tokenizer has %d tokens, the model %d",
                     llm_vocab_n_tokens(m->vocab), m->hp.n_vocab);
            goto out;
        }
    }
    struct str tmpl = {0};
    if (llm_gguf_get_str(m->gguf, "tokenizer.chat_template", (struct str){NULL, 0}, &tmpl) == 0 &&
        tmpl.ptr)
        m->chat_template = xstrndup(tmpl.ptr, tmpl.len);
    *out = m;
    m = NULL;
out:
    model_free(m);
    return rc;
}

struct llm_model *llm_model_ref(struct llm_model *m)
{
    atomic_fetch_add(&m->refs, 1);
    return m;
}

void llm_model_unref(struct llm_model *m)
{
    if (!m)
        return;
    int before = atomic_fetch_sub(&m->refs, 1);
    ASSERT(before > 0);
    if (before == 1)
        model_free(m);
}

void llm_model_get_info(const struct llm_model *m, struct llm_model_info *out)
{
    memset(out, 0, sizeof *out);
    out->arch = m->arch_name;
    out->n_vocab = m->hp.n_vocab;
    out->n_embd = m->hp.n_embd;
    out->n_layer = m->hp.n_layer;
    out->n_head = m->hp.n_head;
    out->n_head_kv = m->hp.n_head_kv;
    out->n_ff = m->hp.n_ff;
    out->n_ctx_train = m->hp.n_ctx_train;
    out->file_bytes = llm_gguf_file_size(m->gguf);
}

const struct llm_vocab *llm_model_vocab(const struct llm_model *m)
{
    return m->vocab;
}

const char *llm_model_chat_template(const struct llm_model *m)
{
    return m->chat_template;
}

int llm_model_tokenize(const struct llm_model *m, const char *text, size_t len, bool add_special,
                       bool parse_special, int32_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (!m->vocab)
        return ERR_UNSUPPORTED;
    return llm_tokenize_alloc(m->vocab, text, len, add_special, parse_special, out, n_out);
}
