/* pushrules.c: the push rules API — GET /pushrules/ and /pushrules/global/,
 * GET/PUT/DELETE /pushrules/global/{kind}/{ruleId} (PUT with before/after),
 * GET/PUT .../enabled and .../actions. A user's changes to the defaults are
 * one JSON document (db/push.h) merged into the default rules (push/push.h).
 * Spec: client-server "Push Rules: API"; errors as Synapse. */
#define LOG_MODULE "pushrules"
#include "client/conversation.h"

#include "base/err.h"
#include "db/db.h"
#include "db/push.h"
#include "http/http.h"
#include "push/push.h"
#include "push/queue.h"
#include "sync/notify.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Serialises read-modify-write of one user's document (all users: simple). */
static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;

/* The user's changes document (owned, never NULL). */
static json_t *load_changes(struct server *srv, const char *user_id, int *rc)
{
    char *text = NULL;
    *rc = db_push_rules_get(srv->db, user_id, &text);
    json_t *doc = NULL;
    if (*rc == 0) {
        json_error_t jerr;
        doc = json_loads(text, 0, &jerr);
    }
    free(text);
    if (*rc == ERR_NOT_FOUND)
        *rc = 0;
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_object();
    }
    static const char *const parts[] = {"rules", "enabled", "actions"};
    for (size_t i = 0; i < 3; i++)
        if (!json_is_object(json_object_get(doc, parts[i])))
            json_object_set_new(doc, parts[i], json_object());
    for (size_t k = 0; k < 5; k++) {
        json_t *rules = json_object_get(doc, "rules");
        if (!json_is_array(json_object_get(rules, push_kinds[k])))
            json_object_set_new(rules, push_kinds[k], json_array());
    }
    return doc;
}

/* Stores the document, and (as Synapse) the whole ruleset as the global
 * account data m.push_rules so the user's other clients see the change in
 * their /sync. */
static int save_changes(struct server *srv, const char *user_id, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    int rc = db_push_rules_put(srv->db, user_id, text);
    free(text);
    push_user_ruleset_changed(user_id);
    if (rc)
        return rc;
    json_t *rs = push_user_ruleset(srv, user_id);
    json_t *ad = json_pack("{s:o}", "global", json_deep_copy(rs));
    json_decref(rs);
    rc = client_account_data_store(srv, user_id, NULL, "m.push_rules", ad);
    json_decref(ad);
    return rc;
}

/* Ends a change made under rules_lock to doc (owned; rc the result so far): saves it when rc
 * is 0, releases the lock and doc, and answers {} or the internal error. */
static void finish_change(struct server *srv, struct http_request *req, struct http_reply *rep,
                          json_t *doc, int rc)
{
    if (!rc)
        rc = save_changes(srv, req->user_id, doc);
    pthread_mutex_unlock(&rules_lock);
    json_decref(doc);
    if (rc)
        client_internal_error(rep, rc);
    else
        http_reply_json(rep, 200, json_object());
}

/* Checks scope and kind (400 M_UNRECOGNIZED as Synapse). */
static bool check_path(struct http_request *req, struct http_reply *rep, bool with_kind)
{
    if (strcmp(req->params[0], "global") != 0) {
        http_reply_error(rep, 400, "M_UNRECOGNIZED", "Push rules must be global");
        return false;
    }
    if (with_kind && !push_kind_valid(req->params[1])) {
        http_reply_error(rep, 400, "M_UNRECOGNIZED", "Unknown push rule kind");
        return false;
    }
    return true;
}

/* The client form of a ruleset: the legacy-free spec shape as served. */
static json_t *ruleset_for(struct server *srv, const char *user_id)
{
    json_t *rs = push_user_ruleset(srv, user_id);
    json_t *copy = json_deep_copy(rs);
    json_decref(rs);
    return copy;
}

/* GET /pushrules/ and /pushrules/global/ (scope in params[0] when present) */
void client_pushrules_get_all(struct http_request *req, struct http_reply *rep)
{
    json_t *rs = ruleset_for(client_server(req), req->user_id);
    if (req->n_params == 0) {
        http_reply_json(rep, 200, json_pack("{s:o}", "global", rs));
        return;
    }
    if (!check_path(req, rep, false)) {
        json_decref(rs);
        return;
    }
    http_reply_json(rep, 200, rs);
}

/* The rule in the merged ruleset (borrowed from rs), or NULL. */
static json_t *find_rule(json_t *rs, const char *kind, const char *rule_id)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(rs, kind), i, r)
    {
        const char *id = json_string_value(json_object_get(r, "rule_id"));
        if (id && strcmp(id, rule_id) == 0)
            return r;
    }
    return NULL;
}

static ssize_t find_index(json_t *list, const char *rule_id)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "rule_id"));
        if (id && strcmp(id, rule_id) == 0)
            return (ssize_t)i;
    }
    return -1;
}

static void not_found(struct http_reply *rep)
{
    http_reply_error(rep, 404, "M_NOT_FOUND", "The push rule was not found.");
}

/* GET /pushrules/global/{kind}/{ruleId}[/enabled|/actions] */
void client_pushrule_get(struct http_request *req, struct http_reply *rep)
{
    if (!check_path(req, rep, true))
        return;
    json_t *rs = push_user_ruleset(client_server(req), req->user_id);
    json_t *rule = find_rule(rs, req->params[1], req->params[2]);
    if (!rule) {
        json_decref(rs);
        not_found(rep);
        return;
    }
    json_t *body;
    if (strstr(req->route->pattern, "/enabled"))
        body = json_pack("{s:O}", "enabled", json_object_get(rule, "enabled"));
    else if (strstr(req->route->pattern, "/actions"))
        body = json_pack("{s:O}", "actions", json_object_get(rule, "actions"));
    else
        body = json_deep_copy(rule);
    json_decref(rs);
    http_reply_json(rep, 200, body);
}

