/* options.c: the one table of configuration options, and everything derived
 * from it: defaults, parsing with bounds, and the commented config writer. */
#include "config/config.h"

#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"

#include <stddef.h>
#include <string.h>

enum option_type { OPT_STRING, OPT_INT, OPT_REGISTRATION, OPT_LIST };

struct option {
    const char *section;     /* INI section */
    const char *name;        /* key */
    enum option_type type;   /* how the text is parsed */
    size_t offset;           /* into struct config */
    const char *default_str; /* default, as it would be written in the file */
    int64_t min, max;        /* bounds for OPT_INT */
    const char *description; /* one line, written above the option */
};

#define OFF(field) offsetof(struct config, field)

static const struct option options[] = {
    {"server", "server_name", OPT_STRING, OFF(server_name), "localhost", 0, 0,
     "The domain of this server: users are @name:server_name. Cannot change once users exist."},
    {"server", "public_baseurl", OPT_STRING, OFF(public_baseurl), "http://localhost:8008", 0, 0,
     "The URL clients use to reach this server (served in /.well-known/matrix/client)."},
    {"server", "data_dir", OPT_STRING, OFF(data_dir), "", 0, 0,
     "Folder for the database, keys and media. Empty: the folder of this file."},
    {"server", "signing_key_path", OPT_STRING, OFF(signing_key_path), "signing.key", 0, 0,
     "The server's ed25519 signing key (created by `relais init`, mode 0600)."},
    {"http", "bind_address", OPT_STRING, OFF(bind_address), "127.0.0.1", 0, 0,
     "Address to listen on (IPv4 or IPv6 literal). Use 0.0.0.0 behind a reverse proxy."},
    {"http", "port", OPT_INT, OFF(port), "8008", 0, 65535, "TCP port to listen on."},
    {"http", "threads", OPT_INT, OFF(http_threads), "0", 0, 256,
     "Request (polling) threads. 0: four per CPU core, at most 64."},
    {"http", "max_body_bytes", OPT_INT, OFF(max_body_bytes), "1048576", 1024, 1073741824,
     "Largest request body accepted; larger ones are answered 413 M_TOO_LARGE."},
    {"http", "max_json_depth", OPT_INT, OFF(max_json_depth), "64", 2, 1000,
     "Deepest JSON nesting accepted in a request body."},
    {"http", "max_header_bytes", OPT_INT, OFF(max_header_bytes), "32768", 4096, 1048576,
     "Memory for one connection's request line and headers (libmicrohttpd clears it for "
     "every request: larger costs CPU per request)."},
    {"http", "connection_timeout_s", OPT_INT, OFF(connection_timeout_s), "90", 5, 3600,
     "Idle keep-alive connections are closed after this many seconds."},
    {"http", "trusted_proxies", OPT_LIST, OFF(trusted_proxies), "", 0, 0,
     "Reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is "
     "believed: the rightmost address in it that is not such a proxy is then the client's, "
     "for rate limits and the log. Empty: the header is ignored."},
    {"database", "path", OPT_STRING, OFF(database_path), "relais.db", 0, 0,
     "SQLite database file (WAL mode, synchronous writes)."},
    {"database", "read_connections", OPT_INT, OFF(db_read_connections), "0", 0, 256,
     "Reserved: read connections are opened one per request thread."},
    {"registration", "mode", OPT_REGISTRATION, OFF(registration), "token", 0, 0,
     "Who may create an account: disabled, token (needs a registration token) or open."},
    {"registration", "password_min_length", OPT_INT, OFF(password_min_length), "8", 0, 1024,
     "Shortest password accepted at registration and password change."},
    {"registration", "argon2_ops", OPT_INT, OFF(argon2_ops), "2", 1, 100,
     "argon2id time cost for password hashes."},
    {"registration", "argon2_mem_kib", OPT_INT, OFF(argon2_mem_kib), "65536", 8, 4194304,
     "argon2id memory cost in KiB for password hashes."},
    {"registration", "access_token_lifetime_ms", OPT_INT, OFF(access_token_lifetime_ms), "0", 0,
     INT64_C(31536000000),
     "Lifetime of access tokens for clients that ask for refresh tokens. 0: no expiry."},
    {"ratelimit", "login_per_minute", OPT_INT, OFF(login_per_minute), "30", 1, 1000000,
     "Login attempts allowed per client address per minute."},
    {"ratelimit", "login_burst", OPT_INT, OFF(login_burst), "10", 1, 1000000,
     "Login attempts a client address may make at once."},
    {"ratelimit", "register_per_minute", OPT_INT, OFF(register_per_minute), "10", 1, 1000000,
     "Registration requests allowed per client address per minute."},
    {"ratelimit", "register_burst", OPT_INT, OFF(register_burst), "5", 1, 1000000,
     "Registration requests a client address may make at once."},
    {"media", "max_upload_bytes", OPT_INT, OFF(media_max_upload_bytes), "52428800", 1024,
     1073741824, "Largest media upload; larger ones are answered 413 M_TOO_LARGE unread."},
    {"media", "max_thumbnail_source_pixels", OPT_INT, OFF(media_max_thumbnail_source_pixels),
     "33554432", 1, 1073741824, "Images with more pixels than this get no thumbnail."},
    {"media", "max_thumbnail_side", OPT_INT, OFF(media_max_thumbnail_side), "1600", 8, 1600,
     "Largest thumbnail width or height; requested sides are rounded down to one of "
     "8, 16, 24, 32, 48, 64, 96, 128, 160, 240, 320, 480, 640, 800, 960, 1280, 1600."},
    {"media", "legacy_unauthenticated", OPT_INT, OFF(media_legacy_unauthenticated), "0", 0, 1,
     "1: also serve the unauthenticated /_matrix/media/v3/download and thumbnail "
     "endpoints; 0: they answer 404 M_NOT_FOUND (frozen, as Synapse does)."},
    {"media", "url_preview_enabled", OPT_INT, OFF(media_url_preview_enabled), "0", 0, 1,
     "1: answer /_matrix/client/v1/media/preview_url by fetching the page (OpenGraph "
     "title, description, image); 0: it answers 404 M_UNRECOGNIZED."},
    {"media", "url_preview_ip_range_blacklist", OPT_STRING,
     OFF(media_url_preview_ip_range_blacklist), "default", 0, 0,
     "Addresses URL previews never connect to (CIDR, comma-separated; \"default\": private, "
     "loopback, link-local, CGNAT, multicast, reserved; see docs/internals/media.md)."},
    {"media", "url_preview_ip_range_whitelist", OPT_STRING,
     OFF(media_url_preview_ip_range_whitelist), "", 0, 0,
     "Exceptions to url_preview_ip_range_blacklist (CIDR ranges, comma-separated)."},
    {"media", "url_preview_max_spider_size", OPT_INT, OFF(media_url_preview_max_spider_size),
     "10485760", 1024, 1073741824,
     "Largest page or image a URL preview downloads; larger ones fail with 502 M_TOO_LARGE."},
    {"media", "url_preview_timeout_ms", OPT_INT, OFF(media_url_preview_timeout_ms), "20000",
     100, 300000, "A URL preview's fetch (connect, redirects, download) is given up after this."},
    {"media", "url_preview_cache_lifetime_ms", OPT_INT, OFF(media_url_preview_cache_lifetime_ms),
     "3600000", 0, 86400000,
     "A URL's preview is answered from the database for this long (Synapse: one hour)."},
    {"user_directory", "search_all_users", OPT_INT, OFF(user_directory_search_all), "0", 0, 1,
     "1: the user directory searches every local user (as government directories need); "
     "0: only users sharing a room with the searcher or in public rooms."},
    {"presence", "enabled", OPT_INT, OFF(presence_enabled), "1", 0, 1,
     "1: users see the presence (online, unavailable, offline) of those they share a room "
     "with; 0: presence is neither recorded nor sent (everyone reads offline)."},
    {"presence", "idle_timeout_ms", OPT_INT, OFF(presence_idle_timeout_ms), "300000", 100,
     86400000, "An online user without activity for this long becomes unavailable."},
    {"presence", "offline_timeout_ms", OPT_INT, OFF(presence_offline_timeout_ms), "30000", 100,
     86400000, "A user becomes offline this long after their last /sync ended."},
    {"log", "level", OPT_STRING, OFF(log_level), "info", 0, 0,
     "Least severe level written: debug, info, warn or error."},
    {"log", "file", OPT_STRING, OFF(log_file), "", 0, 0,
     "Log file (reopened on SIGHUP). Empty: standard error."},
    {"llm", "models_dir", OPT_STRING, OFF(llm_models_dir), "models", 0, 0,
     "AI API: every *.gguf file in this folder is served, its file name being the model id "
     "(relative to data_dir)."},
    {"llm", "models", OPT_LIST, OFF(llm_models), "", 0, 0,
     "AI API: more local models: id=/path/file.gguf|ctx=4096|slots=4|threads=2|temperature=0.7|"
     "top_p=0.9|max_tokens=512,... (settings optional; repeat the line to add more)"},
    {"llm", "upstream_models", OPT_LIST, OFF(llm_upstream_models), "", 0, 0,
     "AI API: models forwarded to an OpenAI-compatible server: id=https://host/v1|KEY|name,... "
     "(KEY and name optional; repeat the line to add more)"},
    {"llm", "slots", OPT_INT, OFF(llm_slots), "4", 1, 64,
     "AI API: requests decoded together (continuous batching) per local model."},
    {"llm", "queue", OPT_INT, OFF(llm_queue), "32", 1, 100000,
     "AI API: requests waiting per model; more are answered 429."},
    {"llm", "ctx", OPT_INT, OFF(llm_ctx), "2048", 16, 1048576,
     "AI API: context length (prompt + completion tokens) per request, capped by the model."},
    {"llm", "threads", OPT_INT, OFF(llm_threads), "0", 0, 256,
     "AI API: decode threads per local model. 0: one per CPU core."},
    {"llm", "max_tokens", OPT_INT, OFF(llm_max_tokens), "256", 1, 1048576,
     "AI API: completion tokens when a request does not set max_tokens."},
    {"llm", "upstream_timeout_s", OPT_INT, OFF(llm_upstream_timeout_s), "300", 1, 86400,
     "AI API: a forwarded request taking longer is answered 504."},
};

