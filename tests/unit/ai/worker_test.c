/* worker_test.c: the AI scheduler (src/ai/worker.c) without HTTP: several jobs decoded together
 * in one context (continuous batching) give, each, exactly the text and stop reason that the
 * engine's own single-sequence loop (llm_generate, greedy) gives for the same prompt, stop
 * strings included, also when a slot already holds the prompt's beginning (prompt cache) and
 * when a long prompt is prefilled in chunks beside generating slots; an
 * embedding job gives llm_embed's vector; a cancelled job leaves its slot. */
#include "harness.h"

#include "ai/internal.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "llm/generate.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

enum { N_CTX = 1024, MAX_TOKENS = 24 };

struct ref {
    struct buf text; /* what llm_generate's callback was given */
};

static int ref_cb(void *user, int32_t token, const char *text, size_t len)
{
    (void)token;
    struct ref *r = user;
    if (text)
        ASSERT_INT_EQ(buf_append(&r->text, text, len), 0);
    return 0;
}

static struct llm_model *load_model(void)
{
    const char *path = harness_path("../shared/models/stories260K/stories260K.gguf");
    if (access(path, R_OK) != 0)
        harness_skip("stories260K not available");
    struct llm_model *m = NULL;
    char err[256];
    ASSERT_INT_EQ(llm_model_load(path, &m, err, sizeof err), 0);
    return m;
}

/* A context of its own (N_CTX tokens, one thread) for the reference runs; llm_context_free it. */
static struct llm_context *own_context(struct llm_model *model)
{
    struct llm_context_params p;
    llm_context_params_default(&p);
    p.n_ctx = N_CTX;
    p.n_threads = 1;
    struct llm_context *c = NULL;
    char err[256];
    ASSERT_INT_EQ(llm_context_new(model, &p, &c, err, sizeof err), 0);
    return c;
}

/* The engine's greedy text for prompt, alone in its own context. */
static void reference(struct llm_model *model, const char *prompt, const char *stop,
                      struct buf *out, enum llm_stop_reason *reason)
{
    struct llm_context *c = own_context(model);
    int32_t *toks = NULL;
    size_t n = 0;
    ASSERT_INT_EQ(llm_model_tokenize(model, prompt, strlen(prompt), true, false, &toks, &n), 0);
    const char *stops[1] = {stop};
    struct llm_generate_params gp = {.max_tokens = MAX_TOKENS, .stop = stop ? stops : NULL,
                                     .n_stop = stop ? 1 : 0};
    struct ref r;
    buf_init(&r.text, 1 << 20);
    struct llm_generate_result res;
    ASSERT_INT_EQ(llm_generate(c, toks, (int)n, &gp, ref_cb, &r, &res), 0);
    buf_append(out, r.text.data ? r.text.data : "", r.text.len);
    *reason = res.reason;
    buf_fini(&r.text);
    free(toks);
    llm_context_free(c);
}

static struct ai_job *make_job(struct ai_model *m, const char *prompt, const char *stop)
{
    struct ai_job *j = ai_job_new(AI_JOB_GENERATE, m);
    size_t n = 0;
    ASSERT_INT_EQ(llm_model_tokenize(m->model, prompt, strlen(prompt), true, false, &j->prompt, &n),
                  0);
    j->n_prompt = (int)n;
    struct llm_sampler_params sp;
    llm_sampler_params_default(&sp);
    sp.temperature = 0;
    ASSERT_INT_EQ(llm_sampler_new(&sp, m->n_vocab, &j->sampler), 0);
    j->max_tokens = MAX_TOKENS;
    if (stop) {
        j->stop = xcalloc(1, sizeof *j->stop);
        j->stop[0] = xstrdup(stop);
        j->n_stop = 1;
    }
    return j;
}

static void wait_done(struct ai_job *j)
{
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&j->lock);
        bool done = j->done;
        pthread_mutex_unlock(&j->lock);
        if (done)
            return;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    harness_fail(__FILE__, __LINE__, "job not done within 20 s");
}

/* Describes model in m (config in cfg, slots sequences at once) and starts m's worker. */
static void start_worker(struct ai_model *m, struct config *cfg, struct llm_model *model,
                         int slots)
{
    log_set_level(LOG_LEVEL_WARN);
    config_init_defaults(cfg);
    cfg->llm_slots = slots;
    cfg->llm_threads = 1;
    memset(m, 0, sizeof *m);
    struct llm_model_info info;
    llm_model_get_info(model, &info);
    m->id = "stories";
    m->model = model;
    m->n_ctx = N_CTX;
    m->n_vocab = info.n_vocab;
    m->n_embd = info.n_embd;
    char err[256];
    ASSERT_INT_EQ(ai_worker_new(m, cfg, &m->worker, err, sizeof err), 0);
}

/* Stops what start_worker started and drops the model. */
static void stop_worker(struct ai_model *m, struct config *cfg)
{
    ai_worker_free(m->worker);
    config_fini(cfg);
    llm_model_unref(m->model);
}

