/* config.h: the server's configuration, parsed once at start and read-only after.
 *
 * Every option is declared once in options.c (section, name, type, default,
 * bounds, description); the file parser, validation, `--print-config` and the
 * commented sample config written by `relais init` all come from that table.
 * The file format is INI (`[section]` then `key = value`), read with libinih. */
#ifndef RELAIS_CONFIG_CONFIG_H
#define RELAIS_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum registration_mode {
    REGISTRATION_DISABLED, /* only `relais user add` creates accounts */
    REGISTRATION_TOKEN,    /* /register needs m.login.registration_token */
    REGISTRATION_OPEN,     /* anyone may register (m.login.dummy) */
};

struct config {
    /* [server] */
    char *server_name;      /* the domain in @user:server_name */
    char *public_baseurl;   /* what /.well-known/matrix/client advertises */
    char *data_dir;         /* absolute; relative paths below resolve against it */
    char *signing_key_path; /* ed25519 key file, mode 0600 */
    /* [http] */
    char *bind_address;         /* IPv4 or IPv6 literal */
    int64_t port;               /* TCP port */
    int64_t http_threads;       /* libmicrohttpd pool size; 0 = number of cores */
    int64_t max_body_bytes;     /* larger request bodies get 413 M_TOO_LARGE */
    int64_t max_json_depth;     /* deeper JSON gets 400 M_BAD_JSON */
    int64_t max_header_bytes;   /* per-connection header memory */
    int64_t connection_timeout_s; /* idle keep-alive connections closed after this */
    char *trusted_proxies;      /* reverse proxies whose X-Forwarded-For is believed (CIDR list) */
    /* [database] */
    char *database_path;          /* SQLite file */
    int64_t db_read_connections;  /* informational: one per request thread */
    /* [registration] */
    enum registration_mode registration; /* disabled / token / open */
    int64_t password_min_length;         /* bytes */
    int64_t argon2_ops;                  /* argon2id opslimit */
    int64_t argon2_mem_kib;              /* argon2id memlimit in KiB */
    int64_t access_token_lifetime_ms;    /* 0 = tokens do not expire (refresh tokens still issued on request) */
    /* [ratelimit] */
    int64_t login_per_minute; /* login attempts per client address */
    int64_t login_burst;      /* bucket size */
    int64_t register_per_minute;
    int64_t register_burst;
    /* [llm] (the AI API, src/ai/) */
    char *llm_models_dir;        /* every *.gguf here is served (id = file name); relative to data_dir */
    char *llm_models;            /* extra models: "id=/path/file.gguf,..." */
    char *llm_upstream_models;   /* forwarded models: "id=https://base/v1|key,..." */
    int64_t llm_slots;           /* sequences decoded together per model */
    int64_t llm_queue;           /* requests waiting per model before 429 */
    int64_t llm_ctx;             /* positions per sequence (capped by the model) */
    int64_t llm_threads;         /* decode threads per model; 0 = number of cores */
    int64_t llm_max_tokens;      /* default max_tokens */
    int64_t llm_upstream_timeout_s; /* upstream request timeout */
    /* [media] (the content repository, src/media/) */
    int64_t media_max_upload_bytes;    /* larger uploads get 413 M_TOO_LARGE */
    int64_t media_max_thumbnail_source_pixels; /* larger images get no thumbnail */
    int64_t media_max_thumbnail_side;  /* largest thumbnail width or height produced */
    int64_t media_legacy_unauthenticated; /* 1: /_matrix/media/v3/download|thumbnail served */
    int64_t media_url_preview_enabled;    /* 1: preview_url fetches pages */
    char *media_url_preview_ip_range_blacklist; /* CIDR ranges previews never connect to */
    char *media_url_preview_ip_range_whitelist; /* exceptions to the blacklist */
    int64_t media_url_preview_max_spider_size;  /* bytes of a page or image fetched */
    int64_t media_url_preview_timeout_ms;       /* whole fetch of one URL */
    int64_t media_url_preview_cache_lifetime_ms; /* a preview is reused this long */
    /* [user_directory] */
    int64_t user_directory_search_all; /* 1: search every local user, not only room-mates */
    /* [presence] */
    int64_t presence_enabled;            /* 0: presence is neither recorded nor sent */
    int64_t presence_idle_timeout_ms;    /* online -> unavailable after this much inactivity */
    int64_t presence_offline_timeout_ms; /* -> offline this long after the last /sync ended */
    /* [log] */
    char *log_level; /* debug, info, warn, error */
    char *log_file;  /* empty = stderr */
};

/* Fills cfg with every default. Owned strings: free with config_fini. */
void config_init_defaults(struct config *cfg);
void config_fini(struct config *cfg);

/* Reads path (INI) over the defaults. Relative paths resolve against the
 * file's directory (data_dir defaults to it). On error returns ERR_INVALID or
 * ERR_IO with a message in err naming the line and option. */
int config_load(struct config *cfg, const char *path, char *err, size_t err_len);

/* Sets one option from text ("server", "port", "8008"); used by the loader
 * and by command-line overrides. */
int config_set(struct config *cfg, const char *section, const char *name, const char *value,
               char *err, size_t err_len);

/* Writes every option with its description as a commented INI file; the
 * values are cfg's (so `--print-config` shows the effective config). With
 * commented_defaults, options still at their default are written commented out. */
void config_write(const struct config *cfg, FILE *out, bool commented_defaults);

const char *config_registration_name(enum registration_mode mode);

#endif
