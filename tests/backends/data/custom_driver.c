/* Driver for the emitted model "cm": reads the raw float input from argv[1], runs cm_run, writes
 * the raw float output to argv[2]. Exit status: cm_run's result, or 9 on I/O errors. */
#include <stdio.h>

#include "cm.h"

int main(int argc, char **argv)
{
    static float x[CM_INPUT0_SIZE], y[CM_OUTPUT0_SIZE];
    static unsigned char buf[CM_WORKSPACE_SIZE + 64];
    void *ws = buf + (64 - (size_t)((unsigned long)buf % 64)) % 64;   /* 64-aligned */
    FILE *f = argc > 2 ? fopen(argv[1], "rb") : NULL;
    if (!ws || !f || fread(x, sizeof x, 1, f) != 1)
        return 9;
    fclose(f);
    int rc = cm_run(x, y, ws, CM_WORKSPACE_SIZE);
    if (rc)
        return rc;
    f = fopen(argv[2], "wb");
    if (!f || fwrite(y, sizeof y, 1, f) != 1 || fclose(f))
        return 9;
    return 0;
}
