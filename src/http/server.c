/* server.c: libmicrohttpd glue: request lifecycle, body collection, dispatch,
 * suspend/resume for long-polls, reply writing and the access log.
 *
 * Request lifecycle (libmicrohttpd calls on_request repeatedly):
 *   1st call        → request_new (an early 413 if Content-Length is too big)
 *   calls with data → body appended, bounded by max_body_bytes (a chunked body past
 *                     it is answered 413 at once and the connection closed:
 *                     send_413_and_close)
 *   final call      → dispatch → handler → send_reply
 *                     or handler suspends → MHD_suspend_connection
 *   after resume    → on_request again → handler(resumed) → send_reply
 *   completion      → on_completed: access log line, request freed
 *
 * Writes (PUT, POST, DELETE) run on a pool of worker threads, not on the few
 * libmicrohttpd threads: a durable write waits for its fsync, and while it
 * waits the connection is suspended and its polling thread serves the others
 * (reads, long-polls). Many writes in flight at once let the database writer
 * commit them together (group commit). A woken long-poll (a resumed handler,
 * which then computes a /sync) runs there too, so a burst of wake-ups does not
 * hold up the requests queued behind it on its polling thread.
 *   final call      → suspend, queue → worker: dispatch → handler → resume
 *   after resume    → on_request again → send_reply(the worker's reply)
 * A ROUTE_INLINE write (PUT /send) never waits for the disk (it defers): its
 * handler runs on the polling thread, which saves the hop to a worker (two
 * context switches and the work queue's lock per message), and goes to a
 * worker only when it would have to wait (http_request_offload):
 *   final call      → dispatch → handler defers → MHD_suspend_connection
 *                     or handler offloads → suspend, queue → worker: handler */
#define LOG_MODULE "http"
#include "http/http.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "http/proxy.h"
#include "json/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct route_entry {
    const struct http_route *route; /* borrowed from a static table */
    enum http_error_style style;    /* how errors on this route are written */
};

struct http_server {
    struct http_server_options opt; /* copied at creation */
    struct http_proxies *proxies;   /* owned; NULL when no proxy is trusted */
    struct MHD_Daemon *daemon;      /* owned */
    struct route_entry *routes;     /* owned array */
    size_t n_routes, cap_routes;
    int port;                       /* bound port */
    _Atomic int in_flight;          /* requests between first byte and completion */
    pthread_mutex_t suspend_lock;   /* guards sleeping, stopping and every request's flags */
    struct request_private *sleeping; /* requests whose connection is suspended */
    bool stopping;                  /* shutting down: nothing may go to sleep any more */
    _Atomic bool draining;          /* stopping for good: new requests are answered 503 */
    _Atomic int n_deferred;         /* http_request_defer'd requests not finished yet */
    _Atomic int n_inline;           /* ROUTE_INLINE requests in dispatch on a polling thread */
    pthread_mutex_t work_lock;      /* guards the work queue and workers_stop */
    pthread_cond_t work_cond;       /* signalled when work is queued or workers stop */
    struct request_private *work_head, *work_tail; /* requests waiting for a worker */
    bool workers_stop;              /* workers exit once the queue is empty */
    pthread_t *workers;             /* owned array of HTTP_WRITE_WORKERS threads, NULL before start */
    size_t n_workers;               /* started worker threads (guarded by work_lock) */
    size_t n_idle_workers;          /* of those, waiting for work (guarded by work_lock) */
    int listen_fd;                  /* owned; -1 before start; accepted by acceptor */
    pthread_t acceptor;             /* accept_main, started by http_server_start */
    bool acceptor_started;          /* acceptor is running and must be joined */
    _Atomic bool accept_stop;       /* set before listen_fd is shut down: the acceptor exits */
};

/* Threads that run write handlers (see top). They start on demand, one whenever a write is
 * queued and none is idle, so an idle server has none (each costs a stack and a malloc
 * arena) and a write burst grows them up to this many. */
enum { HTTP_WRITE_WORKERS = 16 };

/* Polling threads when the options say 0: this many per core, at most HTTP_THREADS_MAX. A
 * polling thread serves its connections one after the other, so when it is preempted (the
 * cores are busy) or runs a slow read, all of them wait; with more threads than cores each
 * holds fewer connections, and the scheduler interleaves them. An idle polling thread
 * costs a stack and an epoll set (long-polls sleep without holding one). On 2 cores,
 * wrk -t2 -c64 keep-alive: p99 median 4.5 ms with 2 threads, 2.6 ms with 8 (the accepting
 * thread spreading connections evenly, see accept_main). */
enum { HTTP_THREADS_PER_CORE = 4, HTTP_THREADS_MAX = 64 };

/* Suspend bookkeeping. All of it is guarded by the server's suspend_lock, so
 * shutdown can wake every sleeping connection (libmicrohttpd refuses to stop
 * with suspended ones), and a request on the sleeping list cannot be freed:
 * it completes only after it was resumed, which takes it off the list. */
