/* rstcraft: dispatch to a subcommand; the responder is the default. */
#include <stdio.h>
#include <string.h>
#include "cmds.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "craft") == 0)
        return craft_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "kill") == 0)
        return kill_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "explain") == 0)
        return explain_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "respond") == 0)
        return respond_main(argc - 1, argv + 1);
    return respond_main(argc, argv);
}
