/* routes.c: the one table of AI API endpoints (OpenAI-compatible, under /v1) and /metrics.
 * Authentication is done by the handlers (API keys or Matrix access tokens, 401 in OpenAI's
 * shape), so no route carries ROUTE_AUTH; bodies are parsed by the handlers too. */
#include "ai/internal.h"

static const struct http_route ai_routes[] = {
    {HTTP_GET, "/v1/models", ai_api_models, 0},
    {HTTP_GET, "/v1/models/{model}", ai_api_model_get, 0},
    {HTTP_POST, "/v1/chat/completions", ai_api_chat, 0},
    {HTTP_POST, "/v1/completions", ai_api_completions, 0},
    {HTTP_POST, "/v1/embeddings", ai_api_embeddings, 0},
    {HTTP_GET, "/metrics", ai_api_metrics, 0},
};

void ai_routes_register(struct http_server *http)
{
    http_server_add_routes(http, ai_routes, sizeof ai_routes / sizeof ai_routes[0],
                           HTTP_ERRORS_OPENAI);
}