struct request_private {
    struct http_request pub;       /* must be first */
    bool mhd_suspended;            /* MHD_suspend_connection has been called */
    bool resume_pending;           /* resume arrived before the suspend took effect */
    struct request_private *prev_sleeping, *next_sleeping; /* on the server's list */
    enum http_error_style style;   /* of the matched route, for error replies */
    size_t body_limit;             /* max_body_bytes, or max_raw_body_bytes on raw routes */
    bool body_io_failed;           /* writing the body to its temporary file failed */
    bool body_length_known;        /* the request declared a Content-Length */
    bool answered_early;           /* a 413 was written before the chunked body ended */
    uint64_t linger_bytes;         /* body bytes discarded since then */
    int64_t answered_ns;           /* monotonic time of that answer */
    bool offloaded;                /* handed to a worker (its connection suspended) */
    bool reply_ready;              /* the worker's reply waits in rep for on_request */
    bool deferred;                 /* http_request_defer: ends with http_request_finish */
    bool looked_up;                /* route_of has run: entry and wrong_method are set */
    const struct route_entry *entry; /* the matched route, or NULL */
    bool wrong_method;             /* with entry NULL: the path matched for another method */
    bool dispatched;               /* the handler was called: a re-run calls it directly */
    bool may_wait;                 /* the handler runs where it may wait (a worker) */
    bool want_offload;             /* http_request_offload: run the handler on a worker */
    struct http_reply rep;         /* a worker's reply, sent by the polling thread */
    struct request_private *next_work; /* on the server's work queue */
};

enum { HTTP_DRAIN_MIN_BYTES = 8 << 20 }; /* see on_request */
/* After an early 413 (send_413_and_close), what is still read and dropped before the
 * connection is closed: see there. */
enum { HTTP_LINGER_BYTES = 8 << 20, HTTP_LINGER_MS = 2000 };

static const char cors_methods[] = "GET, POST, PUT, DELETE, OPTIONS";
static const char cors_headers[] = "X-Requested-With, Content-Type, Authorization, Date";

void *http_server_app(const struct http_server *srv)
{
    return srv->opt.app;
}

/* ---- reply helpers ---- */

void http_reply_json(struct http_reply *rep, int status, json_t *body)
{
    if (rep->json)
        json_decref(rep->json);
    rep->status = status;
    rep->json = body;
}

void http_reply_header(struct http_reply *rep, const char *name, const char *value)
{
    ASSERT(rep->n_headers < HTTP_REPLY_MAX_HEADERS);
    rep->headers[rep->n_headers].name = name;
    rep->headers[rep->n_headers].value = value;
    rep->n_headers++;
}

void http_reply_error(struct http_reply *rep, int status, const char *errcode, const char *fmt, ...)
{
    if (rep->json) {
        json_decref(rep->json);
        rep->json = NULL;
    }
    rep->status = status;
    rep->errcode = errcode;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->error, sizeof rep->error, fmt, ap);
    va_end(ap);
}

/* ---- request helpers ---- */

const char *http_query(struct http_request *req, const char *name)
{
    const char *raw = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!raw)
        return NULL;
    return http_percent_decode(&req->arena, raw, strlen(raw), true);
}

