/* worker.c: the scheduler of one local model: a thread owning an llm_context with N sequence
 * slots and a bounded queue of jobs (continuous batching).
 *
 * Each step: (1) jobs of clients that went away leave their slot; (2) queued jobs are admitted
 * into free slots, each into the free slot whose KV cache holds the longest prefix of its
 * prompt (embedding jobs run at once in their slot); (3) one llm_decode runs the batch: up to
 * AI_PREFILL_CHUNK prompt tokens of slots still prefilling (chunked prefill) plus the last
 * sampled token of every generating slot, with logits for one token per slot that needs one;
 * (4) each slot samples its next token with its own sampler, the streaming detokenizer turns
 * it into text, stop strings / max_tokens / end-of-generation / context length are checked, and
 * the safe text goes to the job (which wakes its HTTP request). The batch array, the logits
 * map and each slot's text buffer are allocated once: the per-token path allocates nothing
 * (the job's text buffer grows geometrically). */
#define LOG_MODULE "ai"
#include "ai/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "llm/generate.h"
#include "llm/tokenizer/tokenizer.h"

#include <string.h>
#include <unistd.h>

enum {
    AI_PENDING_MAX = 1 << 16, /* text held back per slot */
    AI_PREFILL_CHUNK = 256,   /* prompt tokens decoded per step, all slots together */
};

struct ai_slot {
    struct ai_job *job;    /* running job (a reference), or NULL when free */
    bool fresh;            /* admitted this step: its prompt is in the batch */
    int keep;              /* prompt tokens already in the KV slot (not decoded again) */
    int prefill;           /* next prompt token to decode (== n_prompt once prefilled) */
    int pos;               /* positions filled in the KV slot */
    int32_t last;          /* last sampled token (decoded next step) */
    int n_gen;             /* tokens generated */
    struct llm_detok detok; /* streaming detokenizer */
    struct buf pending;    /* text not yet handed out (stop-string prefixes held back) */
};

struct ai_worker {
    struct ai_model *m;            /* borrowed */
    struct llm_context *ctx;       /* owned */
    const struct llm_vocab *vocab; /* borrowed from the model */
    int n_slots;                   /* sequence slots of ctx */
    struct ai_slot *slots;         /* owned [n_slots] */
    struct llm_batch_item *items;  /* owned [cap_items] */
    int cap_items;                 /* AI_PREFILL_CHUNK + n_slots */
    int *out_slot;                 /* owned [n_slots]: logits row -> slot */
    pthread_mutex_t lock;          /* guards the queue and stop */
    pthread_cond_t cond;           /* signalled on submit and stop */
    struct ai_job **queue;         /* ring of owned references */
    int q_cap;                     /* ring size ([llm] queue) */
    int q_head;                    /* oldest entry */
    int q_len;                     /* entries queued */
    bool stop;                     /* ai_worker_stop asked the thread to end */
    pthread_t thread;              /* worker_main */
    bool thread_running;           /* thread must be joined */
    /* metrics (atomics, read by /metrics) */
    _Atomic int64_t m_requests;    /* jobs finished */
    _Atomic int64_t m_prompt_tokens;     /* tokens in */
    _Atomic int64_t m_completion_tokens; /* tokens out */
    _Atomic int64_t m_queue_ns;    /* total time from submit to slot */
    _Atomic int64_t m_decode_ns;   /* total time spent in llm_decode */
    _Atomic int64_t m_rejected;    /* 429s */
    _Atomic int m_active;          /* slots in use */
};

/* ---- slots ---- */

static void slot_release(struct ai_worker *w, struct ai_slot *s)
{
    ai_job_unref(s->job);
    s->job = NULL;
    s->fresh = false;
    buf_reset(&s->pending);
    w->m_active--;
}

