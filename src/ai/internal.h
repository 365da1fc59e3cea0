/* internal.h: what the files of src/ai/ share: models, jobs (one request's input and output,
 * shared by the HTTP side and a worker), and workers (the per-model scheduler).
 *
 * A job is reference counted: the HTTP request holds one reference (req->handler_state,
 * dropped when the request ends, which also cancels the job), a stream reader another, the
 * worker one while the job is queued or in a slot. Its output fields are guarded by its lock. */
#ifndef RELAIS_AI_INTERNAL_H
#define RELAIS_AI_INTERNAL_H

#include "ai/ai.h"
#include "base/buf.h"
#include "http/http.h"
#include "llm/llm.h"
#include "llm/sampler.h"
#include "llm/template.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct ai_worker;

enum ai_model_state { AI_MODEL_LOADING, AI_MODEL_READY, AI_MODEL_FAILED };

struct ai_model {
    char *id;                     /* owned: the name clients use */
    char *path;                   /* owned: GGUF file, NULL for upstream models */
    char *upstream_url;           /* owned: OpenAI-compatible base URL (.../v1), or NULL */
    char *upstream_key;           /* owned: bearer key for the upstream, or NULL */
    char *upstream_model;         /* owned: the model's name upstream (default: id) */
    _Atomic int state;            /* enum ai_model_state; READY publishes the fields below */
    struct llm_model *model;      /* owned reference (local models) */
    struct ai_worker *worker;     /* owned (local models) */
    int n_ctx;                    /* positions per request */
    int n_embd;                   /* embedding dimension */
    int n_vocab;                  /* logits per token */
    enum llm_template_kind tmpl;  /* chat template family */
    int64_t created;              /* seconds since epoch (file mtime) */
    /* per-model settings from [llm] models "id=path|key=value|..." (0 / negative: [llm]'s) */
    int opt_ctx;                  /* ctx= */
    int opt_slots;                /* slots= */
    int opt_threads;              /* threads= */
    int opt_max_tokens;           /* max_tokens= (default completion length) */
    double opt_temperature;       /* temperature= (default; < 0: OpenAI's 1) */
    double opt_top_p;             /* top_p= (default; < 0: 1) */
    char error[256];              /* why loading failed */
};

struct ai {
    const struct config *cfg;     /* borrowed */
    struct ai_model *models;      /* owned array */
    size_t n_models;              /* entries in models */
    pthread_t loader;             /* loads local models one by one */
    bool loader_running;          /* loader must be joined */
    _Atomic bool stopping;        /* ai_stop called */
    _Atomic int upstream_running; /* forwarding threads alive */
};

enum ai_job_kind { AI_JOB_GENERATE, AI_JOB_EMBED };

struct ai_job {
    pthread_mutex_t lock;         /* guards the output fields and req/waiting */
    _Atomic int refs;             /* see the top of this file */
    _Atomic bool cancelled;       /* the client went away: free the slot at once */
    enum ai_job_kind kind;        /* generation or embeddings */
    struct ai_model *model;       /* borrowed (models live as long as struct ai) */
    /* input (set before submit, read-only after) */
    int32_t *prompt;              /* owned tokens */
    int n_prompt;                 /* prompt tokens (embeddings: all inputs' tokens) */
    struct llm_sampler *sampler;  /* owned */
    int max_tokens;               /* >= 1 */
    char **stop;                  /* owned stop strings (non-empty), n_stop of them */
    size_t n_stop;                /* entries in stop */
    int32_t **inputs;             /* embeddings: owned token arrays */
    int *n_inputs;                /* their lengths */
    size_t n_in;                  /* number of inputs */
    bool stream;                  /* the HTTP side streams (wake instead of resume) */
    bool base64;                  /* embeddings: answer base64 (little-endian float32) */
    bool upstream;                /* forwarded (upstream.c): text holds the upstream's bytes */
    char *up_request;             /* upstream: owned JSON body to send */
    const char *up_path;          /* upstream: "/chat/completions" ... (static) */
    /* output (lock) */
    struct buf text;              /* all generated text so far */
    float *vectors;               /* embeddings: n_in * n_embd floats (owned) */
    bool done;                    /* finished (text complete, or error set) */
    int error_status;             /* non-zero: failed with this HTTP status */
    char error[200];              /* message for error_status */
    const char *finish_reason;    /* "stop" or "length" (static) */
    int n_generated;              /* completion tokens */
    int n_cached;                 /* prompt tokens found in the slot's KV cache */
    struct http_request *req;     /* to resume/wake; NULL once the request ended */
    bool http_suspended;          /* the request sleeps until http_request_resume */
    int up_status;                /* upstream: HTTP status of its answer */
    bool waiting;                 /* the stream reader sleeps until woken */
    int64_t t_submit_ns;          /* monotonic times: queued, first token, done */
    int64_t t_start_ns;           /* given a slot (upstream: transfer started) */
    int64_t t_first_ns;           /* first text */
    int64_t t_done_ns;            /* finished */
};

