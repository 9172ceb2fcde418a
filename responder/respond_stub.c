/* Placeholder: replaced by responder/respond.c (engine). */
#include <stdio.h>
#include "cmds.h"
int respond_main(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not yet\n"); return 3; }