static void log_done(struct ai_worker *w, struct ai_job *j)
{
    double queue_ms = (double)(j->t_start_ns - j->t_submit_ns) / 1e6;
    double ttft_ms = j->t_first_ns ? (double)(j->t_first_ns - j->t_submit_ns) / 1e6 : 0.0;
    double gen_s = j->t_first_ns ? (double)(j->t_done_ns - j->t_first_ns) / 1e9 : 0.0;
    log_info("model=%s prompt_tokens=%d cached_tokens=%d completion_tokens=%d queue_ms=%.1f "
             "ttft_ms=%.1f tok_s=%.1f finish=%s",
             w->m->id, j->n_prompt, j->n_cached, j->n_generated, queue_ms, ttft_ms,
             gen_s > 0 && j->n_generated > 1 ? (j->n_generated - 1) / gen_s : 0.0,
             j->finish_reason ? j->finish_reason : "error");
    w->m_requests++;
    w->m_prompt_tokens += j->n_prompt;
    w->m_completion_tokens += j->n_generated;
    w->m_queue_ns += j->t_start_ns - j->t_submit_ns;
}

/* Ends the slot's job: the held-back text goes out unless a stop string ended it. */
static void slot_finish(struct ai_worker *w, struct ai_slot *s, const char *reason, bool flush)
{
    struct ai_job *j = s->job;
    if (flush) {
        llm_detok_flush(&s->detok, &s->pending);
        ai_job_emit(j, s->pending.data ? s->pending.data : "", s->pending.len);
    }
    j->n_generated = s->n_gen;
    ai_job_finish(j, reason, 0, NULL);
    log_done(w, j);
    slot_release(w, s);
}

/* Handles the token just sampled for slot s. */
static void slot_token(struct ai_worker *w, struct ai_slot *s, int32_t tok)
{
    struct ai_job *j = s->job;
    if (w->vocab && llm_vocab_is_eog(w->vocab, tok)) {
        slot_finish(w, s, "stop", true);
        return;
    }
    llm_sampler_accept(j->sampler, tok);
    s->n_gen++;
    if (w->vocab && tok < llm_vocab_n_tokens(w->vocab)) {
        if (llm_detok_push(&s->detok, tok, &s->pending) != 0) {
            slot_finish(w, s, "length", true);
            return;
        }
        const char *text = s->pending.data ? s->pending.data : "";
        /* api.c keeps only non-empty stop strings */
        const char *const *stop = (const char *const *)j->stop;
        long at = llm_stop_find(stop, j->n_stop, text, s->pending.len);
        if (at >= 0) {
            ai_job_emit(j, text, (size_t)at);
            slot_finish(w, s, "stop", false);
            return;
        }
        size_t emit = llm_stop_safe_len(stop, j->n_stop, text, s->pending.len);
        if (emit > 0) {
            ai_job_emit(j, text, emit);
            memmove(s->pending.data, s->pending.data + emit, s->pending.len - emit);
            s->pending.len -= emit;
            s->pending.data[s->pending.len] = '\0';
        }
    }
    if (s->n_gen >= j->max_tokens || s->pos >= j->model->n_ctx) {
        slot_finish(w, s, "length", true);
        return;
    }
    s->last = tok;
}

static void run_embeddings(struct ai_worker *w, int seq, struct ai_job *j)
{
    int n_embd = j->model->n_embd;
    for (size_t i = 0; i < j->n_in; i++) {
        float *out = j->vectors + i * (size_t)n_embd;
        int rc = llm_embed(w->ctx, seq, j->inputs[i], j->n_inputs[i], out);
        if (rc != 0) {
            ai_job_finish(j, NULL, 500, llm_context_error(w->ctx));
            return;
        }
    }
    ai_job_finish(j, "stop", 0, NULL);
    log_done(w, j);
}

/* Fails every job in the batch (a decode error) and frees their slots. */
static void fail_running(struct ai_worker *w, const char *msg)
{
    for (int i = 0; i < w->n_slots; i++) {
        struct ai_slot *s = &w->slots[i];
        if (!s->job)
            continue;
        ai_job_finish(s->job, NULL, 500, msg);
        llm_seq_clear(w->ctx, i);
        slot_release(w, s);
    }
}

/* Admits queued jobs into free slots while the batch has room. Called with the lock held.
 * Returns the number of batch items the admitted prompts take. */
