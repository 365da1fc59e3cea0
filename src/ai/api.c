/* api.c: the /v1 handlers in OpenAI's shapes: authentication (API keys or Matrix access
 * tokens), request validation (400 naming the parameter), models, chat and text completions
 * (answered after the worker resumes the request, or streamed as server-sent events through a
 * reader that sleeps while no text is ready), embeddings, and /metrics. */
#define LOG_MODULE "ai"
#include "ai/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/auth.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "db/db.h"
#include "json/parse.h"
#include "server/server.h"

#include <math.h>
#include <string.h>

enum { AI_MAX_STOP = 4, AI_MAX_EMBED_INPUTS = 2048, AI_STREAM_OUT_MAX = 16 << 20 };

static struct ai *ai_of(struct http_request *req)
{
    struct server *srv = http_server_app(req->server);
    return srv->ai;
}

static void bad_param(struct http_reply *rep, const char *param, const char *msg)
{
    http_reply_error(rep, 400, "invalid_request_error", "%s", msg);
    rep->error_param = param;
}

/* API key (sk-relais-...) or a local user's Matrix access token. Returns true when allowed. */
static bool authenticate(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = http_server_app(req->server);
    const char *h = http_header(req, "Authorization");
    const char *token = h && strncmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
    if (!token || !token[0]) {
        http_reply_error(rep, 401, "invalid_api_key",
                         "You didn't provide an API key (Authorization: Bearer KEY)");
        return false;
    }
    if (strncmp(token, "sk-relais-", 10) == 0) {
        unsigned char hash[CRYPTO_SHA256_BYTES];
        crypto_sha256(token, strlen(token), hash);
        char *name = NULL;
        int rc = db_apikey_lookup(srv->db, hash, &name);
        if (rc == 0) {
            req->user_id = arena_printf(&req->arena, "apikey:%s", name);
            free(name);
            return true;
        }
        if (rc != ERR_NOT_FOUND) {
            http_reply_error(rep, 500, "internal_error", "Internal error");
            return false;
        }
    } else if (client_auth_http(srv, req, rep, true) == 0) {
        return true;
    }
    if (rep->error_extra) {
        json_decref(rep->error_extra);
        rep->error_extra = NULL;
    }
    http_reply_error(rep, 401, "invalid_api_key", "Incorrect API key provided");
    return false;
}

/* Parses the body as a JSON object. */
static json_t *parse_body(struct http_request *req, struct http_reply *rep)
{
    json_t *body = NULL;
    char err[200];
    if (req->body_too_large) {
        http_reply_error(rep, 413, "request_too_large", "The request body is too large");
        return NULL;
    }
    if (json_parse_bounded(req->body.data ? req->body.data : "", req->body.len, 64, &body, err,
                           sizeof err) != 0) {
        http_reply_error(rep, 400, "invalid_json", "We could not parse the JSON body of your "
                                                   "request: %s", err);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        http_reply_error(rep, 400, "invalid_json", "The request body must be a JSON object");
        return NULL;
    }
    return body;
}

/* Finds a servable model; otherwise answers 404 / 503. */
static struct ai_model *request_model(struct http_request *req, struct http_reply *rep,
                                      json_t *body)
{
    json_t *jm = json_object_get(body, "model");
    if (!json_is_string(jm)) {
        bad_param(rep, "model", "you must provide a model parameter");
        return NULL;
    }
    struct ai_model *m = ai_model_find(ai_of(req), json_string_value(jm));
    if (!m) {
        http_reply_error(rep, 404, "model_not_found", "The model `%s` does not exist",
                         json_string_value(jm));
        rep->error_param = "model";
        return NULL;
    }
    int state = m->state;
    if (state == AI_MODEL_LOADING) {
        http_reply_error(rep, 503, "model_loading", "The model `%s` is still loading", m->id);
        return NULL;
    }
    if (state == AI_MODEL_FAILED) {
        http_reply_error(rep, 503, "model_unavailable", "The model `%s` failed to load: %s", m->id,
                         m->error);
        return NULL;
    }
    return m;
}

/* The start of a generation or embeddings request: authenticates it, parses its body and finds
 * its model (*m, borrowed). Returns the body (owned: json_decref it), or NULL once it has
 * answered the error. */
