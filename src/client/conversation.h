/* conversation.h: the handlers of the endpoints "around the conversation"
 * (typing, receipts, read markers, push rules, notifications, pushers,
 * search, user directory, reporting, presence), one file per group. Kept
 * apart from client.h so these groups grow without touching it. */
#ifndef RELAIS_CLIENT_CONVERSATION_H
#define RELAIS_CLIENT_CONVERSATION_H

#include "client/client.h"

/* True when user_id is joined to room_id; otherwise answers 403 M_FORBIDDEN
 * and returns false. */
bool client_conv_joined(struct http_request *req, struct http_reply *rep, const char *room_id);

/* typing.c */
void client_room_typing(struct http_request *req, struct http_reply *rep);
/* receipts.c */
void client_room_receipt(struct http_request *req, struct http_reply *rep);
void client_room_read_markers(struct http_request *req, struct http_reply *rep);

/* notifications.c */
void client_notifications(struct http_request *req, struct http_reply *rep);
/* presence.c */
void client_presence_get(struct http_request *req, struct http_reply *rep);
void client_presence_put(struct http_request *req, struct http_reply *rep);
/* pushers.c */
void client_pushers_get(struct http_request *req, struct http_reply *rep);
void client_pushers_set(struct http_request *req, struct http_reply *rep);
/* report.c */
void client_report_event(struct http_request *req, struct http_reply *rep);
void client_report_room(struct http_request *req, struct http_reply *rep);
/* search.c */
void client_search(struct http_request *req, struct http_reply *rep);
/* pushrules.c */
void client_pushrules_get_all(struct http_request *req, struct http_reply *rep);
void client_pushrule_get(struct http_request *req, struct http_reply *rep);
void client_pushrule_put(struct http_request *req, struct http_reply *rep);
void client_pushrule_delete(struct http_request *req, struct http_reply *rep);
void client_pushrule_put_attr(struct http_request *req, struct http_reply *rep);
/* user_directory.c */
void client_user_directory_search(struct http_request *req, struct http_reply *rep);

#endif