static void admit(struct ai_worker *w)
{
    while (w->q_len > 0) {
        struct ai_job *j = w->queue[w->q_head];
        /* the free slot already holding the longest prefix of the prompt (prompt caching:
         * a conversation's next turn, a shared system prompt) */
        int best = -1, best_keep = -1;
        for (int i = 0; i < w->n_slots; i++) {
            if (w->slots[i].job)
                continue;
            int keep = 0;
            if (j->kind == AI_JOB_GENERATE) {
                keep = llm_seq_common_prefix(w->ctx, i, j->prompt, j->n_prompt);
                if (keep >= j->n_prompt)
                    keep = j->n_prompt - 1; /* the last token is decoded again for its logits */
            }
            if (keep > best_keep) {
                best = i;
                best_keep = keep;
            }
        }
        if (best < 0)
            break;
        w->q_head = (w->q_head + 1) % w->q_cap;
        w->q_len--;
        struct ai_slot *s = &w->slots[best];
        s->job = j;
        s->fresh = true;
        s->keep = best_keep;
        w->m_active++;
    }
}

static void *worker_main(void *arg)
{
    struct ai_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->stop && w->q_len == 0 && w->m_active == 0)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->stop) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        admit(w);
        pthread_mutex_unlock(&w->lock);

        int n = 0, n_out = 0, budget = AI_PREFILL_CHUNK;
        int64_t now = clock_mono_ns();
        for (int i = 0; i < w->n_slots; i++) {
            struct ai_slot *s = &w->slots[i];
            struct ai_job *j = s->job;
            if (!j)
                continue;
            if (atomic_load(&j->cancelled)) {
                if (s->fresh)
                    j->t_start_ns = now;
                j->n_generated = s->n_gen;
                log_info("model=%s request cancelled by the client after %d tokens", w->m->id,
                         s->n_gen);
                slot_release(w, s);
                continue;
            }
            if (s->fresh && j->kind == AI_JOB_EMBED) {
                j->t_start_ns = now;
                run_embeddings(w, i, j);
                slot_release(w, s);
                continue;
            }
            if (s->fresh) {
                j->t_start_ns = now;
                if (llm_seq_truncate(w->ctx, i, s->keep) != 0) {
                    llm_seq_clear(w->ctx, i);
                    s->keep = 0;
                }
                j->n_cached = s->keep;
                for (int k = 0; k < j->n_prompt; k++)
                    llm_sampler_accept(j->sampler, j->prompt[k]);
                s->prefill = s->keep;
                s->n_gen = 0;
                llm_detok_init(&s->detok, w->vocab, false, false);
                buf_reset(&s->pending);
                s->fresh = false;
            }
            if (s->prefill < j->n_prompt) {
                /* chunked prefill: at most AI_PREFILL_CHUNK prompt tokens per step in all, so a
                 * long prompt does not stall the other slots' next tokens */
                int take = j->n_prompt - s->prefill;
                if (take > budget)
                    take = budget;
                for (int k = s->prefill; k < s->prefill + take; k++) {
                    bool last = k == j->n_prompt - 1;
                    w->items[n++] = (struct llm_batch_item){j->prompt[k], k, i, last};
                }
                s->prefill += take;
                budget -= take;
                if (s->prefill == j->n_prompt) {
                    s->pos = j->n_prompt;
                    w->out_slot[n_out++] = i;
                }
                continue;
            }
            w->items[n++] = (struct llm_batch_item){s->last, s->pos, i, true};
            s->pos++;
            w->out_slot[n_out++] = i;
        }
        if (n == 0)
            continue;
        int64_t t0 = clock_mono_ns();
        int rc = llm_decode(w->ctx, w->items, n);
        w->m_decode_ns += clock_mono_ns() - t0;
        if (rc != 0) {
            log_error("model=%s decode failed: %s", w->m->id, llm_context_error(w->ctx));
            fail_running(w, llm_context_error(w->ctx));
            continue;
        }
        for (int k = 0; k < n_out; k++) {
            struct ai_slot *s = &w->slots[w->out_slot[k]];
            int32_t tok = llm_sampler_sample(s->job->sampler, llm_get_logits(w->ctx, k));
            slot_token(w, s, tok);
        }
    }
    /* stopping: everything still here is answered */
    for (int i = 0; i < w->n_slots; i++) {
        if (w->slots[i].job) {
            ai_job_finish(w->slots[i].job, NULL, 503, "The server is shutting down");
            slot_release(w, &w->slots[i]);
        }
    }
    pthread_mutex_lock(&w->lock);
    while (w->q_len > 0) {
        struct ai_job *j = w->queue[w->q_head];
        w->q_head = (w->q_head + 1) % w->q_cap;
        w->q_len--;
        ai_job_finish(j, NULL, 503, "The server is shutting down");
        ai_job_unref(j);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int ai_worker_new(struct ai_model *m, const struct config *cfg, struct ai_worker **out, char *err,
                  size_t err_len)
{
    struct ai_worker *w = xcalloc(1, sizeof *w);
    w->m = m;
    w->n_slots = m->opt_slots > 0 ? m->opt_slots : (int)cfg->llm_slots;
    struct llm_context_params p;
    llm_context_params_default(&p);
    p.n_ctx = m->n_ctx;
    p.n_seq = w->n_slots;
    p.n_outputs = w->n_slots;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    p.n_threads = m->opt_threads > 0 ? m->opt_threads
                  : cfg->llm_threads ? (int)cfg->llm_threads
                                     : (int)(cores > 0 ? cores : 2);
    int rc = llm_context_new(m->model, &p, &w->ctx, err, err_len);
    if (rc != 0) {
        free(w);
        return rc;
    }
    w->vocab = llm_model_vocab(m->model);
    w->slots = xcalloc((size_t)w->n_slots, sizeof *w->slots);
    for (int i = 0; i < w->n_slots; i++)
        buf_init(&w->slots[i].pending, AI_PENDING_MAX);
    w->cap_items = AI_PREFILL_CHUNK + w->n_slots;
    w->items = xcalloc((size_t)w->cap_items, sizeof *w->items);
    w->out_slot = xcalloc((size_t)w->n_slots, sizeof *w->out_slot);
    w->q_cap = (int)cfg->llm_queue;
    w->queue = xcalloc((size_t)w->q_cap, sizeof *w->queue);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        snprintf(err, err_len, "cannot start the worker thread");
        ai_worker_free(w);
        return ERR_INTERNAL;
    }
    w->thread_running = true;
    *out = w;
    return 0;
}

