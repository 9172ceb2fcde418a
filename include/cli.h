/* What every command's option parsing shares: one-line messages for getopt_long's
 * complaints, the stop signals, and how endpoints and strings are printed. */
#ifndef RSTCRAFT_CLI_H
#define RSTCRAFT_CLI_H
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* After getopt_long returned ':' or '?' (opterr = 0): the message in err, e.g.
 * "--delay needs an argument (see rstcraft --help)", "ambiguous option '--re' (--read,
 * --rules)", "unknown option '-x' (see rstcraft kill --help)". cmd is how the user called
 * the command ("rstcraft", "rstcraft kill"). Returns -1. */
int cli_getopt_error(int c, char **argv, const struct option *longopts, const char *cmd,
                     char *err, size_t errlen);

/* An interface name as Linux takes one (dev_valid_name: 1..15 bytes, not "." or "..", no
 * '/', ':' or white space). 0, or -1 with "-i: bad interface name 'X'" in err. */
int cli_ifname(const char *s, char *err, size_t errlen);

/* s as a JSON string, quotes included: '"' and '\\' escaped, control characters as \\u00XX. */
void cli_json_str(FILE *f, const char *s);

/* An endpoint as users read it: "198.18.0.2:80", "[2001:2::2]:80". addr is network order
 * (IPv4 in its first 4 bytes). buf: CLI_EPLEN bytes. Returns buf. */
#define CLI_EPLEN 56
const char *cli_endpoint(char *buf, bool v6, const uint8_t *addr, uint16_t port);

/* Decimal digits only, no sign, no space, no overflow (the responder's numbers: ports,
 * mode parameters, options). */
bool parse_u64(const char *s, uint64_t *out);

/* SIGINT and SIGTERM call fn (which should only set a flag). */
void cli_on_stop(void (*fn)(int));
#endif
