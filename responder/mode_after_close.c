/* Placeholder: the engine author fills this in. */
#include "mode.h"
const struct mode_ops mode_after_close = { .name = "after-close", .summary = "" };