/* PUT /pushrules/global/{kind}/{ruleId}?before=&after= */
void client_pushrule_put(struct http_request *req, struct http_reply *rep)
{
    if (!check_path(req, rep, true))
        return;
    const char *kind = req->params[1], *rule_id = req->params[2];
    if (rule_id[0] == '.') {
        http_reply_error(rep, 400, "M_UNKNOWN", "cannot add new rule_ids that start with '.'");
        return;
    }
    if (!rule_id[0] || strchr(rule_id, '/') || strchr(rule_id, '\\')) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "A rule ID cannot be empty or contain / or \\");
        return;
    }
    const char *before = http_query(req, "before"), *after = http_query(req, "after");
    const char *rel = before ? before : after;
    if (rel && rel[0] == '.') {
        http_reply_error(rep, 400, "M_UNKNOWN", "Cannot add a rule relative to a server rule");
        return;
    }
    char reason[128];
    json_t *rule = push_rule_from_request(kind, rule_id, req->json, reason, sizeof reason);
    if (!rule) {
        http_reply_error(rep, 400, "M_UNKNOWN", "%s", reason);
        return;
    }
    struct server *srv = client_server(req);
    pthread_mutex_lock(&rules_lock);
    int rc;
    json_t *doc = load_changes(srv, req->user_id, &rc);
    json_t *list = json_object_get(json_object_get(doc, "rules"), kind);
    ssize_t existing = find_index(list, rule_id);
    if (rel) {
        if (existing >= 0)
            json_array_remove(list, (size_t)existing);
        ssize_t at = find_index(list, rel);
        if (at < 0) {
            pthread_mutex_unlock(&rules_lock);
            json_decref(doc);
            json_decref(rule);
            http_reply_error(rep, 400, "M_UNKNOWN", "before/after rule not found: %s", rel);
            return;
        }
        json_array_insert_new(list, (size_t)at + (before ? 0 : 1), rule);
    } else if (existing >= 0) {
        json_object_set(rule, "enabled", json_object_get(json_array_get(list, (size_t)existing),
                                                         "enabled"));
        json_array_set_new(list, (size_t)existing, rule);
    } else {
        json_array_insert_new(list, 0, rule);
    }
    finish_change(srv, req, rep, doc, rc);
}

/* DELETE /pushrules/global/{kind}/{ruleId} */
void client_pushrule_delete(struct http_request *req, struct http_reply *rep)
{
    if (!check_path(req, rep, true))
        return;
    struct server *srv = client_server(req);
    pthread_mutex_lock(&rules_lock);
    int rc;
    json_t *doc = load_changes(srv, req->user_id, &rc);
    json_t *list = json_object_get(json_object_get(doc, "rules"), req->params[1]);
    ssize_t at = find_index(list, req->params[2]);
    if (!rc && at < 0) {
        pthread_mutex_unlock(&rules_lock);
        json_decref(doc);
        not_found(rep);
        return;
    }
    if (!rc)
        json_array_remove(list, (size_t)at);
    finish_change(srv, req, rep, doc, rc);
}

/* PUT /pushrules/global/{kind}/{ruleId}/enabled and .../actions */
void client_pushrule_put_attr(struct http_request *req, struct http_reply *rep)
{
    if (!check_path(req, rep, true))
        return;
    bool enabled_attr = strstr(req->route->pattern, "/enabled") != NULL;
    const char *kind = req->params[1], *rule_id = req->params[2];
    json_t *value = NULL;
    if (enabled_attr) {
        json_t *v = json_object_get(req->json, "enabled");
        if (!v) {
            http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'enabled'");
            return;
        }
        if (!json_is_boolean(v)) {
            http_reply_error(rep, 400, "M_INVALID_PARAM", "'enabled' must be a boolean");
            return;
        }
        value = json_incref(v);
    } else {
        json_t *v = json_object_get(req->json, "actions");
        if (!v) {
            http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'actions'");
            return;
        }
        value = push_actions_clean(v);
        if (!value) {
            http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid actions");
            return;
        }
    }
    struct server *srv = client_server(req);
    pthread_mutex_lock(&rules_lock);
    int rc;
    json_t *doc = load_changes(srv, req->user_id, &rc);
    bool found = false;
    if (!rc) {
        const char *field = enabled_attr ? "enabled" : "actions";
        if (rule_id[0] == '.') {
            json_t *defaults = push_default_ruleset(req->user_id);
            found = find_rule(defaults, kind, rule_id) != NULL;
            json_decref(defaults);
            if (found) {
                char key[512];
                snprintf(key, sizeof key, "%s/%s", kind, rule_id);
                json_object_set(json_object_get(doc, field), key, value);
            }
        } else {
            json_t *list = json_object_get(json_object_get(doc, "rules"), kind);
            ssize_t at = find_index(list, rule_id);
            found = at >= 0;
            if (found)
                json_object_set(json_array_get(list, (size_t)at), field, value);
        }
        if (found)
            rc = save_changes(srv, req->user_id, doc);
    }
    pthread_mutex_unlock(&rules_lock);
    json_decref(doc);
    json_decref(value);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    if (!found) {
        not_found(rep);
        return;
    }
    http_reply_json(rep, 200, json_object());
}
