/* Placeholder until the crafter lands (issue 3). */
#include <stdio.h>
#include "cmds.h"
int craft_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "rstcraft craft: not built yet\n");
    return 3;
}
int kill_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "rstcraft kill: not built yet\n");
    return 3;
}