static json_t *request_begin(struct http_request *req, struct http_reply *rep,
                             struct ai_model **m)
{
    if (!authenticate(req, rep))
        return NULL;
    json_t *body = parse_body(req, rep);
    if (!body)
        return NULL;
    *m = request_model(req, rep, body);
    if (!*m) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* Answers a job that ai_worker_submit refused with rc: 429 when the model's queue is full,
 * 503 when its worker is stopping. */
static void reply_not_queued(struct http_reply *rep, int rc, const struct ai_model *m)
{
    if (rc == ERR_TOO_LARGE) {
        http_reply_error(rep, 429, "rate_limit_exceeded",
                         "The model `%s` has too many requests queued; retry later", m->id);
        rep->retry_after_ms = 1000;
    } else {
        http_reply_error(rep, 503, "unavailable", "The server is shutting down");
    }
}

/* ---- models ---- */

static json_t *model_json(const struct ai_model *m)
{
    return json_pack("{s:s, s:s, s:I, s:s}", "id", m->id, "object", "model", "created",
                     (json_int_t)m->created, "owned_by", "relais");
}

void ai_api_models(struct http_request *req, struct http_reply *rep)
{
    if (!authenticate(req, rep))
        return;
    struct ai *ai = ai_of(req);
    json_t *data = json_array();
    for (size_t i = 0; i < ai->n_models; i++)
        json_array_append_new(data, model_json(&ai->models[i]));
    http_reply_json(rep, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

void ai_api_model_get(struct http_request *req, struct http_reply *rep)
{
    if (!authenticate(req, rep))
        return;
    struct ai_model *m = ai_model_find(ai_of(req), req->params[0]);
    if (!m) {
        http_reply_error(rep, 404, "model_not_found", "The model `%s` does not exist",
                         req->params[0]);
        rep->error_param = "model";
        return;
    }
    http_reply_json(rep, 200, model_json(m));
}

/* ---- sampling parameters ---- */

static bool get_number(json_t *body, const char *name, double lo, double hi, double *out,
                       struct http_reply *rep)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi ||
        !isfinite(json_number_value(v))) {
        http_reply_error(rep, 400, "invalid_request_error", "%s must be a number from %g to %g",
                         name, lo, hi);
        rep->error_param = name;
        return false;
    }
    *out = json_number_value(v);
    return true;
}

static bool get_int(json_t *body, const char *name, json_int_t lo, json_int_t hi, json_int_t *out,
                    struct http_reply *rep)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        http_reply_error(rep, 400, "invalid_request_error",
                         "%s must be an integer from %lld to %lld", name, (long long)lo,
                         (long long)hi);
        rep->error_param = name;
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* Reads the sampling parameters shared by chat and text completions into the job. */
static bool parse_sampling(json_t *body, struct ai_job *j, const struct config *cfg,
                           struct http_reply *rep)
{
    const struct ai_model *m = j->model;
    double temperature = m->opt_temperature >= 0 ? m->opt_temperature : 1.0;
    double top_p = m->opt_top_p >= 0 ? m->opt_top_p : 1.0;
    double presence = 0, frequency = 0;
    json_int_t max_tokens = m->opt_max_tokens > 0 ? m->opt_max_tokens : cfg->llm_max_tokens;
    json_int_t n = 1, seed = -1;
    json_int_t seed_max = INT64_MAX;
    if (!get_number(body, "temperature", 0, 2, &temperature, rep) ||
        !get_number(body, "top_p", 0, 1, &top_p, rep) ||
        !get_number(body, "presence_penalty", -2, 2, &presence, rep) ||
        !get_number(body, "frequency_penalty", -2, 2, &frequency, rep) ||
        !get_int(body, "max_tokens", 1, 1 << 24, &max_tokens, rep) ||
        !get_int(body, "max_completion_tokens", 1, 1 << 24, &max_tokens, rep) ||
        !get_int(body, "n", 1, 128, &n, rep) ||
        !get_int(body, "seed", INT64_MIN, seed_max, &seed, rep))
        return false;
    if (n != 1) {
        bad_param(rep, "n", "only n=1 is supported");
        return false;
    }
    json_t *stop = json_object_get(body, "stop");
    if (stop && !json_is_null(stop)) {
        size_t count = json_is_string(stop) ? 1 : json_is_array(stop) ? json_array_size(stop) : 0;
        bool ok = (json_is_string(stop) || json_is_array(stop)) && count <= AI_MAX_STOP;
        for (size_t i = 0; ok && json_is_array(stop) && i < count; i++)
            ok = json_is_string(json_array_get(stop, i));
        if (!ok) {
            bad_param(rep, "stop", "stop must be a string or an array of up to 4 strings");
            return false;
        }
        j->stop = xcalloc(count ? count : 1, sizeof *j->stop);
        for (size_t i = 0; i < count; i++) {
            json_t *item = json_is_string(stop) ? stop : json_array_get(stop, i);
            const char *s = json_string_value(item);
            if (s[0])
                j->stop[j->n_stop++] = xstrdup(s);
        }
    }
    struct llm_sampler_params sp;
    llm_sampler_params_default(&sp);
    sp.temperature = (float)temperature;
    sp.top_p = (float)top_p;
    sp.top_k = 0;
    sp.min_p = 0;
    sp.presence_penalty = (float)presence;
    sp.frequency_penalty = (float)frequency;
    sp.penalty_last_n = presence != 0 || frequency != 0 ? 64 : 0;
    if (seed >= 0) {
        sp.seed = (uint64_t)seed;
    } else {
        crypto_random_bytes(&sp.seed, sizeof sp.seed);
    }
    if (llm_sampler_new(&sp, j->model->n_vocab, &j->sampler) != 0) {
        http_reply_error(rep, 400, "invalid_request_error", "Bad sampling parameters");
        return false;
    }
    j->max_tokens = (int)max_tokens;
    return true;
}

/* ---- completions ---- */

struct ai_stream {
    struct ai_job *job;          /* a reference */
    struct http_request *req;    /* the request being answered (lives while we are called) */
    bool chat;                   /* chat.completion.chunk rather than text_completion */
    bool include_usage;          /* stream_options.include_usage */
    int stage;                   /* 0 before the first chunk, 1 streaming, 2 all queued */
    char id[48];                 /* chatcmpl-... / cmpl-... */
    int64_t created;             /* seconds */
    size_t text_off;             /* job text already sent */
    struct buf out;              /* SSE bytes not yet handed to libmicrohttpd */
    size_t out_off;              /* bytes of out already handed out */
};

static void make_id(char *out, size_t len, bool chat)
{
    char rnd[25];
    crypto_random_token(rnd, sizeof rnd);
    snprintf(out, len, "%s%s", chat ? "chatcmpl-" : "cmpl-", rnd);
}

static json_t *usage_json(const struct ai_job *j)
{
    return json_pack("{s:i, s:i, s:i, s:{s:i}}", "prompt_tokens", j->n_prompt,
                     "completion_tokens", j->n_generated, "total_tokens",
                     j->n_prompt + j->n_generated, "prompt_tokens_details", "cached_tokens",
                     j->n_cached);
}

/* One chunk: text (NULL: none), finish (NULL: null), role (first chat chunk). */
static void sse_chunk(struct ai_stream *s, const char *text, size_t len, const char *finish,
                      bool role)
{
    json_t *choice;
    json_t *fin = finish ? json_string(finish) : json_null();
    if (s->chat) {
        json_t *delta = json_object();
        if (role)
            json_object_set_new(delta, "role", json_string("assistant"));
        if (text)
            json_object_set_new(delta, "content", json_stringn(text, len));
        choice = json_pack("{s:i, s:o, s:n, s:o}", "index", 0, "delta", delta, "logprobs",
                           "finish_reason", fin);
    } else {
        choice = json_pack("{s:i, s:s%, s:n, s:o}", "index", 0, "text", text ? text : "",
                           text ? len : 0, "logprobs", "finish_reason", fin);
    }
    json_t *chunk = json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", s->id, "object",
                              s->chat ? "chat.completion.chunk" : "text_completion", "created",
                              (json_int_t)s->created, "model", s->job->model->id, "choices",
                              choice);
    if (s->include_usage)
        json_object_set_new(chunk, "usage", json_null());
    char *t = json_dumps(chunk, JSON_COMPACT);
    buf_printf(&s->out, "data: %s\n\n", t ? t : "{}");
    free(t);
    json_decref(chunk);
}

