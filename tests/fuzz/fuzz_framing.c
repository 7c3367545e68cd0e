/*
 * libFuzzer driver: the strict request framer (http/framing.c) on any bytes,
 * fed in pieces whose sizes come from the input itself. It must never read
 * past what it is given, take more than it was offered, or pass more bytes
 * than came; once it refuses, it stays refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0] % 17 + 1; /* 1 to 17 bytes a read */
    const char *text = (const char *)data + 1;
    size_t len = size - 1, pos = 0, passed = 0;
    al_framer f;
    al_framer_init(&f, 4096);
    bool refused = false;
    while (pos < len) {
        size_t end = pos + step > len ? len : pos + step;
        while (pos < end) {
            if (f.remaining > 0) {
                size_t body = end - pos < f.remaining ? end - pos : (size_t)f.remaining;
                al_framer_body(&f, body);
                passed += body;
                pos += body;
                continue;
            }
            /* A copy of exactly the piece: ASan sees any read past it. */
            char *piece = malloc(end - pos);
            memcpy(piece, text + pos, end - pos);
            size_t used = 0;
            al_frame_result r = al_framer_feed(&f, piece, end - pos, &used);
            free(piece);
            if (used > end - pos || (refused && r != AL_FRAME_REFUSED))
                abort();
            pos += used;
            if (r == AL_FRAME_REFUSED) {
                refused = true;
                if (f.status < 400 || f.status > 599 || f.code == NULL)
                    abort();
            } else if (r == AL_FRAME_READY || r == AL_FRAME_BODY) {
                passed += f.held_len;
                al_framer_taken(&f);
            }
            if (passed > pos)
                abort();
        }
    }
    al_framer_free(&f);
    return 0;
}
