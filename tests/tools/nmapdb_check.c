/* nmap-os-db check: load the database and print the load report; then play every
 * fingerprint (or the ones named) as a personality, compute offline what nmap -O would
 * record from it (nmapdb_simulate) and rank it against the whole database as nmap does.
 *   nmapdb_check [-f FILE] [-v] [NAME|@LINE|builtin:NAME ...]
 * Without names: a summary over every entry (how many play at all, how many come out as
 * their own fingerprint on top). With names: the simulated fingerprint and the top 5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nmapdb.h"
#include "profile_ext.h"

static void print_fp(const struct nmapdb_entry *e)
{
    for (int t = 0; t < NT_COUNT; t++) {
        if (!e->t[t].present)
            continue;
        printf("%s(", nmap_test_name((enum nmap_test)t));
        const char *sep = "";
        for (unsigned i = 0; i < nmap_attr_count((enum nmap_test)t); i++)
            if (e->t[t].val[i]) {
                printf("%s%s=%s", sep, nmap_attr_name((enum nmap_test)t, i), e->t[t].val[i]);
                sep = "%";
            }
        printf(")\n");
    }
}

static void mismatches(const struct nmapdb_entry *ref, const struct nmapdb_entry *obs)
{
    for (int t = 0; t < NT_COUNT; t++) {
        if (!ref->t[t].present || !obs->t[t].present)
            continue;
        for (unsigned i = 0; i < nmap_attr_count((enum nmap_test)t); i++) {
            const char *r = ref->t[t].val[i], *v = obs->t[t].val[i];
            const char *an = nmap_attr_name((enum nmap_test)t, i);
            if (r && v && !nmap_expr_match(r, v, t == NT_OPS || !strcmp(an, "O")))
                printf("    %s.%s: %s, expected %s\n", nmap_test_name((enum nmap_test)t), an, v, r);
        }
    }
}

static int one(const struct nmapdb *db, const char *name, bool verbose)
{
    struct personality *pers = calloc(1, sizeof *pers);
    const struct nmapdb_entry *src = NULL;
    char why[256];
    if (!pers)
        return 1;
    if (!strncmp(name, "builtin:", 8)) {
        const struct personality *b = personality_builtin_find(name + 8);
        if (!b) {
            fprintf(stderr, "no built-in personality %s\n", name + 8);
            free(pers);
            return 2;
        }
        memcpy(pers, b, sizeof *pers);
        char at[16];
        snprintf(at, sizeof at, "@%u", b->src_line);
        src = b->src_line ? nmapdb_find(db, at, NULL) : NULL;
        if (!src || (b->src_nmap && strcmp(src->name, b->src_nmap) != 0))
            src = b->src_nmap ? nmapdb_find(db, b->src_nmap, NULL) : NULL;
    } else {
        size_t nm;
        src = nmapdb_find(db, name, &nm);
        if (!src) {
            fprintf(stderr, "no fingerprint matches \"%s\"\n", name);
            free(pers);
            return 2;
        }
        if (nm > 1)
            printf("(%zu fingerprints match \"%s\"; using line %u)\n", nm, name, src->line);
        if (nmapdb_to_profile(src, pers, why) != 0) {
            printf("cannot play: %s\n", why);
            free(pers);
            return 1;
        }
    }
    static char buf[8192];
    struct nmapdb_entry obs;
    nmapdb_simulate(pers, 1, &obs, buf, sizeof buf);
    printf("personality %s\n", pers->prof.name);
    if (verbose)
        print_fp(&obs);
    if (src) {
        printf("  against its source (line %u): %.1f%%\n", src->line, 100 * nmapdb_score(db, src, &obs));
        mismatches(src, &obs);
    }
    const struct nmapdb_entry *best[5];
    double acc[5];
    size_t n = nmapdb_rank(db, &obs, best, acc, 5);
    for (size_t i = 0; i < n; i++)
        printf("  %5.1f%%  %s (line %u)\n", 100 * acc[i], best[i]->name, best[i]->line);
    free(pers);
    return 0;
}

static int all(const struct nmapdb *db, bool verbose)
{
    static char buf[8192];
    struct personality *pers = calloc(1, sizeof *pers);
    size_t played = 0, top = 0, exact = 0, refused = 0, hist[5] = { 0 };
    char why[256];
    if (!pers)
        return 1;
    for (size_t i = 0; i < db->n; i++) {
        const struct nmapdb_entry *e = &db->e[i];
        if (nmapdb_to_profile(e, pers, why) != 0) {
            refused++;
            if (verbose)
                printf("refused: %s\n", why);
            continue;
        }
        played++;
        struct nmapdb_entry obs;
        nmapdb_simulate(pers, i + 1, &obs, buf, sizeof buf);
        double self = nmapdb_score(db, e, &obs);
        const struct nmapdb_entry *best[1];
        double acc[1];
        nmapdb_rank(db, &obs, best, acc, 1);
        bool on_top = self >= acc[0] - 1e-9 || !strcmp(best[0]->name, e->name);
        top += on_top;
        exact += self > 0.999999;
        hist[self > 0.999999 ? 0 : self >= 0.95 ? 1 : self >= 0.90 ? 2 : self >= 0.85 ? 3 : 4]++;
        if (verbose && !on_top) {
            printf("line %u %s: self %.1f%%, top %.1f%% %s (line %u)\n", e->line, e->name, 100 * self,
                   100 * acc[0], best[0]->name, best[0]->line);
            mismatches(e, &obs);
        }
    }
    printf("played %zu of %zu fingerprints (%zu refused)\n", played, db->n, refused);
    printf("simulated nmap sees its own fingerprint on top (or tied): %zu (%.1f%%)\n", top,
           played ? 100.0 * (double)top / (double)played : 0);
    printf("accuracy against its own fingerprint: 100%%: %zu, 95-100%%: %zu, 90-95%%: %zu, 85-90%%: %zu, below: %zu\n",
           hist[0], hist[1], hist[2], hist[3], hist[4]);
    (void)exact;
    free(pers);
    return 0;
}

int main(int argc, char **argv)
{
    const char *file = NMAPDB_DEFAULT;
    bool verbose = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-f") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "-v"))
            verbose = true;
        else {
            fprintf(stderr, "usage: nmapdb_check [-f FILE] [-v] [NAME|@LINE|builtin:NAME ...]\n");
            return 2;
        }
    }
    struct nmapdb db;
    char err[256];
    if (nmapdb_load(&db, file, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    nmapdb_report(&db, stdout);
    int rc = 0;
    if (i == argc)
        rc = all(&db, verbose);
    for (; i < argc; i++)
        rc |= one(&db, argv[i], verbose);
    nmapdb_free(&db);
    return rc;
}