static void sse_end(struct ai_stream *s)
{
    struct ai_job *j = s->job;
    if (j->error_status) {
        json_t *e = json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message", j->error, "type",
                              "server_error", "param", "code");
        char *t = json_dumps(e, JSON_COMPACT);
        buf_printf(&s->out, "data: %s\n\n", t ? t : "{}");
        free(t);
        json_decref(e);
    } else {
        sse_chunk(s, s->chat ? NULL : "", 0, j->finish_reason, false);
        if (s->include_usage) {
            json_t *chunk = json_pack("{s:s, s:s, s:I, s:s, s:[], s:o}", "id", s->id, "object",
                                      s->chat ? "chat.completion.chunk" : "text_completion",
                                      "created", (json_int_t)s->created, "model", j->model->id,
                                      "choices", "usage", usage_json(j));
            char *t = json_dumps(chunk, JSON_COMPACT);
            buf_printf(&s->out, "data: %s\n\n", t ? t : "{}");
            free(t);
            json_decref(chunk);
        }
    }
    buf_append_str(&s->out, "data: [DONE]\n\n");
}

static long stream_read(void *state, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct ai_stream *s = state;
    if (s->out_off >= s->out.len) {
        buf_reset(&s->out);
        s->out_off = 0;
        if (s->stage == 2)
            return -1; /* MHD_CONTENT_READER_END_OF_STREAM */
        if (s->stage == 0) {
            s->stage = 1;
            if (s->chat)
                sse_chunk(s, "", 0, NULL, true);
        }
        struct ai_job *j = s->job;
        pthread_mutex_lock(&j->lock);
        size_t avail = j->text.len - s->text_off;
        if (avail > 0) {
            /* building the chunk under the job lock is fine: the worker only appends */
            sse_chunk(s, j->text.data + s->text_off, avail, NULL, false);
            s->text_off = j->text.len;
        } else if (j->done) {
            sse_end(s);
            s->stage = 2;
        } else if (s->out.len == 0) {
            j->waiting = true;
            pthread_mutex_unlock(&j->lock);
            http_stream_wait(s->req);
            return 0;
        }
        pthread_mutex_unlock(&j->lock);
    }
    size_t n = s->out.len - s->out_off;
    if (n > max)
        n = max;
    memcpy(out, s->out.data + s->out_off, n);
    s->out_off += n;
    return (long)n;
}

