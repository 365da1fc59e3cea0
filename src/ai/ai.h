/* ai.h: the OpenAI-compatible AI API (/v1) served by relais: models, the scheduler that
 * decodes several requests together per local model, and the HTTP routes.
 *
 * Ownership: server_run creates one struct ai (ai_new) after the database, registers the
 * routes, and at shutdown calls ai_stop (every waiting or running request is answered so the
 * HTTP server can stop) before http_server_free, then ai_free. Models load in a background
 * thread; requests for a model still loading are answered 503. See docs/internals/ai.md. */
#ifndef RELAIS_AI_AI_H
#define RELAIS_AI_AI_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>

struct ai;
struct http_server;

/* Collects the models (models_dir's *.gguf, [llm] models) and starts loading them in a
 * background thread. Always succeeds; a model that fails to load is reported by its requests. */
struct ai *ai_new(const struct config *cfg);
/* Ends every queued and running request (answered 503) and stops the workers. */
void ai_stop(struct ai *ai);
/* Frees everything (after ai_stop and after the HTTP server is gone). NULL is ignored. */
void ai_free(struct ai *ai);
/* Adds the /v1 routes (OpenAI error style). */
void ai_routes_register(struct http_server *http);

/* pull.c: downloads spec (an http(s) URL of a .gguf file, or a Hugging Face reference
 * owner/repo/path.gguf) into dir as described in pull.c. Returns 0 with the final path
 * (owned) in *out_path, or ERR_EXISTS / ERR_IO / ERR_INVALID with a reason in err. */
int ai_pull(const char *spec, const char *dir, const char *sha256_hex, bool progress,
            char **out_path, char *err, size_t err_len);

#endif