TEST_CASE(ai, batched_jobs_match_single_sequence_greedy)
{
    static const struct {
        const char *prompt; /* text completion prompt */
        const char *stop;   /* stop string or NULL */
    } cases[] = {
        {"Once upon a time", NULL},
        {"The little dog", NULL},
        {"Lily wanted to", "box"},
        {"One day, a boy named Tom", NULL},
        {"She was", " "}, /* the text starts with a space: nothing is emitted */
    };
    enum { N = sizeof cases / sizeof cases[0] };
    struct llm_model *model = load_model();
    struct ai_model m;
    struct config cfg;
    start_worker(&m, &cfg, model, 3); /* fewer slots than jobs: some wait in the queue */
    /* round 0 from empty slots; round 1 again, one at a time, after the slots were used: the
     * prompt cache (a slot holding the prompt's prefix) must not change any text */
    int cached = 0;
    for (int round = 0; round < 2; round++) {
        struct ai_job *jobs[N];
        for (int i = 0; i < N; i++) {
            jobs[i] = make_job(&m, cases[i].prompt, cases[i].stop);
            ASSERT_INT_EQ(ai_worker_submit(m.worker, jobs[i]), 0);
            if (round == 1)
                wait_done(jobs[i]);
        }
        for (int i = 0; i < N; i++) {
            wait_done(jobs[i]);
            struct buf want;
            buf_init(&want, 1 << 20);
            enum llm_stop_reason reason;
            reference(model, cases[i].prompt, cases[i].stop, &want, &reason);
            ASSERT_INT_EQ(jobs[i]->error_status, 0);
            ASSERT_STR_EQ(jobs[i]->text.data ? jobs[i]->text.data : "", want.data ? want.data : "");
            ASSERT_STR_EQ(jobs[i]->finish_reason,
                          reason == LLM_STOP_MAX_TOKENS ? "length" : "stop");
            if (cases[i].stop)
                ASSERT_STR_EQ(jobs[i]->finish_reason, "stop");
            if (round == 0)
                ASSERT_INT_EQ(jobs[i]->n_cached, i < 3 ? 0 : jobs[i]->n_cached);
            else
                cached += jobs[i]->n_cached > 0;
            buf_fini(&want);
            ai_job_unref(jobs[i]);
        }
    }
    ASSERT_TRUE(cached >= 3); /* the three slots still hold three of the five prompts */
    stop_worker(&m, &cfg);
}

TEST_CASE(ai, long_prompt_prefilled_in_chunks)
{
    /* a prompt of several hundred tokens is decoded over several steps (256 prompt tokens per
     * step) while two short requests generate beside it: all three still give the engine's text */
    struct buf longp;
    buf_init(&longp, 1 << 20);
    for (int i = 0; i < 60; i++)
        buf_append_str(&longp, "Once upon a time there was a dog. ");
    const char *prompts[3] = {"The little cat", longp.data, "Tom and Sue"};
    struct llm_model *model = load_model();
    struct ai_model m;
    struct config cfg;
    start_worker(&m, &cfg, model, 3);
    struct ai_job *jobs[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = make_job(&m, prompts[i], NULL);
        ASSERT_INT_EQ(ai_worker_submit(m.worker, jobs[i]), 0);
    }
    ASSERT_TRUE(jobs[1]->n_prompt > 2 * 256);
    for (int i = 0; i < 3; i++) {
        wait_done(jobs[i]);
        struct buf want;
        buf_init(&want, 1 << 20);
        enum llm_stop_reason reason;
        reference(model, prompts[i], NULL, &want, &reason);
        ASSERT_STR_EQ(jobs[i]->text.data ? jobs[i]->text.data : "", want.data ? want.data : "");
        buf_fini(&want);
        ai_job_unref(jobs[i]);
    }
    stop_worker(&m, &cfg);
    buf_fini(&longp);
}

TEST_CASE(ai, embedding_job_and_cancelled_job)
{
    struct llm_model *model = load_model();
    struct ai_model m;
    struct config cfg;
    start_worker(&m, &cfg, model, 1);
    /* a cancelled job ahead of the others must not hold the only slot */
    struct ai_job *gone = make_job(&m, "Once upon a time", NULL);
    gone->max_tokens = 200;
    atomic_store(&gone->cancelled, true);
    ASSERT_INT_EQ(ai_worker_submit(m.worker, gone), 0);
    struct ai_job *e = ai_job_new(AI_JOB_EMBED, &m);
    e->n_in = 1;
    e->inputs = xcalloc(1, sizeof *e->inputs);
    e->n_inputs = xcalloc(1, sizeof *e->n_inputs);
    size_t n = 0;
    ASSERT_INT_EQ(llm_model_tokenize(model, "a red ball", 10, true, false, &e->inputs[0], &n), 0);
    e->n_inputs[0] = (int)n;
    e->vectors = xcalloc((size_t)m.n_embd, sizeof *e->vectors);
    ASSERT_INT_EQ(ai_worker_submit(m.worker, e), 0);
    wait_done(e);
    ASSERT_INT_EQ(e->error_status, 0);
    /* the same through llm_embed in a context of its own */
    struct llm_context *c = own_context(model);
    float want[64];
    ASSERT_TRUE(m.n_embd <= 64);
    ASSERT_INT_EQ(llm_embed(c, 0, e->inputs[0], e->n_inputs[0], want), 0);
    for (int k = 0; k < m.n_embd; k++)
        ASSERT_NEAR(e->vectors[k], want[k], 1e-6);
    llm_context_free(c);
    pthread_mutex_lock(&gone->lock);
    ASSERT_TRUE(!gone->done); /* cancelled jobs are dropped, not answered */
    pthread_mutex_unlock(&gone->lock);
    ai_job_unref(gone);
    ai_job_unref(e);
    stop_worker(&m, &cfg);
}