const char *http_header(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void http_request_suspend(struct http_request *req)
{
    req->suspended = true;
}

/* Suspends the connection now, or (a wake-up already came) lets it run again
 * at once. Caller holds suspend_lock. */
static void sleep_locked(struct http_server *srv, struct request_private *rp)
{
    MHD_suspend_connection(rp->pub.conn);
    if (rp->resume_pending || srv->stopping) {
        rp->resume_pending = false;
        MHD_resume_connection(rp->pub.conn);
        return;
    }
    rp->mhd_suspended = true;
    rp->prev_sleeping = NULL;
    rp->next_sleeping = srv->sleeping;
    if (srv->sleeping)
        srv->sleeping->prev_sleeping = rp;
    srv->sleeping = rp;
}

/* Resumes a sleeping connection, or notes the wake-up for sleep_locked.
 * Caller holds suspend_lock. */
static void wake_locked(struct http_server *srv, struct request_private *rp)
{
    if (!rp->mhd_suspended) {
        rp->resume_pending = true;
        return;
    }
    rp->mhd_suspended = false;
    if (rp->prev_sleeping)
        rp->prev_sleeping->next_sleeping = rp->next_sleeping;
    else
        srv->sleeping = rp->next_sleeping;
    if (rp->next_sleeping)
        rp->next_sleeping->prev_sleeping = rp->prev_sleeping;
    MHD_resume_connection(rp->pub.conn);
}

void http_request_resume(struct http_request *req)
{
    struct http_server *srv = req->server;
    pthread_mutex_lock(&srv->suspend_lock);
    req->resumed = true;
    wake_locked(srv, (struct request_private *)req);
    pthread_mutex_unlock(&srv->suspend_lock);
}

void http_request_defer(struct http_request *req)
{
    req->suspended = true;
    req->server->n_deferred++;
    ((struct request_private *)req)->deferred = true;
}

/* After a deferring handler returned, on the thread that ran it, with the connection
 * suspended: it stays so (off the sleeping list, which shutdown wakes) until
 * http_request_finish, or resumes at once when the reply is already there. Caller holds
 * suspend_lock. */
static void deferred_locked(struct request_private *rp)
{
    if (rp->reply_ready)
        MHD_resume_connection(rp->pub.conn);
    else
        rp->mhd_suspended = true;
}

bool http_request_may_wait(const struct http_request *req)
{
    return ((const struct request_private *)req)->may_wait;
}

void http_request_offload(struct http_request *req)
{
    struct request_private *rp = (struct request_private *)req;
    ASSERT(!rp->may_wait);
    rp->want_offload = true;
    req->suspended = false;
    if (rp->deferred) {
        rp->deferred = false;
        req->server->n_deferred--;
    }
}

void http_request_finish(struct http_request *req, struct http_reply *rep)
{
    struct http_server *srv = req->server;
    struct request_private *rp = (struct request_private *)req;
    pthread_mutex_lock(&srv->suspend_lock);
    rp->rep = *rep;
    memset(rep, 0, sizeof *rep);
    rp->reply_ready = true;
    if (rp->mhd_suspended) {
        rp->mhd_suspended = false;
        MHD_resume_connection(rp->pub.conn);
    }
    srv->n_deferred--;
    pthread_mutex_unlock(&srv->suspend_lock);
}

void http_stream_wait(struct http_request *req)
{
    struct http_server *srv = req->server;
    pthread_mutex_lock(&srv->suspend_lock);
    sleep_locked(srv, (struct request_private *)req);
    pthread_mutex_unlock(&srv->suspend_lock);
}

void http_stream_wake(struct http_request *req)
{
    struct http_server *srv = req->server;
    pthread_mutex_lock(&srv->suspend_lock);
    wake_locked(srv, (struct request_private *)req);
    pthread_mutex_unlock(&srv->suspend_lock);
}

/* ---- lifecycle ---- */

static enum http_method parse_method(const char *m)
{
    static const struct {
        const char *name;
        enum http_method method;
    } methods[] = {{"GET", HTTP_GET},       {"POST", HTTP_POST},       {"PUT", HTTP_PUT},
                   {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS}, {"HEAD", HTTP_HEAD}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(m, methods[i].name) == 0)
            return methods[i].method;
    return 0;
}

/* libmicrohttpd header iterator: appends each X-Forwarded-For value to a struct buf. */
static enum MHD_Result collect_forwarded_for(void *cls, enum MHD_ValueKind kind,
                                             const char *key, const char *value)
{
    (void)kind;
    struct buf *xff = cls;
    if (value && strcasecmp(key, "X-Forwarded-For") == 0) {
        if (xff->len)
            buf_append_char(xff, ',');
        buf_append_str(xff, value);
    }
    return MHD_YES;
}

static struct request_private *request_new(struct http_server *srv, struct MHD_Connection *conn,
                                           const char *url, const char *method)
{
    struct request_private *rp = xcalloc(1, sizeof *rp);
    struct http_request *req = &rp->pub;
    srv->in_flight++;
    req->server = srv;
    req->conn = conn;
    req->method = parse_method(method);
    arena_init(&req->arena, srv->opt.max_body_bytes * 4 + (1u << 20));
    req->method_name = arena_strdup(&req->arena, method);
    /* MHD hands the path without the query (our unescaper leaves it encoded). */
    req->path = arena_strdup(&req->arena, url);
    buf_init(&req->body, srv->opt.max_body_bytes);
    req->body_fd = -1;
    req->start_ns = clock_mono_ns();
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->peer_ip,
                      sizeof req->peer_ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->peer_ip,
                      sizeof req->peer_ip);
    }
    memcpy(req->client_ip, req->peer_ip, sizeof req->client_ip);
    if (srv->proxies && http_proxies_trusts(srv->proxies, req->peer_ip)) {
        struct buf xff; /* every X-Forwarded-For header, joined in arrival order */
        buf_init(&xff, srv->opt.max_header_bytes + 1);
        MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_forwarded_for, &xff);
        if (xff.len)
            http_client_address(srv->proxies, req->peer_ip, buf_cstr(&xff), req->client_ip,
                                sizeof req->client_ip);
        buf_fini(&xff);
    }
    return rp;
}

static void request_free(struct request_private *rp)
{
    struct http_request *req = &rp->pub;
    if (req->handler_state && req->handler_state_free)
        req->handler_state_free(req->handler_state);
    if (rp->reply_ready) { /* a worker's reply never sent: the client went away */
        struct http_reply *rep = &rp->rep;
        if (rep->json)
            json_decref(rep->json);
        if (rep->error_extra)
            json_decref(rep->error_extra);
        free(rep->body);
        if (rep->has_file)
            close(rep->file_fd);
        if (rep->stream_state && rep->stream_free)
            rep->stream_free(rep->stream_state);
    }
    if (req->json)
        json_decref(req->json);
    buf_fini(&req->body);
    if (req->body_fd >= 0)
        close(req->body_fd);
    arena_fini(&req->arena);
    free(rp);
}

static void add_common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", cors_methods);
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", cors_headers);
}