static void stream_free(void *state)
{
    struct ai_stream *s = state;
    ai_job_unref(s->job);
    buf_fini(&s->out);
    free(s);
}

/* The answer of a finished non-streamed completion. */
static void reply_done(struct http_request *req, struct http_reply *rep, bool chat)
{
    struct ai_job *j = req->handler_state;
    pthread_mutex_lock(&j->lock);
    bool done = j->done;
    pthread_mutex_unlock(&j->lock);
    if (!done) {
        http_reply_error(rep, 500, "internal_error", "Resumed before the answer was ready");
        return;
    }
    if (j->error_status) {
        http_reply_error(rep, j->error_status,
                         j->error_status == 503 ? "unavailable" : "server_error", "%s", j->error);
        return;
    }
    char id[48];
    make_id(id, sizeof id, chat);
    json_t *choice;
    const char *text = j->text.data ? j->text.data : "";
    if (chat)
        choice = json_pack("{s:i, s:{s:s, s:s%, s:n}, s:n, s:s}", "index", 0, "message", "role",
                           "assistant", "content", text, j->text.len, "refusal", "logprobs",
                           "finish_reason", j->finish_reason);
    else
        choice = json_pack("{s:i, s:s%, s:n, s:s}", "index", 0, "text", text, j->text.len,
                           "logprobs", "finish_reason", j->finish_reason);
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:[o], s:o, s:n}", "id", id, "object",
                             chat ? "chat.completion" : "text_completion", "created",
                             (json_int_t)(clock_now_ms() / 1000), "model", j->model->id, "choices",
                             choice, "usage", usage_json(j), "system_fingerprint");
    http_reply_json(rep, 200, body);
}

/* Queues the job and either suspends (non-streamed) or starts the event stream. The request
 * keeps one reference (cancelled when it ends). */
