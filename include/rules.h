/* Which behaviour answers which address and port: built from the CLI (-p/--mode/--default
 * and their options) and from --rules FILE. Both say the same things.
 *
 * Rules file format, one rule a line; '#' starts a comment; blank lines are ignored:
 *   default MODE [key=value ...]          every port no rule matches (default: rst)
 *   profile NAME                          OS profile (same as --profile)
 *   ADDR|CIDR|* PORTS MODE [key=value ...]     (ADDR, CIDR: IPv4 or IPv6)
 * PORTS: 80 | 80,443 | 8000-8100 | * ; MODE: a registered mode name (open, rst, silent,
 * delay, unread, after-close, backlog). Keys: the parameters the modes declare
 * (struct mode_param in mode.h), NAME=VALUE or a flag's NAME. First matching rule wins;
 * CLI -p rules come before the file's. */
#ifndef RSTCRAFT_RULES_H
#define RSTCRAFT_RULES_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "mode.h"

/* A port set: bitmap of 65536 ports. */
struct portset { uint8_t bits[8192]; };
static inline bool portset_has(const struct portset *s, uint16_t p) { return s->bits[p >> 3] & (1u << (p & 7)); }
static inline void portset_add(struct portset *s, uint16_t p) { s->bits[p >> 3] |= (uint8_t)(1u << (p & 7)); }
/* "80,443,8000-8100" or "*". Returns 0 or -1 with a message naming what was wrong. */
int portset_parse(struct portset *s, const char *spec, char *err, size_t errlen);

struct rule {
    uint32_t addr, mask;      /* host order; mask 0 matches every address */
    bool     v6;              /* an IPv6 block instead: addr6/plen6 */
    uint8_t  addr6[16], plen6;
    struct portset ports;
    const struct mode_ops *mode;
    struct mode_params p;
    char     where[96];       /* "cli" or "FILE:LINE", for messages */
};

struct ruleset {
    struct rule *v;
    size_t   n, cap;
    struct rule dflt;         /* the default rule: every port no rule matched */
    char     profile[64];     /* "" unless a profile line/--profile set it */
    struct reply_body *bodies; /* the reply bytes the rules point to, freed with them */
};
void ruleset_init(struct ruleset *rs);   /* default rule: rst */
void ruleset_free(struct ruleset *rs);
int  ruleset_add(struct ruleset *rs, const struct rule *r);
/* The ruleset frees b with itself (b may be NULL or already its own). */
void ruleset_own(struct ruleset *rs, struct reply_body *b);
/* Parse a rules file and append its rules. On error returns -1 with
 * "FILE:LINE: what was expected, what was found" in err. */
int  ruleset_load(struct ruleset *rs, const char *path, char *err, size_t errlen);
/* The same from memory; name is used in messages ("NAME:LINE: ..."). For fuzzing and tests. */
int  ruleset_load_buf(struct ruleset *rs, const char *name, const char *buf, size_t len,
                     char *err, size_t errlen);
/* Parse one rule line's "key=value" words into p (for the file and for tests). */
int  mode_params_parse_kv(struct mode_params *p, const char *word, char *err, size_t errlen);
/* The rule for (addr, port): the first that matches, else the default. Never NULL. */
const struct rule *ruleset_match(const struct ruleset *rs, uint32_t addr, uint16_t port);
/* The same for an IPv6 address: the IPv6 rules and '*' rules take it. */
const struct rule *ruleset_match6(const struct ruleset *rs, const uint8_t addr[16], uint16_t port);
#endif