static char *error_body(const struct http_reply *rep, enum http_error_style style)
{
    json_t *body;
    if (style == HTTP_ERRORS_OPENAI) {
        const char *type = rep->status == 401   ? "authentication_error"
                           : rep->status == 429 ? "rate_limit_error"
                           : rep->status >= 500 ? "server_error"
                                                : "invalid_request_error";
        body = json_pack("{s:{s:s, s:s, s:o, s:s}}", "error", "message", rep->error, "type", type,
                         "param", rep->error_param ? json_string(rep->error_param) : json_null(),
                         "code", rep->errcode);
    } else {
        body = json_pack("{s:s, s:s}", "errcode", rep->errcode, "error", rep->error);
        if (rep->retry_after_ms > 0)
            json_object_set_new(body, "retry_after_ms", json_integer(rep->retry_after_ms));
        if (rep->error_extra)
            json_object_update(body, rep->error_extra);
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static enum MHD_Result send_reply(struct request_private *rp, struct http_reply *rep)
{
    struct http_request *req = &rp->pub;
    int status = rep->status ? rep->status : 200;
    struct MHD_Response *resp;
    const char *content_type = "application/json";
    if (rep->stream_fn) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
                                                 (MHD_ContentReaderCallback)rep->stream_fn,
                                                 rep->stream_state, rep->stream_free);
        content_type = rep->content_type ? rep->content_type : "text/event-stream";
        rep->stream_state = NULL;
    } else if (rep->has_file && !rep->errcode) {
        resp = MHD_create_response_from_fd64(rep->file_size, rep->file_fd);
        rep->has_file = resp == NULL; /* on success libmicrohttpd owns the descriptor */
        if (rep->content_type)
            content_type = rep->content_type;
    } else {
        char *text;
        size_t len;
        if (rep->errcode) {
            text = error_body(rep, rp->style);
            len = strlen(text);
        } else if (rep->json) {
            text = json_dumps(rep->json, JSON_COMPACT);
            len = text ? strlen(text) : 0;
        } else if (rep->body) {
            text = rep->body;
            len = rep->body_len;
            rep->body = NULL;
            if (rep->content_type)
                content_type = rep->content_type;
        } else {
            text = xstrdup("{}");
            len = 2;
        }
        if (!text) {
            text = xstrdup("{\"errcode\":\"M_UNKNOWN\",\"error\":\"Internal error\"}");
            len = strlen(text);
            status = 500;
        }
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    }
    if (rep->json)
        json_decref(rep->json);
    rep->json = NULL;
    if (rep->error_extra)
        json_decref(rep->error_extra);
    rep->error_extra = NULL;
    free(rep->body);
    if (rep->has_file)
        close(rep->file_fd);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", content_type);
    add_common_headers(resp);
    if (rep->extra_header_name)
        MHD_add_response_header(resp, rep->extra_header_name, rep->extra_header_value);
    for (size_t i = 0; i < rep->n_headers; i++)
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    if (rep->retry_after_ms > 0) {
        char secs[32];
        snprintf(secs, sizeof secs, "%lld", (long long)((rep->retry_after_ms + 999) / 1000));
        MHD_add_response_header(resp, "Retry-After", secs);
    }
    req->status_logged = status;
    enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Answers 413 on a connection whose chunked body passed the limit, before the body ended.
 * libmicrohttpd 0.9.x accepts a response only before the body or after all of it, and
 * waiting for the end of a body that may never end is what we must not do; so the
 * answer (small, "Connection: close") is written on the socket here and the write side
 * is shut, so the client sees the whole answer and its end at once. From then on
 * on_request never lets libmicrohttpd write: it closes the connection (MHD_NO) when the
 * body ends, or after a bounded linger (HTTP_LINGER_BYTES more bytes or HTTP_LINGER_MS),
 * during which what the client still sends is dropped. The linger is what keeps the
 * answer readable: closing a socket with unread bytes makes the kernel send a reset, and
 * a client still writing its body (Node.js, for one) then reports the error and drops
 * the 413 it had not read yet. This is safe because nothing else writes on the connection
 * while its body is being read (the previous answer on a keep-alive connection was
 * finished before this request was read), and relais's libmicrohttpd never runs TLS.
 * Called on the polling thread. */
static void send_413_and_close(struct request_private *rp)
{
    struct http_reply rep = {0};
    http_reply_error(&rep, 413, "M_TOO_LARGE", "Request body larger than %zu bytes",
                     rp->body_limit);
    char *body = error_body(&rep, rp->style);
    if (!body)
        body = xstrdup("{\"errcode\":\"M_TOO_LARGE\"}");
    struct buf out;
    buf_init(&out, 4096);
    buf_printf(&out,
               "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: %zu\r\n"
               "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: %s\r\n"
               "Access-Control-Allow-Headers: %s\r\n\r\n%s",
               strlen(body), cors_methods, cors_headers, body);
    free(body);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rp->pub.conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        ssize_t n = send(ci->connect_fd, out.data, out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n != (ssize_t)out.len)
            log_debug("413 for a chunked body only partly written (%zd of %zu bytes)", n,
                      out.len);
        shutdown(ci->connect_fd, SHUT_WR);
    }
    buf_fini(&out);
    rp->pub.status_logged = 413;
}

/* Finds the route for the request. Sets *wrong_method when the path exists
 * under another method. */
static const struct route_entry *find_route(struct http_server *srv, struct http_request *req,
                                            bool *wrong_method)
{
    *wrong_method = false;
    unsigned m = req->method == HTTP_HEAD ? HTTP_GET : req->method;
    const char *params[HTTP_MAX_PARAMS];
    size_t n_params;
    for (size_t i = 0; i < srv->n_routes; i++) {
        const struct http_route *r = srv->routes[i].route;
        if (!http_route_match(r->pattern, req->path, &req->arena, params, &n_params))
            continue;
        if (!(r->methods & m)) {
            *wrong_method = true;
            continue;
        }
        memcpy(req->params, params, sizeof params);
        req->n_params = n_params;
        return &srv->routes[i];
    }
    return NULL;
}

/* The request's route, looked up once (the body-limit check of the first call and
 * dispatch both need it). */
static const struct route_entry *route_of(struct http_server *srv, struct request_private *rp,
                                          bool *wrong_method)
{
    if (!rp->looked_up) {
        rp->entry = find_route(srv, &rp->pub, &rp->wrong_method);
        rp->looked_up = true;
    }
    *wrong_method = rp->wrong_method;
    return rp->entry;
}

