/* libFuzzer target: the nmap-os-db loader on arbitrary bytes, then every entry it kept
 * played as a personality and run through nmap's probes (nmapdb_simulate), and the
 * report printed. Whatever the input: no crash, every kept value is a valid expression
 * that picks a value it matches, and every failure has a line inside the input.
 * Seeds: slices of /usr/share/nmap/nmap-os-db. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nmapdb.h"
#include "profile_ext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    static struct personality pers;
    static char buf[8192];
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        abort();
    struct nmapdb db;
    if (nmapdb_load_buf(&db, (const char *)data, size, "fuzz") != 0)
        return 0;
    for (size_t i = 0; i < db.nfail; i++)
        if (db.fail[i].line == 0 || db.fail[i].line > db.lines + 1)
            abort();
    for (size_t i = 0; i < db.n; i++) {
        const struct nmapdb_entry *e = &db.e[i];
        for (int t = 0; t < NT_COUNT; t++)
            for (unsigned a = 0; a < nmap_attr_count((enum nmap_test)t); a++) {
                const char *v = e->t[t].val[a];
                bool nested = t == NT_OPS || strcmp(nmap_attr_name((enum nmap_test)t, a), "O") == 0;
                char one[128];
                if (v && (!nmap_expr_valid(v, nested, NULL) ||
                          (nmap_expr_pick(v, false, one, sizeof one) && !nmap_expr_match(v, one, true))))
                    abort();
            }
        char why[256];
        if (nmapdb_to_profile(e, &pers, why) == 0) {
            struct nmapdb_entry obs;
            nmapdb_simulate(&pers, i + 1, &obs, buf, sizeof buf);
            (void)nmapdb_score(&db, e, &obs);
        }
        if (nmapdb_find(&db, e->name, NULL) == NULL)
            abort();
    }
    nmapdb_report(&db, devnull);
    nmapdb_free(&db);
    return 0;
}