enum { N_OPTIONS = sizeof options / sizeof options[0] };

static const char *const registration_names[] = {"disabled", "token", "open"};

const char *config_registration_name(enum registration_mode mode)
{
    return registration_names[mode];
}

static void *field(struct config *cfg, const struct option *o)
{
    return (char *)cfg + o->offset;
}

static const void *cfield(const struct config *cfg, const struct option *o)
{
    return (const char *)cfg + o->offset;
}

static int option_set(struct config *cfg, const struct option *o, const char *value, char *err,
                      size_t err_len)
{
    switch (o->type) {
    case OPT_STRING: {
        char **p = field(cfg, o);
        free(*p);
        *p = xstrdup(value);
        return 0;
    }
    case OPT_LIST: { /* each assignment adds entries (a value of "" clears) */
        char **p = field(cfg, o);
        if (!*p || !(*p)[0] || !value[0]) {
            free(*p);
            *p = xstrdup(value);
        } else {
            size_t len = strlen(*p) + strlen(value) + 2;
            char *joined = xmalloc(len);
            snprintf(joined, len, "%s,%s", *p, value);
            free(*p);
            *p = joined;
        }
        return 0;
    }
    case OPT_INT: {
        int64_t v;
        int rc = str_to_i64(value, strlen(value), o->min, o->max, &v);
        if (rc) {
            snprintf(err, err_len, "[%s] %s: '%s' is not a whole number in %lld..%lld",
                     o->section, o->name, value, (long long)o->min, (long long)o->max);
            return ERR_INVALID;
        }
        *(int64_t *)field(cfg, o) = v;
        return 0;
    }
    case OPT_REGISTRATION:
        for (int i = 0; i < 3; i++) {
            if (strcmp(value, registration_names[i]) == 0) {
                *(enum registration_mode *)field(cfg, o) = (enum registration_mode)i;
                return 0;
            }
        }
        snprintf(err, err_len, "[%s] %s: '%s' is not one of disabled, token, open", o->section,
                 o->name, value);
        return ERR_INVALID;
    }
    return ERR_INTERNAL;
}