static enum http_error_style style_for_path(const char *path)
{
    return strncmp(path, "/v1/", 4) == 0 ? HTTP_ERRORS_OPENAI : HTTP_ERRORS_MATRIX;
}

static void dispatch(struct http_server *srv, struct request_private *rp, struct http_reply *rep)
{
    struct http_request *req = &rp->pub;
    if (req->resumed) {
        pthread_mutex_lock(&srv->suspend_lock);
        bool stopping = srv->stopping;
        pthread_mutex_unlock(&srv->suspend_lock);
        if (stopping) {
            http_reply_error(rep, 503, "M_UNKNOWN", "The server is shutting down");
            return;
        }
        req->route->handler(req, rep);
        return;
    }
    if (srv->draining) { /* nothing new may suspend its connection under MHD_stop_daemon */
        rp->style = style_for_path(req->path);
        http_reply_error(rep, 503, "M_UNKNOWN", "The server is shutting down");
        return;
    }
    if (rp->dispatched) { /* an inline handler offloaded to a worker: checked and parsed */
        req->route->handler(req, rep);
        return;
    }
    rp->style = style_for_path(req->path);
    if (req->method == HTTP_OPTIONS) { /* CORS preflight: any path */
        http_reply_json(rep, 200, json_object());
        return;
    }
    bool wrong_method;
    const struct route_entry *entry = route_of(srv, rp, &wrong_method);
    if (!entry) {
        if (wrong_method)
            http_reply_error(rep, 405, "M_UNRECOGNIZED", "Method not allowed on this path");
        else
            http_reply_error(rep, 404, "M_UNRECOGNIZED", "Unrecognized request");
        return;
    }
    const struct http_route *route = entry->route;
    req->route = route;
    rp->style = entry->style;
    if (req->body_too_large) {
        http_reply_error(rep, 413, "M_TOO_LARGE", "Request body larger than %zu bytes",
                         rp->body_limit);
        return;
    }
    if (rp->body_io_failed) {
        http_reply_error(rep, 500, "M_UNKNOWN", "The request body could not be stored");
        return;
    }
    if ((route->flags & (ROUTE_RL_LOGIN | ROUTE_RL_REGISTER)) && srv->opt.ratelimit &&
        srv->opt.ratelimit(srv->opt.app, req, rep, route->flags))
        return;
    if ((route->flags & (ROUTE_AUTH | ROUTE_AUTH_OPTIONAL | ROUTE_ADMIN)) && srv->opt.authenticate &&
        srv->opt.authenticate(srv->opt.app, req, rep,
                              (route->flags & (ROUTE_AUTH | ROUTE_ADMIN)) != 0))
        return;
    if ((route->flags & ROUTE_ADMIN) && !req->is_admin) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You are not a server admin");
        return;
    }
    if (route->flags & (ROUTE_JSON | ROUTE_JSON_OPTIONAL)) {
        if (req->body.len == 0 && (route->flags & ROUTE_JSON_OPTIONAL)) {
            req->json = json_object();
        } else {
            char err[200];
            int rc = json_parse_bounded(req->body.data ? req->body.data : "", req->body.len,
                                        srv->opt.max_json_depth, &req->json, err, sizeof err);
            if (rc == ERR_TOO_LARGE) {
                http_reply_error(rep, 400, "M_BAD_JSON", "%s", err);
                return;
            }
            if (rc) {
                /* A bare scalar ("text", 42) is JSON of the wrong shape, not "not JSON".
                 * The depth was checked above, so this second parse is bounded. */
                json_t *any = json_loadb(req->body.data ? req->body.data : "", req->body.len,
                                         JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
                if (any) {
                    json_decref(any);
                    http_reply_error(rep, 400, "M_BAD_JSON", "Content must be a JSON object");
                } else {
                    http_reply_error(rep, 400, "M_NOT_JSON", "%s", err);
                }
                return;
            }
            if (!json_is_object(req->json)) {
                http_reply_error(rep, 400, "M_BAD_JSON", "Content must be a JSON object");
                return;
            }
        }
    }
    rp->dispatched = true;
    route->handler(req, rep);
}

/* Runs one offloaded request on a worker thread. Its connection is suspended
 * (by on_request); it resumes with the reply, or, when the handler itself
 * suspended (a long-poll), it joins the sleeping list as sleep_locked would. */
static void run_offloaded(struct http_server *srv, struct request_private *rp)
{
    rp->pub.suspended = false;
    rp->may_wait = true;
    dispatch(srv, rp, &rp->rep);
    pthread_mutex_lock(&srv->suspend_lock);
    if (rp->deferred) {
        deferred_locked(rp);
    } else if (rp->pub.suspended && !rp->resume_pending && !srv->stopping) {
        rp->mhd_suspended = true;
        rp->prev_sleeping = NULL;
        rp->next_sleeping = srv->sleeping;
        if (srv->sleeping)
            srv->sleeping->prev_sleeping = rp;
        srv->sleeping = rp;
    } else {
        rp->resume_pending = false;
        rp->reply_ready = !rp->pub.suspended;
        if (rp->pub.suspended)
            rp->pub.resumed = true;
        MHD_resume_connection(rp->pub.conn);
    }
    pthread_mutex_unlock(&srv->suspend_lock);
}

