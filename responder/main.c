/* rstcraft: dispatch to a subcommand; the responder is the default. */
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "local.h"

static const struct { const char *name; int (*run)(int argc, char **argv); } commands[] = {
    { "respond", respond_main }, { "craft", craft_main }, { "kill", kill_main },
    { "censor", censor_main },   { "explain", explain_main }, { "local", local_main },
    { "try", try_main },
};

int main(int argc, char **argv)
{
    if (argc > 1)
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
    return respond_main(argc, argv);
}
