/* Random (version 4) UUIDs for object names and task ids. */
#ifndef VSR_SERVER_UUID_H
#define VSR_SERVER_UUID_H

#include "util/error.h"

#define VSR_UUID_LEN 37 /* 36 characters and the NUL */

/* Writes a UUID like "0b6e6f2c-3f0e-4d1a-9c55-5d0e3c7a9b21" from OpenSSL's CSPRNG. */
int vsr_uuid_v4(char out[VSR_UUID_LEN], vsr_error *err);

#endif