static void *worker_main(void *arg)
{
    struct http_server *srv = arg;
    pthread_mutex_lock(&srv->work_lock);
    for (;;) {
        srv->n_idle_workers++;
        while (!srv->work_head && !srv->workers_stop)
            pthread_cond_wait(&srv->work_cond, &srv->work_lock);
        srv->n_idle_workers--;
        struct request_private *rp = srv->work_head;
        if (!rp)
            break;
        srv->work_head = rp->next_work;
        if (!srv->work_head)
            srv->work_tail = NULL;
        pthread_mutex_unlock(&srv->work_lock);
        run_offloaded(srv, rp);
        pthread_mutex_lock(&srv->work_lock);
    }
    pthread_mutex_unlock(&srv->work_lock);
    return NULL;
}

/* Suspends the connection and queues the request for a worker, starting one when none
 * is idle (up to HTTP_WRITE_WORKERS); false when the workers are stopping or none could be
 * started (the caller runs it itself). Called on the connection's polling thread, as
 * libmicrohttpd requires for suspending. */
static bool offload(struct http_server *srv, struct request_private *rp)
{
    pthread_mutex_lock(&srv->work_lock);
    if (srv->workers_stop || !srv->workers) {
        pthread_mutex_unlock(&srv->work_lock);
        return false;
    }
    /* Queued requests beyond the idle workers each want one more thread. */
    size_t queued = 0;
    for (struct request_private *q = srv->work_head; q && queued <= srv->n_idle_workers;
         q = q->next_work)
        queued++;
    if (queued >= srv->n_idle_workers && srv->n_workers < HTTP_WRITE_WORKERS &&
        pthread_create(&srv->workers[srv->n_workers], NULL, worker_main, srv) == 0)
        srv->n_workers++;
    if (srv->n_workers == 0) {
        pthread_mutex_unlock(&srv->work_lock);
        return false;
    }
    rp->offloaded = true;
    MHD_suspend_connection(rp->pub.conn);
    rp->next_work = NULL;
    if (srv->work_tail)
        srv->work_tail->next_work = rp;
    else
        srv->work_head = rp;
    srv->work_tail = rp;
    pthread_cond_signal(&srv->work_cond);
    pthread_mutex_unlock(&srv->work_lock);
    return true;
}

