/* models.c: which models the AI API serves and loading them: every *.gguf in [llm] models_dir
 * (id = file name without .gguf), the [llm] models list (id=path,...) and the [llm]
 * upstream_models list (id=url|key,...). Local models are mmap'd and get their worker in one
 * background thread, so the server answers at once (503 for a model still loading). */
#define LOG_MODULE "ai"
#include "ai/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "http/curl_lib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void add_model(struct ai *ai, const char *id, size_t id_len, const char *path,
                      const char *url, const char *key, const char *remote)
{
    for (size_t i = 0; i < ai->n_models; i++)
        if (strlen(ai->models[i].id) == id_len && memcmp(ai->models[i].id, id, id_len) == 0) {
            log_warn("model id=%.*s declared twice, the first one is kept", (int)id_len, id);
            return;
        }
    ai->models = xrealloc(ai->models, (ai->n_models + 1) * sizeof *ai->models);
    struct ai_model *m = &ai->models[ai->n_models++];
    memset(m, 0, sizeof *m);
    m->id = xmalloc(id_len + 1);
    memcpy(m->id, id, id_len);
    m->id[id_len] = '\0';
    m->path = path ? xstrdup(path) : NULL;
    m->upstream_url = url ? xstrdup(url) : NULL;
    m->upstream_key = key && key[0] ? xstrdup(key) : NULL;
    m->upstream_model = url ? (remote && remote[0] ? xstrdup(remote) : xstrdup(m->id)) : NULL;
    m->created = clock_now_ms() / 1000;
    struct stat st;
    if (path && stat(path, &st) == 0)
        m->created = (int64_t)st.st_mtime;
    m->state = url ? AI_MODEL_READY : AI_MODEL_LOADING;
    m->opt_temperature = -1;
    m->opt_top_p = -1;
}

/* Applies "key=value|key=value" settings to the last model added. */
static void apply_settings(struct ai *ai, char *s)
{
    struct ai_model *m = &ai->models[ai->n_models - 1];
    while (s && *s) {
        char *next = strchr(s, '|');
        if (next)
            *next++ = '\0';
        char *eq = strchr(s, '=');
        bool ok = eq != NULL;
        if (ok) {
            *eq = '\0';
            const char *v = eq + 1;
            char *end = NULL;
            double d = strtod(v, &end);
            ok = end != v && *end == '\0' && d >= 0 && d <= 1e7;
            if (ok && strcmp(s, "ctx") == 0)
                m->opt_ctx = (int)d;
            else if (ok && strcmp(s, "slots") == 0 && d >= 1 && d <= 64)
                m->opt_slots = (int)d;
            else if (ok && strcmp(s, "threads") == 0)
                m->opt_threads = (int)d;
            else if (ok && strcmp(s, "max_tokens") == 0 && d >= 1)
                m->opt_max_tokens = (int)d;
            else if (ok && strcmp(s, "temperature") == 0 && d <= 2)
                m->opt_temperature = d;
            else if (ok && strcmp(s, "top_p") == 0 && d <= 1)
                m->opt_top_p = d;
            else
                ok = false;
        }
        if (!ok)
            log_warn("model id=%s: setting '%s' ignored (ctx, slots, threads, max_tokens, "
                     "temperature or top_p with a value in range)",
                     m->id, s);
        s = next;
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(struct ai *ai, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".gguf") != 0)
            continue; /* .gguf.part downloads are never served */
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 1) /* names is NULL when the folder has no model */
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        size_t id_len = strlen(names[i]) - 5;
        names[i][id_len] = '\0'; /* the id: the name without .gguf */
        bool declared = ai_model_find(ai, names[i]) != NULL;
        names[i][id_len] = '.';
        if (declared) {
            free(names[i]);
            continue;
        }
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = xmalloc(len);
        snprintf(path, len, "%s/%s", dir, names[i]);
        add_model(ai, names[i], strlen(names[i]) - 5, path, NULL, NULL, NULL);
        free(path);
        free(names[i]);
    }
    free(names);
}

/* Parses "id=value,id=value": calls add for each entry (value split at '|' for upstreams). */
static void parse_list(struct ai *ai, const char *list, bool upstream)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq && eq > p) {
            char *value = xmalloc(len + 1);
            size_t vlen = len - (size_t)(eq + 1 - p);
            memcpy(value, eq + 1, vlen);
            value[vlen] = '\0';
            if (upstream) {
                char *key = strchr(value, '|');
                if (key)
                    *key++ = '\0';
                char *remote = key ? strchr(key, '|') : NULL;
                if (remote)
                    *remote++ = '\0';
                add_model(ai, p, (size_t)(eq - p), NULL, value, key, remote);
            } else {
                char *settings = strchr(value, '|');
                if (settings)
                    *settings++ = '\0';
                size_t before = ai->n_models;
                add_model(ai, p, (size_t)(eq - p), value, NULL, NULL, NULL);
                if (settings && ai->n_models > before)
                    apply_settings(ai, settings);
            }
            free(value);
        } else if (len > 0) {
            log_warn("[llm] %s: entry '%.*s' is not id=value",
                     upstream ? "upstream_models" : "models", (int)len, p);
        }
        p = end ? end + 1 : p + len;
    }
}

