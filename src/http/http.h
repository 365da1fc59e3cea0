/* http.h: the HTTP layer between libmicrohttpd and the API handlers.
 *
 * libmicrohttpd owns sockets, parsing and keep-alive and runs requests on its
 * thread pool. This layer collects the body (bounded), matches the route,
 * parses JSON bodies (bounded depth, UTF-8 checked), authenticates through the
 * application's callback, applies rate limits, calls the handler and writes
 * its reply with CORS headers. It logs one line per request.
 *
 * A handler fills a struct http_reply. Errors are values: http_reply_error()
 * with an errcode; the route table's error style decides how they are written
 * (Matrix {errcode,error} or OpenAI {error:{message,type,code}}).
 *
 * Long-poll: a handler may call http_request_suspend(); some other thread later
 * calls http_request_resume(), and the route's handler runs again on a request
 * thread with req->resumed set. */
#ifndef RELAIS_HTTP_HTTP_H
#define RELAIS_HTTP_HTTP_H

#include "base/arena.h"
#include "base/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum http_method {
    HTTP_GET = 1,
    HTTP_POST = 2,
    HTTP_PUT = 4,
    HTTP_DELETE = 8,
    HTTP_OPTIONS = 16,
    HTTP_HEAD = 32,
};

enum http_error_style { HTTP_ERRORS_MATRIX, HTTP_ERRORS_OPENAI };

enum { HTTP_MAX_PARAMS = 6, HTTP_REPLY_MAX_HEADERS = 6 };

struct http_route;
struct http_server;

/* One request. Lives from the first byte to the end of the response; its
 * arena is freed then. Touched by one request thread at a time. */
struct http_request {
    struct http_server *server;  /* borrowed */
    void *conn;                  /* struct MHD_Connection *, borrowed */
    const struct http_route *route; /* matched route, NULL if none */
    enum http_method method;
    const char *method_name;     /* "GET" ... as received */
    const char *path;            /* raw (still percent-encoded), without the query */
    const char *params[HTTP_MAX_PARAMS]; /* decoded path parameters, in pattern order */
    size_t n_params;
    struct arena arena;          /* request-lifetime memory */
    struct buf body;             /* raw body, bounded by the server's limit */
    bool body_too_large;         /* the body passed the limit and was dropped */
    int body_fd;                 /* ROUTE_RAW_BODY with raw_body_dir: the body in an unlinked
                                    temporary file (owned by the request; a handler may link
                                    it into place), else -1 and the body is in body */
    uint64_t body_fd_len;        /* bytes written to body_fd */
    json_t *json;                /* parsed body for ROUTE_JSON routes (owned by the request) */
    char client_ip[64];          /* the client's address (text): the peer's, or behind a
                                    trusted proxy the one it forwards for (http/proxy.h) */
    char peer_ip[64];            /* text form of the connection's peer address */
    const char *user_id;         /* set by authentication (arena) */
    const char *device_id;       /* set by authentication (arena) */
    bool is_admin;               /* set by authentication */
    void *auth_data;             /* application's authentication result, may be NULL */
    bool suspended;              /* waiting for http_request_resume */
    bool resumed;                /* the handler is being called again after a resume */
    void *handler_state;         /* a suspended handler's own state (owned by the handler) */
    void (*handler_state_free)(void *state); /* frees handler_state when the request ends */
    int64_t start_ns;            /* monotonic time the request started */
    int status_logged;           /* status sent, for the access log */
};

