/* Dispatch: a request to its route's handler, after the route's credentials check. */
#ifndef AL_DISPATCH_H
#define AL_DISPATCH_H

#include "http/exchange.h"

/* The transport's request hook: answers 404/405, authenticates, runs the handler. */
void al_dispatch(al_exchange *x);

#endif
