/* generate.c: the prompt -> tokens -> text loop with stop strings (see generate.h).
 *
 * Stop strings: generated text goes into `pending`. After each token, if a stop string occurs
 * in pending, the text before it is emitted and the loop ends. Otherwise the longest tail of
 * pending that is a prefix of some stop string is held back and the rest is emitted. */
#include "llm/generate.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "llm/model/internal.h"
#include "llm/tokenizer/tokenizer.h"

enum { GEN_TEXT_MAX = 1 << 20 };

const char *llm_stop_reason_name(enum llm_stop_reason r)
{
    switch (r) {
    case LLM_STOP_MAX_TOKENS:
        return "max_tokens";
    case LLM_STOP_EOG:
        return "eog";
    case LLM_STOP_STRING:
        return "stop_string";
    case LLM_STOP_CALLBACK:
        return "callback";
    case LLM_STOP_CONTEXT:
        return "context";
    }
    return "?";
}

long llm_stop_find(const char *const *stop, size_t n_stop, const char *s, size_t len)
{
    long best = -1;
    for (size_t i = 0; i < n_stop; i++) {
        size_t sl = strlen(stop[i]);
        if (sl == 0 || sl > len)
            continue;
        for (size_t at = 0; at + sl <= len; at++) {
            if (memcmp(s + at, stop[i], sl) == 0) {
                if (best < 0 || (long)at < best)
                    best = (long)at;
                break;
            }
        }
    }
    return best;
}

size_t llm_stop_safe_len(const char *const *stop, size_t n_stop, const char *s, size_t len)
{
    size_t hold = 0;
    for (size_t i = 0; i < n_stop; i++) {
        size_t sl = strlen(stop[i]);
        size_t max = sl - 1 < len ? sl - 1 : len;
        for (size_t k = max; k > hold; k--) {
            if (memcmp(s + len - k, stop[i], k) == 0) {
                hold = k;
                break;
            }
        }
    }
    return len - hold;
}

int llm_generate(struct llm_context *c, const int32_t *prompt, int n_prompt,
                 const struct llm_generate_params *p, llm_token_cb cb, void *user,
                 struct llm_generate_result *res)
{
    const struct llm_vocab *vocab = c->model->vocab;
    int n_vocab = c->model->hp.n_vocab;
    struct llm_generate_result r = {0};
    struct buf pending;
    buf_init(&pending, GEN_TEXT_MAX);
    struct llm_batch_item *items = NULL;
    int rc = 0;
    if (n_prompt < 1 || p->max_tokens < 0 || p->seq < 0 || p->seq >= c->p.n_seq) {
        rc = ERR_INVALID;
        goto out;
    }
    if (n_prompt > c->p.n_ctx) {
        snprintf(c->err, sizeof c->err,
                 "context overflow: the prompt has %d tokens, the context holds %d", n_prompt,
                 c->p.n_ctx);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    int keep = 0;
    if (p->reuse_prefix) {
        keep = llm_seq_common_prefix(c, p->seq, prompt, n_prompt);
        if (keep == n_prompt)
            keep--; /* the last prompt token is decoded again for its logits */
    }
    rc = llm_seq_truncate(c, p->seq, keep);
    if (rc != 0)
        goto out;
    r.n_reused = keep;
    int64_t t0 = clock_mono_ns();
    /* the rest of the prompt in one decode (the context splits it into n_batch passes),
     * logits for the last token only */
    items = xcalloc((size_t)(n_prompt - keep), sizeof *items);
    for (int i = keep; i < n_prompt; i++)
        items[i - keep] = (struct llm_batch_item){prompt[i], i, p->seq, i == n_prompt - 1};
    rc = llm_decode(c, items, n_prompt - keep);
    if (rc != 0)
        goto out;
    r.n_prompt = n_prompt;
    if (p->sampler)
        for (int i = 0; i < n_prompt; i++)
            llm_sampler_accept(p->sampler, prompt[i]);
    int64_t t1 = clock_mono_ns();
    r.prompt_ns = t1 - t0;
    struct llm_detok detok;
    if (vocab)
        llm_detok_init(&detok, vocab, false, false);
    r.reason = LLM_STOP_MAX_TOKENS;
    int pos = n_prompt;
    while (r.n_generated < p->max_tokens) {
        const float *logits = llm_get_logits(c, 0);
        int32_t tok = p->sampler ? llm_sampler_sample(p->sampler, logits)
                                 : llm_sampler_argmax(logits, n_vocab);
        if (vocab && !p->ignore_eog && llm_vocab_is_eog(vocab, tok)) {
            r.reason = LLM_STOP_EOG;
            break;
        }
        if (p->sampler)
            llm_sampler_accept(p->sampler, tok);
        if (p->tokens_out)
            p->tokens_out[r.n_generated] = tok;
        r.n_generated++;
        const char *text = NULL;
        size_t emit = 0;
        bool stop_now = false;
        if (vocab && tok < llm_vocab_n_tokens(vocab)) { /* padding rows have no text */
            rc = llm_detok_push(&detok, tok, &pending);
            if (rc != 0)
                goto out;
            long at = llm_stop_find(p->stop, p->n_stop, pending.data ? pending.data : "",
                                    pending.len);
            if (at >= 0) {
                emit = (size_t)at;
                stop_now = true;
            } else {
                emit = llm_stop_safe_len(p->stop, p->n_stop, pending.data ? pending.data : "",
                                         pending.len);
            }
        }
        if (vocab)
            text = pending.data ? pending.data : "";
        if (cb && cb(user, tok, text, emit) != 0) {
            r.reason = LLM_STOP_CALLBACK;
            break;
        }
        if (stop_now) {
            r.reason = LLM_STOP_STRING;
            buf_reset(&pending);
            break;
        }
        if (emit > 0) {
            memmove(pending.data, pending.data + emit, pending.len - emit);
            pending.len -= emit;
            pending.data[pending.len] = '\0';
        }
        if (r.n_generated >= p->max_tokens)
            break;
        if (pos >= c->p.n_ctx) {
            r.reason = LLM_STOP_CONTEXT;
            break;
        }
        struct llm_batch_item it = {tok, pos, p->seq, true};
        rc = llm_decode(c, &it, 1);
        if (rc != 0)
            goto out;
        pos++;
    }
    /* text still held back (a partial stop string that never completed, or a partial UTF-8
     * sequence) goes out with the final call */
    if (vocab && r.reason != LLM_STOP_STRING && r.reason != LLM_STOP_CALLBACK) {
        rc = llm_detok_flush(&detok, &pending);
        if (rc != 0)
            goto out;
        if (pending.len > 0 && cb)
            cb(user, LLM_TOKEN_NULL, pending.data, pending.len);
    }
    r.gen_ns = clock_mono_ns() - t1;
out:
    free(items);
    buf_fini(&pending);
    if (res)
        *res = r;
    return rc;
}