/* What a handler answers. Exactly one body kind is set. */
struct http_reply {
    int status;               /* HTTP status; 0 means 200 */
    json_t *json;             /* owned body, sent as application/json */
    char *body;               /* owned raw body (free()), with content_type */
    size_t body_len;
    const char *content_type; /* static string for body */
    const char *errcode;      /* set by http_reply_error */
    const char *error_param;  /* OpenAI style: the offending parameter (static), or NULL */
    char error[256];          /* message for errcode */
    int64_t retry_after_ms;   /* for 429, >0 adds retry_after_ms */
    json_t *error_extra;      /* owned; its keys are added to a Matrix error body (soft_logout, UIA) */
    const char *extra_header_name;  /* one optional extra header (static strings) */
    const char *extra_header_value;
    /* More headers, added with http_reply_header (static or request-arena strings). */
    struct {
        const char *name;  /* header name */
        const char *value; /* header value */
    } headers[HTTP_REPLY_MAX_HEADERS];
    size_t n_headers;        /* headers[] used */
    /* A file as the body (sent with sendfile where the platform allows): with
     * has_file, file_fd (owned; closed once sent) gives file_size bytes from
     * its start, with content_type. */
    bool has_file;
    int file_fd;
    uint64_t file_size;
    /* Streaming (server-sent events): when stream_fn is set, the body is
     * produced by calling it until it returns -1 (end). */
    long (*stream_fn)(void *state, uint64_t pos, char *out, size_t max);
    void *stream_state;
    void (*stream_free)(void *state);
};

typedef void (*http_handler_fn)(struct http_request *req, struct http_reply *rep);

enum http_route_flags {
    ROUTE_AUTH = 1 << 0,          /* a valid access token is required */
    ROUTE_AUTH_OPTIONAL = 1 << 1, /* authenticate if a token is present */
    ROUTE_JSON = 1 << 2,          /* the body must be a JSON object (req->json) */
    ROUTE_JSON_OPTIONAL = 1 << 3, /* an empty body is accepted as {} */
    ROUTE_RL_LOGIN = 1 << 4,      /* rate-limited as a login attempt */
    ROUTE_RL_REGISTER = 1 << 5,   /* rate-limited as a registration */
    ROUTE_ADMIN = 1 << 6,         /* the authenticated user must be an admin */
    ROUTE_RAW_BODY = 1 << 7,      /* an opaque body (uploads) bounded by max_raw_body_bytes
                                     instead of max_body_bytes; a larger Content-Length is
                                     answered 413 without reading the body */
    ROUTE_INLINE = 1 << 8,        /* a write (PUT, POST, DELETE) whose handler runs on the
                                     polling thread, not on a write worker: it never waits
                                     (it defers, or calls http_request_offload first) */
};

struct http_route {
    unsigned methods;        /* HTTP_GET | ... */
    const char *pattern;     /* "/_matrix/client/v3/profile/{userId}/displayname" */
    http_handler_fn handler;
    unsigned flags;          /* enum http_route_flags */
};

/* Authentication callback: validate the request's token, set user_id and
 * device_id; on failure fill rep with the error and return non-zero. */
typedef int (*http_auth_fn)(void *app, struct http_request *req, struct http_reply *rep,
                            bool required);
/* Rate-limit callback: return non-zero and fill rep (429) to refuse. */
typedef int (*http_ratelimit_fn)(void *app, struct http_request *req, struct http_reply *rep,
                                 unsigned route_flags);

struct http_server_options {
    const char *bind_address;  /* IPv4 or IPv6 literal */
    int port;                  /* 0 = any free port (see http_server_port) */
    int threads;               /* polling threads; 0: four per core (at most 64) */
    size_t max_body_bytes;     /* request body ceiling */
    size_t max_raw_body_bytes; /* body ceiling for ROUTE_RAW_BODY routes (0: max_body_bytes) */
    const char *raw_body_dir;  /* ROUTE_RAW_BODY bodies are written to unlinked files here
                                  (O_TMPFILE), not kept in memory; NULL: in memory */
    size_t max_json_depth;     /* JSON nesting ceiling */
    size_t max_header_bytes;   /* per-connection header memory */
    const char *trusted_proxies; /* addresses/CIDR ranges whose X-Forwarded-For is believed
                                    (http/proxy.h); NULL or "" for none. Borrowed. */
    unsigned connection_timeout_s;
    void *app;                 /* passed to callbacks and handlers (req->server's app) */
    http_auth_fn authenticate;
    http_ratelimit_fn ratelimit;
};

