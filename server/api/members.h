/* What the member handlers share with the member's own app (api/member_app.c). */
#ifndef AL_API_MEMBERS_H
#define AL_API_MEMBERS_H

#include <stdbool.h>

#include "db/db.h"
#include "http/exchange.h"

/* st and found of a member lookup: true, or false after replying (503, 404 member_not_found). */
bool al_member_found(al_exchange *x, al_db_status st, bool found);

/* A member's bookings, newest first, paged (?cursor=&limit=), with each one's breakdown. */
void al_reply_member_history(al_exchange *x, const char *member);

#endif