/* Writes all of data to fd (a spooled body); 0 or ERR_IO (logged). */
static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("cannot write a request body: %s", strerror(errno));
            return ERR_IO;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct request_private *rp = *con_cls;
    if (!rp) {
        rp = request_new(srv, conn, url, method);
        *con_cls = rp;
        rp->body_limit = srv->opt.max_body_bytes;
        /* Upload routes take larger opaque bodies, under their own limit. */
        bool raw = false;
        if (srv->opt.max_raw_body_bytes && (rp->pub.method & (HTTP_POST | HTTP_PUT))) {
            bool wrong_method;
            const struct route_entry *e = route_of(srv, rp, &wrong_method);
            if (e && (e->route->flags & ROUTE_RAW_BODY)) {
                raw = true;
                rp->body_limit = srv->opt.max_raw_body_bytes;
                buf_fini(&rp->pub.body);
                buf_init(&rp->pub.body, rp->body_limit);
                if (srv->opt.raw_body_dir) {
                    rp->pub.body_fd = open(srv->opt.raw_body_dir, O_TMPFILE | O_RDWR | O_CLOEXEC,
                                           0600);
                    if (rp->pub.body_fd < 0)
                        log_warn("cannot spool a body to %s: %s (kept in memory)",
                                 srv->opt.raw_body_dir, strerror(errno));
                }
            }
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strlen(cl) > 0) {
            rp->body_length_known = true;
            unsigned long long n = strtoull(cl, NULL, 10);
            /* A body somewhat over the limit is read and dropped, then answered
             * 413: answering before reading it makes the kernel reset the
             * connection, and the client often loses the answer. A far larger
             * one, or one whose client waits for "100 Continue" before sending
             * it, is refused at once. */
            size_t drain = raw ? rp->body_limit + HTTP_DRAIN_MIN_BYTES : rp->body_limit * 8;
            if (drain < HTTP_DRAIN_MIN_BYTES)
                drain = HTTP_DRAIN_MIN_BYTES;
            const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
            if (expect && strcasecmp(expect, "100-continue") == 0)
                drain = 0;
            if (n > rp->body_limit && n <= drain) {
                rp->pub.body_too_large = true;
            } else if (n > rp->body_limit) {
                struct http_reply rep = {0};
                rp->style = style_for_path(url);
                http_reply_error(&rep, 413, "M_TOO_LARGE", "Request body larger than %zu bytes",
                                 rp->body_limit);
                return send_reply(rp, &rep);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (rp->answered_early) { /* lingering after the 413: drop, bounded */
            rp->linger_bytes += *upload_data_size;
            *upload_data_size = 0;
            bool done = rp->linger_bytes > HTTP_LINGER_BYTES ||
                        clock_mono_ns() - rp->answered_ns > (int64_t)HTTP_LINGER_MS * 1000000;
            return done ? MHD_NO : MHD_YES;
        }
        if (rp->pub.body_fd >= 0) {
            if (rp->pub.body_fd_len + *upload_data_size > rp->body_limit)
                rp->pub.body_too_large = true;
            if (!rp->pub.body_too_large && !rp->body_io_failed &&
                write_all(rp->pub.body_fd, upload_data, *upload_data_size))
                rp->body_io_failed = true;
            rp->pub.body_fd_len += *upload_data_size;
        } else if (!rp->pub.body_too_large &&
                   buf_append(&rp->pub.body, upload_data, *upload_data_size)) {
            rp->pub.body_too_large = true;
        }
        *upload_data_size = 0;
        if (rp->pub.body_too_large && !rp->body_length_known) {
            /* A chunked body has no end we could wait for: stop reading at the limit,
             * answer 413 and close the connection. */
            rp->answered_early = true;
            rp->answered_ns = clock_mono_ns();
            rp->style = style_for_path(url);
            send_413_and_close(rp);
        }
        return MHD_YES;
    }
    if (rp->answered_early)
        return MHD_NO; /* the dropped body ended: close without a second answer */
    if (rp->reply_ready) {
        rp->reply_ready = false;
        return send_reply(rp, &rp->rep);
    }
    bool write = rp->pub.method == HTTP_PUT || rp->pub.method == HTTP_POST ||
                 rp->pub.method == HTTP_DELETE;
    bool inline_write = false;
    if (write && !rp->offloaded && !rp->pub.resumed) {
        bool wrong_method;
        const struct route_entry *e = route_of(srv, rp, &wrong_method);
        inline_write = e && (e->route->flags & ROUTE_INLINE);
    }
    if (((write && !rp->offloaded && !inline_write) || rp->pub.resumed) && offload(srv, rp))
        return MHD_YES;
    struct http_reply rep = {0};
    rp->pub.suspended = false;
    rp->may_wait = !inline_write; /* the other writes run here only when no worker could */
    /* n_inline before dispatch's draining check: the stop, which sets draining first,
     * then waits for n_inline to be 0, so such a handler defers before the stop counts
     * the deferred requests, or it sees draining (both sequentially consistent). */
    if (inline_write)
        srv->n_inline++;
    dispatch(srv, rp, &rep);
    if (inline_write)
        srv->n_inline--;
    if (rp->want_offload) { /* it would have had to wait */
        rp->want_offload = false;
        if (offload(srv, rp))
            return MHD_YES;
        rp->may_wait = true; /* no worker: it waits here */
        rp->pub.suspended = false;
        dispatch(srv, rp, &rep);
    }
    if (rp->pub.suspended) {
        pthread_mutex_lock(&srv->suspend_lock);
        if (rp->deferred) {
            MHD_suspend_connection(rp->pub.conn);
            deferred_locked(rp);
        } else {
            sleep_locked(srv, rp);
        }
        pthread_mutex_unlock(&srv->suspend_lock);
        return MHD_YES;
    }
    return send_reply(rp, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct request_private *rp = *con_cls;
    if (!rp)
        return;
    struct http_request *req = &rp->pub;
    double ms = (double)(clock_mono_ns() - req->start_ns) / 1e6;
    log_info("method=%s path=%s status=%d ms=%.2f ip=%s%s", req->method_name, req->path,
             req->status_logged, ms, req->client_ip,
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    struct http_server *srv = req->server;
    request_free(rp);
    srv->in_flight--;
    *con_cls = NULL;
}

/* Leaves the URL and query strings percent-encoded: the router decodes each
 * path segment itself, and http_query decodes query values. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_debug("mhd: %s", msg);
}

struct http_server *http_server_new(const struct http_server_options *opt)
{
    struct http_proxies *proxies = NULL;
    char err[160];
    if (opt->trusted_proxies && http_proxies_parse(opt->trusted_proxies, &proxies, err,
                                                   sizeof err) != 0) {
        log_error("%s", err);
        return NULL;
    }
    if (http_proxies_count(proxies) == 0) {
        http_proxies_free(proxies);
        proxies = NULL;
    }
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->opt = *opt;
    srv->proxies = proxies;
    srv->listen_fd = -1;
    pthread_mutex_init(&srv->suspend_lock, NULL);
    pthread_mutex_init(&srv->work_lock, NULL);
    pthread_cond_init(&srv->work_cond, NULL);
    if (srv->opt.threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        long n = (cores > 0 ? cores : 2) * HTTP_THREADS_PER_CORE;
        srv->opt.threads = (int)(n < HTTP_THREADS_MAX ? n : HTTP_THREADS_MAX);
    }
    return srv;
}

void http_server_add_routes(struct http_server *srv, const struct http_route *routes, size_t n,
                            enum http_error_style style)
{
    if (srv->n_routes + n > srv->cap_routes) {
        srv->cap_routes = (srv->n_routes + n) * 2;
        srv->routes = xrealloc(srv->routes, srv->cap_routes * sizeof *srv->routes);
    }
    for (size_t i = 0; i < n; i++)
        srv->routes[srv->n_routes++] = (struct route_entry){&routes[i], style};
}

/* The one thread that accepts connections: libmicrohttpd's own accepting, with a thread
 * pool, lets whichever polling thread wakes first take a whole burst of new connections
 * (64 wrk connections were split 57/11, 53/15, 49/19 between two threads), and the busier
 * thread's clients wait behind each other while the other thread idles.
 * MHD_add_connection hands each connection to a pool thread by its descriptor number
 * (descriptor modulo the pool size), which spreads a burst evenly (32/32). */
static void *accept_main(void *arg)
{
    struct http_server *srv = arg;
    bool warned = false; /* about the current run of failures */
    while (!srv->accept_stop) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(srv->listen_fd, (struct sockaddr *)&ss, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (srv->accept_stop)
                break;
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN || errno == EPROTO)
                continue;
            /* Out of descriptors or memory: let connections close before trying again
             * (the client waits in the listen backlog meanwhile). */
            if (!warned)
                log_warn("cannot accept connections: %s (retrying)", strerror(errno));
            warned = true;
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
            continue;
        }
        warned = false;
        /* On failure (connection limit, no memory) libmicrohttpd closes the socket. */
        if (MHD_add_connection(srv->daemon, fd, (struct sockaddr *)&ss, len) != MHD_YES)
            log_debug("connection refused by libmicrohttpd");
    }
    return NULL;
}

/* Opens the listening socket on bind_address:port (port 0: any free one); 0 or ERR_*. */
static int open_listen_socket(struct http_server *srv)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, srv->opt.bind_address, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)srv->opt.port);
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, srv->opt.bind_address, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)srv->opt.port);
        len = sizeof *s6;
    } else {
        log_error("bind_address is not an IP address: %s", srv->opt.bind_address);
        return ERR_INVALID;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (ss.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
        log_error("cannot listen on %s:%d: %s", srv->opt.bind_address, srv->opt.port,
                  strerror(errno));
        if (fd >= 0)
            close(fd);
        return ERR_IO;
    }
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        srv->port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
    else
        srv->port = srv->opt.port;
    srv->listen_fd = fd;
    return 0;
}