/* Creates a server; routes are added before start. Returns NULL only on
 * invalid options (a bad trusted_proxies entry; logged). */
struct http_server *http_server_new(const struct http_server_options *opt);
/* Adds a table of routes (borrowed: must outlive the server). Paths starting
 * with prefix use the given error style. */
void http_server_add_routes(struct http_server *srv, const struct http_route *routes, size_t n,
                            enum http_error_style style);
/* Starts listening; returns 0 or ERR_IO (address in use ...). */
int http_server_start(struct http_server *srv);
/* The bound port (useful with port 0). */
int http_server_port(const struct http_server *srv);
/* Polling threads in use (the options' threads, or the default when those were 0). */
int http_server_threads(const struct http_server *srv);
/* Stops accepting, finishes in-flight requests, frees everything. */
void http_server_free(struct http_server *srv);
void *http_server_app(const struct http_server *srv);

/* ---- request helpers ---- */

/* Decoded query parameter (arena), or NULL when absent. */
const char *http_query(struct http_request *req, const char *name);
/* Request header value (borrowed), or NULL. */
const char *http_header(struct http_request *req, const char *name);
/* Suspends the request (call from the handler, then return). */
void http_request_suspend(struct http_request *req);
/* Wakes a suspended request: its handler runs again with req->resumed = true.
 * Thread-safe; call at most once per suspend. */
void http_request_resume(struct http_request *req);
/* Asynchronous completion: the handler calls http_request_defer(req), hands req to
 * whoever finishes the work, and returns without touching rep again; that thread later
 * calls http_request_finish(req, rep) exactly once (rep's contents are moved into the
 * request) and the polling thread sends the reply, without calling the handler again.
 * The request (params, json, body) stays valid until then, even while the server stops;
 * it may be finished before the handler has returned. Thread-safe. */
void http_request_defer(struct http_request *req);
void http_request_finish(struct http_request *req, struct http_reply *rep);
/* ROUTE_INLINE handlers: http_request_may_wait says whether the handler runs where it may
 * wait (a write worker, or no worker could be had). When it may not and it would have to,
 * it calls http_request_offload(req) and returns without touching rep: a write worker
 * calls the handler again from the start (a deferral made before is undone). */
bool http_request_may_wait(const struct http_request *req);
void http_request_offload(struct http_request *req);

/* Streamed replies (stream_fn): when the producer has nothing ready, the stream_fn calls
 * http_stream_wait(req) and returns 0; the connection sleeps (no polling, no blocked thread)
 * until some other thread calls http_stream_wake(req), then stream_fn is called again.
 * Call wake at most once per wait; a wake that comes before the wait took effect is kept.
 * req must be the request whose reply is being streamed (it lives until that reply ends). */
void http_stream_wait(struct http_request *req);
void http_stream_wake(struct http_request *req);

/* ---- reply helpers ---- */

/* Adds a response header (name and value static or in the request arena);
 * past HTTP_REPLY_MAX_HEADERS it is an internal bug (asserted). */
void http_reply_header(struct http_reply *rep, const char *name, const char *value);

/* Sets a JSON body (taking ownership) and status. */
void http_reply_json(struct http_reply *rep, int status, json_t *body);
/* Sets an error: status, errcode (a static string such as "M_FORBIDDEN") and
 * a printf-style message. */
void http_reply_error(struct http_reply *rep, int status, const char *errcode, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Percent-decodes src[0..len) into the arena; with plus_is_space, '+' becomes
 * ' ' (query strings). Returns NULL on a bad escape or an embedded NUL. */
char *http_percent_decode(struct arena *a, const char *src, size_t len, bool plus_is_space);

/* Matches path against pattern; on success fills params (decoded, in the
 * arena) and returns true. A pattern segment "v3" under /_matrix/client also
 * matches "r0". Exposed for unit tests. */
bool http_route_match(const char *pattern, const char *path, struct arena *a,
                      const char **params, size_t *n_params);

#endif
