/* sync.h: computing /sync responses, sync tokens and filters.
 *
 * A sync token is the tuple of stream positions the client has seen, written
 * "s<events>_<account_data>_<receipts>_<to_device>_<device_lists>_<typing>_<presence>";
 * pagination tokens for /messages are "t<pos>": the point just after stream
 * position pos in a room's timeline. Spec: client-server "Syncing", "Filtering". */
#ifndef RELAIS_SYNC_SYNC_H
#define RELAIS_SYNC_SYNC_H

#include "sync/notify.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct server;

struct sync_token {
    int64_t pos[NOTIFY_N_STREAMS]; /* one per stream */
};

/* Parses "s..." (fewer fields are zero). Returns 0 or ERR_INVALID. */
int sync_token_parse(const char *text, struct sync_token *out);
/* Writes the token into out (at least 160 bytes). */
void sync_token_format(const struct sync_token *t, char *out, size_t len);
/* Parses a pagination token: "t<pos>" or a sync token (its event position). */
int sync_pagination_parse(const char *text, int64_t *pos);

/* An EventFilter of a /sync section other than the timeline and state:
 * presence, the global account_data, room.ephemeral and room.account_data
 * (spec: "Filtering"). Events without a sender (account data, m.typing,
 * m.receipt) never match a `senders` list, as in Synapse. */
struct sync_event_filter {
    json_t *types, *not_types;     /* owned or NULL; '*' matches any run of characters */
    json_t *senders, *not_senders; /* owned or NULL */
    json_t *rooms, *not_rooms;     /* owned or NULL; room sections only */
    int64_t limit;                 /* at most this many events; -1: none given */
    bool active;                   /* any condition given (false: every event passes) */
};

/* The parts of a filter that sync and /messages apply (spec: "Filtering"). */
struct sync_filter {
    int64_t timeline_limit;          /* room.timeline.limit, default 10 */
    bool lazy_load_members;          /* room.state.lazy_load_members */
    bool include_redundant_members;  /* room.state.include_redundant_members */
    bool include_leave;              /* room.include_leave */
    bool unread_thread_notifications; /* room.timeline.unread_thread_notifications (MSC3773) */
    json_t *rooms, *not_rooms;       /* room.rooms / room.not_rooms arrays, owned or NULL */
    json_t *types, *not_types;       /* room.timeline.types / not_types, owned or NULL */
    json_t *senders, *not_senders;   /* room.timeline.senders / not_senders */
    json_t *tl_rooms, *tl_not_rooms; /* room.timeline.rooms / not_rooms, owned or NULL */
    json_t *st_types, *st_not_types; /* room.state.types / not_types (StateFilter), owned or NULL */
    json_t *st_senders, *st_not_senders; /* room.state.senders / not_senders, owned or NULL */
    json_t *st_rooms, *st_not_rooms; /* room.state.rooms / not_rooms, owned or NULL */
    int contains_url;                /* room.timeline.contains_url: -1 absent, 0 false, 1 true */
    int st_contains_url;             /* room.state.contains_url, the same way */
    char *db_types, *db_not_types;   /* owned JSON texts of the type patterns as GLOBs, or NULL */
    char *db_senders, *db_not_senders; /* owned JSON texts of the sender lists, or NULL */
    struct sync_event_filter presence;          /* presence */
    struct sync_event_filter account_data;      /* account_data (global) */
    struct sync_event_filter ephemeral;         /* room.ephemeral */
    struct sync_event_filter room_account_data; /* room.account_data */
    json_t *event_fields; /* event_fields: owned array of paths, or NULL (every field) */
    bool federation;      /* event_format is "federation" */
};

/* Fills f from a filter JSON object (NULL: defaults). Returns 0 or
 * ERR_INVALID with a reason for a malformed filter. */
int sync_filter_parse(const json_t *filter, struct sync_filter *f, char *reason, size_t reason_len);
void sync_filter_fini(struct sync_filter *f);
/* Fills f from a RoomEventFilter (/messages, /context: its conditions
 * become the timeline and state filters; `event_fields` and `event_format`
 * are read too when given, beyond the spec's RoomEventFilter). NULL:
 * defaults. Returns 0 or ERR_INVALID with a reason. */
int sync_filter_parse_room_event(const json_t *filter, struct sync_filter *f, char *reason,
                                 size_t reason_len);

/* True when event (a JSON object with type and maybe sender) of the room
 * (NULL for the global sections) passes ef, its limit aside. */
bool sync_filter_section_event(const struct sync_event_filter *ef, const char *room_id,
                               const json_t *event);
/* Removes from events (a JSON array, changed in place) those ef leaves out
 * and keeps at most its limit. Does nothing when ef is not active. */
void sync_filter_section(const struct sync_event_filter *ef, const char *room_id,
                         json_t *events);
/* True when ef lets no event of the room through (limit 0, types [],
 * not_types "*", senders [], the room excluded), so the section need not
 * be computed. */
