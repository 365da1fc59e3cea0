/* media.h: the content repository's endpoints (client/media.c): uploads,
 * authenticated and legacy downloads and thumbnails, and the media config. */
#ifndef RELAIS_CLIENT_MEDIA_H
#define RELAIS_CLIENT_MEDIA_H

#include "http/http.h"

void client_media_upload(struct http_request *req, struct http_reply *rep);
void client_media_create(struct http_request *req, struct http_reply *rep);
void client_media_upload_put(struct http_request *req, struct http_reply *rep);
/* Authenticated (/_matrix/client/v1/media/...) and legacy (/_matrix/media/...)
 * downloads and thumbnails share these; the legacy ones answer 404 unless
 * [media] legacy_unauthenticated is set. */
void client_media_download(struct http_request *req, struct http_reply *rep);
void client_media_thumbnail(struct http_request *req, struct http_reply *rep);
void client_media_config(struct http_request *req, struct http_reply *rep);
void client_media_preview_url(struct http_request *req, struct http_reply *rep);

#endif
