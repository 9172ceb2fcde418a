/* libFuzzer target: `rstcraft try --expect SPEC` on arbitrary bytes, then the verdict of
 * what parsed against a result. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "try.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';           /* up to the first NUL, as argv would be */
    struct try_expect e;
    char err[400];
    if (try_expect_parse(&e, s, err, sizeof err) == 0) {
        struct try_result r;
        memset(&r, 0, sizeof r);
        r.tc = try_case_find(strcmp(e.cases, "*") == 0 ? "closed" : e.cases);
        if (!r.tc || e.n == 0)
            abort();              /* a parsed expectation names a case and a condition */
        r.ran = true;
        r.exit_code = (int)(size % 256);
        r.secs = (double)size / 100;
        try_judge(&r, &e, 1);
        if (r.verdict < 0 || (r.verdict == 0) != (r.why[0] != '\0'))
            abort();
    } else if (strchr(err, '\n') || !err[0]) {
        abort();                  /* messages are one line */
    }
    free(s);
    return 0;
}
