/* upstream.c: models served by another OpenAI-compatible server ([llm] upstream_models).
 *
 * The handler rewrites "model" to the upstream's name, suspends the request and starts one
 * thread that runs the transfer with libcurl (request threads never wait on the network).
 * The thread appends the upstream's bytes to the job's text as they come: a non-streamed
 * answer resumes the request when complete (the upstream's status and JSON are relayed, with
 * "model" put back to our id); a streamed one resumes it at the first body byte of a 2xx
 * answer, and the request then relays the server-sent events chunk by chunk, sleeping while
 * nothing new has arrived. Connection failures and 5xx answers become 502 upstream_error,
 * a transfer past [llm] upstream_timeout_s 504 upstream_timeout. A client that goes away
 * aborts the transfer (the progress callback sees the job cancelled). */
#define LOG_MODULE "ai"
#include "ai/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "http/curl_lib.h"
#include "server/server.h"

#include <curl/curl.h>
#include <string.h>
#include <time.h>

enum { AI_UPSTREAM_OUT_MAX = 64 << 20 };

struct upstream_run {
    struct ai *ai;           /* borrowed; ai_stop waits for this thread */
    struct ai_job *job;      /* a reference */
    char *url;               /* owned: base + path */
    char *auth;              /* owned: "Authorization: Bearer ..." or NULL */
    long timeout_s;          /* whole-transfer limit */
};

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    struct upstream_run *r = user;
    struct ai_job *j = r->job;
    size_t len = size * n;
    pthread_mutex_lock(&j->lock);
    if (buf_append(&j->text, ptr, len) != 0) {
        pthread_mutex_unlock(&j->lock);
        return 0; /* too large: abort */
    }
    bool ok = j->up_status >= 200 && j->up_status < 300;
    ai_job_wake_locked(j, j->stream && ok);
    pthread_mutex_unlock(&j->lock);
    return len;
}

static size_t on_header(char *buf, size_t size, size_t n, void *user)
{
    struct upstream_run *r = user;
    size_t len = size * n;
    if (len > 9 && memcmp(buf, "HTTP/", 5) == 0) {
        const char *sp = memchr(buf, ' ', len);
        pthread_mutex_lock(&r->job->lock);
        r->job->up_status = sp ? (int)strtol(sp + 1, NULL, 10) : 502;
        pthread_mutex_unlock(&r->job->lock);
    }
    return len;
}

static int on_progress(void *user, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    struct upstream_run *r = user;
    return atomic_load(&r->job->cancelled) || atomic_load(&r->ai->stopping) ? 1 : 0;
}

static void *upstream_main(void *arg)
{
    struct upstream_run *r = arg;
    struct ai_job *j = r->job;
    j->t_start_ns = clock_mono_ns();
    char lib_err[200];
    const struct http_curl *c = http_curl_get(lib_err, sizeof lib_err);
    CURL *curl = NULL;
    struct curl_slist *headers = NULL;
    CURLcode cr = CURLE_FAILED_INIT;
    if (c) {
        curl = c->easy_init();
        headers = c->slist_append(headers, "Content-Type: application/json");
        if (r->auth)
            headers = c->slist_append(headers, r->auth);
    } else {
        log_error("%s", lib_err);
    }
    if (curl) {
        c->easy_setopt(curl, CURLOPT_URL, r->url);
        c->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        c->easy_setopt(curl, CURLOPT_POSTFIELDS, j->up_request);
        c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
        c->easy_setopt(curl, CURLOPT_TIMEOUT, r->timeout_s);
        c->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        c->easy_setopt(curl, CURLOPT_WRITEDATA, r);
        c->easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        c->easy_setopt(curl, CURLOPT_HEADERDATA, r);
        c->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        c->easy_setopt(curl, CURLOPT_XFERINFODATA, r);
        c->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        c->easy_setopt(curl, CURLOPT_USERAGENT, "relais/" RELAIS_VERSION);
        cr = c->easy_perform(curl);
    }
    int status = j->up_status;
    if (cr == CURLE_OK && status >= 500) {
        char msg[160];
        snprintf(msg, sizeof msg, "The upstream server answered HTTP %d", status);
        ai_job_finish(j, NULL, 502, msg);
    } else if (cr == CURLE_OK) {
        ai_job_finish(j, "stop", 0, NULL);
    } else if (cr == CURLE_OPERATION_TIMEDOUT) {
        ai_job_finish(j, NULL, 504, "The upstream server did not answer in time");
    } else if (cr == CURLE_ABORTED_BY_CALLBACK) {
        ai_job_finish(j, NULL, 503, "Cancelled");
    } else {
        char msg[200];
        snprintf(msg, sizeof msg, "The upstream server failed: %s",
                 c ? c->easy_strerror(cr) : "libcurl is not installed");
        ai_job_finish(j, NULL, 502, msg);
    }
    log_info("model=%s upstream status=%d curl=%d bytes=%zu ms=%.1f", j->model->id, status,
             (int)cr, j->text.len, (double)(clock_mono_ns() - j->t_start_ns) / 1e6);
    if (c) {
        c->slist_free_all(headers);
        if (curl)
            c->easy_cleanup(curl);
    }
    ai_job_unref(j);
    free(r->url);
    free(r->auth);
    struct ai *ai = r->ai;
    free(r);
    atomic_fetch_sub(&ai->upstream_running, 1);
    return NULL;
}

