/* rst: a closed port; every segment but an RST is answered with RST (case 1). */
#include "mode.h"
const struct mode_ops mode_rst = {
    .name = "rst",
    .summary = "closed port: RST|ACK to the SYN (RFC 793, as Linux sends it)",
    .kind = PORT_CLOSED,
};