static void submit(struct http_request *req, struct http_reply *rep, struct ai_job *j, bool chat,
                   json_t *body)
{
    bool stream = json_is_true(json_object_get(body, "stream"));
    json_t *so = json_object_get(body, "stream_options");
    j->stream = stream;
    j->req = req;
    j->http_suspended = !stream;
    req->handler_state = j;
    req->handler_state_free = ai_job_detach;
    struct ai_stream *s = NULL;
    if (stream) {
        s = xcalloc(1, sizeof *s);
        s->job = ai_job_ref(j);
        s->req = req;
        s->chat = chat;
        s->include_usage = json_is_true(json_object_get(so, "include_usage"));
        make_id(s->id, sizeof s->id, chat);
        s->created = clock_now_ms() / 1000;
        buf_init(&s->out, AI_STREAM_OUT_MAX);
    }
    int rc = ai_worker_submit(j->model->worker, j);
    if (rc != 0) {
        if (s)
            stream_free(s);
        reply_not_queued(rep, rc, j->model);
        return;
    }
    if (stream) {
        rep->stream_fn = stream_read;
        rep->stream_state = s;
        rep->stream_free = stream_free;
        rep->content_type = "text/event-stream";
        rep->extra_header_name = "Cache-Control";
        rep->extra_header_value = "no-cache";
    } else {
        http_request_suspend(req);
    }
}

/* Text of a message's content: a string or an array of {type:"text", text} parts. */
static const char *message_text(struct http_request *req, json_t *content)
{
    if (json_is_string(content))
        return json_string_value(content);
    if (!json_is_array(content))
        return NULL;
    struct buf b;
    buf_init(&b, 64 << 20);
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        json_t *type = json_object_get(part, "type");
        json_t *text = json_object_get(part, "text");
        if (!json_is_string(type) || strcmp(json_string_value(type), "text") != 0 ||
            !json_is_string(text)) {
            buf_fini(&b);
            return NULL;
        }
        buf_append_str(&b, json_string_value(text));
    }
    char *t = arena_strdup(&req->arena, b.data ? b.data : "");
    buf_fini(&b);
    return t;
}

static void completion(struct http_request *req, struct http_reply *rep, bool chat)
{
    if (req->resumed) {
        if (((struct ai_job *)req->handler_state)->upstream)
            ai_upstream_reply(req, rep);
        else
            reply_done(req, rep, chat);
        return;
    }
    struct ai_model *m;
    json_t *body = request_begin(req, rep, &m);
    if (!body)
        return;
    struct ai_job *j = NULL;
    struct buf prompt;
    buf_init(&prompt, 64 << 20);
    if (m->upstream_url) {
        ai_upstream_submit(ai_of(req), req, rep, m, body,
                           chat ? "/chat/completions" : "/completions");
        goto out;
    }
    j = ai_job_new(AI_JOB_GENERATE, m);
    const char *what = chat ? "messages" : "prompt";
    if (chat) {
        json_t *msgs = json_object_get(body, "messages");
        if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
            bad_param(rep, "messages", "messages must be a non-empty array");
            goto out;
        }
        size_t n = json_array_size(msgs);
        struct llm_chat_msg *cm = arena_alloc(&req->arena, n * sizeof *cm);
        for (size_t i = 0; i < n; i++) {
            json_t *msg = json_array_get(msgs, i);
            const char *role = json_string_value(json_object_get(msg, "role"));
            const char *text = message_text(req, json_object_get(msg, "content"));
            if (role && strcmp(role, "developer") == 0)
                role = "system";
            if (!role || (strcmp(role, "system") != 0 && strcmp(role, "user") != 0 &&
                          strcmp(role, "assistant") != 0)) {
                http_reply_error(rep, 400, "invalid_request_error",
                                 "messages[%zu].role must be system, user or assistant", i);
                rep->error_param = "messages";
                goto out;
            }
            if (!text) {
                http_reply_error(rep, 400, "invalid_request_error",
                                 "messages[%zu].content must be a string or an array of text parts",
                                 i);
                rep->error_param = "messages";
                goto out;
            }
            cm[i] = (struct llm_chat_msg){role, text};
        }
        if (llm_template_render(m->tmpl, cm, n, true, &prompt) != 0) {
            bad_param(rep, "messages", "the conversation cannot be rendered");
            goto out;
        }
    } else {
        json_t *p = json_object_get(body, "prompt");
        if (json_is_array(p) && json_array_size(p) == 1)
            p = json_array_get(p, 0);
        if (!json_is_string(p)) {
            bad_param(rep, "prompt", "prompt must be a string (or an array of one string)");
            goto out;
        }
        buf_append_str(&prompt, json_string_value(p));
    }
    if (!parse_sampling(body, j, ai_of(req)->cfg, rep))
        goto out;
    if (chat) {
        const char *eot = llm_template_end_of_turn(m->tmpl);
        if (eot && eot[0] && j->n_stop < AI_MAX_STOP + 1) {
            j->stop = xrealloc(j->stop, (j->n_stop + 1) * sizeof *j->stop);
            j->stop[j->n_stop++] = xstrdup(eot);
        }
    }
    size_t n_tok = 0;
    if (llm_model_tokenize(m->model, prompt.data ? prompt.data : "", prompt.len, true, chat,
                           &j->prompt, &n_tok) != 0) {
        bad_param(rep, what, "the text cannot be tokenized");
        goto out;
    }
    j->n_prompt = (int)n_tok;
    if (j->n_prompt < 1) {
        bad_param(rep, what, "the prompt is empty");
        goto out;
    }
    if (j->n_prompt >= m->n_ctx) {
        http_reply_error(rep, 400, "context_length_exceeded",
                         "This model's maximum context length is %d tokens. However, your %s "
                         "resulted in %d tokens.",
                         m->n_ctx, what, j->n_prompt);
        rep->error_param = what;
        goto out;
    }
    submit(req, rep, j, chat, body);
    j = NULL; /* the request owns it now (or submit answered an error and the request frees it) */