/* job.c */
struct ai_job *ai_job_new(enum ai_job_kind kind, struct ai_model *m);
struct ai_job *ai_job_ref(struct ai_job *j);
void ai_job_unref(struct ai_job *j);
/* req->handler_state_free for a request holding a job: cancels it and drops the reference. */
void ai_job_detach(void *job);
/* With j->lock held: tells j's request (if it still has one) that there is output. A request
 * that sleeps until http_request_resume is resumed when may_resume is true; otherwise a
 * sleeping stream reader is woken. */
void ai_job_wake_locked(struct ai_job *j, bool may_resume);
/* Worker side: appends text (waking a sleeping stream reader). */
void ai_job_emit(struct ai_job *j, const char *text, size_t len);
/* Worker side: marks the job done (finish_reason, or error_status with a message) and wakes
 * its request. */
void ai_job_finish(struct ai_job *j, const char *finish_reason, int error_status,
                   const char *error);

/* worker.c: one thread per local model, owning its llm_context. */
int ai_worker_new(struct ai_model *m, const struct config *cfg, struct ai_worker **out, char *err,
                  size_t err_len);
/* Queues a job (takes a reference). ERR_TOO_LARGE when the queue is full, ERR_INVALID when the
 * worker is stopping. */
int ai_worker_submit(struct ai_worker *w, struct ai_job *j);
/* Ends queued and running jobs (503) and joins the thread. */
void ai_worker_stop(struct ai_worker *w);
void ai_worker_free(struct ai_worker *w);
/* Prometheus text for this model's counters, appended to out. */
void ai_worker_metrics(struct ai_worker *w, const char *model_id, struct buf *out);

/* upstream.c: forwarding to an OpenAI-compatible server with libcurl on a thread per request. */
/* Forwards body (the client's request, model renamed) to m's upstream at path; suspends the
 * request until the upstream's answer starts (streams) or ends. Fills rep on refusal. */
void ai_upstream_submit(struct ai *ai, struct http_request *req, struct http_reply *rep,
                        struct ai_model *m, json_t *body, const char *path);
/* The handler's second run for a forwarded request. */
void ai_upstream_reply(struct http_request *req, struct http_reply *rep);
/* Aborts forwarded requests and waits (bounded) for their threads. */
void ai_upstream_stop(struct ai *ai);

/* models.c */
/* The model with this id, or NULL. */
struct ai_model *ai_model_find(struct ai *ai, const char *id);

/* api.c: the route handlers (routes.c lists them). */
void ai_api_models(struct http_request *req, struct http_reply *rep);
void ai_api_model_get(struct http_request *req, struct http_reply *rep);
void ai_api_chat(struct http_request *req, struct http_reply *rep);
void ai_api_completions(struct http_request *req, struct http_reply *rep);
void ai_api_embeddings(struct http_request *req, struct http_reply *rep);
void ai_api_metrics(struct http_request *req, struct http_reply *rep);

#endif
