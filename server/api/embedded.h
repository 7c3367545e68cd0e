/* Files built into the server (cmake/embed_dir.cmake): the console's. */
#ifndef AL_API_EMBEDDED_H
#define AL_API_EMBEDDED_H

#include <stddef.h>

typedef struct al_embedded_file {
    const char *name; /* the file's name, no folder */
    const char *type; /* its Content-Type */
    const char *data;
    size_t len;
} al_embedded_file;

extern const al_embedded_file al_console_files[];
extern const size_t al_console_files_count;

#endif
