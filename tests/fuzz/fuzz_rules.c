/* libFuzzer target: the rules file parser (and the -a / -p list parsers it shares with the
 * command line) on arbitrary bytes. Seeds: the files in tests/rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "addrset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ruleset rs;
    char err[512];
    ruleset_init(&rs);
    if (ruleset_load_buf(&rs, "fuzz", (const char *)data, size, err, sizeof err) == 0) {
        for (size_t i = 0; i < rs.n; i++)
            if (ruleset_match(&rs, rs.v[i].addr, 80) == NULL)
                abort();
    } else if (strchr(err, '\n')) {
        abort();                      /* messages are one line */
    }
    ruleset_free(&rs);

    /* the same bytes as one -a / -p argument (up to the first NUL, as argv would be) */
    if (size <= 4096) {
        char *s = malloc(size + 1);
        if (!s)
            return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        struct addrset as = { 0 };
        struct portset ps;
        if (addrset_parse(&as, s, err, sizeof err) == 0)
            for (size_t i = 1; i < as.n; i++)
                if (as.v[i - 1] >= as.v[i])
                    abort();      /* sorted and unique */
        addrset_free(&as);
        (void)portset_parse(&ps, s, err, sizeof err);
        free(s);
    }
    return 0;
}
