/* ghiblify: umbrella header for the library. */
#ifndef GHIBLIFY_H
#define GHIBLIFY_H

#include "ghiblify/status.h"
#include "ghiblify/image.h"
#include "ghiblify/io.h"
#include "ghiblify/ops.h"
#include "ghiblify/stages.h"

#endif