int http_server_start(struct http_server *srv)
{
    int rc = open_listen_socket(srv);
    if (rc)
        return rc;
    /* MHD_USE_ITC: connections handed over by the acceptor (MHD_add_connection from
     * another thread) wake their polling thread through it; quiescing a thread pool
     * with epoll also races without it. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)srv->opt.threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)srv->opt.max_header_bytes, MHD_OPTION_CONNECTION_TIMEOUT,
        srv->opt.connection_timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK,
        keep_escaped, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
    if (!srv->daemon) {
        log_error("cannot start libmicrohttpd on %s:%d", srv->opt.bind_address, srv->opt.port);
        return ERR_IO;
    }
    pthread_mutex_lock(&srv->work_lock);
    srv->workers = xcalloc(HTTP_WRITE_WORKERS, sizeof *srv->workers); /* started by offload */
    pthread_mutex_unlock(&srv->work_lock);
    if (pthread_create(&srv->acceptor, NULL, accept_main, srv) != 0) {
        log_error("cannot start the accepting thread");
        return ERR_IO;
    }
    srv->acceptor_started = true;
    return 0;
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

int http_server_threads(const struct http_server *srv)
{
    return srv->opt.threads;
}

void http_server_free(struct http_server *srv)
{
    if (!srv)
        return;
    if (srv->acceptor_started) { /* stop accepting: shutdown wakes the blocked accept */
        srv->accept_stop = true;
        shutdown(srv->listen_fd, SHUT_RDWR);
        pthread_join(srv->acceptor, NULL);
    }
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    if (srv->daemon) {
        /* Let in-flight requests finish (bounded), then stop. */
        for (int i = 0; i < 500 && srv->in_flight > 0; i++) {
            /* Wake whatever sleeps (long-polls, streams): their handlers answer or
             * end; nothing may go back to sleep once stopping is set. */
            pthread_mutex_lock(&srv->suspend_lock);
            srv->stopping = true;
            while (srv->sleeping) {
                srv->sleeping->pub.resumed = true;
                wake_locked(srv, srv->sleeping);
            }
            pthread_mutex_unlock(&srv->suspend_lock);
            struct timespec ten_ms = {0, 10 * 1000 * 1000};
            nanosleep(&ten_ms, NULL);
        }
        /* From here new requests are refused: keep-alive clients that go on sending would
         * otherwise start requests that suspend (deferred sends) after the wait above,
         * and libmicrohttpd aborts the process when it stops with a suspended connection. */
        srv->draining = true;
        /* Workers finish what is queued (each resumes its connection), then exit. */
        pthread_mutex_lock(&srv->work_lock);
        srv->workers_stop = true;
        pthread_cond_broadcast(&srv->work_cond);
        size_t n_workers = srv->n_workers; /* none starts once workers_stop is set */
        pthread_mutex_unlock(&srv->work_lock);
        for (size_t i = 0; i < n_workers; i++)
            pthread_join(srv->workers[i], NULL);
        srv->n_workers = 0;
        while (srv->n_inline > 0) { /* an inline handler past its draining check defers */
            struct timespec ms = {0, 1000 * 1000};
            nanosleep(&ms, NULL);
        }
        /* Deferred requests end once their work is done (a send: once the database writer,
         * still running, has committed it); until then their connections stay suspended
         * and they are still to be answered. */
        for (int i = 0; srv->n_deferred > 0; i++) {
            if (i == 3000) { /* 30 s */
                log_error("%d deferred requests never finished; not stopping the HTTP server",
                          (int)srv->n_deferred);
                return;
            }
            struct timespec ten_ms = {0, 10 * 1000 * 1000};
            nanosleep(&ten_ms, NULL);
        }
        pthread_mutex_lock(&srv->suspend_lock);
        srv->stopping = true;
        while (srv->sleeping)
            wake_locked(srv, srv->sleeping);
        pthread_mutex_unlock(&srv->suspend_lock);
        MHD_stop_daemon(srv->daemon);
    }
    free(srv->workers);
    pthread_cond_destroy(&srv->work_cond);
    pthread_mutex_destroy(&srv->work_lock);
    pthread_mutex_destroy(&srv->suspend_lock);
    free(srv->routes);
    http_proxies_free(srv->proxies);
    free(srv);
}