void ai_upstream_submit(struct ai *ai, struct http_request *req, struct http_reply *rep,
                        struct ai_model *m, json_t *body, const char *path)
{
    if (atomic_load(&ai->stopping)) {
        http_reply_error(rep, 503, "unavailable", "The server is shutting down");
        return;
    }
    if (atomic_load(&ai->upstream_running) >= ai->cfg->llm_queue) {
        http_reply_error(rep, 429, "rate_limit_exceeded",
                         "Too many forwarded requests are running; retry later");
        rep->retry_after_ms = 1000;
        return;
    }
    struct ai_job *j = ai_job_new(AI_JOB_GENERATE, m);
    j->upstream = true;
    j->up_path = path;
    j->stream = json_is_true(json_object_get(body, "stream"));
    json_object_set_new(body, "model", json_string(m->upstream_model));
    j->up_request = json_dumps(body, JSON_COMPACT);
    j->req = req;
    j->http_suspended = true;
    j->t_submit_ns = clock_mono_ns();
    req->handler_state = j;
    req->handler_state_free = ai_job_detach;
    struct upstream_run *r = xcalloc(1, sizeof *r);
    r->ai = ai;
    r->job = ai_job_ref(j);
    size_t len = strlen(m->upstream_url) + strlen(path) + 1;
    r->url = xmalloc(len);
    size_t base_len = strlen(m->upstream_url);
    while (base_len > 0 && m->upstream_url[base_len - 1] == '/')
        base_len--;
    snprintf(r->url, len, "%.*s%s", (int)base_len, m->upstream_url, path);
    if (m->upstream_key) {
        size_t alen = strlen(m->upstream_key) + 32;
        r->auth = xmalloc(alen);
        snprintf(r->auth, alen, "Authorization: Bearer %s", m->upstream_key);
    }
    r->timeout_s = (long)ai->cfg->llm_upstream_timeout_s;
    atomic_fetch_add(&ai->upstream_running, 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &attr, upstream_main, r) != 0) {
        atomic_fetch_sub(&ai->upstream_running, 1);
        ai_job_unref(r->job);
        free(r->url);
        free(r->auth);
        free(r);
        j->http_suspended = false;
        http_reply_error(rep, 503, "unavailable", "Cannot start the forwarding thread");
    } else {
        http_request_suspend(req);
    }
    pthread_attr_destroy(&attr);
}

/* Relays the upstream's event stream (bytes as they came). */
struct relay {
    struct ai_job *job;       /* a reference */
    struct http_request *req; /* the request being answered */
    size_t off;               /* job text already handed out */
    bool ended;               /* [DONE] or error sent */
};

static long relay_read(void *state, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct relay *s = state;
    struct ai_job *j = s->job;
    if (s->ended)
        return -1;
    pthread_mutex_lock(&j->lock);
    size_t avail = j->text.len - s->off;
    if (avail > 0) {
        size_t n = avail < max ? avail : max;
        memcpy(out, j->text.data + s->off, n);
        s->off += n;
        pthread_mutex_unlock(&j->lock);
        return (long)n;
    }
    if (j->done) {
        int n = 0;
        if (j->error_status)
            n = snprintf(out, max,
                         "data: {\"error\":{\"message\":\"%s\",\"type\":\"server_error\","
                         "\"param\":null,\"code\":\"upstream_error\"}}\n\n",
                         j->error_status == 504 ? "upstream timeout" : "upstream failed");
        s->ended = true;
        pthread_mutex_unlock(&j->lock);
        return n > 0 && (size_t)n < max ? n : -1;
    }
    j->waiting = true;
    pthread_mutex_unlock(&j->lock);
    http_stream_wait(s->req);
    return 0;
}

static void relay_free(void *state)
{
    struct relay *s = state;
    ai_job_unref(s->job);
    free(s);
}

/* Answers rep with the upstream's event stream as it arrives (the relay holds a job reference). */
static void relay_start(struct http_request *req, struct http_reply *rep, struct ai_job *j)
{
    struct relay *s = xcalloc(1, sizeof *s);
    s->job = ai_job_ref(j);
    s->req = req;
    rep->stream_fn = relay_read;
    rep->stream_state = s;
    rep->stream_free = relay_free;
    rep->content_type = "text/event-stream";
}

void ai_upstream_reply(struct http_request *req, struct http_reply *rep)
{
    struct ai_job *j = req->handler_state;
    pthread_mutex_lock(&j->lock);
    bool done = j->done;
    int error_status = j->error_status;
    int status = j->up_status;
    pthread_mutex_unlock(&j->lock);
    if (error_status) {
        http_reply_error(rep, error_status,
                         error_status == 504   ? "upstream_timeout"
                         : error_status == 503 ? "unavailable"
                                               : "upstream_error",
                         "%s", j->error);
        return;
    }
    if (!done) { /* a 2xx stream has started */
        relay_start(req, rep, j);
        rep->extra_header_name = "Cache-Control";
        rep->extra_header_value = "no-cache";
        return;
    }
    json_t *body = json_loadb(j->text.data ? j->text.data : "", j->text.len, 0, NULL);
    if (!body) {
        if (j->stream && status >= 200 && status < 300) { /* a whole stream came at once */
            relay_start(req, rep, j);
            return;
        }
        http_reply_error(rep, 502, "upstream_error", "The upstream server answered HTTP %d with "
                                                     "no JSON", status);
        return;
    }
    if (json_is_object(body) && json_object_get(body, "model"))
        json_object_set_new(body, "model", json_string(j->model->id));
    http_reply_json(rep, status, body);
}

void ai_upstream_stop(struct ai *ai)
{
    for (int i = 0; i < 1000 && atomic_load(&ai->upstream_running) > 0; i++) {
        struct timespec ms = {0, 10 * 1000 * 1000};
        nanosleep(&ms, NULL);
    }
}