static void load_one(struct ai *ai, struct ai_model *m)
{
    int64_t t0 = clock_mono_ns();
    int rc = llm_model_load(m->path, &m->model, m->error, sizeof m->error);
    if (rc == 0) {
        struct llm_model_info info;
        llm_model_get_info(m->model, &info);
        m->n_ctx = m->opt_ctx > 0 ? m->opt_ctx : (int)ai->cfg->llm_ctx;
        if (info.n_ctx_train > 0 && info.n_ctx_train < m->n_ctx)
            m->n_ctx = info.n_ctx_train;
        m->n_embd = info.n_embd;
        m->n_vocab = info.n_vocab;
        m->tmpl = llm_template_detect(llm_model_chat_template(m->model));
        if (!llm_model_vocab(m->model)) {
            snprintf(m->error, sizeof m->error, "the model file has no tokenizer");
            rc = ERR_UNSUPPORTED;
        } else {
            rc = ai_worker_new(m, ai->cfg, &m->worker, m->error, sizeof m->error);
        }
    }
    if (rc != 0) {
        log_error("model id=%s path=%s failed to load: %s", m->id, m->path, m->error);
        m->state = AI_MODEL_FAILED;
        return;
    }
    log_info("model id=%s loaded ms=%.1f n_ctx=%d slots=%lld template=%s", m->id,
             (double)(clock_mono_ns() - t0) / 1e6, m->n_ctx,
             (long long)(m->opt_slots ? m->opt_slots : ai->cfg->llm_slots),
             llm_template_name(m->tmpl));
    m->state = AI_MODEL_READY;
}

static void *loader_main(void *arg)
{
    struct ai *ai = arg;
    for (size_t i = 0; i < ai->n_models && !ai->stopping; i++)
        if (ai->models[i].path)
            load_one(ai, &ai->models[i]);
    return NULL;
}

struct ai *ai_new(const struct config *cfg)
{
    struct ai *ai = xcalloc(1, sizeof *ai);
    ai->cfg = cfg;
    const char *dir = cfg->llm_models_dir;
    char *abs = NULL;
    if (dir[0] && dir[0] != '/') {
        size_t len = strlen(cfg->data_dir) + strlen(dir) + 2;
        abs = xmalloc(len);
        snprintf(abs, len, "%s/%s", cfg->data_dir, dir);
        dir = abs;
    }
    parse_list(ai, cfg->llm_models, false); /* first: a declared id overrides the folder's */
    parse_list(ai, cfg->llm_upstream_models, true);
    if (dir[0])
        scan_dir(ai, dir);
    log_info("ai models=%zu dir=%s", ai->n_models, dir);
    free(abs);
    /* libcurl (dlopened with the TLS library it initialises, ~3 MB of RSS) is loaded here
     * only when a model is forwarded, so the first forwarded request does not wait for it;
     * otherwise its first user (a push gateway, a URL preview) loads it. */
    for (size_t i = 0; i < ai->n_models; i++) {
        if (ai->models[i].upstream_url) {
            char lib_err[200];
            if (!http_curl_get(lib_err, sizeof lib_err))
                log_error("%s: upstream models will answer 502", lib_err);
            break;
        }
    }
    if (ai->n_models > 0 && pthread_create(&ai->loader, NULL, loader_main, ai) == 0)
        ai->loader_running = true;
    return ai;
}

struct ai_model *ai_model_find(struct ai *ai, const char *id)
{
    for (size_t i = 0; i < ai->n_models; i++)
        if (strcmp(ai->models[i].id, id) == 0)
            return &ai->models[i];
    return NULL;
}

void ai_stop(struct ai *ai)
{
    if (!ai)
        return;
    ai->stopping = true;
    if (ai->loader_running) {
        pthread_join(ai->loader, NULL);
        ai->loader_running = false;
    }
    for (size_t i = 0; i < ai->n_models; i++)
        ai_worker_stop(ai->models[i].worker);
    ai_upstream_stop(ai);
}

void ai_free(struct ai *ai)
{
    if (!ai)
        return;
    ai_stop(ai);
    for (size_t i = 0; i < ai->n_models; i++) {
        struct ai_model *m = &ai->models[i];
        ai_worker_free(m->worker);
        llm_model_unref(m->model);
        free(m->id);
        free(m->path);
        free(m->upstream_url);
        free(m->upstream_key);
        free(m->upstream_model);
    }
    free(ai->models);
    free(ai);
}
