/* version.c — the library version string. */
#include "mw.h"

const char *mw_version(void) { return "0.1.0"; }
