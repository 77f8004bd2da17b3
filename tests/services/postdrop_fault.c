/*
 * postdrop_fault - test-only fault injection for postdrop
 * (tern-test-postdrop-fault: postdrop's sources plus this file).
 *
 * Before main, reads TERN_POSTDROP_FAULT_STEP; when it names a commit
 * step (1 written, 2 fsynced, 3 renamed, 4 directory synced: the
 * MAIL_QUEUE_STEP_* of lib/mail/mail_queue.h), installs
 * mail_queue_commit_hook so that the process _exits with status 99 the
 * moment the commit reaches that step, as a crash would stop it. Any
 * other value (or none) leaves postdrop as it is.
 */
#include <stdlib.h>
#include <unistd.h>

#include "mail/mail_queue.h"

static int postdrop_fault_step;

static void
postdrop_fault_hook(int step)
{
    if (step == postdrop_fault_step)
        _exit(99);
}

__attribute__((constructor)) static void
postdrop_fault_init(void)
{
    const char *value = getenv("TERN_POSTDROP_FAULT_STEP");

    if (value == NULL)
        return;
    postdrop_fault_step = atoi(value);
    if (postdrop_fault_step >= MAIL_QUEUE_STEP_WRITTEN &&
        postdrop_fault_step <= MAIL_QUEUE_STEP_DIR_SYNCED)
        mail_queue_commit_hook = postdrop_fault_hook;
}