out:
    if (j)
        ai_job_unref(j);
    buf_fini(&prompt);
    json_decref(body);
}

void ai_api_chat(struct http_request *req, struct http_reply *rep)
{
    completion(req, rep, true);
}

void ai_api_completions(struct http_request *req, struct http_reply *rep)
{
    completion(req, rep, false);
}

/* ---- embeddings ---- */

static void embeddings_reply(struct http_request *req, struct http_reply *rep)
{
    struct ai_job *j = req->handler_state;
    if (j->error_status) {
        http_reply_error(rep, j->error_status, "server_error", "%s", j->error);
        return;
    }
    bool b64 = j->base64;
    int n_embd = j->model->n_embd;
    json_t *data = json_array();
    for (size_t i = 0; i < j->n_in; i++) {
        const float *v = j->vectors + i * (size_t)n_embd;
        json_t *emb;
        if (b64) {
            size_t nbytes = (size_t)n_embd * 4;
            unsigned char *raw = xmalloc(nbytes);
            for (int k = 0; k < n_embd; k++) {
                uint32_t u;
                memcpy(&u, &v[k], 4);
                for (int b = 0; b < 4; b++)
                    raw[k * 4 + b] = (unsigned char)(u >> (8 * b));
            }
            size_t elen = crypto_base64_encoded_len(nbytes);
            char *text = xmalloc(elen + 4);
            crypto_base64_encode(CRYPTO_BASE64_STANDARD, raw, nbytes, text);
            while (elen % 4)
                text[elen++] = '=';
            text[elen] = '\0';
            emb = json_string(text);
            free(text);
            free(raw);
        } else {
            emb = json_array();
            for (int k = 0; k < n_embd; k++)
                json_array_append_new(emb, json_real(v[k]));
        }
        json_array_append_new(data, json_pack("{s:s, s:I, s:o}", "object", "embedding", "index",
                                              (json_int_t)i, "embedding", emb));
    }
    http_reply_json(rep, 200, json_pack("{s:s, s:o, s:s, s:{s:i, s:i}}", "object", "list", "data",
                                        data, "model", j->model->id, "usage", "prompt_tokens",
                                        j->n_prompt, "total_tokens", j->n_prompt));
}

