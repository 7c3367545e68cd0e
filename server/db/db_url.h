/*
 * The database address: mysql://user[:password]@host[:port]/database[?socket=PATH]
 * (a relative socket path is taken from the working directory). The user, the
 * password and the socket path are percent-decoded (%40 is '@', %2F '/', %25
 * '%'); a raw '@' in the password also parses (the host follows the last one).
 */
#ifndef AL_DB_URL_H
#define AL_DB_URL_H

typedef struct al_db_url {
    char user[81];
    char password[129];
    char host[256];
    unsigned port;     /* 0: the client library's default */
    char database[65]; /* [A-Za-z0-9_]{1,64} */
    char socket[512];  /* empty: TCP */
} al_db_url;

/* Parses url into out; fills err (size 256) on failure. */
int al_db_url_parse(const char *url, al_db_url *out, char err[256]);

#endif