void config_init_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char err[256];
    for (size_t i = 0; i < N_OPTIONS; i++) {
        int rc = option_set(cfg, &options[i], options[i].default_str, err, sizeof err);
        ASSERT(rc == 0);
    }
}

void config_fini(struct config *cfg)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (options[i].type == OPT_STRING || options[i].type == OPT_LIST) {
            char **p = field(cfg, &options[i]);
            free(*p);
            *p = NULL;
        }
    }
}

int config_set(struct config *cfg, const char *section, const char *name, const char *value,
               char *err, size_t err_len)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (strcmp(options[i].section, section) == 0 && strcmp(options[i].name, name) == 0)
            return option_set(cfg, &options[i], value, err, err_len);
    }
    snprintf(err, err_len, "unknown option [%s] %s", section, name);
    return ERR_INVALID;
}

static void option_value(const struct config *cfg, const struct option *o, char *out, size_t len)
{
    switch (o->type) {
    case OPT_STRING:
    case OPT_LIST:
        snprintf(out, len, "%s", *(char *const *)cfield(cfg, o));
        break;
    case OPT_INT:
        snprintf(out, len, "%lld", (long long)*(const int64_t *)cfield(cfg, o));
        break;
    case OPT_REGISTRATION:
        snprintf(out, len, "%s", registration_names[*(const enum registration_mode *)cfield(cfg, o)]);
        break;
    }
}