int ai_worker_submit(struct ai_worker *w, struct ai_job *j)
{
    pthread_mutex_lock(&w->lock);
    int rc = 0;
    if (w->stop) {
        rc = ERR_INVALID;
    } else if (w->q_len == w->q_cap) {
        rc = ERR_TOO_LARGE;
        w->m_rejected++;
    } else {
        j->t_submit_ns = clock_mono_ns();
        w->queue[(w->q_head + w->q_len) % w->q_cap] = ai_job_ref(j);
        w->q_len++;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void ai_worker_stop(struct ai_worker *w)
{
    if (!w || !w->thread_running)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->thread_running = false;
}

void ai_worker_free(struct ai_worker *w)
{
    if (!w)
        return;
    ai_worker_stop(w);
    for (int i = 0; i < w->n_slots; i++)
        buf_fini(&w->slots[i].pending);
    free(w->slots);
    free(w->items);
    free(w->out_slot);
    free(w->queue);
    llm_context_free(w->ctx);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}

void ai_worker_metrics(struct ai_worker *w, const char *id, struct buf *out)
{
    int queued;
    pthread_mutex_lock(&w->lock);
    queued = w->q_len;
    pthread_mutex_unlock(&w->lock);
    buf_printf(out, "relais_ai_requests_total{model=\"%s\"} %lld\n", id, (long long)w->m_requests);
    buf_printf(out, "relais_ai_rejected_total{model=\"%s\"} %lld\n", id, (long long)w->m_rejected);
    buf_printf(out, "relais_ai_prompt_tokens_total{model=\"%s\"} %lld\n", id,
               (long long)w->m_prompt_tokens);
    buf_printf(out, "relais_ai_completion_tokens_total{model=\"%s\"} %lld\n", id,
               (long long)w->m_completion_tokens);
    buf_printf(out, "relais_ai_queue_seconds_total{model=\"%s\"} %.6f\n", id,
               (double)w->m_queue_ns / 1e9);
    buf_printf(out, "relais_ai_decode_seconds_total{model=\"%s\"} %.6f\n", id,
               (double)w->m_decode_ns / 1e9);
    buf_printf(out, "relais_ai_active_slots{model=\"%s\"} %d\n", id, (int)w->m_active);
    buf_printf(out, "relais_ai_queued_requests{model=\"%s\"} %d\n", id, queued);
}