bool sync_filter_section_blocks(const struct sync_event_filter *ef, const char *room_id);
/* True when events of this type pass ef's types / not_types (a section of a
 * single type, presence, is not computed when its type cannot pass). */
bool sync_filter_section_type(const struct sync_event_filter *ef, const char *type);

/* event_fields (event_fields.c): a new object (owned) with only the fields
 * of event named by the dot-separated paths in fields (spec appendix
 * "Dot-separated property paths": backslash-dot is a literal dot, two backslashes one);
 * fields NULL or empty: event itself (a new reference). */
json_t *sync_event_fields_apply(const json_t *fields, const json_t *event);
/* Reshapes the client events in the array (in place) as f's event_format
 * and event_fields ask; nothing when f has neither (the usual case). */
void sync_filter_format_events(struct server *srv, const struct sync_filter *f, json_t *events);
/* The same for a room's {"events": [...]} timeline and state objects of
 * /sync, after dropping the state events that room.state's rooms /
 * not_rooms (each event's room_id) or contains_url leave out. */
void sync_filter_format_room(struct server *srv, const struct sync_filter *f, json_t *timeline,
                             json_t *state);
/* True when the room passes rooms/not_rooms. */
bool sync_filter_room(const struct sync_filter *f, const char *room_id);
/* True when a state event (type, sender) passes room.state (the StateFilter
 * of /sync's state sections). */
bool sync_filter_state_event(const struct sync_filter *f, const char *type, const char *sender);
/* True when a client-format state event of the room passes every condition
 * of room.state: rooms / not_rooms, types / not_types, senders / not_senders
 * and contains_url (/context's state, which its RoomEventFilter filters). */
bool sync_filter_state_json(const struct sync_filter *f, const char *room_id,
                            const json_t *event);
/* True when the room's state events pass room.state.rooms / not_rooms. */
bool sync_filter_state_room(const struct sync_filter *f, const char *room_id);
/* True when the room's events pass room.timeline.rooms / not_rooms. */
bool sync_filter_timeline_room(const struct sync_filter *f, const char *room_id);
/* True when an event (type, sender) passes the timeline filter. */
bool sync_filter_event(const struct sync_filter *f, const char *type, const char *sender);

/* True when the timeline filter can leave events out (types, not_types,
 * senders, not_senders, contains_url, rooms or not_rooms). */
bool sync_filter_narrows(const struct sync_filter *f);
/* The filter's timeline conditions for the database query (pointers borrowed
 * from f, valid until sync_filter_fini). */
struct db_event_filter;
void sync_filter_db(const struct sync_filter *f, struct db_event_filter *out);
/* Writes a Matrix filter pattern ('*' is any run of characters) as an SQLite
 * GLOB pattern ('?' and '[' escaped) into out (at least 3 * strlen + 1 bytes). */
void sync_filter_glob(const char *pattern, char *out, size_t out_len);

/* One page of a room's timeline: the events of (lo, hi] that pass the filter
 * and that the viewer may see, newest first (oldest first when forward). */
struct sync_page {
    struct db_event *events; /* owned, at most the limit asked for */
    size_t n;                /* events in the page */
    bool more;      /* matching events may lie beyond the page */
    int64_t resume; /* the next page: (lo, resume] backwards, (resume, hi] forwards */
};

/* Loads one page of at most limit events. The filter's limit is applied after
 * the filter (spec: "Filtering"); events at positions below check_below are
 * checked against history visibility for viewer (check_below 0: none). A few
 * database rounds at most: when they run out, more is true and resume says
 * where the scan stopped. Returns 0 or ERR_DB; release with sync_page_fini. */
int sync_events_page(struct server *srv, const char *room_id, int64_t lo, int64_t hi,
                     bool forward, const struct sync_filter *f, const char *viewer,
                     int64_t check_below, size_t limit, struct sync_page *out);
void sync_page_fini(struct sync_page *p);

struct sync_request {
    const char *user_id;     /* borrowed */
    const char *device_id;   /* borrowed */
    bool has_since;          /* false for an initial sync */
    struct sync_token since;
    bool full_state;
    /* use_state_after (spec v1.16, MSC4222): 0 no; 1 "state_after"; 2 the
     * unstable "org.matrix.msc4222.state_after" (matrix-js-sdk asks that way) */
    int state_after;
    const struct sync_filter *filter; /* borrowed */
};

/* Computes the response for req up to the positions `to`. *out is owned;
 * *has_changes tells whether anything is in it for the client. */
int sync_compute(struct server *srv, const struct sync_request *req, const struct sync_token *to,
                 json_t **out, bool *has_changes);

/* Loads the member events for the given senders at the state group (lazy
 * loading) and appends them, client-formatted, to array. */
int sync_lazy_members(struct server *srv, const char *room_id, int64_t state_group,
                      json_t *senders, json_t *array, const char *viewer_user,
                      const char *viewer_device);

#endif