void ai_api_embeddings(struct http_request *req, struct http_reply *rep)
{
    if (req->resumed) {
        if (((struct ai_job *)req->handler_state)->upstream)
            ai_upstream_reply(req, rep);
        else
            embeddings_reply(req, rep);
        return;
    }
    struct ai_model *m;
    json_t *body = request_begin(req, rep, &m);
    if (!body)
        return;
    struct ai_job *j = NULL;
    if (m->upstream_url) {
        ai_upstream_submit(ai_of(req), req, rep, m, body, "/embeddings");
        goto out;
    }
    json_t *input = json_object_get(body, "input");
    size_t n = json_is_string(input) ? 1 : json_is_array(input) ? json_array_size(input) : 0;
    bool ok = n > 0 && n <= AI_MAX_EMBED_INPUTS;
    for (size_t i = 0; ok && json_is_array(input) && i < n; i++)
        ok = json_is_string(json_array_get(input, i));
    if (!ok) {
        bad_param(rep, "input", "input must be a string or a non-empty array of strings");
        goto out;
    }
    json_t *fmt = json_object_get(body, "encoding_format");
    bool b64 = false;
    if (fmt && !json_is_null(fmt)) {
        const char *f = json_string_value(fmt);
        if (!f || (strcmp(f, "float") != 0 && strcmp(f, "base64") != 0)) {
            bad_param(rep, "encoding_format", "encoding_format must be float or base64");
            goto out;
        }
        b64 = strcmp(f, "base64") == 0;
    }
    j = ai_job_new(AI_JOB_EMBED, m);
    j->base64 = b64;
    j->inputs = xcalloc(n, sizeof *j->inputs);
    j->n_inputs = xcalloc(n, sizeof *j->n_inputs);
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_is_string(input) ? input : json_array_get(input, i);
        const char *text = json_string_value(item);
        size_t nt = 0;
        int rc = llm_model_tokenize(m->model, text, strlen(text), true, false, &j->inputs[i], &nt);
        j->n_in = i + 1;
        if (rc != 0 || nt < 1) {
            bad_param(rep, "input", "an input cannot be tokenized");
            goto out;
        }
        if ((int)nt > m->n_ctx) {
            http_reply_error(rep, 400, "context_length_exceeded",
                             "This model's maximum context length is %d tokens. However, input "
                             "%zu resulted in %zu tokens.",
                             m->n_ctx, i, nt);
            rep->error_param = "input";
            goto out;
        }
        j->n_inputs[i] = (int)nt;
        j->n_prompt += (int)nt;
    }
    j->vectors = xcalloc(n * (size_t)m->n_embd, sizeof *j->vectors);
    j->req = req;
    j->http_suspended = true;
    req->handler_state = j;
    req->handler_state_free = ai_job_detach;
    int rc = ai_worker_submit(m->worker, j);
    j = NULL;
    if (rc)
        reply_not_queued(rep, rc, m);
    else
        http_request_suspend(req);
out:
    if (j)
        ai_job_unref(j);
    json_decref(body);
}

/* ---- metrics ---- */

void ai_api_metrics(struct http_request *req, struct http_reply *rep)
{
    bool loopback = strcmp(req->client_ip, "127.0.0.1") == 0 || strcmp(req->client_ip, "::1") == 0;
    if (!loopback) {
        struct server *srv = http_server_app(req->server);
        if (client_auth_http(srv, req, rep, true) != 0)
            return;
        if (!req->is_admin) {
            http_reply_error(rep, 403, "M_FORBIDDEN", "Metrics are for loopback or server admins");
            return;
        }
    }
    struct ai *ai = ai_of(req);
    struct buf out;
    buf_init(&out, 16 << 20);
    buf_append_str(&out, "# TYPE relais_ai_requests_total counter\n"
                         "# TYPE relais_ai_rejected_total counter\n"
                         "# TYPE relais_ai_prompt_tokens_total counter\n"
                         "# TYPE relais_ai_completion_tokens_total counter\n"
                         "# TYPE relais_ai_queue_seconds_total counter\n"
                         "# TYPE relais_ai_decode_seconds_total counter\n"
                         "# TYPE relais_ai_active_slots gauge\n"
                         "# TYPE relais_ai_queued_requests gauge\n"
                         "# TYPE relais_ai_model_ready gauge\n");
    for (size_t i = 0; i < ai->n_models; i++) {
        struct ai_model *m = &ai->models[i];
        buf_printf(&out, "relais_ai_model_ready{model=\"%s\"} %d\n", m->id,
                   m->state == AI_MODEL_READY ? 1 : 0);
        if (m->state == AI_MODEL_READY && m->worker)
            ai_worker_metrics(m->worker, m->id, &out);
    }
    rep->status = 200;
    rep->body_len = out.len;
    rep->body = buf_steal(&out);
    rep->content_type = "text/plain; version=0.0.4";
    buf_fini(&out);
}