/* Writes text as "# " comment lines of at most CONFIG_COMMENT_COLUMNS characters, broken
 * at spaces: libinih reads lines of up to 200 bytes, and splits a longer one into pieces
 * it then parses as settings. */
static void write_comment(FILE *out, const char *text)
{
    enum { CONFIG_COMMENT_COLUMNS = 100 };
    const size_t width = CONFIG_COMMENT_COLUMNS - 2;
    while (*text) {
        size_t len = strlen(text);
        if (len > width) {
            len = width;
            while (len > 0 && text[len] != ' ')
                len--;
            if (len == 0) /* one word longer than a line: cut it */
                len = width;
        }
        fprintf(out, "# %.*s\n", (int)len, text);
        text += len;
        while (*text == ' ')
            text++;
    }
}

void config_write(const struct config *cfg, FILE *out, bool commented_defaults)
{
    fprintf(out, "# relais configuration. Every option is listed with its default.\n"
                 "# Lines starting with # are comments; remove the # to change a value.\n");
    const char *section = "";
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option *o = &options[i];
        if (strcmp(section, o->section) != 0) {
            section = o->section;
            fprintf(out, "\n[%s]\n", section);
        }
        char value[1024];
        option_value(cfg, o, value, sizeof value);
        bool is_default = strcmp(value, o->default_str) == 0;
        write_comment(out, o->description);
        if (o->type == OPT_INT)
            fprintf(out, "# (%lld to %lld, default %s)\n", (long long)o->min, (long long)o->max,
                    o->default_str);
        fprintf(out, "%s%s = %s\n", commented_defaults && is_default ? "# " : "", o->name, value);
    }
}
